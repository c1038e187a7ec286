package e2e_test

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/gamedayhq/gameday/harness/internal/engine"
	"github.com/gamedayhq/gameday/harness/internal/kube"
	"github.com/gamedayhq/gameday/harness/internal/kube/kubetest"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// zonesOfNodes maps the nodes to their zones.
func zonesOfNodes(t *testing.T, ctx context.Context) map[string]string {
	t.Helper()
	var nodes corev1.NodeList
	if err := cp.Client.List(ctx, &nodes); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, n := range nodes.Items {
		out[n.Name] = n.Labels[spec.ZoneLabel]
	}
	return out
}

// prepare runs the preflight of x as e and returns its session and the
// pods the harness's selection takes for the first fault, by
// namespace/name.
func prepare(t *testing.T, ctx context.Context, e *kube.Engine, runID string, x *spec.Experiment) (*kube.Session, map[string]corev1.Pod) {
	t.Helper()
	es, pf, err := e.Prepare(ctx, runID, x)
	if err != nil {
		t.Fatalf("Prepare %s: %v (checks %+v)", x.Metadata.Name, err, pf.Checks)
	}
	s := es.(*kube.Session)
	objs, err := s.Renderer().Fault(x, runID, 0)
	if err != nil || len(objs) != 1 {
		t.Fatalf("render %s: %d objects, %v", x.Metadata.Name, len(objs), err)
	}
	return s, harnessSelects(t, ctx, objs[0])
}

// TestPodKillReplacedByTheDeployment: experiments/pod-kill.yaml through the
// engine. Chaos Mesh selects one pod among those the harness's selection
// takes and deletes it; the Deployment controller replaces it, the
// scheduler keeps the spread (the new pod lands in the victim's zone),
// kwok makes it Ready, and Observe counts one ready pod per zone again;
// Recover deletes the PodChaos once Chaos Mesh let it go.
func TestPodKillReplacedByTheDeployment(t *testing.T) {
	t.Parallel() // each test has its own namespace
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	ns := "pod-kill"
	deploy(t, ctx, kubetest.App{Namespace: ns, Replicas: 3, PDB: minAvailable(2)})
	x := experiment(t, "pod-kill")
	e := newEngine(t, ns)
	s, candidates := prepare(t, ctx, e, "run-kill", x)
	if len(candidates) != 3 {
		t.Fatalf("the harness's selection takes %v, want the 3 PetClinic pods", slices.Sorted(maps.Keys(candidates)))
	}
	in, err := s.Inject(ctx, x.Spec.Faults[0])
	if err != nil {
		t.Fatal(err)
	}
	before, ok := candidates[first(in.Targets)]
	if len(in.Targets) != 1 || !ok {
		t.Fatalf("Chaos Mesh selected %v, want one of %v (mode one)", in.Targets, slices.Sorted(maps.Keys(candidates)))
	}
	victim := in.Targets[0]
	zones := zonesOfNodes(t, ctx)
	eventually(t, ctx, "the killed pod deleted", func() string {
		p, err := pod(ctx, victim)
		if err != nil && strings.Contains(err.Error(), "not found") {
			return ""
		}
		return describe(p, err)
	})
	if err := kubetest.WaitAvailable(ctx, cp.Client, ns, "petclinic", time.Minute); err != nil {
		t.Fatal(err)
	}
	var obs engine.Observation
	eventually(t, ctx, "one ready pod per zone", func() string {
		obs, err = s.Observe(ctx)
		if err != nil {
			return err.Error()
		}
		if want := map[string]int{"eu-west-1a": 1, "eu-west-1b": 1, "eu-west-1c": 1}; !maps.Equal(obs.ReadyByZone, want) || obs.Desired != 3 {
			return "observed " + fmtObs(obs)
		}
		return ""
	})
	after, err := kubetest.ReadyPods(ctx, cp.Client, ns, kubetest.AppLabels())
	if err != nil {
		t.Fatal(err)
	}
	var replacement []string
	for _, p := range after {
		if zones[p.Spec.NodeName] == zones[before.Spec.NodeName] {
			replacement = append(replacement, ns+"/"+p.Name)
		}
	}
	if len(replacement) != 1 || replacement[0] == victim {
		t.Errorf("in the victim's zone %s: %v, want one new pod (killed %s)", zones[before.Spec.NodeName], replacement, victim)
	}
	if err := s.Recover(ctx, in); err != nil {
		t.Fatal(err)
	}
	objs, err := kube.FromRefs(in.Ref)
	if err != nil {
		t.Fatal(err)
	}
	if g := gone(ctx, objs[0]); g != "" {
		t.Errorf("after Recover: %s", g)
	}
	if err := s.Close(ctx); err != nil {
		t.Errorf("Close: %v", err)
	}
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func fmtObs(o engine.Observation) string {
	var parts []string
	for _, z := range slices.Sorted(maps.Keys(o.ReadyByZone)) {
		parts = append(parts, z+"="+itoa(o.ReadyByZone[z]))
	}
	return strings.Join(parts, " ") + " desired " + itoa(o.Desired)
}

func itoa(n int) string { return strconv.Itoa(n) }

// failure injects fault 0 of x with e, checks that Chaos Mesh selected
// exactly what the harness's selection takes (mode all) or that many of
// them (mode one), that the targets turn unready with the pause image
// (Chaos Mesh's pod-failure, kwok playing the kubelet) and Observe sees
// it, then ends the injection with end and checks that Chaos Mesh put the
// image back, the pods are Ready again and the object is gone. It returns
// the session.
func failure(t *testing.T, ctx context.Context, e *kube.Engine, x *spec.Experiment, wantTargets int,
	end func(*kube.Session, *engine.Injection) error) *kube.Session {
	t.Helper()
	ns := e.Config().Namespace
	s, candidates := prepare(t, ctx, e, "run-"+x.Metadata.Name, x)
	in, err := s.Inject(ctx, x.Spec.Faults[0])
	if err != nil {
		t.Fatal(err)
	}
	harness := slices.Sorted(maps.Keys(candidates))
	switch pc := x.Spec.Faults[0].Spec.Object().(*v1alpha1.PodChaos); pc.Spec.Mode {
	case v1alpha1.AllMode:
		if !slices.Equal(in.Targets, harness) {
			t.Errorf("Chaos Mesh selected %v, the harness %v", in.Targets, harness)
		}
	default:
		for _, tg := range in.Targets {
			if _, ok := candidates[tg]; !ok {
				t.Errorf("Chaos Mesh selected %s, not among the harness's %v", tg, harness)
			}
		}
	}
	if len(in.Targets) != wantTargets {
		t.Fatalf("Chaos Mesh selected %v, want %d pods", in.Targets, wantTargets)
	}
	for _, tg := range in.Targets {
		eventually(t, ctx, tg+" frozen by pod-failure", func() string {
			p, err := pod(ctx, tg)
			if err == nil && p.Spec.Containers[0].Image == cp.PauseImage && !kubetest.PodReady(p) {
				return ""
			}
			return describe(p, err)
		})
	}
	// Observe counts PetClinic's pods only.
	zones := zonesOfNodes(t, ctx)
	down := map[string]int{}
	app := labels.SelectorFromSet(kubetest.AppLabels())
	for _, tg := range in.Targets {
		if p := candidates[tg]; app.Matches(labels.Set(p.Labels)) {
			down[zones[p.Spec.NodeName]]++
		}
	}
	obs, err := s.Observe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	perZone := obs.Desired / len(zones)
	for _, z := range cp.Zones {
		if got, want := obs.ReadyByZone[z], perZone-down[z]; got != want {
			t.Errorf("observed %d ready in %s, want %d (%s)", got, z, want, fmtObs(obs))
		}
	}

	if err := end(s, in); err != nil {
		t.Fatal(err)
	}
	for _, tg := range in.Targets {
		eventually(t, ctx, tg+" recovered by Chaos Mesh", func() string {
			p, err := pod(ctx, tg)
			if err == nil && p.Spec.Containers[0].Image == candidates[tg].Spec.Containers[0].Image && kubetest.PodReady(p) {
				return ""
			}
			return describe(p, err)
		})
	}
	objs, err := kube.FromRefs(in.Ref)
	if err != nil {
		t.Fatal(err)
	}
	if g := gone(ctx, objs[0]); g != "" {
		t.Errorf("after the injection ended: %s", g)
	}
	if err := kubetest.WaitAvailable(ctx, cp.Client, ns, "petclinic", time.Minute); err != nil {
		t.Fatal(err)
	}
	return s
}

// closed closes s, which has nothing left to abort.
func closed(t *testing.T, ctx context.Context, s *kube.Session) {
	t.Helper()
	if err := s.Close(ctx); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// TestPodFailureInjectedAndRecovered: experiments/pod-failure.yaml
// (mode one) through the engine, ended by Recover (the PodChaos deleted)
// or by Abort (paused first: Chaos Mesh recovers a paused chaos at once;
// then deleted); either way Chaos Mesh restores the image.
func TestPodFailureInjectedAndRecovered(t *testing.T) {
	t.Parallel() // each test has its own namespace
	for ns, end := range map[string]func(*kube.Session, context.Context, *engine.Injection) error{
		"pod-failure-recover": (*kube.Session).Recover,
		"pod-failure-abort":   (*kube.Session).Abort,
	} {
		t.Run(ns, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
			defer cancel()
			deploy(t, ctx, kubetest.App{Namespace: ns, Replicas: 3, PDB: minAvailable(2)})
			s := failure(t, ctx, newEngine(t, ns), experiment(t, "pod-failure"), 1,
				func(s *kube.Session, in *engine.Injection) error { return end(s, ctx, in) })
			closed(t, ctx, s)
		})
	}
}

// TestZoneOutageAsTheShippedServiceAccount: experiments/zone-outage.yaml
// (pod-failure of every pod in zone-a, mapped to eu-west-1a) run by the
// engine as the service account of deploy/rbac/ as shipped (a token of the
// TokenRequest API, authorized by RBAC): Chaos Mesh freezes exactly the
// pods the harness's selection takes, Observe sees the zone down, and
// `gameday cleanup` of the run (what is left of a killed harness: its
// session is never closed) has Chaos Mesh recover them. Chaos Mesh's
// security mode checks the service account's rights on every create and
// update of the PodChaos.
func TestZoneOutageAsTheShippedServiceAccount(t *testing.T) {
	t.Parallel() // each test has its own namespace
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	ns := "petclinic" // the namespace of the shipped Role
	deploy(t, ctx, kubetest.App{Namespace: ns, Replicas: 6, PDB: minAvailable(3)})
	if err := cp.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "gameday"}}); err != nil {
		t.Fatal(err)
	}
	created, err := kubetest.Apply(ctx, cp.Client, rbacDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("applied %s", strings.Join(created, ", "))
	saCfg, err := cp.ServiceAccount(ctx, "gameday", "gameday-harness")
	if err != nil {
		t.Fatal(err)
	}
	sa, err := kube.NewClient(saCfg)
	if err != nil {
		t.Fatal(err)
	}
	e, err := kube.New(kube.Config{Client: sa, RESTConfig: saCfg, Namespace: ns, Allowed: []string{ns}, Poll: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	x := experiment(t, "zone-outage")
	failure(t, ctx, e, x, 2, func(_ *kube.Session, in *engine.Injection) error {
		did, err := e.Cleanup(ctx, in.RunID)
		if err == nil && len(did) != 1 {
			t.Errorf("Cleanup of %s did %q, want the one PodChaos", in.RunID, did)
		}
		return err
	})
}

// TestSelectionAgreesWithChaosMesh: for selectors of each kind Chaos Mesh
// knows, rendered by the engine and injected (pod-failure, mode all), the
// pods Chaos Mesh selected are exactly the ones the harness's own selection
// (package selector, which the preflight and the sandbox use) takes.
func TestSelectionAgreesWithChaosMesh(t *testing.T) {
	t.Parallel() // each test has its own namespace
	ctx, cancel := context.WithTimeout(t.Context(), 6*time.Minute)
	defer cancel()
	ns := "selection"
	all := intstr.FromString("100%")
	deploy(t, ctx, kubetest.App{Namespace: ns, Replicas: 6, MaxUnavailable: &all, Extra: map[string]map[string]string{"redis": {"app": "redis"}}})
	pods, err := kubetest.ReadyPods(ctx, cp.Client, ns, kubetest.AppLabels())
	if err != nil || len(pods) != 6 {
		t.Fatalf("%d ready pods, %v", len(pods), err)
	}
	// Labels and annotations the Deployment does not manage: two canaries
	// (the first two pods by name), one annotated pod (the last).
	mark := func(p *corev1.Pod, l, a map[string]string) {
		patch := client.MergeFrom(p.DeepCopy())
		p.Labels = mergeMaps(p.Labels, l)
		p.Annotations = mergeMaps(p.Annotations, a)
		if err := cp.Client.Patch(ctx, p, patch); err != nil {
			t.Fatal(err)
		}
	}
	mark(&pods[0], map[string]string{"track": "canary"}, nil)
	mark(&pods[1], map[string]string{"track": "canary"}, nil)
	mark(&pods[5], nil, map[string]string{"gameday.dev/tier": "gold"})

	cases := map[string]struct {
		sel  v1alpha1.PodSelectorSpec
		want int
	}{
		"the experiments' app label, mapped to the Deployment's selector": {
			sel: sel(map[string]string{"app": "petclinic"}), want: 6},
		"a zone in labelSelectors, rendered as a node selector": {
			sel: sel(map[string]string{"app": "petclinic", spec.ZoneLabel: "eu-west-1b"}), want: 2},
		"an expression: not the canaries": {
			sel: withExpr(sel(map[string]string{"app": "petclinic"}), metav1.LabelSelectorRequirement{Key: "track", Operator: metav1.LabelSelectorOpDoesNotExist}), want: 4},
		"an annotation": {
			sel: withAnnotations(sel(map[string]string{"app": "petclinic"}), map[string]string{"gameday.dev/tier": "gold"}), want: 1},
		"pods by name": {
			sel: v1alpha1.PodSelectorSpec{GenericSelectorSpec: v1alpha1.GenericSelectorSpec{Namespaces: []string{ns}},
				Pods: map[string][]string{ns: {pods[2].Name, pods[4].Name}}}, want: 2},
		"another Deployment's label, passed as it is": {
			sel: sel(map[string]string{"app": "redis"}), want: 1},
		"a node by name": {
			sel: v1alpha1.PodSelectorSpec{GenericSelectorSpec: v1alpha1.GenericSelectorSpec{LabelSelectors: map[string]string{"app": "petclinic"}},
				Nodes: []string{pods[3].Spec.NodeName}}, want: 2},
	}
	e := newEngine(t, ns)
	for _, name := range slices.Sorted(maps.Keys(cases)) {
		tc := cases[name]
		t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
			x := experiment(t, "pod-failure")
			x.Metadata.Name = "selection"
			pc := x.Spec.Faults[0].Spec.Object().(*v1alpha1.PodChaos)
			pc.Spec.Mode = v1alpha1.AllMode
			pc.Spec.Selector = tc.sel
			// The budget allows every pod to go (maxUnavailable 100%).
			s := failure(t, ctx, e, x, tc.want, func(s *kube.Session, in *engine.Injection) error { return s.Recover(ctx, in) })
			closed(t, ctx, s)
		})
	}
}

func sel(l map[string]string) v1alpha1.PodSelectorSpec {
	return v1alpha1.PodSelectorSpec{GenericSelectorSpec: v1alpha1.GenericSelectorSpec{LabelSelectors: l}}
}

func withExpr(s v1alpha1.PodSelectorSpec, r metav1.LabelSelectorRequirement) v1alpha1.PodSelectorSpec {
	s.ExpressionSelectors = append(s.ExpressionSelectors, r)
	return s
}

func withAnnotations(s v1alpha1.PodSelectorSpec, a map[string]string) v1alpha1.PodSelectorSpec {
	s.AnnotationSelectors = a
	return s
}

func mergeMaps(a, b map[string]string) map[string]string {
	out := maps.Clone(a)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, b)
	return out
}
