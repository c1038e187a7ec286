package runner

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/engine"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// A step of the fault timeline: a fault to inject, or to recover, at an
// offset from the start of the load.
type step struct {
	at      time.Duration
	fault   spec.Fault
	recover bool
}

// steps are the faults' injections and recoveries in time order; at the
// same instant a recovery comes before an injection.
func steps(faults []spec.Fault) []step {
	var out []step
	for _, f := range faults {
		out = append(out, step{at: f.StartAfter.D(), fault: f}, step{at: f.End().D(), fault: f, recover: true})
	}
	slices.SortStableFunc(out, func(a, b step) int {
		if c := cmp.Compare(a.at, b.at); c != 0 {
			return c
		}
		switch {
		case a.recover == b.recover:
			return 0
		case a.recover:
			return -1
		}
		return 1
	})
	return out
}

// A faultEvent is one step the timeline took.
type faultEvent struct {
	fault string
	// in is the injection that landed, or ended (ended: recovered or
	// aborted, Recovered set when it could be).
	in    *engine.Injection
	ended bool
	// err: the injection failed (in is nil), or its ending did.
	err error
}

// A timeline injects each fault at its offset from start and recovers it
// at its end through the run's session, one step at a time, in a goroutine
// of its own, so that the run loop keeps hearing signals, watches and stop
// conditions while an engine waits (Chaos Mesh's confirmation may take up
// to the engine's inject timeout). It reports every step on events, and
// closes events once it has ended: after its last step, or once told to
// end (the load is over: the injection in flight lands, then what is
// active is recovered) or to abort (the injection in flight is cancelled,
// what is active is aborted at once). An injection that lands after the
// timeline was told to stop is reported, then ended.
type timeline struct {
	session engine.Session
	runID   string
	start   time.Time
	steps   []step
	events  chan faultEvent

	// injectCtx ends with an abort, or the run's context (a signal); not
	// with the load.
	injectCtx      context.Context
	cancelInject   context.CancelFunc
	ended, aborted chan struct{}
	endOnce        sync.Once
	abortOnce      sync.Once

	active []*engine.Injection // the timeline goroutine's own
}

// startTimeline starts the timeline of faults from start.
func startTimeline(ctx context.Context, s engine.Session, runID string, start time.Time, faults []spec.Fault) *timeline {
	t := &timeline{session: s, runID: runID, start: start, steps: steps(faults),
		events: make(chan faultEvent, 2*len(faults)+1), ended: make(chan struct{}), aborted: make(chan struct{})}
	t.injectCtx, t.cancelInject = context.WithCancel(ctx)
	go t.run()
	return t
}

// end stops the timeline: no more step; what is active is recovered.
func (t *timeline) end() { t.endOnce.Do(func() { close(t.ended) }) }

// abort stops the timeline now: the injection in flight is cancelled and
// what is active is aborted.
func (t *timeline) abort() {
	t.abortOnce.Do(func() {
		close(t.aborted)
		t.cancelInject()
	})
}

func (t *timeline) run() {
	defer close(t.events)
	defer t.cancelInject()
	for _, s := range t.steps {
		if !t.wait(s.at) {
			break
		}
		if s.recover {
			t.recoverFault(s.fault.Name)
			continue
		}
		if !t.inject(s.fault) {
			// The run decides: an abort, or the load's end.
			select {
			case <-t.ended:
			case <-t.aborted:
			}
			break
		}
	}
	t.endAll()
}

// stopped reports whether the timeline was told to end or abort.
func (t *timeline) stopped() bool {
	select {
	case <-t.ended:
		return true
	case <-t.aborted:
		return true
	default:
		return false
	}
}

// wait waits until the step at offset at is due; false when the timeline
// was told to stop first.
func (t *timeline) wait(at time.Duration) bool {
	if t.stopped() {
		return false
	}
	timer := time.NewTimer(time.Until(t.start.Add(at)))
	defer timer.Stop()
	select {
	case <-timer.C:
		return !t.stopped()
	case <-t.ended:
	case <-t.aborted:
	}
	return false
}

// inject injects f and reports it; false when it failed. An abort while
// the engine waits for the injection aborts what is active at once,
// without waiting for the engine to give the injection up.
func (t *timeline) inject(f spec.Fault) bool {
	type result struct {
		in  *engine.Injection
		err error
	}
	done := make(chan result, 1)
	go func() {
		in, err := t.session.Inject(t.injectCtx, f)
		done <- result{in, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-t.aborted:
		t.endAll()
		r = <-done
	}
	in, err := r.in, r.err
	if err != nil {
		t.events <- faultEvent{fault: f.Name, err: fmt.Errorf("inject fault %s: %w", f.Name, err)}
		return false
	}
	if in.Injected.IsZero() {
		in.Injected = time.Now()
	}
	t.active = append(t.active, in)
	t.events <- faultEvent{fault: f.Name, in: in}
	return true
}

// recoverFault ends the active injection of the fault named name at its
// planned end.
func (t *timeline) recoverFault(name string) {
	for i, in := range t.active {
		if in.Fault == name {
			t.active = slices.Delete(t.active, i, i+1)
			t.endOne(in)
			return
		}
	}
}

// endAll ends every active injection, the last injected first: aborted
// when the timeline was told to abort, recovered otherwise.
func (t *timeline) endAll() {
	for len(t.active) > 0 {
		in := t.active[len(t.active)-1]
		t.active = t.active[:len(t.active)-1]
		t.endOne(in)
	}
}

// endOne recovers (or, once aborted, aborts) one injection, with a context
// of its own: the run's may be cancelled.
func (t *timeline) endOne(in *engine.Injection) {
	ctx, cancel := context.WithTimeout(context.Background(), RecoverTimeout)
	defer cancel()
	end := t.session.Recover
	select {
	case <-t.aborted:
		end = t.session.Abort
	default:
	}
	ev := faultEvent{fault: in.Fault, in: in, ended: true}
	if err := end(ctx, in); err != nil {
		ev.err = fmt.Errorf("recover fault %s: %w (run gameday cleanup --run-id %s)", in.Fault, err, t.runID)
	} else if in.Recovered.IsZero() {
		in.Recovered = time.Now()
	}
	t.events <- ev
}
