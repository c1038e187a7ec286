package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
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
// zone (one fewer while the fault is on).
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
	dir := t.TempDir()
	kc := filepath.Join(dir, "kubeconfig")
	if err := kubetest.WriteKubeconfig(cp.Config, "admin", kc); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	err = cli.Run(ctx, []string{"gameday", "run", "--kubeconfig", kc, "--namespace", ns, "--allow-namespace", ns,
		"--kill-switch", ns + "/gameday-kill-switch", "--target-url", srv.URL, "--reports-dir", dir, "--run-id", "e2e-1",
		"--load-workers", "2", "--load-image", image, "--load-lead", "15s", "../testdata/short-run.yaml"},
		strings.NewReader(""), &out, &errOut)
	if err != nil {
		t.Fatalf("run: exit %d: %v\n%s%s", exitcode.Of(err), err, errOut.String(), out.String())
	}
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
	down := 0
	for _, o := range r.Observations {
		if sum(o.ReadyByZone) == 2 && o.At.After(f.Injected) && o.At.Before(f.Recovered) {
			down++
		}
	}
	if down == 0 {
		t.Errorf("no observation while the fault was on has 2 ready replicas: %+v", r.Observations)
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
