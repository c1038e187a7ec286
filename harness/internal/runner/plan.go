package runner

import (
	"cmp"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/load"
	"github.com/gamedayhq/gameday/harness/internal/loki"
	"github.com/gamedayhq/gameday/harness/internal/probe"
	"github.com/gamedayhq/gameday/harness/internal/prom"
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

// Tolerance is the probe tolerance of a spec tolerance (nil: any value).
func Tolerance(t *spec.Tolerance) probe.Tolerance {
	switch {
	case t == nil:
		return probe.Tolerance{}
	case t.Threshold != nil:
		return probe.Threshold(probe.Op(t.Threshold.Op), t.Threshold.Value)
	case t.Range != nil:
		return probe.Range(t.Range.Min, t.Range.Max)
	}
	return probe.Tolerance{}
}

// Clients are what probes are sent to; a nil client leaves its probes in
// error (Prometheus) or skipped (Loki).
type Clients struct {
	TargetURL  string
	Prometheus probe.Querier
	Loki       probe.LogQuerier
}

// Schedules are the probe schedules of an experiment.
func Schedules(e *spec.Experiment, c Clients) ([]probe.Schedule, error) {
	var out []probe.Schedule
	for _, p := range e.Spec.Hypothesis.Probes {
		tol := Tolerance(p.Tolerance)
		var pr probe.Probe
		switch p.Type {
		case spec.ProbeHTTP:
			u := p.HTTP.URL
			if u == "" {
				if c.TargetURL == "" {
					return nil, fmt.Errorf("probe %s: path %s needs the target's URL", p.Name, p.HTTP.Path)
				}
				u = strings.TrimSuffix(c.TargetURL, "/") + p.HTTP.Path
			}
			if _, err := url.Parse(u); err != nil {
				return nil, fmt.Errorf("probe %s: %w", p.Name, err)
			}
			pr = &probe.HTTP{ProbeName: p.Name, URL: u, Expect: []int{cmp.Or(p.HTTP.ExpectStatus, 200)}, Tolerance: tol, Timeout: p.HTTP.Timeout.D()}
		case spec.ProbePromQL:
			var q probe.Querier
			if c.Prometheus != nil {
				q = c.Prometheus
			}
			pr = &probe.PromQL{ProbeName: p.Name, Query: p.PromQL.Query, Tolerance: tol, Client: q}
		case spec.ProbeLogQL:
			var q probe.LogQuerier
			if c.Loki != nil {
				q = c.Loki
			}
			pr = &probe.LogQL{ProbeName: p.Name, Query: p.LogQL.Query, Tolerance: tol, Client: q}
		default:
			return nil, fmt.Errorf("probe %s: unknown type %q", p.Name, p.Type)
		}
		out = append(out, probe.Schedule{Probe: pr, Mode: probe.Mode(cmp.Or(p.Mode, spec.ModeContinuous)), Interval: p.Interval.D()})
	}
	return out, nil
}

// NewClients connects the probe clients of the URLs given (empty: none).
func NewClients(targetURL, prometheusURL, lokiURL string) (Clients, error) {
	c := Clients{TargetURL: targetURL}
	if prometheusURL != "" {
		p, err := prom.New(prometheusURL, 0)
		if err != nil {
			return c, err
		}
		c.Prometheus = p
	}
	if lokiURL != "" {
		l, err := loki.New(loki.Config{URL: lokiURL})
		if err != nil {
			return c, err
		}
		c.Loki = l
	}
	return c, nil
}

// NewRunID is a sortable, readable run id: 20261127-173501-pod-kill.
func NewRunID(now time.Time, experiment string) string {
	return now.UTC().Format("20060102-150405") + "-" + experiment
}
