package schedule

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	coordinationv1 "k8s.io/client-go/kubernetes/typed/coordination/v1"

	"github.com/gamedayhq/gameday/harness/internal/history"
	"github.com/gamedayhq/gameday/harness/internal/kube/kubetest"
)

// Two schedulers, one Lease on a real kube-apiserver: exactly one runs game
// days; when it stops, the other takes over.
func TestTwoSchedulersOneLease(t *testing.T) {
	kubetest.Need(t)
	if testing.Short() {
		t.Skip("starts a kube-apiserver")
	}
	env, err := kubetest.StartWith()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.Stop() })
	ctx := context.Background()
	if err := env.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "gameday"}}); err != nil {
		t.Fatal(err)
	}
	f := file(t, "    - name: a\n      cron: \"* * * * * *\"\n      experiment: EXP\n")

	var mu sync.Mutex
	ran := map[string]int{}
	type replica struct {
		cancel  context.CancelFunc
		done    chan error
		metrics *Metrics
	}
	startReplica := func(id string) replica {
		store, err := history.Open(t.TempDir(), history.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		rctx, cancel := context.WithCancel(ctx)
		leading, lost, err := Elect(rctx, LeaderConfig{Config: env.Config, Namespace: "gameday", Identity: id,
			LeaseDuration: 4 * time.Second, RenewDeadline: 3 * time.Second, RetryPeriod: 500 * time.Millisecond, Log: testLog(t)})
		if err != nil {
			t.Fatal(err)
		}
		m := NewMetrics(prometheus.NewRegistry())
		s, err := New(Config{File: f, History: store, Metrics: m, Instance: id, Leading: leading, Lost: lost, Log: testLog(t),
			Run: func(ctx context.Context, r Request) Outcome {
				mu.Lock()
				ran[id]++
				mu.Unlock()
				select {
				case <-ctx.Done():
				case <-time.After(100 * time.Millisecond):
				}
				return Outcome{Status: "held", Results: []Result{{RunID: r.RunID, Experiment: "pod-kill", Status: "held"}}}
			}})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- s.Run(rctx) }()
		return replica{cancel: cancel, done: done, metrics: m}
	}
	a, b := startReplica("replica-a"), startReplica("replica-b")
	time.Sleep(6 * time.Second)
	mu.Lock()
	first := map[string]int{"replica-a": ran["replica-a"], "replica-b": ran["replica-b"]}
	mu.Unlock()
	leader, standby := "replica-a", b
	if first["replica-b"] > 0 {
		leader, standby = "replica-b", a
	}
	if first["replica-a"] > 0 && first["replica-b"] > 0 || first[leader] < 3 {
		t.Fatalf("runs by replica after 6 s: %v; want one replica with >= 3 and the other 0", first)
	}
	leases, err := coordinationv1.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	lease, err := leases.Leases("gameday").Get(ctx, DefaultLeaseName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity != leader {
		t.Errorf("Lease holder %v, want %s", lease.Spec.HolderIdentity, leader)
	}
	if v := testutil.ToFloat64(standby.metrics.Leader); v != 0 {
		t.Errorf("gameday_scheduler_leader of the standby: %v", v)
	}
	// The leader stops: it releases the Lease, and the standby takes over.
	lr := a
	if leader == "replica-b" {
		lr = b
	}
	lr.cancel()
	<-lr.done
	other := "replica-a"
	if leader == "replica-a" {
		other = "replica-b"
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := ran[other]
		mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the standby %s did not take over within 10 s of the leader stopping", other)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if v := testutil.ToFloat64(standby.metrics.Leader); v != 1 {
		t.Errorf("gameday_scheduler_leader of the new leader: %v", v)
	}
	standby.cancel()
	<-standby.done
}

// TestAStopIsNotALostLease: stopping a leader releases its Lease, which
// closes Lost as well as ending the context; Run must return nil (a stop),
// not "lost the leader Lease", whichever of the two it sees first. Both are
// ready before Run starts, so each of the 40 runs picks one at random.
func TestAStopIsNotALostLease(t *testing.T) {
	f := file(t, "    - name: a\n      cron: \"* * * * * *\"\n      experiment: EXP\n")
	leading, lost := make(chan struct{}), make(chan struct{})
	close(leading)
	close(lost)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for i := range 40 {
		store, err := history.Open(t.TempDir(), history.Options{})
		if err != nil {
			t.Fatal(err)
		}
		s, err := New(Config{File: f, History: store, Leading: leading, Lost: lost, Log: testLog(t),
			Run: func(context.Context, Request) Outcome { return Outcome{Status: "held"} }})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Run(ctx); err != nil {
			t.Errorf("run %d: Run after a stop = %v, want nil", i, err)
		}
		store.Close()
	}
}
