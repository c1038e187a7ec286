package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/history"
	"github.com/gamedayhq/gameday/harness/internal/historytest"
	"github.com/gamedayhq/gameday/harness/internal/report"
	"github.com/gamedayhq/gameday/harness/internal/runner"
)

// A run records itself in the history; when the history cannot be
// written (its folder taken by a file, as a full or read-only disk would
// refuse it) the run goes on: the failure is one line on stderr.
func TestRecordRun(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	cases := map[string]struct {
		block bool
		want  string
	}{
		"indexed at once":             {false, ""},
		"an unwritable history warns": {true, "using an index in memory"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			dir := historytest.Write(t, root, historytest.Run{Suite: "adhoc", Experiment: "pod-kill", Start: at, Status: "held"})
			if c.block {
				if err := os.WriteFile(filepath.Join(root, history.MetaDir), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			var w bytes.Buffer
			recordRun(&w, root, &runner.Result{Dir: dir, Paths: map[string]string{report.FileJSON: filepath.Join(dir, report.FileJSON)}})
			if c.want == "" && w.Len() != 0 || !strings.Contains(w.String(), c.want) {
				t.Errorf("stderr %q, want %q", w.String(), c.want)
			}
			if c.block {
				return
			}
			s, err := history.Open(root, history.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			// No sync: the run is in the index because recordRun put it there.
			if runs, _, _ := s.List(context.Background(), history.Filter{}); len(runs) != 1 {
				t.Errorf("index holds %d runs, want 1", len(runs))
			}
		})
	}
}

func TestScheduleNext(t *testing.T) {
	f, err := loadSchedules("../../../experiments/schedules/sandbox.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var w bytes.Buffer
	if err := printNext(&w, f, 3, time.Date(2026, 12, 21, 12, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"nightly-pod-kill         2026-12-22T02:00:00+01:00", "skip (freeze: inside freeze year-end)", "weekly-gameday           2027-01-06T02:30:00+01:00  2027-01-06T02:30:00+01:00  run"} {
		if !strings.Contains(w.String(), want) {
			t.Errorf("--next output lacks %q:\n%s", want, w.String())
		}
	}
}

// gameday validate checks schedules files beside experiments: strict
// decoding and cross-checks, every error at file:line:col, exit 2.
func TestValidateSchedules(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.yaml")
	body := "apiVersion: gameday.dev/v1alpha1\nkind: Schedules\nmetadata:\n  name: bad\nspec:\n  schedules:\n" +
		"    - name: a\n      cron: \"0 3 * * *\"\n      timeZone: Mars/Base\n      suite: nope.yaml\n"
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	var w bytes.Buffer
	err := validate(&w, "text", []string{path, "../../../experiments/schedules"})
	if exitcode.Of(err) != exitcode.Invalid {
		t.Fatalf("exit %d (%v), want 2", exitcode.Of(err), err)
	}
	for _, want := range []string{
		path + ":9:17: spec.schedules[0].timeZone: unknown time zone \"Mars/Base\"",
		path + ":10:14: spec.schedules[0].suite: nope.yaml: no such file",
		"ok       ../../../experiments/schedules/sandbox.yaml (Schedules sandbox)",
	} {
		if !strings.Contains(w.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, w.String())
		}
	}
}
