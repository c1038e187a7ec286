// Package baseline learns a steady state from measurements: the values an
// SLI or a probe took in the pre-fault windows of runs (this run's and the
// last comparable runs of the history), summarised by robust statistics,
// and the bound a relative tolerance derives from them ("<= 1.2 ×
// baseline", "within 3 MADs of baseline").
//
// The statistics are the median and the median absolute deviation (MAD),
// scaled by 1.4826 so that it estimates the standard deviation of normal
// data. Why those: both have a breakdown point of 50 % — up to half of the
// values may be arbitrary (a run on a loaded machine, a GC pause, a scrape
// gap) before they move the estimate without bound — and both are defined
// for a handful of values, where quantiles such as p90 of ten runs are one
// value and a mean with a standard deviation follows every outlier. Every
// source (a run's pre-fault window) weighs the same, however many values
// it holds, so one long run does not outvote ten short ones.
//
// Nothing here does I/O or reads the clock: the callers say when a run's
// pre-fault window is, and the Learner keeps what was measured in it.
package baseline

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"
)

// MADScale makes the MAD a consistent estimator of the standard deviation
// of normal data (1 / Φ⁻¹(3/4)).
const MADScale = 1.4826

// A Source is the pre-fault window of one run: the values measured in it.
type Source struct {
	// Run names the run: its history directory (suite/run-id), or
	// ThisRun.
	Run string `json:"run"`
	// Start is when the run started (zero for this run).
	Start time.Time `json:"start,omitzero"`
	// Values are the measured values, in any order (not in JSON).
	Values []float64 `json:"-"`
	// Samples is len(Values); Median their median.
	Samples int     `json:"samples"`
	Median  float64 `json:"median"`
}

// ThisRun names the run being judged among the sources.
const ThisRun = "this run"

// Stats are the robust statistics of the values of several sources, each
// source weighing the same.
type Stats struct {
	// Median is the baseline.
	Median float64 `json:"median"`
	// MAD is the scaled median absolute deviation from Median: the spread.
	MAD float64 `json:"mad"`
	// Samples counts the values of every source.
	Samples int `json:"samples"`
	// Sources are the runs the values came from, newest first; sources
	// without a value are left out.
	Sources []Source `json:"sources"`
}

// Learn computes the statistics of the sources' values, each source
// weighing the same. Sources without a value, and NaN or infinite values,
// are left out; with none left, Stats is zero.
func Learn(sources []Source) Stats {
	var xs, ws []float64
	var st Stats
	for _, s := range sources {
		vals := finite(s.Values)
		if len(vals) == 0 {
			continue
		}
		w := 1 / float64(len(vals))
		for _, v := range vals {
			xs, ws = append(xs, v), append(ws, w)
		}
		s.Values, s.Samples, s.Median = vals, len(vals), Median(vals)
		st.Sources = append(st.Sources, s)
		st.Samples += len(vals)
	}
	if len(xs) == 0 {
		return Stats{}
	}
	st.Median = WeightedMedian(xs, ws)
	dev := make([]float64, len(xs))
	for i, x := range xs {
		dev[i] = math.Abs(x - st.Median)
	}
	st.MAD = MADScale * WeightedMedian(dev, ws)
	return st
}

func finite(xs []float64) []float64 {
	out := make([]float64, 0, len(xs))
	for _, x := range xs {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			out = append(out, x)
		}
	}
	return out
}

// Median is the median of xs (the mean of the two middle values of an
// even count); NaN for none.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// MAD is the scaled median absolute deviation of xs from their median;
// NaN for none.
func MAD(xs []float64) float64 {
	m := Median(xs)
	dev := make([]float64, len(xs))
	for i, x := range xs {
		dev[i] = math.Abs(x - m)
	}
	return MADScale * Median(dev)
}

// WeightedMedian is the value at which half of the total weight lies on
// either side; where a value ends exactly half of it, the mean of that
// value and the next (so equal weights give Median). NaN for none.
func WeightedMedian(xs, ws []float64) float64 {
	if len(xs) == 0 || len(xs) != len(ws) {
		return math.NaN()
	}
	idx := make([]int, len(xs))
	var total float64
	for i := range idx {
		idx[i] = i
		total += ws[i]
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(xs[a], xs[b]) })
	half := total / 2
	eps := 1e-12 * total
	var cum float64
	for k, i := range idx {
		cum += ws[i]
		switch {
		case math.Abs(cum-half) <= eps && k+1 < len(idx):
			return (xs[i] + xs[idx[k+1]]) / 2
		case cum > half:
			return xs[i]
		}
	}
	return xs[idx[len(idx)-1]]
}

// A Rule is a relative tolerance: a value holds when value Op Bound, the
// bound derived from a baseline by Factor or MADs (exactly one is set).
type Rule struct {
	// Op is <, <=, > or >=: with < and <= the bound lies above the baseline
	// (higher is worse: latency, errors), with > and >= below it
	// (throughput).
	Op string `json:"op"`
	// Factor: the bound is Factor × the baseline's median.
	Factor float64 `json:"factor,omitempty"`
	// MADs: the bound is the median plus (for < and <=) or minus (for >
	// and >=) MADs × the MAD.
	MADs float64 `json:"mads,omitempty"`
	// MinMargin is the least distance between the median and the bound, so
	// that a baseline without spread (an error ratio of 0 in every second)
	// does not breach on the first error.
	MinMargin float64 `json:"minMargin,omitempty"`
}

// upper reports whether the bound lies above the baseline.
func (r Rule) upper() bool { return r.Op == "<" || r.Op == "<=" || r.Op == "" }

// Bound is the bound of the rule on s.
func (r Rule) Bound(s Stats) float64 {
	var d float64
	if r.MADs > 0 {
		d = r.MADs * s.MAD
	} else {
		d = math.Abs(r.Factor*s.Median - s.Median)
		if (r.Factor >= 1) != r.upper() {
			// A factor on the wrong side of 1 (<= 0.8 × baseline): the
			// bound is where the factor puts it, margin or not.
			return r.Factor * s.Median
		}
	}
	d = math.Max(d, r.MinMargin)
	if r.upper() {
		return s.Median + d
	}
	return s.Median - d
}

// Holds reports whether v holds against bound. NaN never holds.
func (r Rule) Holds(v, bound float64) bool {
	if math.IsNaN(v) {
		return false
	}
	switch r.Op {
	case "<":
		return v < bound
	case ">":
		return v > bound
	case ">=":
		return v >= bound
	}
	return v <= bound
}

// String says the rule: "<= 1.2 × baseline", ">= baseline − 3 MAD".
func (r Rule) String() string {
	op := cmp.Or(r.Op, "<=")
	var s string
	switch {
	case r.MADs > 0 && r.upper():
		s = fmt.Sprintf("%s baseline + %g MAD", op, r.MADs)
	case r.MADs > 0:
		s = fmt.Sprintf("%s baseline − %g MAD", op, r.MADs)
	default:
		s = fmt.Sprintf("%s %g × baseline", op, r.Factor)
	}
	if r.MinMargin > 0 {
		s += fmt.Sprintf(" (margin at least %g)", r.MinMargin)
	}
	return s
}

// A Learner is the live baseline of one probe during a run: the sources
// of the history, given before the run, and this run's pre-fault window,
// learnt from the values the probe measures in it. Safe for concurrent
// use.
type Learner struct {
	// Probe names the probe.
	Probe string
	// Runs is how many comparable runs of the history are asked for;
	// MinRuns how many of them a baseline needs.
	Runs, MinRuns int

	mu          sync.Mutex
	history     []Source
	from, until time.Time
	current     []float64
}

// NewLearner is the learner of probe, asking for runs comparable runs of
// which minRuns are needed.
func NewLearner(probe string, runs, minRuns int) *Learner {
	return &Learner{Probe: probe, Runs: runs, MinRuns: minRuns}
}

// SetHistory sets the sources of the history, newest first; only the
// first Runs are kept.
func (l *Learner) SetHistory(h []Source) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.history = slices.Clone(h[:min(len(h), max(l.Runs, 0))])
}

// HistoryRuns is how many sources of the history the learner holds.
func (l *Learner) HistoryRuns() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.history)
}

// SetWindow sets this run's pre-fault window [from, until): the values
// observed in it join the baseline from until on.
func (l *Learner) SetWindow(from, until time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.from, l.until = from, until
}

// Observe records a value measured at `at`; it is kept when at falls in
// this run's pre-fault window.
func (l *Learner) Observe(at time.Time, v float64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.until.IsZero() && !at.Before(l.from) && at.Before(l.until) {
		l.current = append(l.current, v)
	}
}

// A View is the baseline as it stands at an instant.
type View struct {
	Stats
	// Ready: the history holds at least MinRuns runs and some source has a
	// value, so the rule applies.
	Ready bool
	// HistoryRuns and MinRuns: how many comparable runs there are, and
	// how many are needed.
	HistoryRuns, MinRuns int
	// Final: this run's pre-fault window has ended (and is in Stats).
	Final bool
}

// Reason says why a view is not ready.
func (v View) Reason() string {
	if v.HistoryRuns < v.MinRuns {
		noun := "runs"
		if v.HistoryRuns == 1 {
			noun = "run"
		}
		return fmt.Sprintf("%d comparable %s in the history, %d needed", v.HistoryRuns, noun, v.MinRuns)
	}
	return "no value measured yet: the baseline is being learnt"
}

// At is the baseline at `at`: the history's sources before this run's
// pre-fault window has ended, the history's and this run's after.
func (l *Learner) At(at time.Time) View {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.view(!l.until.IsZero() && !at.Before(l.until))
}

// Final is the baseline once the run is over: the history's sources and
// this run's pre-fault window.
func (l *Learner) Final() View {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.view(!l.until.IsZero())
}

func (l *Learner) view(final bool) View {
	srcs := slices.Clone(l.history)
	if final && len(l.current) > 0 {
		srcs = append([]Source{{Run: ThisRun, Values: slices.Clone(l.current)}}, srcs...)
	}
	st := Learn(srcs)
	return View{Stats: st, Ready: len(l.history) >= l.MinRuns && st.Samples > 0,
		HistoryRuns: len(l.history), MinRuns: l.MinRuns, Final: final}
}
