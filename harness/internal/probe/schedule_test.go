package probe

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

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
	got := collect(Run(t.Context(), schedules, w))
	tests := map[string]struct {
		window Window
		want   int
	}{
		"before":     {w.Before, 3},
		"during":     {w.During, 3},
		"after":      {w.After, 2},
		"continuous": {Window{w.Before.Start, w.After.End}, 9},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			samples := got[name]
			if len(samples) != tc.want {
				t.Errorf("%d samples, want %d", len(samples), tc.want)
			}
			for i, s := range samples {
				if !tc.window.Contains(s.At) || !s.OK {
					t.Errorf("sample %d at %s outside [%s, %s) or not ok: %+v", i, s.At.Format("15:04:05.000"), tc.window.Start.Format("15:04:05.000"), tc.window.End.Format("15:04:05.000"), s)
				}
				if i > 0 && s.At.Sub(samples[i-1].At) != schedules[0].Interval && name != "after" {
					t.Errorf("samples %d and %d are %s apart", i-1, i, s.At.Sub(samples[i-1].At))
				}
			}
		})
	}
	if late := time.Since(w.After.End); late > 300*time.Millisecond {
		t.Errorf("Run closed its channel %s after the last window ended", late)
	}
}

func TestRunEndsWhenTheContextEnds(t *testing.T) {
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
		if n := len(got["fast"]); n < 3 {
			t.Errorf("%d samples of the fast probe before the cancel, want several", n)
		}
		if slow.checks.Load() != 1 {
			t.Errorf("the slow probe ran %d checks, want 1 (interrupted)", slow.checks.Load())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not close its channel after its context ended")
	}
}

func TestRunBoundsEachCheckByItsInterval(t *testing.T) {
	start := time.Now()
	w := Windows{Before: Window{start, start.Add(250 * time.Millisecond)}}
	slow := &constant{name: "slow", delay: time.Second}
	got := collect(Run(t.Context(), []Schedule{{Probe: slow, Mode: spec.ModeBefore, Interval: 100 * time.Millisecond}}, w))
	// each check is cut at 100 ms, so the ticks at 0, 100 and 200 ms all run
	if n := len(got["slow"]); n != 3 {
		t.Errorf("%d samples, want 3", n)
	}
	for _, s := range got["slow"] {
		if s.Status != StatusError || !strings.Contains(s.Err.Error(), "deadline exceeded") {
			t.Errorf("sample %+v, want an error: the check outlived its interval", s)
		}
	}
	if took := time.Since(start); took > 600*time.Millisecond {
		t.Errorf("Run took %s for a 250 ms window", took)
	}
}

func TestRunSkipsTicksThatAreAlreadyPast(t *testing.T) {
	now := time.Now()
	w := Windows{During: Window{now.Add(-time.Second), now.Add(150 * time.Millisecond)}}
	p := &constant{name: "late"}
	got := collect(Run(t.Context(), []Schedule{{Probe: p, Mode: spec.ModeDuring, Interval: 100 * time.Millisecond}}, w))
	// ticks at -1 s … -200 ms are skipped; -100 ms ≤ tick < interval late runs at once, then +0 ms and +100 ms
	if n := len(got["late"]); n < 2 || n > 3 {
		t.Errorf("%d samples, want 2 or 3 (no burst of the missed ticks)", n)
	}
}

func TestRunReportsAnUnknownMode(t *testing.T) {
	got := collect(Run(t.Context(), []Schedule{{Probe: &constant{name: "x"}, Mode: "sometimes"}}, phases(time.Now(), time.Second)))
	s := got["x"]
	if len(s) != 1 || s[0].Status != StatusError || !strings.Contains(s[0].Err.Error(), `unknown mode "sometimes"`) {
		t.Errorf("samples = %+v, want one error naming the mode", s)
	}
}
