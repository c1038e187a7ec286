package dryrun

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/gamedayhq/gameday/harness/internal/kube/kubetest"
	"github.com/gamedayhq/gameday/harness/internal/repotest"
)

// decode splits a multi-document YAML stream into objects.
func decode(t *testing.T, name string, b []byte) []*unstructured.Unstructured {
	t.Helper()
	var objs []*unstructured.Unstructured
	d := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
	for {
		var m map[string]any
		if err := d.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(m) > 0 {
			objs = append(objs, &unstructured.Unstructured{Object: m})
		}
	}
	return objs
}

func TestMonitoringObjectsApplyToARealAPIServer(t *testing.T) {
	kubetest.Need(t)
	r := repotest.Root(t)
	env, err := kubetest.StartWith(kubetest.CRDs(
		"prometheus-operator/monitoring.coreos.com_prometheusrules.yaml",
		"prometheus-operator/monitoring.coreos.com_probes.yaml",
		"external-secrets/bundle.yaml")...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.Stop() })
	c := env.Client
	t.Logf("kube-apiserver with the CRDs up in %s", env.Started.Round(time.Millisecond))

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "monitoring"}}); err != nil {
		t.Fatal(err)
	}

	var objs []*unstructured.Unstructured
	for _, k := range []string{"monitoring/grafana", "monitoring/alertmanager"} {
		// As `kubectl kustomize` does, with the kustomize API kubectl embeds:
		// no kubectl needed on the machine.
		res, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), filepath.Join(r, k))
		if err != nil {
			t.Fatalf("kustomize %s: %v", k, err)
		}
		out, err := res.AsYaml()
		if err != nil {
			t.Fatalf("kustomize %s: %v", k, err)
		}
		objs = append(objs, decode(t, k, out)...)
	}
	files, _ := filepath.Glob(filepath.Join(r, "monitoring", "prometheus", "kubernetes", "*.yaml"))
	probes, _ := filepath.Glob(filepath.Join(r, "monitoring", "prometheus", "kubernetes", "probes", "*.yaml"))
	for _, f := range append(slices.Clone(files), probes...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range decode(t, f, b) {
			o.SetNamespace("monitoring") // Argo CD's destination namespace
			objs = append(objs, o)
		}
	}
	kinds := map[string]int{}
	for _, o := range objs {
		err := c.Create(ctx, o, client.DryRunAll)
		if err != nil {
			t.Errorf("%s %s/%s: %v", o.GetKind(), o.GetNamespace(), o.GetName(), err)
			continue
		}
		kinds[o.GetKind()]++
	}
	// One ConfigMap per dashboard.
	dashboards, _ := filepath.Glob(filepath.Join(r, "monitoring", "grafana", "dashboards", "*.json"))
	want := map[string]int{"ConfigMap": len(dashboards), "Secret": 1, "ExternalSecret": 2, "PrometheusRule": len(files), "Probe": len(probes)}
	for k, n := range want {
		if kinds[k] != n {
			t.Errorf("%d %s accepted, want %d", kinds[k], k, n)
		}
	}
	t.Logf("accepted by the server (dry run): %v", kinds)
}

// The real schema rejects what promtool never sees: a PrometheusRule whose
// rule has a field of the wrong type.
func TestTheAPIServerRejectsABrokenRule(t *testing.T) {
	kubetest.Need(t)
	env, err := kubetest.StartWith(kubetest.CRDs("prometheus-operator/monitoring.coreos.com_prometheusrules.yaml")...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.Stop() })
	c := env.Client
	bad := decode(t, "bad", []byte(`apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: bad, namespace: default}
spec:
  groups:
    - name: g
      rules:
        - alert: A
          expr: up == 0
          for: [2m]
`))[0]
	err = c.Create(context.Background(), bad, client.DryRunAll)
	if err == nil || !strings.Contains(err.Error(), "spec.groups[0].rules[0].for") {
		t.Fatalf("got %v, want the server to reject spec.groups[0].rules[0].for", err)
	}
}
