package regression_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/regression"
	"github.com/gamedayhq/gameday/harness/internal/report"
	"github.com/gamedayhq/gameday/harness/internal/spec"
	"github.com/gamedayhq/gameday/harness/internal/verdict"
)

var t0 = time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)

// run is a synthetic game day of 60 s at 100 req/s: fault "kill" planned
// at +20 s for 20 s with a recovery grace of 10 s, injected at +inject;
// its p99 is 300 ms (else 10 ms) and one request in ten fails in the
// seconds [slowFrom, slowTo) after the injection.
type run struct {
	inject           int
	detect, recover  float64 // seconds; recover < 0: never came back
	slowFrom, slowTo int
	errFrom, errTo   int
	score            float64
	notInjected      bool
}

func (s run) report(id string) *report.Report {
	r := &report.Report{RunID: id, Suite: "gate", Experiment: report.Experiment{Name: "pod-kill"},
		Timings: report.Timings{Start: t0, End: t0.Add(60 * time.Second)}, Verdict: verdict.Verdict{Score: verdict.Score{Percent: s.score}}}
	for sec := range 60 {
		p := report.Point{Offset: sec, Requests: 100, Successes: 100, P99: 10}
		if rel := sec - s.inject; rel >= s.slowFrom && rel < s.slowTo {
			p.P99 = 300
		}
		if rel := sec - s.inject; rel >= s.errFrom && rel < s.errTo {
			p.Successes = 90
		}
		r.Timeline = append(r.Timeline, p)
	}
	f := report.Fault{Name: "kill", Kind: "PodChaos", StartAfter: 20, Duration: 20}
	if !s.notInjected {
		d := time.Duration(s.detect * float64(time.Second))
		rc := verdict.Recovery{Probe: "front-door", Within: 10 * time.Second, Met: s.recover >= 0}
		if s.recover >= 0 {
			a := time.Duration(s.recover * float64(time.Second))
			rc.After = &a
		}
		f.Result = &verdict.FaultResult{Name: "kill", Injected: t0.Add(time.Duration(s.inject) * time.Second),
			Recovered: t0.Add(time.Duration(s.inject+20) * time.Second), Detect: &d, Recoveries: []verdict.Recovery{rc}}
	}
	r.Faults = []report.Fault{f}
	return r
}

// steady is a reference: detected in 2 s, back 1 s after the fault, a
// slow second and an error second right after the injection.
var steady = run{inject: 20, detect: 2, recover: 1, slowFrom: 0, slowTo: 2, errFrom: 0, errTo: 1, score: 100}

func compare(t *testing.T, cur *report.Report, mode string, th spec.Regression, refs ...*report.Report) *report.Comparison {
	t.Helper()
	lengths := regression.Lengths(cur)
	if got := lengths["kill"]; got != 30*time.Second && cur.Faults[0].Result != nil {
		t.Fatalf("window of kill: %s, want 30s (20s + a grace of 10s)", got)
	}
	var rm []regression.Metrics
	for _, r := range refs {
		rm = append(rm, regression.Measure(r, lengths))
	}
	return regression.Compare(regression.Measure(cur, lengths), rm, mode, []string{"kill"}, th)
}

func verdicts(c *report.Comparison) map[string]string {
	out := map[string]string{}
	for _, r := range c.Rows {
		out[r.Name()] = r.Verdict
	}
	return out
}

// TestGateAgainstOneRun compares a run with the last one that held: a
// seeded slower recovery regresses, noise does not; windows align on the
// injection, not on the planned start.
func TestGateAgainstOneRun(t *testing.T) {
	th := (*spec.Regression)(nil).WithDefaults()
	ref := steady.report("ref")
	for name, tc := range map[string]struct {
		cur       run
		regressed []string // the rows that must regress; every other is ok or better
	}{
		"noise: detection, recovery, p99 and errors within their allowances": {
			cur: run{inject: 20, detect: 3, recover: 2.5, slowFrom: 0, slowTo: 3, errFrom: 0, errTo: 1, score: 95},
		},
		"a slower recovery: back 12 s late, latency and errors up for 15 s": {
			cur:       run{inject: 20, detect: 2, recover: 13, slowFrom: 0, slowTo: 15, errFrom: 0, errTo: 15, score: 100},
			regressed: []string{"kill time to recover", "kill p99", "kill error ratio"},
		},
		"a recovery probe that never came back regresses whatever the numbers": {
			cur:       run{inject: 20, detect: 2, recover: -1, slowFrom: 0, slowTo: 2, errFrom: 0, errTo: 1, score: 100},
			regressed: []string{"kill time to recover"},
		},
		"a later detection and a lower score": {
			cur:       run{inject: 20, detect: 9, recover: 1, slowFrom: 0, slowTo: 2, errFrom: 0, errTo: 1, score: 75},
			regressed: []string{"kill time to detect", "score"},
		},
		"a fault injected 7 s late is compared from its injection: no regression": {
			cur: run{inject: 27, detect: 2, recover: 1, slowFrom: 0, slowTo: 2, errFrom: 0, errTo: 1, score: 100},
		},
	} {
		t.Run(name, func(t *testing.T) {
			c := compare(t, tc.cur.report("cur"), regression.ModeLastPassed, th, ref)
			got := verdicts(c)
			for row, v := range got {
				want := report.RowOK
				for _, r := range tc.regressed {
					if r == row {
						want = report.RowRegressed
					}
				}
				if v != want && !(want == report.RowOK && v == report.RowBetter) {
					t.Errorf("%s: %s, want %s", row, v, want)
				}
			}
			if len(got) != 5 {
				t.Errorf("%d rows (%v), want 4 of the fault window and the score", len(got), got)
			}
			if c.Regressed != (len(tc.regressed) > 0) || c.Failed != c.Regressed || len(c.Reasons) != len(tc.regressed) {
				t.Errorf("regressed %v, failed %v, reasons %q", c.Regressed, c.Failed, c.Reasons)
			}
			t.Log(c.Headline())
			for _, r := range c.Rows {
				t.Logf("  %s", strings.Join(r.Cells(), " | "))
			}
		})
	}
}

// TestGateAgainstABaseline: the reference is the median of the runs, and
// a change within 3 MADs of them is noise even past the relative
// allowance; too few runs compare nothing.
func TestGateAgainstABaseline(t *testing.T) {
	th := (&spec.Regression{Baseline: &spec.RegressionBaseline{Runs: 10, MinRuns: 3, MADs: 3}}).WithDefaults()
	var calm, wild []*report.Report
	for i, rec := range []float64{1, 1.5, 2, 1, 1.5} {
		r := steady
		r.recover = rec
		calm = append(calm, r.report("calm-"+string(rune('a'+i))))
	}
	for i, rec := range []float64{2, 20, 6, 14, 10} {
		r := steady
		r.recover = rec
		wild = append(wild, r.report("wild-"+string(rune('a'+i))))
	}
	slower := steady
	slower.recover = 12
	for name, tc := range map[string]struct {
		refs    []*report.Report
		cur     run
		verdict string
		spread  bool
	}{
		"a recovery 10 s slower than calm runs regresses":        {calm, slower, report.RowRegressed, true},
		"the same run against runs that vary that much is noise": {wild, slower, report.RowOK, true},
		"a run like the calm ones passes":                        {calm, steady, report.RowOK, true},
		"two runs of the three needed compare nothing":           {calm[:2], slower, "", false},
	} {
		t.Run(name, func(t *testing.T) {
			c := compare(t, tc.cur.report("cur"), regression.ModeBaseline, th, tc.refs...)
			if tc.verdict == "" {
				if c.Reference != nil || len(c.Rows) != 0 || c.Failed {
					t.Errorf("too few runs: %+v, want nothing compared", c)
				}
				return
			}
			got := verdicts(c)["kill time to recover"]
			if got != tc.verdict {
				t.Errorf("time to recover %s, want %s", got, tc.verdict)
			}
			for _, r := range c.Rows {
				if r.Metric == regression.MetricRecover && (r.Spread == nil) == tc.spread {
					t.Errorf("spread %v", r.Spread)
				}
				if r.Metric == regression.MetricRecover {
					t.Logf("%s", strings.Join(r.Cells(), " | "))
				}
			}
			if len(c.Reference) != len(tc.refs) {
				t.Errorf("reference %q", c.Reference)
			}
		})
	}
}

func TestGateRowsWithoutAValue(t *testing.T) {
	th := (*spec.Regression)(nil).WithDefaults()
	notInjected := steady
	notInjected.notInjected = true
	c := compare(t, notInjected.report("cur"), regression.ModeLastPassed, th, steady.report("ref"))
	if len(c.Rows) != 2 || c.Rows[0].Verdict != report.RowNotCompared || c.Rows[0].Note != "not injected in this run" || c.Regressed {
		t.Errorf("a fault not injected: %+v", c.Rows)
	}
	c = compare(t, steady.report("cur"), regression.ModeLastPassed, th)
	if c.Reference != nil || len(c.Rows) != 0 || !strings.HasPrefix(c.Headline(), "Not compared") {
		t.Errorf("no reference: %+v", c)
	}
}

func TestParse(t *testing.T) {
	for in, want := range map[string][2]string{
		"last-passed":                {regression.ModeLastPassed, ""},
		"baseline":                   {regression.ModeBaseline, ""},
		" 20261206-151729-pod-kill ": {regression.ModeRun, "20261206-151729-pod-kill"},
	} {
		mode, id, err := regression.Parse(in)
		if err != nil || mode != want[0] || id != want[1] {
			t.Errorf("Parse(%q) = %q, %q, %v; want %q", in, mode, id, err, want)
		}
	}
	if _, _, err := regression.Parse(""); err == nil || !strings.Contains(err.Error(), "use last-passed, baseline or a run id") {
		t.Errorf("Parse(\"\"): %v", err)
	}
}
