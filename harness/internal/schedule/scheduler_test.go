package schedule

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gamedayhq/gameday/harness/internal/history"
)

// fakeClock is a clock the test sets; After channels fire when it passes
// their time. Calls counts the After calls, so a test knows when the loop
// has come round to wait again.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
	calls   int
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	ch := make(chan time.Time, 1)
	// Only the scheduler's loop waits, on its latest channel: earlier
	// ones were abandoned when something else woke it.
	c.waiters = []waiter{{at: c.now.Add(d), ch: ch}}
	return ch
}

func (c *fakeClock) callCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}

// set moves the clock (forward or back) and wakes the waiters it passed;
// it returns once the scheduler is waiting again.
func (c *fakeClock) set(t *testing.T, to time.Time) {
	t.Helper()
	c.mu.Lock()
	before := c.calls
	c.now = to
	fired := 0
	keep := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(to) {
			w.ch <- to
			fired++
		} else {
			keep = append(keep, w)
		}
	}
	c.waiters = keep
	c.mu.Unlock()
	if fired == 0 {
		return
	}
	deadline := time.Now().Add(10 * time.Second)
	for c.callCount() == before {
		if time.Now().After(deadline) {
			t.Fatalf("the scheduler did not come back to wait after %s", to)
		}
		time.Sleep(time.Millisecond)
	}
}

// walk steps the clock from its time to end in steps.
func (c *fakeClock) walk(t *testing.T, end time.Time, step time.Duration) {
	t.Helper()
	for now := c.Now().Add(step); !now.After(end); now = now.Add(step) {
		c.set(t, now)
	}
}

// runs records what the scheduler asked to run; block holds each run until
// released.
type runs struct {
	mu    sync.Mutex
	fires []Fire
	block chan struct{}
}

func (r *runs) run(ctx context.Context, req Request) Outcome {
	r.mu.Lock()
	r.fires = append(r.fires, req.Fire)
	r.mu.Unlock()
	if r.block != nil {
		select {
		case <-r.block:
		case <-ctx.Done():
			return Outcome{Status: "aborted", ExitCode: 4, Results: []Result{{RunID: req.RunID, Experiment: "pod-kill", Status: "aborted", ExitCode: 4}}}
		}
	}
	return Outcome{Status: "held", Results: []Result{{RunID: req.RunID, Experiment: "pod-kill", Status: "held"}}}
}

func (r *runs) nominals() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, f := range r.fires {
		out = append(out, f.Nominal.UTC().Format("15:04:05"))
	}
	return out
}

// file writes a schedules file with the given schedules block.
func file(t *testing.T, schedules string) *File {
	t.Helper()
	exp, _ := filepath.Abs("../../../experiments/pod-kill.yaml")
	path := filepath.Join(t.TempDir(), "s.yaml")
	body := head + "  schedules:\n" + strings.ReplaceAll(schedules, "EXP", exp)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Load(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

type harness struct {
	s       *Scheduler
	clock   *fakeClock
	runs    *runs
	store   *history.Store
	metrics *Metrics
	cancel  context.CancelFunc
	done    chan error
}

var day = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func start(t *testing.T, f *File, at time.Time, mod func(*Config)) *harness {
	t.Helper()
	store, err := history.Open(t.TempDir(), history.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return startWith(t, f, at, store, mod)
}

func startWith(t *testing.T, f *File, at time.Time, store *history.Store, mod func(*Config)) *harness {
	t.Helper()
	h := &harness{clock: &fakeClock{now: at}, runs: &runs{}, store: store, metrics: NewMetrics(prometheus.NewRegistry())}
	c := Config{File: f, Run: h.runs.run, History: store, Clock: h.clock, Metrics: h.metrics, Instance: "test", Log: testLog(t)}
	if mod != nil {
		mod(&c)
	}
	s, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	h.s = s
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan error, 1)
	before := h.clock.callCount()
	go func() { h.done <- s.Run(ctx) }()
	for h.clock.callCount() == before {
		time.Sleep(time.Millisecond)
	}
	t.Cleanup(h.stop)
	return h
}

// idle waits until no game day runs (a run that ended has been recorded).
func (h *harness) idle(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for slices.ContainsFunc(h.s.Statuses(), func(s Status) bool { return s.Running }) {
		if time.Now().After(deadline) {
			t.Fatal("a run is still in progress")
		}
		time.Sleep(time.Millisecond)
	}
}

func (h *harness) stop() {
	h.cancel()
	<-h.done
	h.done <- nil // a second stop returns at once
}

func (h *harness) events(t *testing.T, kind string) []history.Event {
	t.Helper()
	ev, err := h.store.Events()
	if err != nil {
		t.Fatal(err)
	}
	var out []history.Event
	for _, e := range ev {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

func nominals(ev []history.Event) []string {
	var out []string
	for _, e := range ev {
		out = append(out, e.Nominal.UTC().Format("15:04:05")+" "+e.Reason)
	}
	return out
}

func TestBlackoutSkipsExactlyTheFiresInsideIt(t *testing.T) {
	f := file(t, `    - name: a
      cron: "* * * * *"
      experiment: EXP
      blackouts:
        - name: change-window
          from: "2026-12-01T10:05:00Z"
          until: "2026-12-01T10:08:00Z"
`)
	h := start(t, f, day, nil)
	// Each game day ends before the next minute's fire (the clock waits for
	// it): a run still being recorded when the clock passes the next fire
	// would skip that fire for concurrency (it did, on a busy machine).
	for m := 1; m <= 12; m++ {
		h.clock.walk(t, day.Add(time.Duration(m)*time.Minute), 5*time.Second)
		h.idle(t)
	}
	h.stop()
	got := strings.Join(h.runs.nominals(), " ")
	want := "10:01:00 10:02:00 10:03:00 10:04:00 10:08:00 10:09:00 10:10:00 10:11:00 10:12:00"
	if got != want {
		t.Errorf("ran  %s\nwant %s", got, want)
	}
	skipped := nominals(h.events(t, history.EventSkipped))
	if !slices.Equal(skipped, []string{"10:05:00 blackout", "10:06:00 blackout", "10:07:00 blackout"}) {
		t.Errorf("skipped %v", skipped)
	}
	if v := testutil.ToFloat64(h.metrics.Skipped.WithLabelValues("a", "blackout")); v != 3 {
		t.Errorf("gameday_schedule_skipped_total{reason=blackout}: got %v, want 3", v)
	}
	if v := testutil.ToFloat64(h.metrics.Runs.WithLabelValues("a", "pod-kill", "held")); v != 9 {
		t.Errorf("gameday_schedule_runs_total: got %v, want 9", v)
	}
}

func TestForbidSkipsAnOverlappingFireAndRecordsIt(t *testing.T) {
	f := file(t, `    - name: a
      cron: "* * * * *"
      experiment: EXP
`)
	h := start(t, f, day, nil)
	h.runs.block = make(chan struct{})
	h.clock.walk(t, day.Add(3*time.Minute+30*time.Second), 5*time.Second)
	close(h.runs.block) // the 10:01 run ends at 10:03:30
	h.idle(t)
	h.clock.walk(t, day.Add(4*time.Minute+30*time.Second), 5*time.Second)
	h.stop()
	if got := strings.Join(h.runs.nominals(), " "); got != "10:01:00 10:04:00" {
		t.Errorf("ran %s, want 10:01:00 10:04:00", got)
	}
	skipped := h.events(t, history.EventSkipped)
	if got := nominals(skipped); !slices.Equal(got, []string{"10:02:00 concurrency", "10:03:00 concurrency"}) {
		t.Errorf("skipped %v", got)
	}
	if len(skipped) > 0 && !strings.Contains(skipped[0].Detail, "a game day of schedule a is running (concurrency: forbid)") {
		t.Errorf("detail %q", skipped[0].Detail)
	}
}

func TestQueueRunsAfterTheRunInProgress(t *testing.T) {
	f := file(t, `    - name: long
      cron: "0 10 * * *"
      experiment: EXP
    - name: queued
      cron: "1 10 * * *"
      experiment: EXP
      concurrency: queue
      startingDeadline: 5m
`)
	h := start(t, f, day.Add(-time.Second), nil)
	h.runs.block = make(chan struct{})
	h.clock.walk(t, day.Add(2*time.Minute), 5*time.Second)
	if got := strings.Join(h.runs.nominals(), " "); got != "10:00:00" {
		t.Fatalf("while the first runs: ran %s", got)
	}
	// End the first run: the queued fire starts at once.
	close(h.runs.block)
	h.idle(t)
	h.clock.walk(t, day.Add(3*time.Minute), 5*time.Second)
	h.stop()
	if got := strings.Join(h.runs.nominals(), " "); got != "10:00:00 10:01:00" {
		t.Errorf("ran %s, want the queued fire after the first", got)
	}
	if q := h.events(t, history.EventQueued); len(q) != 1 {
		t.Errorf("queued events: %d, want 1", len(q))
	}
}

func TestTheClockJumpingNeverRunsAFireTwice(t *testing.T) {
	f := file(t, `    - name: a
      cron: "*/10 * * * *"
      experiment: EXP
      startingDeadline: 2m
`)
	h := start(t, f, day.Add(-time.Second), nil)
	h.clock.walk(t, day.Add(10*time.Minute+30*time.Second), 5*time.Second) // 10:00 and 10:10
	// NTP sets the clock back 25 minutes, then it runs again to 10:11.
	h.clock.set(t, day.Add(-15*time.Minute))
	h.clock.walk(t, day.Add(11*time.Minute), 5*time.Second)
	if got := strings.Join(h.runs.nominals(), " "); got != "10:00:00 10:10:00" {
		t.Fatalf("after the jump back: ran %s, want 10:00:00 10:10:00 (each once)", got)
	}
	// The clock jumps forward 1h: 10:20 .. 11:10 fell due at once. Only the
	// latest runs (within its deadline), the others are recorded as missed.
	h.clock.set(t, day.Add(70*time.Minute+30*time.Second))
	h.clock.walk(t, day.Add(72*time.Minute), 5*time.Second)
	h.stop()
	if got := strings.Join(h.runs.nominals(), " "); got != "10:00:00 10:10:00 11:10:00" {
		t.Errorf("after the jump forward: ran %s, want 10:00:00 10:10:00 11:10:00", got)
	}
	missed := h.events(t, history.EventSkipped)
	if len(missed) != 1 || missed[0].Reason != string(ReasonMissed) || !strings.Contains(missed[0].Detail, "5 fires missed") {
		t.Errorf("missed: %+v, want one record of 5 fires missed", missed)
	}
}

func TestMissedRunsOnRestart(t *testing.T) {
	cases := map[string]struct {
		policy string
		down   time.Duration // how long after the last fire the scheduler restarts
		want   string        // the fires run after the restart
		reason Reason
	}{
		"run-once within the deadline": {MissedRunOnce, 65 * time.Minute, "11:00:00", ""},
		"run-once past the deadline":   {MissedRunOnce, 80 * time.Minute, "", ReasonMissed},
		"skip":                         {MissedSkip, 65 * time.Minute, "", ReasonMissed},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			f := file(t, fmt.Sprintf(`    - name: a
      cron: "0 * * * *"
      experiment: EXP
      missed: %s
      startingDeadline: 15m
`, c.policy))
			store, err := history.Open(t.TempDir(), history.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			if err := store.Append(history.Event{At: day, Schedule: "a", Nominal: day, Kind: history.EventFinished, Status: "held"}); err != nil {
				t.Fatal(err)
			}
			h := startWith(t, f, day.Add(c.down), store, nil)
			h.stop()
			if got := strings.Join(h.runs.nominals(), " "); got != c.want {
				t.Errorf("ran %q, want %q", got, c.want)
			}
			skipped := h.events(t, history.EventSkipped)
			if c.reason != "" && (len(skipped) == 0 || skipped[len(skipped)-1].Reason != string(c.reason)) {
				t.Errorf("skipped %+v, want reason %s", skipped, c.reason)
			}
		})
	}
}

func TestEveryCheckSkipsWithItsReason(t *testing.T) {
	cases := map[string]struct {
		schedule string
		mod      func(*Config)
		reason   Reason
		detail   string
	}{
		"suspended": {"      suspend: true\n", nil, ReasonSuspended, "schedule a is suspended"},
		"kill switch": {"", func(c *Config) {
			c.KillSwitch = func(context.Context) (bool, string, error) { return true, "file /x", nil }
		}, ReasonKillSwitch, "kill switch engaged (file /x)"},
		"kill switch unreadable": {"", func(c *Config) {
			c.KillSwitch = func(context.Context) (bool, string, error) { return false, "", fmt.Errorf("forbidden") }
		}, ReasonKillSwitch, "kill switch engaged (unreadable: forbidden)"},
		"budget low": {"      budget:\n        minRemaining: 0.25\n", func(c *Config) {
			c.Budget = func(context.Context, *Plan) ([]string, error) {
				return []string{"petclinic-api-availability: 12% left"}, nil
			}
		}, ReasonBudget, "error budget below 25% left: petclinic-api-availability: 12% left"},
		"budget unknown": {"      budget:\n        minRemaining: 0.25\n", func(c *Config) {
			c.Budget = func(context.Context, *Plan) ([]string, error) { return nil, fmt.Errorf("prometheus down") }
		}, ReasonBudget, "error budget unknown: prometheus down"},
		"freeze": {"", nil, ReasonFreeze, "inside freeze year-end"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			f := file(t, "    - name: a\n      cron: \"* * * * *\"\n      experiment: EXP\n"+c.schedule)
			if name == "freeze" {
				f.Plans[0].windows = append(f.Plans[0].windows, window{name: "year-end", kind: "freeze", from: day, until: day.Add(time.Hour)})
			}
			h := start(t, f, day, c.mod)
			h.clock.walk(t, day.Add(time.Minute), 5*time.Second)
			h.stop()
			if got := h.runs.nominals(); len(got) != 0 {
				t.Errorf("ran %v", got)
			}
			skipped := h.events(t, history.EventSkipped)
			if len(skipped) != 1 || skipped[0].Reason != string(c.reason) || skipped[0].Detail != c.detail {
				t.Errorf("skipped %+v\nwant reason %s, detail %q", skipped, c.reason, c.detail)
			}
		})
	}
}

func TestDailyCap(t *testing.T) {
	f := file(t, `    - name: a
      cron: "*/20 * * * *"
      experiment: EXP
      dailyCap: 2
      timeZone: Europe/Paris
`)
	// 22:30 UTC is 23:30 in Paris: the day turns at 23:00 UTC.
	at := time.Date(2026, 12, 1, 22, 10, 0, 0, time.UTC)
	h := start(t, f, at, nil)
	h.clock.walk(t, at.Add(70*time.Minute), 5*time.Second)
	h.stop()
	if got := strings.Join(h.runs.nominals(), " "); got != "22:20:00 22:40:00 23:00:00 23:20:00" {
		t.Errorf("ran %s", got)
	}
	if got := nominals(h.events(t, history.EventSkipped)); len(got) != 0 {
		t.Errorf("skipped %v", got)
	}
	h2 := start(t, f, at.Add(-40*time.Minute), nil)
	h2.clock.walk(t, at.Add(20*time.Minute), 5*time.Second)
	h2.stop()
	if got := nominals(h2.events(t, history.EventSkipped)); !slices.Equal(got, []string{"22:20:00 daily-cap"}) {
		t.Errorf("skipped %v, want the third fire of the day", got)
	}
}

func TestAnUnwritableHistoryNeverStopsARun(t *testing.T) {
	f := file(t, "    - name: a\n      cron: \"* * * * *\"\n      experiment: EXP\n")
	root := t.TempDir()
	store, err := history.Open(root, history.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	// The ledger's place is taken by a directory: every append fails.
	if err := os.MkdirAll(store.LedgerPath(), 0o755); err != nil {
		t.Fatal(err)
	}
	h := startWith(t, f, day, store, nil)
	// One fire at a time, each run recorded before the clock moves on (a
	// walk through both fires at once could overtake the first run).
	for i, at := range []time.Duration{time.Minute, 2 * time.Minute} {
		h.clock.walk(t, day.Add(at+5*time.Second), 5*time.Second)
		for deadline := time.Now().Add(10 * time.Second); len(h.runs.nominals()) <= i && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		h.idle(t)
	}
	h.stop()
	if got := strings.Join(h.runs.nominals(), " "); got != "10:01:00 10:02:00" {
		t.Errorf("ran %s", got)
	}
	if v := testutil.ToFloat64(h.metrics.HistoryErrors.WithLabelValues("ledger")); v < 4 {
		t.Errorf("gameday_history_errors_total{store=ledger}: %v, want >= 4 (started and finished, twice)", v)
	}
}

func TestStopAbortsTheRunInProgress(t *testing.T) {
	f := file(t, "    - name: a\n      cron: \"* * * * *\"\n      experiment: EXP\n")
	h := start(t, f, day, nil)
	h.runs.block = make(chan struct{})
	h.clock.walk(t, day.Add(65*time.Second), 5*time.Second)
	h.stop()
	fin := h.events(t, history.EventFinished)
	if len(fin) != 1 || fin[0].Status != "aborted" {
		t.Errorf("finished: %+v, want one aborted", fin)
	}
}

func testLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, nil))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

func TestEveryTwoSecondsFiresThreeTimes(t *testing.T) {
	if testing.Short() {
		t.Skip("about 6 s of the real clock")
	}
	f := file(t, "    - name: a\n      cron: \"*/2 * * * * *\"\n      experiment: EXP\n")
	store, err := history.Open(t.TempDir(), history.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	// Run until the third fire has run, or 12 s (twice the 6 s the three
	// fires need): a process stalled on busy cores fires late, never less.
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Second)
	defer cancel()
	r := &runs{}
	third := func(ctx context.Context, req Request) Outcome {
		o := r.run(ctx, req)
		if len(r.nominals()) == 3 {
			cancel()
		}
		return o
	}
	s, err := New(Config{File: f, Run: third, History: store, Log: testLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	// Start 0.1 s after an even second: fires at +1.9, +3.9 and +5.9 s.
	now := time.Now()
	next := now.Truncate(2 * time.Second).Add(2*time.Second + 100*time.Millisecond)
	time.Sleep(next.Sub(now))
	if err := s.Run(ctx); err != nil {
		t.Fatal(err)
	}
	got := r.nominals()
	if len(got) != 3 {
		t.Fatalf("fired %d times in 12 s (%v), want 3", len(got), got)
	}
	for i := 1; i < len(r.fires); i++ {
		if d := r.fires[i].Nominal.Sub(r.fires[i-1].Nominal); d != 2*time.Second {
			t.Errorf("fire %d came %s after the one before, want 2s", i, d)
		}
	}
	for i, f := range r.fires {
		if late := f.Start.Sub(f.Nominal); late != 0 {
			t.Errorf("fire %d starts %s after its nominal time without jitter", i, late)
		}
	}
}

func TestJitterIsStableAndBounded(t *testing.T) {
	f := file(t, "    - name: a\n      cron: \"0 3 * * *\"\n      experiment: EXP\n      jitter: 10m\n")
	p := f.Plans[0]
	seen := map[time.Duration]bool{}
	for d := range 50 {
		nominal := day.Add(time.Duration(d) * 24 * time.Hour)
		j := p.Jitter(nominal)
		if j < 0 || j >= 10*time.Minute {
			t.Fatalf("jitter %s out of [0, 10m)", j)
		}
		if j != p.Jitter(nominal) {
			t.Fatal("jitter differs for one fire")
		}
		seen[j] = true
	}
	if len(seen) < 40 {
		t.Errorf("50 fires got %d distinct jitters: not spread", len(seen))
	}
}

func TestWindows(t *testing.T) {
	f := file(t, `    - name: a
      cron: "0 * * * *"
      experiment: EXP
      timeZone: Europe/Paris
      blackouts:
        - name: business-hours
          cron: "0 9 * * 1-5"
          duration: 8h
`)
	w := f.Plans[0].windows[0]
	paris, _ := time.LoadLocation("Europe/Paris")
	cases := map[string]struct {
		at   time.Time
		want bool
	}{
		"Tuesday 08:59 Paris": {time.Date(2026, 12, 1, 8, 59, 0, 0, paris), false},
		"Tuesday 09:00 Paris": {time.Date(2026, 12, 1, 9, 0, 0, 0, paris), true},
		"Tuesday 16:59 Paris": {time.Date(2026, 12, 1, 16, 59, 59, 0, paris), true},
		"Tuesday 17:00 Paris": {time.Date(2026, 12, 1, 17, 0, 0, 0, paris), false},
		"Saturday 10:00":      {time.Date(2026, 12, 5, 10, 0, 0, 0, paris), false},
		"Tuesday 09:30 UTC":   {time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC), true},
		"Tuesday 16:30 UTC":   {time.Date(2026, 12, 1, 16, 30, 0, 0, time.UTC), false},
	}
	for name, c := range cases {
		if got := w.covers(c.at); got != c.want {
			t.Errorf("%s: covered %v, want %v", name, got, c.want)
		}
	}
	if got := f.Plans[0].Interval(day); got != time.Hour {
		t.Errorf("interval of an hourly schedule: %s", got)
	}
}

// What a crashed run left behind is removed before the first fire; while
// it cannot be, each fire is refused and recorded, and retries it.
func TestLeftoverChaosIsRecoveredBeforeAnyFire(t *testing.T) {
	f := file(t, `    - name: a
      cron: "* * * * *"
      experiment: EXP
`)
	var mu sync.Mutex
	var calls []string // "recover ok|failed" and "run HH:MM:SS", in order
	failures := 2
	var h *harness
	h = start(t, f, day.Add(-time.Second), func(c *Config) {
		run := c.Run
		c.Run = func(ctx context.Context, r Request) Outcome {
			mu.Lock()
			calls = append(calls, "run "+r.Fire.Nominal.UTC().Format("15:04:05"))
			mu.Unlock()
			return run(ctx, r)
		}
		c.Recover = func(context.Context) error {
			mu.Lock()
			defer mu.Unlock()
			if failures > 0 {
				failures--
				calls = append(calls, "recover failed")
				return fmt.Errorf("delete PodChaos/petclinic/x: forbidden")
			}
			calls = append(calls, "recover ok")
			return nil
		}
	})
	h.clock.walk(t, day.Add(90*time.Second), 5*time.Second)
	h.idle(t)
	h.stop()
	mu.Lock()
	got := strings.Join(calls, ", ")
	mu.Unlock()
	// On start: failed; at 10:00 retried, failed again, fire refused; at
	// 10:01 retried, ok, the fire runs.
	if want := "recover failed, recover failed, recover ok, run 10:01:00"; got != want {
		t.Errorf("calls: %s\nwant:  %s", got, want)
	}
	skipped := h.events(t, history.EventSkipped)
	if got := nominals(skipped); !slices.Equal(got, []string{"10:00:00 leftover-chaos"}) {
		t.Fatalf("skipped %v", got)
	}
	if d := skipped[0].Detail; !strings.Contains(d, "could not be removed: delete PodChaos/petclinic/x: forbidden") {
		t.Errorf("detail %q", d)
	}
	if v := testutil.ToFloat64(h.metrics.Skipped.WithLabelValues("a", "leftover-chaos")); v != 1 {
		t.Errorf("skipped{reason=leftover-chaos} = %v, want 1", v)
	}
}
