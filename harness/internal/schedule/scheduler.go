package schedule

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/history"
)

// Clock is the scheduler's time: the real one, or a test's.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// RealClock is the wall clock. Waits are bounded by Config.MaxWait, so a
// wall clock set forward or back (NTP) is seen within that time.
type RealClock struct{}

// Now is time.Now.
func (RealClock) Now() time.Time { return time.Now() }

// After is time.After.
func (RealClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Request is one fire to run: the schedule and its suite or experiment.
type Request struct {
	Schedule *Schedule
	// Path is the suite or experiment file, resolved.
	Path string
	Fire Fire
	// RunID is the id of the run (of a suite: the prefix of each
	// experiment's run id).
	RunID string
}

// Result is one experiment's run of a fire.
type Result struct {
	RunID, Experiment, Status string
	ExitCode                  int
	// Dir is the report directory ("" when none was written).
	Dir string
	// Err is why the run wrote no report (nil when it did).
	Err error
}

// Outcome is what a fire's run produced.
type Outcome struct {
	Results []Result
	// Status and ExitCode are the worst of the results.
	Status   string
	ExitCode int
	// Err is an error that prevented the run (invalid file, no target).
	Err error
}

// RunFunc runs one fire; it returns when the run is over, or when ctx is
// cancelled and the run has been aborted (faults recovered, report written).
type RunFunc func(ctx context.Context, r Request) Outcome

// Config of a Scheduler.
type Config struct {
	File *File
	Run  RunFunc
	// History records every fire in the ledger and indexes every run.
	History *history.Store
	// Clock (default RealClock); MaxWait bounds one wait (default 30s).
	Clock   Clock
	MaxWait time.Duration
	// KillSwitch reads the kill switch (nil: never engaged).
	KillSwitch func(ctx context.Context) (engaged bool, detail string, err error)
	// Budget returns the SLOs under p's budget policy (nil: no budget
	// check, every fire passes).
	Budget func(ctx context.Context, p *Plan) (low []string, err error)
	// Metrics (nil: a private registry's).
	Metrics *Metrics
	Log     *slog.Logger
	// Instance names this replica in the ledger (default the host name).
	Instance string
	// Leading is closed when this replica may run game days (nil: at once);
	// Lost when it must stop (the run in progress is aborted).
	Leading, Lost <-chan struct{}
	// Recover removes what a crashed run left behind (faults, load Jobs).
	// It runs once this replica leads, before any fire; while it fails,
	// each fire that would run retries it and is skipped (leftover-chaos)
	// if it fails again. Nil: nothing to recover.
	Recover func(ctx context.Context) error
}

// Scheduler runs the schedules of one file.
type Scheduler struct {
	c     Config
	plans []*Plan

	mu      sync.Mutex
	last    map[string]time.Time // the last nominal fire handled, per schedule
	started map[string][]time.Time
	running string
	queue   []Fire
	status  map[string]*Status
	leader  bool
	// unclean is the last error of Recover (nil once it succeeded).
	unclean error
}

// Status is what the UI shows of a schedule.
type Status struct {
	Name       string         `json:"name"`
	Cron       string         `json:"cron"`
	TimeZone   string         `json:"timeZone"`
	Target     string         `json:"target"`
	Runs       string         `json:"runs"`
	Suspended  bool           `json:"suspended"`
	Next       time.Time      `json:"next"`
	LastStart  time.Time      `json:"lastStart,omitzero"`
	LastStatus string         `json:"lastStatus,omitempty"`
	LastRunIDs []string       `json:"lastRunIDs,omitempty"`
	LastSkip   *history.Event `json:"lastSkip,omitempty"`
	Running    bool           `json:"running"`
	Queued     bool           `json:"queued"`
}

// New checks the config and builds the scheduler.
func New(c Config) (*Scheduler, error) {
	if c.File == nil || c.Run == nil || c.History == nil {
		return nil, fmt.Errorf("schedule: a file, a run function and a history are required")
	}
	c.Clock = cmp.Or[Clock](c.Clock, RealClock{})
	c.MaxWait = cmp.Or(c.MaxWait, 30*time.Second)
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Instance == "" {
		c.Instance, _ = os.Hostname()
	}
	s := &Scheduler{c: c, plans: c.File.Plans, last: map[string]time.Time{}, started: map[string][]time.Time{}, status: map[string]*Status{}}
	for _, p := range s.plans {
		runs := p.Experiment
		if p.Suite != "" {
			runs = p.Suite
		}
		s.status[p.Name] = &Status{Name: p.Name, Cron: p.Cron, TimeZone: p.Loc.String(), Target: p.Target, Runs: runs, Suspended: p.Suspend}
		if c.Metrics != nil {
			c.Metrics.init(p)
		}
	}
	return s, nil
}

// Statuses are the schedules as they stand, in file order.
func (s *Scheduler) Statuses() []Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Status, 0, len(s.plans))
	for _, p := range s.plans {
		st := *s.status[p.Name]
		st.Running = s.running == p.Name
		st.Queued = slices.ContainsFunc(s.queue, func(f Fire) bool { return f.Schedule == p.Name })
		out = append(out, st)
	}
	return out
}

// Leader reports whether this replica runs game days.
func (s *Scheduler) Leader() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.leader
}

type done struct {
	fire  Fire
	out   Outcome
	began time.Time
}

// Run schedules until ctx ends. Then the run in progress is aborted (its
// context cancelled: the runner recovers every fault and writes its
// report) and Run returns once it has.
func (s *Scheduler) Run(ctx context.Context) error {
	if s.c.Leading != nil {
		s.publishNext(s.c.Clock.Now())
		select {
		case <-ctx.Done():
			return nil
		case <-s.c.Leading:
		}
	}
	s.mu.Lock()
	s.leader = true
	s.mu.Unlock()
	if s.c.Metrics != nil {
		s.c.Metrics.Leader.Set(1)
		defer s.c.Metrics.Leader.Set(0)
	}
	s.restore()
	s.recover(ctx)
	runCtx, cancelRun := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelRun()
	finished := make(chan done, 1)
	inFlight := false
	start := func(f Fire) {
		p := s.plan(f.Schedule)
		now := s.c.Clock.Now()
		runID := now.UTC().Format("20060102-150405") + "-" + p.Name
		s.mu.Lock()
		s.running = p.Name
		s.started[p.Name] = append(s.started[p.Name], now)
		s.status[p.Name].LastStart = now
		s.mu.Unlock()
		s.record(history.Event{Schedule: p.Name, Nominal: f.Nominal, Kind: history.EventStarted, RunIDs: []string{runID}})
		if m := s.c.Metrics; m != nil {
			m.Running.WithLabelValues(p.Name).Set(1)
			m.LastRun.WithLabelValues(p.Name).Set(float64(now.Unix()))
		}
		s.c.Log.Info("game day starts", "schedule", p.Name, "fire", f.Nominal.Format(time.RFC3339), "run", runID)
		inFlight = true
		go func() {
			out := s.c.Run(runCtx, Request{Schedule: p.Schedule, Path: s.c.File.Resolve(cmp.Or(p.Suite, p.Experiment)), Fire: f, RunID: runID})
			finished <- done{fire: f, out: out, began: now}
		}()
	}
	// abort ends the game day in progress (its chaos recovered, its report
	// written) before Run returns.
	abort := func(log func(string, ...any), why string) {
		if inFlight {
			log(why + ": aborting the game day in progress")
			cancelRun()
			s.finish(<-finished)
		}
	}
	for _, p := range s.plans {
		s.catchup(ctx, p, start)
	}
	for {
		now := s.c.Clock.Now()
		if !inFlight {
			if f, ok := s.popQueue(); ok {
				s.handle(ctx, s.plan(f.Schedule), f, start)
				continue
			}
		}
		wait := s.c.MaxWait
		for _, p := range s.plans {
			if s.dueMany(p, now) {
				s.catchup(ctx, p, start)
			} else if f := p.FireAt(p.Next(s.lastOf(p))); !f.Nominal.IsZero() && !f.Start.After(now) {
				s.setLast(p, f.Nominal)
				s.handle(ctx, p, f, start)
			}
			// Wait for the next fire of p, which handling one just moved on.
			if f := p.FireAt(p.Next(s.lastOf(p))); !f.Nominal.IsZero() {
				wait = min(wait, f.Start.Sub(now))
			}
		}
		s.publishNext(now)
		select {
		case <-ctx.Done():
			abort(s.c.Log.Info, "stopping")
			return nil
		case <-s.c.Lost:
			// Stopping releases the Lease, which closes Lost too: a stop,
			// not a loss (select picks either when both are ready).
			if ctx.Err() != nil {
				abort(s.c.Log.Info, "stopping")
				return nil
			}
			abort(s.c.Log.Warn, "lost the Lease")
			return fmt.Errorf("schedule: lost the leader Lease")
		case d := <-finished:
			inFlight = false
			s.finish(d)
		case <-s.c.Clock.After(max(wait, 10*time.Millisecond)):
		}
	}
}

// dueMany reports whether more than one fire of p fell due since the last
// handled (the scheduler was held up, or the clock jumped forward).
func (s *Scheduler) dueMany(p *Plan, now time.Time) bool {
	fires, more := p.Due(s.lastOf(p), now, 2)
	return more > 0 || len(fires) > 1
}

// catchup handles the fires of p that fell due while nothing handled
// them: the earlier ones skipped as missed, the latest run or skipped by
// the missed policy.
func (s *Scheduler) catchup(ctx context.Context, p *Plan, start func(Fire)) {
	now := s.c.Clock.Now()
	latest, d, skipped, ok := p.Catchup(s.lastOf(p), now)
	if !ok {
		return
	}
	if fires, _ := p.Due(s.lastOf(p), now, 2); len(fires) == 1 && d.Action == Run && skipped == 0 && now.Sub(latest.Start) <= s.c.MaxWait+time.Second {
		// One fire, just due: an ordinary fire, not a missed one.
		s.setLast(p, latest.Nominal)
		s.handle(ctx, p, latest, start)
		return
	}
	if fires, _ := p.Due(s.lastOf(p), now, 1<<20); len(fires) > 1 {
		n := len(fires) - 1
		s.skip(p, Fire{Schedule: p.Name, Nominal: fires[n-1], Start: fires[n-1]}, Decision{Action: Skip, Reason: ReasonMissed,
			Detail: fmt.Sprintf("%d fires missed between %s and %s (only the latest is considered)", n, fires[0].Format(time.RFC3339), fires[n-1].Format(time.RFC3339))})
	}
	s.setLast(p, latest.Nominal)
	if d.Action == Skip {
		s.skip(p, latest, d)
		return
	}
	s.handle(ctx, p, latest, start)
}

// handle decides the fire f and acts: skip, queue or start.
func (s *Scheduler) handle(ctx context.Context, p *Plan, f Fire, start func(Fire)) {
	now := s.c.Clock.Now()
	s.mu.Lock()
	facts := Facts{Now: now, Running: s.running, StartedToday: countSince(s.started[p.Name], p.DayStart(now))}
	s.mu.Unlock()
	if s.c.KillSwitch != nil {
		on, detail, err := s.c.KillSwitch(ctx)
		if err != nil {
			on, detail = true, fmt.Sprintf("unreadable: %v", err)
		}
		facts.KillSwitch, facts.KillSwitchDetail = on, detail
	}
	d := p.Decide(f, facts)
	if d.Action == Run && p.Budget != nil && s.c.Budget != nil {
		low, err := s.c.Budget(ctx, p)
		d = p.BudgetDecision(low, err)
	}
	switch d.Action {
	case Skip:
		s.skip(p, f, d)
	case Queue:
		s.mu.Lock()
		dup := slices.ContainsFunc(s.queue, func(q Fire) bool { return q.Schedule == p.Name })
		if !dup {
			s.queue = append(s.queue, f)
		}
		s.mu.Unlock()
		if dup {
			s.skip(p, f, Decision{Action: Skip, Reason: ReasonBusy, Detail: "a fire of this schedule is already queued"})
			return
		}
		s.record(history.Event{Schedule: p.Name, Nominal: f.Nominal, Kind: history.EventQueued, Detail: d.Detail})
	case Run:
		if err := s.retryRecover(ctx); err != nil {
			s.skip(p, f, Decision{Action: Skip, Reason: ReasonLeftover,
				Detail: fmt.Sprintf("what a crashed run left behind could not be removed: %v (gameday cleanup; the fire is retried at the next)", err)})
			return
		}
		start(f)
	}
}

// recover runs Recover and keeps its error for the fires to come.
func (s *Scheduler) recover(ctx context.Context) {
	if s.c.Recover == nil {
		return
	}
	err := s.c.Recover(ctx)
	if err != nil {
		s.c.Log.Error("recovering what a crashed run left behind", "err", err)
	}
	s.mu.Lock()
	s.unclean = err
	s.mu.Unlock()
}

// retryRecover runs Recover again if its last run failed, and returns its
// error (nil when nothing is left behind).
func (s *Scheduler) retryRecover(ctx context.Context) error {
	s.mu.Lock()
	err := s.unclean
	s.mu.Unlock()
	if err == nil {
		return nil
	}
	s.recover(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.unclean
}

func (s *Scheduler) skip(p *Plan, f Fire, d Decision) {
	s.c.Log.Info("fire skipped", "schedule", p.Name, "fire", f.Nominal.Format(time.RFC3339), "reason", d.Reason, "detail", d.Detail)
	e := history.Event{Schedule: p.Name, Nominal: f.Nominal, Kind: history.EventSkipped, Reason: string(d.Reason), Detail: d.Detail}
	s.record(e)
	e.At = s.c.Clock.Now()
	s.mu.Lock()
	s.status[p.Name].LastSkip = &e
	s.mu.Unlock()
	if s.c.Metrics != nil {
		s.c.Metrics.Skipped.WithLabelValues(p.Name, string(d.Reason)).Inc()
	}
}

// finish records a fire's end: the ledger, the index of each run, the
// metrics, the retention.
func (s *Scheduler) finish(d done) {
	p := s.plan(d.fire.Schedule)
	o := d.out
	ids := make([]string, 0, len(o.Results))
	for _, r := range o.Results {
		ids = append(ids, r.RunID)
		if r.Dir != "" {
			if err := s.c.History.Record(context.Background(), r.Dir); err != nil {
				s.historyError("index", err)
			}
		}
		if m := s.c.Metrics; m != nil {
			m.Runs.WithLabelValues(p.Name, r.Experiment, cmp.Or(r.Status, "error")).Inc()
		}
	}
	status := cmp.Or(o.Status, "error")
	detail := ""
	if o.Err != nil {
		detail = o.Err.Error()
		if len(o.Results) == 0 && s.c.Metrics != nil {
			s.c.Metrics.Runs.WithLabelValues(p.Name, "", "error").Inc()
		}
	}
	s.record(history.Event{Schedule: p.Name, Nominal: d.fire.Nominal, Kind: history.EventFinished, RunIDs: ids, Status: status, ExitCode: o.ExitCode, Detail: detail})
	elapsed := s.c.Clock.Now().Sub(d.began)
	s.c.Log.Info("game day ended", "schedule", p.Name, "status", status, "exit", o.ExitCode, "runs", strings.Join(ids, ","), "elapsed", elapsed.Round(time.Second))
	s.mu.Lock()
	s.running = ""
	st := s.status[p.Name]
	st.LastStatus, st.LastRunIDs = status, ids
	s.mu.Unlock()
	if m := s.c.Metrics; m != nil {
		m.Running.WithLabelValues(p.Name).Set(0)
		m.RunDuration.WithLabelValues(p.Name).Observe(elapsed.Seconds())
	}
	if r := s.c.File.Spec.Retention; r != nil {
		if _, err := s.c.History.Prune(context.Background(), history.Retention{MaxAge: r.MaxAge.D(), MaxRuns: r.MaxRuns}, s.c.Clock.Now(), false); err != nil {
			s.historyError("prune", err)
		}
	}
}

// record appends to the ledger; a failure is logged and counted, never
// fatal.
func (s *Scheduler) record(e history.Event) {
	e.At, e.Instance = s.c.Clock.Now().UTC(), s.c.Instance
	if err := s.c.History.Append(e); err != nil {
		s.historyError("ledger", err)
	}
}

func (s *Scheduler) historyError(store string, err error) {
	s.c.Log.Error("history write failed: the verdicts stand", "store", store, "err", err)
	if s.c.Metrics != nil {
		s.c.Metrics.HistoryErrors.WithLabelValues(store).Inc()
	}
}

// restore reads the ledger: the last fire handled and the runs started
// per schedule. A schedule without any starts from now (nothing missed).
func (s *Scheduler) restore() {
	now := s.c.Clock.Now()
	events, err := s.c.History.Events()
	if err != nil {
		s.historyError("ledger", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range events {
		st, ok := s.status[e.Schedule]
		if !ok {
			continue
		}
		if e.Nominal.After(s.last[e.Schedule]) {
			s.last[e.Schedule] = e.Nominal
		}
		switch e.Kind {
		case history.EventStarted:
			s.started[e.Schedule] = append(s.started[e.Schedule], e.At)
			st.LastStart = e.At
		case history.EventFinished:
			st.LastStatus, st.LastRunIDs = e.Status, e.RunIDs
		case history.EventSkipped:
			ev := e
			st.LastSkip = &ev
		}
	}
	for _, p := range s.plans {
		if _, ok := s.last[p.Name]; !ok || s.last[p.Name].After(now) {
			// Never fired, or a ledger from a clock that ran ahead: nothing is
			// missed, and nothing fires twice (fires after last only).
			s.last[p.Name] = maxTime(s.last[p.Name], now)
		}
		if m := s.c.Metrics; m != nil {
			last := s.status[p.Name].LastStart
			if last.IsZero() {
				last = now
			}
			m.LastRun.WithLabelValues(p.Name).Set(float64(last.Unix()))
		}
	}
}

func (s *Scheduler) publishNext(now time.Time) {
	for _, p := range s.plans {
		f := p.FireAt(p.Next(maxTime(s.lastOf(p), now)))
		s.mu.Lock()
		s.status[p.Name].Next = f.Start
		s.mu.Unlock()
		if m := s.c.Metrics; m != nil && !f.Nominal.IsZero() {
			m.NextRun.WithLabelValues(p.Name).Set(float64(f.Start.Unix()))
			m.Interval.WithLabelValues(p.Name).Set(p.Interval(now).Seconds())
		}
	}
}

func (s *Scheduler) popQueue() (Fire, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queue) == 0 || s.running != "" {
		return Fire{}, false
	}
	f := s.queue[0]
	s.queue = s.queue[1:]
	return f, true
}

func (s *Scheduler) plan(name string) *Plan {
	for _, p := range s.plans {
		if p.Name == name {
			return p
		}
	}
	return nil
}

func (s *Scheduler) lastOf(p *Plan) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last[p.Name]
}

func (s *Scheduler) setLast(p *Plan, t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.After(s.last[p.Name]) {
		s.last[p.Name] = t
	}
}

func countSince(ts []time.Time, since time.Time) int {
	n := 0
	for _, t := range ts {
		if !t.Before(since) {
			n++
		}
	}
	return n
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
