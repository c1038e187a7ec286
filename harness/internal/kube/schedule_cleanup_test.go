package kube_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
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

	schedules := schedulesFile(t, ns, "crashed", "nightly", "* * * * * *")
	sched := startScheduler(t, ctx, schedules, ns, "standby-taking-over")
	const firstFire = "game day starts"
	sched.waitLog(t, ctx, firstFire)
	if err := sched.stop(); err != nil {
		t.Errorf("scheduler: %v", err)
	}
	said := sched.log.String()
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

// schedulesFile writes a schedules file (metadata.name name) with one
// schedule, sched, firing pod-kill on cron on the kubernetes target in
// namespace ns.
func schedulesFile(t *testing.T, ns, name, sched, cron string) string {
	t.Helper()
	exp, err := filepath.Abs(experimentsDir + "/pod-kill.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "schedules.yaml")
	if err := os.WriteFile(p, []byte(`apiVersion: gameday.dev/v1alpha1
kind: Schedules
metadata:
  name: `+name+`
spec:
  schedules:
    - name: `+sched+`
      cron: "`+cron+`"
      experiment: `+exp+`
      target: kubernetes
      flags:
        namespace: `+ns+`
`), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// scheduler is a gameday schedule --leader-elect running in this process.
type scheduler struct {
	log  *syncBuffer
	stop func() error
}

// startScheduler starts replica id of the schedules, its Lease and pod
// (created here, as the Deployment would) in namespace ns; extra are more
// flags of gameday schedule.
func startScheduler(t *testing.T, ctx context.Context, schedules, ns, id string, extra ...string) *scheduler {
	t.Helper()
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: id, Namespace: ns, Labels: map[string]string{"app.kubernetes.io/component": "scheduler"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "scheduler", Image: "ghcr.io/gamedayhq/gameday:test"}}}}
	if err := env.Client.Create(ctx, pod); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sctx, cancel := context.WithCancel(ctx)
	s := &scheduler{log: &syncBuffer{}}
	done := make(chan error, 1)
	go func() {
		done <- cli.Run(sctx, append([]string{"gameday", "schedule", "--kubeconfig", kubeconfig(t), "--leader-elect", "--lease-namespace", ns,
			"--identity", id, "--leader-label-pod", id, "--addr", "127.0.0.1:0", "--reports-dir", filepath.Join(dir, "reports"),
			"--sandbox-dir", filepath.Join(dir, "sandbox"), "--slo-dir", filepath.Join(dir, "no-slo")}, append(extra, schedules)...), strings.NewReader(""), io.Discard, s.log)
	}()
	var once sync.Once
	var err error
	s.stop = func() error {
		once.Do(func() { cancel(); err = <-done })
		return err
	}
	t.Cleanup(func() { s.stop() })
	return s
}

// url is the scheduler's web UI, from its log.
func (s *scheduler) url(t *testing.T, ctx context.Context) string {
	t.Helper()
	s.waitLog(t, ctx, "url=http://")
	out := s.log.String()
	return strings.Fields(out[strings.Index(out, "url=")+len("url="):])[0]
}

// leaderLabel is the leader label of pod ns/name ("" without it).
func leaderLabel(t *testing.T, ctx context.Context, ns, name string) string {
	t.Helper()
	var pod corev1.Pod
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &pod); err != nil {
		t.Fatal(err)
	}
	return pod.Labels[cli.LabelLeader]
}

// TestOnlyTheLeadersPodIsLabelled: the UI Service routes to the pod
// labelled gameday.dev/scheduler-leader=true (the chart); the label is on
// the Lease holder's pod only, moves with the Lease, and both replicas are
// ready (a rollout and a drain need them so).
func TestOnlyTheLeadersPodIsLabelled(t *testing.T) {
	t.Parallel() // its own namespace
	kubetest.Need(t)
	const ns = "sched-leader"
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	if err := env.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	schedules := schedulesFile(t, ns, "crashed", "nightly", "* * * * * *")
	a := startScheduler(t, ctx, schedules, ns, "replica-a")
	a.waitLog(t, ctx, "leading: this replica runs the game days")
	b := startScheduler(t, ctx, schedules, ns, "replica-b")
	b.waitLog(t, ctx, "standing by: another replica leads")
	waitLabel := func(name, want string) {
		t.Helper()
		for leaderLabel(t, ctx, ns, name) != want {
			select {
			case <-ctx.Done():
				t.Fatalf("pod %s: leader label %q, want %q", name, leaderLabel(t, ctx, ns, name), want)
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	waitLabel("replica-a", "true")
	if got := leaderLabel(t, ctx, ns, "replica-b"); got != "" {
		t.Errorf("the standby's pod is labelled %q", got)
	}
	for name, s := range map[string]*scheduler{"leader": a, "standby": b} {
		url := s.url(t, ctx)
		var code int
		for code != http.StatusOK && ctx.Err() == nil { // ready once the history is indexed
			resp, err := http.Get(url + "readyz")
			if err != nil {
				t.Fatal(err)
			}
			code = resp.StatusCode
			resp.Body.Close()
			time.Sleep(50 * time.Millisecond)
		}
		if code != http.StatusOK {
			t.Errorf("%s /readyz: %d", name, code)
		}
	}
	// The leader stops: its label comes off before it exits, and the
	// standby's pod gets it with the Lease.
	if err := a.stop(); err != nil {
		t.Errorf("replica-a: %v", err)
	}
	if got := leaderLabel(t, ctx, ns, "replica-a"); got != "" {
		t.Errorf("the stopped leader's pod is still labelled %q", got)
	}
	waitLabel("replica-b", "true")
	if err := b.stop(); err != nil {
		t.Errorf("replica-b: %v", err)
	}
	if got := leaderLabel(t, ctx, ns, "replica-b"); got != "" {
		t.Errorf("the stopped leader's pod is still labelled %q", got)
	}
}

// waitLog waits until the scheduler has logged a line with what.
func (s *scheduler) waitLog(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	for !strings.Contains(s.log.String(), what) {
		select {
		case <-ctx.Done():
			t.Fatalf("no %q:\n%s", what, s.log.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
