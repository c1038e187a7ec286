output "kms_key_arns" {
  description = "ARNs of the KMS keys, by purpose."
  value       = { for k, key in aws_kms_key.this : k => key.arn }
}

output "kms_alias_names" {
  description = "Aliases of the KMS keys, by purpose."
  value       = { for k, a in aws_kms_alias.this : k => a.name }
}

output "secret_arns" {
  description = "ARNs of the Secrets Manager entries, by key."
  value       = { for k, s in aws_secretsmanager_secret.this : k => s.arn }
}

output "read_policy_json" {
  description = "IAM policy (JSON) reading every secret of this module, for the External Secrets pod identity."
  value       = data.aws_iam_policy_document.read.json
}
