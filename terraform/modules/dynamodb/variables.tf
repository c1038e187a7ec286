variable "name" {
  description = "Name of the table."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_.-]{3,255}$", var.name))
    error_message = "name must be 3-255 letters, digits, underscores, dots or dashes."
  }
}

variable "hash_key" {
  description = "Partition key attribute name."
  type        = string

  validation {
    condition     = length(var.hash_key) > 0
    error_message = "hash_key must not be empty."
  }
}

variable "range_key" {
  description = "Sort key attribute name; null for a table without one."
  type        = string
  default     = null
}

variable "attributes" {
  description = "Types of the key attributes (table and indexes): name => S, N or B."
  type        = map(string)

  validation {
    condition     = alltrue([for t in values(var.attributes) : contains(["S", "N", "B"], t)])
    error_message = "attribute types must be S, N or B."
  }
}

variable "global_secondary_indexes" {
  description = "Global secondary indexes by name; they share the on-demand billing of the table."
  type = map(object({
    hash_key        = string
    range_key       = optional(string)
    projection_type = optional(string, "ALL")
  }))
  default = {}
}

variable "ttl_attribute" {
  description = "Attribute holding the expiry time (epoch seconds); null disables TTL."
  type        = string
  default     = null
}

variable "kms_key_arn" {
  description = "Customer managed KMS key encrypting the table; null uses the AWS owned key (tflint/trivy will ask why)."
  type        = string
  default     = null
}

variable "point_in_time_recovery" {
  description = "Continuous backups restorable to any second of the last 35 days."
  type        = bool
  default     = true
}

variable "deletion_protection" {
  description = "Refuse deletion of the table."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
