output "repository_urls" {
  description = "Repository URLs by name, for image references and docker push."
  value       = { for k, r in aws_ecr_repository.this : k => r.repository_url }
}

output "repository_arns" {
  description = "Repository ARNs by name, for CI push policies."
  value       = { for k, r in aws_ecr_repository.this : k => r.arn }
}
