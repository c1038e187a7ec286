package cli

import (
	"github.com/gamedayhq/gameday/harness/internal/engine"
	"github.com/gamedayhq/gameday/harness/internal/sandbox"
	"github.com/gamedayhq/gameday/harness/internal/sandbox/chaos"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// sandboxEngine is the local chaos engine of the sandbox in dir.
func sandboxEngine(dir string, _ *sandbox.State) (engine.Engine, error) {
	return chaos.New(dir, 0), nil
}

// offlineEngine is the engine that validates e offline; nil when this
// build has none for e's target (kubernetes arrives with issue 4).
func offlineEngine(e *spec.Experiment) (engine.Engine, error) {
	if e.Spec.Target != nil && e.Spec.Target.Kind == spec.TargetKubernetes {
		return nil, nil
	}
	return chaos.New("", 0), nil
}
