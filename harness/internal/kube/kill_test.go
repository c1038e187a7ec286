package kube_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"

	"github.com/gamedayhq/gameday/harness/internal/cli"
	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/kube"
	"github.com/gamedayhq/gameday/harness/internal/kube/kubetest"
)

// envChild makes the test binary a gameday process: its value is the JSON
// array of arguments.
const envChild = "GAMEDAY_KUBE_TEST_CHILD"

// childMain runs the gameday command line of $GAMEDAY_KUBE_TEST_CHILD.
func childMain() int {
	var args []string
	if err := json.Unmarshal([]byte(os.Getenv(envChild)), &args); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	err := cli.Run(context.Background(), args, os.Stdin, os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "gameday: %s\n", err)
	}
	return exitcode.Of(err)
}

// TestKilledHarnessLeavesOnlyBoundedObjects runs `gameday run` in a child
// process, SIGKILLs it once Chaos Mesh (the test controller) confirmed the
// injection, and checks what is left: only our labelled object, carrying
// its duration, which Chaos Mesh recovers when the duration has elapsed
// with no harness alive; then `gameday cleanup --target kubernetes`
// deletes it.
func TestKilledHarnessLeavesOnlyBoundedObjects(t *testing.T) {
	t.Parallel() // each test has its own namespace
	kubetest.Need(t)
	ns := "killed-run"
	build(t, petclinic(ns))
	ctl := startController(t, &kubetest.Controller{Namespaces: []string{ns}})
	kc := kubeconfig(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()

	args, _ := json.Marshal([]string{"gameday", "run", "--kubeconfig", kc, "--allow-namespace", ns, "--kill-switch", ns + "/gameday-kill-switch",
		"--target-url", srv.URL, "--reports-dir", t.TempDir(), "--run-id", "killed-1", "testdata/killed-run.yaml"})
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envChild+"="+string(args))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	// Wait for the injection, then kill the harness.
	var ref string
	for ref == "" {
		select {
		case err := <-exited:
			t.Fatalf("gameday exited before the injection: %v\n%s", err, stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
		objs, err := kube.Items(ctx, env.Client, ns, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			if st := o.(v1alpha1.StatefulObject).GetStatus(); len(st.Experiment.Records) > 0 {
				ref = kube.Ref(o)
			}
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := <-exited
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("gameday was not killed by SIGKILL: %v", err)
	}

	// Only our object is left, labelled and bounded by its duration.
	objs, err := kube.Items(ctx, env.Client, ns, nil)
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

	// With no harness alive, the duration ends the fault.
	recovered := "recover " + ref + " (duration elapsed)"
	deadline := time.Now().Add(10 * time.Second)
	for !slices.Contains(ctl.Log(), recovered) {
		if time.Now().After(deadline) {
			t.Fatalf("not recovered by its duration: controller log %q", ctl.Log())
		}
		time.Sleep(100 * time.Millisecond)
	}

	// gameday cleanup deletes it.
	var out, errOut bytes.Buffer
	err = cli.Run(ctx, []string{"gameday", "cleanup", "--target", "kubernetes", "--kubeconfig", kc, "--namespace", ns}, strings.NewReader(""), &out, &errOut)
	if err != nil {
		t.Fatalf("cleanup: %v\n%s", err, errOut.String())
	}
	if want := "deleted " + ref + " (run killed-1, experiment killed-run, fault freeze-one)"; !strings.Contains(out.String(), want) {
		t.Errorf("cleanup said %q, want %q", out.String(), want)
	}
	if objs, _ := kube.Items(ctx, env.Client, ns, nil); len(objs) != 0 {
		t.Errorf("%d objects left after cleanup", len(objs))
	}
	t.Logf("cleanup: %s", strings.TrimSpace(out.String()))
}

// TestKillSwitchUnreadableStopsTheRun: a kill switch the harness may not
// read stops the run after KillSwitchFailures reads in a row, naming the
// error; each failure is logged.
func TestKillSwitchUnreadableStopsTheRun(t *testing.T) {
	t.Parallel()
	kubetest.Need(t)
	cfg, err := env.User("no-rights") // no RBAC binding: every read is forbidden
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kube.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	e, err := kube.New(kube.Config{Client: cl, RESTConfig: cfg, Namespace: "default", KillSwitch: "gameday/gameday-kill-switch", Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	t0 := time.Now()
	st := e.KillSwitchWatch(50 * time.Millisecond)(ctx)
	if st == nil {
		t.Fatal("the watch ran until its context ended: an unreadable kill switch did not stop the run")
	}
	t.Logf("stopped after %s: %s\nlog:\n%s", time.Since(t0).Round(time.Millisecond), st.Reason, log.String())
	if d := time.Since(t0); d > 5*time.Second {
		t.Errorf("stopped after %s, want about %d reads of 50ms", d, kube.KillSwitchFailures)
	}
	for _, want := range []string{"gameday/gameday-kill-switch unreadable 5 times in a row", "forbidden", "no kill switch"} {
		if !strings.Contains(st.Reason, want) {
			t.Errorf("stop reason %q does not say %q", st.Reason, want)
		}
	}
	if n := strings.Count(log.String(), "gameday: kill switch: "); n != kube.KillSwitchFailures {
		t.Errorf("%d failures logged, want %d:\n%s", n, kube.KillSwitchFailures, log.String())
	}
}
