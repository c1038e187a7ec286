package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// procStat reads /proc/PID/stat from its third field (the state) on:
// comm, the second, may hold spaces and parentheses, so the fields start
// after the last ')'. f[0] is field 3, so field N is f[N-3].
func procStat(pid int) (f []string, ok bool) {
	if pid <= 0 {
		return nil, false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil, false
	}
	f = strings.Fields(string(b[i+1:]))
	return f, len(f) > 0
}

// ProcStart reads the start time of pid (clock ticks since boot, field 22 of
// /proc/PID/stat); ok is false when the process does not exist or is a
// zombie.
func ProcStart(pid int) (start uint64, ok bool) {
	f, ok := procStat(pid)
	if !ok || len(f) < 20 || f[0] == "Z" || f[0] == "X" {
		return 0, false
	}
	v, err := strconv.ParseUint(f[22-3], 10, 64)
	if err != nil {
		return 0, false
	}
	return v, true
}

// ProcState is the state letter of pid (R, S, T for stopped ...), "" when it
// is gone.
func ProcState(pid int) string {
	f, ok := procStat(pid)
	if !ok {
		return ""
	}
	return f[0]
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's utime and stime (100
// on every Linux architecture Go supports).
const clockTicks = 100

// ProcCPUSeconds reads the user + system CPU time of pid from /proc (utime
// and stime, fields 14 and 15 of /proc/PID/stat).
func ProcCPUSeconds(pid int) (float64, bool) {
	f, ok := procStat(pid)
	if !ok || len(f) < 13 {
		return 0, false
	}
	u, err1 := strconv.ParseFloat(f[14-3], 64)
	s, err2 := strconv.ParseFloat(f[15-3], 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return (u + s) / clockTicks, true
}

// ProcRSS reads the resident memory of pid, in bytes.
func ProcRSS(pid int) (float64, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/statm", pid))
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0, false
	}
	pages, err := strconv.ParseFloat(f[1], 64)
	if err != nil {
		return 0, false
	}
	return pages * float64(os.Getpagesize()), true
}

// ProcOf returns the Proc of a running pid.
func ProcOf(pid int) Proc {
	s, _ := ProcStart(pid)
	return Proc{PID: pid, Start: s}
}

// Alive reports whether p still runs (and is the same process).
func (p Proc) Alive() bool {
	s, ok := ProcStart(p.PID)
	return ok && (p.Start == 0 || s == p.Start)
}

// Signal sends sig to p if it is still the same process; a process that is
// gone is not an error.
func (p Proc) Signal(sig syscall.Signal) error {
	if !p.Alive() {
		return nil
	}
	if err := syscall.Kill(p.PID, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("signal %d: %w", p.PID, err)
	}
	return nil
}

// ChildGrace is how long the supervisor gives a pod or Prometheus to exit
// after SIGTERM before it SIGKILLs it.
const ChildGrace = 10 * time.Second

// Stop sends SIGCONT and SIGTERM to p, waits up to grace for it to exit,
// then SIGKILLs it and waits a little more.
func (p Proc) Stop(ctx context.Context, grace time.Duration) error {
	if !p.Alive() {
		return nil
	}
	p.Signal(syscall.SIGCONT)
	if err := p.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	if p.wait(ctx, grace) {
		return nil
	}
	if err := p.Signal(syscall.SIGKILL); err != nil {
		return err
	}
	if p.wait(ctx, 5*time.Second) {
		return nil
	}
	return fmt.Errorf("process %d still running after SIGKILL", p.PID)
}

func (p Proc) wait(ctx context.Context, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if !p.Alive() {
			return true
		}
		select {
		case <-ctx.Done():
			return !p.Alive()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return !p.Alive()
}

// Marked lists the processes whose environment carries EnvMarker=dir: every
// process the sandbox in dir started, orphans included.
func Marked(dir string) []Proc { return MarkedBy(EnvMarker + "=" + dir) }

// MarkedBy lists the processes whose environment holds the variable kv
// ("KEY=value").
func MarkedBy(kv string) []Proc {
	want := []byte("\x00" + kv + "\x00")
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	self := os.Getpid()
	var out []Proc
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil {
			continue
		}
		if bytes.Contains(append(append([]byte{0}, env...), 0), want) {
			if s, ok := ProcStart(pid); ok {
				out = append(out, Proc{PID: pid, Start: s})
			}
		}
	}
	return out
}
