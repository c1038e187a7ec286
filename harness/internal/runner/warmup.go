package runner

import (
	"context"
	"errors"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/probe"
	"github.com/gamedayhq/gameday/harness/internal/query"
)

// warmupCap is the longest warm-up: half the before window.
func warmupCap(w probe.Windows) time.Duration { return w.Before.End.Sub(w.Before.Start) / 2 }

// awaitData polls the PromQL probes every second until each answers with a
// number (not "no data" nor NaN) or the cap has passed since start, and
// returns how long after start that was.
func awaitData(ctx context.Context, schedules []probe.Schedule, start time.Time, limit time.Duration) time.Duration {
	for {
		ready := true
		for _, s := range schedules {
			if _, ok := probe.Unwrap(s.Probe).(*probe.PromQL); !ok {
				continue
			}
			if err := probe.Unwrap(s.Probe).Check(ctx, time.Now()).Err; errors.Is(err, query.ErrNoData) || errors.Is(err, query.ErrNaN) {
				ready = false
				break
			}
		}
		waited := time.Since(start)
		if ready || waited >= limit {
			return waited
		}
		select {
		case <-ctx.Done():
			return waited
		case <-time.After(time.Second):
		}
	}
}

// withWarmup starts the before window (and so the continuous one) after
// the warm-up, at most half-way through it.
func withWarmup(w probe.Windows, warmup time.Duration) probe.Windows {
	w.Before.Start = w.Before.Start.Add(min(warmup, w.Before.End.Sub(w.Before.Start)/2))
	return w
}
