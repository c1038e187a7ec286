# Variables of the prod environment. Only the defaults differ between
# environments: prod has a NAT gateway per zone, an on-demand baseline of one
# node per zone, Multi-AZ MySQL and three Redis nodes, deletion protection.

variable "project" {
  description = "Project name, first part of every resource name."
  type        = string
  default     = "gameday"
}

variable "environment" {
  description = "Environment name, second part of every resource name; prod turns on deletion protection."
  type        = string
  default     = "prod"

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be dev, staging or prod."
  }
}

variable "region" {
  description = "AWS region of the environment."
  type        = string
  default     = "eu-west-1"
}

variable "allowed_account_ids" {
  description = "AWS account IDs Terraform may touch; an empty list allows any (set it in CI)."
  type        = list(string)
  default     = []
}

variable "azs" {
  description = "Availability zones of the environment (three: the platform is multi-AZ)."
  type        = list(string)
  default     = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
}

variable "vpc_cidr" {
  description = "IPv4 CIDR of the VPC; distinct per environment so that they can be peered."
  type        = string
  default     = "10.30.0.0/16"
}

variable "kubernetes_version" {
  description = "Kubernetes minor version of the EKS cluster."
  type        = string
  default     = "1.34"
}

variable "eks_public_access_cidrs" {
  description = "CIDRs allowed to reach the public Kubernetes API endpoint; empty keeps the endpoint private only."
  type        = list(string)
  default     = []
}

variable "eks_admin_principal_arns" {
  description = "IAM roles (e.g. the SSO platform-admin role, the CI deploy role) given cluster-admin on the EKS cluster."
  type        = list(string)
  default     = []
}

variable "sizing" {
  description = <<-EOT
    Cost-relevant inventory of the environment: every instance type and count lives here and nowhere
    else. terraform/inventory.json is generated from these defaults for the FinOps report and
    scripts/terraform-check.sh fails when the two differ.
  EOT
  type = object({
    single_nat_gateway = bool
    node_groups = map(object({
      instance_types = list(string)
      capacity_type  = string
      min_size       = number
      max_size       = number
      desired_size   = number
      disk_size_gib  = number
    }))
    mysql = object({
      instance_class            = string
      multi_az                  = bool
      allocated_storage_gib     = number
      max_allocated_storage_gib = number
    })
    redis = object({
      node_type          = string
      num_cache_clusters = number
    })
    managed_prometheus = bool
  })
  default = {
    single_nat_gateway = false
    node_groups = {
      baseline = {
        instance_types = ["m7i.xlarge"]
        capacity_type  = "ON_DEMAND"
        min_size       = 3
        max_size       = 9
        desired_size   = 3
        disk_size_gib  = 100
      }
      spot = {
        instance_types = ["m7i.xlarge", "m6i.xlarge", "m6a.xlarge", "m7a.xlarge"]
        capacity_type  = "SPOT"
        min_size       = 0
        max_size       = 12
        desired_size   = 3
        disk_size_gib  = 100
      }
    }
    mysql = {
      instance_class            = "db.r7g.large"
      multi_az                  = true
      allocated_storage_gib     = 100
      max_allocated_storage_gib = 500
    }
    redis = {
      node_type          = "cache.r7g.large"
      num_cache_clusters = 3
    }
    managed_prometheus = true
  }

  validation {
    condition     = alltrue([for g in values(var.sizing.node_groups) : g.min_size <= g.desired_size && g.desired_size <= g.max_size])
    error_message = "Each node group needs min_size <= desired_size <= max_size."
  }

  validation {
    condition     = var.sizing.redis.num_cache_clusters >= 2
    error_message = "Redis needs at least 2 nodes for Multi-AZ automatic failover."
  }
}

variable "backup_retention_days" {
  description = "Days of automated MySQL backups and Redis snapshots."
  type        = number
  default     = 14
}

variable "log_retention_days" {
  description = "Retention of VPC flow logs and EKS control plane logs, in days."
  type        = number
  default     = 90
}

variable "loki_retention_days" {
  description = "Days logs stay in the Loki bucket."
  type        = number
  default     = 30
}

variable "tempo_retention_days" {
  description = "Days traces stay in the Tempo bucket."
  type        = number
  default     = 14
}

variable "ecr_repositories" {
  description = "Image repositories of the environment, under <project>/<environment>/."
  type        = list(string)
  default     = ["petclinic", "harness"]
}
