package runner

import (
	"context"
	"slices"
	"strings"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/probe"
	"github.com/gamedayhq/gameday/harness/internal/report"
	"github.com/gamedayhq/gameday/harness/internal/slo"
	"github.com/gamedayhq/gameday/harness/internal/verdict"
)

// admit asks the error-budget guard whether the run may start: its
// decisions go into the report, its watch among the run's. It returns the
// guard's error when it refuses or cannot look.
func (r *run) admit(ctx context.Context, c slo.Clients) error {
	ruling, err := r.c.Guard.Admit(ctx, c, r.e.Metadata.Name, r.c.Now())
	r.c.Decisions = slices.Clone(r.c.Decisions)
	for _, d := range ruling.Decisions {
		r.c.Decisions = append(r.c.Decisions, report.Decision(d))
	}
	if w := ruling.Watch; w != nil {
		r.c.Watches = append(slices.Clone(r.c.Watches), func(ctx context.Context) *verdict.Stop {
			if t := w(ctx); t != nil {
				return &verdict.Stop{Kind: verdict.StopCondition, Condition: slo.StopBurnRate, At: t.Observed, Reason: t.Reason}
			}
			return nil
		})
	}
	return err
}

// DecisionNoLoki is the decision that warns of LogQL evaluated without a
// Loki.
const DecisionNoLoki = "loki"

// noLoki warns, as a decision of the report, when the run has LogQL to
// evaluate (probes, or SLOs the guard reads) and no Loki to ask: those
// probes are skipped and those SLOs neither admitted on data nor watched,
// so the verdict does not cover them.
func noLoki(c Config) (report.Decision, bool) {
	if c.LokiURL != "" {
		return report.Decision{}, false
	}
	var probes []string
	for _, p := range c.Experiment.Spec.Hypothesis.Probes {
		if p.LogQL != nil {
			probes = append(probes, p.Name)
		}
	}
	var slos []string
	if c.Guard != nil {
		slos = c.Guard.LogQL()
	}
	if len(probes) == 0 && len(slos) == 0 {
		return report.Decision{}, false
	}
	var what []string
	if len(probes) > 0 {
		what = append(what, "the LogQL probes "+strings.Join(probes, ", ")+" are skipped, not judged")
	}
	if len(slos) > 0 {
		what = append(what, "the LogQL SLOs "+strings.Join(slos, ", ")+" are not read (no-data) nor watched by the burn-rate cap")
	}
	return report.Decision{Name: DecisionNoLoki, Outcome: "warning", At: c.Now().UTC(),
		Detail: "no Loki configured (--loki-url or spec.target.lokiURL): " + strings.Join(what, "; ") + "; the verdict does not cover them"}, true
}

// refused ends a run the guard refused, or could not judge, before its
// load. A refusal (exit 4) writes the report of a run stopped at its start
// (the decisions and the reason, every probe skipped) so that a refused
// gate leaves a report and a JUnit file like any other run; the error is
// the guard's.
func (r *run) refused(guardErr error) (*Result, error) {
	if exitcode.Of(guardErr) != exitcode.Aborted {
		return nil, guardErr
	}
	r.start = r.c.Now()
	r.end = r.start
	r.windows = verdict.PlannedWindows(r.e, r.start)
	r.stop = &verdict.Stop{Kind: verdict.StopCondition, Condition: slo.DecisionBudget, At: r.start.UTC(), Reason: guardErr.Error()}
	res, _ := r.conclude(context.Background(), nil)
	return res, guardErr
}

// probeClients are the probes' clients over the guard's.
func probeClients(targetURL string, c slo.Clients) probe.Clients {
	pc := probe.Clients{TargetURL: targetURL, Load: &probe.LateTimeline{}}
	if c.Prom != nil {
		pc.Prometheus = c.Prom
	}
	if c.Loki != nil {
		pc.Loki = c.Loki
	}
	return pc
}
