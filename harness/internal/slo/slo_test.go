package slo_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/logql"
	"github.com/gamedayhq/gameday/harness/internal/loki"
	"github.com/gamedayhq/gameday/harness/internal/slo"
)

func TestExhaustion(t *testing.T) {
	f := func(x float64) *float64 { return &x }
	d := func(p *time.Duration) string {
		if p == nil {
			return "never"
		}
		return p.String()
	}
	tests := map[string]struct {
		remaining, ratio *float64
		want             string
	}{
		"a whole budget burnt at 1× lasts the window":  {f(1), f(0.001), "720h0m0s"},
		"half a budget at 14.4× lasts 25 hours":        {f(0.5), f(0.0144), "25h0m0s"},
		"nothing burning never runs out":               {f(0.8), f(0), "never"},
		"an overspent budget is spent now":             {f(-0.2), f(0.01), "0s"},
		"no data says nothing":                         {nil, f(0.01), "never"},
		"no traffic over the hour says nothing either": {f(0.9), nil, "never"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := d(slo.Exhaustion(tt.remaining, tt.ratio, 0.001, 30*24*time.Hour)); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestBurnAlertsAreTheWorkbooksTable(t *testing.T) {
	var got []string
	for _, a := range slo.BurnAlerts {
		got = append(got, a.Severity+" "+a.Long+"/"+a.Short+" "+slo.Pct(a.BudgetSpent(30*24*time.Hour)))
	}
	want := "page 1h/5m 2%, page 6h/30m 5%, ticket 1d/2h 10%, ticket 3d/6h 10%"
	if strings.Join(got, ", ") != want {
		t.Errorf("got %s, want %s", strings.Join(got, ", "), want)
	}
}

func TestQueries(t *testing.T) {
	set, err := slo.Load("../../../slo")
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct{ got, want string }{
		"bad/total: rate() over the window, a missing numerator is 0": {
			set.Find("api-availability").ErrorRatio("1h"),
			`(sum(rate(http_server_requests_seconds_count{job="petclinic",outcome="SERVER_ERROR",uri=~"/petclinic/api/.+"}[1h])) or 0 * sum(rate(http_server_requests_seconds_count{job="petclinic",uri=~"/petclinic/api/.+"}[1h]))) / sum(rate(http_server_requests_seconds_count{job="petclinic",uri=~"/petclinic/api/.+"}[1h]))`,
		},
		"good/total: one minus the good ratio": {
			set.Find("api-latency-p95").ErrorRatio("5m"),
			`1 - ((sum(rate(http_server_requests_seconds_bucket{job="petclinic",le="0.25",uri=~"/petclinic/api/.+"}[5m])) or 0 * sum(rate(http_server_requests_seconds_count{job="petclinic",uri=~"/petclinic/api/.+"}[5m]))) / sum(rate(http_server_requests_seconds_count{job="petclinic",uri=~"/petclinic/api/.+"}[5m])))`,
		},
		"routes: every aggregation keeps the route label": {
			func() string { b, _ := set.Find("write-success").RouteEvents("1h"); return b }(),
			`sum by (uri) (sum by (uri) (rate(http_server_requests_seconds_count{job="petclinic",method=~"POST|PUT|DELETE",outcome="SERVER_ERROR"}[1h])))`,
		},
		"logql: the lines of the log queries counted over the window": {
			set.Find("request-log-errors").ErrorRatio("5m"),
			`((sum(count_over_time({app="petclinic"} | json | msg="request" | level="ERROR" [5m]))) or 0 * (sum(count_over_time({app="petclinic"} | json | msg="request" [5m])))) / (sum(count_over_time({app="petclinic"} | json | msg="request" [5m])))`,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got  %s\nwant %s", tt.got, tt.want)
			}
		})
	}
}

// A LogQL SLO is read through the Loki client; the answer is the one a
// real Loki 3.x gave (testdata of package loki, recorded from a real Loki).
func TestLogQLStatusThroughLoki(t *testing.T) {
	body, err := os.ReadFile(filepath.Join("..", "loki", "testdata", "query_instant.json"))
	if err != nil {
		t.Fatal(err)
	}
	lines, err := os.ReadFile(filepath.Join("..", "loki", "testdata", "query_range.json"))
	if err != nil {
		t.Fatal(err)
	}
	var queries, spans []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/loki/api/v1/query":
			queries = append(queries, r.URL.Query().Get("query"))
			w.Write(body)
		case "/loki/api/v1/query_range":
			spans = append(spans, r.URL.RawQuery)
			w.Write(lines)
		default:
			http.Error(w, "not found", http.StatusNotFound)
		}
	}))
	defer srv.Close()
	lc, err := loki.New(loki.Config{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	set, err := slo.Load("../../../slo")
	if err != nil {
		t.Fatal(err)
	}
	s := set.Find("request-log-errors")
	// The recorded lines were logged at 1795796679 (2026-11-27 ...); an hour
	// later the SLO has an hour of data.
	at := time.Unix(0, 1795796679021255506).Add(time.Hour)
	st, err := slo.ReadStatus(t.Context(), slo.Clients{Loki: lc}, s, at)
	if err != nil {
		t.Fatal(err)
	}
	if st.DataSpan != time.Hour {
		t.Errorf("data span %s, want 1h: the age of Loki's oldest line (%q)", st.DataSpan, spans)
	}
	if a := (slo.Policy{MinRemaining: 0.25}).Admit(st, nil); !strings.Contains(a.Detail, "error ratio 200% over 1h of data") {
		t.Errorf("the guard says %q, want the Loki data span", a.Detail)
	}
	// The recorded answer is the number 2 whatever the query: an error
	// ratio of 2 over every window (Loki computes the ratio; the client
	// reads the number), so 1 - 2/0.005 of the budget is left.
	if st.Source != slo.FromLoki || st.Remaining == nil || math.Abs(*st.Remaining+399) > 1e-9 || st.State != slo.StatePage {
		t.Errorf("source %s, remaining %v, state %s; want loki, -399, page", st.Source, *st.Remaining, st.State)
	}
	if len(queries) != len(slo.Windows)+1 || !strings.Contains(queries[0], `count_over_time({app="petclinic"} | json | msg="request" | level="ERROR" [5m])`) {
		t.Errorf("queries sent: %q", queries)
	}
	// Without Loki the SLO has no data, and the guard says so.
	st, err = slo.ReadStatus(t.Context(), slo.Clients{}, s, time.Time{})
	a := slo.Policy{MinRemaining: 0.25}.Admit(st, err)
	if a.Outcome != slo.NoData || !strings.Contains(a.Detail, "no Loki configured") {
		t.Errorf("got %s: %s", a.Outcome, a.Detail)
	}
}

func FuzzLoad(f *testing.F) {
	for _, p := range []string{"testdata/good.yaml", "../../../slo/write-success.yaml", "../../../slo/api-latency.yaml", "testdata/bad/unknown-field.yaml"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	svc, err := os.ReadFile("testdata/service.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "service.yaml"), svc, 0o644)
		os.WriteFile(filepath.Join(dir, "slo.yaml"), data, 0o644)
		set, err := slo.Load(dir)
		if err == nil {
			for _, s := range set.SLOs {
				// A valid SLO over Prometheus generates valid rules (pretty
				// panics on invalid PromQL).
				s.Rules(slo.Options{})
			}
		}
	})
}

// The LogQL gameday sends to Loki for a LogQL SLO (its error ratio over
// every window the report, the guard and its watch use; for a Timeslices
// SLO its indicator and the count of its lines) is a metric query Loki
// accepts (package logql, Loki's grammar and checks).
func TestGeneratedLogQLParses(t *testing.T) {
	set, err := slo.Load(filepath.Join("..", "..", "..", "slo"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range set.SLOs {
		if s.Source != slo.SourceLoki {
			continue
		}
		for _, w := range []string{"5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d", "300s"} {
			n++
			q := s.ErrorRatio(w)
			if s.Threshold != nil {
				q = fmt.Sprintf("sum(count_over_time(%s [%s]))", s.Total, w)
			}
			l, err := logql.Parse(q)
			if err != nil || !l.Metric {
				t.Errorf("%s over %s: %q: %v (metric %v)", s.ID(), w, q, err, l != nil && l.Metric)
			}
		}
		if s.Threshold != nil {
			if l, err := logql.Parse(s.Threshold.Query); err != nil || !l.Metric || len(l.Ranges) != 1 || l.Ranges[0].Range != s.Threshold.Slice.D {
				t.Errorf("%s: indicator %q: %v", s.ID(), s.Threshold.Query, err)
			}
		}
	}
	if n == 0 {
		t.Fatal("no LogQL SLO in slo/")
	}
}

// The burn-rate watch measures a LogQL SLO through Loki when there is one:
// it trips on a burn above the cap (two checks in a row) and not below.
// Loki's answers have the shape a real Loki 3.x gave (testdata of package
// loki); their numbers are set per query: the error ratio, or the count of
// lines of the total.
func TestWatchLogQLThroughLoki(t *testing.T) {
	set, err := slo.Load("../../../slo")
	if err != nil {
		t.Fatal(err)
	}
	s := set.Find("request-log-errors")
	for _, tc := range []struct {
		ratio string
		trips bool
	}{{"0.5", true}, {"0.0005", false}} {
		t.Run("ratio "+tc.ratio, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				q, v := r.URL.Query().Get("query"), "1000" // lines of the total
				if strings.Contains(q, " / ") {
					v = tc.ratio
				}
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[%d,%q]}]}}`, time.Now().Unix(), v)
			}))
			defer srv.Close()
			lc, err := loki.New(loki.Config{URL: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
			defer cancel()
			trip := slo.Policy{BurnRateCap: slo.PageFactor, CheckEvery: 20 * time.Millisecond}.Watch(ctx, slo.Clients{Loki: lc}, []*slo.SLO{s}, time.Now())
			if (trip != nil) != tc.trips {
				t.Fatalf("trip %+v, want a trip: %t", trip, tc.trips)
			}
			if trip != nil && (trip.SLO != s.ID() || trip.Events != 1000 || !strings.Contains(trip.Reason, "burns its 30d budget at 100.0×")) {
				t.Errorf("trip %+v", trip)
			}
		})
	}
}
