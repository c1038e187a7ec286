// Package dashboards loads the Grafana dashboards of monitoring/grafana and
// checks their queries: every target, annotation and template-variable query
// is extracted with where it sits in the JSON, its template variables are
// resolved to values Prometheus accepts ($__rate_interval, $zone ...), and
// the PromQL is parsed with Prometheus' own parser. The tests also run every
// PetClinic panel query against the sandbox's real Prometheus under load.
package dashboards

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/prometheus/prometheus/promql/parser"

	"github.com/gamedayhq/gameday/harness/internal/logql"
)

// Query languages of the dashboards' data sources.
const (
	PromQL = "promql"
	LogQL  = "logql"
)

// Data source variables every dashboard declares: panels name their data
// source through them, never by a fixed uid, so that one JSON works in every
// Grafana.
const (
	VarPrometheus = "datasource"
	VarLoki       = "loki"
)

// Dashboard is the part of a Grafana dashboard's JSON model the checks read.
type Dashboard struct {
	File        string `json:"-"`
	UID         string `json:"uid"`
	Title       string `json:"title"`
	Panels      []Panel
	Templating  struct{ List []Variable }   `json:"templating"`
	Annotations struct{ List []Annotation } `json:"annotations"`
}

// Panel is a panel, or a row holding collapsed panels.
type Panel struct {
	ID         int         `json:"id"`
	Title      string      `json:"title"`
	Type       string      `json:"type"`
	Datasource *Datasource `json:"datasource"`
	Targets    []Target    `json:"targets"`
	Panels     []Panel     `json:"panels"` // a collapsed row's
}

// Datasource references a data source by type and uid (a variable here).
type Datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

// Target is one query of a panel.
type Target struct {
	RefID      string      `json:"refId"`
	Expr       string      `json:"expr"`
	Datasource *Datasource `json:"datasource"`
	Hide       bool        `json:"hide"`
}

// Variable is a template variable.
type Variable struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"` // datasource, query, custom, constant, interval ...
	Query      json.RawMessage `json:"query"`
	Datasource *Datasource     `json:"datasource"`
	IncludeAll bool            `json:"includeAll"`
	AllValue   string          `json:"allValue"`
	Options    []struct {
		Value string `json:"value"`
	} `json:"options"`
}

// Annotation is an annotation query.
type Annotation struct {
	Name       string      `json:"name"`
	Datasource *Datasource `json:"datasource"`
	Expr       string      `json:"expr"`
	Enable     bool        `json:"enable"`
	BuiltIn    int         `json:"builtIn"`
}

// Query is one query found in a dashboard.
type Query struct {
	Dashboard string // file name
	Where     string // JSON path: panels[2].targets[0].expr
	Panel     string // panel title, annotation or variable name
	Lang      string // PromQL or LogQL
	Expr      string // as written, with template variables
}

func (q Query) String() string { return q.Dashboard + ": " + q.Where }

// Load reads every *.json of dir.
func Load(dir string) ([]*Dashboard, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no dashboard (*.json)", dir)
	}
	var ds []*Dashboard
	for _, f := range files {
		d, err := LoadFile(f)
		if err != nil {
			return nil, err
		}
		ds = append(ds, d)
	}
	return ds, nil
}

// LoadFile reads one dashboard; unknown fields are allowed (Grafana's model
// is large), but the JSON must be valid and name a uid and a title.
func LoadFile(path string) (*Dashboard, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var d Dashboard
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("%s: %w", path, jsonError(b, err))
	}
	if dec.More() {
		return nil, fmt.Errorf("%s: data after the dashboard object", path)
	}
	d.File = filepath.Base(path)
	if d.UID == "" || d.Title == "" {
		return nil, fmt.Errorf("%s: uid and title are required", path)
	}
	return &d, nil
}

// jsonError adds line:col to a syntax or type error.
func jsonError(b []byte, err error) error {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 1 {
		return err
	}
	off-- // the offending byte is the last one read
	line := 1 + bytes.Count(b[:off], []byte("\n"))
	col := int(off) - bytes.LastIndexByte(b[:off], '\n')
	return fmt.Errorf("%d:%d: %w", line, col, err)
}

// Queries lists every query of d: panel targets (rows' collapsed panels
// included), annotations and query variables, in document order. A query
// whose data source cannot be told is an error.
func (d *Dashboard) Queries() ([]Query, error) {
	var qs []Query
	var errs []error
	for i, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		where := fmt.Sprintf("templating.list[%d].query", i)
		lang, err := lang(v.Datasource, nil)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %s: %w", d.File, where, err))
			continue
		}
		q, err := variableQuery(v.Query)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %s: %w", d.File, where, err))
			continue
		}
		qs = append(qs, Query{Dashboard: d.File, Where: where, Panel: "$" + v.Name, Lang: lang, Expr: q})
	}
	for i, a := range d.Annotations.List {
		if a.BuiltIn == 1 {
			continue // Grafana's own "Annotations & Alerts"
		}
		where := fmt.Sprintf("annotations.list[%d].expr", i)
		lang, err := lang(a.Datasource, nil)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %s: %w", d.File, where, err))
			continue
		}
		qs = append(qs, Query{Dashboard: d.File, Where: where, Panel: "annotation " + a.Name, Lang: lang, Expr: a.Expr})
	}
	var walk func(prefix string, ps []Panel)
	walk = func(prefix string, ps []Panel) {
		for i, p := range ps {
			at := fmt.Sprintf("%s[%d]", prefix, i)
			if p.Type == "row" {
				walk(at+".panels", p.Panels)
				continue
			}
			if len(p.Targets) == 0 && p.Type != "text" {
				errs = append(errs, fmt.Errorf("%s: %s: panel %q has no query", d.File, at, p.Title))
			}
			for j, t := range p.Targets {
				where := fmt.Sprintf("%s.targets[%d].expr", at, j)
				lang, err := lang(t.Datasource, p.Datasource)
				if err != nil {
					errs = append(errs, fmt.Errorf("%s: %s: %w", d.File, where, err))
					continue
				}
				qs = append(qs, Query{Dashboard: d.File, Where: where, Panel: p.Title, Lang: lang, Expr: t.Expr})
			}
		}
	}
	walk("panels", d.Panels)
	return qs, errors.Join(errs...)
}

// lang tells the query language from the target's data source, else the
// panel's. Both must reference a data source variable.
func lang(target, panel *Datasource) (string, error) {
	ds := target
	if ds == nil || ds.UID == "" {
		ds = panel
	}
	if ds == nil {
		return "", errors.New("no datasource: reference ${" + VarPrometheus + "} or ${" + VarLoki + "}")
	}
	switch {
	case ds.UID == "${"+VarPrometheus+"}" && ds.Type == "prometheus":
		return PromQL, nil
	case ds.UID == "${"+VarLoki+"}" && ds.Type == "loki":
		return LogQL, nil
	}
	return "", fmt.Errorf("datasource %s/%s: use {type: prometheus, uid: ${%s}} or {type: loki, uid: ${%s}}", ds.Type, ds.UID, VarPrometheus, VarLoki)
}

// variableQuery returns the query of a variable: a string, or Grafana's
// newer object form {"query": "..."}.
func variableQuery(raw json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var o struct {
		Query string `json:"query"`
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		return "", fmt.Errorf("query: neither a string nor {query: string}")
	}
	return o.Query, nil
}

// Builtin are Grafana's interval variables, resolved to what a 1-hour
// dashboard over a 15 s scrape interval would use.
var Builtin = map[string]string{
	"__rate_interval": "1m",
	"__interval":      "30s",
	"__interval_ms":   "30000",
	"__range":         "1h",
	"__range_s":       "3600",
	"__range_ms":      "3600000",
}

// Values of d's variables for checking its queries: a variable that
// includes All takes its allValue (".*" by default: "match anything"), a
// custom or constant one its first option. Overrides win.
func (d *Dashboard) Values(overrides map[string]string) map[string]string {
	vals := map[string]string{}
	for k, v := range Builtin {
		vals[k] = v
	}
	for _, v := range d.Templating.List {
		switch {
		case v.Type == "datasource":
			vals[v.Name] = v.Name // only in datasource refs, never in a query
		case v.IncludeAll && v.AllValue != "":
			vals[v.Name] = v.AllValue
		case v.IncludeAll:
			vals[v.Name] = ".*"
		case len(v.Options) > 0:
			vals[v.Name] = v.Options[0].Value
		default:
			vals[v.Name] = ".+"
		}
	}
	for k, v := range overrides {
		vals[k] = v
	}
	return vals
}

// Grafana's variable syntaxes: $name, ${name}, ${name:format}, [[name]].
var variableRef = regexp.MustCompile(`\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)(?::\w+)?\]\]`)

// Resolve replaces every variable of expr with its value. A variable with
// no value is an error: a typo in a dashboard.
func Resolve(expr string, vals map[string]string) (string, error) {
	var missing []string
	out := variableRef.ReplaceAllStringFunc(expr, func(m string) string {
		sub := variableRef.FindStringSubmatch(m)
		name := sub[1] + sub[2] + sub[3]
		v, ok := vals[name]
		if !ok {
			missing = append(missing, "$"+name)
			return m
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("unknown variable %s", strings.Join(missing, ", "))
	}
	return out, nil
}

var promql = parser.NewParser(parser.Options{})

// Parse resolves q's variables and parses it: PromQL with Prometheus'
// parser; a variable query's label_values(...) / query_result(...) by its
// PromQL part; LogQL as Loki would (package logql: Loki's grammar and
// checks, without Loki). It returns the PromQL parsed (nil for LogQL).
func Parse(q Query, vals map[string]string) (parser.Expr, error) {
	if strings.TrimSpace(q.Expr) == "" {
		return nil, fmt.Errorf("%s: empty query", q)
	}
	s, err := Resolve(q.Expr, vals)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", q, err)
	}
	if q.Lang == LogQL {
		if err := logql.Check(s); err != nil {
			return nil, fmt.Errorf("%s: %q: %w", q, s, err)
		}
		return nil, nil
	}
	if strings.HasPrefix(q.Panel, "$") {
		s, err = variablePromQL(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", q, err)
		}
	}
	e, err := promql.ParseExpr(s)
	if err != nil {
		return nil, fmt.Errorf("%s: %q: %w", q, s, err)
	}
	return e, nil
}

var variableFunc = regexp.MustCompile(`^\s*(label_values|query_result|label_names|metrics)\((.*)\)\s*$`)

// variablePromQL is the PromQL inside a Prometheus variable query:
// label_values(selector, label), query_result(expr), label_names(selector).
func variablePromQL(q string) (string, error) {
	m := variableFunc.FindStringSubmatch(q)
	if m == nil {
		return "", fmt.Errorf("variable query %q: want label_values(...), query_result(...), label_names(...) or metrics(...)", q)
	}
	arg := m[2]
	switch m[1] {
	case "query_result":
		return arg, nil
	case "metrics":
		return "", fmt.Errorf("metrics(%s): lists names, has no PromQL to check: use label_values", arg)
	case "label_names":
		if arg == "" {
			return "", fmt.Errorf("label_names(): name a selector")
		}
		return arg, nil
	}
	// label_values(label) or label_values(selector, label)
	i := strings.LastIndex(arg, ",")
	if i < 0 {
		return "", fmt.Errorf("label_values(%s): name a selector, not only a label (every series of the server would match)", arg)
	}
	return strings.TrimSpace(arg[:i]), nil
}

// Metrics lists the metric names an expression selects, sorted.
func Metrics(e parser.Expr) []string {
	set := map[string]bool{}
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			name := vs.Name
			if name == "" {
				for _, m := range vs.LabelMatchers {
					if m.Name == "__name__" {
						name = m.Value
					}
				}
			}
			set[name] = true
		}
		return nil
	})
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// KubernetesOnlyPrefixes name the metrics that only a Kubernetes cluster
// has: kube-state-metrics, cAdvisor through the kubelet, node-exporter,
// Chaos Mesh's controller manager, and the gameday scheduler (scraped by
// the gameday chart's ServiceMonitor; the sandbox's Prometheus scrapes no
// scheduler).
var KubernetesOnlyPrefixes = []string{"kube_", "container_", "node_", "kubelet_", "chaos_controller_manager_", "chaos_mesh_", "gameday_schedule", "gameday_history_"}

// SandboxExports are the metrics with those prefixes that the sandbox
// exports too (internal/sandbox/opencost.go: OpenCost's names, and the
// kube-state-metrics and cAdvisor series the FinOps report reads beside
// them), so that queries over them answer on a laptop as on a cluster.
var SandboxExports = []string{
	"node_cpu_hourly_cost", "node_ram_hourly_cost", "node_total_hourly_cost", "container_cpu_allocation", "container_memory_allocation_bytes",
	"kube_node_labels", "kube_node_status_capacity", "kube_pod_container_resource_requests", "kube_pod_owner", "kube_replicaset_owner",
	"kube_persistentvolume_capacity_bytes", "kube_persistentvolume_claim_ref", "container_cpu_usage_seconds_total", "container_memory_working_set_bytes",
}

// KubernetesOnly reports the metrics of ms that only Kubernetes has.
func KubernetesOnly(ms []string) []string {
	var out []string
	for _, m := range ms {
		if slices.Contains(SandboxExports, m) {
			continue
		}
		if slices.ContainsFunc(KubernetesOnlyPrefixes, func(p string) bool { return strings.HasPrefix(m, p) }) {
			out = append(out, m)
		}
	}
	return out
}
