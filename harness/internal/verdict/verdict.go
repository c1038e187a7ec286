// Package verdict turns the measurements of one game day into a verdict:
// pure functions from the experiment, the load timeline, the probe samples,
// the injected faults and the stop event to a per-probe result, times to
// detect and recover, the error budget consumed, a weighted resilience score
// and the hard verdict with its exit code. Nothing here does I/O, reads the
// clock or draws a random number, so every rule is a table test.
//
// The rules, in one place:
//
//   - A probe passes when every sample in its mode's window was measured
//     and within tolerance.
//   - A probe warns when it breached only while a fault was active or in the
//     recovery grace after it, is listed in recovery.probes, and came back
//     within recovery.within; or when a few of its samples (at most
//     MaxUnmeasured of them) could not be measured.
//   - A probe fails on any other breach, or when it did not come back within
//     recovery.within after a fault ended.
//   - A probe is skipped when it could not run here (a LogQL probe without
//     a Loki, a during/after probe of an experiment without faults); it is
//     never counted as passed.
//   - A probe is in error when more than MaxUnmeasured of its samples could
//     not be measured (Prometheus down): the verdict is then inconclusive.
//
// The hard verdict is inconclusive when the harness itself could not go on
// (StopError), else aborted (a stop condition or a signal ended the run),
// else failed (a probe failed or a recovery was missed), else inconclusive
// (a probe is in error, or the load measured nothing), else held.
//
// A load generator that saturated (it could not send at the requested rate
// through its own fault: load.Saturation) is never blamed on the target:
// the verdict is then inconclusive, unless the target failed first and
// visibly — a failed probe breached, or a stop condition tripped, before
// the saturation began — or a signal or watch aborted the run.
package verdict

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/engine"
	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/load"
	"github.com/gamedayhq/gameday/harness/internal/probe"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// DefaultObjective is the availability objective the error budget is
// measured against when the input states none: 99.9 % of the load's
// requests succeed, so 0.1 % of them may fail.
const DefaultObjective = 0.999

// DefaultMaxUnmeasured is the share of a probe's samples that may fail to
// be measured before the probe is in error (and the verdict inconclusive).
const DefaultMaxUnmeasured = 0.2

// Status is the hard verdict of a run.
type Status string

// The verdicts.
const (
	Held         Status = "held"
	Failed       Status = "failed"
	Aborted      Status = "aborted"
	Inconclusive Status = "inconclusive"
)

// ExitCode is the process exit code of a verdict (package exitcode).
func (s Status) ExitCode() int {
	switch s {
	case Held:
		return exitcode.OK
	case Failed:
		return exitcode.Failed
	case Aborted:
		return exitcode.Aborted
	}
	return exitcode.Infra
}

// Result is the outcome of one probe.
type Result string

// The probe results.
const (
	Pass    Result = "pass"
	Warn    Result = "warn"
	Fail    Result = "fail"
	Skipped Result = "skipped"
	Error   Result = "error"
)

// Phase is where an instant falls on the run's timeline.
type Phase string

// The phases. Recovery is the grace of recovery.within after the last
// fault, which belongs to no mode but continuous.
const (
	PhaseBefore   Phase = "before"
	PhaseDuring   Phase = "during"
	PhaseRecovery Phase = "recovery"
	PhaseAfter    Phase = "after"
)

// StopKind says what ended a run early.
type StopKind string

// The stop kinds.
const (
	// StopCondition: a stop condition of the experiment tripped.
	StopCondition StopKind = "stop-condition"
	// StopSignal: SIGINT/SIGTERM (the run's context was cancelled).
	StopSignal StopKind = "signal"
	// StopError: the harness could not go on (a fault could not be
	// injected): the experiment did not run as written, so the verdict is
	// inconclusive whatever the probes measured.
	StopError StopKind = "error"
	// StopNoBaseline: the run was refused before its load because a probe
	// whose relative tolerance says whenTooFewRuns: fail has too few
	// comparable runs to learn from: failed, as a gate that must not pass
	// on a guess.
	StopNoBaseline StopKind = "no-baseline"
)

// Stop is an early end of the run.
type Stop struct {
	Kind StopKind `json:"kind"`
	// Condition names the stop condition (empty for a signal).
	Condition string    `json:"condition,omitempty"`
	At        time.Time `json:"at"`
	Reason    string    `json:"reason"`
}

// Input is everything a run measured.
type Input struct {
	Experiment *spec.Experiment
	// Start is when the load started; End when the run ended.
	Start, End time.Time
	// Windows are the mode windows the probes were scheduled in.
	Windows probe.Windows
	// Seconds is the load's per-second timeline, Total its summary.
	Seconds []load.Second
	Total   load.Summary
	// Samples are every probe sample, in any order.
	Samples []probe.Sample
	// Injections are the faults injected, in order; Recovered is zero for
	// a fault whose recovery failed.
	Injections []engine.Injection
	// Stop is set when the run ended early.
	Stop *Stop
	// Objective of the error budget (default DefaultObjective).
	Objective float64
	// MaxUnmeasured (default DefaultMaxUnmeasured), see the package doc.
	MaxUnmeasured float64
	// Errors are infrastructure errors met during the run (an injection or
	// a recovery that failed); any makes the verdict inconclusive unless a
	// probe failed.
	Errors []string
	// Generator is how the load generator kept up; its Saturation, when
	// set, makes the verdict inconclusive unless the target failed first.
	Generator load.Generator
}

// Verdict is what a run concluded.
type Verdict struct {
	Status   Status        `json:"status"`
	ExitCode int           `json:"exitCode"`
	Reasons  []string      `json:"reasons"`
	Probes   []ProbeResult `json:"probes"`
	Faults   []FaultResult `json:"faults"`
	Budget   Budget        `json:"budget"`
	Score    Score         `json:"score"`
	Stop     *Stop         `json:"stop,omitempty"`
}

// ProbeResult is the outcome of one probe.
type ProbeResult struct {
	Name      string   `json:"name"`
	Type      string   `json:"type"`
	Mode      string   `json:"mode"`
	Tolerance string   `json:"tolerance"`
	Weight    float64  `json:"weight"`
	Result    Result   `json:"result"`
	Reasons   []string `json:"reasons,omitempty"`
	// Counts of samples by status.
	Samples  int `json:"samples"`
	OK       int `json:"ok"`
	Breached int `json:"breached"`
	Errors   int `json:"errors"`
	Skipped  int `json:"skipped"`
	// Breaches are the out-of-tolerance samples, with their phase.
	Breaches []Breach `json:"breaches,omitempty"`
}

// Breach is one out-of-tolerance sample.
type Breach struct {
	At     time.Time     `json:"at"`
	Offset time.Duration `json:"offset"`
	Phase  Phase         `json:"phase"`
	Value  *float64      `json:"value"`
	Reason string        `json:"reason"`
}

// FaultResult is what a fault did to the steady state.
type FaultResult struct {
	Name     string    `json:"name"`
	Kind     string    `json:"kind"`
	Targets  []string  `json:"targets"`
	Injected time.Time `json:"injected"`
	// Recovered is zero when the fault was not recovered.
	Recovered time.Time `json:"recovered,omitzero"`
	// Detect is the time from injection to the first breach of any probe,
	// DetectedBy that probe; nil when no probe noticed.
	Detect     *time.Duration `json:"detect,omitempty"`
	DetectedBy string         `json:"detectedBy,omitempty"`
	// Recoveries are the times the recovery probes took to come back.
	Recoveries []Recovery `json:"recoveries,omitempty"`
}

// Recovery is how long one probe took to come back within tolerance after
// a fault ended.
type Recovery struct {
	Probe string `json:"probe"`
	// After is the time from the fault's end to the first sample back within
	// tolerance (0 when the probe never left it); nil when it never came
	// back during the run.
	After  *time.Duration `json:"after,omitempty"`
	Within time.Duration  `json:"within"`
	Met    bool           `json:"met"`
	Reason string         `json:"reason"`
}

// Budget is the error budget the run consumed, client side: failed
// requests over what the objective allows for the requests sent.
type Budget struct {
	Objective float64 `json:"objective"`
	Requests  uint64  `json:"requests"`
	Failed    uint64  `json:"failed"`
	// Allowed is Requests × (1 − Objective).
	Allowed float64 `json:"allowed"`
	// Consumed is Failed / Allowed (1 = the whole budget; 0 with no request).
	Consumed float64 `json:"consumed"`
}

// Score is the weighted resilience score: a probe that passes earns its
// weight, one that warns half of it, one that fails nothing; skipped and
// errored probes are left out of both sums.
type Score struct {
	Earned   float64 `json:"earned"`
	Possible float64 `json:"possible"`
	// Percent is 100 × Earned / Possible (0 when nothing was scored).
	Percent float64 `json:"percent"`
}

// PlannedWindows are the mode windows of e for a load starting at start:
// before until the first fault, during from the first fault's start to the
// last fault's end, after from there plus recovery.within to the end of the
// load. Without faults, before is the whole load and the others are empty.
func PlannedWindows(e *spec.Experiment, start time.Time) probe.Windows {
	end := start.Add(e.Spec.Load.Duration.D())
	if len(e.Spec.Faults) == 0 {
		return probe.Windows{
			Before: probe.Window{Start: start, End: end},
			During: probe.Window{Start: end, End: end},
			After:  probe.Window{Start: end, End: end},
		}
	}
	first, last := time.Duration(math.MaxInt64), time.Duration(0)
	for _, f := range e.Spec.Faults {
		first = min(first, f.StartAfter.D())
		last = max(last, f.End().D())
	}
	var within time.Duration
	if e.Spec.Recovery != nil {
		within = e.Spec.Recovery.Within.D()
	}
	afterStart := start.Add(min(last+within, e.Spec.Load.Duration.D()))
	return probe.Windows{
		Before: probe.Window{Start: start, End: start.Add(first)},
		During: probe.Window{Start: start.Add(first), End: start.Add(last)},
		After:  probe.Window{Start: afterStart, End: end},
	}
}

// PhaseOf is the phase of instant t.
func PhaseOf(w probe.Windows, t time.Time) Phase {
	switch {
	case t.Before(w.Before.End):
		return PhaseBefore
	case t.Before(w.During.End):
		return PhaseDuring
	case t.Before(w.After.Start):
		return PhaseRecovery
	}
	return PhaseAfter
}

// Evaluate concludes a run.
func Evaluate(in Input) Verdict {
	in.Objective = cmp.Or(in.Objective, DefaultObjective)
	in.MaxUnmeasured = cmp.Or(in.MaxUnmeasured, DefaultMaxUnmeasured)
	byProbe := map[string][]probe.Sample{}
	for _, s := range in.Samples {
		byProbe[s.Probe] = append(byProbe[s.Probe], s)
	}
	for _, ss := range byProbe {
		slices.SortStableFunc(ss, func(a, b probe.Sample) int { return a.At.Compare(b.At) })
	}

	v := Verdict{Stop: in.Stop, Budget: ErrorBudget(in.Total, in.Objective)}
	v.Faults = faultResults(in, byProbe)
	missed := missedRecoveries(v.Faults)
	for _, p := range in.Experiment.Spec.Hypothesis.Probes {
		v.Probes = append(v.Probes, probeResult(in, p, byProbe[p.Name], missed[p.Name]))
	}
	v.Score = ScoreOf(v.Probes)
	v.Status, v.Reasons = conclude(in, v)
	v.ExitCode = v.Status.ExitCode()
	return v
}

// ErrorBudget is the budget consumed by total against objective.
func ErrorBudget(total load.Summary, objective float64) Budget {
	b := Budget{Objective: objective, Requests: total.Requests, Failed: total.Requests - total.Successes}
	b.Allowed = float64(b.Requests) * (1 - objective)
	if b.Allowed > 0 {
		b.Consumed = float64(b.Failed) / b.Allowed
	}
	return b
}

// ScoreOf is the weighted resilience score of the probe results.
func ScoreOf(rs []ProbeResult) Score {
	var s Score
	for _, r := range rs {
		switch r.Result {
		case Pass:
			s.Earned += r.Weight
			s.Possible += r.Weight
		case Warn:
			s.Earned += r.Weight / 2
			s.Possible += r.Weight
		case Fail:
			s.Possible += r.Weight
		}
	}
	if s.Possible > 0 {
		s.Percent = math.Round(1000*s.Earned/s.Possible) / 10
	}
	return s
}

func conclude(in Input, v Verdict) (Status, []string) {
	var failed, errored []string
	for _, p := range v.Probes {
		switch p.Result {
		case Fail:
			failed = append(failed, fmt.Sprintf("probe %s failed: %s", p.Name, strings.Join(p.Reasons, "; ")))
		case Error:
			errored = append(errored, fmt.Sprintf("probe %s could not be measured: %s", p.Name, strings.Join(p.Reasons, "; ")))
		}
	}
	if sat := in.Generator.Saturation; sat != nil {
		if st, reasons, ok := saturated(in, v, sat, failed, errored); ok {
			return st, reasons
		}
	}
	switch {
	case in.Stop != nil && in.Stop.Kind == StopError:
		return Inconclusive, append(append([]string{in.Stop.Reason}, failed...), errored...)
	case in.Stop != nil && in.Stop.Kind == StopNoBaseline:
		return Failed, []string{in.Stop.Reason}
	case in.Stop != nil:
		return Aborted, append([]string{in.Stop.Reason}, failed...)
	case len(failed) > 0:
		return Failed, failed
	case len(errored) > 0 || len(in.Errors) > 0:
		return Inconclusive, append(errored, in.Errors...)
	case in.Total.Requests == 0:
		return Inconclusive, []string{"the load measured no request: the target was not exercised"}
	}
	reasons := []string{fmt.Sprintf("every probe held its tolerance (score %g%%)", v.Score.Percent)}
	var warned []string
	for _, p := range v.Probes {
		if p.Result == Warn {
			warned = append(warned, fmt.Sprintf("probe %s warned: %s", p.Name, strings.Join(p.Reasons, "; ")))
		}
	}
	if len(warned) > 0 {
		reasons = append([]string{fmt.Sprintf("the hypothesis held with %d of %d probes warning (score %g%%)", len(warned), len(v.Probes), v.Score.Percent)}, warned...)
	}
	if b := v.Budget; b.Consumed > 1 {
		reasons = append(reasons, fmt.Sprintf("but the load saw %d failed requests of %d: %.0f%% of the error budget of a %g%% objective (client side, not part of the hypothesis)",
			b.Failed, b.Requests, 100*b.Consumed, 100*b.Objective))
	}
	return Held, reasons
}

// saturated concludes a run whose load generator saturated: ok is false
// when the usual rules stand (the target failed first and visibly, or the
// run was aborted from outside), and the saturation is then a reason
// among the others.
func saturated(in Input, v Verdict, sat *load.Saturation, failed, errored []string) (Status, []string, bool) {
	onset := in.Start.Add(sat.From)
	msg := sat.Message()
	first := time.Time{} // the first breach of a failed probe
	for _, p := range v.Probes {
		if p.Result == Fail && len(p.Breaches) > 0 && (first.IsZero() || p.Breaches[0].At.Before(first)) {
			first = p.Breaches[0].At
		}
	}
	switch {
	case in.Stop != nil && in.Stop.Kind == StopError:
		return Inconclusive, append(append([]string{in.Stop.Reason, msg}, failed...), errored...), true
	case in.Stop != nil && in.Stop.Kind == StopCondition && in.Stop.At.Before(onset):
		return Aborted, append([]string{in.Stop.Reason, msg + " (after the stop condition tripped)"}, failed...), true
	case in.Stop != nil && in.Stop.Kind == StopCondition:
		return Inconclusive, append([]string{msg, fmt.Sprintf("the stop condition tripped %s after the generator saturated: %s",
			in.Stop.At.Sub(onset).Round(100*time.Millisecond), in.Stop.Reason)}, failed...), true
	case in.Stop != nil: // a signal or an outside watch: aborted whatever the load did
		return Aborted, append([]string{in.Stop.Reason, msg}, failed...), true
	case len(failed) > 0 && !first.IsZero() && first.Before(onset):
		return Failed, append(failed, msg+" (after the target had failed)"), true
	case len(failed) > 0:
		return Inconclusive, append([]string{msg, fmt.Sprintf("the probes first breached %s after the generator saturated, so these failures may be the generator's doing",
			first.Sub(onset).Round(100*time.Millisecond))}, failed...), true
	}
	return Inconclusive, append([]string{msg, "the hypothesis was not tested at the requested load"}, append(errored, in.Errors...)...), true
}

func probeResult(in Input, p spec.Probe, samples []probe.Sample, missed []string) ProbeResult {
	r := ProbeResult{
		Name: p.Name, Type: string(p.Type), Mode: string(cmp.Or(p.Mode, spec.ModeContinuous)),
		Weight: cmp.Or(p.Weight, 1), Samples: len(samples),
	}
	if p.Tolerance != nil {
		r.Tolerance = p.Tolerance.String()
	} else if p.Type == spec.ProbeHTTP {
		r.Tolerance = "status " + fmt.Sprint(cmp.Or(p.HTTP.ExpectStatus, 200))
	}
	var skipReason string
	for _, s := range samples {
		switch s.Status {
		case probe.StatusOK:
			r.OK++
		case probe.StatusBreached:
			r.Breached++
			r.Breaches = append(r.Breaches, breachOf(in, s))
		case probe.StatusError:
			r.Errors++
		case probe.StatusSkipped:
			r.Skipped++
			if s.Err != nil {
				skipReason = s.Err.Error()
			}
		}
	}
	measured := r.OK + r.Breached
	switch {
	case len(samples) == 0 && in.Stop != nil:
		r.Result, r.Reasons = Skipped, []string{"no sample: the run stopped before its window"}
		return r
	case len(samples) == 0 && windowEmpty(in.Windows, r.Mode):
		r.Result, r.Reasons = Skipped, []string{fmt.Sprintf("its %s window is empty (no fault)", r.Mode)}
		return r
	case len(samples) == 0:
		r.Result, r.Reasons = Error, []string{"no sample was taken"}
		return r
	case r.Skipped == len(samples):
		r.Result, r.Reasons = Skipped, []string{cmp.Or(skipReason, "skipped")}
		return r
	case float64(r.Errors) > in.MaxUnmeasured*float64(len(samples)) || measured == 0:
		r.Result = Error
		r.Reasons = []string{fmt.Sprintf("%d of %d samples could not be measured (at most %g%% may be): %s",
			r.Errors, len(samples), 100*in.MaxUnmeasured, firstErr(samples))}
		if r.Breached > 0 {
			r.Reasons = append(r.Reasons, breachSummary(r.Breaches))
		}
		return r
	}
	recoverable := in.Experiment.Spec.Recovery != nil && slices.Contains(in.Experiment.Spec.Recovery.Probes, p.Name)
	var hard []Breach
	for _, b := range r.Breaches {
		if !recoverable || b.Phase == PhaseBefore || b.Phase == PhaseAfter {
			hard = append(hard, b)
		}
	}
	switch {
	case len(hard) > 0:
		r.Result = Fail
		r.Reasons = append(r.Reasons, breachSummary(hard))
	case len(missed) > 0:
		r.Result = Fail
		r.Reasons = append(r.Reasons, breachSummary(r.Breaches))
	case r.Breached > 0:
		r.Result = Warn
		r.Reasons = append(r.Reasons, breachSummary(r.Breaches)+", recovered in time")
	default:
		r.Result = Pass
	}
	r.Reasons = append(r.Reasons, missed...)
	if r.Errors > 0 && r.Result != Fail {
		r.Result = Warn
		r.Reasons = append(r.Reasons, fmt.Sprintf("%d of %d samples could not be measured: %s", r.Errors, len(samples), firstErr(samples)))
	}
	return r
}

func windowEmpty(w probe.Windows, mode string) bool {
	win, err := w.For(spec.ProbeMode(mode))
	return err == nil && !win.Start.Before(win.End)
}

func breachOf(in Input, s probe.Sample) Breach {
	b := Breach{At: s.At, Offset: s.At.Sub(in.Start), Phase: PhaseOf(in.Windows, s.At)}
	if !math.IsNaN(s.Value) && !math.IsInf(s.Value, 0) {
		v := s.Value
		b.Value = &v
	}
	if s.Err != nil {
		b.Reason = s.Err.Error()
	}
	return b
}

var phaseWords = map[Phase]string{
	PhaseBefore: "before the faults", PhaseDuring: "during a fault",
	PhaseRecovery: "in the recovery grace", PhaseAfter: "after the faults",
}

// breachSummary says how many samples breached, in which phases, and the
// first one: "3 samples breached during a fault (first at +32s: ...)".
func breachSummary(bs []Breach) string {
	var phases []string
	for _, b := range bs {
		if w := phaseWords[b.Phase]; !slices.Contains(phases, w) {
			phases = append(phases, w)
		}
	}
	noun := "samples"
	if len(bs) == 1 {
		noun = "sample"
	}
	return fmt.Sprintf("%d %s breached %s (first at +%s: %s)", len(bs), noun, strings.Join(phases, ", "),
		bs[0].Offset.Round(100*time.Millisecond), bs[0].Reason)
}

func firstErr(ss []probe.Sample) string {
	for _, s := range ss {
		if s.Status == probe.StatusError && s.Err != nil {
			return s.Err.Error()
		}
	}
	return "no value"
}

func faultResults(in Input, byProbe map[string][]probe.Sample) []FaultResult {
	var out []FaultResult
	var rec *spec.Recovery = in.Experiment.Spec.Recovery
	for i, inj := range in.Injections {
		fr := FaultResult{Name: inj.Fault, Kind: inj.Kind, Targets: inj.Targets, Injected: inj.Injected, Recovered: inj.Recovered}
		// The fault's influence lasts until the next injection, or the end.
		until := in.End
		if i+1 < len(in.Injections) {
			until = in.Injections[i+1].Injected
		}
		var first *probe.Sample
		for _, p := range in.Experiment.Spec.Hypothesis.Probes {
			for _, s := range byProbe[p.Name] {
				if s.Status == probe.StatusBreached && !s.At.Before(inj.Injected) && s.At.Before(until) {
					if first == nil || s.At.Before(first.At) {
						first = &s
					}
					break
				}
			}
		}
		if first != nil {
			d := first.At.Sub(inj.Injected)
			fr.Detect, fr.DetectedBy = &d, first.Probe
		}
		if rec != nil {
			for _, name := range rec.Probes {
				fr.Recoveries = append(fr.Recoveries, recoveryOf(name, byProbe[name], inj, until, rec.Within.D(), in.Stop))
			}
		}
		out = append(out, fr)
	}
	return out
}

// recoveryOf is how long probe name took to be back within tolerance after
// inj ended: from the recovery to the first sample within tolerance after
// its last breach since the injection.
func recoveryOf(name string, ss []probe.Sample, inj engine.Injection, until time.Time, within time.Duration, stop *Stop) Recovery {
	r := Recovery{Probe: name, Within: within}
	if inj.Recovered.IsZero() {
		r.Reason = "the fault was not recovered"
		return r
	}
	lastBreach := -1
	for i, s := range ss {
		if s.At.Before(inj.Injected) || !s.At.Before(until) {
			continue
		}
		if s.Status == probe.StatusBreached {
			lastBreach = i
		}
	}
	if lastBreach < 0 {
		zero := time.Duration(0)
		r.After, r.Met, r.Reason = &zero, true, "never left tolerance"
		return r
	}
	for _, s := range ss[lastBreach+1:] {
		if !s.At.Before(until) {
			break
		}
		if s.Status == probe.StatusOK {
			d := max(s.At.Sub(inj.Recovered), 0)
			r.After, r.Met = &d, d <= within
			if r.Met {
				r.Reason = fmt.Sprintf("back within tolerance %s after the fault ended (expected within %s)", d, within)
			} else {
				r.Reason = fmt.Sprintf("back within tolerance only %s after the fault ended (expected within %s)", d, within)
			}
			return r
		}
	}
	if stop != nil {
		r.Reason = "the run stopped before it came back"
		return r
	}
	r.Reason = fmt.Sprintf("not back within tolerance by the end of the run (expected within %s)", within)
	return r
}

// missedRecoveries are the reasons of recovery expectations not met, by
// probe (a run stopped early does not miss them: it is aborted).
func missedRecoveries(fs []FaultResult) map[string][]string {
	out := map[string][]string{}
	for _, f := range fs {
		for _, r := range f.Recoveries {
			if !r.Met && r.Reason != "the run stopped before it came back" && r.Reason != "the fault was not recovered" {
				out[r.Probe] = append(out[r.Probe], fmt.Sprintf("after fault %s: %s", f.Name, r.Reason))
			}
		}
	}
	return out
}
