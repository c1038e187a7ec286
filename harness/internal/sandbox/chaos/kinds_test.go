package chaos

import (
	"errors"
	"testing"

	"github.com/gamedayhq/gameday/harness/internal/engine"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// TestPlannersCoverTheTable: the sandbox has a planner for exactly the
// kinds whose table entry names the sandbox; any other kind is refused
// offline as not supported, naming the kind and what to do.
func TestPlannersCoverTheTable(t *testing.T) {
	for _, k := range spec.Kinds() {
		t.Run(string(k.Name), func(t *testing.T) {
			_, planned := planners[k.Name]
			if planned != k.Supports(spec.TargetSandbox) {
				t.Fatalf("got a planner %t, want one exactly when the table says the sandbox injects %s (%t)", planned, k.Name, k.Supports(spec.TargetSandbox))
			}
			f := spec.Fault{Name: "f", Kind: k.Name, Spec: spec.FaultSpecOf(k.New())}
			errs := CheckFault(f)
			if planned {
				for _, err := range errs {
					if errors.As(err, new(unsupportedKind)) {
						t.Errorf("got %v for a kind the sandbox injects", err)
					}
				}
				return
			}
			want := "kind: " + string(k.Name) + " is not supported by the sandbox engine; use --target kubernetes"
			if len(errs) != 1 || errs[0].Error() != want || !errors.Is(errs[0], engine.ErrUnsupported) {
				t.Errorf("got %v, want exactly %q wrapping ErrUnsupported", errs, want)
			}
		})
	}
	for k := range planners {
		if _, ok := spec.KindOf(k); !ok {
			t.Errorf("got a planner for %s, which the table does not have", k)
		}
	}
}
