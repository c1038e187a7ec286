package kube_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/gamedayhq/gameday/harness/internal/engine"
	"github.com/gamedayhq/gameday/harness/internal/kube"
	"github.com/gamedayhq/gameday/harness/internal/kube/kubetest"
	"github.com/gamedayhq/gameday/harness/internal/load"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

const experimentsDir = "../../../experiments"

func committedExperiments(t *testing.T) []*spec.Experiment {
	t.Helper()
	c, err := spec.ValidateOptions{Journeys: load.JourneyNames()}.LoadPath(experimentsDir)
	if err != nil {
		t.Fatalf("load %s: %v", experimentsDir, err)
	}
	if len(c.Experiments) < 9 {
		t.Fatalf("%d experiments in %s, want at least 9", len(c.Experiments), experimentsDir)
	}
	return c.Experiments
}

// TestCommittedExperimentsRenderToObjectsTheAPIServerAccepts runs every
// experiment of experiments/ (written for the sandbox) through the
// engine's preflight, whose last check is a server-side dry run of every
// object, then creates the objects for real and reads them back.
func TestCommittedExperimentsRenderToObjectsTheAPIServerAccepts(t *testing.T) {
	t.Parallel() // each test has its own namespace
	kubetest.Need(t)
	ns := "render"
	build(t, petclinic(ns))
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	created := 0
	for _, x := range committedExperiments(t) {
		t.Run(x.Metadata.Name, func(t *testing.T) {
			inNamespace(x, ns)
			e := newEngine(t, ns)
			if err := e.Validate(x); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			s, pf, err := e.Prepare(ctx, "render-test", x)
			if err != nil {
				t.Fatalf("Prepare: %v\nchecks: %+v", err, pf.Checks)
			}
			r := s.(*kube.Session).Renderer()
			objs, err := r.Objects(x, "render-test")
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range objs {
				if err := env.Client.Create(ctx, o); err != nil {
					t.Fatalf("create %s: %v", kube.Ref(o), err)
				}
				created++
				got, _ := kube.FromRef(kube.Ref(o))
				if err := env.Client.Get(ctx, client.ObjectKeyFromObject(o), got); err != nil {
					t.Fatal(err)
				}
				checkStored(t, x, got)
			}
		})
	}
	t.Logf("%d objects created from %d experiments", created, len(committedExperiments(t)))
}

// inNamespace moves an experiment written for a Kubernetes target's
// namespace (the selectors defaulted to it) to namespace ns, as
// `gameday run --namespace ns` does.
func inNamespace(x *spec.Experiment, ns string) {
	k := x.Spec.Target.Kubernetes
	if x.Spec.Target.Kind != spec.TargetKubernetes || k == nil || k.Namespace == ns {
		return
	}
	for _, f := range x.Spec.Faults {
		for _, sel := range f.Spec.Selectors() {
			if slices.Equal(sel.Selector.Namespaces, []string{k.Namespace}) {
				sel.Selector.Namespaces = []string{ns}
			}
		}
	}
	k.Namespace = ns
}

// podChaos is the PodChaos spec of f.
func podChaos(f *spec.Fault) *v1alpha1.PodChaosSpec {
	return &f.Spec.Object().(*v1alpha1.PodChaos).Spec
}

// checkStored checks what the API server stored for fault i of x: labels,
// duration, namespaces, and zones turned into node selectors.
func checkStored(t *testing.T, x *spec.Experiment, o client.Object) {
	t.Helper()
	i := slices.IndexFunc(x.Spec.Faults, func(f spec.Fault) bool { return f.Name == o.GetLabels()[kube.LabelFault] })
	if i < 0 {
		t.Fatalf("%s: no fault %q in %s", kube.Ref(o), o.GetLabels()[kube.LabelFault], x.Metadata.Name)
	}
	f := x.Spec.Faults[i]
	for k, want := range map[string]string{kube.LabelManagedBy: "gameday", kube.LabelExperiment: x.Metadata.Name, kube.LabelFault: f.Name, kube.LabelRunID: "render-test"} {
		if got := o.GetLabels()[k]; got != want {
			t.Errorf("%s: label %s = %q, want %q", kube.Ref(o), k, got, want)
		}
	}
	stored := spec.FaultSpecOf(o.(spec.Chaos))
	d := *stored.Duration()
	if d == nil || *d != f.Duration.String() {
		t.Errorf("%s: duration %v, want %s", kube.Ref(o), d, f.Duration)
	}
	if f.NodeSelector != nil {
		a := o.(*v1alpha1.AWSChaos).Spec
		node := o.GetAnnotations()[kube.AnnotationNode]
		if a.Ec2Instance != kubetest.Instance(node) || a.AWSRegion != kubetest.Region(zones[0]) {
			t.Errorf("%s: instance %s in %s, want node %s's %s in %s", kube.Ref(o), a.Ec2Instance, a.AWSRegion, node, kubetest.Instance(node), kubetest.Region(zones[0]))
		}
		return
	}
	sel := stored.PodSelector().Selector
	if len(sel.Namespaces) != 1 || sel.Namespaces[0] != o.GetNamespace() {
		t.Errorf("%s: selector namespaces %v, want [%s]", kube.Ref(o), sel.Namespaces, o.GetNamespace())
	}
	if _, ok := sel.LabelSelectors[spec.ZoneLabel]; ok {
		t.Errorf("%s: zone still a pod label selector: %v", kube.Ref(o), sel.LabelSelectors)
	}
	if name, ok := f.Spec.PodSelector().Selector.LabelSelectors[kube.SandboxPodLabel]; ok {
		// the sandbox's petclinic-0 is the first ready pod by name
		if got := sel.Pods[o.GetNamespace()]; name != "petclinic-0" || len(got) != 1 || got[0] != "petclinic-eu-west-1a-0" {
			t.Errorf("%s: pod %q became selector.pods %v, want [petclinic-eu-west-1a-0]", kube.Ref(o), name, sel.Pods)
		}
		if _, ok := sel.LabelSelectors[kube.SandboxPodLabel]; ok {
			t.Errorf("%s: the sandbox's pod label is still selected: %v", kube.Ref(o), sel.LabelSelectors)
		}
	}
	if z, ok := f.Spec.PodSelector().Selector.LabelSelectors[spec.ZoneLabel]; ok {
		want := map[string]string{"zone-a": "eu-west-1a", "zone-b": "eu-west-1b", "zone-c": "eu-west-1c"}[z]
		if got := sel.NodeSelectors[spec.ZoneLabel]; got != want {
			t.Errorf("%s: nodeSelectors[%s] = %q, want %q (zone %s)", kube.Ref(o), spec.ZoneLabel, got, want, z)
		}
	}
}

// TestInvalidFaultIsAClearError: a fault the API server's schema rejects,
// or one this engine cannot honour, is an error naming the experiment and
// the field.
func TestInvalidFaultIsAClearError(t *testing.T) {
	t.Parallel() // each test has its own namespace
	kubetest.Need(t)
	ns := "invalid"
	build(t, petclinic(ns))
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	tests := map[string]struct {
		mutate      func(*spec.Fault)
		wantInError []string
		unsupported bool
	}{
		"an action Chaos Mesh's schema does not know": {
			mutate:      func(f *spec.Fault) { podChaos(f).Action = "pod-explode" },
			wantInError: []string{"experiment pod-kill", "spec.faults[0] (kill-one-replica)", "spec.action", "pod-explode"},
		},
		"a mode outside the schema's enum": {
			mutate:      func(f *spec.Fault) { podChaos(f).Mode = "most" },
			wantInError: []string{"experiment pod-kill", "spec.faults[0] (kill-one-replica)", "spec.mode", "most"},
		},
		"a zone the cluster does not have": {
			mutate:      func(f *spec.Fault) { podChaos(f).Selector.LabelSelectors[spec.ZoneLabel] = "zone-d" },
			wantInError: []string{"experiment pod-kill", "spec.faults[0] (kill-one-replica)", "spec.selector.labelSelectors[topology.kubernetes.io/zone]", `zone "zone-d"`, "--zone-map zone-d="},
		},
		"a zone in an expression selector": {
			mutate: func(f *spec.Fault) {
				podChaos(f).Selector.ExpressionSelectors = append(podChaos(f).Selector.ExpressionSelectors,
					metav1Req(spec.ZoneLabel, "zone-a"))
			},
			wantInError: []string{"experiment pod-kill", "spec.selector.expressionSelectors[0]"},
			unsupported: true,
		},
		"a selector no pod matches (a managed database)": {
			mutate:      func(f *spec.Fault) { podChaos(f).Selector.LabelSelectors = map[string]string{"app": "postgres"} },
			wantInError: []string{"experiment pod-kill", "spec.faults[0] (kill-one-replica)", "spec.selector selects no ready pod", "externalTargets"},
		},
		"a sandbox replica the Deployment does not have": {
			mutate:      func(f *spec.Fault) { podChaos(f).Selector.LabelSelectors["pod"] = "petclinic-9" },
			wantInError: []string{"experiment pod-kill", "spec.selector.labelSelectors[pod]", `replica "petclinic-9": the Deployment has 6 ready pods`},
		},
		"a remote cluster": {
			mutate:      func(f *spec.Fault) { podChaos(f).RemoteCluster = "other" },
			wantInError: []string{"experiment pod-kill", "spec.remoteCluster"},
			unsupported: true,
		},
		"a namespace outside the allowlist": {
			mutate:      func(f *spec.Fault) { podChaos(f).Selector.Namespaces = []string{"payments"} },
			wantInError: []string{"experiment pod-kill", "spec.selector.namespaces", `"payments"`, "--allow-namespace payments"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			x, err := spec.ValidateOptions{Journeys: load.JourneyNames()}.LoadFile(experimentsDir + "/pod-kill.yaml")
			if err != nil {
				t.Fatal(err)
			}
			tt.mutate(&x.Spec.Faults[0])
			e := newEngine(t, ns)
			_, _, err = e.Prepare(ctx, "preflight", x)
			if err == nil {
				t.Fatal("Prepare accepted the fault")
			}
			t.Logf("%v", err)
			for _, want := range tt.wantInError {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q\ndoes not contain %q", err, want)
				}
			}
			if got := errors.Is(err, engine.ErrUnsupported); got != tt.unsupported {
				t.Errorf("errors.Is(err, ErrUnsupported) = %t, want %t", got, tt.unsupported)
			}
		})
	}
}

func metav1Req(key, value string) metav1.LabelSelectorRequirement {
	return metav1.LabelSelectorRequirement{Key: key, Operator: metav1.LabelSelectorOpIn, Values: []string{value}}
}
