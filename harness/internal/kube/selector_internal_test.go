package kube

import (
	"strings"
	"testing"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/gamedayhq/gameday/harness/internal/selector/selectortest"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// TestSelectorTable: the Kubernetes engine counts as many pods taken as
// the sandbox takes for the same selector (selectortest, also run in
// package chaos), and refuses a bad one with the same error, offline (the
// renderer) and when it counts the planned disruption.
func TestSelectorTable(t *testing.T) {
	const ns = "petclinic"
	v := &clusterView{nodes: map[string]labels.Set{"node-a": {spec.ZoneLabel: "eu-west-1a"}}}
	for _, p := range selectortest.Pods() {
		v.pods = append(v.pods, corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: p.Name, Labels: p.Labels},
			Spec:       corev1.PodSpec{NodeName: "node-a"},
			Status:     corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}},
		})
	}
	for name, tc := range selectortest.Cases() {
		t.Run(name, func(t *testing.T) {
			tc = tc.InNamespace(ns)
			_, taken, err := v.taken("spec", &tc.Selector)
			f := spec.Fault{Name: "f", Kind: spec.PodChaos, Duration: spec.Duration(60e9),
				Spec: spec.NewFaultSpec(&v1alpha1.PodChaosSpec{Action: v1alpha1.PodKillAction, ContainerSelector: v1alpha1.ContainerSelector{PodSelector: tc.Selector}})}
			x := &spec.Experiment{Metadata: spec.Metadata{Name: "x"}, Spec: spec.ExperimentSpec{Faults: []spec.Fault{f}}}
			_, offline := offline(ns).Objects(x, "validate")
			if tc.Err != "" {
				if offline == nil || !strings.HasSuffix(offline.Error(), ": "+tc.Err) {
					t.Errorf("got offline %v, want %q", offline, tc.Err)
				}
				switch {
				case strings.Contains(tc.Err, "operator"): // it matches nothing
					if err != nil || taken != 0 {
						t.Errorf("got %d taken, %v; want none", taken, err)
					}
				case err == nil || err.Error() != tc.Err:
					t.Errorf("got %d taken, %v; want %q", taken, err, tc.Err)
				}
				return
			}
			if err != nil || offline != nil {
				t.Fatalf("got %v, %v", err, offline)
			}
			if taken != tc.Take {
				t.Errorf("got %d taken, want %d", taken, tc.Take)
			}
		})
	}
}
