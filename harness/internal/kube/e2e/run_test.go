package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/gamedayhq/gameday/harness/internal/cli"
	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/kube"
	"github.com/gamedayhq/gameday/harness/internal/kube/kubetest"
	"github.com/gamedayhq/gameday/harness/internal/report"
)

// envCLI makes the test binary the gameday command line (its arguments
// after the program name): the load Job's containers run it.
const envCLI = "GAMEDAY_E2E_CLI"

// cliMain runs the gameday command line of os.Args.
func cliMain() int {
	err := cli.Run(context.Background(), append([]string{"gameday"}, os.Args[1:]...), os.Stdin, os.Stdout, os.Stderr)
	if err != nil {
		_, _ = os.Stderr.WriteString("gameday: " + err.Error() + "\n")
	}
	return exitcode.Of(err)
}

// TestRunWithLoadWorkers runs a whole game day through the CLI
// (testdata/short-run.yaml of the kube package: pod-failure of one
// replica for 4 s under load) with --load-workers 2: the Job controller
// creates the indexed Job's pods, the scheduler places them, kwok runs
// them and the control plane runs their container (this test binary as
// `gameday load-worker`) as local processes against a local target; the
// harness reads their results from pods/log. The real Chaos Mesh freezes
// one replica and recovers it; the report holds the workers' requests,
// the fault with the pod Chaos Mesh selected, and the ready replicas per
// zone (all three at the end); one replica was unready meanwhile.
func TestRunWithLoadWorkers(t *testing.T) {
	t.Parallel() // each test has its own namespace
	ns := "short-run"
	ctx := t.Context()
	deploy(t, ctx, kubetest.App{Namespace: ns, Replicas: 3, PDB: minAvailable(2)})
	const image = "ghcr.io/gamedayhq/gameday:e2e"
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cp.RunImage(image, kubetest.Image{Path: self, Env: []string{envCLI + "=1"}})
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer srv.Close()
	// Observations come every 5 s, the fault lasts 4 s: whether one falls
	// in it is luck. The test watches the pods itself.
	watchCtx, stopWatch := context.WithCancel(ctx)
	frozen := make(chan bool, 1)
	go func() {
		saw := false
		for watchCtx.Err() == nil && !saw {
			pods, _ := kubetest.ReadyPods(watchCtx, cp.Client, ns, kubetest.AppLabels())
			saw = len(pods) == 2
			time.Sleep(50 * time.Millisecond)
		}
		frozen <- saw
	}()
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	err = cli.Run(ctx, []string{"gameday", "run", "--kubeconfig", kubeconfig(t), "--namespace", ns, "--allow-namespace", ns,
		"--kill-switch", ns + "/gameday-kill-switch", "--target-url", srv.URL, "--reports-dir", dir, "--run-id", "e2e-1",
		"--load-workers", "2", "--load-image", image, "--load-lead", "15s", "../testdata/short-run.yaml"},
		strings.NewReader(""), &out, &errOut)
	if err != nil {
		t.Fatalf("run: exit %d: %v\n%s%s", exitcode.Of(err), err, errOut.String(), out.String())
	}
	stopWatch()
	t.Logf("%s%s", errOut.String(), out.String())
	b, err := os.ReadFile(filepath.Join(dir, "adhoc", "e2e-1", "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r report.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	t.Logf("load: %d requests, %d successes, %.1f/s; the target saw %d", r.Load.Total.Requests, r.Load.Total.Successes, r.Load.AchievedRate, hits.Load())
	// 12 s at 5/s from two workers: about 60 requests.
	if n := r.Load.Total.Requests; n < 40 || n > 70 || r.Load.Total.Successes != n {
		t.Errorf("load %+v, want about 60 requests, all successful", r.Load.Total)
	}
	if len(r.Faults) != 1 || r.Faults[0].Result == nil || len(r.Faults[0].Result.Targets) != 1 {
		t.Fatalf("faults %+v, want one with one target", r.Faults)
	}
	f := r.Faults[0].Result
	if d := f.Recovered.Sub(f.Injected); d < 2*time.Second || d > 8*time.Second {
		t.Errorf("fault %s injected %s, recovered %s later: want about 4s", f.Name, f.Injected, d)
	}
	if !<-frozen {
		t.Errorf("no PetClinic pod was frozen (pause image, unready) during the run")
	}
	last := r.Observations[len(r.Observations)-1]
	if sum(last.ReadyByZone) != 3 {
		t.Errorf("last observation %+v, want the 3 replicas ready again", last)
	}
	var jobs batchv1.JobList
	if err := cp.Client.List(ctx, &jobs, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	if len(jobs.Items) != 0 {
		t.Errorf("%d Jobs left after the run", len(jobs.Items))
	}
	if objs, _ := kube.Items(ctx, cp.Client, ns, nil); len(objs) != 0 {
		t.Errorf("%d chaos objects left after the run", len(objs))
	}
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// kubeconfig writes the cluster admin's kubeconfig for the CLI.
func kubeconfig(t *testing.T) string {
	t.Helper()
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := kubetest.WriteKubeconfig(cp.Config, "admin", kc); err != nil {
		t.Fatal(err)
	}
	return kc
}

// allReady waits until the Deployment of ns is available again and no
// pod runs the pause image (Chaos Mesh recovered every pod-failure).
func allReady(t *testing.T, ctx context.Context, ns string) {
	t.Helper()
	if err := kubetest.WaitAvailable(ctx, cp.Client, ns, "petclinic", time.Minute); err != nil {
		t.Fatal(err)
	}
	pods, err := kubetest.ReadyPods(ctx, cp.Client, ns, kubetest.AppLabels())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods {
		if img := p.Spec.Containers[0].Image; img == cp.PauseImage {
			t.Errorf("pod %s still runs %s", p.Name, img)
		}
	}
}

// injected waits until a chaos object in ns has records (Chaos Mesh
// selected and injected) and returns its ref.
func injected(ctx context.Context, ns string) (string, error) {
	for {
		objs, err := kube.Items(ctx, cp.Client, ns, nil)
		if err != nil {
			return "", err
		}
		for _, o := range objs {
			if st := o.(v1alpha1.StatefulObject).GetStatus(); len(st.Experiment.Records) > 0 {
				return kube.Ref(o), nil
			}
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("no chaos object injected in %s: %w", ns, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// TestKillSwitchAbortsARun engages the kill switch while a run's fault is
// injected by Chaos Mesh: the run aborts (exit 4), its PodChaos is paused
// then deleted, and Chaos Mesh puts the frozen pod back.
func TestKillSwitchAbortsARun(t *testing.T) {
	t.Parallel() // each test has its own namespace
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	ns := "kill-switch"
	deploy(t, ctx, kubetest.App{Namespace: ns, Replicas: 3, PDB: minAvailable(2)})
	e := newEngine(t, ns)
	go func() {
		if _, err := injected(ctx, ns); err == nil {
			e.SetKillSwitch(ctx, true)
		}
	}()
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	t0 := time.Now()
	var out, errOut bytes.Buffer
	err := cli.Run(ctx, []string{"gameday", "run", "--kubeconfig", kubeconfig(t), "--namespace", ns, "--allow-namespace", ns,
		"--kill-switch", ns + "/gameday-kill-switch", "--target-url", srv.URL, "--reports-dir", t.TempDir(),
		"../testdata/kill-switch-run.yaml"}, strings.NewReader(""), &out, &errOut)
	if got := exitcode.Of(err); got != exitcode.Aborted {
		t.Fatalf("exit %d (%v), want 4\n%s", got, err, errOut.String())
	}
	if !strings.Contains(err.Error(), "kill switch") {
		t.Errorf("error %q does not say kill switch", err)
	}
	if d := time.Since(t0); d > 30*time.Second {
		t.Errorf("the run took %s: the kill switch should stop it within seconds (the fault lasts 30 s)", d)
	}
	allReady(t, ctx, ns)
	leftNothing(t, ctx, ns)
}

// TestKilledHarnessLeavesOnlyBoundedObjects runs `gameday run` in a child
// process, SIGKILLs it once Chaos Mesh injected, and checks what is left:
// only our labelled PodChaos, carrying its duration, which Chaos Mesh
// itself ends with no harness alive (the pod comes back); then `gameday
// cleanup --target kubernetes` deletes it.
func TestKilledHarnessLeavesOnlyBoundedObjects(t *testing.T) {
	t.Parallel() // each test has its own namespace
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	ns := "killed-run"
	deploy(t, ctx, kubetest.App{Namespace: ns, Replicas: 3, PDB: minAvailable(2)})
	kc := kubeconfig(t)
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, self, "run", "--kubeconfig", kc, "--allow-namespace", ns, "--kill-switch", ns+"/gameday-kill-switch",
		"--target-url", srv.URL, "--reports-dir", t.TempDir(), "--run-id", "killed-1", "../testdata/killed-run.yaml")
	cmd.Env = append(os.Environ(), envCLI+"=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ref, err := injected(ctx, ns)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("gameday was not killed by SIGKILL: %v\n%s", cmd.ProcessState, stderr.String())
	}
	objs, err := kube.Items(ctx, cp.Client, ns, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 1 || kube.Ref(objs[0]) != ref {
		t.Fatalf("left after the kill: %d objects, want only %s", len(objs), ref)
	}
	pc := objs[0].(*v1alpha1.PodChaos)
	if l := pc.Labels; l[kube.LabelManagedBy] != "gameday" || l[kube.LabelRunID] != "killed-1" || l[kube.LabelFault] != "freeze-one" {
		t.Errorf("labels %v", l)
	}
	if pc.Spec.Duration == nil || *pc.Spec.Duration != "4s" {
		t.Errorf("duration %v, want 4s", pc.Spec.Duration)
	}
	// With no harness alive, Chaos Mesh ends the fault by its duration.
	eventually(t, ctx, "recovered by Chaos Mesh after its duration", func() string {
		var got v1alpha1.PodChaos
		if err := cp.Client.Get(ctx, client.ObjectKeyFromObject(pc), &got); err != nil {
			return err.Error()
		}
		for _, c := range got.Status.Conditions {
			if c.Type == v1alpha1.ConditionAllRecovered && c.Status == corev1.ConditionTrue {
				return ""
			}
		}
		return fmt.Sprintf("conditions %+v", got.Status.Conditions)
	})
	allReady(t, ctx, ns)

	var out, errOut bytes.Buffer
	err = cli.Run(ctx, []string{"gameday", "cleanup", "--target", "kubernetes", "--kubeconfig", kc, "--namespace", ns}, strings.NewReader(""), &out, &errOut)
	if err != nil {
		t.Fatalf("cleanup: %v\n%s", err, errOut.String())
	}
	if want := "deleted " + ref + " (run killed-1, experiment killed-run, fault freeze-one)"; !strings.Contains(out.String(), want) {
		t.Errorf("cleanup said %q, want %q", out.String(), want)
	}
	leftNothing(t, ctx, ns)
}
