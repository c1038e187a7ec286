// Package cost is gameday's FinOps model, after OpenCost: what the platform
// costs, per environment, namespace, workload and zone, how much of it is
// idle, how efficiently requests are used, what rightsizing would save, the
// month-end forecast against each environment's budget, unit economics,
// and the cost of resilience (the high-availability premium set against
// the availability actually measured) and of each game day.
//
// Every figure says where it comes from, in this order of preference:
// OpenCost's own metrics in Prometheus (on a cluster running OpenCost, and
// in the sandbox, which exports the same names); kube-state-metrics and
// cAdvisor series priced by the price catalog (package catalog); the
// terraform inventory priced by the catalog, for the managed services and
// for environments without a Prometheus; PetClinic's
// http_server_requests_seconds_count for unit economics. A price missing
// from the catalog is an error naming the item and the environment, never
// a silent $0.
package cost
