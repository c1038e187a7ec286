package runner_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/baseline"
	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/history"
	"github.com/gamedayhq/gameday/harness/internal/report"
	"github.com/gamedayhq/gameday/harness/internal/runner"
	"github.com/gamedayhq/gameday/harness/internal/spec"
	"github.com/gamedayhq/gameday/harness/internal/verdict"
)

// relativeFrontDoor makes the front door's tolerance relative: at most
// 4 × its baseline latency and at least 80 ms above it, learnt from the
// last 5 runs of which minRuns are needed (at most 5); the fixed < 0.5 s is the
// fallback, or none with whenTooFewRuns fail.
func relativeFrontDoor(minRuns int, when string) func(e *spec.Experiment) {
	return func(e *spec.Experiment) {
		p := &e.Spec.Hypothesis.Probes[0]
		p.Tolerance.Relative = &spec.RelativeTolerance{Op: spec.OpLE, Factor: 4, MinMargin: 0.08, Runs: 5, MinRuns: minRuns, WhenTooFewRuns: when}
		if when == spec.TooFewRunsFail {
			p.Tolerance.Threshold = nil
		}
	}
}

// TestRunBaselinesLearnFromTheHistory runs the short experiment against a
// real HTTP target with a history kept in a real reports tree: two runs
// whose fault does nothing teach the front door's baseline; a third run
// whose fault makes every answer take 300 ms fails on the learnt bound,
// which the fixed tolerance (< 0.5 s) would have let pass — as it does in
// a run whose history is too short, which falls back to it and says so.
// A probe that must not fall back refuses the run (exit 1) with a report
// and without injecting anything.
func TestRunBaselinesLearnFromTheHistory(t *testing.T) {
	t.Parallel()
	root, hist := reportsTree(t)
	run := func(id string, en *faultEngine, edit func(*spec.Experiment)) (*runner.Result, error) {
		c := runner.Config{Experiment: experiment(t, edit), Engine: en, RunID: id, ReportsDir: root, TargetURL: en.tg.URL, History: hist}
		return runner.Run(t.Context(), c)
	}
	tg := newTarget(t)
	for _, id := range []string{"steady-1", "steady-2"} {
		if _, err := run(id, &faultEngine{tg: tg, harmless: true}, relativeFrontDoor(2, spec.TooFewRunsFallback)); err != nil {
			t.Fatalf("%s: exit %d: %v", id, exitcode.Of(err), err)
		}
	}

	t.Run("too short a history falls back to the fixed tolerance and says so", func(t *testing.T) {
		res, err := run("short-history", &faultEngine{tg: newTarget(t), slows: 300 * time.Millisecond}, relativeFrontDoor(3, spec.TooFewRunsFallback))
		if err != nil {
			t.Fatalf("exit %d: %v, want 0: 300 ms is within the fixed 0.5 s", exitcode.Of(err), err)
		}
		pb := probeBaseline(t, res.Report)
		if pb.Ready || pb.Bound != nil || pb.Note != "2 comparable runs in the history, 3 needed: judged by the fixed tolerance < 0.5" {
			t.Errorf("probe baseline %+v", pb)
		}
	})

	t.Run("the learnt bound fails a slowdown the fixed tolerance misses", func(t *testing.T) {
		res, err := run("slower", &faultEngine{tg: tg, slows: 300 * time.Millisecond}, relativeFrontDoor(2, spec.TooFewRunsFallback))
		if exitcode.Of(err) != exitcode.Failed || !strings.Contains(err.Error(), "probe front-door failed") {
			t.Fatalf("exit %d: %v, want 1 naming front-door", exitcode.Of(err), err)
		}
		r := res.Report
		pb := probeBaseline(t, r)
		if !pb.Ready || pb.Bound == nil || *pb.Bound > 0.2 || *pb.Margin < 0.08 || pb.HistoryRuns != 3 {
			t.Fatalf("probe baseline %+v: want ready, a bound under 0.2 s and a margin of at least 0.08", pb)
		}
		var runs []string
		for _, s := range pb.Baseline.Sources {
			runs = append(runs, s.Run)
		}
		// The run of the subtest before held: its pre-fault window counts.
		if strings.Join(runs, ",") != "this run,adhoc/short-history,adhoc/steady-2,adhoc/steady-1" {
			t.Errorf("learnt from %q, want this run and the three that held, newest first", runs)
		}
		if b := r.Verdict.Probes[0].Breaches; len(b) == 0 || b[0].Phase != verdict.PhaseDuring || !strings.Contains(b[0].Reason, "× baseline") {
			t.Errorf("breaches %+v: want the first during the fault, against the baseline", b)
		}
		if s := r.Baselines; s == nil || len(s.SLIs) != 4 || s.SLIs[0].Name != baseline.SLIErrorRatio || len(s.Runs) != 3 {
			t.Errorf("SLI baselines %+v: want error ratio, p95, p99 and throughput per replica from 3 runs", s)
		}
		md, _ := os.ReadFile(res.Paths[report.FileMD])
		html, _ := os.ReadFile(res.Paths[report.FileHTML])
		for _, want := range []string{"### Steady state (learned baselines)", "| front-door | <= 4 × baseline (margin at least 0.08) |", "3 runs + this run"} {
			if !strings.Contains(string(md), want) {
				t.Errorf("report.md lacks %q", want)
			}
		}
		if !strings.Contains(string(html), "<h2>Steady state (learned baselines)</h2>") || !strings.Contains(string(html), "<code>adhoc/steady-2</code>") {
			t.Error("report.html lacks the steady-state section")
		}
	})

	t.Run("whenTooFewRuns fail refuses the run before its load", func(t *testing.T) {
		en := &faultEngine{tg: newTarget(t)}
		res, err := run("no-baseline", en, relativeFrontDoor(5, spec.TooFewRunsFail))
		if exitcode.Of(err) != exitcode.Failed || !strings.Contains(err.Error(), "no baseline (whenTooFewRuns: fail): probe front-door: 3 comparable runs in the history, 5 needed") {
			t.Fatalf("exit %d: %v, want 1 saying why", exitcode.Of(err), err)
		}
		if n, _, _ := en.state(); n != 0 || en.tg.total.Load() != 0 {
			t.Errorf("%d faults injected, %d requests sent: want none", n, en.tg.total.Load())
		}
		if res == nil || res.Paths == nil || res.Report.Verdict.Status != verdict.Failed || len(res.Report.Decisions) != 1 || res.Report.Decisions[0].Outcome != "refused" {
			t.Fatalf("result %+v: want a failed report with the refusal among its decisions", res)
		}
		junit, _ := os.ReadFile(res.Paths[report.FileJUnit])
		if !strings.Contains(string(junit), `name="decision baseline"`) {
			t.Errorf("junit.xml lacks the refusal:\n%s", junit)
		}
	})
}

func probeBaseline(t *testing.T, r *report.Report) baseline.ProbeBaseline {
	t.Helper()
	if r.Baselines == nil || len(r.Baselines.Probes) != 1 {
		t.Fatalf("baselines %+v: want one probe's", r.Baselines)
	}
	return r.Baselines.Probes[0]
}

// reportsTree is an empty reports tree and its history.
func reportsTree(t *testing.T) (string, *history.Store) {
	t.Helper()
	root := t.TempDir()
	hist, err := history.Open(root, history.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hist.Close() })
	return root, hist
}
