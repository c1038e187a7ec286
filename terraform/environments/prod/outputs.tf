output "cluster_name" {
  description = "EKS cluster name (aws eks update-kubeconfig --name ...)."
  value       = module.eks.cluster_name
}

output "cluster_endpoint" {
  description = "Kubernetes API endpoint (private unless eks_public_access_cidrs is set)."
  value       = module.eks.cluster_endpoint
}

output "vpc_id" {
  description = "ID of the VPC."
  value       = module.network.vpc_id
}

output "mysql_endpoint" {
  description = "PetClinic MySQL endpoint (host:port), TLS required."
  value       = module.mysql.endpoint
}

output "mysql_master_secret_arn" {
  description = "Secrets Manager secret of the MySQL master credentials (rotated by RDS)."
  value       = module.mysql.master_user_secret_arn
}

output "redis_primary_endpoint" {
  description = "Redis primary endpoint address, TLS and AUTH required."
  value       = module.redis.primary_endpoint_address
}

output "redis_auth_token_secret_arn" {
  description = "Secrets Manager secret of the Redis AUTH token."
  value       = module.redis.auth_token_secret_arn
}

output "loki_bucket_name" {
  description = "S3 bucket for Loki (Helm values)."
  value       = module.observability.loki_bucket_name
}

output "tempo_bucket_name" {
  description = "S3 bucket for Tempo (Helm values)."
  value       = module.observability.tempo_bucket_name
}

output "prometheus_remote_write_url" {
  description = "Managed Prometheus remote_write URL, or null."
  value       = module.observability.prometheus_remote_write_url
}

output "ecr_repository_urls" {
  description = "ECR repository URLs by name."
  value       = module.ecr.repository_urls
}

output "pod_identity_role_arns" {
  description = "IAM roles bound to service accounts, by name."
  value       = module.eks.pod_identity_role_arns
}

output "inventory" {
  description = "Cost-relevant inventory of this environment, for the FinOps report (terraform output -json inventory). terraform/inventory.json holds the same figures from the variable defaults."
  value = {
    environment        = var.environment
    region             = var.region
    availability_zones = length(var.azs)
    nat_gateways       = module.network.nat_gateway_count
    node_groups        = module.eks.node_groups
    mysql = {
      instance_class        = var.sizing.mysql.instance_class
      instances             = var.sizing.mysql.multi_az ? 2 : 1
      allocated_storage_gib = var.sizing.mysql.allocated_storage_gib
    }
    redis = {
      node_type = var.sizing.redis.node_type
      nodes     = var.sizing.redis.num_cache_clusters
    }
    interface_endpoints = module.network.interface_endpoint_count
    managed_prometheus  = var.sizing.managed_prometheus
  }
}
