package spec

import "time"

// Regression are the thresholds of the regression gate (gameday gate
// --compare-to last-passed|RUN-ID|baseline): per fault window, aligned on
// the injection times, a metric regresses when it is worse than the
// reference's by more than every allowance of its threshold. Fields left
// empty take the defaults (DefaultRegression).
type Regression struct {
	// TimeToDetect of each fault (its first breached sample).
	TimeToDetect *DurationChange `json:"timeToDetect,omitempty"`
	// TimeToRecover of each fault (its slowest recovery probe).
	TimeToRecover *DurationChange `json:"timeToRecover,omitempty"`
	// P99 latency in the fault's window (the 90th percentile of its
	// seconds' p99, so that a hiccup of a tenth of the window is not a
	// regression).
	P99 *DurationChange `json:"p99,omitempty"`
	// ErrorRatio of the load's requests in the fault's window.
	ErrorRatio *RatioChange `json:"errorRatio,omitempty"`
	// Score is the resilience score of the run, in percentage points.
	Score *ScoreChange `json:"score,omitempty"`
	// Baseline is how --compare-to baseline learns its reference.
	Baseline *RegressionBaseline `json:"baseline,omitempty"`
	// WhenNoReference: pass (default) lets the run's own verdict stand
	// when there is nothing to compare with (no run held yet, too few runs
	// for a baseline), saying so; fail fails the gate.
	WhenNoReference string `json:"whenNoReference,omitempty" jsonschema:"enum=pass,enum=fail"`
}

// DurationChange is how much worse a duration may get: it regresses when
// it grows by more than MaxIncrease (relative) AND by more than MinDelta.
type DurationChange struct {
	// MaxIncrease is the relative growth allowed (0.5: +50 %).
	MaxIncrease float64 `json:"maxIncrease,omitempty"`
	// MinDelta is the growth below which nothing regresses (noise).
	MinDelta Duration `json:"minDelta,omitempty"`
}

// RatioChange is how much worse a ratio may get: it regresses when it
// grows by more than MaxIncrease (relative) AND by more than MinDelta.
type RatioChange struct {
	// MaxIncrease is the relative growth allowed (1: doubling).
	MaxIncrease float64 `json:"maxIncrease,omitempty"`
	// MinDelta is the growth below which nothing regresses (0.01: one
	// percentage point).
	MinDelta float64 `json:"minDelta,omitempty"`
}

// ScoreChange is how much the resilience score may drop.
type ScoreChange struct {
	// MaxDecrease in percentage points.
	MaxDecrease float64 `json:"maxDecrease,omitempty"`
}

// RegressionBaseline is the reference of --compare-to baseline: the median
// of each metric over the last comparable runs that held, its spread their
// MAD.
type RegressionBaseline struct {
	// Runs is how many of the newest comparable runs (default 10, at most
	// 100); MinRuns how many are needed (default 3).
	Runs    int `json:"runs,omitempty"`
	MinRuns int `json:"minRuns,omitempty"`
	// MADs: a change within this many MADs of the baseline is noise too
	// (default 3).
	MADs float64 `json:"mads,omitempty"`
}

// The choices of Regression.WhenNoReference.
const (
	NoReferencePass = "pass"
	NoReferenceFail = "fail"
)

// DefaultRegression are the thresholds of a suite that sets none.
func DefaultRegression() Regression {
	return Regression{
		TimeToDetect:    &DurationChange{MaxIncrease: 0.5, MinDelta: Duration(5 * time.Second)},
		TimeToRecover:   &DurationChange{MaxIncrease: 0.5, MinDelta: Duration(5 * time.Second)},
		P99:             &DurationChange{MaxIncrease: 0.5, MinDelta: Duration(100 * time.Millisecond)},
		ErrorRatio:      &RatioChange{MaxIncrease: 1, MinDelta: 0.01},
		Score:           &ScoreChange{MaxDecrease: 10},
		Baseline:        &RegressionBaseline{Runs: 10, MinRuns: 3, MADs: 3},
		WhenNoReference: NoReferencePass,
	}
}

// WithDefaults is r with every field it leaves empty taken from
// DefaultRegression (nil r: the defaults).
func (r *Regression) WithDefaults() Regression {
	d := DefaultRegression()
	if r == nil {
		return d
	}
	out := *r
	out.TimeToDetect = out.TimeToDetect.or(d.TimeToDetect)
	out.TimeToRecover = out.TimeToRecover.or(d.TimeToRecover)
	out.P99 = out.P99.or(d.P99)
	out.ErrorRatio = out.ErrorRatio.or(d.ErrorRatio)
	if out.Score == nil || out.Score.MaxDecrease == 0 {
		out.Score = d.Score
	}
	if out.Baseline == nil {
		out.Baseline = d.Baseline
	} else {
		c := *out.Baseline
		fill(&c.Runs, d.Baseline.Runs)
		fill(&c.MinRuns, min(d.Baseline.MinRuns, c.Runs))
		fill(&c.MADs, d.Baseline.MADs)
		out.Baseline = &c
	}
	fill(&out.WhenNoReference, d.WhenNoReference)
	return out
}

// validate checks the thresholds as written (before defaults: zero means
// the default).
func (r *Regression) validate(s *source, p fieldPath) {
	for name, c := range map[string]*DurationChange{"timeToDetect": r.TimeToDetect, "timeToRecover": r.TimeToRecover, "p99": r.P99} {
		if c == nil {
			continue
		}
		if !finite(c.MaxIncrease) || c.MaxIncrease < 0 {
			s.errPath(p.key(name).key("maxIncrease"), "%g: must be 0 or more", c.MaxIncrease)
		}
		if c.MinDelta < 0 {
			s.errPath(p.key(name).key("minDelta"), "%s: must be 0 or more", c.MinDelta)
		}
	}
	if c := r.ErrorRatio; c != nil {
		if !finite(c.MaxIncrease) || c.MaxIncrease < 0 {
			s.errPath(p.key("errorRatio").key("maxIncrease"), "%g: must be 0 or more", c.MaxIncrease)
		}
		if !finite(c.MinDelta) || c.MinDelta < 0 || c.MinDelta > 1 {
			s.errPath(p.key("errorRatio").key("minDelta"), "%g: must be between 0 and 1", c.MinDelta)
		}
	}
	if c := r.Score; c != nil && (!finite(c.MaxDecrease) || c.MaxDecrease < 0 || c.MaxDecrease > 100) {
		s.errPath(p.key("score").key("maxDecrease"), "%g: must be between 0 and 100 (percentage points)", c.MaxDecrease)
	}
	if b := r.Baseline; b != nil {
		runs := b.Runs
		if runs == 0 {
			runs = DefaultRegression().Baseline.Runs
		}
		if b.Runs < 0 || runs > MaxBaselineRuns {
			s.errPath(p.key("baseline").key("runs"), "%d: must be between 1 and %d", b.Runs, MaxBaselineRuns)
		}
		if b.MinRuns < 0 || b.MinRuns > runs {
			s.errPath(p.key("baseline").key("minRuns"), "%d: must be between 1 and runs (%d)", b.MinRuns, runs)
		}
		if !finite(b.MADs) || b.MADs < 0 {
			s.errPath(p.key("baseline").key("mads"), "%g: must be 0 or more", b.MADs)
		}
	}
	if !oneOf(r.WhenNoReference, "", NoReferencePass, NoReferenceFail) {
		s.errPath(p.key("whenNoReference"), "must be one of pass, fail, not %q", r.WhenNoReference)
	}
}

// fill sets *v to def when it is zero.
func fill[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// or is c with its zero allowances taken from def (def when c is nil).
func (c *DurationChange) or(def *DurationChange) *DurationChange {
	if c == nil {
		return def
	}
	out := *c
	fill(&out.MaxIncrease, def.MaxIncrease)
	fill(&out.MinDelta, def.MinDelta)
	return &out
}

// or is c with its zero allowances taken from def (def when c is nil).
func (c *RatioChange) or(def *RatioChange) *RatioChange {
	if c == nil {
		return def
	}
	out := *c
	fill(&out.MaxIncrease, def.MaxIncrease)
	fill(&out.MinDelta, def.MinDelta)
	return &out
}
