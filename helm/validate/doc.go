// Package validate checks the platform's Kubernetes manifests with the real
// tools: the Helm charts in helm/ are linted and rendered with helm as a
// library (helm.sh/helm/v3), and every rendered object, every Argo CD
// manifest in argocd/ and the PrometheusRules in monitoring/ are created with
// server-side dry-run (DryRunAll, strict field validation) on a real
// kube-apiserver (controller-runtime envtest) that has the upstream CRDs of
// prometheus-operator, External Secrets, Argo CD and Chaos Mesh installed.
//
// scripts/platform-check.sh runs it through cmd/platformcheck; the tests of
// this module assert what the charts must guarantee (zone spread, budgets,
// probes, limits, a restricted securityContext, RBAC equal to the harness's).
package validate
