package runs_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/dora/runs"
	"github.com/gamedayhq/gameday/harness/internal/report"
	"github.com/gamedayhq/gameday/harness/internal/verdict"
)

// The reports tree as gameday run writes it (report.Write), plus a file
// that is not a report.
func TestTree(t *testing.T) {
	root := t.TempDir()
	for i, r := range []struct {
		suite, id, exp string
		status         verdict.Status
		start          time.Time
	}{
		{"k8s-prod-weekly", "20261014-100000-zone-outage", "zone-outage", verdict.Failed, time.Date(2026, 10, 14, 10, 0, 0, 0, time.UTC)},
		{"k8s-prod-weekly", "20261007-100000-pod-kill", "pod-kill", verdict.Held, time.Date(2026, 10, 7, 10, 0, 0, 0, time.UTC)},
	} {
		rep := &report.Report{SchemaVersion: report.SchemaVersion, RunID: r.id, Suite: r.suite,
			Experiment: report.Experiment{Name: r.exp}, Timings: report.Timings{Start: r.start, End: r.start.Add(time.Duration(i+1) * time.Minute)},
			Verdict: verdict.Verdict{Status: r.status}}
		dir, err := report.Dir(root, r.suite, r.id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := report.Write(dir, rep); err != nil {
			t.Fatal(err)
		}
	}
	bad := filepath.Join(root, "adhoc", "broken", "report.json")
	if err := os.MkdirAll(filepath.Dir(bad), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, warnings, err := runs.Tree{Root: root}.Runs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Experiment != "pod-kill" || got[0].Status != "held" || got[1].Status != "failed" || got[1].Suite != "k8s-prod-weekly" {
		t.Errorf("runs: got %+v, want pod-kill held then zone-outage failed", got)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], bad) {
		t.Errorf("warnings: got %v, want one naming %s", warnings, bad)
	}
	none, warnings, err := runs.Tree{Root: filepath.Join(root, "nope")}.Runs(context.Background())
	if err != nil || len(none) != 0 || len(warnings) != 1 {
		t.Errorf("missing tree: got %v, %v, %v, want no runs and one warning", none, warnings, err)
	}
}
