package kube_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/gamedayhq/gameday/harness/internal/cli"
	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/kube"
	"github.com/gamedayhq/gameday/harness/internal/kube/kubetest"
	"github.com/gamedayhq/gameday/harness/internal/report"
)

// runCLI runs `gameday run` on testdata/short-run.yaml in namespace ns and
// returns the error and the report.
func runCLI(t *testing.T, ns string, extra ...string) (error, *report.Report, string) {
	t.Helper()
	return runCLIFile(t, ns, "testdata/short-run.yaml", extra...)
}

func runCLIFile(t *testing.T, ns, file string, extra ...string) (error, *report.Report, string) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer srv.Close()
	dir := t.TempDir()
	args := append([]string{"gameday", "run", "--kubeconfig", kubeconfig(t), "--namespace", ns, "--allow-namespace", ns,
		"--kill-switch", ns + "/gameday-kill-switch", "--target-url", srv.URL, "--reports-dir", dir, "--run-id", ns + "-1"}, extra...)
	args = append(args, file)
	var out, errOut bytes.Buffer
	err := cli.Run(t.Context(), args, strings.NewReader(""), &out, &errOut)
	b, rerr := os.ReadFile(filepath.Join(dir, "adhoc", ns+"-1", "report.json"))
	if rerr != nil {
		t.Fatalf("report: %v (run: %v)\n%s", rerr, err, errOut.String())
	}
	var r report.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return err, &r, errOut.String() + out.String()
}

// TestRunOnKubernetes runs a whole game day through the CLI against
// envtest. Stand-in (kubetest.Controller): its Apply events come a set
// 500 ms after creation, so the injection time the report takes from them
// is checked; the real controller's whole run is e2e's
// TestRunWithLoadWorkers: preflight in the report, the fault injected at the time of
// Chaos Mesh's Apply event and recovered by deletion, the ready replicas
// per zone in the report's observations.
func TestRunOnKubernetes(t *testing.T) {
	t.Parallel() // each test has its own namespace
	kubetest.Need(t)
	ns := "short-run"
	build(t, petclinic(ns))
	ctl := startController(t, &kubetest.Controller{Namespaces: []string{ns}, Delay: 500 * time.Millisecond})
	err, r, out := runCLI(t, ns)
	if err != nil {
		t.Fatalf("run: exit %d: %v\n%s", exitcode.Of(err), err, out)
	}
	if r.Target.Engine != "kubernetes" || r.Target.Kind != "kubernetes" {
		t.Errorf("target %+v", r.Target)
	}
	var checks []string
	for _, c := range r.Preflight.Checks {
		checks = append(checks, c.Name)
	}
	for _, want := range []string{kube.CheckNamespaceAllowed, kube.CheckZones, kube.CheckPDB, kube.CheckChaosMesh, kube.CheckRender} {
		if !slices.Contains(checks, want) {
			t.Errorf("report preflight has no check %q: %q", want, checks)
		}
	}
	if len(r.Faults) != 1 {
		t.Fatalf("%d faults in the report", len(r.Faults))
	}
	if len(r.Observations) < 2 {
		t.Fatalf("%d observations, want at least 2 (start, every 5s, end)", len(r.Observations))
	}
	if b, err := json.Marshal(r.Observations[0]); err == nil {
		t.Logf("first observation: %s", b)
	}
	for _, o := range r.Observations {
		if o.ReadyByZone["eu-west-1a"] != 2 || o.ReadyByZone["eu-west-1b"] != 2 || o.ReadyByZone["eu-west-1c"] != 2 || o.Desired != 6 {
			t.Errorf("observation %+v, want 2 ready in each of eu-west-1a/b/c, desired 6", o)
		}
	}
	log := ctl.Log()
	// The harness deletes the object at the fault's end, when Chaos Mesh's
	// own count of the duration (from creation) ends it too: either may
	// recover first.
	if len(log) != 3 || !strings.HasPrefix(log[0], "inject PodChaos/short-run/freeze-one-") ||
		!(strings.Contains(log[1], "(deleted)") || strings.Contains(log[1], "(duration elapsed)")) || !strings.HasPrefix(log[2], "release ") {
		t.Errorf("controller log %q, want inject, recover, release", log)
	}
	// Planned from the run's start: injected at +2s (confirmed after the
	// controller's 500ms; measured +4.9s on a busy machine), recovered at +6s. Chaos
	// Mesh's event timestamps have a precision of one second; the upper
	// bounds are generous, the figures logged.
	if f := r.Faults[0].Result; f == nil || f.Injected.IsZero() || f.Recovered.IsZero() {
		t.Errorf("fault result %+v: want injected and recovered", f)
	} else {
		injected, recovered := f.Injected.Sub(r.Timings.Start), f.Recovered.Sub(r.Timings.Start)
		t.Logf("fault %s: targets %v, injected at +%s, recovered at +%s (planned +2s, +6s)", f.Name, f.Targets, injected, recovered)
		if injected < time.Second || injected >= recovered || recovered < 5*time.Second || recovered > 9*time.Second {
			t.Errorf("fault injected at +%s and recovered at +%s, want about +2.5s and +6s (injected from +1s, before the recovery; recovered +5..9s)", injected, recovered)
		}
	}
	t.Logf("%s", out)
}

// TestLoadJobWorkersThatNeverStart: with --load-workers, the run creates
// the indexed Job and waits --load-lead for its pods; on envtest no pod
// ever runs (no Job controller, no kubelet), so the run stops before any
// fault as inconclusive (exit 3), says what to check, and deletes the Job.
// The stand-in only stands by: no fault may be injected without load.
func TestLoadJobWorkersThatNeverStart(t *testing.T) {
	t.Parallel() // each test has its own namespace
	kubetest.Need(t)
	ns := "job-load"
	build(t, petclinic(ns))
	startController(t, &kubetest.Controller{Namespaces: []string{ns}})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer srv.Close()
	var out, errOut bytes.Buffer
	err := cli.Run(t.Context(), []string{"gameday", "run", "--kubeconfig", kubeconfig(t), "--namespace", ns, "--allow-namespace", ns,
		"--kill-switch", ns + "/gameday-kill-switch", "--target-url", srv.URL, "--reports-dir", t.TempDir(),
		"--load-workers", "2", "--load-image", "ghcr.io/gamedayhq/gameday:test", "--load-lead", "2s", "testdata/short-run.yaml"},
		strings.NewReader(""), &out, &errOut)
	if got := exitcode.Of(err); got != exitcode.Infra {
		t.Fatalf("exit %d (%v), want 3", got, err)
	}
	for _, want := range []string{"start the load", "0 of 2 workers running", "kubectl -n job-load describe job load-short-run-"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	var jobs batchv1.JobList
	if err := env.Client.List(t.Context(), &jobs, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	if len(jobs.Items) != 0 {
		t.Errorf("%d Jobs left", len(jobs.Items))
	}
	if objs, _ := kube.Items(t.Context(), env.Client, ns, nil); len(objs) != 0 {
		t.Errorf("%d chaos objects: no fault may be injected without load", len(objs))
	}
}

// TestInterruptWhileAwaitingInjection (stand-in: a controller that admits
// the object but never injects; the real one's webhooks and reconcilers are
// one process, down together, which e2e's TestChaosMeshDown covers): SIGINT (the context cancelled)
// while gameday waits for Chaos Mesh's confirmation aborts the run (exit
// 4, not inconclusive) and leaves no object.
func TestInterruptWhileAwaitingInjection(t *testing.T) {
	t.Parallel() // each test has its own namespace
	kubetest.Need(t)
	ns := "interrupted"
	build(t, petclinic(ns))
	startController(t, &kubetest.Controller{Namespaces: []string{ns}, Ignore: func(client.Object) bool { return true }})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(t.Context())
	go func() { // "SIGINT" once the object exists
		for {
			if objs, _ := kube.Items(ctx, env.Client, ns, nil); len(objs) > 0 {
				cancel()
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	var out, errOut bytes.Buffer
	err := cli.Run(ctx, []string{"gameday", "run", "--kubeconfig", kubeconfig(t), "--namespace", ns, "--allow-namespace", ns,
		"--kill-switch", ns + "/gameday-kill-switch", "--target-url", srv.URL, "--reports-dir", t.TempDir(), "--inject-timeout", "30s",
		"testdata/short-run.yaml"}, strings.NewReader(""), &out, &errOut)
	if got := exitcode.Of(err); got != exitcode.Aborted {
		t.Fatalf("exit %d (%v), want 4\n%s", got, err, out.String())
	}
	if objs, _ := kube.Items(t.Context(), env.Client, ns, nil); len(objs) != 0 {
		t.Errorf("%d objects left", len(objs))
	}
}

// TestRunInjectionFailedByChaosMesh (stand-in: pod-failure cannot fail on
// kwok's pods, there is no container runtime to refuse it): Chaos Mesh
// records a Failed Apply event: the run gives up after the 5 s grace, not the 60 s inject
// timeout, and is inconclusive (exit 3) with Chaos Mesh's message.
func TestRunInjectionFailedByChaosMesh(t *testing.T) {
	t.Parallel() // each test has its own namespace
	kubetest.Need(t)
	ns := "inject-failed"
	build(t, petclinic(ns))
	startController(t, &kubetest.Controller{Namespaces: []string{ns}, Fail: func(client.Object) string { return "pod-failure: container runtime: permission denied" }})
	t0 := time.Now()
	err, r, _ := runCLI(t, ns)
	if got := exitcode.Of(err); got != exitcode.Infra {
		t.Fatalf("exit %d (%v), want 3", got, err)
	}
	t.Logf("after %s: %v", time.Since(t0).Round(time.Second), err)
	for _, want := range []string{"Chaos Mesh failed to inject", "permission denied"} {
		if !strings.Contains(err.Error(), want) || !strings.Contains(r.StopReason, want) {
			t.Errorf("error %q, stop reason %q: want both to say %q", err, r.StopReason, want)
		}
	}
	if d := time.Since(t0); d > 20*time.Second {
		t.Errorf("the run took %s: it waited for the inject timeout", d)
	}
	if objs, _ := kube.Items(t.Context(), env.Client, ns, nil); len(objs) != 0 {
		t.Errorf("%d objects left", len(objs))
	}
}
