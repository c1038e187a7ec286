package probe

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// Clients are what probes measure through. A nil Prometheus leaves PromQL
// probes in error (the verdict is inconclusive); a nil Loki skips LogQL
// probes, never passes them.
type Clients struct {
	// TargetURL is the base URL of http probes that name a path.
	TargetURL  string
	Prometheus Querier
	Loki       LogQuerier
	// Load is the run's load (a LateTimeline until it starts); nil leaves
	// load probes unmeasured.
	Load LoadSource
}

// A Kind is one probe type of the spec: the one translation of its spec
// into the runtime probe (every field of its block, the probe's name and
// tolerance: TestEverySpecFieldReachesTheRuntimeProbe proves it), and what
// it measures as the reports say it.
type Kind struct {
	New      func(p spec.Probe, c Clients) (Probe, error)
	Measures func(p spec.Probe) string
}

// kinds holds every probe type of the spec. A probe type without an entry
// fails TestEveryProbeKindHasATranslation.
var kinds = map[spec.ProbeType]Kind{
	spec.ProbeHTTP:   {New: httpFromSpec, Measures: httpMeasures},
	spec.ProbePromQL: {New: promqlFromSpec, Measures: func(p spec.Probe) string { return p.PromQL.Query }},
	spec.ProbeLogQL:  {New: logqlFromSpec, Measures: func(p spec.Probe) string { return p.LogQL.Query }},
	spec.ProbeLoad:   {New: loadFromSpec, Measures: loadMeasures},
}

// New is the runtime probe of p; a relative tolerance wraps the kind's
// probe in its judgement (Relative).
func New(p spec.Probe, c Clients) (Probe, error) {
	k, ok := kinds[p.Type]
	if !ok {
		return nil, fmt.Errorf("probe %s: unknown type %q", p.Name, p.Type)
	}
	if p.Tolerance != nil && p.Tolerance.Relative != nil {
		return relativeFromSpec(p, c, k)
	}
	return k.New(p, c)
}

// Measures is what p measures, as the reports say it: its query, or its
// URL or path (after its method, unless GET); "" for an unknown type.
func Measures(p spec.Probe) string {
	k, ok := kinds[p.Type]
	if !ok {
		return ""
	}
	return k.Measures(p)
}

// Schedules are the probe schedules of an experiment: each probe in its
// mode's window (default continuous), every interval.
func Schedules(e *spec.Experiment, c Clients) ([]Schedule, error) {
	out := make([]Schedule, 0, len(e.Spec.Hypothesis.Probes))
	for _, p := range e.Spec.Hypothesis.Probes {
		pr, err := New(p, c)
		if err != nil {
			return nil, err
		}
		out = append(out, Schedule{Probe: pr, Mode: cmp.Or(p.Mode, spec.ModeContinuous), Interval: p.Interval.D()})
	}
	return out, nil
}

// LiveWindow is the longest window of e's load probes: the load's
// timeline keeps each second's histograms that long.
func LiveWindow(e *spec.Experiment) time.Duration {
	var w time.Duration
	for _, p := range e.Spec.Hypothesis.Probes {
		if p.Load != nil {
			w = max(w, p.Load.Window.D())
		}
	}
	return w
}

// UsesPrometheus reports whether e has PromQL probes: a run then needs a
// Prometheus, ready before the run starts.
func UsesPrometheus(e *spec.Experiment) bool {
	return slices.ContainsFunc(e.Spec.Hypothesis.Probes, func(p spec.Probe) bool { return p.Type == spec.ProbePromQL })
}
