package cli

import (
	"github.com/gamedayhq/gameday/harness/internal/engine"
	"github.com/gamedayhq/gameday/harness/internal/sandbox"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// sandboxEngine is the local chaos engine of the sandbox in dir.
func sandboxEngine(dir string, st *sandbox.State) (engine.Engine, error) {
	return nil, errNoEngine
}

// offlineEngine is the engine that validates e offline; nil when this
// build has none for e's target.
func offlineEngine(e *spec.Experiment) (engine.Engine, error) {
	return nil, nil
}
