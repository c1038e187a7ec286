package probe

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// A Window is a span of time [Start, End).
type Window struct{ Start, End time.Time }

// Contains reports whether t is in the window.
func (w Window) Contains(t time.Time) bool { return !t.Before(w.Start) && t.Before(w.End) }

// Windows are the phases of a run, one after the other.
type Windows struct {
	Before Window // steady state checked before any fault
	During Window // from the first fault's injection to the last's recovery
	After  Window // recovery observed after the faults
}

// For is the window of a mode (spec.ProbeMode: when a probe runs, as in
// the Chaos Toolkit's steady-state hypothesis); continuous spans all three
// phases.
func (w Windows) For(m spec.ProbeMode) (Window, error) {
	switch m {
	case spec.ModeBefore:
		return w.Before, nil
	case spec.ModeDuring:
		return w.During, nil
	case spec.ModeAfter:
		return w.After, nil
	case spec.ModeContinuous:
		return Window{Start: w.Before.Start, End: w.After.End}, nil
	}
	return Window{}, fmt.Errorf("probe: unknown mode %q (want before, during, after or continuous)", m)
}

// A Schedule runs one probe every Interval within its mode's window.
type Schedule struct {
	Probe    Probe
	Mode     spec.ProbeMode
	Interval time.Duration // default DefaultInterval
}

// DefaultInterval is the interval of a schedule that sets none.
const DefaultInterval = 5 * time.Second

// Run checks every scheduled probe at the start of its window and then
// every interval until the window ends, each check bounded by the
// interval, and sends the samples on the returned channel. The channel is
// closed once every window has ended (plus at most one interval for the
// last check) or ctx is done: Run never outlives its windows. A check that
// overruns its interval skips the ticks it missed. A schedule with an
// unknown mode sends one error sample.
func Run(ctx context.Context, schedules []Schedule, w Windows) <-chan Sample {
	out := make(chan Sample, 4*len(schedules)+1)
	var wg sync.WaitGroup
	for _, s := range schedules {
		wg.Go(func() { runOne(ctx, s, w, out) })
	}
	go func() {
		wg.Wait()
		close(out)
	}()
	return out
}

func runOne(ctx context.Context, s Schedule, w Windows, out chan<- Sample) {
	send := func(smp Sample) bool {
		select {
		case out <- smp:
			return true
		case <-ctx.Done():
			return false
		}
	}
	win, err := w.For(s.Mode)
	if err != nil {
		send(failed(s.Probe.Name(), time.Now(), StatusError, err))
		return
	}
	interval := s.Interval
	if interval <= 0 {
		interval = DefaultInterval
	}
	for at := win.Start; at.Before(win.End); at = at.Add(interval) {
		if !sleepUntil(ctx, at) {
			return
		}
		if late := time.Since(at); late >= interval { // an overrun: skip missed ticks
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, interval)
		smp := s.Probe.Check(cctx, at)
		cancel()
		if ctx.Err() != nil || !send(smp) {
			return
		}
	}
}

// sleepUntil waits until t, and reports false if ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}
