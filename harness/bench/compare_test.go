package bench

import (
	"os"
	"strings"
	"testing"
	"time"
)

// run is one attack of 10 s at rate: sent and ok of the requested, and
// the CPU per request.
func run(tool string, rate, sent, ok float64, perRequest time.Duration, rss int64) ToolRun {
	n := uint64(rate * 10 * sent)
	return ToolRun{Tool: tool, Rate: rate, Duration: 10 * time.Second, Requests: n, OK: uint64(float64(n) * ok),
		CPU: perRequest * time.Duration(n), PeakRSS: rss}
}

func TestParseVegetaReport(t *testing.T) {
	// recorded from `vegeta report -type=json` of v12.13.0
	b, err := os.ReadFile("testdata/vegeta-report.json")
	if err != nil {
		t.Fatal(err)
	}
	r := ToolRun{Rate: 50, Duration: time.Second}
	if err := parseVegetaReport(b, &r); err != nil {
		t.Fatal(err)
	}
	if r.Requests != 50 || r.OK != 50 || r.P99 != 10492970 || r.Achieved() != 1 || !r.Held() {
		t.Errorf("parsed %+v, want 50 requests, all ok, p99 10.49297ms", r)
	}
	for _, bad := range []string{`{"requests": 5, "success": 1.5}`, `not json`} {
		if err := parseVegetaReport([]byte(bad), &r); err == nil {
			t.Errorf("%s parsed", bad)
		}
	}
}

func TestTheKneeIsTheLastRateVegetaHeld(t *testing.T) {
	held := func(rate float64) Pair {
		return Pair{Rate: rate, Vegeta: []ToolRun{run(ToolVegeta, rate, 1, 1, time.Microsecond, 1), run(ToolVegeta, rate, 0.999, 1, time.Microsecond, 1)}}
	}
	dropped := func(rate float64) Pair {
		return Pair{Rate: rate, Vegeta: []ToolRun{run(ToolVegeta, rate, 1, 1, time.Microsecond, 1), run(ToolVegeta, rate, 0.95, 1, time.Microsecond, 1)}}
	}
	failed := func(rate float64) Pair {
		return Pair{Rate: rate, Vegeta: []ToolRun{run(ToolVegeta, rate, 1, 0.9, time.Microsecond, 1)}}
	}
	tests := map[string]struct {
		pairs      []Pair
		knee, past float64
	}{
		"held at every rate: the knee is the last, to search beyond": {[]Pair{held(2000), held(8000), held(12000)}, 12000, 0},
		"one round of two sending 95% is not holding":                {[]Pair{held(2000), dropped(8000), held(12000)}, 2000, 8000},
		"errors are not holding either":                              {[]Pair{failed(2000), held(8000)}, 0, 2000},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if k, p := heldUpTo(tc.pairs), firstNotHeld(tc.pairs); k != tc.knee || p != tc.past {
				t.Errorf("knee %g, past %g; want %g and %g", k, p, tc.knee, tc.past)
			}
		})
	}
}

func TestComparisonChecks(t *testing.T) {
	const mib = 1 << 20
	at := func(rate float64, vegetaCPU, gamedayCPU time.Duration, gamedaySent, gamedayOK float64, rss int64) Pair {
		return Pair{Rate: rate,
			Vegeta:  []ToolRun{run(ToolVegeta, rate, 1, 1, vegetaCPU, 30*mib), run(ToolVegeta, rate, 1, 1, vegetaCPU, 30*mib)},
			Gameday: []ToolRun{run(ToolGameday, rate, gamedaySent, gamedayOK, gamedayCPU, rss), run(ToolGameday, rate, 1, 1, gamedayCPU, 40*mib)}}
	}
	us := time.Microsecond
	tests := map[string]struct {
		c    Comparison
		want string // result per check, in order
	}{
		"cheaper, as good, small: every target met": {
			c:    Comparison{Knee: 8000, Pairs: []Pair{at(2000, 50*us, 45*us, 1, 1, 40*mib), at(8000, 40*us, 44*us, 1, 1, 45*mib)}},
			want: "PPPP" + "PPPP",
		},
		"11% more CPU per request than Vegeta fails": {
			c:    Comparison{Knee: 2000, Pairs: []Pair{at(2000, 40*us, 44400*time.Nanosecond, 1, 1, 40*mib)}},
			want: "FPPP",
		},
		"losing requests or successes Vegeta kept fails": {
			c:    Comparison{Knee: 2000, Pairs: []Pair{at(2000, 40*us, 40*us, 0.98, 0.98, 40*mib)}},
			want: "PFFP",
		},
		"past Vegeta's knee only memory is a target": {
			c:    Comparison{Knee: 2000, Past: 8000, Pairs: []Pair{at(2000, 40*us, 40*us, 1, 1, 40*mib), at(8000, 10*us, 90*us, 0.5, 1, 99*mib)}},
			want: "PPPP" + "P",
		},
		"100 MiB at any rate fails": {
			c:    Comparison{Knee: 2000, Past: 8000, Pairs: []Pair{at(2000, 40*us, 40*us, 1, 1, 40*mib), at(8000, 10*us, 90*us, 0.5, 1, 100*mib)}},
			want: "PPPP" + "F",
		},
		"Vegeta held nothing: memory is still checked": {
			c:    Comparison{Knee: 0, Past: 2000, Pairs: []Pair{at(2000, 40*us, 80*us, 1, 1, 40*mib)}},
			want: "P",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := ""
			for _, ck := range tc.c.Checks() {
				got += map[bool]string{true: "P", false: "F"}[ck.OK]
			}
			if got != tc.want {
				t.Errorf("got %s, want %s (%+v)", got, tc.want, tc.c.Checks())
			}
			if tc.c.Passed() != !strings.Contains(got, "F") {
				t.Errorf("Passed %t for %s", tc.c.Passed(), got)
			}
		})
	}
}

func TestRatiosOfARun(t *testing.T) {
	r := run(ToolGameday, 2000, 0.5, 0.9, 40*time.Microsecond, 1)
	if r.Requests != 10000 || r.Achieved() != 0.5 || r.Success() != 0.9 || r.CPUPerRequest() != 40*time.Microsecond || r.Held() {
		t.Errorf("run %+v: achieved %g success %g cpu/request %s held %t", r, r.Achieved(), r.Success(), r.CPUPerRequest(), r.Held())
	}
	if (ToolRun{}).Achieved() != 0 || (ToolRun{}).Success() != 0 || (ToolRun{}).CPUPerRequest() != 0 {
		t.Error("an empty run must give zeros, not NaN")
	}
}
