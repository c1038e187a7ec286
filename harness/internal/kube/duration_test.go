package kube_test

import (
	"testing"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"

	"github.com/gamedayhq/gameday/harness/internal/kube"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// The sandbox's supervisor ends a fault at its deadline without the
// harness; on a cluster, Chaos Mesh does, at the object's spec.duration.
// These tests check that every object the engine renders (the only objects
// it creates: Session.Inject creates what Renderer.Object returns, an
// abort only adds the pause annotation) carries the fault's duration, and
// that a fault without one is never rendered.

// offline renders for namespace petclinic without reading a cluster.
func offline() *kube.Renderer {
	return &kube.Renderer{Namespace: "petclinic", Allowed: []string{"petclinic"}}
}

// everyKind is one fault of each kind, written as the experiments do.
func everyKind(d time.Duration) []spec.Fault {
	sel := v1alpha1.PodSelector{Mode: v1alpha1.AllMode, Selector: v1alpha1.PodSelectorSpec{
		GenericSelectorSpec: v1alpha1.GenericSelectorSpec{LabelSelectors: map[string]string{"app": "petclinic"}}}}
	abort := true
	return []spec.Fault{
		{Name: "kill", Kind: spec.PodChaos, Duration: spec.Duration(d), Spec: spec.FaultSpec{Pod: &v1alpha1.PodChaosSpec{
			ContainerSelector: v1alpha1.ContainerSelector{PodSelector: sel}, Action: v1alpha1.PodKillAction}}},
		{Name: "delay", Kind: spec.NetworkChaos, Duration: spec.Duration(d), Spec: spec.FaultSpec{Network: &v1alpha1.NetworkChaosSpec{
			PodSelector: sel, Action: v1alpha1.DelayAction, TcParameter: v1alpha1.TcParameter{Delay: &v1alpha1.DelaySpec{Latency: "100ms"}}}}},
		{Name: "burn", Kind: spec.StressChaos, Duration: spec.Duration(d), Spec: spec.FaultSpec{Stress: &v1alpha1.StressChaosSpec{
			ContainerSelector: v1alpha1.ContainerSelector{PodSelector: sel}, Stressors: &v1alpha1.Stressors{CPUStressor: &v1alpha1.CPUStressor{Stressor: v1alpha1.Stressor{Workers: 1}}}}}},
		{Name: "abort", Kind: spec.HTTPChaos, Duration: spec.Duration(d), Spec: spec.FaultSpec{HTTP: &v1alpha1.HTTPChaosSpec{
			PodSelector: sel, Target: v1alpha1.PodHttpRequest, Port: 8080, PodHttpChaosActions: v1alpha1.PodHttpChaosActions{Abort: &abort}}}},
	}
}

func experimentOf(faults ...spec.Fault) *spec.Experiment {
	return &spec.Experiment{Metadata: spec.Metadata{Name: "durations"}, Spec: spec.ExperimentSpec{Faults: faults}}
}

func TestEveryRenderedChaosObjectEndsWithItsFault(t *testing.T) {
	tests := map[string]*spec.Experiment{"one fault of each kind": experimentOf(everyKind(45 * time.Second)...)}
	for _, x := range committedExperiments(t) {
		tests["experiments/"+x.Metadata.Name] = x
	}
	for name, x := range tests {
		t.Run(name, func(t *testing.T) {
			objs, err := offline().Objects(x, "durations-test")
			if err != nil {
				t.Fatal(err)
			}
			if len(objs) != len(x.Spec.Faults) {
				t.Fatalf("%d objects for %d faults", len(objs), len(x.Spec.Faults))
			}
			for i, o := range objs {
				want := x.Spec.Faults[i].Duration.D()
				d := *kube.DurationOf(o)
				if d == nil {
					t.Errorf("%s: no spec.duration: Chaos Mesh would keep the fault until someone deletes it", kube.Ref(o))
					continue
				}
				if got, err := time.ParseDuration(*d); err != nil || got != want || got <= 0 {
					t.Errorf("%s: spec.duration %q, want %s (the fault's)", kube.Ref(o), *d, want)
				}
			}
		})
	}
}

func TestAFaultWithoutDurationIsNeverRendered(t *testing.T) {
	for _, d := range []time.Duration{0, -time.Second} {
		for _, f := range everyKind(d) {
			if o, err := offline().Object(experimentOf(f), "durations-test", 0); err == nil {
				t.Errorf("%s with duration %s rendered as %s: want a refusal", f.Name, d, kube.Ref(o))
			}
		}
	}
}

// FuzzRenderedDuration: whatever the duration and the kind, an object is
// either refused or carries exactly the fault's positive duration.
func FuzzRenderedDuration(f *testing.F) {
	f.Add(int64(30*time.Second), uint8(0))
	f.Add(int64(0), uint8(1))
	f.Add(int64(-1), uint8(2))
	f.Add(int64(time.Hour+1), uint8(3))
	f.Fuzz(func(t *testing.T, ns int64, kind uint8) {
		fs := everyKind(time.Duration(ns))
		fault := fs[int(kind)%len(fs)]
		o, err := offline().Object(experimentOf(fault), "durations-fuzz", 0)
		if err != nil {
			if ns > 0 {
				t.Fatalf("%s of %dns refused: %v", fault.Name, ns, err)
			}
			return
		}
		d := *kube.DurationOf(o)
		if ns <= 0 || d == nil || *d != time.Duration(ns).String() {
			t.Fatalf("%s of %dns rendered with spec.duration %v", fault.Name, ns, d)
		}
	})
}
