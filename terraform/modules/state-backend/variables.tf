variable "bucket_name" {
  description = "Name of the S3 bucket holding the Terraform states (globally unique)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be a valid S3 bucket name."
  }
}

variable "lock_table_name" {
  description = "Name of the DynamoDB table for state locks (for Terraform < 1.10 or backends still using dynamodb_table)."
  type        = string
  default     = "terraform-locks"
}

variable "noncurrent_version_retention_days" {
  description = "Days old state versions are kept before expiry."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_version_retention_days >= 1
    error_message = "noncurrent_version_retention_days must be at least 1."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
