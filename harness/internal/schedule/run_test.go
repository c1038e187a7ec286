package schedule

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/report"
	"github.com/gamedayhq/gameday/harness/internal/runner"
	"github.com/gamedayhq/gameday/harness/internal/spec"
	"github.com/gamedayhq/gameday/harness/internal/verdict"
)

func ran(name, runID string, status verdict.Status, err error) runner.Outcome {
	e := &spec.Experiment{Metadata: spec.Metadata{Name: name}}
	return runner.Outcome{Suite: "s", Experiment: e, Err: err, Result: &runner.Result{Dir: "/r/s/" + runID,
		Report: &report.Report{RunID: runID, Verdict: verdict.Verdict{Status: status}}}}
}

func refused(name string, err error) runner.Outcome {
	return runner.Outcome{Suite: "s", Experiment: &spec.Experiment{Metadata: spec.Metadata{Name: name}}, Err: err}
}

// A fire's outcome is read from the runner's typed outcomes: each run's
// verdict and report directory, the suite's exit code, the status of the
// worst run, and the error no report explains.
func TestOutcomeOf(t *testing.T) {
	noSandbox := exitcode.Infraf("no sandbox runs")
	failed := exitcode.Failedf("hypothesis failed")
	tests := map[string]struct {
		outs []runner.Outcome
		err  error
		want Outcome
	}{
		"one run that held": {
			[]runner.Outcome{ran("pod-kill", "r1", verdict.Held, nil)}, nil,
			Outcome{Status: "held", Results: []Result{{RunID: "r1", Experiment: "pod-kill", Status: "held", Dir: "/r/s/r1"}}}},
		"the worst run names the status, the suite's error the code": {
			[]runner.Outcome{ran("a", "r1-a", verdict.Failed, failed), refused("b", noSandbox)}, noSandbox,
			Outcome{Status: "infra", ExitCode: exitcode.Infra, Err: errors.New("b: no sandbox runs"), Results: []Result{
				{RunID: "r1-a", Experiment: "a", Status: "failed", ExitCode: exitcode.Failed, Dir: "/r/s/r1-a"},
				{Experiment: "b", Status: "infra", ExitCode: exitcode.Infra, Err: noSandbox}}}},
		"a suite that could not start": {
			nil, exitcode.Invalidf("bad file"),
			Outcome{Status: "invalid", ExitCode: exitcode.Invalid, Err: errors.New("bad file")}},
		"interrupted after a run: aborted, the run's report stands": {
			[]runner.Outcome{ran("a", "r1-a", verdict.Held, nil)}, exitcode.Abortedf("suite interrupted"),
			Outcome{Status: "held", ExitCode: exitcode.Aborted, Results: []Result{{RunID: "r1-a", Experiment: "a", Status: "held", Dir: "/r/s/r1-a"}}}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got := OutcomeOf(tt.outs, tt.err)
			if (got.Err == nil) != (tt.want.Err == nil) || got.Err != nil && got.Err.Error() != tt.want.Err.Error() {
				t.Errorf("error %v, want %v", got.Err, tt.want.Err)
			}
			got.Err, tt.want.Err = nil, nil
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// Suites runs a fire's file through runner.LoadSuite and runner.RunSuite:
// a lone experiment's runs go into the suite named after the schedule, a
// suite keeps its name and policy; what prevents a run is the outcome's
// error with its exit code. (Real runs of a fire: cmd/gameday TestScheduler.)
func TestSuitesRun(t *testing.T) {
	exp, _ := filepath.Abs("../../../experiments/pod-kill.yaml")
	gate, _ := filepath.Abs("../../../experiments/suites/preprod-gate.yaml")
	noTarget := func(*Schedule) (func(context.Context, *spec.Experiment) (runner.Config, error), error) {
		return func(_ context.Context, e *spec.Experiment) (runner.Config, error) {
			return runner.Config{}, exitcode.Infraf("experiment %s: no target here", e.Metadata.Name)
		}, nil
	}
	tests := map[string]struct {
		schedule   Schedule
		path       string
		config     func(*Schedule) (func(context.Context, *spec.Experiment) (runner.Config, error), error)
		wantCode   int
		wantSuite  string
		wantRuns   int
		wantDetail string
	}{
		"an experiment runs in the schedule's suite": {
			Schedule{Name: "nightly", Experiment: "x"}, exp, noTarget, exitcode.Infra, "nightly", 1, "pod-kill: experiment pod-kill: no target here"},
		"a suite keeps its name and fail-fast": {
			Schedule{Name: "weekly", Suite: "x"}, gate, noTarget, exitcode.Infra, "preprod-gate", 1, "experiment"},
		"a file that does not load": {
			Schedule{Name: "nightly", Experiment: "x"}, "../cli/testdata/bad.yaml", noTarget, exitcode.Invalid, "", 0, "fix the file"},
		"options that do not build": {
			Schedule{Name: "nightly", Experiment: "x"}, exp,
			func(*Schedule) (func(context.Context, *spec.Experiment) (runner.Config, error), error) {
				return nil, exitcode.Invalidf("flags.zone-map: bad")
			}, exitcode.Invalid, "", 0, "flags.zone-map: bad"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			var suites []string
			su := Suites{ReportsDir: t.TempDir(), Config: tt.config, Done: func(o runner.Outcome) error {
				suites = append(suites, o.Suite)
				return nil
			}}
			got := su.Run(t.Context(), Request{Schedule: &tt.schedule, Path: tt.path, RunID: "r1"})
			if got.ExitCode != tt.wantCode || len(got.Results) != tt.wantRuns || got.Err == nil || !strings.Contains(got.Err.Error(), tt.wantDetail) {
				t.Fatalf("outcome %+v; want exit %d, %d runs, an error saying %q", got, tt.wantCode, tt.wantRuns, tt.wantDetail)
			}
			if tt.wantRuns > 0 && (len(suites) != tt.wantRuns || suites[0] != tt.wantSuite) {
				t.Errorf("Done saw suites %v, want %d of %s", suites, tt.wantRuns, tt.wantSuite)
			}
		})
	}
}
