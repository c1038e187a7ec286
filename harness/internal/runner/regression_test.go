package runner_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/regression"
	"github.com/gamedayhq/gameday/harness/internal/report"
	"github.com/gamedayhq/gameday/harness/internal/runner"
	"github.com/gamedayhq/gameday/harness/internal/spec"
	"github.com/gamedayhq/gameday/harness/internal/verdict"
)

// TestRunRegressionGate runs the short experiment against a real HTTP
// target whose fault breaks it for 3 s, with the front door as recovery
// probe, and gates each run against the last that held: a run like the
// reference passes; a run whose target stays broken 4 s after the fault
// (a seeded slower recovery) still holds its hypothesis (back within the
// 6 s allowed) but regresses against the reference and fails (exit 1),
// with the comparison in report.json, report.md, report.html and
// junit.xml.
func TestRunRegressionGate(t *testing.T) {
	t.Parallel()
	root, hist := reportsTree(t)
	th := (&spec.Regression{TimeToRecover: &spec.DurationChange{MaxIncrease: 0.5, MinDelta: spec.Duration(2 * time.Second)}}).WithDefaults()
	edit := func(e *spec.Experiment) {
		e.Spec.Load.Duration = spec.Duration(14 * time.Second)
		e.Spec.Recovery = &spec.Recovery{Within: spec.Duration(6 * time.Second), Probes: []string{"front-door"}}
	}
	run := func(id string, en *faultEngine) (*runner.Result, error) {
		return runner.Run(t.Context(), runner.Config{Experiment: experiment(t, edit), Engine: en, RunID: id, ReportsDir: root,
			TargetURL: en.tg.URL, Sections: []func(context.Context, *report.Report){regression.Section(hist, regression.ModeLastPassed, "", th)}})
	}
	res, err := run("reference", &faultEngine{tg: newTarget(t)})
	if err != nil {
		t.Fatalf("reference: exit %d: %v", exitcode.Of(err), err)
	}
	if c := res.Report.Comparison; c == nil || c.Failed || c.Reference != nil || !strings.Contains(c.Note, "no comparable run has held yet") {
		t.Fatalf("the first run's comparison %+v: want nothing to compare with, said, and passing", c)
	}

	res, err = run("like-it", &faultEngine{tg: newTarget(t)})
	if err != nil {
		t.Fatalf("a run like the reference: exit %d: %v\n%s", exitcode.Of(err), err, rows(res))
	}
	if c := res.Report.Comparison; c == nil || c.Regressed || strings.Join(c.Reference, ",") != "adhoc/reference" {
		t.Errorf("comparison %+v, want no regression against adhoc/reference", c)
	}

	res, err = run("slower", &faultEngine{tg: newTarget(t), lingers: 4 * time.Second})
	if exitcode.Of(err) != exitcode.Failed || !strings.Contains(err.Error(), "regression gate: REGRESSED against the last run that held (adhoc/like-it)") ||
		!strings.Contains(err.Error(), "break time to recover regressed") {
		t.Fatalf("the slower recovery: exit %d: %v, want 1 naming the time to recover\n%s", exitcode.Of(err), err, rows(res))
	}
	r := res.Report
	if r.Verdict.Status != verdict.Held || r.ExitCode != exitcode.Failed {
		t.Errorf("verdict %s, exit %d: want the hypothesis held and the gate's exit 1", r.Verdict.Status, r.ExitCode)
	}
	t.Logf("%s\n%s", r.Comparison.Headline(), rows(res))
	md, _ := os.ReadFile(res.Paths[report.FileMD])
	html, _ := os.ReadFile(res.Paths[report.FileHTML])
	junit, _ := os.ReadFile(res.Paths[report.FileJUnit])
	for file, want := range map[string]string{
		"report.md":   "| break time to recover |",
		"report.html": `<td class="fail">regressed</td>`,
		"junit.xml":   `<testcase name="regression break time to recover"`,
	} {
		got := map[string][]byte{"report.md": md, "report.html": html, "junit.xml": junit}[file]
		if !strings.Contains(string(got), want) {
			t.Errorf("%s lacks %q", file, want)
		}
	}
	if !strings.Contains(string(junit), `type="regressed"`) {
		t.Error("junit.xml has no failed regression case")
	}
}

func rows(res *runner.Result) string {
	if res == nil || res.Report == nil || res.Report.Comparison == nil {
		return "(no comparison)"
	}
	var b strings.Builder
	for _, r := range res.Report.Comparison.Rows {
		b.WriteString(strings.Join(r.Cells(), " | ") + "\n")
	}
	return b.String()
}
