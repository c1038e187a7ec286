// Package historytest writes reports trees for the tests and benchmarks of
// the history, the web UI and the scheduler: each run is a real report
// written by report.Write (json, md, html, junit), with a timeline, probes
// and an optional fault whose figures are known.
package historytest

import (
	"cmp"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/load"
	"github.com/gamedayhq/gameday/harness/internal/report"
	"github.com/gamedayhq/gameday/harness/internal/verdict"
)

// Run describes one run to write.
type Run struct {
	Suite, Experiment, Target, Status, RunID string
	Start                                    time.Time
	Score                                    float64
	// WithFault adds a fault from +20 s to +30 s of the 60 s run: 10 % of
	// the requests fail and p99 is 250 ms during it; detected after 2 s,
	// recovered 4 s after its end.
	WithFault bool
}

// Report builds the report of r.
func Report(r Run) *report.Report {
	status := verdict.Status(cmp.Or(r.Status, "held"))
	runID := cmp.Or(r.RunID, r.Start.UTC().Format("20060102-150405")+"-"+r.Experiment)
	rep := &report.Report{
		SchemaVersion: report.SchemaVersion, RunID: runID, Suite: cmp.Or(r.Suite, "adhoc"),
		Experiment: report.Experiment{Name: r.Experiment, Description: "A test run of " + r.Experiment + "."},
		Target:     report.Target{Kind: cmp.Or(r.Target, "sandbox"), Engine: "sandbox", URL: "http://127.0.0.1:1"},
		Timings:    report.Timings{Start: r.Start.UTC(), End: r.Start.Add(60 * time.Second).UTC(), PlannedSeconds: 60, ActualSeconds: 60},
		Load:       report.Load{Profile: "constant 100/s", PeakRate: 100, AchievedRate: 100},
		Probes:     []report.Probe{},
		Faults:     []report.Fault{},
		Verdict: verdict.Verdict{Status: status, ExitCode: status.ExitCode(), Reasons: []string{"test run: " + string(status)},
			Score: verdict.Score{Earned: r.Score, Possible: 100, Percent: r.Score}},
		ExitCode: status.ExitCode(),
	}
	var failed uint64
	for s := range 60 {
		p := report.Point{Offset: s, Target: 100, Requests: 100, Successes: 100, SuccessRatio: 1, P50: 10, P95: 30, P99: 50}
		if r.WithFault && s >= 20 && s < 30 {
			p.Successes, p.SuccessRatio, p.P99 = 90, 0.9, 250
			p.Errors = []load.ErrorCount{{Class: "http_500", Count: 10}}
			failed += 10
		}
		rep.Timeline = append(rep.Timeline, p)
	}
	rep.Load.Total = load.Summary{Requests: 6000, Successes: 6000 - failed}
	rep.Verdict.Budget = verdict.ErrorBudget(rep.Load.Total, verdict.DefaultObjective)
	rep.Probes = append(rep.Probes, report.Probe{ProbeResult: verdict.ProbeResult{Name: "front-door", Type: "http", Mode: "continuous", Tolerance: "status == 200", Weight: 1, Result: verdict.Pass, Samples: 60, OK: 60}, Query: "http://127.0.0.1:1/", IntervalSeconds: 1})
	if r.WithFault {
		in, rec := r.Start.Add(20*time.Second).UTC(), r.Start.Add(30*time.Second).UTC()
		detect, after := 2*time.Second, 4*time.Second
		fr := verdict.FaultResult{Name: "kill-one", Kind: "PodChaos", Targets: []string{"petclinic-0"}, Injected: in, Recovered: rec,
			Detect: &detect, DetectedBy: "front-door", Recoveries: []verdict.Recovery{{Probe: "front-door", After: &after, Within: 30 * time.Second, Met: true}}}
		rep.Verdict.Faults = []verdict.FaultResult{fr}
		rep.Faults = []report.Fault{{Name: "kill-one", Kind: "PodChaos", Action: "pod-kill", StartAfter: 20, Duration: 10, Result: &rep.Verdict.Faults[0]}}
	}
	if status != verdict.Held {
		rep.Verdict.Reasons = append(rep.Verdict.Reasons, fmt.Sprintf("front-door breached (%s)", status))
	}
	return rep
}

// Write writes r's report under root and returns its directory.
func Write(t testing.TB, root string, r Run) string {
	t.Helper()
	dir, err := WriteReport(root, r)
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// WriteReport is Write for benchmarks and programs.
func WriteReport(root string, r Run) (string, error) {
	rep := Report(r)
	dir := filepath.Join(root, rep.Suite, rep.RunID)
	_, err := report.Write(dir, rep)
	return dir, err
}
