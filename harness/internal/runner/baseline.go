package runner

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/baseline"
	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/history"
	"github.com/gamedayhq/gameday/harness/internal/probe"
	"github.com/gamedayhq/gameday/harness/internal/report"
	"github.com/gamedayhq/gameday/harness/internal/verdict"
)

// BaselineRuns is how many comparable runs the SLI baselines of a report
// learn from (a probe's relative tolerance names its own number).
const BaselineRuns = 10

// learnt is what a run learnt from the history before it started.
type learnt struct {
	comparable string
	runs       []string
	note       string
	// slis are the history's per-second SLI values, by SLI, newest run
	// first.
	slis      map[string][]baseline.Source
	relatives []*probe.Relative
}

// comparable is the filter of the runs a run learns from
// (history.Comparable), and how the report says it.
func (r *run) comparable(limit int) (history.Filter, string) {
	f := history.Comparable(r.e.Metadata.Name, string(r.e.Spec.Target.Kind), r.plan.Profile.String())
	f.Limit = limit
	return f, fmt.Sprintf("the last %d runs of experiment %s on a %s target under the same load (%s) that held", limit, f.Experiment, f.Target, f.Profile)
}

// learn reads the comparable runs of the history (Config.History) and
// hands each relative probe its sources; the report's SLI baselines learn
// from the same runs. A history that cannot be read is a note in the
// report, never a failed run: the relative probes then fall back. A probe
// that must not fall back (whenTooFewRuns: fail) without enough runs
// refuses the run.
func (r *run) learn(ctx context.Context) error {
	l := &learnt{slis: map[string][]baseline.Source{}}
	r.learnt = l
	limit := BaselineRuns
	for _, s := range r.schedules {
		if rel, ok := s.Probe.(*probe.Relative); ok {
			l.relatives = append(l.relatives, rel)
			limit = max(limit, rel.Learner.Runs)
		}
	}
	f, desc := r.comparable(limit)
	l.comparable = desc
	if h := r.c.History; h == nil {
		l.note = "No history of runs was given (gameday run reads it from --reports-dir): the baselines learn from this run alone"
	} else if reps, err := r.readHistory(ctx, h, f); err != nil {
		l.note = "The history could not be read (" + err.Error() + "): the baselines learn from this run alone"
	} else {
		for i, rep := range reps {
			src := baseline.Source{Run: rep.Suite + "/" + rep.RunID, Start: rep.Timings.Start}
			l.runs = append(l.runs, src.Run)
			if i < BaselineRuns {
				for name, vals := range rep.SLIValues() {
					s := src
					s.Values = vals
					l.slis[name] = append(l.slis[name], s)
				}
			}
		}
		for _, rel := range l.relatives {
			var srcs []baseline.Source
			for _, rep := range reps {
				srcs = append(srcs, baseline.Source{Run: rep.Suite + "/" + rep.RunID, Start: rep.Timings.Start, Values: rep.ProbeValues(rel.Name())})
			}
			rel.Learner.SetHistory(srcs)
		}
	}
	var short []string
	for _, rel := range l.relatives {
		if v := rel.Learner.At(time.Time{}); rel.WhenTooFewRuns == "fail" && v.HistoryRuns < v.MinRuns {
			short = append(short, fmt.Sprintf("probe %s: %s", rel.Name(), v.Reason()))
		}
	}
	if len(short) > 0 {
		return exitcode.Failedf("no baseline (whenTooFewRuns: fail): %s; comparable runs are %s", strings.Join(short, "; "), desc)
	}
	return nil
}

// readHistory reads the reports of the runs of f, newest first, leaving
// out this run's own directory.
func (r *run) readHistory(ctx context.Context, h *history.Store, f history.Filter) ([]*report.Report, error) {
	if _, err := h.Sync(ctx); err != nil {
		return nil, err
	}
	f.Limit++ // this run may be among them when its id was reused
	runs, _, err := h.List(ctx, f)
	if err != nil {
		return nil, err
	}
	var out []*report.Report
	for i := range runs {
		if runs[i].Dir == r.c.Suite+"/"+r.c.RunID || len(out) == f.Limit-1 {
			continue
		}
		rep, err := h.Report(&runs[i])
		if err != nil {
			continue // removed meanwhile: the next one
		}
		out = append(out, rep)
	}
	return out, nil
}

// startLearning opens this run's pre-fault window to the relative probes'
// learners: from the first probe to the first fault.
func (r *run) startLearning() {
	if r.learnt == nil {
		return
	}
	for _, rel := range r.learnt.relatives {
		rel.Learner.SetWindow(r.windows.Before.Start, r.windows.Before.End)
	}
}

// refusedNoBaseline ends a run refused for want of a baseline before its
// load: a failed verdict saying why, with its report.
func (r *run) refusedNoBaseline(cause error) (*Result, error) {
	r.start = r.c.Now()
	r.end = r.start
	r.windows = verdict.PlannedWindows(r.e, r.start)
	r.stop = &verdict.Stop{Kind: verdict.StopNoBaseline, At: r.start.UTC(), Reason: cause.Error()}
	r.c.Decisions = append(slices.Clone(r.c.Decisions), report.Decision{Name: "baseline", Outcome: "refused", Detail: cause.Error(), At: r.start.UTC()})
	res, err := r.conclude(context.Background(), nil)
	if err != nil && exitcode.Of(err) != exitcode.Failed {
		return res, err
	}
	return res, cause
}

// baselines is the report's steady-state section: this run's pre-fault
// window and the history's, per SLI, and the final baseline of every
// relative probe. Nil when the run learnt nothing (refused before its
// load).
func (r *run) baselines(rep *report.Report) *baseline.Section {
	l := r.learnt
	if l == nil {
		return nil
	}
	s := &baseline.Section{Comparable: l.comparable, Runs: l.runs, Note: l.note}
	this := rep.SLIValues()
	for _, sli := range baseline.SLIs {
		srcs := l.slis[sli.Name]
		var mine *float64
		if vals := this[sli.Name]; len(vals) > 0 {
			m := baseline.Median(vals)
			mine = &m
			srcs = append([]baseline.Source{{Run: baseline.ThisRun, Values: vals}}, srcs...)
		}
		st := baseline.Learn(srcs)
		if st.Samples == 0 {
			continue
		}
		s.SLIs = append(s.SLIs, baseline.SLI{Name: sli.Name, Unit: sli.Unit, ThisRun: mine, Baseline: st})
	}
	for _, rel := range l.relatives {
		s.Probes = append(s.Probes, rel.Summary())
	}
	if len(s.SLIs) == 0 && len(s.Probes) == 0 {
		return nil
	}
	return s
}
