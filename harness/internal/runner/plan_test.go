package runner_test

import (
	"testing"
	"time"

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
