package chaos

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/sandbox"
)

// DeadlineGrace is added to a fault's planned end to make its deadline:
// the harness recovers the fault at its end, and the supervisor steps in
// only when the harness did not (killed, hung, or a machine too slow to
// run it on time).
const DeadlineGrace = 2 * time.Second

// Who recovered a fault (Record.RecoveredBy).
const (
	ByHarness  = "harness"
	ByCleanup  = "cleanup"
	ByDeadline = "deadline" // the sandbox's supervisor, the harness gone
)

// lockFile serializes every read-modify-write of the run files between
// processes: the harness injecting and recovering, gameday cleanup, and
// the supervisor enforcing deadlines. flock(2) is released by the kernel
// when its holder dies, so a killed harness never leaves it held.
const lockFile = ".lock"

// lock takes the engine's mutex, then the run files' lock.
func (e *Engine) lock() (unlock func(), err error) {
	e.mu.Lock()
	dir := filepath.Join(e.dir, sandbox.RunsDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		e.mu.Unlock()
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		e.mu.Unlock()
		return nil, fmt.Errorf("lock the run files: %w", err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		e.mu.Unlock()
		return nil, fmt.Errorf("lock the run files: %w", err)
	}
	return func() {
		f.Close() // releases the flock
		e.mu.Unlock()
	}, nil
}

// expiry is what Expire remembers of one run file between calls, so that
// it reads again only the files that changed or have a deadline due.
type expiry struct {
	mod  time.Time
	size int64
	next time.Time // earliest deadline of a fault not recovered; zero: none
}

// Expire ends every fault whose deadline passed before now and that nobody
// recovered: the harness that injected it was killed, or hangs. It is the
// sandbox supervisor's duty (sandbox.WithDeadlines), run whether a harness
// is alive or not, as Chaos Mesh ends a chaos at its duration without its
// client. It reports what it recovered; a fault it could not recover is
// in the error and tried again at the next call.
func (e *Engine) Expire(ctx context.Context, now time.Time) ([]string, error) {
	e.expireMu.Lock()
	defer e.expireMu.Unlock()
	ents, err := os.ReadDir(filepath.Join(e.dir, sandbox.RunsDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("expire: %w", err)
	}
	if e.expiries == nil {
		e.expiries = map[string]expiry{}
	}
	var due []string
	seen := map[string]bool{}
	for _, en := range ents {
		name := en.Name()
		if !strings.HasSuffix(name, ".json") || strings.HasPrefix(name, ".") {
			continue
		}
		id := strings.TrimSuffix(name, ".json")
		seen[id] = true
		fi, err := en.Info()
		if err != nil {
			continue // removed meanwhile
		}
		x, known := e.expiries[id]
		if known && x.mod.Equal(fi.ModTime()) && x.size == fi.Size() && (x.next.IsZero() || now.Before(x.next)) {
			continue
		}
		due = append(due, id)
	}
	for id := range e.expiries {
		if !seen[id] {
			delete(e.expiries, id)
		}
	}
	if len(due) == 0 {
		return nil, nil
	}
	ctx, cancel := recoverCtx(ctx)
	defer cancel()
	unlock, err := e.lock()
	if err != nil {
		return nil, fmt.Errorf("expire: %w", err)
	}
	defer unlock()
	var did []string
	var errs []error
	for _, id := range due {
		run, err := e.load(id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		x := expiry{}
		for i := range run.Faults {
			r := &run.Faults[i]
			if !r.Recovered.IsZero() || r.Deadline.IsZero() {
				continue
			}
			if now.Before(r.Deadline) {
				if x.next.IsZero() || r.Deadline.Before(x.next) {
					x.next = r.Deadline
				}
				continue
			}
			if err := e.recoverRecord(ctx, run, r, ByDeadline); err != nil {
				errs = append(errs, fmt.Errorf("run %s: fault %s: deadline %s passed: %w", id, r.Fault, r.Deadline.Format(time.RFC3339), err))
				x.next = r.Deadline // try again next time
				continue
			}
			for _, a := range r.Actions {
				did = append(did, fmt.Sprintf("run %s: fault %s: deadline %s passed: recovered %s", id, r.Fault, r.Deadline.Format(time.RFC3339Nano), a))
			}
		}
		if fi, err := os.Stat(e.runPath(id)); err == nil {
			x.mod, x.size = fi.ModTime(), fi.Size()
			e.expiries[id] = x
		}
	}
	slices.Sort(did)
	if err := errors.Join(errs...); err != nil {
		return did, fmt.Errorf("expire: %w", err)
	}
	return did, nil
}
