package runner

import (
	"cmp"
	"fmt"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/load"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// Profile is the load profile of an experiment's rate profile.
func Profile(l spec.Load) (load.Profile, error) {
	p, d := l.Profile, l.Duration.D()
	switch {
	case p.Constant != nil:
		return load.Constant(p.Constant.Rate, d)
	case p.Ramp != nil:
		return load.Ramp(p.Ramp.From, p.Ramp.To, d)
	case len(p.Steps) > 0:
		steps := make([]load.Step, 0, len(p.Steps))
		for _, s := range p.Steps {
			steps = append(steps, load.Step{Rate: s.Rate, Duration: s.Duration.D()})
		}
		return load.Steps(steps...)
	}
	return load.Profile{}, fmt.Errorf("load: no rate profile (constant, ramp or steps)")
}

// LoadPlan is the translation of an experiment's load: its rate profile,
// journey mix, request timeout, latency budget and worker cap. The run adds
// its target and run id.
func LoadPlan(l spec.Load) (load.Plan, error) {
	p, err := Profile(l)
	if err != nil {
		return load.Plan{}, err
	}
	return load.Plan{Profile: p, Mix: Mix(l), Timeout: l.Timeout.D(), LatencyBudget: l.LatencyBudget.D(), MaxWorkers: uint64(max(l.MaxWorkers, 0))}, nil
}

// A stopRule is the translation of a stop condition: it trips on the
// breaches-th breach in a row of probe, or, without a probe, when the
// client error ratio over the trailing window is above errorRatioAbove.
type stopRule struct {
	name            string
	probe           string
	breaches        int
	errorRatioAbove *float64
	window          time.Duration
}

// stopRules are the translations of an experiment's stop conditions, with
// the spec's defaults for a condition built in code.
func stopRules(scs []spec.StopCondition) []stopRule {
	out := make([]stopRule, 0, len(scs))
	for _, sc := range scs {
		r := stopRule{probe: sc.Probe, errorRatioAbove: sc.ErrorRatioAbove}
		if sc.Probe != "" {
			r.name, r.breaches = cmp.Or(sc.Name, "probe-"+sc.Probe), cmp.Or(sc.Breaches, spec.DefaultBreaches)
		}
		if sc.ErrorRatioAbove != nil {
			r.name, r.window = cmp.Or(sc.Name, "error-ratio"), cmp.Or(sc.Window.D(), spec.DefaultErrorWindow)
		}
		out = append(out, r)
	}
	return out
}

// Mix is the journey mix of an experiment's load.
func Mix(l spec.Load) []load.Weighted {
	out := make([]load.Weighted, 0, len(l.Journeys))
	for _, j := range l.Journeys {
		out = append(out, load.Weighted{Journey: j.Name, Weight: j.Weight})
	}
	return out
}

// NewRunID is a sortable, readable run id: 20261127-173501-pod-kill.
func NewRunID(now time.Time, experiment string) string {
	return now.UTC().Format("20060102-150405") + "-" + experiment
}
