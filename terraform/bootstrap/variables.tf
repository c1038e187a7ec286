variable "region" {
  description = "AWS region of the state bucket."
  type        = string
  default     = "eu-west-1"
}

variable "bucket_name" {
  description = "Globally unique name of the state bucket (backend.hcl: bucket)."
  type        = string
  default     = "gameday-terraform-state"
}

variable "lock_table_name" {
  description = "Name of the DynamoDB lock table (backend.hcl: dynamodb_table)."
  type        = string
  default     = "terraform-locks"
}
