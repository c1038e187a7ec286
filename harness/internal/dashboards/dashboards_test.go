package dashboards

import (
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/gamedayhq/gameday/harness/internal/repotest"
)

func loadAll(t testing.TB) []*Dashboard {
	t.Helper()
	ds, err := Load(filepath.Join(repotest.Root(t), "monitoring", "grafana", "dashboards"))
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func TestDashboardsQueriesParse(t *testing.T) {
	n := map[string]int{}
	for _, d := range loadAll(t) {
		qs, err := d.Queries()
		if err != nil {
			t.Error(err)
		}
		vals := d.Values(nil)
		for _, q := range qs {
			n[q.Lang]++
			if _, err := Parse(q, vals); err != nil {
				t.Error(err)
			}
		}
	}
	if n[PromQL] == 0 {
		t.Fatal("no PromQL query found: is the loader broken?")
	}
	if n[LogQL] == 0 {
		t.Fatal("no LogQL query found: is the loader broken?")
	}
	t.Logf("parsed %d PromQL queries and %d LogQL queries", n[PromQL], n[LogQL])
}

// Every dashboard picks its data sources through variables, panel ids and
// uids are unique, and the Loki variable exists where a logs panel is.
func TestDashboardsStructure(t *testing.T) {
	uids := map[string]string{}
	for _, d := range loadAll(t) {
		if other, ok := uids[d.UID]; ok {
			t.Errorf("%s: uid %q already used by %s", d.File, d.UID, other)
		}
		uids[d.UID] = d.File
		vars := map[string]Variable{}
		for _, v := range d.Templating.List {
			vars[v.Name] = v
		}
		if v, ok := vars[VarPrometheus]; !ok || v.Type != "datasource" || string(v.Query) != `"prometheus"` {
			t.Errorf("%s: want a variable %q of type datasource, query prometheus", d.File, VarPrometheus)
		}
		qs, _ := d.Queries()
		logs := slices.ContainsFunc(qs, func(q Query) bool { return q.Lang == LogQL })
		if v, ok := vars[VarLoki]; logs && (!ok || v.Type != "datasource" || string(v.Query) != `"loki"`) {
			t.Errorf("%s: has LogQL panels: want a variable %q of type datasource, query loki", d.File, VarLoki)
		}
		ids := map[int]bool{}
		var walk func([]Panel)
		walk = func(ps []Panel) {
			for _, p := range ps {
				if ids[p.ID] {
					t.Errorf("%s: panel id %d used twice (%q)", d.File, p.ID, p.Title)
				}
				ids[p.ID] = true
				if p.Type != "row" && p.Title == "" {
					t.Errorf("%s: panel %d has no title", d.File, p.ID)
				}
				walk(p.Panels)
			}
		}
		walk(d.Panels)
	}
}

// Every dashboard JSON is in the kustomization's configMapGenerator, and
// nothing else is.
func TestDashboardsInKustomization(t *testing.T) {
	dir := filepath.Join(repotest.Root(t), "monitoring", "grafana")
	b, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		GeneratorOptions struct {
			Labels map[string]string `yaml:"labels"`
		} `yaml:"generatorOptions"`
		ConfigMapGenerator []struct {
			Name  string   `yaml:"name"`
			Files []string `yaml:"files"`
		} `yaml:"configMapGenerator"`
	}
	if err := yaml.Unmarshal(b, &k); err != nil {
		t.Fatal(err)
	}
	if got := k.GeneratorOptions.Labels["grafana_dashboard"]; got != "1" {
		t.Errorf("generatorOptions.labels.grafana_dashboard = %q, want \"1\" (the sidecar's label)", got)
	}
	var listed []string
	for _, g := range k.ConfigMapGenerator {
		if len(g.Files) != 1 {
			t.Errorf("configMapGenerator %s: %d files, want one dashboard per ConfigMap", g.Name, len(g.Files))
		}
		listed = append(listed, g.Files...)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "dashboards", "*.json"))
	var want []string
	for _, f := range files {
		want = append(want, "dashboards/"+filepath.Base(f))
	}
	sort.Strings(listed)
	if !slices.Equal(listed, want) {
		t.Errorf("kustomization lists %v, dashboards/ holds %v", listed, want)
	}
}

func TestResolve(t *testing.T) {
	vals := map[string]string{"zone": "zone-a", "__rate_interval": "1m", "ns": ".*"}
	tests := map[string]struct {
		in, want, err string
	}{
		"dollar name":         {in: `rate(x{zone=~"$zone"}[$__rate_interval])`, want: `rate(x{zone=~"zone-a"}[1m])`},
		"braces with format":  {in: `x{zone=~"${zone:regex}", ns=~"${ns}"}`, want: `x{zone=~"zone-a", ns=~".*"}`},
		"double brackets":     {in: `x{zone="[[zone]]"}`, want: `x{zone="zone-a"}`},
		"no variable":         {in: `up`, want: `up`},
		"a typo is an error":  {in: `x{zone=~"$zon"}`, err: "unknown variable $zon"},
		"every typo is named": {in: `x{a="$a", b="${b}"}`, err: "unknown variable $a, $b"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := Resolve(tc.in, vals)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("got error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestVariablePromQL(t *testing.T) {
	tests := map[string]struct {
		in, want, err string
	}{
		"label_values of a selector": {in: `label_values(up{job="petclinic"}, zone)`, want: `up{job="petclinic"}`},
		"selector with a comma":      {in: `label_values(up{job="a", ns="b"}, zone)`, want: `up{job="a", ns="b"}`},
		"query_result":               {in: `query_result(sum by (zone) (up))`, want: `sum by (zone) (up)`},
		"label_values of a label":    {in: `label_values(zone)`, err: "label_values(zone): name a selector"},
		"not a variable function":    {in: `up`, err: `variable query "up": want label_values`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := variablePromQL(tc.in)
			if tc.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
					t.Fatalf("got error %v, want prefix %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// Bad dashboards are reported with the file, the JSON path and why.
func TestDashboardsBadInput(t *testing.T) {
	tests := map[string]struct {
		json string
		err  string
	}{
		"invalid JSON": {json: "{\n  \"uid\": \"x\",\n  \"title\": \n}", err: "bad.json: 4:1: invalid character '}'"},
		"no uid":       {json: `{"title": "x"}`, err: "bad.json: uid and title are required"},
		"fixed datasource uid": {json: `{"uid": "x", "title": "x", "panels": [{"id": 1, "title": "p", "type": "timeseries",
			"datasource": {"type": "prometheus", "uid": "P1809F7CD0C75ACF3"}, "targets": [{"refId": "A", "expr": "up"}]}]}`,
			err: "bad.json: panels[0].targets[0].expr: datasource prometheus/P1809F7CD0C75ACF3: use {type: prometheus, uid: ${datasource}}"},
		"panel without query": {json: `{"uid": "x", "title": "x", "panels": [{"id": 1, "title": "p", "type": "timeseries"}]}`,
			err: `bad.json: panels[0]: panel "p" has no query`},
		"query in a collapsed row": {json: `{"uid": "x", "title": "x", "panels": [{"id": 1, "type": "row", "panels": [{"id": 2, "title": "p",
			"type": "stat", "datasource": {"type": "prometheus", "uid": "${datasource}"}, "targets": [{"refId": "A", "expr": "sum(rate(x[5m]"}]}]}]}`,
			err: `bad.json: panels[0].panels[0].targets[0].expr: "sum(rate(x[5m]": 1:15: parse error: unclosed left parenthesis`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "bad.json")
			if err := os.WriteFile(f, []byte(tc.json), 0o644); err != nil {
				t.Fatal(err)
			}
			err := checkFile(f)
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("got %v, want an error containing %q", err, tc.err)
			}
		})
	}
}

// checkFile is what TestDashboardsQueriesParse does for one file.
func checkFile(path string) error {
	d, err := LoadFile(path)
	if err != nil {
		return err
	}
	qs, err := d.Queries()
	if err != nil {
		return err
	}
	for _, q := range qs {
		if _, err := Parse(q, d.Values(nil)); err != nil {
			return err
		}
	}
	return nil
}

func FuzzResolve(f *testing.F) {
	for _, s := range []string{`rate(x{zone=~"$zone"}[$__rate_interval])`, `${a:csv}`, `[[b]]`, `$`, `${`, `[[`} {
		f.Add(s)
	}
	vals := map[string]string{"zone": "z", "__rate_interval": "1m", "a": "1", "b": "2"}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := Resolve(s, vals)
		if err == nil && variableRef.MatchString(out) && !variableRef.MatchString(s) {
			t.Fatalf("Resolve(%q) = %q introduced a variable", s, out)
		}
	})
}

func FuzzLoadFile(f *testing.F) {
	f.Add(`{"uid": "x", "title": "t", "panels": [{"id": 1, "type": "row", "panels": []}]}`)
	f.Add(`{"uid": "x", "title": "t", "templating": {"list": [{"name": "z", "type": "query", "query": {"query": "label_values(up, z)"}}]}}`)
	f.Fuzz(func(t *testing.T, s string) {
		p := filepath.Join(t.TempDir(), "d.json")
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		d, err := LoadFile(p)
		if err != nil {
			return
		}
		qs, _ := d.Queries()
		for _, q := range qs {
			Parse(q, d.Values(nil)) // must not panic
		}
	})
}

// A LogQL panel is checked as Loki checks it, its variables resolved as
// Grafana does: with "All" selected, a selector on the variable alone
// matches the empty value, and Loki refuses it.
func TestLogQLPanelsAreCheckedAsLokiDoes(t *testing.T) {
	vals := map[string]string{"namespace": ".*"}
	for expr, want := range map[string]string{
		`{namespace=~"$namespace", app="petclinic"} | json | level=~"WARN|ERROR"`: "",
		`{namespace=~"$namespace"} | json`:                                        "queries require at least one regexp or equality matcher",
		`{app="petclinic"} | json | level=~"(WARN"`:                               "error parsing regexp: missing closing )",
	} {
		_, err := Parse(Query{Lang: LogQL, Expr: expr, Panel: "logs"}, vals)
		if (err == nil) != (want == "") || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("%s: got %v, want %q", expr, err, want)
		}
	}
}
