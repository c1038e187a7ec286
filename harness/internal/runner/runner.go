// Package runner runs game days: a suite of runs in order (RunSuite:
// cooldown, fail-fast, run ids, the worst exit code), for the CLI and any
// other caller, and each run (Run). A run validates the experiment against
// the engine, asks the error-budget guard, runs the engine's preflight,
// starts the load and the
// probes, injects each fault at its offset and recovers it at its end,
// watches the stop conditions, and on any ending (the load done, a stop
// condition, SIGINT/SIGTERM, an injection that failed) recovers every fault
// with a fresh context before it concludes a verdict and writes the reports.
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
	"github.com/gamedayhq/gameday/harness/internal/load"
	"github.com/gamedayhq/gameday/harness/internal/probe"
	"github.com/gamedayhq/gameday/harness/internal/prom"
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
}

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
// load started, whatever the outcome, and its reports are written.
func Run(ctx context.Context, c Config) (*Result, error) {
	if err := c.defaults(); err != nil {
		return nil, err
	}
	e := c.Experiment
	if err := c.Engine.Validate(e); err != nil {
		return nil, exitcode.Wrap(exitcode.Invalid, fmt.Errorf("experiment %s: %w", e.Metadata.Name, err))
	}
	dir, err := report.Dir(c.ReportsDir, c.Suite, c.RunID)
	if err != nil {
		return nil, exitcode.Wrap(exitcode.Invalid, err)
	}
	profile, err := Profile(e.Spec.Load)
	if err != nil {
		return nil, exitcode.Wrap(exitcode.Invalid, fmt.Errorf("experiment %s: %w", e.Metadata.Name, err))
	}
	sloClients, err := slo.NewClients(c.PrometheusURL, c.LokiURL)
	if err != nil {
		return nil, exitcode.Wrap(exitcode.Invalid, err)
	}
	clients := probeClients(c.TargetURL, sloClients)
	schedules, err := probe.Schedules(e, clients)
	if err != nil {
		return nil, exitcode.Wrap(exitcode.Invalid, fmt.Errorf("experiment %s: %w", e.Metadata.Name, err))
	}
	r := &run{c: c, e: e, schedules: schedules, profile: profile, dir: dir,
		progress: newProgress(c.Progress, c.TTY, c.Color)}
	if c.Guard != nil {
		if refusal := r.admit(ctx, sloClients); refusal != nil {
			return r.refused(refusal)
		}
	}

	sess, pre, err := c.Engine.Prepare(ctx, c.RunID, e)
	switch {
	case err != nil && hasCode(err): // a refusal that knows its code (2, 3 or 4)
		return nil, exitcode.Wrap(exitcode.Of(err), fmt.Errorf("preflight of %s: %w", c.Engine.Name(), err))
	case err != nil && len(pre.Checks) > 0: // the checks say what to do
		return nil, exitcode.Infraf("preflight of %s: %w", c.Engine.Name(), err)
	case err != nil:
		return nil, exitcode.Infraf("preflight of %s: %w (is the target up? try: gameday sandbox status)", c.Engine.Name(), err)
	}
	var notOK []string
	for _, ch := range pre.Checks {
		if !ch.OK {
			notOK = append(notOK, ch.Name+": "+ch.Detail)
		}
	}
	if len(notOK) > 0 {
		closeSession(sess)
		return nil, exitcode.Infraf("preflight of %s: %s", c.Engine.Name(), strings.Join(notOK, "; "))
	}
	if clients.Prometheus != nil && probe.UsesPrometheus(e) {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := clients.Prometheus.Ready(rctx)
		cancel()
		if err != nil {
			closeSession(sess)
			return nil, exitcode.Infraf("prometheus %s: %w (check --prometheus-url, or gameday sandbox status)", c.PrometheusURL, err)
		}
	}

	r.session, r.preflight = sess, pre
	return r.execute(ctx)
}

// admit asks the error-budget guard whether the run may start: its
// decisions go into the report, its watch among the run's. It returns the
// guard's error when it refuses or cannot look.
func (r *run) admit(ctx context.Context, c slo.Clients) error {
	ruling, err := r.c.Guard.Admit(ctx, c, r.e.Metadata.Name, r.c.Now())
	r.c.Decisions = slices.Clone(r.c.Decisions)
	for _, d := range ruling.Decisions {
		r.c.Decisions = append(r.c.Decisions, report.Decision(d))
	}
	if w := ruling.Watch; w != nil {
		r.c.Watches = append(slices.Clone(r.c.Watches), func(ctx context.Context) *verdict.Stop {
			if t := w(ctx); t != nil {
				return &verdict.Stop{Kind: verdict.StopCondition, Condition: slo.StopBurnRate, At: t.Observed, Reason: t.Reason}
			}
			return nil
		})
	}
	return err
}

// refused ends a run the guard refused, or could not judge, before its
// load. A refusal (exit 4) writes the report of a run stopped at its start
// (the decisions and the reason, every probe skipped) so that a refused
// gate leaves a report and a JUnit file like any other run; the error is
// the guard's.
func (r *run) refused(guardErr error) (*Result, error) {
	if exitcode.Of(guardErr) != exitcode.Aborted {
		return nil, guardErr
	}
	r.start = r.c.Now()
	r.end = r.start
	r.windows = verdict.PlannedWindows(r.e, r.start)
	r.stop = &verdict.Stop{Kind: verdict.StopCondition, Condition: slo.DecisionBudget, At: r.start.UTC(), Reason: guardErr.Error()}
	res, _ := r.conclude(nil)
	return res, guardErr
}

// probeClients are the probes' clients over the guard's.
func probeClients(targetURL string, c slo.Clients) probe.Clients {
	pc := probe.Clients{TargetURL: targetURL}
	if c.Prom != nil {
		pc.Prometheus = c.Prom
	}
	if c.Loki != nil {
		pc.Loki = c.Loki
	}
	return pc
}

// hasCode reports whether err carries its own exit code.
func hasCode(err error) bool {
	var c interface{ ExitCode() int }
	return errors.As(err, &c)
}

// closeSession closes a session that never ran (nothing was injected).
func closeSession(s engine.Session) {
	ctx, cancel := context.WithTimeout(context.Background(), RecoverTimeout)
	defer cancel()
	_ = s.Close(ctx) // nothing injected: nothing to report
}

// run is the state of one run in progress; only execute's goroutine
// touches it.
type run struct {
	c         Config
	e         *spec.Experiment
	session   engine.Session
	closed    bool
	schedules []probe.Schedule
	profile   load.Profile
	preflight engine.Preflight
	dir       string
	progress  *progress

	start, end time.Time
	windows    probe.Windows
	samples    []probe.Sample
	injections []*engine.Injection // in order of injection
	active     []*engine.Injection // injected, not yet recovered
	errors     []string
	stop       *verdict.Stop
	breaches   map[string]int // consecutive breaches by probe
	lastSample map[string]probe.Sample
	obs        []engine.Observation
	aborting   bool // recoveries from now on are aborts
}

// event is a fault to inject or recover at an offset.
type event struct {
	at      time.Duration
	fault   int
	recover bool
}

func (r *run) plan() []event {
	var evs []event
	for i, f := range r.e.Spec.Faults {
		evs = append(evs, event{at: f.StartAfter.D(), fault: i}, event{at: f.End().D(), fault: i, recover: true})
	}
	slices.SortStableFunc(evs, func(a, b event) int {
		if c := cmp.Compare(a.at, b.at); c != 0 {
			return c
		}
		// at the same instant, recover before injecting
		return cmp.Compare(boolInt(!a.recover), boolInt(!b.recover))
	})
	return evs
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (r *run) execute(ctx context.Context) (res *Result, err error) {
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer r.close()
	r.breaches, r.lastSample = map[string]int{}, map[string]probe.Sample{}

	if o, err := observe(ctx, r.session); err == nil {
		r.obs = append(r.obs, o)
	}
	ld, err := r.c.StartLoad(runCtx, load.Plan{
		Target: r.c.TargetURL, Profile: r.profile, Mix: Mix(r.e.Spec.Load), RunID: r.c.RunID,
		Timeout: r.e.Spec.Load.Timeout.D(), MaxWorkers: uint64(r.e.Spec.Load.MaxWorkers),
	})
	if err != nil {
		return nil, exitcode.Infraf("start the load: %w", err)
	}
	tl := ld.Timeline()
	r.start = tl.Start()
	// A fresh target has no rate() yet: wait (within the warm-up's cap) until
	// every PromQL probe answers with data, so that the harness's haste is not
	// judged as a breach of the system.
	waited := awaitData(runCtx, r.schedules, r.start, warmupCap(verdict.PlannedWindows(r.e, r.start)))
	r.windows = withWarmup(verdict.PlannedWindows(r.e, r.start), max(r.c.Warmup, waited))
	// Recovery runs on every path, with a context of its own.
	defer r.recoverAll()

	samples := probe.Run(runCtx, r.schedules, r.windows)
	loadDone := make(chan error, 1)
	go func() {
		_, err := ld.Wait()
		loadDone <- err
	}()
	watchStops := make(chan *verdict.Stop, len(r.c.Watches))
	for _, w := range r.c.Watches {
		go func() {
			if s := w(runCtx); s != nil {
				watchStops <- s
			}
		}()
	}
	lastObserve := time.Now()

	events := r.plan()
	timer := time.NewTimer(0)
	defer timer.Stop()
	armTimer := func() {
		if len(events) > 0 {
			timer.Reset(max(time.Until(r.start.Add(events[0].at)), 0))
		}
	}
	timer.Stop()
	armTimer()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	lastProgress := time.Now()
	r.progress.update(r.status(tl, "steady state"))

	loadRunning, probesRunning := true, true
	stopping := false
	// An injection runs in a goroutine of its own (Chaos Mesh's confirmation
	// may take up to the engine's inject timeout) and reports here, so that
	// the loop still hears signals, watches and stop conditions meanwhile;
	// abort cancels runCtx, which ends the engine's wait. One injection at
	// a time: the events after it wait for it, in order.
	// Its context ends with an abort (or ctx), not with the load: an
	// injection that lands as the load ends is recorded, then recovered.
	injected := make(chan injectResult, 1)
	injecting := false
	injectCtx, cancelInject := context.WithCancel(ctx)
	defer cancelInject()
	abort := func(s *verdict.Stop) {
		if stopping {
			return
		}
		stopping = true
		r.aborting = true
		if s != nil {
			r.stop = s
		}
		cancel()
		cancelInject()
		r.recoverAll()
		events = nil
	}
	for loadRunning || probesRunning || injecting {
		select {
		case <-ctx.Done():
			abort(&verdict.Stop{Kind: verdict.StopSignal, At: time.Now(), Reason: "interrupted: " + context.Cause(ctx).Error()})
			ctx = context.WithoutCancel(ctx) // seen once
		case err := <-loadDone:
			loadRunning = false
			if err != nil && !errors.Is(err, load.ErrAborted) {
				r.errors = append(r.errors, "load: "+err.Error())
			}
			// The load is the run: once it ends, so do the probes.
			cancel()
		case s, ok := <-samples:
			if !ok {
				probesRunning, samples = false, nil
				continue
			}
			r.samples = append(r.samples, s)
			r.lastSample[s.Probe] = s
			if st := r.checkProbeStop(s); st != nil {
				abort(st)
			}
		case <-timer.C:
			for !injecting && len(events) > 0 && !time.Now().Before(r.start.Add(events[0].at)) {
				ev := events[0]
				events = events[1:]
				if ev.recover {
					r.recoverFault(r.e.Spec.Faults[ev.fault].Name)
					continue
				}
				injecting = true
				go func(f spec.Fault) {
					in, err := r.session.Inject(injectCtx, f)
					injected <- injectResult{fault: f.Name, in: in, err: err}
				}(r.e.Spec.Faults[ev.fault])
			}
			if !injecting {
				armTimer()
			}
		case res := <-injected:
			injecting = false
			err := r.injectDone(res)
			switch {
			case stopping: // aborted meanwhile: what landed is recovered at once
				r.recoverAll()
			case err != nil && ctx.Err() != nil: // a signal came while the engine waited: aborted, not inconclusive
				abort(&verdict.Stop{Kind: verdict.StopSignal, At: time.Now(), Reason: "interrupted: " + context.Cause(ctx).Error()})
				ctx = context.WithoutCancel(ctx)
			case err != nil:
				abort(&verdict.Stop{Kind: verdict.StopError, At: time.Now(), Reason: err.Error()})
			default:
				armTimer()
			}
		case s := <-watchStops:
			abort(s)
		case now := <-tick.C:
			if now.Sub(lastObserve) >= r.c.ObserveEvery {
				lastObserve = now
				if o, err := observe(runCtx, r.session); err == nil {
					r.obs = append(r.obs, o)
				}
			}
			if !stopping {
				if st := r.checkErrorRatio(tl, now); st != nil {
					abort(st)
				}
			}
			if now.Sub(lastProgress) >= r.c.ProgressEvery {
				lastProgress = now
				r.progress.update(r.status(tl, r.phase(now)))
			}
		}
	}
	r.recoverAll()
	r.end = time.Now()
	if o, err := observe(context.WithoutCancel(ctx), r.session); err == nil {
		r.obs = append(r.obs, o)
	}
	r.close()
	r.progress.update(r.status(tl, "done"))
	r.progress.finish()
	return r.conclude(tl)
}

// warmupCap is the longest warm-up: half the before window.
func warmupCap(w probe.Windows) time.Duration { return w.Before.End.Sub(w.Before.Start) / 2 }

// awaitData polls the PromQL probes every second until each answers with a
// number (not "no data" nor NaN) or the cap has passed since start, and
// returns how long after start that was.
func awaitData(ctx context.Context, schedules []probe.Schedule, start time.Time, limit time.Duration) time.Duration {
	for {
		ready := true
		for _, s := range schedules {
			if _, ok := s.Probe.(*probe.PromQL); !ok {
				continue
			}
			if err := s.Probe.Check(ctx, time.Now()).Err; errors.Is(err, prom.ErrNoData) || errors.Is(err, prom.ErrNaN) {
				ready = false
				break
			}
		}
		waited := time.Since(start)
		if ready || waited >= limit {
			return waited
		}
		select {
		case <-ctx.Done():
			return waited
		case <-time.After(time.Second):
		}
	}
}

// withWarmup starts the before window (and so the continuous one) after
// the warm-up, at most half-way through it.
func withWarmup(w probe.Windows, warmup time.Duration) probe.Windows {
	w.Before.Start = w.Before.Start.Add(min(warmup, w.Before.End.Sub(w.Before.Start)/2))
	return w
}

func observe(ctx context.Context, s engine.Session) (engine.Observation, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return s.Observe(ctx)
}

// close ends the engine's session once; what it had to abort is an error
// of the run.
func (r *run) close() {
	if r.closed {
		return
	}
	r.closed = true
	ctx, cancel := context.WithTimeout(context.Background(), RecoverTimeout)
	defer cancel()
	if err := r.session.Close(ctx); err != nil {
		r.errors = append(r.errors, fmt.Sprintf("close the %s session: %v (run gameday cleanup --run-id %s)", r.c.Engine.Name(), err, r.c.RunID))
	}
}

// injectResult is what an engine's Inject returned.
type injectResult struct {
	fault string
	in    *engine.Injection
	err   error
}

// injectDone records an injection that landed as active (recoverAll then
// recovers it, even when the run was aborted while the engine waited).
func (r *run) injectDone(res injectResult) error {
	if res.err != nil {
		return fmt.Errorf("inject fault %s: %w", res.fault, res.err)
	}
	in := res.in
	if in.Injected.IsZero() {
		in.Injected = time.Now()
	}
	r.injections = append(r.injections, in)
	r.active = append(r.active, in)
	return nil
}

func (r *run) recoverFault(name string) {
	for i, in := range r.active {
		if in.Fault == name {
			r.recoverOne(in)
			r.active = slices.Delete(r.active, i, i+1)
			return
		}
	}
}

func (r *run) recoverOne(in *engine.Injection) {
	ctx, cancel := context.WithTimeout(context.Background(), RecoverTimeout)
	defer cancel()
	end := r.session.Recover
	if r.aborting {
		end = r.session.Abort
	}
	if err := end(ctx, in); err != nil {
		r.errors = append(r.errors, fmt.Sprintf("recover fault %s: %v (run gameday cleanup --run-id %s)", in.Fault, err, r.c.RunID))
		return
	}
	if in.Recovered.IsZero() {
		in.Recovered = time.Now()
	}
}

// recoverAll recovers every active fault; it is safe to call twice.
func (r *run) recoverAll() {
	for len(r.active) > 0 {
		in := r.active[len(r.active)-1]
		r.active = r.active[:len(r.active)-1]
		r.recoverOne(in)
	}
}

// checkProbeStop trips a probe stop condition on its Nth consecutive
// breach.
func (r *run) checkProbeStop(s probe.Sample) *verdict.Stop {
	if s.Status == probe.StatusBreached {
		r.breaches[s.Probe]++
	} else if s.Status == probe.StatusOK {
		r.breaches[s.Probe] = 0
	}
	for _, sc := range r.e.Spec.StopConditions {
		if sc.Probe != s.Probe {
			continue
		}
		n := cmp.Or(sc.Breaches, 3)
		if r.breaches[s.Probe] >= n {
			name := cmp.Or(sc.Name, "probe-"+sc.Probe)
			return &verdict.Stop{Kind: verdict.StopCondition, Condition: name, At: time.Now(),
				Reason: fmt.Sprintf("stop condition %s: probe %s breached %d times in a row (last: %v)", name, sc.Probe, n, s.Err)}
		}
	}
	return nil
}

func (r *run) checkErrorRatio(tl *load.Timeline, now time.Time) *verdict.Stop {
	for _, sc := range r.e.Spec.StopConditions {
		if sc.ErrorRatioAbove == nil {
			continue
		}
		w := cmp.Or(sc.Window.D(), 10*time.Second)
		ratio, n := tl.ErrorRatio(w)
		if n >= MinStopRequests && ratio > *sc.ErrorRatioAbove {
			name := cmp.Or(sc.Name, "error-ratio")
			return &verdict.Stop{Kind: verdict.StopCondition, Condition: name, At: now,
				Reason: fmt.Sprintf("stop condition %s: client error ratio %.3f over %s (%d requests) is above %g", name, ratio, w, n, *sc.ErrorRatioAbove)}
		}
	}
	return nil
}

func (r *run) phase(now time.Time) string {
	switch verdict.PhaseOf(r.windows, now) {
	case verdict.PhaseBefore:
		return "steady state"
	case verdict.PhaseDuring:
		return "faults"
	case verdict.PhaseRecovery:
		return "recovery"
	}
	return "after"
}

func (r *run) conclude(tl *load.Timeline) (*Result, error) {
	e := r.e
	var injs []engine.Injection
	for _, in := range r.injections {
		injs = append(injs, *in)
	}
	var secs []load.Second
	var total load.Summary
	var journeys []load.Summary
	if tl != nil { // nil: refused before the load
		secs, total, journeys = tl.Seconds(), tl.Total(), tl.Journeys()
	}
	v := verdict.Evaluate(verdict.Input{
		Experiment: e, Start: r.start, End: r.end, Windows: r.windows, Seconds: secs, Total: total,
		Samples: r.samples, Injections: injs, Stop: r.stop, Objective: r.c.Objective, Errors: r.errors,
	})
	rep := report.New(report.Run{
		ID: r.c.RunID, Suite: r.c.Suite, Experiment: e,
		Target: report.Target{Kind: string(e.Spec.Target.Kind), Engine: r.c.Engine.Name(), URL: r.c.TargetURL,
			PrometheusURL: r.c.PrometheusURL, LokiURL: r.c.LokiURL},
		Start: r.start, End: r.end, Warmup: r.windows.Before.Start.Sub(r.start), Preflight: r.preflight,
		Profile: r.profile, Seconds: secs, Total: total, Journeys: journeys, Samples: r.samples,
		Observations: r.obs, Decisions: r.c.Decisions, Verdict: v,
	})
	res := &Result{Report: rep, Dir: r.dir}
	paths, werr := report.Write(r.dir, rep)
	if werr != nil {
		return res, exitcode.Infraf("write the reports: %w", werr)
	}
	res.Paths = paths
	if v.Status == verdict.Held {
		return res, nil
	}
	return res, exitcode.Wrap(v.ExitCode, fmt.Errorf("experiment %s: hypothesis %s: %s", e.Metadata.Name, v.Status, strings.Join(v.Reasons, "; ")))
}
