terraform {
  required_version = ">= 1.11.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "6.25.0"
    }
  }

  # Local state on purpose: this creates the remote state backend. Keep the
  # terraform.tfstate it writes (or migrate it into the bucket afterwards).
}
