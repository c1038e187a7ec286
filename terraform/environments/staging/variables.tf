# Variables of the staging environment. Only the defaults differ between
# environments: staging mirrors prod's shape (Multi-AZ everywhere) at a
# smaller size, with one NAT gateway.

variable "project" {
  description = "Project name, first part of every resource name."
  type        = string
  default     = "gameday"
}

variable "environment" {
  description = "Environment name, second part of every resource name; prod turns on deletion protection."
  type        = string
  default     = "staging"

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
  default     = "10.20.0.0/16"
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
    single_nat_gateway = true
    node_groups = {
      baseline = {
        instance_types = ["m7i.large"]
        capacity_type  = "ON_DEMAND"
        min_size       = 3
        max_size       = 4
        desired_size   = 3
        disk_size_gib  = 50
      }
      spot = {
        instance_types = ["m7i.large", "m6i.large", "m6a.large"]
        capacity_type  = "SPOT"
        min_size       = 0
        max_size       = 6
        desired_size   = 2
        disk_size_gib  = 50
      }
    }
    mysql = {
      instance_class            = "db.m7g.large"
      multi_az                  = true
      allocated_storage_gib     = 50
      max_allocated_storage_gib = 100
    }
    redis = {
      node_type          = "cache.m7g.large"
      num_cache_clusters = 2
    }
    managed_prometheus = false
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
  default     = 7
}

variable "log_retention_days" {
  description = "Retention of VPC flow logs and EKS control plane logs, in days."
  type        = number
  default     = 30
}

variable "loki_retention_days" {
  description = "Days logs stay in the Loki bucket."
  type        = number
  default     = 14
}

variable "tempo_retention_days" {
  description = "Days traces stay in the Tempo bucket."
  type        = number
  default     = 7
}

variable "ecr_repositories" {
  description = "Image repositories of the environment, under <project>/<environment>/."
  type        = list(string)
  default     = ["petclinic", "harness"]
}
