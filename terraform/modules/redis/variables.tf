variable "name" {
  description = "Replication group ID and prefix of its companions."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,38}$", var.name))
    error_message = "name must be 2-39 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "vpc_id" {
  description = "VPC of the cache."
  type        = string

  validation {
    condition     = startswith(var.vpc_id, "vpc-")
    error_message = "vpc_id must be a VPC ID (vpc-...)."
  }
}

variable "subnet_ids" {
  description = "Database subnets, one per availability zone."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids must span at least 2 availability zones."
  }
}

variable "allowed_security_group_ids" {
  description = "Security groups allowed to connect on the Redis port: the EKS cluster security group."
  type        = list(string)

  validation {
    condition     = length(var.allowed_security_group_ids) > 0 && alltrue([for id in var.allowed_security_group_ids : startswith(id, "sg-")])
    error_message = "allowed_security_group_ids must list at least one security group ID (sg-...)."
  }
}

variable "engine_version" {
  description = "Redis OSS engine version."
  type        = string
  default     = "7.1"
}

variable "parameter_group_name" {
  description = "Cache parameter group; the default one matches engine_version."
  type        = string
  default     = "default.redis7"
}

variable "node_type" {
  description = "Cache node type (cost inventory)."
  type        = string
  default     = "cache.m7g.large"

  validation {
    condition     = startswith(var.node_type, "cache.")
    error_message = "node_type must be an ElastiCache node type such as cache.m7g.large."
  }
}

variable "num_cache_clusters" {
  description = "Nodes in the replication group: one primary and replicas in other zones (cost inventory). At least 2 for Multi-AZ failover."
  type        = number
  default     = 2

  validation {
    condition     = var.num_cache_clusters >= 2 && var.num_cache_clusters <= 6
    error_message = "num_cache_clusters must be between 2 and 6 (automatic failover needs a replica)."
  }
}

variable "kms_key_arn" {
  description = "KMS key for encryption at rest and for the auth token secret."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be the ARN of a KMS key."
  }
}

variable "snapshot_retention_days" {
  description = "Days automatic snapshots are kept (0 disables them)."
  type        = number
  default     = 7

  validation {
    condition     = var.snapshot_retention_days >= 0 && var.snapshot_retention_days <= 35
    error_message = "snapshot_retention_days must be between 0 and 35."
  }
}

variable "snapshot_window" {
  description = "Daily UTC window of automatic snapshots."
  type        = string
  default     = "02:00-03:00"
}

variable "maintenance_window" {
  description = "Weekly UTC maintenance window."
  type        = string
  default     = "sun:03:30-sun:04:30"
}

variable "log_retention_days" {
  description = "Retention of the slow log in CloudWatch Logs, in days."
  type        = number
  default     = 14
}

variable "logs_kms_key_arn" {
  description = "KMS key encrypting the slow log group (its policy must allow logs.<region>.amazonaws.com). Null for CloudWatch's default encryption."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
