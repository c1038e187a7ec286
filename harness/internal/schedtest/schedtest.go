// Package schedtest measures, while a timing test runs, how late this
// process's goroutines wake up: the baseline a timing assertion is judged
// against, measured in the same test. On an idle machine a goroutine that
// sleeps wakes within a millisecond; on a loaded 2-core machine shared with
// other test binaries it can wake hundreds of milliseconds late, and a test
// that then sees a probe tick skipped or an abort landing late must be able
// to tell a slow machine from a slow program.
//
//	w := schedtest.Watch(t)
//	... the timed work ...
//	late := w.Stop()
//	t.Logf("scheduler: %s", late)
//	if took > want+2*late.Worst { t.Errorf(...) }
package schedtest

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// Tick is how often the watcher asks to wake up. StallMin is the lateness
// from which a wake-up is recorded as a stall.
const (
	Tick     = 2 * time.Millisecond
	StallMin = 10 * time.Millisecond
)

// A Stall is one wake-up that came at least StallMin late: the watcher
// asked to wake at Due and woke Late after it.
type Stall struct {
	Due  time.Time
	Late time.Duration
}

// Lateness is what a Watcher saw.
type Lateness struct {
	Worst  time.Duration // the latest wake-up
	Stalls []Stall       // every wake-up at least StallMin late, in order
	Span   time.Duration // how long the watch ran
}

// Covers reports whether a stall of at least min overlaps [from, to): a
// moment the process did not run for min or longer.
func (l Lateness) Covers(from, to time.Time, min time.Duration) bool {
	for _, s := range l.Stalls {
		if s.Late >= min && s.Due.Before(to) && s.Due.Add(s.Late).After(from) {
			return true
		}
	}
	return false
}

// String is a line for t.Logf, e.g. "worst wake-up 212ms late, 3 stalls ≥ 10ms in 1.2s".
func (l Lateness) String() string {
	return fmt.Sprintf("worst wake-up %s late, %d stalls ≥ %s in %s", l.Worst.Round(100*time.Microsecond), len(l.Stalls), StallMin, l.Span.Round(time.Millisecond))
}

// A Watcher samples wake-up lateness until Stop.
type Watcher struct {
	stop chan struct{}
	done chan struct{}
	once sync.Once
	mu   sync.Mutex
	late Lateness
}

// Watch starts a watcher; it stops when Stop is called or the test ends.
func Watch(t testing.TB) *Watcher {
	w := &Watcher{stop: make(chan struct{}), done: make(chan struct{})}
	go w.run()
	t.Cleanup(func() { w.Stop() })
	return w
}

func (w *Watcher) run() {
	defer close(w.done)
	began := time.Now()
	timer := time.NewTimer(Tick)
	defer timer.Stop()
	due := began.Add(Tick)
	for {
		select {
		case <-w.stop:
			w.mu.Lock()
			w.late.Span = time.Since(began)
			w.mu.Unlock()
			return
		case <-timer.C:
			late := time.Since(due)
			w.mu.Lock()
			w.late.Worst = max(w.late.Worst, late)
			if late >= StallMin {
				w.late.Stalls = append(w.late.Stalls, Stall{Due: due, Late: late})
			}
			w.mu.Unlock()
			due = time.Now().Add(Tick)
			timer.Reset(Tick)
		}
	}
}

// Stop ends the watch (once; later calls return the same figures) and
// returns what it saw.
func (w *Watcher) Stop() Lateness {
	w.once.Do(func() { close(w.stop) })
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.late
}
