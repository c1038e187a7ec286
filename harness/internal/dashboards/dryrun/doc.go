// Package dryrun applies the Kubernetes objects of monitoring/ (the
// PrometheusRules and the Probe of monitoring/prometheus/kubernetes, the dashboards'
// ConfigMaps and the Alertmanager Secret rendered by kubectl kustomize, the
// ExternalSecrets) with a server-side dry run to a real kube-apiserver
// (envtest, scripts/envtest.sh) that has the upstream prometheus-operator and
// External Secrets CRDs installed: the schemas of the real API decide. The
// package has no code, only that test.
package dryrun
