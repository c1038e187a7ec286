package chaos

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestRunFilesLoseNoWriteBetweenWriters: engines that share nothing but the
// sandbox directory (as the harness, gameday cleanup and the supervisor's
// deadline enforcement do, in three processes) read, change and write the
// same run file at once; the lock on the run files keeps every change.
func TestRunFilesLoseNoWriteBetweenWriters(t *testing.T) {
	dir := t.TempDir()
	const writers, each = 4, 40
	var wg sync.WaitGroup
	for w := range writers {
		e := New(dir, 1) // its own mutex: only the file lock is shared
		wg.Go(func() {
			for i := range each {
				unlock, err := e.lock()
				if err != nil {
					t.Error(err)
					return
				}
				run, err := e.load("shared")
				if err == nil {
					run.Faults = append(run.Faults, Record{Ref: fmt.Sprintf("w%d.%d", w, i), Planned: time.Now()})
					time.Sleep(100 * time.Microsecond) // widen the window a lost update needs
					err = e.save(run)
				}
				unlock()
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	run, err := New(dir, 1).Run("shared")
	if err != nil {
		t.Fatal(err)
	}
	if got := len(run.Faults); got != writers*each {
		t.Errorf("%d records in the run file, want %d: writes were lost", got, writers*each)
	}
}
