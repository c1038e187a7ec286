package verdict_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/spec"
	"github.com/gamedayhq/gameday/harness/internal/spec/spectest"
	"github.com/gamedayhq/gameday/harness/internal/verdict"
)

// recoveryValues are a value of its own for every leaf of spec.Recovery.
// A new field has no entry and fails the test below.
var recoveryValues = map[string]any{
	"within": spec.Duration(7300 * time.Millisecond),
	"probes": []string{"latency"},
}

// TestEveryRecoveryFieldReachesTheVerdict: the verdict is where a
// recovery expectation runs (the after window, each fault's recoveries).
// Each leaf of spec.Recovery is set in turn, and the value must show in
// the verdict's fault results.
func TestEveryRecoveryFieldReachesTheVerdict(t *testing.T) {
	fields := spectest.Fields(reflect.TypeFor[spec.Recovery]())
	if len(fields) < 2 {
		t.Fatalf("got %d leaves of spec.Recovery: the walk lost its way", len(fields))
	}
	for _, f := range fields {
		t.Run(f.Path, func(t *testing.T) {
			v, ok := recoveryValues[f.Path]
			if !ok {
				t.Fatalf("recovery field %s has no value in recoveryValues: add one, and make it reach the verdict", f.Path)
			}
			in := input(healthy())
			f.Set(in.Experiment.Spec.Recovery, v)
			got := verdict.Evaluate(in)
			if len(got.Faults) != 1 {
				t.Fatalf("got %d fault results, want 1", len(got.Faults))
			}
			want := fmt.Sprint(v)
			switch v := v.(type) {
			case spec.Duration:
				want = fmt.Sprint([]time.Duration{v.D()})
			}
			var have []time.Duration
			var probes []string
			for _, r := range got.Faults[0].Recoveries {
				have, probes = append(have, r.Within), append(probes, r.Probe)
			}
			if fmt.Sprint(have) != want && fmt.Sprint(probes) != want {
				t.Errorf("recovery.%s = %v does not reach the verdict's recoveries: within %v, probes %v", f.Path, v, have, probes)
			}
		})
	}
}
