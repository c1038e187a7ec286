# terraform init -backend-config=backend.hcl
# The bucket, key and lock table come from terraform/bootstrap (module state-backend).
bucket         = "gameday-terraform-state"
key            = "environments/dev/terraform.tfstate"
region         = "eu-west-1"
encrypt        = true
kms_key_id     = "alias/terraform-state"
use_lockfile   = true
dynamodb_table = "terraform-locks"
