package probe

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/schedtest"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// constant is a probe that measures a fixed value, optionally slowly.
type constant struct {
	name   string
	value  float64
	delay  time.Duration
	checks atomic.Int32
}

func (c *constant) Name() string { return c.name }

func (c *constant) Check(ctx context.Context, at time.Time) Sample {
	c.checks.Add(1)
	if c.delay > 0 {
		select {
		case <-time.After(c.delay):
		case <-ctx.Done():
			return failed(c.name, at, StatusError, ctx.Err())
		}
	}
	return Judge(c.name, at, ge(0), c.value)
}

func phases(start time.Time, each time.Duration) Windows {
	return Windows{
		Before: Window{start, start.Add(each)},
		During: Window{start.Add(each), start.Add(2 * each)},
		After:  Window{start.Add(2 * each), start.Add(3 * each)},
	}
}

func collect(ch <-chan Sample) map[string][]Sample {
	got := map[string][]Sample{}
	for s := range ch {
		got[s.Probe] = append(got[s.Probe], s)
	}
	return got
}

func TestRunChecksEachProbeWithinItsWindow(t *testing.T) {
	w := phases(time.Now().Add(50*time.Millisecond), 300*time.Millisecond)
	schedules := []Schedule{
		{Probe: &constant{name: "before"}, Mode: spec.ModeBefore, Interval: 100 * time.Millisecond},
		{Probe: &constant{name: "during"}, Mode: spec.ModeDuring, Interval: 100 * time.Millisecond},
		{Probe: &constant{name: "after"}, Mode: spec.ModeAfter, Interval: 150 * time.Millisecond},
		{Probe: &constant{name: "continuous"}, Mode: spec.ModeContinuous, Interval: 100 * time.Millisecond},
	}
	sched := schedtest.Watch(t)
	got := collect(Run(t.Context(), schedules, w))
	closed := time.Since(w.After.End)
	late := sched.Stop()
	t.Logf("scheduler: %s", late)
	tests := map[string]struct {
		window   Window
		interval time.Duration
		want     int
	}{
		"before":     {w.Before, 100 * time.Millisecond, 3},
		"during":     {w.During, 100 * time.Millisecond, 3},
		"after":      {w.After, 150 * time.Millisecond, 2},
		"continuous": {Window{w.Before.Start, w.After.End}, 100 * time.Millisecond, 9},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			onTime(t, got[name], tc.window, tc.interval, tc.want, late)
			for i, s := range got[name] {
				if !s.OK {
					t.Errorf("sample %d not ok: %+v", i, s)
				}
			}
		})
	}
	if closed > 300*time.Millisecond+2*late.Worst {
		t.Errorf("Run closed its channel %s after the last window ended, want within 300ms + twice the worst wake-up (%s)", closed, late.Worst)
	}
}

// onTime checks the samples of a probe run every interval over window:
// inside the window, on the grid of ticks from its start, in order. A tick
// without a sample is a failure unless the process did not run for half an
// interval around it (a tick the scheduler delayed by an interval is
// skipped by design): on an idle machine all want ticks must be there.
func onTime(t *testing.T, samples []Sample, window Window, interval time.Duration, want int, late schedtest.Lateness) {
	t.Helper()
	if len(samples) > want {
		t.Errorf("%d samples, want %d", len(samples), want)
	}
	seen := map[time.Time]bool{}
	for i, s := range samples {
		if !window.Contains(s.At) || s.At.Sub(window.Start)%interval != 0 {
			t.Errorf("sample %d at %s outside [%s, %s) or off the %s grid: %+v", i, s.At.Format("15:04:05.000"), window.Start.Format("15:04:05.000"), window.End.Format("15:04:05.000"), interval, s)
		}
		if i > 0 && !s.At.After(samples[i-1].At) {
			t.Errorf("sample %d at %s is not after sample %d", i, s.At.Format("15:04:05.000"), i-1)
		}
		seen[s.At] = true
	}
	for k := range want {
		tick := window.Start.Add(time.Duration(k) * interval)
		if seen[tick] {
			continue
		}
		if late.Covers(tick.Add(-interval), tick.Add(interval), interval/2) {
			t.Logf("tick %d at %s skipped: the process stalled then (%s)", k, tick.Format("15:04:05.000"), late)
			continue
		}
		t.Errorf("tick %d at %s has no sample (%d of %d ticks; %s)", k, tick.Format("15:04:05.000"), len(samples), want, late)
	}
}

func TestRunEndsWhenTheContextEnds(t *testing.T) {
	sched := schedtest.Watch(t)
	w := phases(time.Now(), time.Hour)
	ctx, cancel := context.WithCancel(t.Context())
	slow := &constant{name: "slow", delay: time.Hour}
	ch := Run(ctx, []Schedule{
		{Probe: &constant{name: "fast"}, Mode: spec.ModeContinuous, Interval: 10 * time.Millisecond},
		{Probe: slow, Mode: spec.ModeBefore, Interval: time.Hour},
	}, w)
	time.AfterFunc(100*time.Millisecond, cancel)
	done := make(chan map[string][]Sample)
	go func() { done <- collect(ch) }()
	select {
	case got := <-done:
		// 10 ticks in the 100 ms; a stall of the process skips some
		if n, late := len(got["fast"]), sched.Stop(); n < 3 && late.Worst < 50*time.Millisecond {
			t.Errorf("%d samples of the fast probe before the cancel, want several (scheduler: %s)", n, late)
		}
		if slow.checks.Load() != 1 {
			t.Errorf("the slow probe ran %d checks, want 1 (interrupted)", slow.checks.Load())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not close its channel after its context ended")
	}
}

func TestRunBoundsEachCheckByItsInterval(t *testing.T) {
	sched := schedtest.Watch(t)
	start := time.Now()
	w := Windows{Before: Window{start, start.Add(250 * time.Millisecond)}}
	slow := &constant{name: "slow", delay: time.Second}
	got := collect(Run(t.Context(), []Schedule{{Probe: slow, Mode: spec.ModeBefore, Interval: 100 * time.Millisecond}}, w))
	took := time.Since(start)
	late := sched.Stop()
	t.Logf("Run took %s for a 250 ms window; scheduler: %s", took.Round(time.Millisecond), late)
	// each check is cut at 100 ms, so the ticks at 0, 100 and 200 ms all run
	onTime(t, got["slow"], w.Before, 100*time.Millisecond, 3, late)
	for _, s := range got["slow"] {
		if s.Status != StatusError || !strings.Contains(s.Err.Error(), "deadline exceeded") {
			t.Errorf("sample %+v, want an error: the check outlived its interval", s)
		}
	}
	if took > 600*time.Millisecond+2*late.Worst {
		t.Errorf("Run took %s for a 250 ms window, want under 600ms + twice the worst wake-up (%s)", took, late.Worst)
	}
}

func TestRunSkipsTicksThatAreAlreadyPast(t *testing.T) {
	sched := schedtest.Watch(t)
	now := time.Now()
	w := Windows{During: Window{now.Add(-time.Second), now.Add(150 * time.Millisecond)}}
	p := &constant{name: "late"}
	got := collect(Run(t.Context(), []Schedule{{Probe: p, Mode: spec.ModeDuring, Interval: 100 * time.Millisecond}}, w))
	late := sched.Stop()
	// ticks at -1 s … -200 ms are skipped; -100 ms ≤ tick < interval late runs at once, then +0 ms and +100 ms
	var past, future []Sample
	for _, s := range got["late"] {
		if s.At.Before(now) {
			past = append(past, s)
		} else {
			future = append(future, s)
		}
	}
	if len(past) > 1 || len(past) == 1 && !past[0].At.Equal(now.Add(-100*time.Millisecond)) {
		t.Errorf("samples of past ticks %+v, want at most the one at -100ms (no burst of the missed ticks)", past)
	}
	onTime(t, future, Window{now, w.During.End}, 100*time.Millisecond, 2, late)
}

func TestRunReportsAnUnknownMode(t *testing.T) {
	got := collect(Run(t.Context(), []Schedule{{Probe: &constant{name: "x"}, Mode: "sometimes"}}, phases(time.Now(), time.Second)))
	s := got["x"]
	if len(s) != 1 || s[0].Status != StatusError || !strings.Contains(s[0].Err.Error(), `unknown mode "sometimes"`) {
		t.Errorf("samples = %+v, want one error naming the mode", s)
	}
}
