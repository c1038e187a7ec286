package history_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/history"
	"github.com/gamedayhq/gameday/harness/internal/historytest"
	"github.com/gamedayhq/gameday/harness/internal/report"
)

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func open(t *testing.T, root string, o history.Options) *history.Store {
	t.Helper()
	s, err := history.Open(root, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestIndexRebuiltFromTheTreeMatchesTheOriginal(t *testing.T) {
	root := t.TempDir()
	ctx := context.Background()
	s := open(t, root, history.Options{})
	for i := range 30 {
		status := []string{"held", "failed", "aborted"}[i%3]
		dir := historytest.Write(t, root, historytest.Run{Suite: []string{"nightly", "adhoc"}[i%2], Experiment: []string{"pod-kill", "zone-outage", "http-500"}[i%3],
			Start: t0.Add(time.Duration(i) * time.Hour), Status: status, Score: float64(100 - i)})
		if i%2 == 0 { // half recorded as they are written, half found by the scan
			if err := s.Record(ctx, dir); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	before, total, err := s.List(ctx, history.Filter{})
	if err != nil || total != 30 || len(before) != 30 {
		t.Fatalf("List: %d runs of %d, %v; want 30", len(before), total, err)
	}
	s.Close()
	if err := os.RemoveAll(filepath.Join(root, history.MetaDir)); err != nil {
		t.Fatal(err)
	}
	again := open(t, root, history.Options{})
	st, err := again.Sync(ctx)
	if err != nil || st.Added != 30 {
		t.Fatalf("rebuild: %+v, %v; want 30 added", st, err)
	}
	after, _, err := again.List(ctx, history.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(after, before) {
		t.Errorf("rebuilt index differs:\n got %+v\nwant %+v", after[0], before[0])
	}
	if before[0].Start != t0.Add(29*time.Hour) {
		t.Errorf("newest first: got %s first", before[0].Start)
	}
}

func TestFigures(t *testing.T) {
	root := t.TempDir()
	ctx := context.Background()
	dir := historytest.Write(t, root, historytest.Run{Suite: "adhoc", Experiment: "pod-kill", Start: t0, Status: "held", Score: 87.5, WithFault: true})
	s := open(t, root, history.Options{})
	if err := s.Record(ctx, dir); err != nil {
		t.Fatal(err)
	}
	r, err := s.Get(ctx, filepath.Base(dir))
	if err != nil {
		t.Fatal(err)
	}
	// The fixture: 60 s at 100 req/s; the fault from +20 s to +30 s where
	// 10 of 100 requests fail each second and p99 is 250 ms (50 ms elsewhere).
	want := map[string]any{"faultErrorRatio": 0.1, "faultP99Ms": 250.0, "detectSeconds": 2.0, "recoverSeconds": 4.0, "score": 87.5, "requests": 6000.0,
		"faultRequests": 1000.0, "faultFailed": 100.0, "faultSeconds": 10.0}
	b, _ := json.Marshal(r)
	var got map[string]any
	_ = json.Unmarshal(b, &got)
	for k, v := range want {
		if g, ok := got[k].(float64); !ok || fmt.Sprintf("%.4f", g) != fmt.Sprintf("%.4f", v) {
			t.Errorf("%s: got %v, want %v", k, got[k], v)
		}
	}
}

func TestFilters(t *testing.T) {
	root := t.TempDir()
	ctx := context.Background()
	for i := range 12 {
		historytest.Write(t, root, historytest.Run{Suite: "adhoc", Experiment: []string{"pod-kill", "http-500"}[i%2],
			Target: []string{"sandbox", "sandbox", "kubernetes"}[i%3], Start: t0.Add(time.Duration(i) * time.Hour), Status: []string{"held", "failed"}[i%4/3]})
	}
	s := open(t, root, history.Options{})
	if _, err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		f    history.Filter
		want int
	}{
		"every run":                  {history.Filter{}, 12},
		"by experiment":              {history.Filter{Experiment: "pod-kill"}, 6},
		"by target":                  {history.Filter{Target: "kubernetes"}, 4},
		"by verdict":                 {history.Filter{Status: "failed"}, 3},
		"since, inclusive":           {history.Filter{Since: t0.Add(6 * time.Hour)}, 6},
		"until, exclusive":           {history.Filter{Until: t0.Add(6 * time.Hour)}, 6},
		"experiment and time window": {history.Filter{Experiment: "http-500", Since: t0.Add(2 * time.Hour), Until: t0.Add(8 * time.Hour)}, 3},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			runs, total, err := s.List(ctx, c.f)
			if err != nil || total != c.want || len(runs) != c.want {
				t.Errorf("got %d runs (total %d), %v; want %d", len(runs), total, err, c.want)
			}
		})
	}
	page, total, _ := s.List(ctx, history.Filter{Limit: 5, Offset: 10})
	if len(page) != 2 || total != 12 {
		t.Errorf("page 3 of 5: got %d runs of %d, want 2 of 12", len(page), total)
	}
}

func TestCorruptReportIsSkippedWithAWarningNamingIt(t *testing.T) {
	root := t.TempDir()
	ctx := context.Background()
	historytest.Write(t, root, historytest.Run{Suite: "adhoc", Experiment: "pod-kill", Start: t0, Status: "held"})
	bad := filepath.Join(root, "adhoc", "broken-run", report.FileJSON)
	if err := os.MkdirAll(filepath.Dir(bad), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(`{"schemaVersion": "gameday.dev/report/v1", "runID": `), 0o644); err != nil {
		t.Fatal(err)
	}
	var warn bytes.Buffer
	s := open(t, root, history.Options{Warn: &warn})
	st, err := s.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Added != 1 || st.Bad != 1 {
		t.Errorf("sync: %+v, want 1 added, 1 bad", st)
	}
	if !strings.Contains(warn.String(), "history: skipping "+bad+": invalid JSON") {
		t.Errorf("warning: got %q, want it to name %s", warn.String(), bad)
	}
	warn.Reset()
	if _, err := s.Sync(ctx); err != nil || warn.Len() != 0 {
		t.Errorf("second sync of an unchanged tree: warned %q (%v), want silence", warn.String(), err)
	}
	runs, _, _ := s.List(ctx, history.Filter{})
	if len(runs) != 1 {
		t.Errorf("got %d runs, want the 1 valid one", len(runs))
	}
}

func TestUnwritableIndexFallsBackToMemory(t *testing.T) {
	// Root writes through permissions: the index's folder is a file instead.
	root := t.TempDir()
	historytest.Write(t, root, historytest.Run{Suite: "adhoc", Experiment: "pod-kill", Start: t0, Status: "held"})
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var warn bytes.Buffer
	s := open(t, root, history.Options{Index: filepath.Join(blocker, "index.db"), Warn: &warn})
	if !s.Memory || !strings.Contains(warn.String(), "using an index in memory") {
		t.Fatalf("memory %v, warning %q", s.Memory, warn.String())
	}
	if _, err := s.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if runs, _, _ := s.List(context.Background(), history.Filter{}); len(runs) != 1 {
		t.Errorf("got %d runs, want 1", len(runs))
	}
}

func TestRecordRefusesAPathOutsideTheTree(t *testing.T) {
	s := open(t, t.TempDir(), history.Options{})
	if err := s.Record(context.Background(), "/etc"); err == nil {
		t.Error("Record(/etc): no error")
	}
}

func TestPrune(t *testing.T) {
	root := t.TempDir()
	ctx := context.Background()
	for i := range 10 {
		historytest.Write(t, root, historytest.Run{Suite: "adhoc", Experiment: "pod-kill", Start: t0.Add(time.Duration(i) * 24 * time.Hour), Status: "held"})
	}
	s := open(t, root, history.Options{})
	now := t0.Add(10 * 24 * time.Hour)
	dry, err := s.Prune(ctx, history.Retention{MaxAge: 5*24*time.Hour + time.Hour}, now, true)
	if err != nil || len(dry) != 5 {
		t.Fatalf("dry run: %d, %v; want 5", len(dry), err)
	}
	if runs, _, _ := s.List(ctx, history.Filter{}); len(runs) != 10 {
		t.Fatalf("a dry run deleted: %d left", len(runs))
	}
	gone, err := s.Prune(ctx, history.Retention{MaxAge: 5*24*time.Hour + time.Hour, MaxRuns: 3}, now, false)
	if err != nil || len(gone) != 7 {
		t.Fatalf("prune: %d, %v; want 7", len(gone), err)
	}
	if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(gone[0].Dir))); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s still there: %v", gone[0].Dir, err)
	}
	left, _, _ := s.List(ctx, history.Filter{})
	if len(left) != 3 || left[2].Start != t0.Add(7*24*time.Hour) {
		t.Errorf("left %d runs, oldest %v; want the 3 newest", len(left), left)
	}
}

func TestLedgerLinksRunsToSchedules(t *testing.T) {
	root := t.TempDir()
	ctx := context.Background()
	dir := historytest.Write(t, root, historytest.Run{Suite: "nightly", Experiment: "pod-kill", Start: t0, Status: "held"})
	s := open(t, root, history.Options{})
	if err := s.Append(history.Event{At: t0, Schedule: "nightly", Nominal: t0, Kind: history.EventFinished, RunIDs: []string{filepath.Base(dir)}, Status: "held"}); err != nil {
		t.Fatal(err)
	}
	// A torn last line (a crash mid-write) is skipped, not fatal.
	f, _ := os.OpenFile(s.LedgerPath(), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"at":"2026-`)
	f.Close()
	if _, err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	runs, _, err := s.List(ctx, history.Filter{Schedule: "nightly"})
	if err != nil || len(runs) != 1 || runs[0].Schedule != "nightly" {
		t.Errorf("runs of schedule nightly: %+v, %v", runs, err)
	}
	ev, err := s.Events()
	if err != nil || len(ev) != 1 {
		t.Errorf("events: %d, %v; want 1", len(ev), err)
	}
}

// Between full rescans a sync reads directory names only: a new run is
// found, a deleted one dropped, and a report.json rewritten in place by
// something other than Record (a git pull) is read at the next full rescan.
func TestQuickAndFullRescans(t *testing.T) {
	root := t.TempDir()
	ctx := context.Background()
	dir := historytest.Write(t, root, historytest.Run{Suite: "adhoc", Experiment: "pod-kill", Start: t0, Status: "held", Score: 50})
	s := open(t, root, history.Options{})
	if _, err := s.Sync(ctx); err != nil { // the first sync is full
		t.Fatal(err)
	}
	added := historytest.Write(t, root, historytest.Run{Suite: "adhoc", Experiment: "http-500", Start: t0.Add(time.Hour), Status: "failed"})
	rewritten := historytest.Report(historytest.Run{Suite: "adhoc", Experiment: "pod-kill", Start: t0, Status: "held", Score: 75})
	if _, err := report.Write(dir, rewritten); err != nil {
		t.Fatal(err)
	}
	st, err := s.Sync(ctx)
	if err != nil || st.Added != 1 || st.Updated != 0 {
		t.Fatalf("quick sync: %+v, %v; want the new run added, the rewrite not seen", st, err)
	}
	if r, _ := s.Get(ctx, filepath.Base(dir)); r.Score != 50 {
		t.Errorf("score after a quick sync: %v, want the old 50", r.Score)
	}
	st, err = s.SyncFull(ctx)
	if err != nil || st.Updated != 1 {
		t.Fatalf("full sync: %+v, %v; want the rewrite read", st, err)
	}
	if r, _ := s.Get(ctx, filepath.Base(dir)); r.Score != 75 {
		t.Errorf("score after a full sync: %v, want 75", r.Score)
	}
	if err := os.RemoveAll(added); err != nil {
		t.Fatal(err)
	}
	if st, err := s.Sync(ctx); err != nil || st.Removed != 1 {
		t.Errorf("quick sync after a deletion: %+v, %v; want 1 removed", st, err)
	}
}
