package kubetest_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/gamedayhq/gameday/harness/internal/kube/kubetest"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// cp is the control plane every test of this package shares (nil when it
// cannot start here: the tests then skip, or fail under CI).
var cp *kubetest.ControlPlane

func TestMain(m *testing.M) { os.Exit(kubetest.Main(m, &cp)) }

// TestNodesInThreeZones: kwok's nodes carry the zone and region labels and
// the provider ids of EC2 instances, and are Ready and untainted.
func TestNodesInThreeZones(t *testing.T) {
	kubetest.NeedControlPlane(t)
	var nodes corev1.NodeList
	if err := cp.Client.List(t.Context(), &nodes); err != nil {
		t.Fatal(err)
	}
	var zones []string
	for _, n := range nodes.Items {
		z := n.Labels[spec.ZoneLabel]
		zones = append(zones, z)
		if want := "aws:///" + z + "/i-"; !strings.HasPrefix(n.Spec.ProviderID, want) || len(n.Spec.ProviderID) != len(want)+17 {
			t.Errorf("node %s: provider id %q, want %s<17 hex digits>", n.Name, n.Spec.ProviderID, want)
		}
		if r := n.Labels["topology.kubernetes.io/region"]; r != "eu-west-1" {
			t.Errorf("node %s: region %q, want eu-west-1", n.Name, r)
		}
		if len(n.Spec.Taints) > 0 {
			t.Errorf("node %s: taints %v", n.Name, n.Spec.Taints)
		}
	}
	slices.Sort(zones)
	if want := []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"}; !slices.Equal(zones, want) {
		t.Errorf("zones of the nodes %v, want %v", zones, want)
	}
}

// zoneOf is the zone of the node pod p runs on.
func zoneOf(t *testing.T, p corev1.Pod) string {
	t.Helper()
	var n corev1.Node
	if err := cp.Client.Get(t.Context(), client.ObjectKey{Name: p.Spec.NodeName}, &n); err != nil {
		t.Fatalf("node of pod %s: %v", p.Name, err)
	}
	return n.Labels[spec.ZoneLabel]
}

// TestPodKillByTheRealChaosMesh: a PodChaos pod-kill selecting PetClinic's
// pods in one zone is admitted by Chaos Mesh's webhooks, selected and
// injected by the real controller (the pod is deleted), the Deployment
// controller replaces the pod, the scheduler puts the new one in the same
// zone (the spread allows no other), kwok makes it Ready; deleting the
// PodChaos lets Chaos Mesh recover it and remove its finalizer.
func TestPodKillByTheRealChaosMesh(t *testing.T) {
	kubetest.NeedControlPlane(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	ns := "pod-kill"
	two := intstr.FromInt32(2)
	if err := kubetest.Deploy(ctx, cp.Client, kubetest.App{Namespace: ns, Replicas: 3, PDB: &two}); err != nil {
		t.Fatal(err)
	}
	pods, err := kubetest.ReadyPods(ctx, cp.Client, ns, kubetest.AppLabels())
	if err != nil {
		t.Fatal(err)
	}
	byZone := map[string]corev1.Pod{}
	for _, p := range pods {
		byZone[zoneOf(t, p)] = p
	}
	if len(pods) != 3 || len(byZone) != 3 {
		t.Fatalf("%d ready pods in %d zones, want 3 in 3 (the spread)", len(pods), len(byZone))
	}
	victim := byZone["eu-west-1b"]

	pc := &v1alpha1.PodChaos{
		ObjectMeta: metav1.ObjectMeta{Name: "kill-one-in-b", Namespace: ns},
		Spec: v1alpha1.PodChaosSpec{
			Action:   v1alpha1.PodKillAction,
			Duration: ptr.To("30s"),
			ContainerSelector: v1alpha1.ContainerSelector{PodSelector: v1alpha1.PodSelector{
				Mode: v1alpha1.OneMode,
				Selector: v1alpha1.PodSelectorSpec{
					GenericSelectorSpec: v1alpha1.GenericSelectorSpec{Namespaces: []string{ns}, LabelSelectors: kubetest.AppLabels()},
					NodeSelectors:       map[string]string{spec.ZoneLabel: "eu-west-1b"},
				},
			}},
		},
	}
	if err := cp.Client.Create(ctx, pc); err != nil {
		t.Fatal(err)
	}
	st := awaitChaos(ctx, t, pc, v1alpha1.ConditionAllInjected)
	var ids []string
	for _, r := range st.Experiment.Records {
		ids = append(ids, r.Id)
	}
	if want := []string{ns + "/" + victim.Name}; !slices.Equal(ids, want) {
		t.Errorf("Chaos Mesh selected %v, want %v (the pod in eu-west-1b)", ids, want)
	}

	// The pod is gone, replaced by a new one in the same zone, Ready.
	if err := kubetest.WaitAvailable(ctx, cp.Client, ns, "petclinic", time.Minute); err != nil {
		t.Fatal(err)
	}
	for {
		err := cp.Client.Get(ctx, client.ObjectKeyFromObject(&victim), &corev1.Pod{})
		if apierrors.IsNotFound(err) {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("pod %s still there after the pod-kill: %v", victim.Name, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	after, err := kubetest.ReadyPods(ctx, cp.Client, ns, kubetest.AppLabels())
	if err != nil {
		t.Fatal(err)
	}
	var replacement []string
	for _, p := range after {
		if zoneOf(t, p) == "eu-west-1b" {
			replacement = append(replacement, p.Name)
		}
	}
	if len(after) != 3 || len(replacement) != 1 || replacement[0] == victim.Name {
		t.Errorf("after the kill: %d ready pods, in eu-west-1b %v, want 3 and one new pod in eu-west-1b (killed %s)", len(after), replacement, victim.Name)
	}

	// Deleting the PodChaos: Chaos Mesh recovers and lets it go.
	if err := cp.Client.Delete(ctx, pc); err != nil {
		t.Fatal(err)
	}
	for {
		err := cp.Client.Get(ctx, client.ObjectKeyFromObject(pc), &v1alpha1.PodChaos{})
		if apierrors.IsNotFound(err) {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("PodChaos still there after its deletion: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// awaitChaos waits until the chaos object has condition c True and returns
// its status.
func awaitChaos(ctx context.Context, t *testing.T, obj *v1alpha1.PodChaos, c v1alpha1.ChaosConditionType) *v1alpha1.PodChaosStatus {
	t.Helper()
	for {
		var got v1alpha1.PodChaos
		err := cp.Client.Get(ctx, client.ObjectKeyFromObject(obj), &got)
		if err == nil {
			for _, cond := range got.Status.Conditions {
				if cond.Type == c && cond.Status == corev1.ConditionTrue {
					return &got.Status
				}
			}
		}
		if ctx.Err() != nil {
			t.Fatalf("%s of PodChaos %s/%s not True: %v, status %+v", c, obj.Namespace, obj.Name, err, got.Status)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestFailedStartLeavesNothing: when a server cannot start (here the
// scheduler, after etcd, the API server and the controller manager are up),
// the error names it and ends with its log, every process started is
// stopped and the folder is removed.
func TestFailedStartLeavesNothing(t *testing.T) {
	kubetest.NeedControlPlane(t)
	bins := t.TempDir()
	for _, b := range []string{"etcd", "kube-apiserver", "kube-controller-manager", "kwok", "chaos-controller-manager", "kwok-stages", "chaos-mesh-values.yaml"} {
		if err := os.Symlink(filepath.Join(os.Getenv("GAMEDAY_CONTROLPLANE"), b), filepath.Join(bins, b)); err != nil {
			t.Fatal(err)
		}
	}
	broken := "#!/bin/sh\necho 'scheduler: cannot start: this one is broken on purpose' >&2\nexit 3\n"
	if err := os.WriteFile(filepath.Join(bins, "kube-scheduler"), []byte(broken), 0o700); err != nil { // #nosec G306 -- a test script
		t.Fatal(err)
	}
	t.Setenv("GAMEDAY_CONTROLPLANE", bins)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	t.Setenv(kubetest.KeepEnv, "")

	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	failed, err := kubetest.StartControlPlane(ctx, kubetest.ControlPlaneConfig{})
	if err == nil {
		failed.Stop()
		t.Fatal("the control plane started with a broken scheduler")
	}
	for _, want := range []string{"kube-scheduler", "exit status 3", "broken on purpose"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	left, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range left {
		t.Errorf("left in $TMPDIR: %s", e.Name())
	}
	// No process runs with arguments in that folder (etcd's data, the
	// API server's certificates, the controller manager's kubeconfig).
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p) // #nosec G304 -- /proc
		if err == nil && strings.Contains(string(b), tmp) {
			t.Errorf("still running: %s", strings.ReplaceAll(string(b), "\x00", " "))
		}
	}
}
