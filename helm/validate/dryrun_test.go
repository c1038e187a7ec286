package validate

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
)

var shared struct {
	once sync.Once
	s    *APIServer
	err  error
}

// TestMain stops the API server the tests shared, if one was started.
func TestMain(m *testing.M) {
	code := m.Run()
	if cliDir != "" {
		os.RemoveAll(cliDir) // the gameday binary TestGamedayArgsAreTheCLIs built
	}
	if shared.s != nil {
		if err := shared.s.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "stop envtest: %v\n", err)
		}
	}
	os.Exit(code)
}

// startAPIServer starts envtest once for all tests; without the environment
// it skips locally and fails under CI=true (a skip would hide a broken setup).
func startAPIServer(t *testing.T) *APIServer {
	t.Helper()
	shared.once.Do(func() { shared.s, shared.err = StartAPIServer() })
	if errors.Is(shared.err, ErrNoAPIServer) && os.Getenv("CI") != "true" {
		t.Skipf("%v; skipped outside CI", shared.err)
	}
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.s
}

// The dry-run is a real check: the API server rejects what a cluster would.
func TestDryRunRejects(t *testing.T) {
	s := startAPIServer(t)
	tests := map[string]struct{ manifest, want string }{
		"an unknown field in a Deployment (strict validation)": {`
apiVersion: apps/v1
kind: Deployment
metadata: {name: x, namespace: petclinic}
spec:
  replicas: 1
  selector: {matchLabels: {app: x}}
  template:
    metadata: {labels: {app: x}}
    spec:
      containers: [{name: x, image: x, livenessProbe: {httpGet: {path: /livez, port: 8080}, periodSecond: 5}}]
`, `unknown field "spec.template.spec.containers[0].livenessProbe.periodSecond"`},
		"a selector that does not match the pods": {`
apiVersion: apps/v1
kind: Deployment
metadata: {name: x, namespace: petclinic}
spec:
  selector: {matchLabels: {app: x}}
  template:
    metadata: {labels: {app: other}}
    spec:
      containers: [{name: x, image: x}]
`, "`selector` does not match template `labels`"},
		"a ServiceMonitor field prometheus-operator does not have": {`
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: x, namespace: petclinic}
spec:
  selector: {matchLabels: {app: x}}
  attachMetadata: {nodes: true}
  endpoints: [{port: http}]
`, `unknown field "spec.attachMetadata.nodes"`},
		"an ExternalSecret store kind External Secrets does not know": {`
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: x, namespace: petclinic}
spec:
  secretStoreRef: {kind: VaultStore, name: x}
  data: [{secretKey: a, remoteRef: {key: b}}]
`, "spec.secretStoreRef.kind"},
		"an Argo CD Application without a destination": {`
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: x, namespace: argocd}
spec:
  project: default
  source: {repoURL: https://github.com/gamedayhq/gameday.git, path: helm/petclinic}
`, "spec.destination: Required value"},
		"a PodChaos action Chaos Mesh does not have": {`
apiVersion: chaos-mesh.org/v1alpha1
kind: PodChaos
metadata: {name: x, namespace: petclinic}
spec:
  action: pod-explode
  mode: one
  selector: {namespaces: [petclinic]}
`, "spec.action"},
		"a PodDisruptionBudget with two limits": {`
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: x, namespace: petclinic}
spec:
  minAvailable: 2
  maxUnavailable: 1
  selector: {matchLabels: {app: x}}
`, "minAvailable and maxUnavailable cannot be both set"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			objs, err := Decode("test.yaml", []byte(tc.manifest))
			if err != nil {
				t.Fatal(err)
			}
			errs := s.DryRun(t.Context(), objs)
			if len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.want) {
				t.Errorf("got %v, want one error containing %q", errs, tc.want)
			}
		})
	}
}

// Everything `make check-platform` validates is accepted (the same
// Collect as scripts/platform-check.sh).
func TestDryRunEverything(t *testing.T) {
	s := startAPIServer(t)
	rep, errs := Collect(root)
	for _, err := range errs {
		t.Error(err)
	}
	n := 0
	for _, g := range rep.Groups {
		for _, err := range s.DryRun(t.Context(), g.Objects) {
			t.Errorf("%s: %v", g.Name, err)
		}
		n += len(g.Objects)
	}
	t.Logf("%d objects in %d groups accepted", n, len(rep.Groups))
}
