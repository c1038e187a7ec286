package cli

import (
	"github.com/gamedayhq/gameday/harness/internal/engine"
	"github.com/gamedayhq/gameday/harness/internal/kube"
	"github.com/gamedayhq/gameday/harness/internal/sandbox"
	"github.com/gamedayhq/gameday/harness/internal/sandbox/chaos"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// sandboxEngine is the local chaos engine of the sandbox in dir.
func sandboxEngine(dir string, _ *sandbox.State) (engine.Engine, error) {
	return chaos.New(dir, 0), nil
}

// offlineEngine is the engine that validates e offline: the Chaos Mesh
// engine's renderer for a kubernetes target (no cluster is read), the
// sandbox's engine otherwise.
func offlineEngine(e *spec.Experiment) (engine.Engine, error) {
	if e.Spec.Target != nil && e.Spec.Target.Kind == spec.TargetKubernetes {
		return kube.Offline(e.Spec.Target.Kubernetes.Namespace), nil
	}
	return chaos.New("", 0), nil
}
