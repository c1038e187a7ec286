output "bucket_name" {
  description = "State bucket, for backend.hcl."
  value       = module.state_backend.bucket_name
}

output "kms_key_arn" {
  description = "KMS key of the states, for backend.hcl (kms_key_id)."
  value       = module.state_backend.kms_key_arn
}

output "lock_table_name" {
  description = "Lock table, for backend.hcl (dynamodb_table)."
  value       = module.state_backend.lock_table_name
}
