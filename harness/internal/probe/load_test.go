package probe

import (
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/load"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// TestLoadProbeReadsTheCorrectedLatency: a load probe judges the latency
// from the intended send time, not the service time, over its window only.
func TestLoadProbeReadsTheCorrectedLatency(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	tl := load.NewTimeline(load.TimelineConfig{Start: t0, SealAfter: time.Minute})
	for i := range 100 {
		at := t0.Add(20*time.Second + time.Duration(i)*10*time.Millisecond)
		// served in 20 ms, but the last 10 sent 900 ms late: every worker
		// was held by the target
		late := time.Duration(0)
		if i >= 90 {
			late = 900 * time.Millisecond
		}
		r := load.Record{At: at, Intended: at.Add(-late), Latency: 20 * time.Millisecond, Code: 200}
		if i%10 == 0 {
			r.Code, r.Class = 503, load.StatusClass(503)
		}
		tl.Add(r)
	}
	// a slow request long before the window must not count
	tl.Add(load.Record{At: t0.Add(time.Second), Latency: 5 * time.Second, Code: 200})
	under := lt
	at := t0.Add(21 * time.Second)
	tests := map[string]struct {
		p          *Load
		wantStatus Status
		wantValue  float64 // within 1 %
	}{
		"p99 from the intended send time breaches what the service time would pass": {
			p: &Load{Metric: spec.LoadP99, Window: 10 * time.Second, Tolerance: under(0.5)}, wantStatus: StatusBreached, wantValue: 0.92,
		},
		"p50 is the service time: most were sent on time": {
			p: &Load{Metric: spec.LoadP50, Window: 10 * time.Second, Tolerance: under(0.5)}, wantStatus: StatusOK, wantValue: 0.02,
		},
		"error-ratio counts the failed share": {
			p: &Load{Metric: spec.LoadErrorRatio, Window: 10 * time.Second, Tolerance: under(0.05)}, wantStatus: StatusBreached, wantValue: 0.1,
		},
		"a window with no request completed is not measured": {
			p: &Load{Metric: spec.LoadP99, Window: time.Second, Tolerance: under(0.5)}, wantStatus: StatusError,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			tc.p.ProbeName, tc.p.Source = "client", tl
			a := at
			if tc.wantStatus == StatusError {
				a = t0.Add(10 * time.Second) // [9s, 10s): nothing
			}
			s := tc.p.Check(t.Context(), a)
			if s.Status != tc.wantStatus {
				t.Fatalf("status %s (%v), want %s", s.Status, s.Err, tc.wantStatus)
			}
			if tc.wantStatus != StatusError && (s.Value < tc.wantValue*0.99 || s.Value > tc.wantValue*1.01) {
				t.Errorf("value %g, want %g", s.Value, tc.wantValue)
			}
		})
	}
	for name, src := range map[string]LoadSource{"no load": nil, "a load not started yet": &LateTimeline{}} {
		if s := (&Load{ProbeName: "client", Metric: spec.LoadP99, Window: time.Second, Source: src}).Check(t.Context(), at); s.Status != StatusError {
			t.Errorf("%s: %s, want error (never a pass)", name, s.Status)
		}
	}
	// A target that answers nothing: requests were due, none completed.
	profile, err := load.Constant(100, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	frozen := load.NewTimeline(load.TimelineConfig{Start: t0, Profile: &profile})
	frozen.Add(load.Record{At: t0.Add(time.Second), Latency: 10 * time.Millisecond, Code: 200})
	s := (&Load{ProbeName: "client", Metric: spec.LoadP99, Window: 10 * time.Second, Tolerance: under(0.5), Source: frozen}).Check(t.Context(), t0.Add(30*time.Second))
	if s.Status != StatusBreached || s.Err == nil || s.Err.Error() != "client: no request completed in the last 10s, 1000 were due" {
		t.Errorf("frozen target: %s (%v), want a breach: nothing completed though 1000 were due", s.Status, s.Err)
	}
}
