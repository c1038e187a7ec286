package capacity

import (
	"strings"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/load"
	"github.com/gamedayhq/gameday/harness/internal/report"
	"github.com/gamedayhq/gameday/harness/internal/verdict"
)

// TestSearchFindsAKnownCapacity runs the search against systems whose
// capacity is known (a step holds when its rate is at most the capacity):
// it ends with the capacity between the highest step that held and the
// lowest that broke, those within the resolution, in few steps.
func TestSearchFindsAKnownCapacity(t *testing.T) {
	for name, tc := range map[string]struct {
		s        Search
		capacity float64
		outcome  string
		maxSteps int
	}{
		"60 req/s from 10":                         {Search{From: 10, Max: 1000, Resolution: 0.1, MaxSteps: 16}, 60, Found, 8},
		"2000 req/s from 10":                       {Search{From: 10, Max: 10000, Resolution: 0.1, MaxSteps: 16}, 2000, Found, 13},
		"7.3 req/s from 1":                         {Search{From: 1, Max: 100, Resolution: 0.05, MaxSteps: 16}, 7.3, Found, 9},
		"above the highest rate allowed":           {Search{From: 10, Max: 300, Resolution: 0.1, MaxSteps: 16}, 5000, AtLeastMax, 7},
		"below the lowest rate":                    {Search{From: 10, Max: 300, Resolution: 0.1, MaxSteps: 16}, 5, LowestBroke, 1},
		"out of steps before the resolution":       {Search{From: 10, Max: 1000, Resolution: 0.01, MaxSteps: 5}, 60, OutOfSteps, 5},
		"a zone lost: from two thirds, below 66":   {Search{From: 10, Max: 1000, Resolution: 0.1, MaxSteps: 16, Start: 40, Broke: 66}, 40, Found, 5},
		"a zone lost that halves it: down from 40": {Search{From: 10, Max: 1000, Resolution: 0.1, MaxSteps: 16, Start: 40, Broke: 66}, 25, Found, 6},
	} {
		t.Run(name, func(t *testing.T) {
			s := tc.s
			var rates []float64
			for {
				r, done := s.Next()
				if done != "" {
					if done != tc.outcome {
						t.Errorf("outcome %q, want %q", done, tc.outcome)
					}
					break
				}
				if len(rates) > 50 {
					t.Fatal("the search does not end")
				}
				rates = append(rates, r)
				s.Record(r, r <= tc.capacity)
			}
			t.Logf("steps %v: held %g, broke %g", rates, s.Held, s.Broke)
			if len(rates) > tc.maxSteps || s.Steps() != len(rates) {
				t.Errorf("%d steps, want at most %d", len(rates), tc.maxSteps)
			}
			if tc.outcome == Found && (s.Held > tc.capacity || s.Broke <= tc.capacity || s.Broke > s.Held*(1+s.Resolution)+1e-9) {
				t.Errorf("capacity %g not within one step [%g, %g)", tc.capacity, s.Held, s.Broke)
			}
		})
	}
}

// stepReport is a step's game day: 20 s at rate from t0, every second
// requesting rate, sending sent × rate, failing fail of them, with the
// given p99 (ms).
func stepReport(rate, sent, fail, p99 float64, status verdict.Status) *report.Report {
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	r := &report.Report{Timings: report.Timings{Start: t0, End: t0.Add(20 * time.Second)}, Verdict: verdict.Verdict{Status: status}}
	for s := range 20 {
		n := uint64(rate * sent)
		bad := uint64(fail * float64(n))
		p := report.Point{Offset: s, Target: rate, Requests: n, Successes: n - bad, P95: p99 / 2, P99: p99}
		if bad > 0 {
			p.Errors = []load.ErrorCount{{Class: load.StatusClass(429), Count: bad}}
		}
		r.Timeline = append(r.Timeline, p)
	}
	return r
}

func TestJudgeAStep(t *testing.T) {
	c := DefaultCriteria()
	for name, tc := range map[string]struct {
		rep     *report.Report
		outcome string
		reason  string
	}{
		"within every SLO":                  {stepReport(100, 1, 0, 20, verdict.Held), StepHeld, ""},
		"throttled: one request in ten 429": {stepReport(100, 1, 0.1, 20, verdict.Held), StepBroke, "error ratio 10.000% > 0.100% (http_429 180)"},
		"slow":                              {stepReport(100, 1, 0, 1500, verdict.Held), StepBroke, "p95 750 ms > 250 ms; p99 1500 ms > 1000 ms"},
		"the experiment's own probe failed": {stepReport(100, 1, 0, 20, verdict.Failed), StepBroke, "the experiment's hypothesis failed"},
		"the generator could not send the rate, the target kept up": {stepReport(100, 0.7, 0, 20, verdict.Held), StepInconclusive,
			"the load generator sent 70% of the 100 req/s asked (70.0 req/s): it, not the target, is the limit here"},
		"the generator lagged and the target broke: the target broke": {stepReport(100, 0.7, 0.5, 20, verdict.Held), StepBroke, "error ratio 50.000%"},
		"an inconclusive game day":                                    {stepReport(100, 1, 0, 20, verdict.Inconclusive), StepInconclusive, "the game day was inconclusive"},
	} {
		t.Run(name, func(t *testing.T) {
			s := Step{Rate: 100}
			judge(&s, tc.rep, nil, tc.rep.Timings.Start.Add(2*time.Second), tc.rep.Timings.End, c)
			if s.Outcome != tc.outcome || !strings.Contains(strings.Join(s.Reasons, "; "), tc.reason) {
				t.Errorf("%s %q, want %s saying %q", s.Outcome, s.Reasons, tc.outcome, tc.reason)
			}
			if s.WindowSeconds != 18 || s.Requests == 0 {
				t.Errorf("window %gs, %d requests: want the 18 s after the warm-up", s.WindowSeconds, s.Requests)
			}
		})
	}
	var s Step
	judge(&s, nil, nil, time.Time{}, time.Time{}, c)
	if s.Outcome != StepInconclusive {
		t.Errorf("no report: %s", s.Outcome)
	}
}

func TestAnswer(t *testing.T) {
	phase := func(name string, capacity, broke float64, outcome string) *Phase {
		return &Phase{Name: name, Capacity: capacity, Broke: broke, Outcome: outcome}
	}
	base := func() *Result {
		return &Result{Search: Params{From: 10}, Zone: "zone-a", Replicas: 6, LostReplicas: 2, ReadyByZone: map[string]int{"zone-a": 2, "zone-b": 2, "zone-c": 2},
			AllZones: phase("all-zones", 120, 128, Found), ZoneDown: phase("zone-a-down", 80, 86, Found)}
	}
	for name, tc := range map[string]struct {
		edit   func(r *Result)
		line   string
		needed int
	}{
		"survives with headroom": {func(r *Result) { r.Peak = &Peak{Rate: 58, Range: "7d"} },
			"survives losing zone-a at today's peak: yes, 38 % headroom (capacity 80 req/s with zone-a down, 120 req/s with every zone; peak 58 req/s over 7d)", 0},
		"does not survive: replicas needed": {func(r *Result) { r.Peak = &Peak{Rate: 130} },
			"survives losing zone-a at today's peak: no, 38 % short (capacity 80 req/s with zone-a down, 120 req/s with every zone; peak 130 req/s (given)): 12 replicas would be needed (4 per zone over 3 zones; HPA minReplicas 12), at the 20 req/s a replica took with zone-a down", 12},
		"no peak": {nil, "capacity 80 req/s with zone-a down, 120 req/s with every zone; no production peak to compare with: --peak, or --peak-prometheus-url", 0},
		"the lowest step broke with the zone down": {func(r *Result) {
			r.ZoneDown = phase("zone-a-down", 0, 10, LowestBroke)
			r.Peak = &Peak{Rate: 5}
		}, "survives losing zone-a: no, even the lowest step (10 req/s) broke the SLOs with zone-a down (capacity 120 req/s with every zone)", 0},
		"the lowest step broke with every zone": {func(r *Result) { r.AllZones, r.ZoneDown = phase("all-zones", 0, 10, LowestBroke), nil },
			"even the lowest step (10 req/s) broke the SLOs with every zone: no capacity to speak of (see the steps)", 0},
		"out of steps below the peak, the peak under what broke: unknown": {func(r *Result) {
			r.ZoneDown = phase("zone-a-down", 50, 70, OutOfSteps)
			r.Peak = &Peak{Rate: 60, Range: "7d"}
		}, "survives losing zone-a at today's peak: unknown, the search ended before it knew (capacity at least 50 req/s (70 req/s broke; out of steps) with zone-a down, 120 req/s with every zone; peak 60 req/s over 7d)", 0},
		"out of steps, the peak above what broke: no": {func(r *Result) {
			r.ZoneDown = phase("zone-a-down", 50, 70, OutOfSteps)
			r.Peak = &Peak{Rate: 75, Range: "7d"}
		}, "survives losing zone-a at today's peak: no, 33 % short (capacity at least 50 req/s (70 req/s broke; out of steps) with zone-a down, 120 req/s with every zone; peak 75 req/s over 7d): 9 replicas would be needed (3 per zone over 3 zones; HPA minReplicas 9), at the 12.5 req/s a replica took with zone-a down", 9},
		"at least the highest rate": {func(r *Result) {
			r.AllZones = phase("all-zones", 1000, 0, AtLeastMax)
			r.ZoneDown = phase("zone-a-down", 1000, 0, AtLeastMax)
			r.Peak = &Peak{Rate: 200, Range: "7d"}
		}, "survives losing zone-a at today's peak: yes, 400 % headroom (capacity at least 1000 req/s with zone-a down, at least 1000 req/s with every zone; peak 200 req/s over 7d)", 0},
	} {
		t.Run(name, func(t *testing.T) {
			r := base()
			if tc.edit != nil {
				tc.edit(r)
			}
			a := answer(r)
			if a.Line != tc.line || a.ReplicasNeeded != tc.needed {
				t.Errorf("answer\n%s (%d needed)\nwant\n%s (%d needed)", a.Line, a.ReplicasNeeded, tc.line, tc.needed)
			}
		})
	}
}
