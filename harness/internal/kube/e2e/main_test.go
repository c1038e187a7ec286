// Package e2e_test runs the Kubernetes engine end to end against a control
// plane on this machine (kubetest.ControlPlane: etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler, kwok's nodes in three zones) and
// the real Chaos Mesh controller: Chaos Mesh selects, injects and recovers,
// the Deployment controller replaces, kwok makes pods Ready. No test here
// uses kubetest.Controller, the stand-in for Chaos Mesh.
package e2e_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/gamedayhq/gameday/harness/internal/kube"
	"github.com/gamedayhq/gameday/harness/internal/kube/kubetest"
	"github.com/gamedayhq/gameday/harness/internal/load"
	"github.com/gamedayhq/gameday/harness/internal/selector"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

const (
	experimentsDir = "../../../../experiments"
	rbacDir        = "../../../deploy/rbac"
)

// cp is the control plane every test of this package shares (nil when it
// cannot start here: the tests then skip, or fail under CI).
var cp *kubetest.ControlPlane

func TestMain(m *testing.M) {
	if os.Getenv(envCLI) != "" {
		os.Exit(cliMain())
	}
	os.Exit(kubetest.Main(m, &cp))
}

func experiment(t *testing.T, name string) *spec.Experiment {
	t.Helper()
	x, err := spec.ValidateOptions{Journeys: load.JourneyNames()}.LoadFile(experimentsDir + "/" + name + ".yaml")
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// deploy installs PetClinic in ns (replicas spread over the three zones,
// a budget allowing pdb) and waits until every replica is Ready.
func deploy(t *testing.T, ctx context.Context, app kubetest.App) {
	t.Helper()
	kubetest.NeedControlPlane(t)
	if err := kubetest.Deploy(ctx, cp.Client, app); err != nil {
		t.Fatalf("deploy PetClinic in %s: %v", app.Namespace, err)
	}
}

func minAvailable(n int32) *intstr.IntOrString { v := intstr.FromInt32(n); return &v }

// newEngine is an engine on namespace ns as the cluster admin.
func newEngine(t *testing.T, ns string, mod ...func(*kube.Config)) *kube.Engine {
	t.Helper()
	return kubetest.Engine(t, cp.Config, ns, 100*time.Millisecond, mod...)
}

// harnessSelects is what the harness's own selection (package selector,
// as the preflight counts) takes from the ready pods for the PodChaos obj
// the engine rendered: the pods it matches, by namespace/name.
func harnessSelects(t *testing.T, ctx context.Context, obj client.Object) map[string]corev1.Pod {
	t.Helper()
	pc, ok := obj.(*v1alpha1.PodChaos)
	if !ok {
		t.Fatalf("rendered %T, want a PodChaos", obj)
	}
	var nodes corev1.NodeList
	if err := cp.Client.List(ctx, &nodes); err != nil {
		t.Fatal(err)
	}
	nodeLabels := map[string]labels.Set{}
	for _, n := range nodes.Items {
		nodeLabels[n.Name] = n.Labels
	}
	out := map[string]corev1.Pod{}
	for _, ns := range pc.Spec.Selector.Namespaces {
		var pods corev1.PodList
		if err := cp.Client.List(ctx, &pods, client.InNamespace(ns)); err != nil {
			t.Fatal(err)
		}
		for i := range pods.Items {
			p := &pods.Items[i]
			if p.DeletionTimestamp == nil && kubetest.PodReady(p) && selector.Matches(pc.Spec.Selector, kube.SelectorPod(p, nodeLabels[p.Spec.NodeName])) {
				out[p.Namespace+"/"+p.Name] = *p
			}
		}
	}
	return out
}

// pod reads pod ns/name.
func pod(ctx context.Context, ref string) (*corev1.Pod, error) {
	ns, name, _ := strings.Cut(ref, "/")
	var p corev1.Pod
	err := cp.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &p)
	return &p, err
}

// eventually polls cond every 100 ms until it returns "" (done) or ctx
// ends; then it fails t with what cond last said.
func eventually(t *testing.T, ctx context.Context, what string, cond func() string) {
	t.Helper()
	for {
		last := cond()
		if last == "" {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: still %s", what, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// describe says a pod's image and readiness, for a failure message.
func describe(p *corev1.Pod, err error) string {
	if err != nil {
		return err.Error()
	}
	img := ""
	if len(p.Spec.Containers) > 0 {
		img = p.Spec.Containers[0].Image
	}
	return fmt.Sprintf("pod %s/%s image %s ready %t", p.Namespace, p.Name, img, kubetest.PodReady(p))
}

// gone says "" once obj is deleted (its finalizers released).
func gone(ctx context.Context, obj client.Object) string {
	err := cp.Client.Get(ctx, client.ObjectKeyFromObject(obj), obj)
	if apierrors.IsNotFound(err) {
		return ""
	}
	return fmt.Sprintf("%T %s/%s present (finalizers %v, err %v)", obj, obj.GetNamespace(), obj.GetName(), obj.GetFinalizers(), err)
}
