output "table_name" {
  description = "Name of the table."
  value       = aws_dynamodb_table.this.name
}

output "table_arn" {
  description = "ARN of the table."
  value       = aws_dynamodb_table.this.arn
}

output "read_write_policy_json" {
  description = "IAM policy (JSON) reading and writing items of the table and its indexes."
  value       = data.aws_iam_policy_document.read_write.json
}
