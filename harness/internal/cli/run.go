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

	"github.com/gamedayhq/gameday/harness/internal/engine"
	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/load"
	"github.com/gamedayhq/gameday/harness/internal/report"
	"github.com/gamedayhq/gameday/harness/internal/runner"
	"github.com/gamedayhq/gameday/harness/internal/sandbox"
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
   gameday run --target kubernetes --context staging --namespace petclinic --allow-namespace petclinic \
       --target-url https://petclinic.staging.example.com --prometheus-url http://127.0.0.1:9090 \
       experiments/zone-outage.yaml   (Chaos Mesh; docs/kubernetes.md)`,
		Flags:  append(runFlags(), guardFlags()...),
		Action: func(c *ucli.Context) error { return runAction(c, false) },
	}
	if gate {
		cmd.Name = "gate"
		cmd.Usage = "run for CI: also append the Markdown summary to $GITHUB_STEP_SUMMARY"
		cmd.Description = `Same as run, for a CI gate: the JUnit file of every run is printed for the CI to
collect, and the Markdown report is appended to $GITHUB_STEP_SUMMARY when it is set
(the GitHub Actions job summary). The exit code is the gate.

` + exitCodeTable() + `
EXAMPLES:
   gameday gate experiments/suites/preprod-gate.yaml
   GITHUB_STEP_SUMMARY=/tmp/summary.md gameday gate --reports-dir out experiments/pod-kill.yaml`
		cmd.Action = func(c *ucli.Context) error { return runAction(c, true) }
	}
	return cmd
}

// runSummary is the final summary of one run (--output json).
type runSummary struct {
	RunID      string            `json:"runID"`
	Suite      string            `json:"suite"`
	Experiment string            `json:"experiment"`
	Status     string            `json:"status"`
	ExitCode   int               `json:"exitCode"`
	Score      float64           `json:"score"`
	Budget     float64           `json:"budgetConsumed"`
	Reasons    []string          `json:"reasons,omitempty"`
	Error      string            `json:"error,omitempty"`
	Reports    map[string]string `json:"reports,omitempty"`
}

func runAction(c *ucli.Context, gate bool) error {
	o, err := output(c)
	if err != nil {
		return err
	}
	if c.NArg() != 1 {
		return exitcode.Invalidf("%s: want one EXPERIMENT.yaml or SUITE.yaml, got %d arguments", c.Command.Name, c.NArg())
	}
	path := c.Args().First()
	cat, err := spec.ValidateOptions{Journeys: load.JourneyNames()}.LoadPath(path)
	if err != nil {
		return exitcode.Wrap(exitcode.Invalid, fmt.Errorf("%w\nfix the file (gameday validate %s)", err, path))
	}
	suite := c.String(flagSuite)
	exps := cat.Experiments
	failFast, cooldown := false, time.Duration(0)
	if len(cat.Suites) == 1 && len(exps) == 0 {
		s := cat.Suites[0]
		suite = cmpOr(suite, s.Metadata.Name)
		exps, failFast, cooldown = s.Experiments, s.Spec.FailFast, s.Spec.Cooldown.D()
	}
	if len(exps) == 0 || len(cat.Suites) > 1 || (len(cat.Suites) == 1 && len(cat.Experiments) > 0) {
		return exitcode.Invalidf("%s: %s must be one experiment or one suite file", c.Command.Name, path)
	}
	suite = cmpOr(suite, runner.DefaultSuite)

	var summaries []runSummary
	var worst error
	for i, e := range exps {
		if i > 0 && cooldown > 0 {
			select {
			case <-c.Context.Done():
			case <-time.After(cooldown):
			}
		}
		if c.Context.Err() != nil {
			worst = worse(worst, exitcode.Abortedf("suite %s interrupted before experiment %s: %w", suite, e.Metadata.Name, c.Context.Err()))
			break
		}
		runID := c.String(flagRunID)
		if runID != "" && len(exps) > 1 {
			runID += "-" + e.Metadata.Name
		}
		res, err := runOne(c, e, suite, runID)
		sum := summarize(suite, e, res, err)
		summaries = append(summaries, sum)
		if o == "text" {
			printSummary(c.App.Writer, sum)
		}
		if gate && res != nil && res.Paths != nil {
			if err := gateOutputs(c.App.Writer, res); err != nil {
				worst = worse(worst, err)
			}
		}
		worst = worse(worst, err)
		if err != nil && failFast {
			break
		}
	}
	if o == "json" {
		var v any = summaries
		if len(summaries) == 1 {
			v = summaries[0]
		}
		if err := writeJSON(c.App.Writer, v); err != nil {
			return err
		}
	}
	return worst
}

// worse keeps the error of the higher precedence: aborted, then
// infrastructure, then invalid, then failed.
func worse(a, b error) error {
	rank := map[int]int{exitcode.OK: 0, exitcode.Failed: 1, exitcode.Invalid: 2, exitcode.Infra: 3, exitcode.Aborted: 4}
	if rank[exitcode.Of(b)] > rank[exitcode.Of(a)] {
		return b
	}
	return a
}

func runOne(c *ucli.Context, e *spec.Experiment, suite, runID string) (*runner.Result, error) {
	t, err := resolveTarget(c, e)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	decisions, guardWatches, err := budgetGuard(c, e, t.prometheus, now)
	if err != nil {
		return refusedRun(c, e, suite, runID, t.prometheus, decisions, err, now)
	}
	stderr := c.App.ErrWriter
	tty := isTTY(stderr)
	return runner.Run(c.Context, runner.Config{
		Experiment: e, Engine: t.engine, RunID: runID, Suite: suite, ReportsDir: c.String(flagReportsDir),
		TargetURL: t.url, PrometheusURL: t.prometheus, LokiURL: t.loki, StartLoad: t.startLoad,
		Watches: append(t.watches, guardWatches...), Decisions: decisions,
		Progress: stderr, TTY: tty, Color: tty && !c.Bool(flagNoColor),
	})
}

// target is where an experiment runs.
type target struct {
	engine                engine.Engine
	url, prometheus, loki string
	// watches stop the run from outside (the kubernetes kill switch).
	watches []runner.Watch
	// startLoad runs the load elsewhere (a Kubernetes Job); nil: here.
	startLoad func(context.Context, load.Plan) (runner.LoadRun, error)
}

// resolveTarget finds the engine and the URLs of e's target; flags win
// over the experiment, which wins over the sandbox's own.
func resolveTarget(c *ucli.Context, e *spec.Experiment) (target, error) {
	var t target
	tg := e.Spec.Target
	t.prometheus = cmpOr(c.String(flagPrometheusURL), tg.PrometheusURL)
	t.loki = cmpOr(c.String(flagLokiURL), tg.LokiURL)
	t.url = c.String(flagTargetURL)
	onKube, err := isKube(c, e)
	switch {
	case err != nil:
		return t, err
	case onKube:
		return kubeTarget(c, e, t)
	default:
		dir, err := sandboxDir(c)
		if err != nil {
			return t, err
		}
		st, err := sandbox.Status(c.Context, dir)
		if err != nil || !st.Running {
			return t, exitcode.Infraf("experiment %s targets the sandbox, but no sandbox runs in %s: start it with gameday sandbox up", e.Metadata.Name, dir)
		}
		t.url = cmpOr(t.url, st.URL)
		t.prometheus = cmpOr(t.prometheus, st.Prometheus.URL)
		en, err := sandboxEngine(dir, st)
		if err != nil {
			return t, exitcode.Infraf("sandbox engine: %w", err)
		}
		t.engine = en
	}
	return t, nil
}

func summarize(suite string, e *spec.Experiment, res *runner.Result, err error) runSummary {
	s := runSummary{Suite: suite, Experiment: e.Metadata.Name, ExitCode: exitcode.Of(err), Status: exitcode.Name(exitcode.Of(err))}
	if res != nil && res.Report != nil {
		r := res.Report
		s.RunID, s.Status, s.Score, s.Budget, s.Reasons = r.RunID, string(r.Verdict.Status), r.Verdict.Score.Percent, r.Verdict.Budget.Consumed, r.Verdict.Reasons
		s.Reports = res.Paths
	}
	if err != nil && (res == nil || res.Paths == nil) {
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
	if p := s.Reports[report.FileHTML]; p != "" {
		fmt.Fprintf(w, "  report: %s\n", p)
	}
}

// gateOutputs prints the JUnit path and appends report.md to the GitHub
// step summary when $GITHUB_STEP_SUMMARY is set.
func gateOutputs(w io.Writer, res *runner.Result) error {
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

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
