// Package runner runs game days: a suite of runs in order (RunSuite:
// cooldown, fail-fast, run ids, the worst exit code), for the CLI and any
// other caller, and each run (Run).
//
// A run validates the experiment against the engine, asks the error-budget
// guard, has the engine prepare the run (its preflight checks and its
// session), then starts the load and the probes. The fault timeline
// (timeline.go) injects each fault at its offset and recovers it at its
// end in a goroutine of its own; the run loop (loop.go) hears the samples,
// the faults' events, the watches, the load's end, the ticks and a signal,
// one method each, and on any ending (the load done, a stop condition, a
// watch, SIGINT/SIGTERM, an injection that failed) has every fault
// recovered with a fresh context before the run concludes a verdict and
// writes the reports (conclude.go).
package runner

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/engine"
	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/history"
	"github.com/gamedayhq/gameday/harness/internal/load"
	"github.com/gamedayhq/gameday/harness/internal/probe"
	"github.com/gamedayhq/gameday/harness/internal/report"
	"github.com/gamedayhq/gameday/harness/internal/slo"
	"github.com/gamedayhq/gameday/harness/internal/spec"
	"github.com/gamedayhq/gameday/harness/internal/verdict"
)

// Defaults of a Config.
const (
	DefaultSuite      = "adhoc"
	DefaultReportsDir = "reports"
	// RecoverTimeout bounds the recovery of every fault at the end of a
	// run, with a context of its own (the run's may be cancelled).
	RecoverTimeout = 30 * time.Second
	// DefaultWarmup delays the first probe after the load starts, so that
	// Prometheus has scraped the load (rate() over a fresh target has no
	// data yet); it is capped at half the before window.
	DefaultWarmup = 5 * time.Second
	// MinStopRequests is the least number of requests in an error-ratio
	// stop condition's window before it may trip.
	MinStopRequests = 10
)

// Config is one run.
type Config struct {
	Experiment *spec.Experiment
	Engine     engine.Engine
	// RunID names the run (default NewRunID); Suite groups reports
	// (default "adhoc"); ReportsDir is their root (default "reports").
	RunID, Suite, ReportsDir string
	// TargetURL is the base URL of PetClinic: load and http probes.
	TargetURL string
	// Clients of the probes; zero: built from the URLs below.
	PrometheusURL, LokiURL string
	// Progress receives live progress (nil: none). TTY redraws a status
	// block; otherwise a plain line every ProgressEvery (default 5s).
	Progress      io.Writer
	TTY, Color    bool
	ProgressEvery time.Duration
	// Warmup before the first probe (default DefaultWarmup; negative:
	// none).
	Warmup time.Duration
	// Objective of the error budget (default verdict.DefaultObjective).
	Objective float64
	// Now is the clock (default time.Now), for run ids.
	Now func() time.Time
	// Watches are outside conditions that may stop the run while it goes
	// (the error-budget guard's burn-rate cap, a cluster-wide kill switch).
	// Each runs in its own goroutine from the start of the load; the first
	// to return a Stop aborts the run as a stop condition would.
	Watches []Watch
	// Guard is the error-budget guard (nil: none): before the preflight it
	// admits the run, or refuses it (exit 4, a report of the refusal), and
	// its watch joins Watches.
	Guard *slo.Guard
	// Decisions taken before the run go into the report as they are,
	// before the guard's.
	Decisions []report.Decision
	// ObserveEvery is how often the engine's Observe (replicas ready per
	// zone) goes into the report's timeline (default 5s).
	ObserveEvery time.Duration
	// StartLoad starts the load (default load.Start, in this process); the
	// Kubernetes engine can run it as a Job of workers instead. The load's
	// timeline starts when the load does: faults are scheduled from it.
	StartLoad func(ctx context.Context, p load.Plan) (LoadRun, error)
	// History is the run history the baselines learn from: the comparable
	// runs' pre-fault windows (nil: this run's alone, said in the report).
	History *history.Store
	// Sections add optional sections to the report before it is written
	// (the cost section). Each gets a context that outlives a cancelled run,
	// bounded by SectionTimeout; a section never fails the run. A run
	// refused before its load has none.
	Sections []func(ctx context.Context, rep *report.Report)
}

// SectionTimeout bounds the report sections of Config.Sections.
const SectionTimeout = 30 * time.Second

// LoadRun is a load in progress (*load.Run, or the Kubernetes load Job).
type LoadRun interface {
	Timeline() *load.Timeline
	Wait() (*load.Timeline, error)
}

func startLocal(ctx context.Context, p load.Plan) (LoadRun, error) { return load.Start(ctx, p) }

// Watch blocks until ctx ends (it returns nil) or its condition trips (it
// returns why the run must stop). It must return soon after ctx ends.
type Watch func(ctx context.Context) *verdict.Stop

func (c *Config) defaults() error {
	if c.Experiment == nil || c.Engine == nil {
		return exitcode.Invalidf("runner: an experiment and an engine are required")
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	c.Suite = cmp.Or(c.Suite, DefaultSuite)
	c.ReportsDir = cmp.Or(c.ReportsDir, DefaultReportsDir)
	c.RunID = cmp.Or(c.RunID, NewRunID(c.Now(), c.Experiment.Metadata.Name))
	if c.TTY {
		c.ProgressEvery = cmp.Or(c.ProgressEvery, time.Second)
	}
	c.ProgressEvery = cmp.Or(c.ProgressEvery, 5*time.Second)
	c.ObserveEvery = cmp.Or(c.ObserveEvery, 5*time.Second)
	if c.StartLoad == nil {
		c.StartLoad = startLocal
	}
	c.Warmup = max(cmp.Or(c.Warmup, DefaultWarmup), 0)
	if c.TargetURL == "" {
		return exitcode.Invalidf("runner: no target URL: start the sandbox (gameday sandbox up) or set the target's url")
	}
	return nil
}

// Result is what a run produced.
type Result struct {
	Report *report.Report
	// Dir is the report directory, Paths its files by name ("" and nil when
	// the reports could not be written).
	Dir   string
	Paths map[string]string
}

// Run runs one game day. The error carries the exit code (package
// exitcode): nil when the hypothesis held. The Result is non-nil once the
// load started, or the guard refused the run, whatever the outcome, and its
// reports are written.
func Run(ctx context.Context, c Config) (*Result, error) {
	if err := c.defaults(); err != nil {
		return nil, err
	}
	r, clients, err := newRun(c)
	if err != nil {
		return nil, err
	}
	if d, ok := noLoki(c); ok {
		r.c.Decisions = append(slices.Clone(r.c.Decisions), d)
	}
	if err := r.learn(ctx); err != nil {
		return r.refusedNoBaseline(err)
	}
	if c.Guard != nil {
		if err := r.admit(ctx, clients); err != nil {
			return r.refused(err)
		}
	}
	if err := r.prepare(ctx); err != nil {
		return nil, err
	}
	return r.execute(ctx)
}

// newRun checks offline what the run needs: the engine can honour the
// experiment, its report directory, load profile and probes.
func newRun(c Config) (*run, slo.Clients, error) {
	e := c.Experiment
	invalid := func(err error) (*run, slo.Clients, error) {
		return nil, slo.Clients{}, exitcode.Wrap(exitcode.Invalid, fmt.Errorf("experiment %s: %w", e.Metadata.Name, err))
	}
	if err := c.Engine.Validate(e); err != nil { // it names the experiment, fault and field
		return nil, slo.Clients{}, exitcode.Wrap(exitcode.Invalid, err)
	}
	dir, err := report.Dir(c.ReportsDir, c.Suite, c.RunID)
	if err != nil {
		return nil, slo.Clients{}, exitcode.Wrap(exitcode.Invalid, err)
	}
	plan, err := LoadPlan(e.Spec.Load)
	if err != nil {
		return invalid(err)
	}
	clients, err := slo.NewClients(c.PrometheusURL, c.LokiURL)
	if err != nil {
		return nil, slo.Clients{}, exitcode.Wrap(exitcode.Invalid, err)
	}
	pc := probeClients(c.TargetURL, clients)
	schedules, err := probe.Schedules(e, pc)
	if err != nil {
		return invalid(err)
	}
	return &run{c: c, e: e, prometheus: pc.Prometheus, load: pc.Load.(*probe.LateTimeline), schedules: schedules, plan: plan, stops: stopRules(e.Spec.StopConditions), dir: dir,
		progress: newProgress(c.Progress, c.TTY, c.Color)}, clients, nil
}

// prepare has the engine prepare the run (its preflight checks, then its
// session) and checks that Prometheus is ready to judge it. A refusal or a
// target that cannot take the run is an error with its exit code; nothing
// was injected.
func (r *run) prepare(ctx context.Context) error {
	c := r.c
	sess, pre, err := c.Engine.Prepare(ctx, c.RunID, r.e)
	switch {
	case err != nil && hasCode(err): // a refusal that knows its code (2, 3 or 4)
		return exitcode.Wrap(exitcode.Of(err), fmt.Errorf("preflight of %s: %w", c.Engine.Name(), err))
	case err != nil && len(pre.Checks) > 0: // the checks say what to do
		return exitcode.Infraf("preflight of %s: %w", c.Engine.Name(), err)
	case err != nil:
		return exitcode.Infraf("preflight of %s: %w (is the target up? try: gameday sandbox status)", c.Engine.Name(), err)
	}
	var notOK []string
	for _, ch := range pre.Checks {
		if !ch.OK {
			notOK = append(notOK, ch.Name+": "+ch.Detail)
		}
	}
	r.session, r.preflight = sess, pre
	if len(notOK) > 0 {
		r.close()
		return exitcode.Infraf("preflight of %s: %s", c.Engine.Name(), strings.Join(notOK, "; "))
	}
	if r.prometheus != nil && probe.UsesPrometheus(r.e) {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := r.prometheus.Ready(rctx)
		cancel()
		if err != nil {
			r.close()
			return exitcode.Infraf("prometheus %s: %w (check --prometheus-url, or gameday sandbox status)", c.PrometheusURL, err)
		}
	}
	return nil
}

// hasCode reports whether err carries its own exit code.
func hasCode(err error) bool {
	var c interface{ ExitCode() int }
	return errors.As(err, &c)
}
