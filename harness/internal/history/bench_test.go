package history_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/history"
	"github.com/gamedayhq/gameday/harness/internal/historytest"
	"github.com/gamedayhq/gameday/harness/internal/report"
)

// tree10k writes 10,000 report.json files once per benchmark process.
func tree10k(b *testing.B) string {
	b.Helper()
	root := filepath.Join(b.TempDir(), "reports")
	for i := range 10000 {
		r := historytest.Report(historytest.Run{Suite: []string{"nightly", "adhoc"}[i%2], Experiment: []string{"pod-kill", "http-500"}[i%2],
			Start: t0.Add(time.Duration(i) * time.Hour), Status: "held", WithFault: true})
		data, err := report.JSON(r)
		if err != nil {
			b.Fatal(err)
		}
		dir := filepath.Join(root, r.Suite, r.RunID)
		os.MkdirAll(dir, 0o755)
		if err := os.WriteFile(filepath.Join(dir, report.FileJSON), data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return root
}

// indexed10k is the history of tree10k, indexed.
func indexed10k(b *testing.B) *history.Store {
	b.Helper()
	s, err := history.Open(tree10k(b), history.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if _, err := s.Sync(context.Background()); err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkSyncUnchanged10k is the rescan every history command and the UI
// do: 10,000 runs, nothing changed (directory names only).
func BenchmarkSyncUnchanged10k(b *testing.B) {
	s, ctx := indexed10k(b), context.Background()
	for b.Loop() {
		if _, err := s.Sync(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSyncFull10k is the full rescan (every 10 minutes, --rescan):
// every report.json stat'ed.
func BenchmarkSyncFull10k(b *testing.B) {
	s, ctx := indexed10k(b), context.Background()
	for b.Loop() {
		if _, err := s.SyncFull(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkListPage10k is one page of the runs list over 10,000 runs.
func BenchmarkListPage10k(b *testing.B) {
	s, ctx := indexed10k(b), context.Background()
	for b.Loop() {
		if _, _, err := s.List(ctx, history.Filter{Limit: 50, Offset: 5000}); err != nil {
			b.Fatal(err)
		}
	}
}
