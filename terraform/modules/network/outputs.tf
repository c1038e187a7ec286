output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr_block" {
  description = "IPv4 CIDR of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "azs" {
  description = "Availability zones the subnets are spread over."
  value       = var.azs
}

output "public_subnet_ids" {
  description = "IDs of the public subnets (load balancers, NAT gateways), in the order of var.azs."
  value       = [for az in var.azs : aws_subnet.public[az].id]
}

output "private_subnet_ids" {
  description = "IDs of the private subnets (EKS nodes and pods, interface endpoints), in the order of var.azs."
  value       = [for az in var.azs : aws_subnet.private[az].id]
}

output "database_subnet_ids" {
  description = "IDs of the database subnets (RDS, ElastiCache; no route out of the VPC), in the order of var.azs."
  value       = [for az in var.azs : aws_subnet.database[az].id]
}

output "nat_gateway_count" {
  description = "Number of NAT gateways (cost inventory)."
  value       = length(aws_nat_gateway.this)
}

output "nat_public_ips" {
  description = "Public IPs of the NAT gateways, to allow-list egress at third parties."
  value       = [for eip in aws_eip.nat : eip.public_ip]
}

output "endpoints_security_group_id" {
  description = "Security group of the interface VPC endpoints."
  value       = aws_security_group.endpoints.id
}

output "flow_log_group_name" {
  description = "CloudWatch log group holding the VPC flow logs."
  value       = aws_cloudwatch_log_group.flow_logs.name
}

output "interface_endpoint_count" {
  description = "Interface VPC endpoint ENIs, one per service and zone (cost inventory)."
  value       = length(var.interface_endpoints) * length(var.azs)
}
