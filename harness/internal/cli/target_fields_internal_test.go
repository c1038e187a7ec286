package cli

import (
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/gamedayhq/gameday/harness/internal/kube"
	"github.com/gamedayhq/gameday/harness/internal/spec"
	"github.com/gamedayhq/gameday/harness/internal/spec/spectest"
)

// targetValues are a value of its own for every leaf of spec.Target that
// resolveTarget translates into the run's configuration (its URLs and its
// engine). A new field has no entry here nor in targetElsewhere, and fails
// the test below.
var targetValues = map[string]any{
	"kind":                  spec.TargetKubernetes,
	"kubernetes.namespace":  "gd-namespace",
	"kubernetes.deployment": "gd-deployment",
	"kubernetes.selector":   map[string]string{"app": "gd-selector"},
	"kubernetes.url":        "http://gd-url.example:8080",
	"prometheusURL":         "http://gd-prometheus.example:9090",
	"lokiURL":               "http://gd-loki.example:3100",
}

// targetElsewhere are the leaves another part of the runtime reads, and
// where it is proven.
var targetElsewhere = map[string]string{
	"sandbox.replicas": "the sandbox engine's preflight refuses another count (sandbox/chaos TestEngine)",
	"sandbox.zones":    "the sandbox engine's preflight refuses other zones (sandbox/chaos TestEngine)",
}

// TestEveryTargetFieldReachesTheRunConfig sets each leaf of an
// experiment's target in turn and looks for it in what resolveTarget
// gives the runner: the URLs, the engine's name and, on Kubernetes, the
// engine's namespace, Deployment and selector. The cluster is not
// reached: building the engine does not connect.
func TestEveryTargetFieldReachesTheRunConfig(t *testing.T) {
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`), 0o600); err != nil {
		t.Fatal(err)
	}
	fields := spectest.Fields(reflect.TypeFor[spec.Target]())
	if len(fields) < 9 {
		t.Fatalf("got %d leaves of spec.Target: the walk lost its way", len(fields))
	}
	for _, f := range fields {
		if _, ok := targetElsewhere[f.Path]; ok {
			continue
		}
		t.Run(f.Path, func(t *testing.T) {
			v, ok := targetValues[f.Path]
			if !ok {
				t.Fatalf("target field %s has no value in targetValues (nor a reason in targetElsewhere): add one, and make it reach the run", f.Path)
			}
			// A kubernetes target, so that nothing needs a running sandbox;
			// for kind, the file's kind is left empty and v sets it.
			tg := &spec.Target{Kind: spec.TargetKubernetes, Kubernetes: &spec.KubernetesTarget{URL: "http://base.example"}}
			if f.Path == "kind" {
				tg.Kind = ""
			}
			f.Set(tg, v)
			e := &spec.Experiment{Metadata: spec.Metadata{Name: "gd"}, Spec: spec.ExperimentSpec{Target: tg,
				Hypothesis: spec.Hypothesis{Probes: []spec.Probe{{Name: "front-door", Type: spec.ProbeHTTP, HTTP: &spec.HTTPProbe{Path: "/"}}}}}}
			rc, err := runOptions{Kube: kubeOptions{Kubeconfig: kubeconfig}}.resolveTarget(t.Context(), e, io.Discard)
			if err != nil {
				t.Fatalf("resolveTarget with %s = %v: %v", f.Path, v, err)
			}
			en, ok := rc.Engine.(*kube.Engine)
			if !ok {
				t.Fatalf("got engine %T, want the kubernetes engine", rc.Engine)
			}
			kc := en.Config()
			run := struct {
				TargetURL, PrometheusURL, LokiURL, Engine, Namespace, Deployment string
				Selector                                                         map[string]string
			}{rc.TargetURL, rc.PrometheusURL, rc.LokiURL, en.Name(), kc.Namespace, kc.Deployment, kc.Selector}
			have := spectest.Scalars(reflect.ValueOf(run))
			for _, w := range spectest.Scalars(reflect.ValueOf(v)) {
				if !spectest.Found(have, w) {
					t.Errorf("target.%s = %v does not reach the run's configuration %+v", f.Path, w, run)
				}
			}
		})
	}
}
