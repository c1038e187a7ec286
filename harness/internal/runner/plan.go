package runner

import (
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
