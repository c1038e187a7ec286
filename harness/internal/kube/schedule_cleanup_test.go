package kube_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/gamedayhq/gameday/harness/internal/cli"
	"github.com/gamedayhq/gameday/harness/internal/kube"
	"github.com/gamedayhq/gameday/harness/internal/kube/kubetest"
)

// syncBuffer is a bytes.Buffer the scheduler's goroutines write while the
// test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestSchedulerRecoversACrashedLeadersChaosBeforeItsFirstFire: a leader
// died mid game day, leaving its PodChaos and load Job. The scheduler that
// takes the Lease deletes them before its first fire, and leaves alone the
// chaos of a run that is not one of its schedules' (alive, another tool's)
// and objects gameday does not manage.
func TestSchedulerRecoversACrashedLeadersChaosBeforeItsFirstFire(t *testing.T) {
	t.Parallel() // its own namespace
	kubetest.Need(t)
	const ns = "sched-crashed"
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	leftoversOf(t, ctx, ns, "20261206-100000-nightly") // the dead leader's
	alive := &v1alpha1.PodChaos{ObjectMeta: metav1.ObjectMeta{Name: "alive", Namespace: ns,
		Labels: map[string]string{kube.LabelManagedBy: kube.ManagedBy, kube.LabelRunID: "cronjob-run-1"}},
		Spec: v1alpha1.PodChaosSpec{Action: v1alpha1.PodKillAction, ContainerSelector: v1alpha1.ContainerSelector{
			PodSelector: v1alpha1.PodSelector{Mode: v1alpha1.OneMode, Selector: v1alpha1.PodSelectorSpec{GenericSelectorSpec: v1alpha1.GenericSelectorSpec{
				Namespaces: []string{ns}, LabelSelectors: map[string]string{"app": "petclinic"}}}}}}}
	if err := env.Client.Create(ctx, alive); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	exp, err := filepath.Abs(experimentsDir + "/pod-kill.yaml")
	if err != nil {
		t.Fatal(err)
	}
	schedules := filepath.Join(dir, "schedules.yaml")
	if err := os.WriteFile(schedules, []byte(`apiVersion: gameday.dev/v1alpha1
kind: Schedules
metadata:
  name: crashed
spec:
  schedules:
    - name: nightly
      cron: "* * * * * *"
      experiment: `+exp+`
      target: kubernetes
      flags:
        namespace: `+ns+`
`), 0o644); err != nil {
		t.Fatal(err)
	}
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	var out, log syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- cli.Run(sctx, []string{"gameday", "schedule", "--kubeconfig", kubeconfig(t), "--leader-elect", "--lease-namespace", ns,
			"--identity", "standby-taking-over", "--addr", "127.0.0.1:0", "--reports-dir", filepath.Join(dir, "reports"),
			"--sandbox-dir", filepath.Join(dir, "sandbox"), "--slo-dir", filepath.Join(dir, "no-slo"), schedules}, strings.NewReader(""), &out, &log)
	}()
	const firstFire = "game day starts"
	for !strings.Contains(log.String(), firstFire) {
		select {
		case err := <-done:
			t.Fatalf("the scheduler ended before its first fire: %v\n%s", err, log.String())
		case <-ctx.Done():
			t.Fatalf("no fire in 90 s:\n%s", log.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	stop()
	if err := <-done; err != nil {
		t.Errorf("scheduler: %v", err)
	}
	said := log.String()
	t.Logf("the scheduler said:\n%s", said)
	first := strings.Index(said, firstFire)
	for _, want := range []string{
		"deleted PodChaos/" + ns + "/ours (run 20261206-100000-nightly, experiment pod-kill, fault kill-one)",
		"deleted Job/" + ns + "/load-pod-kill-1 (load workers of run 20261206-100000-nightly)",
	} {
		if i := strings.Index(said, want); i < 0 || i > first {
			t.Errorf("%q not said before the first fire", want)
		}
	}
	objs, err := kube.Items(ctx, env.Client, ns, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range objs {
		names = append(names, o.GetName())
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"alive", "theirs"}) {
		t.Errorf("chaos objects left: %v, want [alive theirs]", names)
	}
	var jobs batchv1.JobList
	if err := env.Client.List(ctx, &jobs, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs.Items {
		if j.DeletionTimestamp == nil {
			t.Errorf("load Job %s left", j.Name)
		}
	}
}
