package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/load"
	"github.com/gamedayhq/gameday/harness/internal/loki"
	"github.com/gamedayhq/gameday/harness/internal/prom"
	"github.com/gamedayhq/gameday/harness/internal/report"
	"github.com/gamedayhq/gameday/harness/internal/runner"
	"github.com/gamedayhq/gameday/harness/internal/slo"
	"github.com/gamedayhq/gameday/harness/internal/spec"
	"github.com/gamedayhq/gameday/harness/internal/verdict"
)

// Flags of the error-budget guard (run, gate).
const (
	flagBudgetMin    = "budget-policy-min"
	flagBurnRateCap  = "burn-rate-cap"
	flagNoGuard      = "no-budget-guard"
	flagGuardStrict  = "budget-guard-strict"
	defaultSLODir    = "slo"
	decisionBudget   = "error-budget"
	decisionBurnCap  = "error-budget-burn-cap"
	stopConditionCap = "error-budget-burn-rate"
)

// guardFlags are the flags of the error-budget guard.
func guardFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.StringFlag{Name: flagSLODir, Value: defaultSLODir, Usage: "OpenSLO specs the error-budget guard checks (no such directory: the guard is skipped, unless the flag is set)"},
		&ucli.Float64Flag{Name: flagBudgetMin, Value: slo.DefaultMinRemaining, Usage: "refuse to start (exit 4) when an SLO has less than this share of its error budget left"},
		&ucli.Float64Flag{Name: flagBurnRateCap, Value: slo.DefaultBurnRateCap, Usage: "abort the run (exit 4) when an SLO burns faster than this over the run so far (at most 5m); 0: no cap"},
		&ucli.BoolFlag{Name: flagGuardStrict, Usage: "refuse to start when an SLO has no data or cannot be read (default: true for gate, a CI gate must not pass without budget data; false for run, which admits and says so)"},
		&ucli.BoolFlag{Name: flagNoGuard, Usage: "no error-budget guard (the report records that it was off)"},
	}
}

// budgetGuard is the error-budget guard of one run (docs/slo.md): it reads
// every SLO in --slo-dir from the Prometheus at promURL (and Loki, for a
// LogQL SLO), and returns the decisions for the report and the watch that
// aborts the run when an SLO burns above --burn-rate-cap. It refuses the
// run with an exitcode.Aborted error naming the SLO and its figures when
// one has less than --budget-policy-min of its budget left; a malformed
// spec is exitcode.Invalid.
func budgetGuard(c *ucli.Context, e *spec.Experiment, promURL string, now time.Time) ([]report.Decision, []runner.Watch, error) {
	decide := func(outcome, detail string) report.Decision {
		return report.Decision{Name: decisionBudget, Outcome: outcome, Detail: detail, At: now.UTC()}
	}
	if c.Bool(flagNoGuard) {
		return []report.Decision{decide("skipped", "error-budget guard off (--no-budget-guard)")}, nil, nil
	}
	dir := cmp.Or(c.String(flagSLODir), defaultSLODir)
	if _, err := os.Stat(dir); err != nil && !c.IsSet(flagSLODir) {
		return []report.Decision{decide("skipped", fmt.Sprintf("no SLO specs in %s/ (run from the repository root, or set --slo-dir)", dir))}, nil, nil
	}
	set, err := loadSLOs(dir)
	if err != nil {
		return nil, nil, err
	}
	if promURL == "" && slices.ContainsFunc(set.SLOs, func(s *slo.SLO) bool { return s.Source == slo.SourcePrometheus }) {
		// Not a guard without data: one that cannot look at all. Admitting
		// would read "no-data" in the report and leave the cap off.
		return nil, nil, exitcode.Invalidf("error-budget guard: %s/ holds %d SLOs but no Prometheus URL is configured to read their budgets: set --%s (or spec.target.prometheusURL), or pass --%s to run without the guard (the report records it off)",
			dir, len(set.SLOs), flagPrometheusURL, flagNoGuard)
	}
	policy := slo.Policy{MinRemaining: c.Float64(flagBudgetMin), BurnRateCap: c.Float64(flagBurnRateCap), Strict: guardStrict(c)}
	if policy.MinRemaining < 0 || policy.MinRemaining >= 1 || policy.BurnRateCap < 0 {
		return nil, nil, exitcode.Invalidf("--%s %g and --%s %g: want a share in [0, 1) and a cap of at least 0", flagBudgetMin, policy.MinRemaining, flagBurnRateCap, policy.BurnRateCap)
	}
	clients, err := sloClients(promURL, cmpOr(c.String(flagLokiURL), e.Spec.Target.LokiURL))
	if err != nil {
		return nil, nil, err
	}
	var decisions []report.Decision
	var refused []string
	for _, s := range set.SLOs {
		ctx, cancel := context.WithTimeout(c.Context, 30*time.Second)
		st, err := slo.ReadStatus(ctx, clients, s, now)
		cancel()
		a := policy.Admit(st, err)
		d := decide(a.Outcome, a.Detail)
		d.Name = decisionBudget + "/" + s.ID()
		decisions = append(decisions, d)
		if a.Refuses() {
			refused = append(refused, a.Detail)
		}
	}
	if len(refused) > 0 {
		return decisions, nil, exitcode.Abortedf("error-budget guard refused to start %s: %s; wait for the budget to recover, or lower --%s (policy: docs/slo.md)",
			e.Metadata.Name, strings.Join(refused, "; "), flagBudgetMin)
	}
	if policy.BurnRateCap == 0 || (clients.Prom == nil && clients.Loki == nil) {
		decisions = append(decisions, report.Decision{Name: decisionBurnCap, Outcome: "off", Detail: "no burn-rate cap (--burn-rate-cap 0, or no Prometheus nor Loki)", At: now.UTC()})
		return decisions, nil, nil
	}
	// The SLOs the watch cannot read: LogQL ones without a Loki.
	var unwatched []string
	for _, s := range set.SLOs {
		if s.Source == slo.SourceLoki && clients.Loki == nil {
			unwatched = append(unwatched, s.ID())
		}
	}
	detail := fmt.Sprintf("the run is aborted when an SLO burns its budget faster than %g× over the run so far (at most the last 5m, at least %d events), on two checks %s apart; the service's burn, whatever causes it",
		policy.BurnRateCap, slo.DefaultMinEvents, slo.DefaultCheckEvery)
	if len(unwatched) > 0 {
		detail += fmt.Sprintf("; not watched (LogQL, no Loki: --%s): %s", flagLokiURL, strings.Join(unwatched, ", "))
	}
	decisions = append(decisions, report.Decision{Name: decisionBurnCap, Outcome: "armed", At: now.UTC(), Detail: detail})
	watch := func(ctx context.Context) *verdict.Stop {
		t := policy.Watch(ctx, clients, set.SLOs, time.Now())
		if t == nil {
			return nil
		}
		return &verdict.Stop{Kind: verdict.StopCondition, Condition: stopConditionCap, At: t.Observed, Reason: t.Reason}
	}
	return decisions, []runner.Watch{watch}, nil
}

// guardStrict is --budget-guard-strict, whose default is true for gate: a
// CI gate does not pass without budget data.
func guardStrict(c *ucli.Context) bool {
	if c.IsSet(flagGuardStrict) {
		return c.Bool(flagGuardStrict)
	}
	return c.Command != nil && c.Command.Name == "gate"
}

// sloClients builds the Prometheus and Loki clients of the guard and the
// report (an empty URL: none).
func sloClients(promURL, lokiURL string) (slo.Clients, error) {
	var c slo.Clients
	if promURL != "" {
		p, err := prom.New(promURL, 0)
		if err != nil {
			return c, exitcode.Wrap(exitcode.Invalid, err)
		}
		c.Prom = p
	}
	if lokiURL != "" {
		l, err := loki.New(loki.Config{URL: lokiURL})
		if err != nil {
			return c, exitcode.Wrap(exitcode.Invalid, err)
		}
		c.Loki = l
	}
	return c, nil
}

// refusedRun writes the report of a run the guard refused (no load, no
// fault: the decisions and the reason, status aborted, exit 4), so that a
// refused gate leaves a report and a JUnit file like any other run. It
// returns guardErr, the refusal.
func refusedRun(c *ucli.Context, e *spec.Experiment, suite, runID, promURL string, decisions []report.Decision, guardErr error, now time.Time) (*runner.Result, error) {
	var ec *exitcode.Error
	if !errors.As(guardErr, &ec) || exitcode.Of(guardErr) != exitcode.Aborted {
		return nil, guardErr
	}
	runID = cmpOr(runID, runner.NewRunID(now, e.Metadata.Name))
	dir, err := report.Dir(c.String(flagReportsDir), cmpOr(suite, runner.DefaultSuite), runID)
	if err != nil {
		return nil, guardErr
	}
	reason := guardErr.Error()
	rep := &report.Report{
		SchemaVersion: report.SchemaVersion, RunID: runID, Suite: cmpOr(suite, runner.DefaultSuite),
		Experiment: report.Experiment{Name: e.Metadata.Name, Description: e.Metadata.Description, File: e.File, Labels: e.Metadata.Labels},
		Target:     report.Target{Kind: string(e.Spec.Target.Kind), PrometheusURL: promURL},
		Timings:    report.Timings{Start: now.UTC(), End: now.UTC(), PlannedSeconds: e.Spec.Load.Duration.D().Seconds()},
		Timeline:   []report.Point{}, Probes: []report.Probe{}, Faults: report.Faults(e, nil),
		Decisions: decisions,
		Verdict: verdict.Verdict{Status: verdict.Aborted, ExitCode: exitcode.Aborted, Reasons: []string{reason},
			Budget: verdict.ErrorBudget(load.Summary{}, verdict.DefaultObjective),
			Stop:   &verdict.Stop{Kind: verdict.StopCondition, Condition: decisionBudget, At: now.UTC(), Reason: reason}},
		StopReason: reason, ExitCode: exitcode.Aborted,
	}
	res := &runner.Result{Report: rep, Dir: dir}
	paths, err := report.Write(dir, rep)
	if err != nil {
		return res, guardErr
	}
	res.Paths = paths
	return res, guardErr
}
