package e2e_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/gamedayhq/gameday/harness/internal/kube/kubetest"
	"github.com/gamedayhq/gameday/harness/internal/slo"
)

// The generated PrometheusRules are accepted by a real kube-apiserver
// with the upstream prometheus-operator CRD (server-side dry run), and one
// without its expressions is refused: the schema is really checked.
func TestPrometheusRulesApplyToARealAPIServer(t *testing.T) {
	kubetest.Need(t)
	env, err := kubetest.StartWith(kubetest.CRDs("prometheus-operator/monitoring.coreos.com_prometheusrules.yaml")...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.Stop() })
	c := env.Client
	t.Logf("kube-apiserver with the PrometheusRule CRD up in %s", env.Started.Round(time.Millisecond))
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "monitoring"}}); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(root, slo.DirKube, "*.yml"))
	if len(files) != 5 {
		t.Fatalf("%d PrometheusRules in %s, want 5", len(files), slo.DirKube)
	}
	for _, f := range files {
		o := decodeOne(t, f)
		o.SetNamespace("monitoring")
		if err := c.Create(ctx, o, client.DryRunAll); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	bad := decodeOne(t, files[0])
	bad.SetNamespace("monitoring")
	groups, _, _ := unstructured.NestedSlice(bad.Object, "spec", "groups")
	rules := groups[0].(map[string]any)["rules"].([]any)
	delete(rules[0].(map[string]any), "expr")
	unstructured.SetNestedSlice(bad.Object, groups, "spec", "groups")
	if err := c.Create(ctx, bad, client.DryRunAll); err == nil || !strings.Contains(err.Error(), "expr") {
		t.Errorf("a rule without expr: got %v, want the server to refuse it", err)
	}
}

func decodeOne(t *testing.T, f string) *unstructured.Unstructured {
	t.Helper()
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096).Decode(&m); err != nil && !errors.Is(err, io.EOF) {
		t.Fatalf("%s: %v", f, err)
	}
	return &unstructured.Unstructured{Object: m}
}
