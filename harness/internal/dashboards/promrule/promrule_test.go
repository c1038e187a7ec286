package promrule

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/gamedayhq/gameday/harness/internal/repotest"
)

var update = flag.Bool("update", false, "rewrite monitoring/prometheus/kubernetes/ from the rule files")

// The hand-written rule files of monitoring/prometheus/rules (not _gen/:
// the SLO generator writes its own objects into kubernetes/_gen/) each have
// their PrometheusRule in monitoring/prometheus/kubernetes, up to date, and
// nothing else is there.
func TestPrometheusRulesInSync(t *testing.T) {
	r := repotest.Root(t)
	rules, _ := filepath.Glob(filepath.Join(r, "monitoring", "prometheus", "rules", "*.yml"))
	if len(rules) == 0 {
		t.Fatal("no rule file in monitoring/prometheus/rules")
	}
	outDir := filepath.Join(r, "monitoring", "prometheus", "kubernetes")
	var want []string
	for _, f := range rules {
		rel, _ := filepath.Rel(r, f)
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		obj, err := Object(rel, src)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(filepath.Base(f), filepath.Ext(f)) + ".yaml"
		want = append(want, name)
		path := filepath.Join(outDir, name)
		if *update {
			if err := os.WriteFile(path, obj, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%s: %v (run: cd harness && go test ./internal/dashboards/promrule -update)", rel, err)
			continue
		}
		if !bytes.Equal(got, obj) {
			t.Errorf("monitoring/prometheus/kubernetes/%s is out of date with %s (run: cd harness && go test ./internal/dashboards/promrule -update)", name, rel)
		}
	}
	have, _ := filepath.Glob(filepath.Join(outDir, "*.yaml"))
	for _, h := range have {
		if !slices.Contains(want, filepath.Base(h)) {
			if *update {
				os.Remove(h)
				continue
			}
			t.Errorf("monitoring/prometheus/kubernetes/%s has no rule file in monitoring/prometheus/rules", filepath.Base(h))
		}
	}
}

// An object decodes as a PrometheusRule, and its spec holds exactly the
// groups of the rule file.
func TestPrometheusRulesRoundTrip(t *testing.T) {
	r := repotest.Root(t)
	rules, _ := filepath.Glob(filepath.Join(r, "monitoring", "prometheus", "rules", "*.yml"))
	for _, f := range rules {
		src, _ := os.ReadFile(f)
		obj, err := Object(filepath.Base(f), src)
		if err != nil {
			t.Fatal(err)
		}
		var o struct {
			APIVersion string `yaml:"apiVersion"`
			Kind       string `yaml:"kind"`
			Metadata   struct {
				Name   string            `yaml:"name"`
				Labels map[string]string `yaml:"labels"`
			} `yaml:"metadata"`
			Spec struct {
				Groups []map[string]any `yaml:"groups"`
			} `yaml:"spec"`
		}
		if err := yaml.UnmarshalWithOptions(obj, &o, yaml.Strict()); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if o.APIVersion != "monitoring.coreos.com/v1" || o.Kind != "PrometheusRule" || o.Metadata.Name != Name(f) ||
			o.Metadata.Labels["gameday.dev/rules"] != "true" || len(o.Spec.Groups) == 0 {
			t.Errorf("%s: got %s/%s %s labels %v with %d groups", f, o.APIVersion, o.Kind, o.Metadata.Name, o.Metadata.Labels, len(o.Spec.Groups))
		}
		spec, err := Spec(obj)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if same, err := Same(f, src, spec); err != nil || !same {
			t.Errorf("%s: spec differs from the rule file (err %v)", f, err)
		}
	}
}

func TestObjectBadInput(t *testing.T) {
	tests := map[string]struct {
		src, err string
	}{
		"bad PromQL": {src: "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: sum(rate(x[5m])\n",
			err: "x.yml: 5:15: group \"g\", rule 1, \"A\": could not parse expression"},
		"unknown field": {src: "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n        severity: page\n",
			err: "x.yml: yaml: unmarshal errors:\n  line 6: field severity not found"},
		"no group":          {src: "groups: []\n", err: "x.yml: no rule group"},
		"indented document": {src: "# c\n  groups:\n  - name: g\n    rules:\n      - record: r\n        expr: up\n", err: "x.yml: "},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Object("x.yml", []byte(tc.src))
			if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
				t.Fatalf("got %v, want an error starting %q", err, tc.err)
			}
		})
	}
}

func FuzzObject(f *testing.F) {
	f.Add("groups:\n  - name: g\n    rules:\n      - record: r\n        expr: up\n")
	f.Add("# head\ngroups:\n  - name: g\n    rules:\n      - alert: A\n        expr: |\n          up\n          == 0\n        for: 1m\n")
	f.Fuzz(func(t *testing.T, src string) {
		obj, err := Object("f.yml", []byte(src))
		if err != nil {
			return
		}
		spec, err := Spec(obj)
		if err != nil {
			t.Fatalf("Spec of a generated object: %v", err)
		}
		if same, err := Same("f.yml", []byte(src), spec); err != nil || !same {
			t.Fatalf("round trip changed the groups of %q (err %v)", src, err)
		}
	})
}
