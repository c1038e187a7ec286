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

// BenchmarkSyncUnchanged10k is the rescan every history command and the UI
// do: 10,000 runs, nothing changed.
func BenchmarkSyncUnchanged10k(b *testing.B) {
	root := tree10k(b)
	s, err := history.Open(root, history.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if _, err := s.Sync(ctx); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.Sync(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkListPage10k is one page of the runs list over 10,000 runs.
func BenchmarkListPage10k(b *testing.B) {
	root := tree10k(b)
	s, err := history.Open(root, history.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if _, err := s.Sync(ctx); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, _, err := s.List(ctx, history.Filter{Limit: 50, Offset: 5000}); err != nil {
			b.Fatal(err)
		}
	}
}
