package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/history"
	"github.com/gamedayhq/gameday/harness/internal/regression"
	"github.com/gamedayhq/gameday/harness/internal/report"
	"github.com/gamedayhq/gameday/harness/internal/runner"
	"github.com/gamedayhq/gameday/harness/internal/sandbox"
	"github.com/gamedayhq/gameday/harness/internal/slo"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// EnvStepSummary is the file GitHub Actions shows as the job summary.
const EnvStepSummary = "GITHUB_STEP_SUMMARY"

func runFlags() []ucli.Flag {
	return append([]ucli.Flag{
		sandboxDirFlag(), outputFlag(),
		&ucli.StringFlag{Name: flagReportsDir, Value: runner.DefaultReportsDir, Usage: "root of the reports: written to DIR/<suite>/<run-id>/"},
		&ucli.StringFlag{Name: flagRunID, Usage: "id of the run (default: UTC time and experiment name)"},
		&ucli.StringFlag{Name: flagSuite, Usage: "suite name of a single experiment's reports (default: the suite's name, or adhoc)"},
		&ucli.StringFlag{Name: flagTargetURL, Usage: "base URL of PetClinic (default: the sandbox's balancer, or the target's url)"},
		&ucli.StringFlag{Name: flagPrometheusURL, Usage: "Prometheus of the promql probes (default: the target's, else the sandbox's)"},
		&ucli.StringFlag{Name: flagLokiURL, Usage: "Loki of the logql probes (default: the target's; without one they are skipped)"},
		&ucli.BoolFlag{Name: flagNoColor, Usage: "no colour in the live progress", EnvVars: []string{"NO_COLOR"}},
		&ucli.StringFlag{Name: flagCompareTo, Usage: "regression gate: compare each run, per fault window, with last-passed, baseline or RUN-ID (thresholds: the suite's regression block); a regression fails the run (exit 1)"},
	}, kubeFlags()...)
}

func runCommand(gate bool) *ucli.Command {
	cmd := &ucli.Command{
		Name:      "run",
		Usage:     "run an experiment or a suite and judge the hypothesis",
		ArgsUsage: "EXPERIMENT.yaml|SUITE.yaml",
		Description: `Runs one experiment (or every experiment of a suite, in order): preflight of the target,
load with the experiment's rate profile and journeys, probes in their mode windows,
faults injected at their offsets and recovered at their end. A stop condition or
SIGINT/SIGTERM aborts the run (exit 4) after recovering every fault; a second
SIGINT kills gameday at once (then run gameday cleanup). Reports are written to
--reports-dir/<suite>/<run-id>/ (report.json, report.md, report.html, junit.xml).

` + exitCodeTable() + `
EXAMPLES:
   gameday sandbox up && gameday run experiments/pod-kill.yaml
   gameday run --run-id try-1 --reports-dir /tmp/reports experiments/zone-outage.yaml
   gameday run --output json experiments/suites/weekly-gameday.yaml
   gameday run --publish --publish-repo https://github.com/gamedayhq/gameday-reports.git \
       --notify notifications.yaml experiments/pod-kill.yaml   (docs/publishing.md, docs/notifications.md)
   gameday run --target kubernetes --context staging --namespace petclinic --allow-namespace petclinic \
       --target-url https://petclinic.staging.example.com --prometheus-url http://127.0.0.1:9090 \
       experiments/zone-outage.yaml   (Chaos Mesh; docs/kubernetes.md)`,
		Flags:  append(runCommandFlags(), deliveryFlags()...),
		Action: func(c *ucli.Context) error { return runAction(c, false) },
	}
	if gate {
		cmd.Name = "gate"
		cmd.Usage = "run for CI: also append the Markdown summary to $GITHUB_STEP_SUMMARY"
		cmd.Description = `Same as run, for a CI gate: the JUnit file of every run is printed for the CI to
collect, and the Markdown report is appended to $GITHUB_STEP_SUMMARY when it is set
(the GitHub Actions job summary). The exit code is the gate. With --publish, a run that
held but whose report could not be published exits 3: a gate is not green without its
evidence (a failed notification never changes the exit code).

With --compare-to, each run is also compared with a reference from the history of
--reports-dir, fault window by fault window (aligned on the injection times): time to
detect, time to recover, p99 and error ratio in the window, and the score. last-passed
is the last comparable run that held (same experiment, target kind and load), baseline
the median of the last comparable runs that held, RUN-ID one run. A metric worse than
the reference beyond the suite's thresholds (spec.regression) fails the run (exit 1);
the comparison is a table in every report and in the job summary.

` + exitCodeTable() + `
EXAMPLES:
   gameday gate experiments/suites/preprod-gate.yaml
   GITHUB_STEP_SUMMARY=/tmp/summary.md gameday gate --reports-dir out experiments/pod-kill.yaml
   gameday gate --target kubernetes --publish --publish-repo https://github.com/gamedayhq/gameday-reports.git \
       --notify .github/gameday/notifications.yaml --notify-label environment=staging ... experiments/suites/k8s-preprod-gate.yaml
   gameday gate --compare-to last-passed experiments/suites/preprod-gate.yaml
   gameday gate --compare-to baseline --reports-dir reports experiments/pod-kill.yaml
   gameday gate --compare-to 20261206-151729-pod-kill experiments/pod-kill.yaml`
		cmd.Action = func(c *ucli.Context) error { return runAction(c, true) }
	}
	return cmd
}

// runSummary is the final summary of one run (--output json).
type runSummary struct {
	RunID      string   `json:"runID"`
	Suite      string   `json:"suite"`
	Experiment string   `json:"experiment"`
	Status     string   `json:"status"`
	ExitCode   int      `json:"exitCode"`
	Score      float64  `json:"score"`
	Budget     float64  `json:"budgetConsumed"`
	Reasons    []string `json:"reasons,omitempty"`
	// Warnings are the decisions of the run that warn (LogQL without a
	// Loki, ...): what the verdict does not cover.
	Warnings []string          `json:"warnings,omitempty"`
	Error    string            `json:"error,omitempty"`
	Reports  map[string]string `json:"reports,omitempty"`
	// Cost summarises the report's cost section.
	Cost string `json:"cost,omitempty"`
	delivered
	// Gate is the regression gate's outcome (--compare-to), Regressions
	// the metrics that regressed.
	Gate        string   `json:"gate,omitempty"`
	Regressions []string `json:"regressions,omitempty"`
}

func runAction(c *ucli.Context, gate bool) error {
	o, err := output(c)
	if err != nil {
		return err
	}
	if c.NArg() != 1 {
		return exitcode.Invalidf("%s: want one EXPERIMENT.yaml or SUITE.yaml, got %d arguments", c.Command.Name, c.NArg())
	}
	opts, err := runOptionsOf(c, gate)
	if err != nil {
		return err
	}
	suite, err := runner.LoadSuite(c.Args().First(), c.String(flagSuite))
	if err != nil {
		return err
	}
	g, err := slo.NewGuard(opts.Guard)
	if err != nil {
		return err
	}
	d, err := newDelivery(c, c.String(flagReportsDir))
	if err != nil {
		return err
	}
	stderr := c.App.ErrWriter
	var dels []delivered
	// The history of the reports tree: the runs the baselines learn from.
	// A tree that does not exist yet has none, and is not created for a
	// run that may fail before it writes anything (unless the regression
	// gate needs a history to say it has no reference).
	var hist *history.Store
	if _, serr := os.Stat(c.String(flagReportsDir)); serr == nil || c.IsSet(flagCompareTo) {
		var herr error
		if hist, herr = history.Open(c.String(flagReportsDir), history.Options{Warn: stderr}); herr != nil {
			fmt.Fprintf(stderr, "gameday: history: %v: the baselines learn from each run alone\n", herr)
		} else {
			defer hist.Close()
		}
	}
	gateSection, err := compareTo(c, hist, suite)
	if err != nil {
		return err
	}
	runConfig := opts.runConfig(g, stderr, stderr)
	outcomes, err := runner.RunSuite(c.Context, suite, runner.SuiteOptions{
		RunID: c.String(flagRunID), ReportsDir: c.String(flagReportsDir),
		Config: func(ctx context.Context, e *spec.Experiment) (runner.Config, error) {
			rc, err := runConfig(ctx, e)
			rc.History = hist
			if err == nil && gateSection != nil {
				rc.Sections = append(rc.Sections, gateSection)
			}
			return rc, err
		},
		Done: func(out runner.Outcome) error {
			recordRun(stderr, c.String(flagReportsDir), out.Result)
			dl, perr := d.after(c.Context, out)
			dels = append(dels, dl)
			if o == "text" {
				printSummary(c.App.Writer, summarize(out))
				dl.print(c.App.Writer)
			} else if perr != nil {
				fmt.Fprintf(stderr, "gameday: publish: %v\n", perr)
			}
			if gate && out.Result != nil && out.Result.Paths != nil {
				if err := gateOutputs(c.App.Writer, out.Result, dl); err != nil {
					return err
				}
			}
			return publishFailed(out, perr)
		},
	})
	if o == "json" {
		summaries := make([]runSummary, 0, len(outcomes))
		for i, out := range outcomes {
			s := summarize(out)
			if i < len(dels) {
				s.delivered = dels[i]
			}
			summaries = append(summaries, s)
		}
		var v any = summaries
		if len(summaries) == 1 {
			v = summaries[0]
		}
		if jerr := writeJSON(c.App.Writer, v); jerr != nil {
			return jerr
		}
	}
	return err
}

func summarize(out runner.Outcome) runSummary {
	err := out.Err
	s := runSummary{Suite: out.Suite, Experiment: out.Experiment.Metadata.Name, ExitCode: exitcode.Of(err), Status: exitcode.Name(exitcode.Of(err))}
	if res := out.Result; res != nil && res.Report != nil {
		r := res.Report
		s.RunID, s.Status, s.Score, s.Budget, s.Reasons = r.RunID, string(r.Verdict.Status), r.Verdict.Score.Percent, r.Verdict.Budget.Consumed, r.Verdict.Reasons
		s.Reports = res.Paths
		s.Cost = costLine(r.Cost)
		for _, d := range r.Decisions {
			if d.Outcome == "warning" {
				s.Warnings = append(s.Warnings, d.Detail)
			}
		}
		if gc := r.Comparison; gc != nil {
			s.Gate, s.Regressions = gc.Headline(), gc.Reasons
			if gc.Failed && r.Verdict.Status == "held" {
				s.Status = "regressed"
			}
		}
	}
	if err != nil && (out.Result == nil || out.Result.Paths == nil) {
		s.Error = err.Error()
	}
	return s
}

func printSummary(w io.Writer, s runSummary) {
	fmt.Fprintf(w, "%s: %s (exit %d)", s.Experiment, strings.ToUpper(s.Status), s.ExitCode)
	if s.RunID != "" {
		fmt.Fprintf(w, ", score %.1f%%, error budget consumed %.1f%%, run %s", s.Score, 100*s.Budget, s.RunID)
	}
	fmt.Fprintln(w)
	for _, r := range s.Reasons {
		fmt.Fprintf(w, "  - %s\n", r)
	}
	for _, r := range s.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", r)
	}
	if s.Cost != "" {
		fmt.Fprintf(w, "  cost: %s\n", s.Cost)
	}
	if s.Gate != "" {
		fmt.Fprintf(w, "  regression gate: %s\n", s.Gate)
		for _, r := range s.Regressions {
			fmt.Fprintf(w, "    - %s\n", r)
		}
	}
	if p := s.Reports[report.FileHTML]; p != "" {
		fmt.Fprintf(w, "  report: %s\n", p)
	}
}

// gateOutputs prints the JUnit path and appends report.md (and where it was
// published) to the GitHub step summary when $GITHUB_STEP_SUMMARY is set.
func gateOutputs(w io.Writer, res *runner.Result, dl delivered) error {
	fmt.Fprintf(w, "  junit: %s\n", res.Paths[report.FileJUnit])
	path := os.Getenv(EnvStepSummary)
	if path == "" {
		return nil
	}
	md, err := os.ReadFile(res.Paths[report.FileMD])
	if err != nil {
		return exitcode.Infraf("step summary: %w", err)
	}
	f, err := os.OpenFile(filepath.Clean(path), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return exitcode.Infraf("step summary %s: %w", path, err)
	}
	if p := dl.Published; p != nil {
		md = fmt.Appendf(md, "\nPublished to `%s` of %s at `%s`.\n", p.Path, p.Repository, shortHash(p.Commit))
	}
	_, err = f.Write(append(md, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return exitcode.Infraf("step summary %s: %w", path, err)
	}
	fmt.Fprintf(w, "  summary appended to %s\n", path)
	return nil
}

func cleanupCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "cleanup",
		Usage: "recover every fault a killed or crashed run left behind",
		Description: `Reads the chaos engine's run state (state files of the sandbox) and recovers every fault
still recorded there: killed replicas restarted, frozen ones resumed, toxics and HTTP
faults removed, stressors stopped. Use it after kill -9 of gameday, or a crash.
Without --run-id, every run is cleaned up. With --target kubernetes it pauses and
deletes every Chaos Mesh object labelled app.kubernetes.io/managed-by=gameday in the
namespace (of run --run-id only, when set), and its load Jobs; --all-namespaces does so in
every namespace of --allow-namespace.

EXAMPLES:
   gameday cleanup
   gameday cleanup --run-id 20261127-173501-pod-kill
   gameday cleanup --target kubernetes --context staging --namespace petclinic
   gameday cleanup --target kubernetes --all-namespaces --allow-namespace petclinic,petclinic-canary`,
		Flags: append([]ucli.Flag{sandboxDirFlag(), &ucli.StringFlag{Name: flagRunID, Usage: "clean up this run only"},
			&ucli.StringFlag{Name: flagTarget, Value: string(spec.TargetSandbox), Usage: "sandbox or kubernetes"}}, cleanupFlags()...),
		Action: func(c *ucli.Context) error {
			switch c.String(flagTarget) {
			case string(spec.TargetKubernetes):
				return kubeCleanup(c)
			case string(spec.TargetSandbox):
			default:
				return exitcode.Invalidf("--target %q: use sandbox or kubernetes", c.String(flagTarget))
			}
			dir, err := sandboxDir(c)
			if err != nil {
				return err
			}
			st, err := sandbox.Status(c.Context, dir)
			if err != nil {
				return exitcode.Infraf("cleanup: %w: nothing to clean up without a sandbox (gameday sandbox up)", err)
			}
			en, err := sandboxEngine(dir, st)
			if err != nil {
				return exitcode.Infraf("cleanup: %w", err)
			}
			ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Context), 2*time.Minute)
			defer cancel()
			did, err := en.Cleanup(ctx, c.String(flagRunID))
			for _, d := range did {
				fmt.Fprintf(c.App.Writer, "recovered  %s\n", d)
			}
			if err != nil {
				return exitcode.Infraf("cleanup: %w (run it again; gameday sandbox down removes everything)", err)
			}
			if len(did) == 0 {
				fmt.Fprintln(c.App.Writer, "nothing to clean up")
			}
			return nil
		},
	}
}

// flagCompareTo names the regression gate's reference.
const flagCompareTo = "compare-to"

// compareTo is the report section of --compare-to (nil without it): the
// regression gate against the history of --reports-dir, with the suite's
// thresholds. A named run is looked up for every experiment before
// anything runs: one that does not exist, or is of another experiment,
// is invalid input.
func compareTo(c *ucli.Context, hist *history.Store, suite runner.Suite) (func(context.Context, *report.Report), error) {
	if !c.IsSet(flagCompareTo) {
		return nil, nil
	}
	mode, id, err := regression.Parse(c.String(flagCompareTo))
	if err != nil {
		return nil, err
	}
	if hist == nil {
		return nil, exitcode.Infraf("--compare-to: the history of %s cannot be opened", c.String(flagReportsDir))
	}
	if mode == regression.ModeRun {
		if _, err := hist.Sync(c.Context); err != nil {
			return nil, exitcode.Infraf("--compare-to: %w", err)
		}
		for _, e := range suite.Experiments {
			if _, err := regression.Named(c.Context, hist, id, e.Metadata.Name); err != nil {
				return nil, err
			}
		}
	}
	return regression.Section(hist, mode, id, suite.Regression.WithDefaults()), nil
}
