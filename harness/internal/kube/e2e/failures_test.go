package e2e_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/gamedayhq/gameday/harness/internal/engine"
	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/kube"
	"github.com/gamedayhq/gameday/harness/internal/kube/kubetest"
)

// leftNothing fails t when a chaos object of the harness is left in ns.
func leftNothing(t *testing.T, ctx context.Context, ns string) {
	t.Helper()
	left, err := kube.Items(ctx, cp.Client, ns, map[string]string{kube.LabelManagedBy: kube.ManagedBy})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range left {
		t.Errorf("left in %s: %s", ns, kube.Ref(o))
	}
}

// TestChaosMeshDown: with the Chaos Mesh controller stopped (its webhooks
// still registered, as on a cluster whose controller crashed), the
// preflight's dry run cannot reach Chaos Mesh's admission webhook: the run
// is refused as an infrastructure error (exit 3) that says to check the
// controller, and nothing is left; once it runs again the same fault
// injects. Not parallel: it stops the controller every test shares.
func TestChaosMeshDown(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	ns := "controller-down"
	deploy(t, ctx, kubetest.App{Namespace: ns, Replicas: 3, PDB: minAvailable(2)})
	x := experiment(t, "pod-failure")
	e := newEngine(t, ns)
	cp.StopChaosMesh()
	restarted := false
	defer func() {
		if !restarted {
			if err := cp.StartChaosMesh(context.WithoutCancel(ctx)); err != nil {
				t.Errorf("start Chaos Mesh again: %v", err)
			}
		}
	}()
	_, _, err := e.Prepare(ctx, "run-down", x)
	t.Logf("with Chaos Mesh down: %v", err)
	if got := exitcode.Of(err); got != exitcode.Infra {
		t.Errorf("exit %d, want %d", got, exitcode.Infra)
	}
	if err == nil || !strings.Contains(err.Error(), "Chaos Mesh's admission webhook does not answer: check its controller") {
		t.Errorf("error %v does not say to check Chaos Mesh's controller", err)
	}
	leftNothing(t, ctx, ns)

	restarted = true
	if err := cp.StartChaosMesh(ctx); err != nil {
		t.Fatalf("start Chaos Mesh again: %v", err)
	}
	s := failure(t, ctx, e, x, 1, func(s *kube.Session, in *engine.Injection) error { return s.Recover(ctx, in) })
	closed(t, ctx, s)
}

// TestPreflightRefusesWhatChaosMeshRefuses: a fault Chaos Mesh's
// validating webhook rejects (here a container-kill without a container
// name, which the harness's own validation leaves to Chaos Mesh) is
// refused by the preflight's dry run with Chaos Mesh's own message, as an
// invalid experiment (exit 2), before anything is created.
func TestPreflightRefusesWhatChaosMeshRefuses(t *testing.T) {
	t.Parallel() // each test has its own namespace
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	ns := "refused"
	deploy(t, ctx, kubetest.App{Namespace: ns, Replicas: 3, PDB: minAvailable(2)})
	x := experiment(t, "pod-failure")
	pc := x.Spec.Faults[0].Spec.Object().(*v1alpha1.PodChaos)
	pc.Spec.Action = v1alpha1.ContainerKillAction
	_, _, err := newEngine(t, ns).Prepare(ctx, "run-refused", x)
	t.Logf("refused: %v", err)
	if got := exitcode.Of(err); got != exitcode.Invalid {
		t.Errorf("exit %d, want %d", got, exitcode.Invalid)
	}
	if err == nil || !strings.Contains(err.Error(), "denied the request") || !strings.Contains(err.Error(), "spec.faults[0] (freeze-one-replica)") {
		t.Errorf("error %v, want Chaos Mesh's webhook's denial naming the fault", err)
	}
	leftNothing(t, ctx, ns)
}

// TestNothingToSelect: the Deployment scaled to zero after the preflight:
// Chaos Mesh selects nothing, and Inject gives up after the grace (not
// the whole timeout) with what Chaos Mesh said, leaving nothing.
func TestNothingToSelect(t *testing.T) {
	t.Parallel() // each test has its own namespace
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	ns := "nothing-to-select"
	deploy(t, ctx, kubetest.App{Namespace: ns, Replicas: 3, PDB: minAvailable(2)})
	x := experiment(t, "pod-failure")
	e := newEngine(t, ns, func(c *kube.Config) { c.InjectTimeout, c.FailGrace = time.Minute, 2*time.Second })
	s, _ := prepare(t, ctx, e, "run-none", x)
	var dep appsv1.Deployment
	if err := cp.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "petclinic"}, &dep); err != nil {
		t.Fatal(err)
	}
	patch := client.MergeFrom(dep.DeepCopy())
	dep.Spec.Replicas = ptr.To[int32](0)
	if err := cp.Client.Patch(ctx, &dep, patch); err != nil {
		t.Fatal(err)
	}
	eventually(t, ctx, "no PetClinic pod left", func() string {
		var pods corev1.PodList
		if err := cp.Client.List(ctx, &pods, client.InNamespace(ns), client.MatchingLabels(kubetest.AppLabels())); err != nil {
			return err.Error()
		}
		if n := len(pods.Items); n > 0 {
			return itoa(n) + " pods"
		}
		return ""
	})
	t0 := time.Now()
	_, err := s.Inject(ctx, x.Spec.Faults[0])
	t.Logf("after %s: %v", time.Since(t0).Round(time.Millisecond), err)
	if !errors.Is(err, kube.ErrInjectFailed) {
		t.Fatalf("Inject: %v, want ErrInjectFailed", err)
	}
	if d := time.Since(t0); d > 30*time.Second {
		t.Errorf("Inject took %s to give up, want about the grace (2s), not the timeout (1m)", d)
	}
	leftNothing(t, ctx, ns)
}
