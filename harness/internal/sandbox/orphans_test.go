package sandbox_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/sandbox"
	"github.com/gamedayhq/gameday/harness/internal/sandbox/sandboxtest"
)

// A sandbox whose Prometheus died, then whose supervisor was SIGKILLed,
// still comes down whole.
func TestDownAfterTheSupervisorWasKilled(t *testing.T) {
	st := sandboxtest.Up(t, sandbox.Config{Replicas: 1})
	ctx := context.Background()

	if err := syscall.Kill(st.Prometheus.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	var now *sandbox.State
	for time.Now().Before(deadline) {
		now, _ = sandbox.Status(ctx, st.Dir)
		if now != nil && !now.Prometheus.Ready {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if now == nil || now.Prometheus.Ready || now.Ready() {
		t.Fatalf("got prometheus ready=%v after SIGKILL, want not ready", now)
	}
	time.Sleep(500 * time.Millisecond)
	if now, _ = sandbox.Status(ctx, st.Dir); now.Prometheus.Alive() {
		t.Errorf("got prometheus restarted (pid %d), want it left dead so a run sees its monitoring go", now.Prometheus.PID)
	}

	if err := syscall.Kill(st.Supervisor.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if now, _ = sandbox.Status(ctx, st.Dir); now.Running || now.Ready() {
		t.Errorf("got running=%t ready=%t after the supervisor died", now.Running, now.Ready())
	}
	var orphans []sandbox.Proc
	for _, p := range now.Pods {
		if !p.Alive() {
			t.Fatalf("got %s gone with its supervisor, want it orphaned until Down", p.Name)
		}
		orphans = append(orphans, p.Proc)
	}
	if err := sandbox.Down(ctx, st.Dir); err != nil {
		t.Fatal(err)
	}
	for _, p := range orphans {
		if p.Alive() {
			t.Errorf("got pid %d still running after Down", p.PID)
		}
	}
	if left := sandbox.Marked(st.Dir); len(left) > 0 {
		t.Errorf("got marked processes %v after Down", left)
	}
}
