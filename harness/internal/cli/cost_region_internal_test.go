package cli

import (
	"testing"

	"github.com/gamedayhq/gameday/harness/internal/sandbox"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// A game day on Kubernetes is priced in its nodes' region (the collector
// reads their topology.kubernetes.io/region label), never in the sandbox's.
func TestGameDayCostRegionFollowsTheTarget(t *testing.T) {
	for _, c := range []struct {
		name   string
		kind   spec.TargetKind
		target string
		want   string
	}{
		{"sandbox", spec.TargetSandbox, "", sandbox.CostRegion},
		{"kubernetes", spec.TargetKubernetes, "", ""},
		{"sandbox file, --target kubernetes", spec.TargetSandbox, string(spec.TargetKubernetes), ""},
		{"kubernetes file, --target sandbox", spec.TargetKubernetes, string(spec.TargetSandbox), sandbox.CostRegion},
	} {
		e := &spec.Experiment{Spec: spec.ExperimentSpec{Target: &spec.Target{Kind: c.kind}}}
		if got := (runOptions{Target: c.target}).costRegion(e); got != c.want {
			t.Errorf("%s: region %q, want %q", c.name, got, c.want)
		}
	}
}
