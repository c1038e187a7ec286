package kube_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/gamedayhq/gameday/harness/internal/kube"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// The sandbox's supervisor ends a fault at its deadline without the
// harness; on a cluster, Chaos Mesh does, at the object's spec.duration.
// These tests check that every object the engine renders (the only objects
// it creates: Session.Inject creates what Renderer.Fault returns, an abort
// only adds the pause annotation) carries its fault's duration, for every
// kind of the fault table the Kubernetes engine injects, and that a fault
// without a duration is never rendered.

// durationRenderer renders for namespace petclinic without a cluster, with
// three nodes in zone-a so that node-level faults render once per node.
func durationRenderer() *kube.Renderer {
	r := &kube.Renderer{Namespace: "petclinic", Allowed: []string{"petclinic"}}
	for i := range 3 {
		r.Nodes = append(r.Nodes, kube.Node{Name: fmt.Sprintf("node-%d", i),
			Labels:     map[string]string{spec.ZoneLabel: "zone-a", spec.RegionLabel: "eu-west-1"},
			ProviderID: fmt.Sprintf("aws:///eu-west-1a/i-0%015d", i)})
	}
	return r
}

// handMade is one pod-level fault of the four classic kinds, as an
// experiment writes them.
func handMade(d time.Duration) []spec.Fault {
	sel := v1alpha1.PodSelector{Mode: v1alpha1.AllMode, Selector: v1alpha1.PodSelectorSpec{
		GenericSelectorSpec: v1alpha1.GenericSelectorSpec{LabelSelectors: map[string]string{"app": "petclinic"}}}}
	abort := true
	return []spec.Fault{
		{Name: "kill", Kind: spec.PodChaos, Duration: spec.Duration(d), Spec: spec.NewFaultSpec(&v1alpha1.PodChaosSpec{
			ContainerSelector: v1alpha1.ContainerSelector{PodSelector: sel}, Action: v1alpha1.PodKillAction})},
		{Name: "delay", Kind: spec.NetworkChaos, Duration: spec.Duration(d), Spec: spec.NewFaultSpec(&v1alpha1.NetworkChaosSpec{
			PodSelector: sel, Action: v1alpha1.DelayAction, TcParameter: v1alpha1.TcParameter{Delay: &v1alpha1.DelaySpec{Latency: "100ms"}}})},
		{Name: "burn", Kind: spec.StressChaos, Duration: spec.Duration(d), Spec: spec.NewFaultSpec(&v1alpha1.StressChaosSpec{
			ContainerSelector: v1alpha1.ContainerSelector{PodSelector: sel}, Stressors: &v1alpha1.Stressors{CPUStressor: &v1alpha1.CPUStressor{Stressor: v1alpha1.Stressor{Workers: 1}}}})},
		{Name: "abort", Kind: spec.HTTPChaos, Duration: spec.Duration(d), Spec: spec.NewFaultSpec(&v1alpha1.HTTPChaosSpec{
			PodSelector: sel, Target: v1alpha1.PodHttpRequest, Port: 8080, PodHttpChaosActions: v1alpha1.PodHttpChaosActions{Abort: &abort}})},
	}
}

func experimentOf(name string, faults ...spec.Fault) *spec.Experiment {
	return &spec.Experiment{Metadata: spec.Metadata{Name: name}, Spec: spec.ExperimentSpec{Faults: faults}}
}

// durationCases are the committed experiments and the hand-made faults.
func durationCases(t *testing.T) []*spec.Experiment {
	return append(committedExperiments(t), experimentOf("hand-made", handMade(45*time.Second)...))
}

func TestEveryRenderedChaosObjectEndsWithItsFault(t *testing.T) {
	rendered := map[spec.FaultKind]bool{}
	for _, x := range durationCases(t) {
		t.Run(x.Metadata.Name, func(t *testing.T) {
			objs, err := durationRenderer().Objects(x, "durations-test")
			if err != nil {
				t.Fatal(err)
			}
			if len(objs) < len(x.Spec.Faults) {
				t.Fatalf("%d objects for %d faults", len(objs), len(x.Spec.Faults))
			}
			for _, o := range objs {
				checkDuration(t, x, o)
				rendered[spec.FaultKind(o.GetObjectKind().GroupVersionKind().Kind)] = true
			}
		})
	}
	// A kind added to the table is covered here, or this test says so.
	for _, k := range spec.Kinds() {
		if k.Supports(spec.TargetKubernetes) && !rendered[k.Name] {
			t.Errorf("no experiment here renders a %s: add one to handMade or experiments/", k.Name)
		}
	}
}

// checkDuration: o's spec.duration is its fault's, positive.
func checkDuration(t *testing.T, x *spec.Experiment, o client.Object) {
	t.Helper()
	i := slices.IndexFunc(x.Spec.Faults, func(f spec.Fault) bool { return f.Name == o.GetLabels()[kube.LabelFault] })
	if i < 0 {
		t.Fatalf("%s: no fault %q", kube.Ref(o), o.GetLabels()[kube.LabelFault])
	}
	want := x.Spec.Faults[i].Duration.D()
	d := *spec.FaultSpecOf(o.(spec.Chaos)).Duration()
	if d == nil {
		t.Errorf("%s: no spec.duration: Chaos Mesh would keep the fault until someone deletes it", kube.Ref(o))
		return
	}
	if got, err := time.ParseDuration(*d); err != nil || got != want || got <= 0 {
		t.Errorf("%s: spec.duration %q, want %s (the fault's)", kube.Ref(o), *d, want)
	}
}

func TestAFaultWithoutDurationIsNeverRendered(t *testing.T) {
	for _, x := range durationCases(t) {
		for i, f := range x.Spec.Faults {
			for _, d := range []time.Duration{0, -time.Second} {
				bad := *x
				bad.Spec.Faults = slices.Clone(x.Spec.Faults)
				bad.Spec.Faults[i].Duration = spec.Duration(d)
				if objs, err := durationRenderer().Fault(&bad, "durations-test", i); err == nil {
					t.Errorf("%s: fault %s with duration %s rendered as %d objects: want a refusal", x.Metadata.Name, f.Name, d, len(objs))
				}
			}
		}
	}
}

// FuzzRenderedDuration: whatever the duration and the fault, the objects
// are refused or carry exactly the fault's positive duration.
func FuzzRenderedDuration(f *testing.F) {
	f.Add(int64(30*time.Second), uint8(0))
	f.Add(int64(0), uint8(1))
	f.Add(int64(-1), uint8(2))
	f.Add(int64(time.Hour+1), uint8(3))
	f.Fuzz(func(t *testing.T, ns int64, which uint8) {
		faults := handMade(time.Duration(ns))
		fault := faults[int(which)%len(faults)]
		objs, err := durationRenderer().Fault(experimentOf("fuzz", fault), "durations-fuzz", 0)
		if err != nil {
			if ns > 0 {
				t.Fatalf("%s of %dns refused: %v", fault.Name, ns, err)
			}
			return
		}
		for _, o := range objs {
			d := *spec.FaultSpecOf(o.(spec.Chaos)).Duration()
			if ns <= 0 || d == nil || *d != time.Duration(ns).String() {
				t.Fatalf("%s of %dns rendered with spec.duration %v", fault.Name, ns, d)
			}
		}
	})
}
