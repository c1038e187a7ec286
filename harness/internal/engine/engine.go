// Package engine is the contract between a game day's runner and the place
// where faults happen: the local sandbox (real processes and sockets) or a
// Kubernetes cluster with Chaos Mesh. The same spec and verdict serve both;
// only the engine differs.
package engine

import (
	"context"
	"errors"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// ErrUnsupported is returned (wrapped, naming the field) when an engine
// cannot honour a field of a fault spec. It is never silently ignored.
var ErrUnsupported = errors.New("not supported by this engine")

// Engine injects and recovers faults on one target.
//
// Every fault is recorded in durable run state (a state file for the
// sandbox, labels on Chaos Mesh objects for Kubernetes) BEFORE it is injected,
// so that Cleanup can recover it after the harness is killed.
type Engine interface {
	// Name is "sandbox" or "kubernetes".
	Name() string
	// Preflight checks that the target can take the experiment (replicas
	// ready, zones spread, engine available) and reports what it found.
	Preflight(ctx context.Context, e *spec.Experiment) (Preflight, error)
	// Validate checks offline that the engine can honour every fault of e;
	// the error names the experiment, fault and field.
	Validate(e *spec.Experiment) error
	// Inject starts fault f of run runID. The returned Injection carries
	// the time the fault was confirmed injected and what it selected.
	Inject(ctx context.Context, runID string, f spec.Fault) (*Injection, error)
	// Recover ends one injection; recovering twice is not an error.
	Recover(ctx context.Context, in *Injection) error
	// Cleanup recovers every fault that runID left (every run when runID is
	// empty), for `gameday cleanup` and after a crash. It reports what it did.
	Cleanup(ctx context.Context, runID string) ([]string, error)
	// Observe reports the target's state now (replicas ready per zone), for
	// the report's timeline.
	Observe(ctx context.Context) (Observation, error)
}

// Preflight is what Engine.Preflight found; the report shows it.
type Preflight struct {
	Checks []Check `json:"checks"`
}

// Check is one preflight check.
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
