variable "repositories" {
  description = "Names of the ECR repositories (e.g. gameday/petclinic)."
  type        = list(string)

  validation {
    condition     = alltrue([for r in var.repositories : can(regex("^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$", r))])
    error_message = "repositories must be valid ECR repository names."
  }
}

variable "kms_key_arn" {
  description = "KMS key encrypting the images."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be the ARN of a KMS key."
  }
}

variable "keep_images" {
  description = "Number of images kept per repository; older ones expire (untagged ones after a day)."
  type        = number
  default     = 50

  validation {
    condition     = var.keep_images >= 1
    error_message = "keep_images must be at least 1."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
