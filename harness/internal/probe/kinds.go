package probe

import (
	"cmp"
	"fmt"

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
}

// FromSpec builds the runtime probe of one spec probe kind. It carries
// every field of its block, the probe's name and its tolerance into the
// runtime probe (TestEverySpecFieldReachesTheRuntimeProbe proves it).
type FromSpec func(p spec.Probe, c Clients) (Probe, error)

// kinds holds the one translation of each spec probe type. A probe type
// of the spec without an entry fails TestEveryProbeKindHasATranslation.
var kinds = map[spec.ProbeType]FromSpec{
	spec.ProbeHTTP:   httpFromSpec,
	spec.ProbePromQL: promqlFromSpec,
	spec.ProbeLogQL:  logqlFromSpec,
}

// New is the runtime probe of p.
func New(p spec.Probe, c Clients) (Probe, error) {
	from, ok := kinds[p.Type]
	if !ok {
		return nil, fmt.Errorf("probe %s: unknown type %q", p.Name, p.Type)
	}
	return from(p, c)
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
