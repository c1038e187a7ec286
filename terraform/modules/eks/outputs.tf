output "cluster_name" {
  description = "Name of the EKS cluster."
  value       = aws_eks_cluster.this.name
}

output "cluster_arn" {
  description = "ARN of the EKS cluster."
  value       = aws_eks_cluster.this.arn
}

output "cluster_endpoint" {
  description = "Endpoint of the Kubernetes API."
  value       = aws_eks_cluster.this.endpoint
}

output "cluster_certificate_authority_data" {
  description = "Base64 CA certificate of the Kubernetes API, for kubeconfigs."
  value       = aws_eks_cluster.this.certificate_authority[0].data
}

output "cluster_version" {
  description = "Kubernetes version of the control plane."
  value       = aws_eks_cluster.this.version
}

output "cluster_security_group_id" {
  description = "Security group EKS created for the control plane and the managed nodes: allow it on databases and caches."
  value       = aws_eks_cluster.this.vpc_config[0].cluster_security_group_id
}

output "node_role_arn" {
  description = "IAM role of the managed nodes."
  value       = aws_iam_role.node.arn
}

output "node_groups" {
  description = "Node groups with their capacity type, instance types and sizes (cost inventory)."
  value = {
    for k, g in var.node_groups : k => {
      capacity_type  = g.capacity_type
      instance_types = g.instance_types
      min_size       = g.min_size
      max_size       = g.max_size
      desired_size   = g.desired_size
      disk_size_gib  = g.disk_size_gib
    }
  }
}

output "pod_identity_role_arns" {
  description = "IAM roles bound to service accounts with Pod Identity, by name."
  value       = { for k, r in aws_iam_role.pod_identity : k => r.arn }
}
