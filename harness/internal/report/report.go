// Package report writes the reports of one game day into
// reports/<suite>/<run-id>/: report.json (a versioned schema), report.md
// (fit for a GitHub job summary), report.html (one self-contained file with
// an inline SVG timeline) and junit.xml. Every file is written atomically
// (temporary file, fsync, rename, fsync of the directory), so a crash never
// leaves half a report. Rendering is deterministic: the same Report always
// gives the same bytes.
package report

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/baseline"
	"github.com/gamedayhq/gameday/harness/internal/engine"
	"github.com/gamedayhq/gameday/harness/internal/load"
	"github.com/gamedayhq/gameday/harness/internal/probe"
	"github.com/gamedayhq/gameday/harness/internal/spec"
	"github.com/gamedayhq/gameday/harness/internal/verdict"
)

// SchemaVersion is the version of report.json. A field is never renamed
// or removed without a new version.
const SchemaVersion = "gameday.dev/report/v1"

// The files of a report.
const (
	FileJSON  = "report.json"
	FileMD    = "report.md"
	FileHTML  = "report.html"
	FileJUnit = "junit.xml"
)

// Report is everything known about one run; report.json is its JSON.
type Report struct {
	SchemaVersion string           `json:"schemaVersion"`
	RunID         string           `json:"runID"`
	Suite         string           `json:"suite"`
	Experiment    Experiment       `json:"experiment"`
	Target        Target           `json:"target"`
	Timings       Timings          `json:"timings"`
	Preflight     engine.Preflight `json:"preflight"`
	Load          Load             `json:"load"`
	// Timeline is the load, second by second.
	Timeline []Point `json:"timeline"`
	// Probes are the hypothesis's probes with their samples.
	Probes []Probe `json:"probes"`
	// Faults are the planned faults, with their injection when it happened.
	Faults       []Fault              `json:"faults"`
	Observations []engine.Observation `json:"observations,omitempty"`
	// Decisions are what was decided before the run (the error-budget
	// guard's admission), in order.
	Decisions []Decision `json:"decisions,omitempty"`
	// Cost is the cost section (nil when no Prometheus could price the
	// run).
	Cost *Cost `json:"cost,omitempty"`
	// Baselines is the learned steady state (nil when the run had no
	// history to learn from and no relative tolerance).
	Baselines *baseline.Section `json:"baselines,omitempty"`
	// Comparison is the regression gate's comparison with a reference
	// (nil without --compare-to).
	Comparison *Comparison     `json:"comparison,omitempty"`
	Verdict    verdict.Verdict `json:"verdict"`
	// StopReason says why the run ended early ("" when it did not).
	StopReason string `json:"stopReason,omitempty"`
	ExitCode   int    `json:"exitCode"`
}

// Run is what a report is made of. Every ending of a run makes one: a run
// refused before its load (no timeline, no sample: the verdict says why),
// one aborted by a stop condition, a watch or a signal, and one that ran
// to its end.
type Run struct {
	ID, Suite  string
	Experiment *spec.Experiment
	Target     Target
	// Start is when the load started (or the run was refused), End when
	// the run ended; the first probe waited Warmup after Start.
	Start, End time.Time
	Warmup     time.Duration
	Preflight  engine.Preflight
	// Profile is the load's rate profile; Seconds its timeline, Total and
	// Journeys what it measured (all empty when no load ran).
	Profile      load.Profile
	Seconds      []load.Second
	Total        load.Summary
	Journeys     []load.Summary
	Generator    load.Generator
	Samples      []probe.Sample
	Observations []engine.Observation
	Decisions    []Decision
	Verdict      verdict.Verdict
}

// New is the report of a run.
func New(r Run) *Report {
	e := r.Experiment
	actual := r.End.Sub(r.Start).Seconds()
	rep := &Report{
		SchemaVersion: SchemaVersion, RunID: r.ID, Suite: r.Suite,
		Experiment: Experiment{Name: e.Metadata.Name, Description: e.Metadata.Description, File: e.File, Labels: e.Metadata.Labels},
		Target:     r.Target,
		Timings: Timings{Start: r.Start, End: r.End, PlannedSeconds: e.Spec.Load.Duration.D().Seconds(), ActualSeconds: actual,
			WarmupSeconds: r.Warmup.Seconds()},
		Preflight:    r.Preflight,
		Load:         Load{Profile: r.Profile.String(), PeakRate: r.Profile.MaxRate(), Total: r.Total, Journeys: r.Journeys, Generator: r.Generator},
		Timeline:     Points(r.Seconds),
		Probes:       Probes(e, r.Verdict.Probes, r.Samples),
		Faults:       Faults(e, r.Verdict.Faults),
		Observations: r.Observations,
		Decisions:    r.Decisions,
		Verdict:      r.Verdict,
		ExitCode:     r.Verdict.ExitCode,
	}
	if actual > 0 {
		rep.Load.AchievedRate = float64(r.Total.Requests+r.Total.Canceled) / actual
	}
	if r.Verdict.Stop != nil {
		rep.StopReason = r.Verdict.Stop.Reason
	}
	return rep
}

// Decision is one decision taken about the run, such as the error-budget
// guard admitting or refusing it, with the figures it was based on.
type Decision struct {
	Name    string    `json:"name"`
	Outcome string    `json:"outcome"`
	Detail  string    `json:"detail"`
	At      time.Time `json:"at"`
}

// Experiment identifies the experiment.
type Experiment struct {
	Name        string            `json:"name"`
	Description string            `json:"description"`
	File        string            `json:"file,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
}

// Target is where the run happened.
type Target struct {
	Kind          string `json:"kind"`
	Engine        string `json:"engine"`
	URL           string `json:"url"`
	PrometheusURL string `json:"prometheusURL,omitempty"`
	LokiURL       string `json:"lokiURL,omitempty"`
}

// Timings are the run's instants and lengths (durations in seconds).
type Timings struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Planned is the load's duration, Actual how long the run lasted.
	PlannedSeconds float64 `json:"plannedSeconds"`
	ActualSeconds  float64 `json:"actualSeconds"`
	// WarmupSeconds passed before the first probe.
	WarmupSeconds float64 `json:"warmupSeconds"`
}

// Load summarises the traffic.
type Load struct {
	Profile  string         `json:"profile"`
	PeakRate float64        `json:"peakRate"`
	Total    load.Summary   `json:"total"`
	Journeys []load.Summary `json:"journeys,omitempty"`
	// AchievedRate is the mean achieved rate in requests per second.
	AchievedRate float64 `json:"achievedRate"`
	// Generator is the load generator: its cap on requests in flight, how
	// far behind it fell and why, its CPU, and its saturation if any.
	Generator load.Generator `json:"generator"`
}

// Point is one second of the load (latencies in milliseconds).
type Point struct {
	Offset       int     `json:"offset"` // seconds from the start
	Target       float64 `json:"target"`
	Requests     uint64  `json:"requests"`
	Successes    uint64  `json:"successes"`
	SuccessRatio float64 `json:"successRatio"`
	P50          float64 `json:"p50Ms"`
	P95          float64 `json:"p95Ms"`
	P99          float64 `json:"p99Ms"`
	// CorrectedP99 is the p99 latency from the intended send time.
	CorrectedP99 float64           `json:"correctedP99Ms"`
	Errors       []load.ErrorCount `json:"errors,omitempty"`
	// The generator's own figures: its lag (ms) through its own fault, its
	// CPU (cores), whether it was saturated or held back by the target.
	Lag       float64 `json:"lagMs"`
	CPU       float64 `json:"cpu"`
	Saturated bool    `json:"saturated,omitempty"`
	HeldBack  bool    `json:"heldBack,omitempty"`
}

// Probe is one probe: its definition, result and samples.
type Probe struct {
	verdict.ProbeResult
	// Query is what the probe measures (probe.Measures): the PromQL or
	// LogQL query, or the HTTP URL or path, after the method unless GET.
	Query           string         `json:"query"`
	IntervalSeconds float64        `json:"intervalSeconds"`
	SampleList      []probe.Sample `json:"sampleList"`
}

// Fault is one planned fault and what happened to it.
type Fault struct {
	Name       string  `json:"name"`
	Kind       string  `json:"kind"`
	Action     string  `json:"action,omitempty"`
	StartAfter float64 `json:"startAfterSeconds"`
	Duration   float64 `json:"durationSeconds"`
	// Result is nil when the fault was never injected (the run stopped
	// first, or the injection failed).
	Result *verdict.FaultResult `json:"result,omitempty"`
}

// Points turns the load's seconds into report points.
func Points(secs []load.Second) []Point {
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	out := make([]Point, 0, len(secs))
	for _, s := range secs {
		out = append(out, Point{
			Offset: int(s.Offset / time.Second), Target: s.Target, Requests: s.Requests, Successes: s.Successes,
			SuccessRatio: s.SuccessRatio(), P50: ms(s.P50), P95: ms(s.P95), P99: ms(s.P99), Errors: s.Errors,
			CorrectedP99: ms(s.CorrectedP99), Lag: ms(s.Lag), CPU: math.Round(100*s.CPU) / 100, Saturated: s.Saturated, HeldBack: s.HeldBack,
		})
	}
	return out
}

// Faults lists e's faults with their results (matched by name).
func Faults(e *spec.Experiment, results []verdict.FaultResult) []Fault {
	out := make([]Fault, 0, len(e.Spec.Faults))
	for _, f := range e.Spec.Faults {
		rf := Fault{Name: f.Name, Kind: string(f.Kind), Action: f.Spec.Label(), StartAfter: f.StartAfter.D().Seconds(), Duration: f.Duration.D().Seconds()}
		for i := range results {
			if results[i].Name == f.Name {
				rf.Result = &results[i]
			}
		}
		out = append(out, rf)
	}
	return out
}

// Probes lists e's probes with their results and samples.
func Probes(e *spec.Experiment, results []verdict.ProbeResult, samples []probe.Sample) []Probe {
	var out []Probe
	for i, p := range e.Spec.Hypothesis.Probes {
		rp := Probe{IntervalSeconds: p.Interval.D().Seconds(), SampleList: []probe.Sample{}, Query: probe.Measures(p)}
		if i < len(results) {
			rp.ProbeResult = results[i]
		}
		for _, s := range samples {
			if s.Probe == p.Name {
				rp.SampleList = append(rp.SampleList, s)
			}
		}
		out = append(out, rp)
	}
	return out
}

// LoadLines describe the load and its generator in sentences, for report.md
// and report.html: what was sent and measured (latency from the actual and
// from the intended send time), then how the generator kept up.
func LoadLines(l Load) []string {
	t, g := l.Total, l.Generator
	lines := []string{
		fmt.Sprintf("%s: %d requests, %d succeeded (%s), %.1f req/s achieved of %g peak; latency p50 %s, p95 %s, p99 %s, max %s from the send; from the intended send time (corrected for coordinated omission) p50 %s, p95 %s, p99 %s, max %s.",
			l.Profile, t.Requests, t.Successes, pct(100*t.SuccessRatio()), l.AchievedRate, l.PeakRate,
			ms(t.P50), ms(t.P95), ms(t.P99), ms(t.Max), ms(t.CorrectedP50), ms(t.CorrectedP95), ms(t.CorrectedP99), ms(t.CorrectedMax)),
	}
	if len(t.Errors) > 0 {
		var es []string
		for _, e := range t.Errors {
			es = append(es, fmt.Sprintf("%s %d", e.Class, e.Count))
		}
		lines = append(lines, fmt.Sprintf("Errors: %s.", strings.Join(es, ", ")))
	}
	return append(lines, GeneratorLines(g)...)
}

// GeneratorLines describe how the load generator kept up (none when the
// report has no generator figures).
func GeneratorLines(g load.Generator) []string {
	if g.MaxInFlight == 0 {
		return nil
	}
	bound := "enough for the peak rate at the latency budget of " + g.LatencyBudget.String()
	if g.Clipped {
		bound = "fewer than the peak rate at the latency budget of " + g.LatencyBudget.String() + " would take"
	}
	gen := fmt.Sprintf("Generator: at most %d requests in flight (%s), %d workers started; most behind %s, of it through its own fault %s; peak CPU %.2f of %d cores.",
		g.MaxInFlight, bound, g.Workers, g.MaxBehind.Round(time.Millisecond), g.MaxLag.Round(time.Millisecond), g.PeakCPU, g.Cores)
	if g.HeldBackSeconds > 0 {
		gen += fmt.Sprintf(" The target held every worker for %d s: those hits were sent late, and the corrected latencies count the wait.", g.HeldBackSeconds)
	}
	if g.Unsent > 0 {
		gen += fmt.Sprintf(" %d requests the profile scheduled were never sent (the profile ended first).", g.Unsent)
	}
	lines := []string{gen}
	if g.Saturation != nil {
		lines = append(lines, "SATURATED: "+g.Saturation.Message()+".")
	}
	return lines
}
