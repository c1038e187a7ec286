package schedule

import (
	"context"
	"fmt"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/runner"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// Suites runs fires through runner.RunSuite: the suite or experiment of the
// schedule, its reports in ReportsDir under the fire's run id (a single
// experiment's in the suite named after the schedule).
type Suites struct {
	ReportsDir string
	// Config is the configuration of each run of a fire of s (its target,
	// guard and progress), as gameday run builds it from its own flags; an
	// error prevents the fire.
	Config func(s *Schedule) (func(context.Context, *spec.Experiment) (runner.Config, error), error)
	// Done, when set, is called after each run of a fire, in order, before
	// the next starts: the one place for what follows a scheduled run
	// (the scheduler then records the fire, indexes its runs and applies the
	// retention). An error it returns counts in the fire's outcome.
	Done func(runner.Outcome) error
}

// Run is a RunFunc: it runs the fire r and returns when its runs are over,
// or when ctx is cancelled and the run in progress has been aborted by the
// runner (faults recovered, report written).
func (su Suites) Run(ctx context.Context, r Request) Outcome {
	name := ""
	if r.Schedule.Experiment != "" {
		name = r.Schedule.Name
	}
	suite, err := runner.LoadSuite(r.Path, name)
	if err != nil {
		return OutcomeOf(nil, err)
	}
	config, err := su.Config(r.Schedule)
	if err != nil {
		return OutcomeOf(nil, err)
	}
	outs, err := runner.RunSuite(ctx, suite, runner.SuiteOptions{RunID: r.RunID, ReportsDir: su.ReportsDir, Config: config, Done: su.Done})
	return OutcomeOf(outs, err)
}

// ResultOf is one run of a fire: its report's verdict when it wrote one,
// else the name of its exit code.
func ResultOf(o runner.Outcome) Result {
	code := exitcode.Of(o.Err)
	res := Result{Experiment: o.Experiment.Metadata.Name, Status: exitcode.Name(code), ExitCode: code}
	if r := o.Result; r != nil && r.Report != nil {
		res.RunID, res.Status, res.Dir = r.Report.RunID, string(r.Report.Verdict.Status), r.Dir
	} else if o.Err != nil {
		res.Err = o.Err
	}
	return res
}

// OutcomeOf is a fire's outcome from runner.RunSuite's: each run's result,
// the suite's exit code (the worst of its runs, and of anything that
// stopped it), the status of the worst run (the suite's exit code name when
// it ran none), and the error that no report explains.
func OutcomeOf(outs []runner.Outcome, err error) Outcome {
	code := exitcode.Of(err)
	o := Outcome{ExitCode: code, Status: exitcode.Name(code)}
	worst := -1
	for _, out := range outs {
		res := ResultOf(out)
		o.Results = append(o.Results, res)
		if p := exitcode.Precedence(res.ExitCode); p > worst {
			worst, o.Status = p, res.Status
		}
		if res.Err != nil && o.Err == nil {
			o.Err = fmt.Errorf("%s: %w", res.Experiment, res.Err)
		}
	}
	if err != nil && len(outs) == 0 {
		o.Err = err
	}
	return o
}
