package runner_test

import (
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/probe"
	"github.com/gamedayhq/gameday/harness/internal/runner"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

func TestProfile(t *testing.T) {
	d := spec.Duration(10 * time.Second)
	tests := map[string]struct {
		load     spec.Load
		wantRate map[time.Duration]float64
	}{
		"a constant rate holds for the whole load": {
			load:     spec.Load{Duration: d, Profile: spec.RateProfile{Constant: &spec.ConstantRate{Rate: 50}}},
			wantRate: map[time.Duration]float64{0: 50, 9 * time.Second: 50, 10 * time.Second: 0},
		},
		"a ramp goes linearly over the load": {
			load:     spec.Load{Duration: d, Profile: spec.RateProfile{Ramp: &spec.RampRate{From: 0, To: 100}}},
			wantRate: map[time.Duration]float64{0: 0, 5 * time.Second: 50},
		},
		"steps hold each rate for its duration": {
			load: spec.Load{Duration: d, Profile: spec.RateProfile{Steps: []spec.RateStep{
				{Rate: 10, Duration: spec.Duration(4 * time.Second)}, {Rate: 30, Duration: spec.Duration(6 * time.Second)}}}},
			wantRate: map[time.Duration]float64{time.Second: 10, 5 * time.Second: 30},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			p, err := runner.Profile(tt.load)
			if err != nil {
				t.Fatal(err)
			}
			if p.Duration() != 10*time.Second {
				t.Errorf("duration %s, want 10s", p.Duration())
			}
			for at, want := range tt.wantRate {
				if got := p.Rate(at); got != want {
					t.Errorf("rate at %s: %g, want %g", at, got, want)
				}
			}
		})
	}
}

func TestTolerance(t *testing.T) {
	tests := map[string]struct {
		tol  *spec.Tolerance
		in   []float64
		out  []float64
		want string
	}{
		"a threshold keeps its operator": {
			tol: &spec.Tolerance{Threshold: &spec.Threshold{Op: spec.OpLT, Value: 0.5}},
			in:  []float64{0.49}, out: []float64{0.5, 2}, want: "< 0.5",
		},
		"a range is inclusive": {
			tol: &spec.Tolerance{Range: &spec.Range{Min: 0.99, Max: 1}},
			in:  []float64{0.99, 1}, out: []float64{0.98, 1.01}, want: "in [0.99, 1]",
		},
		"no tolerance accepts any measured value": {
			in: []float64{-1, 1e9}, want: "any value",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got := runner.Tolerance(tt.tol)
			for _, v := range tt.in {
				if !got.Holds(v) {
					t.Errorf("%g does not hold %s", v, got)
				}
			}
			for _, v := range tt.out {
				if got.Holds(v) {
					t.Errorf("%g holds %s", v, got)
				}
			}
			if got.String() != tt.want {
				t.Errorf("%s, want %s", got, tt.want)
			}
		})
	}
}

func TestSchedules(t *testing.T) {
	e := experiment(t, func(e *spec.Experiment) {
		e.Spec.Hypothesis.Probes = append(e.Spec.Hypothesis.Probes, spec.Probe{
			Name: "logs", Type: spec.ProbeLogQL, LogQL: &spec.LogQLProbe{Query: `sum(count_over_time({app="petclinic"} |= "ERROR" [1m]))`},
			Tolerance: &spec.Tolerance{Threshold: &spec.Threshold{Op: spec.OpLT, Value: 1}}, Mode: spec.ModeAfter,
			Interval: spec.Duration(2 * time.Second), Weight: 1,
		})
	})
	ss, err := runner.Schedules(e, runner.Clients{TargetURL: "http://127.0.0.1:8080/"})
	if err != nil {
		t.Fatal(err)
	}
	h, ok := ss[0].Probe.(*probe.HTTP)
	if !ok || h.URL != "http://127.0.0.1:8080/" || ss[0].Mode != probe.ModeContinuous || ss[0].Interval != time.Second {
		t.Errorf("http schedule %+v (%+v)", ss[0], ss[0].Probe)
	}
	// Without a Loki the LogQL probe is skipped, never passed.
	if s := ss[1].Probe.Check(t.Context(), time.Now()); s.Status != probe.StatusSkipped || ss[1].Mode != probe.ModeAfter {
		t.Errorf("logql sample %s in mode %s, want skipped in after", s.Status, ss[1].Mode)
	}
	if _, err := runner.Schedules(e, runner.Clients{}); err == nil {
		t.Error("an http probe with a path and no target URL is accepted")
	}
}
