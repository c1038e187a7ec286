package kube_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gamedayhq/gameday/harness/internal/engine"
	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/kube"
	"github.com/gamedayhq/gameday/harness/internal/kube/kubetest"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// azOutage is experiments/az-outage.yaml moved to namespace ns.
func azOutage(t *testing.T, ns string) *spec.Experiment {
	t.Helper()
	x := experiment(t, "az-outage")
	inNamespace(x, ns)
	return x
}

func node(name, zone, providerID string) kube.Node {
	l := map[string]string{spec.ZoneLabel: zone}
	if zone != "" {
		l[spec.RegionLabel] = kubetest.Region(zone)
	}
	return kube.Node{Name: name, Labels: l, ProviderID: providerID}
}

// TestNodeOutageRendersOneObjectPerNode: a fault with a nodeSelector
// becomes one AWSChaos per node of the zone, each aimed at the node's
// instance (from spec.providerID) in the node's region; what cannot be
// resolved is an error naming the node or the field.
func TestNodeOutageRendersOneObjectPerNode(t *testing.T) {
	a1, a2, b1 := "aws:///eu-west-1a/i-0aaaaaaaaaaaaaaa1", "aws:///eu-west-1a/i-0aaaaaaaaaaaaaaa2", "aws:///eu-west-1b/i-0bbbbbbbbbbbbbbb1"
	zonesOf := kube.ZoneMapping(nil, spec.DefaultZones(), zones)
	tests := map[string]struct {
		nodes     []kube.Node
		region    string // spec.awsRegion
		want      []string
		wantError string
	}{
		"every node of the zone, and only those": {
			nodes: []kube.Node{node("b", "eu-west-1b", b1), node("a2", "eu-west-1a", a2), node("a1", "eu-west-1a", a1)},
			want:  []string{"a1 i-0aaaaaaaaaaaaaaa1 eu-west-1", "a2 i-0aaaaaaaaaaaaaaa2 eu-west-1"},
		},
		"spec.awsRegion wins over the node's label": {
			nodes: []kube.Node{node("a1", "eu-west-1a", a1)}, region: "eu-central-1",
			want: []string{"a1 i-0aaaaaaaaaaaaaaa1 eu-central-1"},
		},
		"a node that is no EC2 instance": {
			nodes:     []kube.Node{node("a1", "eu-west-1a", "kind://docker/kind/a1")},
			wantError: `node a1: spec.providerID "kind://docker/kind/a1" is not an EC2 instance (aws:///<zone>/i-...)`,
		},
		"a node without a region label": {
			nodes:     []kube.Node{{Name: "a1", Labels: map[string]string{spec.ZoneLabel: "eu-west-1a"}, ProviderID: a1}},
			wantError: "node a1 (zone eu-west-1a) has no topology.kubernetes.io/region label: set spec.awsRegion",
		},
		"no node in the zone": {
			nodes:     []kube.Node{node("b", "eu-west-1b", b1)},
			wantError: "nodeSelector topology.kubernetes.io/zone=eu-west-1a selects no node of the cluster",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			x := azOutage(t, "petclinic")
			if tt.region != "" {
				x.Spec.Faults[0].Spec.Object().(*v1alpha1.AWSChaos).Spec.AWSRegion = tt.region
			}
			r := &kube.Renderer{Namespace: "petclinic", Allowed: []string{"petclinic"}, Zones: zonesOf, Nodes: tt.nodes}
			objs, err := r.Fault(x, "run-1", 0)
			if tt.wantError != "" {
				if err == nil || !strings.HasSuffix(err.Error(), tt.wantError) {
					t.Fatalf("got %v, want ...%s", err, tt.wantError)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got, names []string
			for _, o := range objs {
				a := o.(*v1alpha1.AWSChaos)
				got = append(got, o.GetAnnotations()[kube.AnnotationNode]+" "+a.Spec.Ec2Instance+" "+a.Spec.AWSRegion)
				names = append(names, o.GetName())
				if *a.Spec.Duration != "1m30s" || a.Spec.Action != v1alpha1.Ec2Stop || o.GetLabels()[kube.LabelFault] != "zone-a-instances-stopped" {
					t.Errorf("got %s: duration %s, action %s, labels %v", kube.Ref(o), *a.Spec.Duration, a.Spec.Action, o.GetLabels())
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if len(slices.Compact(slices.Clone(names))) != len(names) {
				t.Errorf("got object names %v, want one name per node", names)
			}
		})
	}
	// A zone the cluster does not have says how to map it.
	x := azOutage(t, "petclinic")
	x.Spec.Faults[0].NodeSelector[spec.ZoneLabel] = "zone-d"
	_, err := (&kube.Renderer{Namespace: "petclinic", Allowed: []string{"petclinic"}, Zones: zonesOf, Nodes: []kube.Node{node("a1", "eu-west-1a", a1)}}).Fault(x, "run-1", 0)
	if err == nil || !strings.Contains(err.Error(), `nodeSelector[topology.kubernetes.io/zone]: zone "zone-d" is not a zone of the cluster (eu-west-1a, eu-west-1b, eu-west-1c): map it with --zone-map zone-d=<cluster zone>`) {
		t.Errorf("got %v, want the unknown zone named with the flag to map it", err)
	}
}

// TestNodeOutage: the zone outage of experiments/az-outage.yaml on the real
// API server: preflight resolves the two nodes of eu-west-1a and counts
// their pods against the PDB; Inject creates one AWSChaos per instance and
// waits for all (Chaos Mesh's record id of each is its AWS selector);
// Recover deletes them together; Abort pauses both first. A secretName that
// names no Secret is refused (exit 2); once the Secret exists it passes.
// Stand-in (kubetest.Controller): Chaos Mesh's AWSChaos would stop EC2
// instances, and nothing here reaches AWS.
func TestNodeOutage(t *testing.T) {
	t.Parallel() // each test has its own namespace
	kubetest.Need(t)
	ns := "az-nodes"
	cl := petclinic(ns)
	cl.NodesPerZone = 2
	build(t, cl)
	ctl := startController(t, &kubetest.Controller{Namespaces: []string{ns}})
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	e := newEngine(t, ns)

	x := azOutage(t, ns)
	s, pf, err := e.Prepare(ctx, "run-az", x)
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	for _, c := range pf.Checks {
		switch c.Name {
		case kube.CheckPDB:
			if !strings.Contains(c.Detail, "zone-a-instances-stopped: the 2 ready pods on its 2 node(s)") {
				t.Errorf("got PDB check %q, want the zone's 2 pods on its 2 nodes planned", c.Detail)
			}
		case kube.CheckCloud:
			if !strings.Contains(c.Detail, "no secretName: Chaos Mesh's controller uses its own AWS identity") {
				t.Errorf("got cloud check %q", c.Detail)
			}
		case kube.CheckZones:
			if !strings.Contains(c.Detail, "3 needed") {
				t.Errorf("got zones check %q, want 3 zones needed for a zone's nodes", c.Detail)
			}
		}
	}

	in, err := s.Inject(ctx, x.Spec.Faults[0])
	if err != nil {
		t.Fatal(err)
	}
	nodes := []string{kubetest.ZoneNode(zones[0], 0), kubetest.ZoneNode(zones[0], 1)}
	want := []string{"ec2/" + kubetest.Instance(nodes[0]), "ec2/" + kubetest.Instance(nodes[1])}
	slices.Sort(want)
	refs := strings.Split(in.Ref, ",")
	if !slices.Equal(in.Targets, want) || len(refs) != 2 {
		t.Fatalf("got targets %v (refs %s), want %v in two objects", in.Targets, in.Ref, want)
	}
	if err := s.Recover(ctx, in); err != nil {
		t.Fatal(err)
	}
	for _, ref := range refs {
		if _, err := get(t, ref); !apierrors.IsNotFound(err) {
			t.Errorf("after Recover: get %s: %v, want not found", ref, err)
		}
	}
	log := ctl.Log()
	for _, ref := range refs {
		for _, w := range []string{"inject " + ref + " 1 instances", "recover " + ref + " (deleted)", "release " + ref} {
			if !slices.Contains(log, w) {
				t.Errorf("controller did %q, want %q among it", log, w)
			}
		}
	}

	in, err = s.Inject(ctx, x.Spec.Faults[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Abort(ctx, in); err != nil {
		t.Fatal(err)
	}
	for _, ref := range strings.Split(in.Ref, ",") {
		if !slices.Contains(ctl.Log(), "recover "+ref+" (paused)") {
			t.Errorf("controller did %q, want %s paused before its deletion", ctl.Log(), ref)
		}
	}
	if err := s.Close(ctx); err != nil {
		t.Errorf("Close: %v", err)
	}

	// The credentials: a Secret that is not there, then is.
	x = azOutage(t, ns)
	x.Spec.Faults[0].Spec.Object().(*v1alpha1.AWSChaos).Spec.SecretName = new("aws-chaos")
	_, _, err = e.Prepare(ctx, "run-az-secret", x)
	if exitcode.Of(err) != exitcode.Invalid || !errors.Is(err, engine.ErrRefused) ||
		!strings.Contains(err.Error(), "spec.faults[0].spec.secretName: Secret az-nodes/aws-chaos not found: create it with the keys aws_access_key_id and aws_secret_access_key") {
		t.Fatalf("got %v (exit %d), want the missing Secret refused (exit 2)", err, exitcode.Of(err))
	}
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "aws-chaos"},
		StringData: map[string]string{"aws_access_key_id": "AKIAEXAMPLE", "aws_secret_access_key": "example"}}
	if err := env.Client.Create(ctx, sec); err != nil {
		t.Fatal(err)
	}
	_, pf, err = e.Prepare(ctx, "run-az-secret", x)
	if err != nil {
		t.Fatalf("Prepare with the Secret: %v", err)
	}
	if i := slices.IndexFunc(pf.Checks, func(c engine.Check) bool { return c.Name == kube.CheckCloud }); i < 0 || !strings.Contains(pf.Checks[i].Detail, "Secret az-nodes/aws-chaos present (its keys are not read)") {
		t.Errorf("got checks %+v, want the Secret present", pf.Checks)
	}
}
