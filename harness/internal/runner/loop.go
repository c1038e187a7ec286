package runner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/engine"
	"github.com/gamedayhq/gameday/harness/internal/load"
	"github.com/gamedayhq/gameday/harness/internal/probe"
	"github.com/gamedayhq/gameday/harness/internal/verdict"
)

// A phase of the run loop.
type phase int

const (
	// running: the load, the probes and the fault timeline go.
	running phase = iota
	// ending: the load is over; the probes stop, the timeline recovers
	// what is active, the loop waits for both.
	ending
	// aborting: a stop condition, a watch, a signal or a failed injection
	// stopped the run; the timeline aborts what is active, the loop waits
	// for the load, the probes and the timeline to end.
	aborting
)

// loop is the run in progress. Its sources report on channels, one method
// per event: a sample, a step of the fault timeline, a watch, the load's
// end, a tick, a signal. It ends once the load, the probes and the fault
// timeline have all ended (their channels nil).
type loop struct {
	*run
	phase phase
	// ctx is the run's (a signal cancels it); runCtx, cancelled by cancel,
	// is the load's, the probes' and the watches'.
	ctx, runCtx context.Context
	cancel      context.CancelFunc
	tl          *load.Timeline
	faults      *timeline

	signal      <-chan struct{} // nil once heard
	loadDone    <-chan error
	probes      <-chan probe.Sample
	faultEvents <-chan faultEvent
	watches     <-chan *verdict.Stop
	tick        *time.Ticker

	lastObserve, lastProgress time.Time
}

func (l *loop) runToEnd() {
	defer l.cancel()
	defer l.tick.Stop()
	for l.loadDone != nil || l.probes != nil || l.faultEvents != nil {
		// A signal first: it also ends the load, the probes and the fault
		// timeline, and a select that took those first could end the loop
		// without it (an interrupted run concluded "failed", not "aborted").
		select {
		case <-l.signal:
			l.onSignal()
			continue
		default:
		}
		select {
		case <-l.signal:
			l.onSignal()
		case err := <-l.loadDone:
			l.onLoadDone(err)
		case s, ok := <-l.probes:
			l.onSample(s, ok)
		case ev, ok := <-l.faultEvents:
			l.onFault(ev, ok)
		case s := <-l.watches:
			l.abort(s)
		case now := <-l.tick.C:
			l.onTick(now)
		}
	}
}

// onSignal aborts the run: SIGINT or SIGTERM (a second one kills gameday:
// cmd/gameday).
func (l *loop) onSignal() {
	l.signal = nil
	l.abort(&verdict.Stop{Kind: verdict.StopSignal, At: time.Now(), Reason: "interrupted: " + context.Cause(l.ctx).Error()})
}

// onLoadDone ends the run: the load is the run, so the probes stop and the
// timeline recovers what is active.
func (l *loop) onLoadDone(err error) {
	l.loadDone = nil
	if err != nil && !errors.Is(err, load.ErrAborted) {
		l.errors = append(l.errors, "load: "+err.Error())
	}
	l.cancel()
	l.faults.end()
	if l.phase == running {
		l.phase = ending
	}
}

// onSample records a probe's sample; its Nth breach in a row trips its
// stop condition.
func (l *loop) onSample(s probe.Sample, ok bool) {
	if !ok {
		l.probes = nil
		return
	}
	l.samples = append(l.samples, s)
	l.lastSample[s.Probe] = s
	if st := l.checkProbeStop(s); st != nil {
		l.abort(st)
	}
}

// onFault records a step of the fault timeline. A failed injection stops
// the run as an error (inconclusive), or as the signal that cancelled it;
// once aborting, it is what the abort cancelled.
func (l *loop) onFault(ev faultEvent, ok bool) {
	switch {
	case !ok:
		l.faultEvents = nil
	case ev.ended:
		l.active = slices.DeleteFunc(l.active, func(in *engine.Injection) bool { return in == ev.in })
		if ev.err != nil {
			l.errors = append(l.errors, ev.err.Error())
		}
	case ev.err == nil:
		l.injections = append(l.injections, ev.in)
		l.active = append(l.active, ev.in)
	case l.phase == aborting:
	case l.ctx.Err() != nil: // a signal came while the engine waited: aborted, not inconclusive
		l.onSignal()
	default:
		l.abort(&verdict.Stop{Kind: verdict.StopError, At: time.Now(), Reason: ev.err.Error()})
	}
}

// onTick observes the target every ObserveEvery, checks the error-ratio
// stop conditions and updates the progress every ProgressEvery.
func (l *loop) onTick(now time.Time) {
	if now.Sub(l.lastObserve) >= l.c.ObserveEvery {
		l.lastObserve = now
		l.observe(l.runCtx)
	}
	if l.phase != aborting {
		if st := l.checkErrorRatio(l.tl, now); st != nil {
			l.abort(st)
		}
	}
	if now.Sub(l.lastProgress) >= l.c.ProgressEvery {
		l.lastProgress = now
		l.progress.update(l.status(l.tl, l.phaseName(now)))
	}
}

// abort stops the run for s: the load and the probes are cancelled, the
// timeline aborts every active fault at once. Only the first stop counts.
func (l *loop) abort(s *verdict.Stop) {
	if l.phase == aborting {
		return
	}
	l.phase = aborting
	l.stop = s
	l.cancel()
	l.faults.abort()
}

// checkProbeStop trips a probe stop condition on its Nth consecutive
// breach.
func (r *run) checkProbeStop(s probe.Sample) *verdict.Stop {
	if s.Status == probe.StatusBreached {
		r.breaches[s.Probe]++
	} else if s.Status == probe.StatusOK {
		r.breaches[s.Probe] = 0
	}
	for _, sr := range r.stops {
		if sr.probe == "" || sr.probe != s.Probe {
			continue
		}
		if r.breaches[s.Probe] >= sr.breaches {
			return &verdict.Stop{Kind: verdict.StopCondition, Condition: sr.name, At: time.Now(),
				Reason: fmt.Sprintf("stop condition %s: probe %s breached %d times in a row (last: %v)", sr.name, sr.probe, sr.breaches, s.Err)}
		}
	}
	return nil
}

// checkErrorRatio trips an error-ratio stop condition: the client error
// ratio over its trailing window above its cap.
func (r *run) checkErrorRatio(tl *load.Timeline, now time.Time) *verdict.Stop {
	for _, sr := range r.stops {
		if sr.errorRatioAbove == nil {
			continue
		}
		ratio, n := tl.ErrorRatio(sr.window)
		if n >= MinStopRequests && ratio > *sr.errorRatioAbove {
			return &verdict.Stop{Kind: verdict.StopCondition, Condition: sr.name, At: now,
				Reason: fmt.Sprintf("stop condition %s: client error ratio %.3f over %s (%d requests) is above %g", sr.name, ratio, sr.window, n, *sr.errorRatioAbove)}
		}
	}
	return nil
}

// phaseName is the window of the hypothesis at now, for the progress.
func (r *run) phaseName(now time.Time) string {
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
