package load

import (
	"errors"
	"slices"
	"testing"
	"time"
)

// simulate drives a pacer with a virtual clock, as vegeta's attack loop
// does (sleep the returned wait, then send a hit), and counts hits per
// second.
func simulate(t *testing.T, p Profile) []int {
	t.Helper()
	var (
		elapsed time.Duration
		hits    uint64
		perSec  []int
	)
	for {
		wait, stop := p.Pace(elapsed, hits)
		if stop {
			return perSec
		}
		if wait < 0 {
			t.Fatalf("Pace(%s, %d) waits %s, a negative wait", elapsed, hits, wait)
		}
		elapsed += wait
		sec := int(elapsed / time.Second)
		for len(perSec) <= sec {
			perSec = append(perSec, 0)
		}
		perSec[sec]++
		hits++
		if hits > 1e6 {
			t.Fatal("the pacer never stops")
		}
	}
}

func mustProfile(t *testing.T) func(Profile, error) Profile {
	return func(p Profile, err error) Profile {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
}

func TestProfilePacesTheExpectedHitsEverySecond(t *testing.T) {
	must := mustProfile(t)
	tests := map[string]struct {
		profile Profile
		want    []int
	}{
		"a constant rate sends that many hits each second": {
			profile: must(Constant(5, 3*time.Second)),
			want:    []int{5, 5, 5},
		},
		"a fractional constant rate spreads the fraction over the seconds": {
			profile: must(Constant(2.5, 4*time.Second)),
			want:    []int{3, 2, 3, 2},
		},
		"a ramp from zero rises by the slope, holding the area of each second": {
			// rate 0→8 over 4 s: areas 1, 3, 5, 7
			profile: must(Ramp(0, 8, 4*time.Second)),
			want:    []int{1, 3, 5, 7},
		},
		"a ramp down ends at its target rate": {
			profile: must(Ramp(8, 0, 4*time.Second)),
			want:    []int{7, 5, 3, 1},
		},
		"a ramp to the same rate is a constant rate": {
			profile: must(Ramp(3, 3, 2*time.Second)),
			want:    []int{3, 3},
		},
		"steps hold each rate for its duration": {
			profile: must(Steps(Step{Rate: 2, Duration: 2 * time.Second}, Step{Rate: 10, Duration: time.Second}, Step{Rate: 4, Duration: time.Second})),
			want:    []int{2, 2, 10, 4},
		},
		"a zero step pauses the load instead of flooding the target": {
			profile: must(Steps(Step{Rate: 3, Duration: time.Second}, Step{Rate: 0, Duration: 2 * time.Second}, Step{Rate: 3, Duration: time.Second})),
			want:    []int{3, 0, 0, 3},
		},
		"a plan duration cuts a ramp short at the rate it reached": {
			profile: must(Ramp(0, 8, 4*time.Second)).truncate(2 * time.Second),
			want:    []int{1, 3},
		},
		"a plan duration cuts steps inside a step": {
			profile: must(Steps(Step{Rate: 2, Duration: 2 * time.Second}, Step{Rate: 10, Duration: 2 * time.Second})).truncate(3 * time.Second),
			want:    []int{2, 2, 10},
		},
		"a profile that starts with a pause sends its first hit when the pause ends": {
			profile: must(Steps(Step{Rate: 0, Duration: time.Second}, Step{Rate: 2, Duration: time.Second})),
			want:    []int{0, 2},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := simulate(t, tc.profile)
			if !slices.Equal(got, tc.want) {
				t.Errorf("hits per second = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestProfileHitsIsTheIntegralOfRate(t *testing.T) {
	must := mustProfile(t)
	p := must(Steps(Step{Rate: 10, Duration: time.Second}, Step{Rate: 0, Duration: time.Second}))
	r := must(Ramp(100, 300, 10*time.Second))
	tests := map[string]struct {
		got, want float64
	}{
		"steps before the start":               {p.Hits(-time.Second), 0},
		"steps half way through the first":     {p.Hits(500 * time.Millisecond), 5},
		"steps in the pause":                   {p.Hits(1500 * time.Millisecond), 10},
		"steps after the end":                  {p.Hits(time.Hour), 10},
		"ramp after 10s: mean rate 200 × 10 s": {r.Hits(10 * time.Second), 2000},
		"ramp after 5s: mean rate 150 × 5 s":   {r.Hits(5 * time.Second), 750},
		"ramp rate at 5s":                      {r.Rate(5 * time.Second), 200},
		"ramp rate after the end":              {r.Rate(11 * time.Second), 0},
		"ramp duration in seconds":             {r.Duration().Seconds(), 10},
		"ramp peak rate":                       {r.MaxRate(), 300},
		"steps peak rate":                      {p.MaxRate(), 10},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if diff := tc.got - tc.want; diff > 1e-9 || diff < -1e-9 {
				t.Errorf("got %g, want %g", tc.got, tc.want)
			}
		})
	}
}

func TestProfileRejectsImpossibleShapes(t *testing.T) {
	tests := map[string]func() (Profile, error){
		"a negative rate":     func() (Profile, error) { return Constant(-1, time.Second) },
		"a zero duration":     func() (Profile, error) { return Ramp(1, 2, 0) },
		"no step":             func() (Profile, error) { return Steps() },
		"a step without time": func() (Profile, error) { return Steps(Step{Rate: 1}) },
	}
	for name, build := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := build()
			if !errors.Is(err, ErrInvalidProfile) {
				t.Errorf("error = %v, want ErrInvalidProfile", err)
			}
		})
	}
}

func TestProfileString(t *testing.T) {
	p, err := Steps(Step{Rate: 10, Duration: time.Second}, Step{Rate: 20, Duration: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Ramp(1, 50, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for got, want := range map[string]string{
		p.String(): "10/s for 1s, then 20/s for 1m0s",
		r.String(): "ramp 1→50/s for 1m0s",
	} {
		if got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
}
