package dora_test

import (
	"context"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gamedayhq/gameday/harness/internal/dashboards"
	"github.com/gamedayhq/gameday/harness/internal/dora"
	gdprom "github.com/gamedayhq/gameday/harness/internal/prom"
	"github.com/gamedayhq/gameday/harness/internal/prom/promtest"
	"github.com/gamedayhq/gameday/harness/internal/repotest"
)

// Every query of the DORA dashboard (monitoring/grafana/dashboards/dora.json)
// answers with data from a real Prometheus scraping the real Collector of a
// report, and every gauge of the Collector is on the dashboard.
func TestDashboardQueriesAnswer(t *testing.T) {
	an := analyze(t, scenarios["a rollback"])
	lv, err := dora.LoadLevels("")
	if err != nil {
		t.Fatal(err)
	}
	col := &dora.Collector{}
	col.Set(&dora.Report{At: time.Now(), Window: window, Levels: lv, Entries: []*dora.Entry{dora.NewEntry(an, window, lv)}})
	reg := prometheus.NewRegistry()
	reg.MustRegister(col)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), ReadHeaderTimeout: time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	p := promtest.Start(t, promtest.Config{Targets: []string{ln.Addr().String()}})
	p.WaitFor(t, "gameday_dora_deployments", 15*time.Second)
	client, err := gdprom.New(p.URL, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	d, err := dashboards.LoadFile(filepath.Join(repotest.Root(t), "monitoring", "grafana", "dashboards", "dora.json"))
	if err != nil {
		t.Fatal(err)
	}
	qs, err := d.Queries()
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, q := range qs {
		e, err := dashboards.Parse(q, d.Values(nil))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range dashboards.Metrics(e) {
			used[m] = true
		}
		series, err := client.QueryRange(context.Background(), e.String(), time.Now().Add(-10*time.Second), time.Now(), time.Second)
		if err != nil || len(series) == 0 {
			t.Errorf("%s: %s: no data (%v)", q.Panel, e, err)
		}
	}
	ch := make(chan *prometheus.Desc, 32)
	col.Describe(ch)
	close(ch)
	for desc := range ch {
		name := strings.Split(desc.String(), `"`)[1] // Desc{fqName: "name", ...}
		if name != "gameday_dora_window_seconds" && !used[name] {
			t.Errorf("the gauge %s is on no panel of dora.json", name)
		}
	}
}
