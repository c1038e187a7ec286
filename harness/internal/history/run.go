// Package history is the record of every game day: the reports tree (each
// run's report.json, written by the runner, is the source of truth), an
// SQLite index of it (modernc.org/sqlite) that is rebuilt from the tree
// whenever it is missing, stale or of another schema version, and the
// ledger of the scheduler's fires and skips. Listing, showing and comparing
// runs read the index; nothing is lost when it is deleted.
package history

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/report"
)

// Run is one run as the history keeps it: the figures of its report.json
// that the lists, trends and comparisons need.
type Run struct {
	// Dir is the run's directory relative to the reports root
	// (<suite>/<run-id>), its key.
	Dir        string `json:"dir"`
	RunID      string `json:"runID"`
	Suite      string `json:"suite"`
	Experiment string `json:"experiment"`
	Target     string `json:"target"`
	Engine     string `json:"engine"`
	// Profile is the load's rate profile ("100/s for 1m30s"): runs of the
	// same experiment under another load are not comparable.
	Profile string    `json:"profile,omitempty"`
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	// DurationSeconds is how long the run lasted.
	DurationSeconds float64 `json:"durationSeconds"`
	Status          string  `json:"status"`
	ExitCode        int     `json:"exitCode"`
	// Score is the resilience score in percent.
	Score float64 `json:"score"`
	// BudgetConsumed is the client-side error budget consumed (1 = all).
	BudgetConsumed float64 `json:"budgetConsumed"`
	Requests       uint64  `json:"requests"`
	// ErrorRatio is failed requests over requests, the whole run.
	ErrorRatio float64 `json:"errorRatio"`
	// FaultErrorRatio and FaultP99Ms are measured over the seconds a fault
	// was active (nil without one): the error ratio, and the worst
	// per-second p99 latency.
	FaultErrorRatio *float64 `json:"faultErrorRatio,omitempty"`
	FaultP99Ms      *float64 `json:"faultP99Ms,omitempty"`
	// FaultRequests and FaultFailed count the requests of those seconds,
	// and the failed ones (so that runs add up); FaultSeconds adds up how
	// long each fault was active (from injection to recovery, or the end).
	FaultRequests uint64  `json:"faultRequests,omitempty"`
	FaultFailed   uint64  `json:"faultFailed,omitempty"`
	FaultSeconds  float64 `json:"faultSeconds,omitempty"`
	// DetectSeconds is the longest time to detect over the faults (nil:
	// no probe noticed any); RecoverSeconds the longest time to recover.
	DetectSeconds  *float64 `json:"detectSeconds,omitempty"`
	RecoverSeconds *float64 `json:"recoverSeconds,omitempty"`
	Faults         int      `json:"faults"`
	StopReason     string   `json:"stopReason,omitempty"`
	Reasons        []string `json:"reasons,omitempty"`
	// Schedule names the schedule that started the run ("" for gameday
	// run or gate), from the ledger.
	Schedule string `json:"schedule,omitempty"`
}

// fromReport reads the figures of one report.json.
func fromReport(dir string, data []byte) (*Run, error) {
	var r report.Report
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if r.SchemaVersion != report.SchemaVersion {
		return nil, fmt.Errorf("schemaVersion %q: want %q", r.SchemaVersion, report.SchemaVersion)
	}
	if r.RunID == "" || r.Experiment.Name == "" || r.Timings.Start.IsZero() {
		return nil, fmt.Errorf("not a run report: runID, experiment.name or timings.start missing")
	}
	run := &Run{
		Dir: dir, RunID: r.RunID, Suite: r.Suite, Experiment: r.Experiment.Name,
		Target: r.Target.Kind, Engine: r.Target.Engine, Profile: r.Load.Profile, Start: r.Timings.Start.UTC(), End: r.Timings.End.UTC(),
		DurationSeconds: r.Timings.ActualSeconds, Status: string(r.Verdict.Status), ExitCode: r.ExitCode,
		Score: r.Verdict.Score.Percent, BudgetConsumed: r.Verdict.Budget.Consumed,
		Requests: r.Load.Total.Requests, Faults: len(r.Faults), StopReason: r.StopReason, Reasons: r.Verdict.Reasons,
	}
	if r.Verdict.Budget.Requests > 0 {
		run.ErrorRatio = float64(r.Verdict.Budget.Failed) / float64(r.Verdict.Budget.Requests)
	}
	var windows [][2]time.Time
	for _, f := range r.Verdict.Faults {
		if f.Detect != nil {
			run.DetectSeconds = maxPtr(run.DetectSeconds, f.Detect.Seconds())
		}
		for _, rc := range f.Recoveries {
			if rc.After != nil {
				run.RecoverSeconds = maxPtr(run.RecoverSeconds, rc.After.Seconds())
			}
		}
		end := f.Recovered
		if end.IsZero() {
			end = r.Timings.End
		}
		if !f.Injected.IsZero() {
			windows = append(windows, [2]time.Time{f.Injected, end})
			run.FaultSeconds += end.Sub(f.Injected).Seconds()
		}
	}
	if len(windows) > 0 {
		var req, ok uint64
		var p99 float64
		seen := false
		for _, p := range r.Timeline {
			at := r.Timings.Start.Add(time.Duration(p.Offset) * time.Second)
			for _, w := range windows {
				// The second [at, at+1s) overlaps the fault.
				if at.Before(w[1]) && at.Add(time.Second).After(w[0]) {
					req, ok, p99, seen = req+p.Requests, ok+p.Successes, math.Max(p99, p.P99), true
					break
				}
			}
		}
		if seen {
			run.FaultP99Ms = &p99
			run.FaultRequests, run.FaultFailed = req, req-ok
			if req > 0 {
				er := 1 - float64(ok)/float64(req)
				run.FaultErrorRatio = &er
			}
		}
	}
	return run, nil
}

func maxPtr(p *float64, v float64) *float64 {
	if p == nil || v > *p {
		return &v
	}
	return p
}
