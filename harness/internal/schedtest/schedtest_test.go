package schedtest

import (
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// TestWatchSeesTheProcessStopped: a shell stops this process (SIGSTOP) for
// 300 ms and resumes it; the watcher must report that stall, where it was.
func TestWatchSeesTheProcessStopped(t *testing.T) {
	w := Watch(t)
	time.Sleep(20 * time.Millisecond)
	before := time.Now()
	pid := strconv.Itoa(os.Getpid())
	cmd := exec.Command("sh", "-c", "kill -STOP "+pid+"; sleep 0.3; kill -CONT "+pid)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	after := time.Now()
	time.Sleep(20 * time.Millisecond)
	late := w.Stop()
	t.Logf("%s; stopped between %s and %s", late, before.Format("15:04:05.000"), after.Format("15:04:05.000"))
	if late.Worst < 250*time.Millisecond {
		t.Errorf("worst wake-up %s late, want ≥ 250ms (the process was stopped for 300ms)", late.Worst)
	}
	if !late.Covers(before, after, 250*time.Millisecond) {
		t.Errorf("no stall ≥ 250ms between %s and %s in %+v", before, after, late.Stalls)
	}
	if late.Covers(after.Add(time.Second), after.Add(2*time.Second), 0) {
		t.Errorf("a stall after the watch ended: %+v", late.Stalls)
	}
	if again := w.Stop(); again.Worst != late.Worst || len(again.Stalls) != len(late.Stalls) {
		t.Errorf("a second Stop returned %+v, want the same figures %+v", again, late)
	}
}

func TestCovers(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := Lateness{Stalls: []Stall{{Due: t0, Late: 200 * time.Millisecond}, {Due: t0.Add(time.Second), Late: 20 * time.Millisecond}}}
	tests := map[string]struct {
		from, to time.Time
		min      time.Duration
		want     bool
	}{
		"a window inside the long stall":           {t0.Add(50 * time.Millisecond), t0.Add(60 * time.Millisecond), 100 * time.Millisecond, true},
		"a window that ends when the stall begins": {t0.Add(-time.Second), t0, 0, false},
		"a window that begins when it ends":        {t0.Add(200 * time.Millisecond), t0.Add(time.Second), 100 * time.Millisecond, false},
		"only the short stall there, min above it": {t0.Add(900 * time.Millisecond), t0.Add(1100 * time.Millisecond), 100 * time.Millisecond, false},
		"the short stall, min below it":            {t0.Add(900 * time.Millisecond), t0.Add(1100 * time.Millisecond), 10 * time.Millisecond, true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := l.Covers(tc.from, tc.to, tc.min); got != tc.want {
				t.Errorf("Covers = %v, want %v", got, tc.want)
			}
		})
	}
}
