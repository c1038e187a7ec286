package serve_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gamedayhq/gameday/harness/internal/history"
	"github.com/gamedayhq/gameday/harness/internal/historytest"
	"github.com/gamedayhq/gameday/harness/internal/schedule"
	"github.com/gamedayhq/gameday/harness/internal/serve"
)

var t0 = time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)

// fixture is a reports tree of 12 runs over two experiments (pod-kill
// with a fault), a corrupt report, a ledger with a fire and a skip, a
// schedules file, and the server over them.
type fixture struct {
	url   string
	root  string
	store *history.Store
	reg   *prometheus.Registry
}

func newFixture(t *testing.T, mod func(*serve.Config)) *fixture {
	t.Helper()
	root := t.TempDir()
	for i := range 12 {
		exp := []string{"pod-kill", "http-500"}[i%2]
		status := "held"
		if i%5 == 4 {
			status = "failed"
		}
		historytest.Write(t, root, historytest.Run{Suite: "nightly", Experiment: exp, Start: t0.Add(time.Duration(i) * 24 * time.Hour),
			Status: status, Score: float64(60 + 3*i), WithFault: exp == "pod-kill"})
	}
	bad := filepath.Join(root, "nightly", "torn", "report.json")
	os.MkdirAll(filepath.Dir(bad), 0o755)
	os.WriteFile(bad, []byte("{"), 0o644)
	store, err := history.Open(root, history.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	last := t0.Add(10 * 24 * time.Hour)
	store.Append(history.Event{At: last, Schedule: "nightly-pod-kill", Nominal: last, Kind: history.EventFinished, Status: "held",
		RunIDs: []string{historytest.Report(historytest.Run{Experiment: "pod-kill", Start: last}).RunID}})
	store.Append(history.Event{At: last.Add(24 * time.Hour), Schedule: "nightly-pod-kill", Nominal: last.Add(24 * time.Hour), Kind: history.EventSkipped,
		Reason: "blackout", Detail: "inside blackout business-hours"})
	f, err := schedule.Load("../schedule/testdata/schedules.yaml", schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	reg := serve.NewRegistry()
	c := serve.Config{History: store, File: f, Registry: reg,
		KillSwitch: func(context.Context) (bool, string, error) { return false, "file /tmp/kill-switch absent", nil }}
	if mod != nil {
		mod(&c)
	}
	s, err := serve.New(c)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return &fixture{url: srv.URL, root: root, store: store, reg: reg}
}

func get(t *testing.T, url string) (int, string, http.Header) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	code, body, h := get(t, url)
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
		t.Fatalf("GET %s: %d %s\n%s", url, code, h.Get("Content-Type"), body)
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

func TestJSONTwins(t *testing.T) {
	f := newFixture(t, nil)
	var runs serve.RunsPage
	getJSON(t, f.url+"/runs.json", &runs)
	if runs.Total != 12 || len(runs.Runs) != 12 || len(runs.Bad) != 1 {
		t.Errorf("runs.json: %d runs of %d, %d bad; want 12, 12, 1", len(runs.Runs), runs.Total, len(runs.Bad))
	}
	getJSON(t, f.url+"/runs.json?status=failed&experiment=http-500", &runs)
	if runs.Total != 1 || runs.Runs[0].Status != "failed" {
		t.Errorf("filtered: %+v", runs.Runs)
	}
	var run serve.RunPage
	getJSON(t, f.url+"/runs/"+runs.Runs[0].Dir+".json", &run)
	if run.Report == nil || run.Report.RunID != runs.Runs[0].RunID || len(run.Report.Timeline) != 60 {
		t.Errorf("run json: the whole report.json expected, got %+v", run.Report)
	}
	var trends serve.TrendsPage
	getJSON(t, f.url+"/trends.json", &trends)
	if len(trends.Experiments) != 2 || trends.Experiments[1].Runs != 6 || len(trends.Experiments[1].Scores) != 6 {
		t.Errorf("trends.json: %+v", trends)
	}
	var trend serve.TrendPage
	getJSON(t, f.url+"/trends/pod-kill.json", &trend)
	if len(trend.Runs) != 6 || trend.Runs[0].FaultP99Ms == nil || *trend.Runs[0].FaultP99Ms != 250 {
		t.Errorf("trend json: %+v", trend.Runs)
	}
	var sch serve.SchedulesPage
	getJSON(t, f.url+"/schedules.json", &sch)
	if len(sch.Items) != 2 || sch.Items[0].Next.IsZero() || sch.Items[0].LastStatus != "held" || len(sch.Skips) != 1 || sch.Skips[0].Reason != "blackout" {
		t.Errorf("schedules.json: %+v", sch)
	}
	var ks serve.KillSwitchPage
	getJSON(t, f.url+"/kill-switch.json", &ks)
	if !ks.Configured || ks.Engaged {
		t.Errorf("kill-switch.json: %+v", ks)
	}
}

func TestErrorsAndFiles(t *testing.T) {
	f := newFixture(t, nil)
	var runs serve.RunsPage
	getJSON(t, f.url+"/runs.json?experiment=pod-kill", &runs)
	dir := runs.Runs[0].Dir
	cases := map[string]struct {
		path string
		code int
		has  string
	}{
		"an unknown run":              {"/runs/nightly/nope", 404, "no run nightly/nope"},
		"an unknown run, JSON":        {"/runs/nightly/nope.json", 404, `"error": "no run nightly/nope`},
		"a bad time filter":           {"/runs?since=yesterday", 400, "want RFC 3339"},
		"a bad page":                  {"/runs?page=0", 400, "want a positive integer"},
		"an unknown experiment":       {"/trends/nope", 404, `no run of experiment &#34;nope&#34;`},
		"a report file":               {"/runs/" + dir + "/report.html", 200, "<svg"},
		"junit":                       {"/runs/" + dir + "/junit.xml", 200, "<testsuite"},
		"a file that is not a report": {"/runs/" + dir + "/..%2f..%2fetc%2fpasswd", 404, "no such report file"},
		"health":                      {"/healthz", 200, "ok"},
		"ready":                       {"/readyz", 200, "ok"},
		"the root":                    {"/", 200, "<h1>Runs</h1>"},
		"no SLO configured":           {"/slo", 200, "No SLO report here"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			code, body, h := get(t, f.url+c.path)
			if code != c.code || !strings.Contains(body, c.has) {
				t.Errorf("GET %s: %d, want %d with %q; body:\n%.400s", c.path, code, c.code, c.has, body)
			}
			if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
				t.Errorf("CSP %q", csp)
			}
		})
	}
}

func TestMetricsRegistryIsShared(t *testing.T) {
	f := newFixture(t, nil)
	m := schedule.NewMetrics(f.reg)
	m.Skipped.WithLabelValues("nightly", "blackout").Add(2)
	// Another package adds its own series to the same registry.
	extra := prometheus.NewGauge(prometheus.GaugeOpts{Name: "gameday_cost_test_dollars", Help: "test"})
	f.reg.MustRegister(extra)
	extra.Set(3)
	_, body, _ := get(t, f.url+"/metrics")
	for _, want := range []string{`gameday_schedule_skipped_total{reason="blackout",schedule="nightly"} 2`, "gameday_cost_test_dollars 3", "go_goroutines", "process_resident_memory_bytes"} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestReadyz(t *testing.T) {
	f := newFixture(t, func(c *serve.Config) { c.Ready = func() error { return fmt.Errorf("history not synced") } })
	if code, body, _ := get(t, f.url+"/readyz"); code != 503 || !strings.Contains(body, "history not synced") {
		t.Errorf("readyz: %d %s", code, body)
	}
}

func TestNewRunsAppearWithoutARestart(t *testing.T) {
	f := newFixture(t, func(c *serve.Config) { c.SyncEvery = time.Nanosecond })
	historytest.Write(t, f.root, historytest.Run{Suite: "adhoc", Experiment: "zone-outage", Start: t0.Add(30 * 24 * time.Hour), Status: "aborted"})
	var runs serve.RunsPage
	getJSON(t, f.url+"/runs.json", &runs)
	if runs.Total != 13 || runs.Runs[0].Experiment != "zone-outage" {
		t.Errorf("after a new report: %d runs, newest %s", runs.Total, runs.Runs[0].Experiment)
	}
}
