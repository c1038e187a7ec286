package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/slo"
)

// sliceLoki answers the queries gameday makes of a Timeslices SLO in the
// format of Loki's HTTP API (the shapes recorded from a real Loki in
// ../loki/testdata): the indicator's query over a range stepping by the
// slice (a matrix), at an instant (a vector), and the count of its lines
// (a vector). It answers only those queries, as written in the spec (a
// changed query gets a 400), and its numbers are the test's: slice ends
// older than 59.5 minutes before t0 have no lines, those ending within
// 1.5 minutes of t0 or 29.5 to 30.5 minutes before it have a p99 of
// 1500 ms, the others 240 ms.
type sliceLoki struct {
	t0   time.Time
	s    *slo.SLO
	mu   sync.Mutex
	seen []string
}

func (f *sliceLoki) value(t time.Time) (float64, bool) {
	age := f.t0.Sub(t)
	switch {
	case age > 59*time.Minute+30*time.Second:
		return 0, false
	case age < 90*time.Second || (age >= 29*time.Minute+30*time.Second && age < 30*time.Minute+30*time.Second):
		return 1500, true
	}
	return 240, true
}

func (f *sliceLoki) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	query := q.Get("query")
	f.mu.Lock()
	f.seen = append(f.seen, r.URL.Path+" "+query)
	f.mu.Unlock()
	ns := func(k string) time.Time { n, _ := strconv.ParseInt(q.Get(k), 10, 64); return time.Unix(0, n) }
	point := func(t time.Time, v float64) string {
		return fmt.Sprintf(`[%d.%03d,"%g"]`, t.Unix(), t.Nanosecond()/1e6, v)
	}
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.URL.Path == "/loki/api/v1/query_range" && query == f.s.Threshold.Query:
		if q.Get("step") != "60" {
			http.Error(w, "want a step of one slice", http.StatusBadRequest)
			return
		}
		var pts []string
		for t := ns("start"); !t.After(ns("end")); t = t.Add(time.Minute) {
			if v, ok := f.value(t); ok {
				pts = append(pts, point(t, v))
			}
		}
		result := "[]"
		if len(pts) > 0 {
			result = `[{"metric":{},"values":[` + strings.Join(pts, ",") + `]}]`
		}
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"matrix","result":%s}}`, result)
	case r.URL.Path == "/loki/api/v1/query" && query == f.s.Threshold.Query:
		result := "[]"
		if v, ok := f.value(ns("time")); ok {
			result = `[{"metric":{},"value":` + point(ns("time"), v) + `}]`
		}
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":%s}}`, result)
	case r.URL.Path == "/loki/api/v1/query" && strings.HasPrefix(query, "(sum(count_over_time("+f.s.Total+" ["):
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":%s}]}}`, point(ns("time"), 500))
	default:
		w.Header().Set("Content-Type", "text/plain")
		http.Error(w, "parse error : not a query of the SLO's", http.StatusBadRequest)
	}
}

// A LogQL latency SLO (quantile over unwrapped durations, Timeslices) from
// its spec to the burn report and the guard: slo/log-latency.yaml loads,
// generation writes no Prometheus rules for it and says so, slo report
// reads its slices from Loki (the indicator as written, stepping by the
// slice) and works out the budget by hand's arithmetic, the guard refuses
// a run on it and its watch stops a run while the minutes go bad.
func TestLogQLLatencySLOFromGenerationToBurnReport(t *testing.T) {
	out, errOut, code := gameday(t, "slo", "check", "--root", "../../..")
	if code != exitcode.OK || !strings.Contains(out, "petclinic-request-log-latency-p99 (Timeslices): no Prometheus rules") {
		t.Fatalf("slo check: exit %d\n%s%s", code, out, errOut)
	}
	set, err := slo.Load("../../../slo")
	if err != nil {
		t.Fatal(err)
	}
	s := set.Find("request-log-latency-p99")
	if s == nil || s.Threshold == nil || s.Budgeting != slo.Timeslices || s.Threshold.Slice.Text != "1m" || s.Threshold.Value != 1000 {
		t.Fatalf("the SLO as loaded: %+v", s)
	}
	if rules := s.Rules(slo.Options{}); rules != nil {
		t.Errorf("rules %v for a LogQL SLO", rules)
	}
	fake := &sliceLoki{t0: time.Now(), s: s}
	srv := httptest.NewServer(fake)
	defer srv.Close()

	t.Run("the burn report", func(t *testing.T) {
		out, errOut, code := gameday(t, "slo", "report", "--slo-dir", "../../../slo", "--slo", "request-log-latency-p99",
			"--sandbox-dir", filepath.Join(t.TempDir(), "none"), "--loki-url", srv.URL, "--format", "json")
		if code != exitcode.OK {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var rep struct {
			SLOs []struct {
				Remaining float64 `json:"remaining"`
				State     string  `json:"state"`
				DataSpan  float64 `json:"dataSpanSeconds"`
				Windows   []struct {
					Window     string   `json:"window"`
					ErrorRatio *float64 `json:"errorRatio"`
				} `json:"windows"`
				Firing []struct{ Long string } `json:"firing"`
			} `json:"slos"`
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.SLOs) != 1 {
			t.Fatalf("%v: %s", err, out)
		}
		st := rep.SLOs[0]
		// 60 minutes measured, 3 bad: 5% of the slices against a budget of
		// 1%, so 1 - 5 = -400% left; the last 5 minutes hold 2 bad (40%),
		// the last 30 also 2 (6.67%), every longer window 5%: the ticket
		// lines (3× over 1d and 2h, 1× over 3d and 6h) fire, not the pages
		// (14.4× over 1h, 6× over 6h).
		ratios := map[string]float64{}
		for _, w := range st.Windows {
			if w.ErrorRatio != nil {
				ratios[w.Window] = *w.ErrorRatio
			}
		}
		near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
		if !near(st.Remaining, -4) || st.State != slo.StateTicket || st.DataSpan != 3600 || len(st.Firing) != 2 ||
			!near(ratios["5m"], 0.4) || !near(ratios["30m"], 2.0/30) || !near(ratios["1h"], 0.05) || !near(ratios["3d"], 0.05) {
			t.Errorf("got remaining %g, state %s, span %gs, firing %v, ratios %v", st.Remaining, st.State, st.DataSpan, st.Firing, ratios)
		}
		// 30d of 1m slices in five queries of at most 10,000 slices, each
		// with the indicator exactly as written in the spec.
		ranges := 0
		for _, q := range fake.seen {
			if q == "/loki/api/v1/query_range "+s.Threshold.Query {
				ranges++
			}
		}
		if ranges != 5 {
			t.Errorf("%d range queries of the indicator, want 5 (43,200 slices): %q", ranges, fake.seen)
		}
		md, _, _ := gameday(t, "slo", "report", "--slo-dir", "../../../slo", "--slo", "request-log-latency-p99",
			"--sandbox-dir", filepath.Join(t.TempDir(), "none"), "--loki-url", srv.URL)
		if !strings.Contains(md, "| petclinic-request-log-latency-p99 | 99% of 1m slices over 30d | -400% | TICKET | spent | 40.00× |") {
			t.Errorf("report.md:\n%s", md)
		}
		t.Logf("report.md:\n%s", md)
	})

	t.Run("the guard", func(t *testing.T) {
		dir := t.TempDir()
		for _, f := range []string{"petclinic.yaml", "log-latency.yaml"} {
			b, err := os.ReadFile(filepath.Join("../../../slo", f))
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(dir, f), b, 0o644)
		}
		g, err := slo.NewGuard(slo.GuardConfig{Dir: dir, Required: true, Policy: slo.Policy{MinRemaining: slo.DefaultMinRemaining, BurnRateCap: slo.PageFactor}})
		if err != nil {
			t.Fatal(err)
		}
		clients, err := slo.NewClients("", srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		_, err = g.Admit(t.Context(), clients, "pod-kill", time.Now())
		want := "SLO petclinic-request-log-latency-p99 has -400% of its 30d error budget left, policy at least 25%; 5% of its 1m slices bad (good: value <= 1000) over 1h of data (objective 99%, budget 1%)"
		if exitcode.Of(err) != exitcode.Aborted || !strings.Contains(err.Error(), want) {
			t.Errorf("exit %d: %v\nwant the refusal %q", exitcode.Of(err), err, want)
		}
		t.Log(err)
		// The run started a minute ago: its minute is bad, 100% of the
		// slices, over 500 log lines.
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		trip := slo.Policy{BurnRateCap: slo.PageFactor, CheckEvery: 20 * time.Millisecond}.Watch(ctx, clients, []*slo.SLO{s}, time.Now().Add(-time.Minute))
		if trip == nil || trip.Events != 500 || !strings.Contains(trip.Reason, "burns its 30d budget at 100.0× over the last 1m of the run (cap 14.4×): 100% of its 1m slices bad (good: value <= 1000), 500 events") {
			t.Errorf("trip %+v", trip)
		}
		if trip != nil {
			t.Log(trip.Reason)
		}
	})
}
