variable "name" {
  description = "Name prefix for every resource of the network (usually <project>-<environment>)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name must be 2-31 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "cidr" {
  description = "IPv4 CIDR of the VPC. Subnets are carved from it: public /24s at 0-2, database /24s at 8-10, private /20s at 1-3 (of a /16)."
  type        = string
  default     = "10.0.0.0/16"

  validation {
    condition     = can(cidrhost(var.cidr, 0)) && tonumber(split("/", var.cidr)[1]) <= 16
    error_message = "cidr must be a valid IPv4 CIDR of /16 or larger."
  }
}

variable "azs" {
  description = "Availability zones to spread the subnets over, one subnet of each tier per zone."
  type        = list(string)

  validation {
    condition     = length(var.azs) >= 2 && length(var.azs) <= 4 && length(distinct(var.azs)) == length(var.azs)
    error_message = "azs must list 2 to 4 distinct availability zones (3 for production)."
  }
}

variable "single_nat_gateway" {
  description = "One NAT gateway shared by every zone (cheaper, one zone is a single point of failure for egress) instead of one per zone."
  type        = bool
  default     = false
}

variable "cluster_name" {
  description = "Name of the EKS cluster that uses these subnets; adds the kubernetes.io/cluster/<name> tag. Null to omit it."
  type        = string
  default     = null
}

variable "interface_endpoints" {
  description = "AWS services reached through interface VPC endpoints from the private subnets (the S3 gateway endpoint is always created)."
  type        = list(string)
  default     = ["ecr.api", "ecr.dkr", "sts"]
}

variable "flow_log_retention_days" {
  description = "Retention of the VPC flow logs in CloudWatch Logs, in days."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_log_retention_days)
    error_message = "flow_log_retention_days must be a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "flow_log_traffic_type" {
  description = "Traffic recorded by the VPC flow logs: ACCEPT, REJECT or ALL."
  type        = string
  default     = "ALL"

  validation {
    condition     = contains(["ACCEPT", "REJECT", "ALL"], var.flow_log_traffic_type)
    error_message = "flow_log_traffic_type must be ACCEPT, REJECT or ALL."
  }
}

variable "logs_kms_key_arn" {
  description = "KMS key encrypting the flow log group. Its key policy must allow the logs.<region>.amazonaws.com principal. Null for CloudWatch's default encryption."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
