variable "name" {
  description = "Name of the EKS cluster and prefix of its IAM roles."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,37}$", var.name))
    error_message = "name must be 2-38 lowercase letters, digits or dashes, starting with a letter (IAM role name prefixes are limited)."
  }
}

variable "kubernetes_version" {
  description = "Kubernetes minor version of the control plane and the node groups."
  type        = string
  default     = "1.34"

  validation {
    condition     = can(regex("^1\\.[0-9]{2}$", var.kubernetes_version))
    error_message = "kubernetes_version must look like 1.34."
  }
}

variable "subnet_ids" {
  description = "Private subnets, one per availability zone, for the control plane ENIs and the nodes."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids must span at least 2 availability zones."
  }
}

variable "endpoint_public_access" {
  description = "Expose the Kubernetes API endpoint publicly as well as privately. Keep false unless public_access_cidrs restricts it."
  type        = bool
  default     = false
}

variable "public_access_cidrs" {
  description = "CIDRs allowed to reach the public API endpoint when endpoint_public_access is true. Never 0.0.0.0/0."
  type        = list(string)
  default     = []

  validation {
    condition     = !contains(var.public_access_cidrs, "0.0.0.0/0") && alltrue([for c in var.public_access_cidrs : can(cidrhost(c, 0))])
    error_message = "public_access_cidrs must be valid CIDRs and must not contain 0.0.0.0/0."
  }
}

variable "kms_key_arn" {
  description = "KMS key for the envelope encryption of Kubernetes secrets."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be the ARN of a KMS key."
  }
}

variable "cluster_log_types" {
  description = "Control plane log types sent to CloudWatch Logs."
  type        = list(string)
  default     = ["api", "audit", "authenticator", "controllerManager", "scheduler"]

  validation {
    condition     = alltrue([for t in var.cluster_log_types : contains(["api", "audit", "authenticator", "controllerManager", "scheduler"], t)])
    error_message = "cluster_log_types may only contain api, audit, authenticator, controllerManager and scheduler."
  }
}

variable "log_retention_days" {
  description = "Retention of the control plane logs, in days."
  type        = number
  default     = 90

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "logs_kms_key_arn" {
  description = "KMS key encrypting the control plane log group (its policy must allow logs.<region>.amazonaws.com). Null for CloudWatch's default encryption."
  type        = string
  default     = null
}

variable "admin_principal_arns" {
  description = "IAM roles or users given cluster-admin through EKS access entries (the creator gets nothing implicitly)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.admin_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$", a))])
    error_message = "admin_principal_arns must be IAM role or user ARNs."
  }
}

variable "node_groups" {
  description = <<-EOT
    Managed node groups, spread over every subnet. capacity_type ON_DEMAND is the baseline, SPOT the
    cheap elastic part (give several instance types). Sizes are the cost inventory: keep them here.
  EOT
  type = map(object({
    instance_types = list(string)
    capacity_type  = optional(string, "ON_DEMAND")
    min_size       = number
    max_size       = number
    desired_size   = number
    disk_size_gib  = optional(number, 50)
    labels         = optional(map(string), {})
    taints = optional(list(object({
      key    = string
      value  = optional(string)
      effect = string
    })), [])
  }))
  default = {
    baseline = {
      instance_types = ["m7i.large"]
      min_size       = 3
      max_size       = 6
      desired_size   = 3
    }
  }

  validation {
    condition     = alltrue([for g in values(var.node_groups) : contains(["ON_DEMAND", "SPOT"], g.capacity_type)])
    error_message = "capacity_type must be ON_DEMAND or SPOT."
  }

  validation {
    condition     = alltrue([for g in values(var.node_groups) : g.min_size <= g.desired_size && g.desired_size <= g.max_size && g.max_size > 0])
    error_message = "Each node group needs min_size <= desired_size <= max_size and max_size > 0."
  }

  validation {
    condition     = alltrue([for g in values(var.node_groups) : length(g.instance_types) > 0])
    error_message = "Each node group needs at least one instance type."
  }
}

variable "addons" {
  description = "EKS add-ons to install, by name; version null takes the default version for the cluster."
  type = map(object({
    version = optional(string)
  }))
  default = {
    coredns                = {}
    kube-proxy             = {}
    vpc-cni                = {}
    eks-pod-identity-agent = {}
    aws-ebs-csi-driver     = {}
  }
}

variable "enable_load_balancer_controller" {
  description = "Create the Pod Identity role of the AWS Load Balancer Controller (kube-system/aws-load-balancer-controller)."
  type        = bool
  default     = true
}

variable "pod_identities" {
  description = <<-EOT
    IAM roles bound to Kubernetes service accounts with EKS Pod Identity, by role suffix. policy_json is
    an inline policy (e.g. the observability module's loki_policy_json). Used for External Secrets,
    Loki and Tempo.
  EOT
  type = map(object({
    namespace       = string
    service_account = string
    policy_json     = string
  }))
  default = {}
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
