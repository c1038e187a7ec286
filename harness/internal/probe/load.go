package probe

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/load"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// LoadSource is what load probes read: the load's live timeline.
type LoadSource interface {
	Window(from, to time.Time) load.WindowSummary
}

var _ LoadSource = (*load.Timeline)(nil)

// LateTimeline is a LoadSource for probes made before the load starts:
// empty until Set gives it the load's timeline.
type LateTimeline struct{ tl atomic.Pointer[load.Timeline] }

// Set points it at the load's timeline.
func (l *LateTimeline) Set(tl *load.Timeline) { l.tl.Store(tl) }

// Window is the timeline's, or nothing before Set.
func (l *LateTimeline) Window(from, to time.Time) load.WindowSummary {
	if tl := l.tl.Load(); tl != nil {
		return tl.Window(from, to)
	}
	return load.WindowSummary{}
}

// Load reads the requests the load generator sent during the Window before
// each sample, client side: Metric p50, p95 or p99 is their latency in
// seconds from the intended send time (load.Record.Corrected: a request
// sent late because every worker waited on the target counts the wait),
// error-ratio the share that failed. No request completed in the window
// while the profile asked for some is a breach (the target answered
// nothing); while it asked for none, an unmeasured sample, never a pass.
type Load struct {
	ProbeName string
	Metric    spec.LoadMetric
	Window    time.Duration
	Tolerance *spec.Tolerance
	// Source is the load's timeline (nil: unmeasured).
	Source LoadSource
}

var _ Probe = (*Load)(nil)

// loadFromSpec is the runtime probe of a load probe: its metric, window
// and tolerance, over the clients' load.
func loadFromSpec(p spec.Probe, c Clients) (Probe, error) {
	return &Load{ProbeName: p.Name, Metric: p.Load.Metric, Window: p.Load.Window.D(), Tolerance: p.Tolerance, Source: c.Load}, nil
}

// loadMeasures says what a load probe reads, and from when its latency
// counts.
func loadMeasures(p spec.Probe) string {
	s := fmt.Sprintf("load %s over %s", p.Load.Metric, p.Load.Window)
	if p.Load.Metric != spec.LoadErrorRatio {
		s += " (latency from the intended send time)"
	}
	return s
}

// Name is the probe's name.
func (p *Load) Name() string { return p.ProbeName }

// Check reads the window ending at `at`.
func (p *Load) Check(_ context.Context, at time.Time) Sample {
	if p.Source == nil {
		return failed(p.ProbeName, at, StatusError, fmt.Errorf("%s: no load to read", p.ProbeName))
	}
	w := p.Source.Window(at.Add(-p.Window), at)
	switch {
	case w.Requests == 0 && w.Due >= 1:
		return failed(p.ProbeName, at, StatusBreached, fmt.Errorf("%s: no request completed in the last %s, %.0f were due", p.ProbeName, p.Window, w.Due))
	case w.Requests == 0:
		return failed(p.ProbeName, at, StatusError, fmt.Errorf("%s: no request completed in the last %s", p.ProbeName, p.Window))
	}
	var v float64
	switch p.Metric {
	case spec.LoadP50:
		v = w.P50.Seconds()
	case spec.LoadP95:
		v = w.P95.Seconds()
	case spec.LoadP99:
		v = w.P99.Seconds()
	case spec.LoadErrorRatio:
		v = w.ErrorRatio()
	default:
		return failed(p.ProbeName, at, StatusError, fmt.Errorf("%s: unknown metric %q", p.ProbeName, p.Metric))
	}
	return Judge(p.ProbeName, at, p.Tolerance, v)
}
