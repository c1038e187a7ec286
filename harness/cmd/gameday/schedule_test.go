package main

// The scheduler as an operator runs it: the gameday binary's `schedule`
// against the REAL sandbox, stopped by SIGTERM mid-fault and killed with
// SIGKILL mid-fault, then `history` and `serve` over what it left.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/history"
	"github.com/gamedayhq/gameday/harness/internal/sandbox"
	"github.com/gamedayhq/gameday/harness/internal/sandbox/sandboxtest"
)

// waitFor polls cond every 100 ms until it holds or timeout passes.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestScheduler(t *testing.T) {
	if testing.Short() {
		t.Skip("scheduled game days on the sandbox")
	}
	sandboxtest.Need(t, "prometheus")
	st := sandboxtest.Up(t, sandbox.Config{Replicas: 3})
	dir, reports := st.Dir, t.TempDir()
	exp, _ := filepath.Abs("testdata/pod-failure-all.yaml")
	schedules := filepath.Join(t.TempDir(), "schedules.yaml")
	// Every 2 s; forbid: the fires during the 24 s run are skipped.
	if err := os.WriteFile(schedules, []byte(fmt.Sprintf(`apiVersion: gameday.dev/v1alpha1
kind: Schedules
metadata:
  name: test
spec:
  schedules:
    - name: freeze
      cron: "*/2 * * * * *"
      experiment: %s
      flags:
        no-budget-guard: "true"
`, exp)), 0o644); err != nil {
		t.Fatal(err)
	}
	start := func() (*gameday, *lockedBuffer) {
		g := command(t, "schedule", "--sandbox-dir", dir, "--reports-dir", reports, "--addr", "127.0.0.1:0", schedules)
		log := &lockedBuffer{}
		g.Stderr = log
		if err := g.Start(); err != nil {
			t.Fatal(err)
		}
		return g, log
	}
	allFrozen := func() bool { return len(frozen(t, dir)) == 3 }

	t.Run("SIGTERM mid-fault recovers every replica, writes the report and exits within 10 s", func(t *testing.T) {
		waitReady(t, dir, time.Minute)
		g, log := start()
		waitFor(t, "replicas frozen by the scheduled run", 30*time.Second, allFrozen)
		sent := time.Now()
		if err := g.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		code := g.code(t)
		took := time.Since(sent)
		t.Logf("SIGTERM to exit: %s", took.Round(time.Millisecond))
		if code != exitcode.OK || took > 10*time.Second {
			t.Fatalf("exit %d after %s; want 0 within 10 s\n%s", code, took, log)
		}
		if f := frozen(t, dir); len(f) != 0 {
			t.Errorf("still frozen after SIGTERM: %v", f)
		}
		s, err := history.Open(reports, history.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := s.Sync(t.Context()); err != nil {
			t.Fatal(err)
		}
		runs, _, _ := s.List(t.Context(), history.Filter{Schedule: "freeze"})
		if len(runs) != 1 || runs[0].Status != "aborted" || !strings.Contains(runs[0].StopReason, "interrupt") {
			t.Fatalf("history of schedule freeze: %+v; want one aborted run", runs)
		}
		allRecovered(t, dir, runs[0].RunID)
		events, _ := s.Events()
		var kinds []string
		for _, e := range events {
			kinds = append(kinds, e.Kind+":"+e.Reason)
		}
		if !strings.Contains(strings.Join(kinds, " "), "skipped:concurrency") || kinds[len(kinds)-1] != "finished:" {
			t.Errorf("ledger: %v; want skips while the run ran, and its end\n%s", kinds, log)
		}
	})

	t.Run("after SIGKILL mid-fault, the next start recovers what the crash left", func(t *testing.T) {
		waitReady(t, dir, time.Minute)
		g, _ := start()
		waitFor(t, "replicas frozen by the scheduled run", 30*time.Second, allFrozen)
		if err := g.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		g.code(t)
		if !allFrozen() {
			t.Fatalf("after SIGKILL the replicas should still be frozen: %v", frozen(t, dir))
		}
		g2, log := start()
		waitFor(t, "the crashed run's faults recovered on start", 20*time.Second, func() bool { return len(frozen(t, dir)) < 3 })
		waitFor(t, "the cleanup logged", 5*time.Second, func() bool {
			return strings.Contains(log.String(), "recovered a fault a crashed run left behind")
		})
		g2.Process.Signal(syscall.SIGTERM)
		if code := g2.code(t); code != exitcode.OK {
			t.Errorf("second scheduler exit %d\n%s", code, log)
		}
		if f := frozen(t, dir); len(f) != 0 {
			t.Errorf("still frozen: %v", f)
		}
	})

	t.Run("history and serve read what the scheduler left", func(t *testing.T) {
		g, code := run(t, "history", "list", "--reports-dir", reports, "--output", "json")
		if code != 0 {
			t.Fatalf("history list: exit %d\n%s", code, g)
		}
		var out struct {
			Total int           `json:"total"`
			Runs  []history.Run `json:"runs"`
		}
		if err := json.Unmarshal(g.out.Bytes(), &out); err != nil || out.Total < 1 {
			t.Fatalf("history list --output json: %v, total %d\n%s", err, out.Total, g)
		}
		g, code = run(t, "history", "show", "--reports-dir", reports, out.Runs[0].Dir)
		if code != 0 || !strings.Contains(g.out.String(), "verdict     ABORTED") {
			t.Errorf("history show: exit %d\n%s", code, g)
		}
		srv := command(t, "serve", "--reports-dir", reports, "--addr", "127.0.0.1:0", "--schedules", schedules)
		log := &lockedBuffer{}
		srv.Stderr = log
		if err := srv.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { srv.Process.Signal(syscall.SIGTERM); srv.code(t) }()
		var url string
		waitFor(t, "serve prints its URL", 10*time.Second, func() bool {
			_, after, ok := strings.Cut(log.String(), "url=")
			if ok {
				url, _, _ = strings.Cut(after, " ")
			}
			return ok
		})
		res, err := http.Get(strings.TrimSuffix(url, "/") + "/runs.json?schedule=freeze")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var page struct {
			Total int `json:"total"`
		}
		if err := json.NewDecoder(res.Body).Decode(&page); err != nil || page.Total < 1 {
			t.Errorf("serve /runs.json?schedule=freeze: %v, total %d", err, page.Total)
		}
	})
}

// lockedBuffer is a buffer a process writes while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
