package chaos

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gamedayhq/gameday/harness/internal/sandbox"
	"github.com/gamedayhq/gameday/harness/internal/selector/selectortest"
)

// TestSelectorTable: the sandbox takes as many pods as the Kubernetes
// engine counts for the same selector (selectortest, also run in package
// kube), and refuses a bad one with the same error, offline (CheckFault's
// selector check) and when it selects.
func TestSelectorTable(t *testing.T) {
	st := &sandbox.State{}
	for _, p := range selectortest.Pods() {
		st.Pods = append(st.Pods, sandbox.Pod{Name: p.Name, Labels: p.Labels})
	}
	for name, tc := range selectortest.Cases() {
		t.Run(name, func(t *testing.T) {
			tc = tc.InNamespace(sandbox.Namespace)
			got, err := Select(st, "spec", &tc.Selector, rand.New(rand.NewPCG(3, 4)))
			offline := checkSelector("spec", &tc.Selector)
			if tc.Err != "" {
				if len(offline) != 1 || offline[0].Error() != tc.Err {
					t.Errorf("got offline %v, want %q", offline, tc.Err)
				}
				switch {
				case strings.Contains(tc.Err, "operator"): // it matches nothing
					if err == nil || !strings.HasSuffix(err.Error(), "selects no pod") {
						t.Errorf("got %d pods, %v; want none selected", len(got), err)
					}
				case err == nil || err.Error() != tc.Err:
					t.Errorf("got %d pods, %v; want %q", len(got), err, tc.Err)
				}
				return
			}
			if tc.AtMost && err != nil && strings.HasSuffix(err.Error(), "selects no pod") {
				err = nil // random-max-percent may draw none
			}
			if err != nil || len(offline) > 0 {
				t.Fatalf("got %v, %v", err, offline)
			}
			if len(got) != tc.Take && !(tc.AtMost && len(got) <= tc.Take) {
				t.Errorf("got %d pods, want %d (at most: %t)", len(got), tc.Take, tc.AtMost)
			}
		})
	}
}
