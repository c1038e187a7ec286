package runner

import (
	"context"
	"fmt"
	"strings"

	"github.com/gamedayhq/gameday/harness/internal/engine"
	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/load"
	"github.com/gamedayhq/gameday/harness/internal/report"
	"github.com/gamedayhq/gameday/harness/internal/verdict"
)

// conclude judges what the run measured and writes its reports (tl nil:
// the run was refused before its load). The error carries the verdict's
// exit code, or says the reports could not be written.
func (r *run) conclude(ctx context.Context, tl *load.Timeline) (*Result, error) {
	e := r.e
	var injs []engine.Injection
	for _, in := range r.injections {
		injs = append(injs, *in)
	}
	var secs []load.Second
	var total load.Summary
	var journeys []load.Summary
	var gen load.Generator
	if tl != nil { // nil: refused before the load
		secs, total, journeys, gen = tl.Seconds(), tl.Total(), tl.Journeys(), tl.Generator()
	}
	v := verdict.Evaluate(verdict.Input{
		Experiment: e, Start: r.start, End: r.end, Windows: r.windows, Seconds: secs, Total: total,
		Samples: r.samples, Injections: injs, Stop: r.stop, Objective: r.c.Objective, Errors: r.errors, Generator: gen,
	})
	rep := report.New(report.Run{
		ID: r.c.RunID, Suite: r.c.Suite, Experiment: e,
		Target: report.Target{Kind: string(e.Spec.Target.Kind), Engine: r.c.Engine.Name(), URL: r.c.TargetURL,
			PrometheusURL: r.c.PrometheusURL, LokiURL: r.c.LokiURL},
		Start: r.start, End: r.end, Warmup: r.windows.Before.Start.Sub(r.start), Preflight: r.preflight,
		Profile: r.plan.Profile, Seconds: secs, Total: total, Journeys: journeys, Generator: gen, Samples: r.samples,
		Observations: r.obs, Decisions: r.c.Decisions, Verdict: v,
	})
	if tl != nil {
		rep.Baselines = r.baselines(rep)
		for _, section := range r.c.Sections {
			sctx, cancel := context.WithTimeout(ctx, SectionTimeout)
			section(sctx, rep)
			cancel()
		}
	}
	// A regression gate that fails (a report section: Comparison) fails a
	// run whose hypothesis held.
	gate := rep.Comparison != nil && rep.Comparison.Failed && v.Status == verdict.Held
	if gate {
		rep.ExitCode = exitcode.Failed
	}
	res := &Result{Report: rep, Dir: r.dir}
	paths, werr := report.Write(r.dir, rep)
	if werr != nil {
		return res, exitcode.Infraf("write the reports: %w", werr)
	}
	res.Paths = paths
	if gate {
		c := rep.Comparison
		return res, exitcode.Failedf("experiment %s: regression gate: %s", e.Metadata.Name, strings.Join(append([]string{c.Headline()}, c.Reasons...), "; "))
	}
	if v.Status == verdict.Held {
		return res, nil
	}
	return res, exitcode.Wrap(v.ExitCode, fmt.Errorf("experiment %s: hypothesis %s: %s", e.Metadata.Name, v.Status, strings.Join(v.Reasons, "; ")))
}
