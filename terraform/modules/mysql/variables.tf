variable "name" {
  description = "Identifier of the DB instance and prefix of its companions."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,50}$", var.name))
    error_message = "name must be 2-51 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "vpc_id" {
  description = "VPC of the database."
  type        = string

  validation {
    condition     = startswith(var.vpc_id, "vpc-")
    error_message = "vpc_id must be a VPC ID (vpc-...)."
  }
}

variable "subnet_ids" {
  description = "Database subnets, one per availability zone (at least 2 for Multi-AZ)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids must span at least 2 availability zones."
  }
}

variable "allowed_security_group_ids" {
  description = "Security groups allowed to connect on the MySQL port: the EKS cluster security group. No CIDR access exists."
  type        = list(string)

  validation {
    condition     = length(var.allowed_security_group_ids) > 0 && alltrue([for id in var.allowed_security_group_ids : startswith(id, "sg-")])
    error_message = "allowed_security_group_ids must list at least one security group ID (sg-...)."
  }
}

variable "engine_version" {
  description = "MySQL engine version (major.minor; RDS picks the latest patch and upgrades minors automatically)."
  type        = string
  default     = "8.4"
}

variable "parameter_group_family" {
  description = "DB parameter group family matching engine_version."
  type        = string
  default     = "mysql8.4"
}

variable "instance_class" {
  description = "DB instance class (cost inventory)."
  type        = string
  default     = "db.m7g.large"

  validation {
    condition     = startswith(var.instance_class, "db.")
    error_message = "instance_class must be an RDS class such as db.m7g.large."
  }
}

variable "allocated_storage_gib" {
  description = "Initial gp3 storage, in GiB (cost inventory)."
  type        = number
  default     = 50

  validation {
    condition     = var.allocated_storage_gib >= 20 && var.allocated_storage_gib <= 65536
    error_message = "allocated_storage_gib must be between 20 and 65536."
  }
}

variable "max_allocated_storage_gib" {
  description = "Upper bound of storage autoscaling, in GiB (0 disables autoscaling)."
  type        = number
  default     = 200
}

variable "multi_az" {
  description = "Keep a synchronous standby in another availability zone (doubles the instance cost)."
  type        = bool
  default     = true
}

variable "database_name" {
  description = "Name of the database created in the instance."
  type        = string
  default     = "petclinic"
}

variable "master_username" {
  description = "Master user name; its password is generated and rotated by RDS in Secrets Manager."
  type        = string
  default     = "petclinic_admin"
}

variable "kms_key_arn" {
  description = "KMS key for storage, Performance Insights and the master password secret."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be the ARN of a KMS key."
  }
}

variable "backup_retention_days" {
  description = "Days automated backups are kept (1-35)."
  type        = number
  default     = 7

  validation {
    condition     = var.backup_retention_days >= 1 && var.backup_retention_days <= 35
    error_message = "backup_retention_days must be between 1 and 35."
  }
}

variable "deletion_protection" {
  description = "Refuse deletion of the instance and take a final snapshot on destroy (production)."
  type        = bool
  default     = true
}

variable "backup_window" {
  description = "Daily UTC window of automated backups (hh24:mi-hh24:mi)."
  type        = string
  default     = "02:00-03:00"
}

variable "maintenance_window" {
  description = "Weekly UTC maintenance window (ddd:hh24:mi-ddd:hh24:mi), after the backup window."
  type        = string
  default     = "sun:03:30-sun:04:30"
}

variable "parameters" {
  description = "Extra DB parameters (name => value) on top of the defaults (TLS required, utf8mb4, slow query log)."
  type        = map(string)
  default     = {}
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
