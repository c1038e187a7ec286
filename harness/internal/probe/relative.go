package probe

import (
	"context"
	"fmt"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/baseline"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// Relative judges the values its probe measures against the probe's
// learned baseline (spec.RelativeTolerance): the median and MAD of what
// the probe measured in the pre-fault windows of the last comparable runs
// (the runner gives them to the Learner before the run) and, once this
// run's pre-fault window has ended, of this run's too (the Learner keeps
// every value measured in it).
//
// While the baseline is not ready (fewer comparable runs than MinRuns),
// a value is judged by the fixed Fallback, or breaches when
// WhenTooFewRuns is fail. A measurement that failed (an error, a wrong
// status, no data) is the inner probe's verdict, as without a baseline.
type Relative struct {
	// Probe is the kind's probe without a tolerance of its own: every value
	// it measures is ok to it.
	Probe Probe
	Rule  baseline.Rule
	// Fallback is the fixed tolerance used while the baseline is not ready
	// (nil: none).
	Fallback *spec.Tolerance
	// WhenTooFewRuns is spec.TooFewRunsFallback or spec.TooFewRunsFail.
	WhenTooFewRuns string
	// Learner holds the baseline: the history's runs (Runs asked for,
	// MinRuns needed) and this run's pre-fault window.
	Learner *baseline.Learner
}

var _ Probe = (*Relative)(nil)

// relativeFromSpec wraps the kind's probe k of p (built without p's
// tolerance) in the relative judgement of p's tolerance.
func relativeFromSpec(p spec.Probe, c Clients, k Kind) (Probe, error) {
	rt := p.Tolerance.Relative
	inner := p
	inner.Tolerance = nil
	ip, err := k.New(inner, c)
	if err != nil {
		return nil, err
	}
	return &Relative{
		Probe: ip, Fallback: p.Tolerance.Fixed(), WhenTooFewRuns: rt.WhenTooFewRuns,
		Rule:    baseline.Rule{Op: string(rt.Op), Factor: rt.Factor, MADs: rt.MADs, MinMargin: rt.MinMargin},
		Learner: baseline.NewLearner(p.Name, rt.Runs, rt.MinRuns),
	}, nil
}

// Name is the probe's name.
func (r *Relative) Name() string { return r.Probe.Name() }

// Unwrap is the kind's probe.
func (r *Relative) Unwrap() Probe { return r.Probe }

// Unwrap is the kind's probe behind p (p itself unless it judges a
// relative tolerance).
func Unwrap(p Probe) Probe {
	if w, ok := p.(interface{ Unwrap() Probe }); ok {
		return w.Unwrap()
	}
	return p
}

// Check measures through the kind's probe, lets the learner keep the
// value, and judges it against the baseline as it stands at `at`.
func (r *Relative) Check(ctx context.Context, at time.Time) Sample {
	s := r.Probe.Check(ctx, at)
	if s.Status != StatusOK {
		return s
	}
	r.Learner.Observe(at, s.Value)
	v := r.Learner.At(at)
	name := r.Probe.Name()
	switch {
	case v.Ready:
		bound := r.Rule.Bound(v.Stats)
		if r.Rule.Holds(s.Value, bound) {
			return s
		}
		s.Status, s.OK = StatusBreached, false
		s.Err = fmt.Errorf("%s: value %.4g is not %s %.4g (%s: median %.4g, MAD %.4g over %d runs)",
			name, s.Value, r.Rule.Op, bound, r.Rule, v.Median, v.MAD, len(v.Sources))
	case r.WhenTooFewRuns == spec.TooFewRunsFail:
		s.Status, s.OK = StatusBreached, false
		s.Err = fmt.Errorf("%s: no baseline: %s (whenTooFewRuns: fail)", name, v.Reason())
	case r.Fallback != nil:
		j := Judge(name, at, r.Fallback, s.Value)
		if j.Err != nil {
			j.Err = fmt.Errorf("%w (fixed tolerance: no baseline: %s)", j.Err, v.Reason())
		}
		return j
	}
	return s
}

// Summary is the probe's baseline for the report, once the run is over.
func (r *Relative) Summary() baseline.ProbeBaseline {
	v := r.Learner.Final()
	pb := baseline.ProbeBaseline{Probe: r.Probe.Name(), Rule: r.Rule.String(), WhenTooFewRuns: r.WhenTooFewRuns,
		Ready: v.Ready, HistoryRuns: v.HistoryRuns, MinRuns: v.MinRuns, Baseline: v.Stats}
	if r.Fallback != nil {
		pb.Fallback = r.Fallback.String()
	}
	switch {
	case v.Ready:
		b := r.Rule.Bound(v.Stats)
		m := b - v.Median
		pb.Bound, pb.Margin = &b, &m
	case r.WhenTooFewRuns == spec.TooFewRunsFail:
		pb.Note = v.Reason() + ": every sample breached (whenTooFewRuns: fail)"
	case r.Fallback != nil:
		pb.Note = v.Reason() + ": judged by the fixed tolerance " + r.Fallback.String()
	default:
		pb.Note = v.Reason()
	}
	return pb
}
