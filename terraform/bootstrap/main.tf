# Applied once per account, before any environment: the S3 bucket, KMS key
# and lock table that every environment's backend.hcl points at.

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project   = "gameday"
      ManagedBy = "terraform"
      Component = "terraform-state"
    }
  }
}

module "state_backend" {
  source = "../modules/state-backend"

  bucket_name     = var.bucket_name
  lock_table_name = var.lock_table_name
}
