package runner

import (
	"context"
	"fmt"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/engine"
	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/load"
	"github.com/gamedayhq/gameday/harness/internal/probe"
	"github.com/gamedayhq/gameday/harness/internal/spec"
	"github.com/gamedayhq/gameday/harness/internal/verdict"
)

// run is one run: what it was given, and what it measured. Until the
// loop ends, only the loop's goroutine touches it.
type run struct {
	c       Config
	e       *spec.Experiment
	session engine.Session
	closed  bool
	// prometheus judges the PromQL probes (nil: none configured); load
	// feeds the load probes once the load started.
	prometheus probe.Querier
	load       *probe.LateTimeline
	schedules  []probe.Schedule
	plan       load.Plan // the load's translation; the run adds target and run id
	stops      []stopRule
	preflight  engine.Preflight
	dir        string
	progress   *progress

	start, end time.Time
	windows    probe.Windows
	samples    []probe.Sample
	injections []*engine.Injection // in order of injection
	active     []*engine.Injection // injected, not yet ended
	errors     []string
	stop       *verdict.Stop
	breaches   map[string]int // consecutive breaches by probe
	lastSample map[string]probe.Sample
	obs        []engine.Observation
	// learnt is what the baselines learnt from the history (nil before).
	learnt *learnt
}

// execute runs the prepared run to its end and concludes it. The session
// is closed on every path.
func (r *run) execute(ctx context.Context) (*Result, error) {
	defer r.close()
	r.breaches, r.lastSample = map[string]int{}, map[string]probe.Sample{}
	r.observe(ctx)
	l, err := r.begin(ctx)
	if err != nil {
		return nil, err
	}
	l.runToEnd()
	r.end = time.Now()
	r.observe(context.WithoutCancel(ctx))
	r.close()
	r.progress.update(r.status(l.tl, "done"))
	r.progress.finish()
	return r.conclude(context.WithoutCancel(ctx), l.tl)
}

// begin starts the load and, after the warm-up, the probes, the watches
// and the fault timeline: the loop of the run in progress.
func (r *run) begin(ctx context.Context) (*loop, error) {
	runCtx, cancel := context.WithCancel(ctx)
	plan := r.plan
	plan.Target, plan.RunID = r.c.TargetURL, r.c.RunID
	plan.LiveWindow = probe.LiveWindow(r.e) // what the load probes read
	ld, err := r.c.StartLoad(runCtx, plan)
	if err != nil {
		cancel()
		return nil, exitcode.Infraf("start the load: %w", err)
	}
	tl := ld.Timeline()
	r.start = tl.Start()
	r.load.Set(tl)
	// A fresh target has no rate() yet: wait (within the warm-up's cap) until
	// every PromQL probe answers with data, so that the harness's haste is not
	// judged as a breach of the system.
	waited := awaitData(runCtx, r.schedules, r.start, warmupCap(verdict.PlannedWindows(r.e, r.start)))
	r.windows = withWarmup(verdict.PlannedWindows(r.e, r.start), max(r.c.Warmup, waited))
	r.startLearning()

	loadDone := make(chan error, 1)
	go func() {
		_, err := ld.Wait()
		loadDone <- err
	}()
	watches := make(chan *verdict.Stop, len(r.c.Watches))
	for _, w := range r.c.Watches {
		go func() {
			if s := w(runCtx); s != nil {
				watches <- s
			}
		}()
	}
	l := &loop{run: r, ctx: ctx, runCtx: runCtx, cancel: cancel, tl: tl,
		signal: ctx.Done(), loadDone: loadDone, probes: probe.Run(runCtx, r.schedules, r.windows), watches: watches,
		faults: startTimeline(ctx, r.session, r.c.RunID, r.start, r.e.Spec.Faults),
		tick:   time.NewTicker(time.Second), lastObserve: time.Now(), lastProgress: time.Now()}
	l.faultEvents = l.faults.events
	r.progress.update(r.status(tl, "steady state"))
	return l, nil
}

// observe adds the target's state now to the run's observations (none
// when the engine cannot tell within 2 s).
func (r *run) observe(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if o, err := r.session.Observe(ctx); err == nil {
		r.obs = append(r.obs, o)
	}
}

// close ends the engine's session once; what it had to abort is an error
// of the run.
func (r *run) close() {
	if r.closed || r.session == nil {
		return
	}
	r.closed = true
	ctx, cancel := context.WithTimeout(context.Background(), RecoverTimeout)
	defer cancel()
	if err := r.session.Close(ctx); err != nil {
		r.errors = append(r.errors, fmt.Sprintf("close the %s session: %v (run gameday cleanup --run-id %s)", r.c.Engine.Name(), err, r.c.RunID))
	}
}
