package kube_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/gamedayhq/gameday/harness/internal/engine"
	"github.com/gamedayhq/gameday/harness/internal/kube"
	"github.com/gamedayhq/gameday/harness/internal/kube/kubetest"
	"github.com/gamedayhq/gameday/harness/internal/load"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

func experiment(t *testing.T, name string) *spec.Experiment {
	t.Helper()
	x, err := spec.ValidateOptions{Journeys: load.JourneyNames()}.LoadFile(experimentsDir + "/" + name + ".yaml")
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// startController runs the test stand-in for Chaos Mesh on ns until the
// test ends.
func startController(t *testing.T, c *kubetest.Controller) *kubetest.Controller {
	t.Helper()
	if c.Client == nil {
		c.Client = env.Client
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := c.Start(ctx)
	t.Cleanup(func() { cancel(); <-done })
	return c
}

func get(t *testing.T, ref string) (client.Object, error) {
	t.Helper()
	o, err := kube.FromRef(ref)
	if err != nil {
		t.Fatal(err)
	}
	return o, env.Client.Get(t.Context(), client.ObjectKeyFromObject(o), o)
}

// TestInjectObserveRecover: the zone outage on a cluster of three zones.
// Stand-in (kubetest.Controller): it confirms a set 300 ms after creation,
// so that the injection time taken from the Apply events is checked, and
// its log shows the order of the calls; the real controller's zone outage
// is e2e's TestZoneOutageAsTheShippedServiceAccount.
// Inject waits for Chaos Mesh's confirmation and takes the injection time
// from the Apply events (here 300 ms after creation); the records name the
// two pods of the zone; Observe counts ready pods per zone; Recover deletes
// the object and returns once the finalizer let it go.
func TestInjectObserveRecover(t *testing.T) {
	t.Parallel() // each test has its own namespace
	kubetest.Need(t)
	ns := "lifecycle"
	build(t, petclinic(ns))
	ctl := startController(t, &kubetest.Controller{Namespaces: []string{ns}, Delay: 300 * time.Millisecond})
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()

	x := experiment(t, "zone-outage")
	e := newEngine(t, ns)
	s, _, err := e.Prepare(ctx, "run-1", x)
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	in, err := s.Inject(ctx, x.Spec.Faults[0])
	if err != nil {
		t.Fatal(err)
	}
	returned := time.Now()
	// Not before the controller's delay; not after Inject saw the
	// confirmation (+1 s: events have second precision). How late the
	// controller itself ran depends on the machine's load: logged, not bound.
	wait := in.Injected.Sub(before)
	t.Logf("injected %s after Inject was called; Inject returned after %s", wait, returned.Sub(before))
	if wait < 250*time.Millisecond || in.Injected.After(returned.Add(time.Second)) {
		t.Errorf("injected %s after Inject was called, Inject returned after %s: want at least the controller's delay (300ms) and no later than the return (events have second precision)", wait, returned.Sub(before))
	}
	want := []string{ns + "/petclinic-eu-west-1a-0", ns + "/petclinic-eu-west-1a-1"}
	if !slices.Equal(in.Targets, want) {
		t.Errorf("targets %v, want %v", in.Targets, want)
	}
	o, err := get(t, in.Ref)
	if err != nil {
		t.Fatal(err)
	}
	pc := o.(*v1alpha1.PodChaos)
	if got := pc.Spec.Selector.NodeSelectors[spec.ZoneLabel]; got != "eu-west-1a" {
		t.Errorf("node selector zone %q, want eu-west-1a", got)
	}
	if got := *pc.Spec.Duration; got != "45s" {
		t.Errorf("duration %q, want 45s", got)
	}

	// The zone is down: its pods are not ready (Chaos Mesh's pod-failure
	// makes them so; here the test does).
	for _, p := range in.Targets {
		if err := kubetest.SetPodReady(ctx, env.Client, ns, strings.TrimPrefix(p, ns+"/"), false); err != nil {
			t.Fatal(err)
		}
	}
	obs, err := s.Observe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := obs.ReadyByZone; got["eu-west-1a"] != 0 || got["eu-west-1b"] != 2 || got["eu-west-1c"] != 2 || obs.Desired != 6 {
		t.Errorf("observed %v desired %d, want eu-west-1a=0 eu-west-1b=2 eu-west-1c=2 desired 6", got, obs.Desired)
	}

	if err := s.Recover(ctx, in); err != nil {
		t.Fatal(err)
	}
	if _, err := get(t, in.Ref); !apierrors.IsNotFound(err) {
		t.Errorf("after Recover: get %s: %v, want not found", in.Ref, err)
	}
	if in.Recovered.Before(in.Injected) {
		t.Errorf("recovered %s before injected %s", in.Recovered, in.Injected)
	}
	if err := s.Recover(ctx, in); err != nil {
		t.Errorf("second Recover: %v", err)
	}
	if err := s.Close(ctx); err != nil {
		t.Errorf("Close after every fault recovered: %v", err)
	}
	wantLog := []string{"inject " + in.Ref + " 2 pods", "recover " + in.Ref + " (deleted)", "release " + in.Ref}
	if got := ctl.Log(); !slices.Equal(got, wantLog) {
		t.Errorf("controller did %q, want %q", got, wantLog)
	}
}

// TestAbortPausesThenDeletes: Abort sets the pause annotation first (Chaos
// Mesh recovers a paused chaos at once), then deletes the object.
// Stand-in: the order is read from its log; e2e's pod-failure-abort shows
// the real controller recovering the pod.
func TestAbortPausesThenDeletes(t *testing.T) {
	t.Parallel() // each test has its own namespace
	kubetest.Need(t)
	ns := "abort"
	build(t, petclinic(ns))
	ctl := startController(t, &kubetest.Controller{Namespaces: []string{ns}})
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	x := experiment(t, "pod-failure")
	e := newEngine(t, ns)
	s, _, err := e.Prepare(ctx, "run-abort", x)
	if err != nil {
		t.Fatal(err)
	}
	in, err := s.Inject(ctx, x.Spec.Faults[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Abort(ctx, in); err != nil {
		t.Fatal(err)
	}
	if _, err := get(t, in.Ref); !apierrors.IsNotFound(err) {
		t.Errorf("after Abort: get %s: %v, want not found", in.Ref, err)
	}
	// The stand-in logs its release once its Update returned, which can be
	// after Abort saw the object gone: the log is read until it has as many
	// entries as wanted (5 s at most).
	wantLog := []string{"inject " + in.Ref + " 1 pods", "recover " + in.Ref + " (paused)", "release " + in.Ref}
	got := ctl.Log()
	for deadline := time.Now().Add(5 * time.Second); len(got) < len(wantLog) && time.Now().Before(deadline); got = ctl.Log() {
		time.Sleep(20 * time.Millisecond)
	}
	if !slices.Equal(got, wantLog) {
		t.Errorf("controller did %q, want %q", got, wantLog)
	}
}

// TestInjectNotConfirmedTimesOut: without Chaos Mesh confirming, Inject
// gives up after InjectTimeout, deletes the object and says why. Stand-in:
// a controller that admits but never injects (see
// TestInterruptWhileAwaitingInjection).
func TestInjectNotConfirmedTimesOut(t *testing.T) {
	t.Parallel() // each test has its own namespace
	kubetest.Need(t)
	ns := "timeout"
	build(t, petclinic(ns))
	// Chaos Mesh's controller is "down" for injections but still releases
	// finalizers, as after a restart.
	startController(t, &kubetest.Controller{Namespaces: []string{ns}, Ignore: func(client.Object) bool { return true }})
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	x := experiment(t, "pod-kill")
	e := newEngine(t, ns, func(c *kube.Config) { c.InjectTimeout = time.Second })
	s, _, err := e.Prepare(ctx, "run-timeout", x)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	_, err = s.Inject(ctx, x.Spec.Faults[0])
	if !errors.Is(err, kube.ErrNotConfirmed) {
		t.Fatalf("Inject: %v, want ErrNotConfirmed", err)
	}
	if d := time.Since(t0); d > 5*time.Second {
		t.Errorf("Inject took %s with a 1s timeout", d)
	}
	failedCleanly(t, ctx, ns, err, "within 1s", "Chaos Mesh controller running", "AllInjected=false")
}

// failedCleanly checks that a failed injection's error says every one of
// want and that no object of ours is left in ns.
func failedCleanly(t *testing.T, ctx context.Context, ns string, err error, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
	left, err := kube.Items(ctx, env.Client, ns, map[string]string{kube.LabelManagedBy: kube.ManagedBy})
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("%d objects left after a failed injection", len(left))
	}
}

var _ = engine.ErrUnsupported

// TestInjectFailsFastOnADefiniteFailure: when Chaos Mesh says it cannot
// inject (a Failed Apply event), Inject gives up after the grace, not the
// whole timeout, with Chaos Mesh's message, and deletes the object.
// Stand-in: pod-failure cannot fail on kwok's pods; the real controller's
// other definite failure, nothing selected, is e2e's TestNothingToSelect.
func TestInjectFailsFastOnADefiniteFailure(t *testing.T) {
	t.Parallel() // each test has its own namespace
	kubetest.Need(t)
	for _, tc := range []struct {
		name string
		fail string // the controller's failure message
		want []string
	}{
		{name: "failfailed", fail: "pod-failure: container runtime: permission denied",
			want: []string{"the injection failed", "Apply", "permission denied"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ns := tc.name
			build(t, petclinic(ns))
			startController(t, &kubetest.Controller{Namespaces: []string{ns}, Fail: func(client.Object) string { return tc.fail }})
			ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
			defer cancel()
			x := experiment(t, "pod-failure")
			e := newEngine(t, ns, func(c *kube.Config) { c.InjectTimeout, c.FailGrace = 30*time.Second, 500*time.Millisecond })
			s, _, err := e.Prepare(ctx, "run-"+tc.name, x)
			if err != nil {
				t.Fatal(err)
			}
			t0 := time.Now()
			_, err = s.Inject(ctx, x.Spec.Faults[0])
			if !errors.Is(err, kube.ErrInjectFailed) {
				t.Fatalf("Inject: %v, want ErrInjectFailed", err)
			}
			t.Logf("gave up after %s: %v", time.Since(t0).Round(time.Millisecond), err)
			if d := time.Since(t0); d > 5*time.Second {
				t.Errorf("Inject took %s to give up, want about the grace (500ms), not the timeout (30s)", d)
			}
			failedCleanly(t, ctx, ns, err, tc.want...)
		})
	}
}
