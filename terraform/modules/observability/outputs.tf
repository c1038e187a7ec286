output "loki_bucket_name" {
  description = "S3 bucket of Loki's chunks and index (Helm: loki.storage.bucketNames)."
  value       = aws_s3_bucket.this["loki"].id
}

output "tempo_bucket_name" {
  description = "S3 bucket of Tempo's trace blocks (Helm: tempo.storage.trace.s3.bucket)."
  value       = aws_s3_bucket.this["tempo"].id
}

output "loki_policy_json" {
  description = "IAM policy (JSON) for Loki's service account: read/write its bucket."
  value       = data.aws_iam_policy_document.access["loki"].json
}

output "tempo_policy_json" {
  description = "IAM policy (JSON) for Tempo's service account: read/write its bucket."
  value       = data.aws_iam_policy_document.access["tempo"].json
}

output "prometheus_workspace_id" {
  description = "ID of the Managed Prometheus workspace, or null."
  value       = one(aws_prometheus_workspace.this[*].id)
}

output "prometheus_remote_write_url" {
  description = "remote_write URL of the Managed Prometheus workspace, or null."
  value       = one([for w in aws_prometheus_workspace.this : "${w.prometheus_endpoint}api/v1/remote_write"])
}

output "prometheus_policy_json" {
  description = "IAM policy (JSON) for Prometheus' service account to remote_write, or null."
  value       = one(data.aws_iam_policy_document.prometheus_remote_write[*].json)
}
