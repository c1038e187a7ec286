package capacity

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/report"
	"github.com/gamedayhq/gameday/harness/internal/verdict"
)

// Criteria are the SLOs a step must hold, read on the client side over
// the step's measured window (its load after the warm-up, or after the
// zone was lost and the survivors settled). The defaults are the API's
// SLOs of slo/: 99.9 % of requests succeed, 95 % within 250 ms, 99 %
// within 1 s.
type Criteria struct {
	// MaxErrorRatio of the window's requests (default 0.001).
	MaxErrorRatio float64 `json:"maxErrorRatio"`
	// MaxP95 and MaxP99 bound the 90th percentile of the window's
	// per-second p95 and p99: a hiccup of a tenth of the window does not
	// break a step, a load the target cannot take does (defaults 250 ms
	// and 1 s).
	MaxP95 Millis `json:"maxP95Ms"`
	MaxP99 Millis `json:"maxP99Ms"`
	// MinSent is the least share of the requested requests the load
	// generator must send (default 0.95): below it the generator, not the
	// target, is the limit and the search stops, inconclusive.
	MinSent float64 `json:"minSent"`
}

// Millis is a duration written in JSON as milliseconds.
type Millis float64

// D is m as a duration.
func (m Millis) D() time.Duration { return time.Duration(float64(m) * float64(time.Millisecond)) }

// MillisOf is d in milliseconds.
func MillisOf(d time.Duration) Millis { return Millis(float64(d) / float64(time.Millisecond)) }

// DefaultCriteria are the API SLOs of slo/, read on the client side.
func DefaultCriteria() Criteria {
	return Criteria{MaxErrorRatio: 0.001, MaxP95: 250, MaxP99: 1000, MinSent: 0.95}
}

// The outcomes of a step.
const (
	StepHeld  = "held"
	StepBroke = "broke"
	// StepInconclusive: the step could not say (the generator could not
	// send the rate, the target or Prometheus failed, a signal): the
	// search stops there.
	StepInconclusive = "inconclusive"
)

// Step is one step of a search: a short game day at one rate.
type Step struct {
	// N counts the steps of the whole search from 1.
	N     int     `json:"n"`
	Phase string  `json:"phase"`
	Rate  float64 `json:"rate"`
	// Outcome is held, broke or inconclusive; Reasons say why.
	Outcome string   `json:"outcome"`
	Reasons []string `json:"reasons,omitempty"`
	// Figures of the measured window: WindowSeconds long, Requests sent,
	// the error ratio, the 90th percentile of the per-second p95 and p99
	// (ms), the share of the requested requests sent, and the achieved
	// rate.
	WindowSeconds float64 `json:"windowSeconds"`
	Requests      uint64  `json:"requests"`
	ErrorRatio    float64 `json:"errorRatio"`
	P95Ms         float64 `json:"p95Ms"`
	P99Ms         float64 `json:"p99Ms"`
	Sent          float64 `json:"sent"`
	Achieved      float64 `json:"achievedRate"`
	// Verdict and ExitCode are the step's game day's; Report its
	// report.json relative to the reports root.
	Verdict  string    `json:"verdict,omitempty"`
	ExitCode int       `json:"exitCode"`
	Report   string    `json:"report,omitempty"`
	Start    time.Time `json:"start"`
	Seconds  float64   `json:"seconds"`
	// Targets are the replicas the zone fault failed (zone phase).
	Targets []string `json:"targets,omitempty"`
	// Ready is the replicas ready per zone when the step started.
	Ready map[string]int `json:"ready,omitempty"`
}

// Held reports whether the step held the SLOs.
func (s Step) Held() bool { return s.Outcome == StepHeld }

// judge is the outcome of a step from its game day's report (nil when the
// run wrote none) and error: the SLO criteria over the whole seconds of
// its timeline in [from, to) that requested load. A failed hypothesis (the experiment's own probes) or a
// stop condition breaks the step; a run that could not be judged, or a
// generator that could not send the rate, is inconclusive.
func judge(s *Step, rep *report.Report, runErr error, from, to time.Time, c Criteria) {
	s.ExitCode = exitcode.Of(runErr)
	if rep == nil {
		s.Outcome, s.Reasons = StepInconclusive, []string{fmt.Sprintf("no report: %v", runErr)}
		return
	}
	s.Verdict = string(rep.Verdict.Status)
	var req, ok, target uint64
	var targetF float64
	var p95, p99 []float64
	seconds := 0
	for _, p := range rep.Timeline {
		at := rep.Timings.Start.Add(time.Duration(p.Offset) * time.Second)
		if at.Before(from) || at.Add(time.Second).After(to) || p.Target == 0 {
			continue
		}
		seconds++
		req, ok, targetF = req+p.Requests, ok+p.Successes, targetF+p.Target
		if p.Requests > 0 {
			p95, p99 = append(p95, p.P95), append(p99, p.P99)
		}
	}
	target = uint64(math.Round(targetF))
	s.WindowSeconds = float64(seconds)
	s.Requests = req
	if req > 0 {
		s.ErrorRatio = 1 - float64(ok)/float64(req)
		s.P95Ms, s.P99Ms = q90(p95), q90(p99)
	}
	if target > 0 {
		s.Sent = float64(req) / float64(target)
	}
	if s.WindowSeconds > 0 {
		s.Achieved = float64(req) / s.WindowSeconds
	}
	v := rep.Verdict
	switch {
	case v.Status == verdict.Aborted && v.Stop != nil && v.Stop.Kind == verdict.StopCondition:
		s.Outcome, s.Reasons = StepBroke, []string{"a stop condition tripped: " + v.Stop.Reason}
		return
	case v.Status == verdict.Aborted, v.Status == verdict.Inconclusive:
		s.Outcome, s.Reasons = StepInconclusive, append([]string{"the game day was " + string(v.Status)}, v.Reasons...)
		return
	case s.WindowSeconds <= 0 || req == 0:
		s.Outcome, s.Reasons = StepInconclusive, []string{"no request was measured in the window"}
		return
	}
	var broke []string
	if s.ErrorRatio > c.MaxErrorRatio {
		broke = append(broke, fmt.Sprintf("error ratio %.3f%% > %.3f%%%s", 100*s.ErrorRatio, 100*c.MaxErrorRatio, errorsOf(rep, from, to)))
	}
	if c.MaxP95 > 0 && s.P95Ms > float64(c.MaxP95) {
		broke = append(broke, fmt.Sprintf("p95 %.0f ms > %.0f ms", s.P95Ms, float64(c.MaxP95)))
	}
	if c.MaxP99 > 0 && s.P99Ms > float64(c.MaxP99) {
		broke = append(broke, fmt.Sprintf("p99 %.0f ms > %.0f ms", s.P99Ms, float64(c.MaxP99)))
	}
	if v.Status == verdict.Failed {
		broke = append(append(broke, "the experiment's hypothesis failed"), v.Reasons...)
	}
	switch {
	case s.Sent < c.MinSent && len(broke) == 0:
		// The target kept up with what it got: the generator could not
		// send more. Saying the target broke would be a lie.
		s.Outcome, s.Reasons = StepInconclusive, []string{fmt.Sprintf("the load generator sent %.0f%% of the %g req/s asked (%.1f req/s): it, not the target, is the limit here", 100*s.Sent, s.Rate, s.Achieved)}
	case len(broke) > 0:
		s.Outcome, s.Reasons = StepBroke, broke
	default:
		s.Outcome = StepHeld
	}
}

// errorsOf names the error classes of the window: " (http_429 210, timeout 3)".
func errorsOf(rep *report.Report, from, to time.Time) string {
	counts := map[string]uint64{}
	for _, p := range rep.Timeline {
		at := rep.Timings.Start.Add(time.Duration(p.Offset) * time.Second)
		if at.Before(from) || at.Add(time.Second).After(to) {
			continue
		}
		for _, e := range p.Errors {
			counts[string(e.Class)] += e.Count
		}
	}
	if len(counts) == 0 {
		return ""
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, counts[k]))
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// q90 is the 90th percentile (nearest rank) of xs; 0 for none.
func q90(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[max(int(math.Ceil(0.9*float64(len(s))))-1, 0)]
}
