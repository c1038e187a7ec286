variable "name" {
  description = "Prefix of the buckets, the workspace and the policies (usually <project>-<environment>)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}$", var.name))
    error_message = "name must be 2-41 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "bucket_suffix" {
  description = "Suffix making the bucket names globally unique, e.g. the AWS account ID. Buckets are <name>-loki-<suffix> and <name>-tempo-<suffix>."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9-]{1,20}$", var.bucket_suffix))
    error_message = "bucket_suffix must be 1-20 lowercase letters, digits or dashes."
  }
}

variable "kms_key_arn" {
  description = "KMS key encrypting the buckets and the Prometheus workspace."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be the ARN of a KMS key."
  }
}

variable "loki_retention_days" {
  description = "Days log chunks stay in the Loki bucket (match Loki's retention_period)."
  type        = number
  default     = 30

  validation {
    condition     = var.loki_retention_days >= 1
    error_message = "loki_retention_days must be at least 1."
  }
}

variable "tempo_retention_days" {
  description = "Days traces stay in the Tempo bucket (match Tempo's block_retention)."
  type        = number
  default     = 14

  validation {
    condition     = var.tempo_retention_days >= 1
    error_message = "tempo_retention_days must be at least 1."
  }
}

variable "infrequent_access_after_days" {
  description = "Days after which objects move to S3 Standard-IA; null keeps them in Standard (shorter retentions)."
  type        = number
  default     = null

  validation {
    condition     = var.infrequent_access_after_days == null || try(var.infrequent_access_after_days >= 30, false)
    error_message = "infrequent_access_after_days must be null or at least 30 (an S3 minimum)."
  }
}

variable "enable_managed_prometheus" {
  description = "Create an Amazon Managed Service for Prometheus workspace for remote_write (long-term metrics)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
