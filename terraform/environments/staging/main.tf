# The platform of one environment. main.tf, outputs.tf and versions.tf are the
# same in every environment (scripts/terraform-check.sh enforces it); sizes
# and names differ in variables.tf only.

provider "aws" {
  region              = var.region
  allowed_account_ids = length(var.allowed_account_ids) > 0 ? var.allowed_account_ids : null

  default_tags {
    tags = local.tags
  }
}

data "aws_caller_identity" "current" {}

locals {
  name = "${var.project}-${var.environment}"

  tags = {
    Project     = var.project
    Environment = var.environment
    ManagedBy   = "terraform"
    Repository  = "gameday/terraform/environments/${var.environment}"
  }

  protect = var.environment == "prod"
}

module "secrets" {
  source = "../../modules/secrets"

  name = local.name
  kms_keys = {
    eks     = { description = "EKS envelope encryption of Kubernetes secrets" }
    data    = { description = "RDS, ElastiCache and their Secrets Manager entries" }
    storage = { description = "S3 buckets (Loki, Tempo) and ECR repositories" }
    logs    = { description = "CloudWatch log groups", allow_cloudwatch_logs = true }
  }
  secrets = {
    "grafana/admin"           = { description = "Grafana admin user and password" }
    "harness/notifications"   = { description = "Slack incoming-webhook URL (slack-webhook-url) the gameday chart notifies verdicts to" }
    "harness/git-credentials" = { description = "Username and token with which gameday publishes reports to the GitOps reports repository (gameday run --publish)" }
  }
  recovery_window_in_days = local.protect ? 30 : 7

  tags = local.tags
}

module "network" {
  source = "../../modules/network"

  name                    = local.name
  cidr                    = var.vpc_cidr
  azs                     = var.azs
  single_nat_gateway      = var.sizing.single_nat_gateway
  cluster_name            = local.name
  logs_kms_key_arn        = module.secrets.kms_key_arns["logs"]
  flow_log_retention_days = var.log_retention_days

  tags = local.tags
}

module "eks" {
  source = "../../modules/eks"

  name                   = local.name
  kubernetes_version     = var.kubernetes_version
  subnet_ids             = module.network.private_subnet_ids
  endpoint_public_access = length(var.eks_public_access_cidrs) > 0
  public_access_cidrs    = var.eks_public_access_cidrs
  admin_principal_arns   = var.eks_admin_principal_arns
  kms_key_arn            = module.secrets.kms_key_arns["eks"]
  logs_kms_key_arn       = module.secrets.kms_key_arns["logs"]
  log_retention_days     = var.log_retention_days
  node_groups            = var.sizing.node_groups

  pod_identities = merge({
    external-secrets = {
      namespace       = "external-secrets"
      service_account = "external-secrets"
      policy_json     = data.aws_iam_policy_document.external_secrets.json
    }
    loki = {
      namespace       = "monitoring"
      service_account = "loki"
      policy_json     = module.observability.loki_policy_json
    }
    tempo = {
      namespace       = "monitoring"
      service_account = "tempo"
      policy_json     = module.observability.tempo_policy_json
    }
    }, var.sizing.managed_prometheus ? {
    prometheus = {
      namespace       = "monitoring"
      service_account = "prometheus"
      policy_json     = module.observability.prometheus_policy_json
    }
  } : {})

  tags = local.tags
}

# External Secrets reads our entries, the RDS-managed master secret and the
# Redis auth token.
data "aws_iam_policy_document" "external_secrets" {
  source_policy_documents = [module.secrets.read_policy_json]

  statement {
    sid       = "ReadServiceSecrets"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = [module.mysql.master_user_secret_arn, module.redis.auth_token_secret_arn]
  }

  statement {
    sid       = "DecryptServiceSecrets"
    actions   = ["kms:Decrypt"]
    resources = [module.secrets.kms_key_arns["data"]]
  }
}

module "mysql" {
  source = "../../modules/mysql"

  name                       = "${local.name}-petclinic"
  vpc_id                     = module.network.vpc_id
  subnet_ids                 = module.network.database_subnet_ids
  allowed_security_group_ids = [module.eks.cluster_security_group_id]
  kms_key_arn                = module.secrets.kms_key_arns["data"]
  instance_class             = var.sizing.mysql.instance_class
  multi_az                   = var.sizing.mysql.multi_az
  allocated_storage_gib      = var.sizing.mysql.allocated_storage_gib
  max_allocated_storage_gib  = var.sizing.mysql.max_allocated_storage_gib
  backup_retention_days      = var.backup_retention_days
  deletion_protection        = local.protect

  tags = local.tags
}

module "redis" {
  source = "../../modules/redis"

  name                       = "${local.name}-cache"
  vpc_id                     = module.network.vpc_id
  subnet_ids                 = module.network.database_subnet_ids
  allowed_security_group_ids = [module.eks.cluster_security_group_id]
  kms_key_arn                = module.secrets.kms_key_arns["data"]
  logs_kms_key_arn           = module.secrets.kms_key_arns["logs"]
  node_type                  = var.sizing.redis.node_type
  num_cache_clusters         = var.sizing.redis.num_cache_clusters
  snapshot_retention_days    = var.backup_retention_days

  tags = local.tags
}

module "observability" {
  source = "../../modules/observability"

  name                      = local.name
  bucket_suffix             = data.aws_caller_identity.current.account_id
  kms_key_arn               = module.secrets.kms_key_arns["storage"]
  loki_retention_days       = var.loki_retention_days
  tempo_retention_days      = var.tempo_retention_days
  enable_managed_prometheus = var.sizing.managed_prometheus

  tags = local.tags
}

module "ecr" {
  source = "../../modules/ecr"

  repositories = [for r in var.ecr_repositories : "${var.project}/${var.environment}/${r}"]
  kms_key_arn  = module.secrets.kms_key_arns["storage"]

  tags = local.tags
}
