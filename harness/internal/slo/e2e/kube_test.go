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
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/gamedayhq/gameday/harness/internal/slo"
)

// The generated PrometheusRules are accepted by a real kube-apiserver
// with the upstream prometheus-operator CRD (server-side dry run), and one
// without its expressions is refused: the schema is really checked.
func TestPrometheusRulesApplyToARealAPIServer(t *testing.T) {
	var missing []string
	for _, v := range []string{"KUBEBUILDER_ASSETS", "GAMEDAY_CRDS"} {
		if os.Getenv(v) == "" {
			missing = append(missing, v)
		}
	}
	if len(missing) > 0 {
		msg := strings.Join(missing, ", ") + ` missing: eval "$(scripts/envtest.sh)"`
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t0 := time.Now()
	env := &envtest.Environment{
		CRDInstallOptions: envtest.CRDInstallOptions{Paths: []string{
			filepath.Join(os.Getenv("GAMEDAY_CRDS"), "prometheus-operator", "monitoring.coreos.com_prometheusrules.yaml"),
		}},
		ErrorIfCRDPathMissing: true,
	}
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("envtest: %v", err)
	}
	t.Cleanup(func() { env.Stop() })
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("kube-apiserver with the PrometheusRule CRD up in %s", time.Since(t0).Round(time.Millisecond))
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
