// Package engine is the contract between a game day's runner and the place
// where faults happen: the local sandbox (real processes and sockets) or a
// Kubernetes cluster with Chaos Mesh. The same spec and verdict serve both;
// only the engine differs.
//
// The contract has no hidden order: an Engine validates offline and
// prepares a run; Prepare runs the preflight checks and, when the target
// can take the experiment, returns the Session of that run, which alone
// injects, recovers and observes. What a session injected is its own to
// recover: Close recovers whatever is still active.
package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// ErrUnsupported is returned (wrapped, naming the field) when an engine
// cannot honour a field of a fault spec. It is never silently ignored.
var ErrUnsupported = errors.New("not supported by this engine")

// Engine is one kind of target. It keeps no state between calls: a run's
// state lives in the Session Prepare returns.
//
// Every fault is recorded in durable run state (a state file for the
// sandbox, labels on Chaos Mesh objects for Kubernetes) BEFORE it is injected,
// so that Cleanup can recover it after the harness is killed.
type Engine interface {
	// Name is "sandbox" or "kubernetes".
	Name() string
	// Validate checks offline that the engine can honour every fault of e;
	// the error names the experiment, fault and field.
	Validate(e *spec.Experiment) error
	// Prepare runs the preflight checks of run runID of experiment e (replicas
	// ready, zones spread, engine available) and reports each. When every
	// check passed it returns the run's Session; otherwise a nil Session
	// and an error wrapping ErrRefused that carries its exit code (package
	// exitcode): 2 invalid invocation, 4 refused by a guard, 3 the target
	// could not be read.
	Prepare(ctx context.Context, runID string, e *spec.Experiment) (Session, Preflight, error)
	// Cleanup recovers every fault that runID left (every run when runID is
	// empty), for `gameday cleanup` and after a crash. It reports what it did.
	Cleanup(ctx context.Context, runID string) ([]string, error)
}

// Session is one run of one experiment on a prepared target. It owns what
// the run injected.
type Session interface {
	// Inject starts fault f (one of the experiment's). The returned
	// Injection carries the time the fault was confirmed injected and
	// what it selected.
	Inject(ctx context.Context, f spec.Fault) (*Injection, error)
	// Recover ends one injection at its planned end; recovering twice is not
	// an error.
	Recover(ctx context.Context, in *Injection) error
	// Abort ends one injection now, because the run is aborted (Chaos
	// Mesh: pause, then delete; the sandbox: as Recover).
	Abort(ctx context.Context, in *Injection) error
	// Observe reports the target's state now (replicas ready per zone), for
	// the report's timeline.
	Observe(ctx context.Context) (Observation, error)
	// Close ends the session: an injection still active is aborted, and
	// the error names it. Closing twice is not an error.
	Close(ctx context.Context) error
}

// Preflight is what Engine.Prepare found; the report shows it.
type Preflight struct {
	Checks []Check `json:"checks"`
}

// Check is the result of one preflight check.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// Injection is one injected fault.
type Injection struct {
	RunID string `json:"runID"`
	Fault string `json:"fault"`
	Kind  string `json:"kind"`
	// Targets names what the fault selected (pods, links).
	Targets []string `json:"targets"`
	// Injected is when the injection was confirmed; Recovered when it ended.
	Injected  time.Time `json:"injected"`
	Recovered time.Time `json:"recovered,omitzero"`
	// Ref is the engine's own handle (state-file key, object name).
	Ref string `json:"ref"`
}

// Observation is the target's state at one instant.
type Observation struct {
	At time.Time `json:"at"`
	// ReadyByZone counts the ready replicas in each zone.
	ReadyByZone map[string]int `json:"readyByZone"`
	// Desired is the number of replicas wanted.
	Desired int `json:"desired"`
}

// Active is the set of a session's injections not yet ended, by Ref; the
// zero value is empty. Sessions embed it to close what is left.
type Active struct {
	mu sync.Mutex
	m  map[string]*Injection
}

// Add records in as active.
func (a *Active) Add(in *Injection) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.m == nil {
		a.m = map[string]*Injection{}
	}
	a.m[in.Ref] = in
}

// Done records in as ended.
func (a *Active) Done(in *Injection) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.m, in.Ref)
}

// AbortAll aborts every injection still active with abort (which calls
// Done), in the order of their Refs; the error names each one it found,
// since a session whose runner recovered everything finds none.
func (a *Active) AbortAll(ctx context.Context, abort func(context.Context, *Injection) error) error {
	a.mu.Lock()
	left := slices.SortedFunc(maps.Values(a.m), func(x, y *Injection) int { return strings.Compare(x.Ref, y.Ref) })
	a.mu.Unlock()
	var errs []error
	for _, in := range left {
		if err := abort(ctx, in); err != nil {
			errs = append(errs, err)
			continue
		}
		errs = append(errs, fmt.Errorf("fault %s (%s) was still active at Close: aborted", in.Fault, in.Ref))
	}
	return errors.Join(errs...)
}
