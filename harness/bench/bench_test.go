package bench

import (
	"fmt"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/load"
)

func sec(i int, target float64, requests, canceled uint64) load.Second {
	return load.Second{Offset: time.Duration(i) * time.Second, Target: target, Requests: requests, Canceled: canceled, Successes: requests}
}

func TestFiguresRatios(t *testing.T) {
	tests := map[string]struct {
		d                     time.Duration
		secs                  []load.Second
		total                 load.Summary
		wantAchieved, wantMin float64
		wantAt                time.Duration
	}{
		"every second on target gives ones": {
			d:            2 * time.Second,
			secs:         []load.Second{sec(0, 100, 100, 0), sec(1, 100, 100, 0)},
			total:        load.Summary{Requests: 200, Successes: 200},
			wantAchieved: 1, wantMin: 1,
		},
		"the worst second is found and canceled requests count as sent": {
			d:            3 * time.Second,
			secs:         []load.Second{sec(0, 100, 100, 0), sec(1, 100, 80, 10), sec(2, 100, 110, 0)},
			total:        load.Summary{Requests: 290, Successes: 290, Canceled: 10},
			wantAchieved: 1, wantMin: 0.9, wantAt: time.Second,
		},
		"a late bucket past the profile's end is not a second of the profile": {
			d:            2 * time.Second,
			secs:         []load.Second{sec(0, 100, 99, 0), sec(1, 100, 100, 0), sec(2, 0, 1, 0)},
			total:        load.Summary{Requests: 200, Successes: 200},
			wantAchieved: 1, wantMin: 0.99,
		},
		"no second of the profile gives a worst of zero": {
			secs:         nil,
			total:        load.Summary{},
			wantAchieved: 0, wantMin: 0,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			f := Figures(100, tt.d, tt.secs, tt.total)
			if f.Achieved != tt.wantAchieved || f.Worst != tt.wantMin || f.WorstAt != tt.wantAt {
				t.Errorf("got achieved %v worst %v at %v, want %v %v at %v", f.Achieved, f.Worst, f.WorstAt, tt.wantAchieved, tt.wantMin, tt.wantAt)
			}
		})
	}
}

func TestChecksCompareWithTheTargets(t *testing.T) {
	good := Result{
		Sandbox: AttackFigures{Achieved: 1, Worst: 0.995, Success: 1, Process: ProcFigures{CPU: 30 * time.Second, Wall: 60 * time.Second}},
		Short:   GameDayFigures{Duration: time.Minute, Process: ProcFigures{PeakRSS: 40e6, PeakHeap: 5e6}},
		Long:    GameDayFigures{Duration: 5 * time.Minute, Process: ProcFigures{PeakRSS: 44e6, PeakHeap: 6e6}},
	}
	tests := map[string]struct {
		change func(*Result)
		want   string // result per check, in order
	}{
		"figures within every target pass":   {func(*Result) {}, "PPPPPP"},
		"a worst second under 0.99 fails":    {func(r *Result) { r.Sandbox.Worst = 0.98 }, "PFPPPP"},
		"a failing target fails its check":   {func(r *Result) { r.Sandbox.Success = 0.5 }, "PPFPPP"},
		"one whole core is not under one":    {func(r *Result) { r.Sandbox.Process.CPU = 60 * time.Second }, "PPPFPP"},
		"RSS growing by a quarter fails":     {func(r *Result) { r.Long.Process.PeakRSS = 50e6 }, "PPPPFP"},
		"heap growing by a half fails":       {func(r *Result) { r.Long.Process.PeakHeap = 7.5e6 }, "PPPPPF"},
		"a missing measurement never passes": {func(r *Result) { r.Short.Process = ProcFigures{} }, "PPPPFF"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			r := good
			tt.change(&r)
			got := ""
			for _, c := range r.Checks() {
				got += map[bool]string{true: "P", false: "F"}[c.OK]
			}
			if got != tt.want {
				t.Errorf("got %s, want %s (%v)", got, tt.want, fmt.Sprint(r.Checks()))
			}
			if r.Passed() != (got == "PPPPPP") {
				t.Errorf("got Passed %t for %s", r.Passed(), got)
			}
		})
	}
}

func TestReadOnlyMixHasNoWrite(t *testing.T) {
	mix := ReadOnlyMix()
	if len(mix) == 0 {
		t.Fatal("got an empty mix")
	}
	for _, w := range mix {
		for _, j := range load.Journeys() {
			if j.Name == w.Journey && j.Writes {
				t.Errorf("got write journey %s in the read-only mix", j.Name)
			}
		}
	}
}

// The access log's verdict is on the medians of the CPU per request, warn
// over info; the throughput ratio is informational.
func TestAccessLogRatios(t *testing.T) {
	round := func(level string, okPerSec float64, cpu time.Duration) AccessLogRound {
		return AccessLogRound{Level: level, Load: MaxRate{OKPerSec: okPerSec}, CPUPerReq: cpu}
	}
	r := AccessLogResult{Rounds: []AccessLogRound{
		round("warn", 3000, 100*time.Microsecond), round("info", 2000, 105*time.Microsecond),
		round("info", 3100, 110*time.Microsecond), round("warn", 1500, 400*time.Microsecond),
		round("warn", 3200, 98*time.Microsecond), round("info", 2900, 300*time.Microsecond),
	}}
	if got, want := r.CPURatio(), 100.0/110; got != want {
		t.Errorf("CPURatio() = %v, want %v (medians 100µs at warn, 110µs at info)", got, want)
	}
	if got, want := r.Ratio(), 2900.0/3000; got != want {
		t.Errorf("Ratio() = %v, want %v", got, want)
	}
	if !r.Passed() {
		t.Error("a 10% dearer request fails the 0.90 target, want it kept (0.909)")
	}
	r.Rounds[2].CPUPerReq = 120 * time.Microsecond
	if r.Passed() {
		t.Errorf("CPURatio %v passed, want a failure under 0.90", r.CPURatio())
	}
	if got := median([]float64{4, 1, 3, 2}); got != 2.5 {
		t.Errorf("median of 1..4 = %v, want 2.5", got)
	}
}
