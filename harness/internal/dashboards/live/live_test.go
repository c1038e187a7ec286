package live

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/dashboards"
	"github.com/gamedayhq/gameday/harness/internal/load"
	"github.com/gamedayhq/gameday/harness/internal/prom"
	"github.com/gamedayhq/gameday/harness/internal/query"
	"github.com/gamedayhq/gameday/harness/internal/repotest"
	"github.com/gamedayhq/gameday/harness/internal/sandbox"
	"github.com/gamedayhq/gameday/harness/internal/sandbox/sandboxtest"
)

func TestMain(m *testing.M) { sandboxtest.Main(m) }

// kubernetesOnly are the queries the sandbox cannot answer, with why: they
// select metrics that only a Kubernetes cluster exports. The test checks
// that this list is exactly the queries that select such metrics. The
// kube-state-metrics and cAdvisor series the sandbox exports beside
// OpenCost's names (dashboards.SandboxExports: nodes, requests, usage) are
// answered, so the panels over them only are checked like the others.
var kubernetesOnly = map[string]string{
	"gameday.json: annotation Chaos Mesh experiments":            "Chaos Mesh's controller manager (chaos_controller_manager_*)",
	"gameday.json: Chaos Mesh experiments by phase (Kubernetes)": "Chaos Mesh's controller manager (chaos_controller_manager_*)",
	"gameday.json: Available replicas (Kubernetes)":              "kube-state-metrics (kube_deployment_*)",
	"gameday.json: Scheduled runs by verdict (1d)":               "the gameday scheduler (gameday_schedule_*), scraped by the chart's ServiceMonitor, not by the sandbox's Prometheus",
	"gameday.json: Skipped fires by reason (1d)":                 "the gameday scheduler (gameday_schedule_*)",
	"gameday.json: Time since the last run / interval":           "the gameday scheduler (gameday_schedule_*)",
	"gameday.json: Next fire in":                                 "the gameday scheduler (gameday_schedule_*)",
	"gameday.json: Run duration p90 by schedule":                 "the gameday scheduler (gameday_schedule_*)",
	"gameday.json: Leader, running, history write errors":        "the gameday scheduler (gameday_scheduler_*, gameday_history_*)",
	"kubernetes.json: $namespace":                                "kube-state-metrics (kube_pod_info)",
	"kubernetes.json: Nodes not ready":                           "kube-state-metrics (kube_node_status_condition)",
	"kubernetes.json: Node CPU utilisation":                      "node-exporter (node_cpu_seconds_total)",
	"kubernetes.json: Node memory utilisation":                   "node-exporter (node_memory_*)",
	"kubernetes.json: Pods by phase":                             "kube-state-metrics (kube_pod_status_phase)",
	"kubernetes.json: PetClinic pods per zone":                   "kube-state-metrics (kube_pod_info, kube_node_labels)",
	"kubernetes.json: Container restarts (1h)":                   "kube-state-metrics (kube_pod_container_status_restarts_total)",
	"kubernetes.json: HPA replicas":                              "kube-state-metrics (kube_horizontalpodautoscaler_*)",
	"kubernetes.json: CPU: usage, requests, limits":              "cAdvisor (container_cpu_usage_seconds_total), kube-state-metrics (resource requests/limits)",
	"kubernetes.json: Memory: working set, requests, limits":     "cAdvisor (container_memory_working_set_bytes), kube-state-metrics",
	"kubernetes.json: CPU throttling by pod":                     "cAdvisor (container_cpu_cfs_*)",
}

// needsAlert are the queries of ALERTS: they answer only while an alert
// fires, which no alert does within this test (the shortest `for` is 1m).
var needsAlert = map[string]string{
	"gameday.json: annotation Alerts firing":           "ALERTS{alertstate=\"firing\"}",
	"petclinic-slo.json: annotation SLO alerts firing": "ALERTS{alertstate=\"firing\", slo_id=~\"$slo\"}",
}

type check struct {
	key   string // dashboard: panel
	query dashboards.Query
	expr  string // variables resolved
	promq string // what is sent to Prometheus
}

// plan parses every query of the dashboards and sorts them into checked,
// Kubernetes-only and ALERTS ones.
func plan(t *testing.T, ds []*dashboards.Dashboard) (checks []check, k8s, alerts map[string]bool) {
	k8s, alerts = map[string]bool{}, map[string]bool{}
	for _, d := range ds {
		qs, err := d.Queries()
		if err != nil {
			t.Fatal(err)
		}
		vals := d.Values(nil)
		for _, q := range qs {
			if q.Lang != dashboards.PromQL {
				continue
			}
			e, err := dashboards.Parse(q, vals)
			if err != nil {
				t.Fatal(err)
			}
			key := d.File + ": " + q.Panel
			ms := dashboards.Metrics(e)
			switch {
			case slices.ContainsFunc(ms, func(m string) bool { return strings.HasPrefix(m, "gameday_dora_") }):
				// gameday dora --serve's gauges: internal/dora's
				// TestDashboardQueriesAnswer queries them on a real
				// Prometheus scraping the real collector.
				continue
			case len(dashboards.KubernetesOnly(ms)) > 0:
				k8s[key] = true
			case slices.Contains(ms, "ALERTS"):
				alerts[key] = true
			default:
				checks = append(checks, check{key: key, query: q, promq: e.String()})
			}
		}
	}
	return checks, k8s, alerts
}

// The skip lists are exactly what the metrics say: a panel that starts
// using a Kubernetes-only metric, or stops, must move between the lists.
func TestSkippedQueriesAreExactlyTheKubernetesOnlyOnes(t *testing.T) {
	ds, err := dashboards.Load(filepath.Join(repotest.Root(t), "monitoring", "grafana", "dashboards"))
	if err != nil {
		t.Fatal(err)
	}
	_, k8s, alerts := plan(t, ds)
	if got, want := sortedKeys(k8s), sortedKeys(kubernetesOnly); !slices.Equal(got, want) {
		t.Errorf("queries with Kubernetes-only metrics:\n got %q\nwant %q", got, want)
	}
	if got, want := sortedKeys(alerts), sortedKeys(needsAlert); !slices.Equal(got, want) {
		t.Errorf("queries of ALERTS:\n got %q\nwant %q", got, want)
	}
}

// Every other query of the dashboards answers with data from the sandbox's
// real Prometheus (2.42, every rule file of monitoring/prometheus/rules
// loaded: the SLO recording rules too) after real load went through the
// balancer and one replica was SIGKILLed (so that the chaos annotations
// have something to show).
func TestQueriesAnswerOnTheSandboxUnderLoad(t *testing.T) {
	if testing.Short() && os.Getenv("CI") == "" {
		t.Skip("-short: starts the sandbox and drives 40 s of load (never skipped under CI)")
	}
	begin := time.Now()
	rootDir := repotest.Root(t)
	ds, err := dashboards.Load(filepath.Join(rootDir, "monitoring", "grafana", "dashboards"))
	if err != nil {
		t.Fatal(err)
	}
	checks, _, _ := plan(t, ds)

	st := sandboxtest.Up(t, sandbox.Config{Replicas: 3, RulesDir: filepath.Join(rootDir, "monitoring", "prometheus", "rules")})
	t.Logf("sandbox up in %s, %d rule files loaded", time.Since(begin).Round(time.Millisecond), len(st.Prometheus.Rules))
	client, err := prom.New(st.Prometheus.URL, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 80*time.Second)
	defer cancel()
	profile, err := load.Constant(40, 40*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	run, err := load.Start(ctx, load.Plan{Target: st.URL, Profile: profile, RunID: "dashboards-live", Seed: 6})
	if err != nil {
		t.Fatal(err)
	}
	// The fault: petclinic-1 SIGKILLed 15 s in; the supervisor restarts it.
	select {
	case <-time.After(15 * time.Second):
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	}
	killed := false
	for _, p := range st.Pods {
		if p.Name == "petclinic-1" {
			if err := syscall.Kill(p.PID, syscall.SIGKILL); err != nil {
				t.Fatalf("kill petclinic-1 (pid %d): %v", p.PID, err)
			}
			killed = true
		}
	}
	if !killed {
		t.Fatal("no pod petclinic-1 in the sandbox")
	}
	tl, err := run.Wait()
	if err != nil {
		t.Fatal(err)
	}
	sum := tl.Total()
	t.Logf("load: %d requests, success %.2f%%", sum.Requests, 100*sum.SuccessRatio())
	if sum.Requests < 1000 {
		t.Fatalf("got %d requests, want the load to have run", sum.Requests)
	}
	time.Sleep(3 * time.Second) // the last scrapes and rule evaluations

	end := time.Now()
	var empty []string
	for _, c := range checks {
		series, err := client.QueryRange(ctx, c.promq, start, end, 5*time.Second)
		if err != nil && !errors.Is(err, query.ErrNoData) {
			t.Errorf("%s (%s): %v", c.key, c.query.Where, err)
			continue
		}
		if !hasValue(series) {
			empty = append(empty, c.key+" ("+c.query.Where+"): "+c.promq)
		}
	}
	for _, e := range empty {
		t.Errorf("no data: %s", e)
	}
	// The rules of monitoring/prometheus/rules evaluate without error on
	// real series, and the replica killed above made PetClinicReplicaDown
	// pending (its `for` of 2m keeps it from firing in this test).
	checkRules(t, st.Prometheus.URL)
	down, err := client.Query(ctx, `max_over_time(ALERTS{alertname="PetClinicReplicaDown", pod="petclinic-1"}[2m])`, time.Now())
	if err != nil || down != 1 {
		t.Errorf("PetClinicReplicaDown for the killed petclinic-1: got %v, %v; want it pending at least once", down, err)
	}
	// The control: a query of nothing is told apart from data.
	if s, _ := client.QueryRange(ctx, `up{job="petclinic", zone="no-such-zone"}`, start, end, 5*time.Second); hasValue(s) {
		t.Error("a selector of no series answered with data: this check cannot fail")
	}
	t.Logf("%d queries answered with data (%d dashboards), %d Kubernetes-only and %d ALERTS queries listed as not answerable; %s in all",
		len(checks)-len(empty), len(ds), len(kubernetesOnly), len(needsAlert), time.Since(begin).Round(time.Second))
}

// checkRules reads Prometheus' rules API: every rule of every group must be
// healthy (evaluated without error), hand-written and SLO groups alike.
func checkRules(t *testing.T, base string) {
	t.Helper()
	r, err := http.Get(base + "/api/v1/rules")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	var res struct {
		Data struct {
			Groups []struct {
				Name  string `json:"name"`
				File  string `json:"file"`
				Rules []struct {
					Name      string `json:"name"`
					Health    string `json:"health"`
					LastError string `json:"lastError"`
				} `json:"rules"`
			} `json:"groups"`
		} `json:"data"`
	}
	if err := json.NewDecoder(r.Body).Decode(&res); err != nil {
		t.Fatal(err)
	}
	n, hand := 0, 0
	for _, g := range res.Data.Groups {
		if !strings.Contains(g.File, "/_gen/") {
			hand++
		}
		for _, rule := range g.Rules {
			n++
			if rule.Health != "ok" {
				t.Errorf("rule %s of group %s (%s): health %q %s", rule.Name, g.Name, filepath.Base(g.File), rule.Health, rule.LastError)
			}
		}
	}
	if hand < 4 {
		t.Errorf("Prometheus loaded %d hand-written rule groups, want the 4 of monitoring/prometheus/rules", hand)
	}
	t.Logf("%d rules in %d groups evaluated without error", n, len(res.Data.Groups))
}

// hasValue reports a series with at least one number (NaN is not data: a
// ratio over no traffic).
func hasValue(ss []prom.Series) bool {
	for _, s := range ss {
		for _, p := range s.Points {
			if !math.IsNaN(p.Value) {
				return true
			}
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	ks := slices.Collect(maps.Keys(m))
	sort.Strings(ks)
	return ks
}
