package kube_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/cli"
	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/kube"
	"github.com/gamedayhq/gameday/harness/internal/kube/kubetest"
)

// kubeconfig writes a kubeconfig of cfg for the CLI.
func kubeconfig(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "kubeconfig")
	if err := kubetest.WriteKubeconfig(env.Config, "envtest-admin", p); err != nil {
		t.Fatal(err)
	}
	return p
}

// prodSafe writes a copy of experiment name marked metadata.prodSafe.
func prodSafe(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(experimentsDir + "/" + name + ".yaml")
	if err != nil {
		t.Fatal(err)
	}
	out := string(b)
	if !strings.Contains(out, "\n  prodSafe: true\n") {
		out = strings.Replace(out, "\n  labels:\n", "\n  prodSafe: true\n  labels:\n", 1)
	}
	p := filepath.Join(t.TempDir(), name+".yaml")
	if err := os.WriteFile(p, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPreflightRefusals runs `gameday run --target kubernetes` against
// clusters that must be refused, and checks the exit code and that the
// message says what to fix. Nothing is injected: no chaos object exists
// afterwards.
func TestPreflightRefusals(t *testing.T) {
	t.Parallel() // each test has its own namespace
	kubetest.Need(t)
	kc := kubeconfig(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer srv.Close()
	healthy := func(ns string) kubetest.Cluster { return petclinic(ns) }
	tests := map[string]struct {
		cluster  kubetest.Cluster
		file     string
		args     []string
		killed   bool
		wantCode int
		wantMsg  []string
	}{
		"ready replicas in one zone only": {
			cluster: kubetest.Cluster{Namespace: "one-zone", Zones: []string{"eu-west-1a"}, PerZone: 3, PDB: minAvailable(2)},
			file:    experimentsDir + "/pod-kill.yaml", wantCode: exitcode.Aborted,
			wantMsg: []string{"zones spread", "1 zone(s) (eu-west-1a=3), 2 needed", "topologySpreadConstraints"},
		},
		"a node without a zone label is no zone": {
			cluster: kubetest.Cluster{Namespace: "unzoned", Zones: []string{"eu-west-1a"}, PerZone: 3, Unzoned: 2, PDB: minAvailable(2)},
			file:    experimentsDir + "/pod-kill.yaml", wantCode: exitcode.Aborted,
			wantMsg: []string{"1 zone(s) (eu-west-1a=3), 2 needed", "2 ready pod(s) on nodes without the label topology.kubernetes.io/zone, not counted: petclinic-unzoned-0 (node node-without-zone), petclinic-unzoned-1"},
		},
		"a zone outage in two zones": {
			cluster: kubetest.Cluster{Namespace: "two-zones", Zones: []string{"eu-west-1a", "eu-west-1b"}, PerZone: 3, PDB: minAvailable(3)},
			file:    experimentsDir + "/zone-outage.yaml", wantCode: exitcode.Aborted,
			wantMsg: []string{"2 zone(s)", "3 needed", "a zone outage needs two zones left"},
		},
		"no PodDisruptionBudget": {
			cluster: kubetest.Cluster{Namespace: "no-pdb", Zones: zones, PerZone: 1},
			file:    experimentsDir + "/pod-kill.yaml", wantCode: exitcode.Aborted,
			wantMsg: []string{"no PodDisruptionBudget selects the pods of no-pdb/petclinic", "create one (e.g. minAvailable: 2)"},
		},
		"a PodDisruptionBudget too tight for the zone outage": {
			cluster: kubetest.Cluster{Namespace: "tight-pdb", Zones: zones, PerZone: 2, PDB: minAvailable(5)},
			file:    experimentsDir + "/zone-outage.yaml", wantCode: exitcode.Aborted,
			wantMsg: []string{"allows 1 disruption(s)", "the experiment plans 2", "zone-a-down: 2 of 2 matching ready pods (mode all)"},
		},
		"a namespace not in the allowlist": {
			cluster: healthy("not-allowed"), file: experimentsDir + "/pod-kill.yaml",
			args: []string{"--allow-namespace", "petclinic-*"}, wantCode: exitcode.Invalid,
			wantMsg: []string{"namespace not-allowed is not in the allowlist (allowed: petclinic-*)", "add --allow-namespace not-allowed"},
		},
		"production, experiment not prod-safe": {
			cluster: withLabels(healthy("prod-unsafe"), map[string]string{"environment": "production"}),
			file:    experimentsDir + "/pod-failure.yaml", args: []string{"--allow-prod"}, wantCode: exitcode.Invalid,
			wantMsg: []string{"labelled environment=production", "not marked prod-safe", "metadata.prodSafe: true"},
		},
		"production, prod-safe experiment without --allow-prod": {
			cluster: withLabels(healthy("prod-noflag"), map[string]string{"environment": "production"}),
			file:    "prod-safe:pod-kill", wantCode: exitcode.Invalid,
			wantMsg: []string{"is prod-safe, but production needs --allow-prod"},
		},
		"a namespace Chaos Mesh ignores (no inject annotation)": {
			cluster: withoutInject(healthy("no-inject")), file: experimentsDir + "/pod-kill.yaml", wantCode: exitcode.Invalid,
			wantMsg: []string{"namespace enabled for chaos mesh", "kubectl annotate ns no-inject chaos-mesh.org/inject=enabled", "--chaos-mesh-filter-namespace=false"},
		},
		"the kill switch engaged": {
			cluster: healthy("killed"), file: experimentsDir + "/pod-kill.yaml", killed: true, wantCode: exitcode.Aborted,
			wantMsg: []string{"kill switch released", "killed/gameday-kill-switch engaged"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			ns := tt.cluster.Namespace
			build(t, tt.cluster)
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			if tt.killed {
				if err := newEngine(t, ns).SetKillSwitch(ctx, true); err != nil {
					t.Fatal(err)
				}
			}
			file := tt.file
			if name, ok := strings.CutPrefix(file, "prod-safe:"); ok {
				file = prodSafe(t, name)
			}
			args := []string{"gameday", "run", "--target", "kubernetes", "--kubeconfig", kc, "--namespace", ns,
				"--allow-namespace", ns, "--kill-switch", ns + "/gameday-kill-switch",
				"--target-url", srv.URL, "--prometheus-url", "http://127.0.0.1:9", "--reports-dir", t.TempDir()}
			if tt.args != nil && tt.args[0] == "--allow-namespace" {
				args = slicesDelete(args, "--allow-namespace", ns)
			}
			args = append(append(args, tt.args...), file)
			var out, errOut bytes.Buffer
			err := cli.Run(ctx, args, strings.NewReader(""), &out, &errOut)
			if got := exitcode.Of(err); got != tt.wantCode {
				t.Fatalf("exit %d (%v), want %d", got, err, tt.wantCode)
			}
			t.Logf("exit %d: %v", exitcode.Of(err), err)
			for _, want := range tt.wantMsg {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error:\n%v\ndoes not say %q", err, want)
				}
			}
			left, err := kube.Items(ctx, env.Client, ns, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(left) != 0 {
				t.Errorf("%d chaos objects exist after a refusal", len(left))
			}
		})
	}
}

func withoutInject(c kubetest.Cluster) kubetest.Cluster {
	c.NoInjectAnnotation = true
	return c
}

func withLabels(c kubetest.Cluster, l map[string]string) kubetest.Cluster {
	c.NamespaceLabels = l
	return c
}

// slicesDelete removes the pair (flag, value) from args.
func slicesDelete(args []string, flag, value string) []string {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == flag && args[i+1] == value {
			return append(args[:i:i], args[i+2:]...)
		}
	}
	return args
}

// TestPreflightProdAllowed: a prod-safe experiment with --allow-prod passes
// the production check, and the report's checks say so.
func TestPreflightProdAllowed(t *testing.T) {
	t.Parallel() // each test has its own namespace
	kubetest.Need(t)
	ns := "prod-ok"
	build(t, withLabels(petclinic(ns), map[string]string{"environment": "production"}))
	x := experiment(t, "pod-kill")
	x.Metadata.ProdSafe = true
	e := newEngine(t, ns, func(c *kube.Config) { c.AllowProd = true })
	_, pf, err := e.Prepare(t.Context(), "preflight", x)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range pf.Checks {
		if c.Name == kube.CheckNotProduction && !strings.Contains(c.Detail, "prod-safe and --allow-prod was given") {
			t.Errorf("check %q: %s", c.Name, c.Detail)
		}
	}
}

// TestPreflightNoFilterNamespace: with --chaos-mesh-filter-namespace=false
// a namespace without the annotation passes the check.
func TestPreflightNoFilterNamespace(t *testing.T) {
	t.Parallel() // each test has its own namespace
	kubetest.Need(t)
	ns := "no-filter"
	build(t, withoutInject(petclinic(ns)))
	e := newEngine(t, ns, func(c *kube.Config) { c.NoFilterNamespace = true })
	_, pf, err := e.Prepare(t.Context(), "preflight", experiment(t, "pod-kill"))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range pf.Checks {
		if c.Name == kube.CheckChaosInject {
			found = c.OK && strings.Contains(c.Detail, "not checked")
		}
	}
	if !found {
		t.Errorf("checks %+v: want %q passed, not checked", pf.Checks, kube.CheckChaosInject)
	}
}
