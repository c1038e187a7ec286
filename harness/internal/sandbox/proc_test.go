package sandbox_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/sandbox"
)

// /proc/PID/stat read once for every helper: a process whose name holds
// spaces and parentheses (comm is the second field, in parentheses) is
// read right; a stopped one is T, a zombie has no start time, a gone one
// nothing.
func TestProcStat(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep binary")
	}
	b, err := os.ReadFile(sleep)
	if err != nil {
		t.Fatal(err)
	}
	odd := filepath.Join(t.TempDir(), "a) b (c")
	if err := os.WriteFile(odd, b, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(odd, "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	defer cmd.Process.Kill()
	start, ok := sandbox.ProcStart(pid)
	if !ok || start == 0 {
		t.Fatalf("ProcStart(%d) = %d, %t; want its start time", pid, start, ok)
	}
	if got := sandbox.ProcState(pid); got != "S" && got != "R" {
		t.Errorf("ProcState of a sleeping process: %q, want S (or R)", got)
	}
	if cpu, ok := sandbox.ProcCPUSeconds(pid); !ok || cpu < 0 {
		t.Errorf("ProcCPUSeconds: %v, %t", cpu, ok)
	}
	if err := cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	waitState(t, pid, "T")
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	waitState(t, pid, "Z") // not reaped yet
	if _, ok := sandbox.ProcStart(pid); ok {
		t.Error("ProcStart of a zombie: ok, want not")
	}
	_ = cmd.Wait()
	if got := sandbox.ProcState(pid); got != "" {
		t.Errorf("ProcState of a reaped process: %q, want empty", got)
	}
}

func waitState(t *testing.T, pid int, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for sandbox.ProcState(pid) != want {
		if time.Now().After(deadline) {
			t.Fatalf("state of %d: %q, want %s within 10 s", pid, sandbox.ProcState(pid), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
