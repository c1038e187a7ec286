package runner

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/load"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// A Suite is experiments run one after the other: a suite file, or one
// experiment on its own.
type Suite struct {
	// Name groups the reports: <reports-dir>/<name>/<run-id>/ (default
	// DefaultSuite).
	Name        string
	Experiments []*spec.Experiment
	// FailFast stops the suite at the first run that does not hold;
	// Cooldown is the pause between two runs.
	FailFast bool
	Cooldown time.Duration
	// Regression are the suite's regression-gate thresholds (nil: the
	// defaults).
	Regression *spec.Regression
}

// LoadSuite reads path, one experiment or one suite file (its experiments
// loaded, its defaults applied), strictly and offline. name, when set,
// overrides the suite's name (default: the suite file's, else "adhoc").
func LoadSuite(path, name string) (Suite, error) {
	cat, err := spec.ValidateOptions{Journeys: load.JourneyNames()}.LoadPath(path)
	if err != nil {
		return Suite{}, exitcode.Wrap(exitcode.Invalid, fmt.Errorf("%w\nfix the file (gameday validate %s)", err, path))
	}
	switch {
	case len(cat.Suites) == 1 && len(cat.Experiments) == 0 && len(cat.Suites[0].Experiments) > 0:
		s := cat.Suites[0]
		return Suite{Name: cmp.Or(name, s.Metadata.Name), Experiments: s.Experiments, FailFast: s.Spec.FailFast, Cooldown: s.Spec.Cooldown.D(),
			Regression: s.Spec.Regression}, nil
	case len(cat.Suites) == 0 && len(cat.Experiments) > 0:
		return Suite{Name: cmp.Or(name, DefaultSuite), Experiments: cat.Experiments}, nil
	}
	return Suite{}, exitcode.Invalidf("%s: want one experiment or one suite file", path)
}

// SuiteOptions are what the runs of a suite share.
type SuiteOptions struct {
	// RunID names the run of a lone experiment; with several, each run is
	// RunID-<experiment>. Empty: NewRunID for each run.
	RunID string
	// ReportsDir is the root of the reports (default DefaultReportsDir).
	ReportsDir string
	// Config is the configuration of the run of e: its target (engine,
	// URLs, watches, load), guard and progress; RunSuite sets Experiment,
	// RunID, Suite and ReportsDir. Each experiment names its own target,
	// so it is asked once per run. An error ends that run, without report.
	Config func(ctx context.Context, e *spec.Experiment) (Config, error)
	// Done, when set, is called after each run, in order (the CLI prints
	// the run's summary); an error it returns counts in the suite's.
	Done func(Outcome) error
}

// An Outcome is one run of a suite.
type Outcome struct {
	Suite      string
	Experiment *spec.Experiment
	// Result is nil when no report was written (an invalid experiment, a
	// target that could not be reached, a preflight that refused).
	Result *Result
	// Err carries the run's exit code (package exitcode); nil: held.
	Err error
}

// RunSuite runs the experiments of s in order and returns the outcome of
// each run, and the suite's error: the worst of its runs by exit code,
// aborted > infra > invalid > failed > ok. With FailFast it stops after
// the first run that did not hold. A cancelled ctx (SIGINT) aborts the run
// in progress, after recovering its faults, and starts no other.
func RunSuite(ctx context.Context, s Suite, o SuiteOptions) ([]Outcome, error) {
	if o.Config == nil {
		return nil, exitcode.Invalidf("runner: a suite needs SuiteOptions.Config")
	}
	s.Name = cmp.Or(s.Name, DefaultSuite)
	var outcomes []Outcome
	var worst error
	for i, e := range s.Experiments {
		if i > 0 && s.Cooldown > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(s.Cooldown):
			}
		}
		if ctx.Err() != nil {
			worst = exitcode.Worse(worst, exitcode.Abortedf("suite %s interrupted before experiment %s: %w", s.Name, e.Metadata.Name, context.Cause(ctx)))
			break
		}
		out := Outcome{Suite: s.Name, Experiment: e}
		out.Result, out.Err = runIn(ctx, s, o, e)
		outcomes = append(outcomes, out)
		worst = exitcode.Worse(worst, out.Err)
		if o.Done != nil {
			worst = exitcode.Worse(worst, o.Done(out))
		}
		if out.Err != nil && s.FailFast {
			break
		}
	}
	return outcomes, worst
}

// runIn runs e as a run of the suite.
func runIn(ctx context.Context, s Suite, o SuiteOptions, e *spec.Experiment) (*Result, error) {
	c, err := o.Config(ctx, e)
	if err != nil {
		return nil, err
	}
	c.Experiment, c.Suite, c.ReportsDir, c.RunID = e, s.Name, o.ReportsDir, o.RunID
	if o.RunID != "" && len(s.Experiments) > 1 {
		c.RunID = o.RunID + "-" + e.Metadata.Name
	}
	return Run(ctx, c)
}
