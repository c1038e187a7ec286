output "bucket_name" {
  description = "S3 bucket of the Terraform states (backend.hcl: bucket)."
  value       = aws_s3_bucket.this.id
}

output "bucket_arn" {
  description = "ARN of the state bucket."
  value       = aws_s3_bucket.this.arn
}

output "kms_key_arn" {
  description = "KMS key encrypting the states (backend.hcl: kms_key_id)."
  value       = aws_kms_key.this.arn
}

output "lock_table_name" {
  description = "DynamoDB lock table (backend.hcl: dynamodb_table)."
  value       = module.lock_table.table_name
}
