variable "name" {
  description = "Name prefix of the KMS aliases and secrets (usually <project>-<environment>)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name must be 2-31 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "kms_keys" {
  description = <<-EOT
    Customer managed KMS keys to create, by purpose (alias/<name>/<purpose>). allow_cloudwatch_logs lets
    CloudWatch Logs of this account and region encrypt log groups with the key; IAM principals of the
    account are governed by IAM policies.
  EOT
  type = map(object({
    description           = string
    allow_cloudwatch_logs = optional(bool, false)
  }))
  default = {
    eks     = { description = "EKS envelope encryption of Kubernetes secrets" }
    data    = { description = "RDS, ElastiCache and their Secrets Manager entries" }
    storage = { description = "S3 buckets and ECR repositories" }
  }

  validation {
    condition     = alltrue([for k in keys(var.kms_keys) : can(regex("^[a-z][a-z0-9-]*$", k))])
    error_message = "kms_keys keys must be lowercase letters, digits or dashes."
  }
}

variable "deletion_window_in_days" {
  description = "Waiting period before a deleted KMS key is destroyed, in days (7-30)."
  type        = number
  default     = 30

  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30
    error_message = "deletion_window_in_days must be between 7 and 30."
  }
}

variable "secrets" {
  description = <<-EOT
    Secrets Manager entries to create WITHOUT a value, by name (<name>/<key>): values are written by
    operators or rotation, never by Terraform, so they never reach the state. kms_key names one of
    kms_keys.
  EOT
  type = map(object({
    description = string
    kms_key     = optional(string, "data")
  }))
  default = {}
}

variable "recovery_window_in_days" {
  description = "Days a deleted secret can still be restored (0 deletes at once; 7-30 otherwise)."
  type        = number
  default     = 30

  validation {
    condition     = var.recovery_window_in_days == 0 || (var.recovery_window_in_days >= 7 && var.recovery_window_in_days <= 30)
    error_message = "recovery_window_in_days must be 0 or between 7 and 30."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
