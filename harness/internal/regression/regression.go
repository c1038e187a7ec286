// Package regression is the regression gate of gameday gate --compare-to:
// it compares a run with a reference — the last comparable run that held,
// a named run, or the baseline of the last comparable runs that held —
// fault window by fault window, each window aligned on its fault's
// injection, metric by metric against the suite's thresholds
// (spec.Regression). It is Keptn's relative SLO criteria ("no more than
// +10 % of the previous evaluation") applied per fault window of a game
// day instead of over a whole test.
//
// The metrics of a fault window: time to detect and time to recover (the
// verdict's), the p99 latency (the 90th percentile of the window's
// per-second p99s: a hiccup of a tenth of the window is not a
// regression, a slower recovery that keeps latency up longer is) and the
// error ratio of the load's requests; and the run's resilience score. A
// metric regresses when it is worse than the reference by more than
// every allowance: the relative increase, the absolute noise floor and,
// against a baseline, that many MADs of the reference runs.
//
// Compare and Measure are pure; Reference reads the history.
package regression

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/baseline"
	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/history"
	"github.com/gamedayhq/gameday/harness/internal/report"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// The modes of --compare-to.
const (
	ModeLastPassed = "last-passed"
	ModeRun        = "run"
	ModeBaseline   = "baseline"
)

// The metrics of a comparison row.
const (
	MetricDetect     = "time-to-detect"
	MetricRecover    = "time-to-recover"
	MetricP99        = "p99"
	MetricErrorRatio = "error-ratio"
	MetricScore      = "score"
)

// Parse reads the value of --compare-to: last-passed, baseline, or a run
// id (its mode is then ModeRun).
func Parse(s string) (mode, runID string, err error) {
	switch s = strings.TrimSpace(s); s {
	case "":
		return "", "", exitcode.Invalidf("--compare-to: empty: use last-passed, baseline or a run id (gameday history list shows them)")
	case ModeLastPassed, ModeBaseline:
		return s, "", nil
	}
	return ModeRun, s, nil
}

// Window is what a run measured in one fault window.
type Window struct {
	Fault string
	// Injected: the fault was injected (else nothing else is set).
	Injected bool
	// Detect and Recover in seconds (nil: no probe noticed the fault; no
	// recovery probe). NotRecovered: a recovery probe never came back.
	Detect, Recover *float64
	NotRecovered    bool
	// P99 in milliseconds, ErrorRatio of the load's requests (nil: no
	// second of load in the window).
	P99, ErrorRatio *float64
}

// Metrics are what a run is compared by.
type Metrics struct {
	Run     string
	Windows map[string]Window
	Score   float64
}

// Lengths are the window lengths of the run judged, by fault: its planned
// duration and the recovery grace after it (the experiment's
// recovery.within, as its faults' recoveries record it).
func Lengths(rep *report.Report) map[string]time.Duration {
	var within time.Duration
	for _, f := range rep.Faults {
		if f.Result != nil {
			for _, rc := range f.Result.Recoveries {
				within = max(within, rc.Within)
			}
		}
	}
	out := map[string]time.Duration{}
	for _, f := range rep.Faults {
		out[f.Name] = time.Duration(f.Duration*float64(time.Second)) + within
	}
	return out
}

// Measure reads the metrics of rep: fault f's window starts at its
// injection and lasts lengths[f] (the run judged's, so that a reference's
// windows align with it), clipped to the end of the run.
func Measure(rep *report.Report, lengths map[string]time.Duration) Metrics {
	m := Metrics{Run: rep.Suite + "/" + rep.RunID, Windows: map[string]Window{}, Score: rep.Verdict.Score.Percent}
	for _, f := range rep.Faults {
		w := Window{Fault: f.Name}
		res := f.Result
		if res == nil || res.Injected.IsZero() {
			m.Windows[f.Name] = w
			continue
		}
		w.Injected = true
		if res.Detect != nil {
			d := res.Detect.Seconds()
			w.Detect = &d
		}
		for _, rc := range res.Recoveries {
			if rc.After == nil {
				w.NotRecovered = true
				continue
			}
			d := rc.After.Seconds()
			if w.Recover == nil || d > *w.Recover {
				w.Recover = &d
			}
		}
		length, ok := lengths[f.Name]
		if !ok {
			length = time.Duration(f.Duration * float64(time.Second))
		}
		from, to := res.Injected, res.Injected.Add(length)
		var p99s []float64
		var req, okReq uint64
		for _, p := range rep.Timeline {
			at := rep.Timings.Start.Add(time.Duration(p.Offset) * time.Second)
			// The second [at, at+1s) overlaps the window.
			if !at.Before(to) || !at.Add(time.Second).After(from) || p.Requests == 0 {
				continue
			}
			p99s = append(p99s, p.P99)
			req, okReq = req+p.Requests, okReq+p.Successes
		}
		if len(p99s) > 0 {
			q := quantile(p99s, 0.9)
			er := 1 - float64(okReq)/float64(req)
			w.P99, w.ErrorRatio = &q, &er
		}
		m.Windows[f.Name] = w
	}
	return m
}

// quantile is the q-quantile of xs by the nearest rank.
func quantile(xs []float64, q float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[max(min(i, len(s)-1), 0)]
}

// Compare compares cur with its reference: one run (last-passed, run), or
// several whose median is the reference and whose MAD the spread
// (baseline). faults are the faults of the run judged, in order; th has
// its defaults (spec.Regression.WithDefaults).
func Compare(cur Metrics, refs []Metrics, mode string, faults []string, th spec.Regression) *report.Comparison {
	c := &report.Comparison{Mode: mode}
	for _, r := range refs {
		c.Reference = append(c.Reference, r.Run)
	}
	need := 1
	if mode == ModeBaseline {
		need = th.Baseline.MinRuns
	}
	if len(refs) < need {
		c.Reference = nil
		return c
	}
	for _, f := range faults {
		w := cur.Windows[f]
		var rw []Window
		for _, r := range refs {
			if x, ok := r.Windows[f]; ok && x.Injected {
				rw = append(rw, x)
			}
		}
		if !w.Injected || len(rw) < need {
			note := "not injected in this run"
			if w.Injected {
				note = fmt.Sprintf("injected in %d of the %d reference runs", len(rw), len(refs))
				if mode != ModeBaseline {
					note = "not injected in the reference"
				}
			}
			c.Rows = append(c.Rows, report.ComparisonRow{Fault: f, Metric: "window", Verdict: report.RowNotCompared, Note: note})
			continue
		}
		dur := func(d *spec.DurationChange) change {
			return change{maxIncrease: d.MaxIncrease, minDelta: d.MinDelta.D().Seconds(), mads: th.Baseline.MADs}
		}
		c.Rows = append(c.Rows,
			row(f, MetricDetect, "s", w.Detect, pick(rw, func(x Window) *float64 { return x.Detect }), mode, need, dur(th.TimeToDetect), higherWorse,
				"no probe noticed the fault"),
			recoverRow(f, w, rw, mode, need, dur(th.TimeToRecover)),
			row(f, MetricP99, "ms", w.P99, pick(rw, func(x Window) *float64 { return x.P99 }), mode, need,
				change{maxIncrease: th.P99.MaxIncrease, minDelta: float64(th.P99.MinDelta.D().Milliseconds()), mads: th.Baseline.MADs}, higherWorse, "no load in the window"),
			row(f, MetricErrorRatio, "ratio", w.ErrorRatio, pick(rw, func(x Window) *float64 { return x.ErrorRatio }), mode, need,
				change{maxIncrease: th.ErrorRatio.MaxIncrease, minDelta: th.ErrorRatio.MinDelta, mads: th.Baseline.MADs}, higherWorse, "no load in the window"),
		)
	}
	score := cur.Score
	var refScores []*float64
	for _, r := range refs {
		s := r.Score
		refScores = append(refScores, &s)
	}
	c.Rows = append(c.Rows, row("", MetricScore, "points", &score, refScores, mode, need,
		change{minDelta: th.Score.MaxDecrease, mads: th.Baseline.MADs}, lowerWorse, ""))
	for _, r := range c.Rows {
		if r.Verdict == report.RowRegressed {
			c.Regressed = true
			c.Reasons = append(c.Reasons, fmt.Sprintf("%s regressed: %s against %s (%s, allowed %s)", r.Name(), r.Cells()[1], r.Cells()[2], r.Cells()[3], r.Cells()[4]))
		}
	}
	c.Failed = c.Regressed
	return c
}

func pick(ws []Window, f func(Window) *float64) []*float64 {
	out := make([]*float64, len(ws))
	for i, w := range ws {
		out[i] = f(w)
	}
	return out
}

// change is a threshold: a worsening beyond every allowance regresses.
type change struct {
	maxIncrease, minDelta, mads float64
}

type direction bool

const (
	higherWorse direction = true
	lowerWorse  direction = false
)

// row compares one metric: cur against the reference values (one, or the
// median and MAD of several).
func row(fault, metric, unit string, cur *float64, refs []*float64, mode string, need int, th change, dir direction, missing string) report.ComparisonRow {
	r := report.ComparisonRow{Fault: fault, Metric: metric, Unit: unit, Current: cur, Verdict: report.RowNotCompared}
	var vals []float64
	for _, v := range refs {
		if v != nil {
			vals = append(vals, *v)
		}
	}
	var ref, spread float64
	switch {
	case len(vals) < need || len(vals) == 0:
		switch {
		case cur == nil:
			r.Note = missing + " in either"
		case mode == ModeBaseline:
			r.Note = fmt.Sprintf("%d of the reference runs have it, %d needed", len(vals), need)
		default:
			r.Note = missing + " in the reference"
		}
		return r
	case mode == ModeBaseline:
		ref, spread = baseline.Median(vals), baseline.MAD(vals)
		r.Spread = &spread
	default:
		ref = vals[0]
	}
	r.Reference = &ref
	if cur == nil {
		r.Note = missing + " in this run"
		return r
	}
	delta := *cur - ref
	worse := delta
	if dir == lowerWorse {
		worse = -delta
	}
	allowed := math.Max(math.Max(th.minDelta, th.maxIncrease*math.Abs(ref)), th.mads*spread)
	signedAllowed := allowed
	if dir == lowerWorse {
		signedAllowed = -allowed
	}
	r.Delta, r.Allowed = &delta, &signedAllowed
	switch {
	case worse > allowed:
		r.Verdict = report.RowRegressed
	case -worse > allowed:
		r.Verdict = report.RowBetter
	default:
		r.Verdict = report.RowOK
	}
	return r
}

// recoverRow compares the time to recover; a fault this run did not
// recover from, when the reference did, regressed whatever the numbers.
func recoverRow(f string, w Window, rw []Window, mode string, need int, th change) report.ComparisonRow {
	r := row(f, MetricRecover, "s", w.Recover, pick(rw, func(x Window) *float64 { return x.Recover }), mode, need, th, higherWorse, "no recovery probe")
	refRecovered := slices.ContainsFunc(rw, func(x Window) bool { return !x.NotRecovered })
	if w.NotRecovered && refRecovered {
		r.Verdict, r.Note = report.RowRegressed, "a recovery probe did not come back in this run"
	}
	return r
}

// Reference reads from the history what rep is compared with: the last
// comparable run that held (ModeLastPassed), the run named runID (or, in
// a suite, runID-<experiment>), or the last comparable runs that held
// (ModeBaseline, at most th.Baseline.Runs). The run itself is never its
// own reference. No comparable run is not an error: the comparison says
// so; a named run that does not exist, or is of another experiment, is
// invalid input.
func Reference(ctx context.Context, h *history.Store, mode, runID string, rep *report.Report, th spec.Regression) ([]*report.Report, error) {
	if _, err := h.Sync(ctx); err != nil {
		return nil, err
	}
	self := rep.Suite + "/" + rep.RunID
	if mode == ModeRun {
		run, err := Named(ctx, h, runID, rep.Experiment.Name)
		if err != nil {
			return nil, err
		}
		if run.Dir == self {
			return nil, exitcode.Invalidf("--compare-to %s: that is this run", runID)
		}
		r, err := h.Report(run)
		if err != nil {
			return nil, err
		}
		return []*report.Report{r}, nil
	}
	f := history.Comparable(rep.Experiment.Name, rep.Target.Kind, rep.Load.Profile)
	f.Limit = 2
	if mode == ModeBaseline {
		f.Limit = th.Baseline.Runs + 1
	}
	runs, _, err := h.List(ctx, f)
	if err != nil {
		return nil, err
	}
	var out []*report.Report
	for i := range runs {
		if runs[i].Dir == self || len(out) == f.Limit-1 {
			continue
		}
		r, err := h.Report(&runs[i])
		if err != nil {
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

// Named finds the run runID of experiment: runID itself, or, for a run of
// a suite, runID-<experiment>. Not found, or of another experiment:
// invalid input naming what to do.
func Named(ctx context.Context, h *history.Store, runID, experiment string) (*history.Run, error) {
	run, err := h.Get(ctx, runID)
	if errors.Is(err, history.ErrNotFound) {
		run, err = h.Get(ctx, runID+"-"+experiment)
	}
	switch {
	case errors.Is(err, history.ErrNotFound):
		return nil, exitcode.Invalidf("--compare-to %s: no such run in %s (gameday history list --experiment %s shows them)", runID, h.Root(), experiment)
	case err != nil:
		return nil, exitcode.Wrap(exitcode.Invalid, fmt.Errorf("--compare-to %s: %w", runID, err))
	case run.Experiment != experiment:
		return nil, exitcode.Invalidf("--compare-to %s: run %s is of experiment %s, not %s", runID, run.Dir, run.Experiment, experiment)
	}
	return run, nil
}

// Section is the report section of the gate: it finds the reference in
// the history and compares the run with it, per fault window. A history
// that cannot be read, or nothing to compare with, is said in the
// section, and fails the gate only when the suite says whenNoReference:
// fail.
func Section(h *history.Store, mode, runID string, th spec.Regression) func(ctx context.Context, rep *report.Report) {
	return func(ctx context.Context, rep *report.Report) {
		refs, err := Reference(ctx, h, mode, runID, rep, th)
		lengths := Lengths(rep)
		var faults []string
		for _, f := range rep.Faults {
			faults = append(faults, f.Name)
		}
		var rm []Metrics
		for _, r := range refs {
			rm = append(rm, Measure(r, lengths))
		}
		c := Compare(Measure(rep, lengths), rm, mode, faults, th)
		if len(c.Reference) == 0 {
			switch {
			case err != nil:
				c.Note = "the reference could not be read: " + err.Error()
			case mode == ModeBaseline:
				c.Note = fmt.Sprintf("%d comparable runs held (same experiment, target kind and load), %d needed for a baseline", len(refs), th.Baseline.MinRuns)
			default:
				c.Note = "no comparable run has held yet (same experiment, target kind and load)"
			}
			if th.WhenNoReference == spec.NoReferenceFail {
				c.Failed = true
				c.Reasons = append(c.Reasons, "not compared, and the suite says whenNoReference: fail: "+c.Note)
			}
		}
		rep.Comparison = c
	}
}
