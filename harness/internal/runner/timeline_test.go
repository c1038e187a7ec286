package runner

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/engine"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// recordingSession is an engine session that records what it is asked, in
// order. Inject of the fault named in blocks records that it waits, waits
// for its context (or for land) and then fails; when landsLate it lands
// once land is closed, whatever its context.
type recordingSession struct {
	blocks    string
	landsLate bool
	land      chan struct{}
	failOn    string

	mu    sync.Mutex
	calls []string
}

func (s *recordingSession) record(c string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c)
}

func (s *recordingSession) log() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

func (s *recordingSession) Inject(ctx context.Context, f spec.Fault) (*engine.Injection, error) {
	if f.Name == s.blocks {
		s.record("waiting " + f.Name)
		select {
		case <-ctx.Done():
		case <-s.land:
		}
		if s.landsLate {
			<-s.land
		} else if ctx.Err() != nil {
			s.record("inject " + f.Name + " cancelled")
			return nil, context.Cause(ctx)
		}
	}
	if f.Name == s.failOn {
		s.record("inject " + f.Name + " failed")
		return nil, errors.New("control API: connection refused")
	}
	s.record("inject " + f.Name)
	return &engine.Injection{Fault: f.Name, Ref: f.Name}, nil
}

func (s *recordingSession) Recover(_ context.Context, in *engine.Injection) error {
	s.record("recover " + in.Fault)
	return nil
}

func (s *recordingSession) Abort(_ context.Context, in *engine.Injection) error {
	s.record("abort " + in.Fault)
	return nil
}

func (s *recordingSession) Observe(context.Context) (engine.Observation, error) {
	return engine.Observation{}, nil
}
func (s *recordingSession) Close(context.Context) error { return nil }

func fault(name string, at, d time.Duration) spec.Fault {
	return spec.Fault{Name: name, StartAfter: spec.Duration(at), Duration: spec.Duration(d)}
}

// events drains the timeline's events until it closes them (at most 10 s).
func events(t *testing.T, tl *timeline) []string {
	t.Helper()
	var out []string
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-tl.events:
			if !ok {
				return out
			}
			what := "injected " + ev.fault
			switch {
			case ev.ended && ev.err != nil:
				what = "ending failed " + ev.fault
			case ev.ended:
				what = "ended " + ev.fault
			case ev.err != nil:
				what = "failed " + ev.fault + ": " + ev.err.Error()
			}
			out = append(out, what)
		case <-deadline:
			t.Fatalf("the timeline did not end in 10 s; events so far %q", out)
		}
	}
}

func TestSteps(t *testing.T) {
	got := steps([]spec.Fault{fault("b", 2*time.Second, time.Second), fault("a", 0, 2*time.Second)})
	var names []string
	for _, s := range got {
		names = append(names, map[bool]string{false: "inject ", true: "recover "}[s.recover]+s.fault.Name)
	}
	// At 2s a's recovery comes before b's injection.
	if want := []string{"inject a", "recover a", "inject b", "recover b"}; !slices.Equal(names, want) {
		t.Errorf("steps %q, want %q", names, want)
	}
}

func TestTimeline(t *testing.T) {
	ms := time.Millisecond
	tests := map[string]struct {
		session    *recordingSession
		faults     []spec.Fault
		stop       func(*timeline, *recordingSession) // nil: none
		wantCalls  []string
		wantEvents []string
	}{
		"each fault is injected at its offset and recovered at its end": {
			session:    &recordingSession{},
			faults:     []spec.Fault{fault("a", 0, 50*ms), fault("b", 60*ms, 50*ms)},
			wantCalls:  []string{"inject a", "recover a", "inject b", "recover b"},
			wantEvents: []string{"injected a", "ended a", "injected b", "ended b"},
		},
		"the load's end stops the steps and recovers what is active": {
			session: &recordingSession{},
			faults:  []spec.Fault{fault("a", 0, time.Hour), fault("b", time.Hour, time.Second)},
			stop: func(tl *timeline, s *recordingSession) {
				waitFor(t, s, "inject a")
				tl.end()
			},
			wantCalls:  []string{"inject a", "recover a"},
			wantEvents: []string{"injected a", "ended a"},
		},
		"an injection in flight at the load's end lands, then is recovered": {
			session: &recordingSession{blocks: "a", land: make(chan struct{})},
			faults:  []spec.Fault{fault("a", 0, time.Hour)},
			stop: func(tl *timeline, s *recordingSession) {
				waitFor(t, s, "waiting a")
				tl.end()
				close(s.land)
			},
			wantCalls:  []string{"waiting a", "inject a", "recover a"},
			wantEvents: []string{"injected a", "ended a"},
		},
		"an abort aborts what is active at once, while an injection waits, then what lands late": {
			session: &recordingSession{blocks: "b", landsLate: true, land: make(chan struct{})},
			faults:  []spec.Fault{fault("a", 0, time.Hour), fault("b", 10*ms, time.Hour)},
			stop: func(tl *timeline, s *recordingSession) {
				waitFor(t, s, "waiting b")
				tl.abort()
				waitFor(t, s, "abort a") // while b's injection still waits
				close(s.land)
			},
			wantCalls:  []string{"inject a", "waiting b", "abort a", "inject b", "abort b"},
			wantEvents: []string{"injected a", "ended a", "injected b", "ended b"},
		},
		"an abort cancels the injection in flight": {
			session: &recordingSession{blocks: "a"},
			faults:  []spec.Fault{fault("a", 0, time.Hour)},
			stop: func(tl *timeline, s *recordingSession) {
				waitFor(t, s, "waiting a")
				tl.abort()
			},
			wantCalls:  []string{"waiting a", "inject a cancelled"},
			wantEvents: []string{"failed a: inject fault a: context canceled"},
		},
		"a failed injection waits for the run's decision, then ends what is active": {
			session: &recordingSession{failOn: "b"},
			faults:  []spec.Fault{fault("a", 0, time.Hour), fault("b", 10*ms, time.Hour), fault("c", 20*ms, time.Hour)},
			stop: func(tl *timeline, s *recordingSession) {
				waitFor(t, s, "inject b failed")
				time.Sleep(50 * ms) // c would be due: it is not injected
				tl.abort()
			},
			wantCalls:  []string{"inject a", "inject b failed", "abort a"},
			wantEvents: []string{"injected a", "failed b: inject fault b: control API: connection refused", "ended a"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tl := startTimeline(t.Context(), tc.session, "r1", time.Now(), tc.faults)
			if tc.stop != nil {
				go tc.stop(tl, tc.session)
			}
			got := events(t, tl)
			if !slices.Equal(got, tc.wantEvents) {
				t.Errorf("events %q, want %q", got, tc.wantEvents)
			}
			if calls := tc.session.log(); !slices.Equal(calls, tc.wantCalls) {
				t.Errorf("session calls %q, want %q", calls, tc.wantCalls)
			}
		})
	}
}

// waitFor waits until the session was asked call (at most 5 s).
func waitFor(t *testing.T, s *recordingSession, call string) {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if slices.ContainsFunc(s.log(), func(c string) bool { return strings.HasPrefix(c, call) }) {
			return
		}
	}
	t.Errorf("the session was never asked %q: %q", call, s.log())
}
