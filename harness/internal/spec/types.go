package spec

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/invopop/jsonschema"
)

// APIVersion is the version of every file this package reads.
const APIVersion = "gameday.dev/v1alpha1"

// The kinds of file.
const (
	KindExperiment = "Experiment"
	KindSuite      = "Suite"
	// KindSchedules is a schedules file (package schedule reads it):
	// LoadPath leaves such files out of experiments/ instead of refusing them.
	KindSchedules = "Schedules"
	// KindNotifications is a notifications file (package notify reads it),
	// left out of a walk likewise.
	KindNotifications = "Notifications"
)

// Bounds that keep a game day sane on a laptop and in CI.
const (
	MaxRate           = 1000000   // requests per second, any profile: the generator is bounded, so a rate above what the machine can send is said (saturated, exit 3), not a crash
	MaxRunDuration    = time.Hour // load.duration
	MaxDescription    = 100       // words in metadata.description
	MaxWorkers        = 10000     // load.maxWorkers
	MaxRequestTimeout = time.Minute
)

// Experiment is one game day: load against a target, faults on a timeline,
// and a steady-state hypothesis that must hold throughout.
type Experiment struct {
	// APIVersion must be gameday.dev/v1alpha1.
	APIVersion string `json:"apiVersion"`
	// Kind must be Experiment.
	Kind     string         `json:"kind"`
	Metadata Metadata       `json:"metadata"`
	Spec     ExperimentSpec `json:"spec"`

	// File is the file the experiment was read from, if any.
	File string `json:"-"`
}

// Metadata names and describes an experiment or a suite.
type Metadata struct {
	// Name is a DNS label (lowercase letters, digits and '-', at most 63).
	Name string `json:"name"`
	// Description says what the experiment does and what it proves, in 100
	// words or fewer.
	Description string `json:"description"`
	// Labels are free-form key/value pairs for selection and reports.
	Labels map[string]string `json:"labels,omitempty"`
	// ProdSafe marks an experiment as reviewed for production (guards arrive
	// in a later issue); false by default.
	ProdSafe bool `json:"prodSafe,omitempty"`
}

// ExperimentSpec is what an experiment does.
type ExperimentSpec struct {
	// Target is where the experiment runs: the suite's default target, else
	// the local sandbox. Never nil once loaded.
	Target *Target `json:"target,omitempty"`
	// Load is the traffic sent to the target for the whole run.
	Load Load `json:"load"`
	// Hypothesis is the steady state that must hold.
	Hypothesis Hypothesis `json:"hypothesis"`
	// Faults are injected on the load's timeline, in Chaos Mesh's vocabulary.
	Faults []Fault `json:"faults,omitempty"`
	// StopConditions abort the run (exit 4) and recover every fault.
	StopConditions []StopCondition `json:"stopConditions,omitempty"`
	// Recovery is the expectation that the named probes come back within
	// tolerance shortly after each fault ends.
	Recovery *Recovery `json:"recovery,omitempty"`
}

// TargetKind selects the engine.
type TargetKind string

// The targets.
const (
	TargetSandbox    TargetKind = "sandbox"
	TargetKubernetes TargetKind = "kubernetes"
)

// Target is the system under test.
type Target struct {
	// Kind is sandbox (default) or kubernetes.
	Kind TargetKind `json:"kind,omitempty" jsonschema:"enum=sandbox,enum=kubernetes"`
	// Sandbox configures the local sandbox (kind sandbox).
	Sandbox *SandboxTarget `json:"sandbox,omitempty"`
	// Kubernetes names the workload in a cluster (kind kubernetes).
	Kubernetes *KubernetesTarget `json:"kubernetes,omitempty"`
	// PrometheusURL overrides where promql probes are sent; the sandbox's
	// own Prometheus by default.
	PrometheusURL string `json:"prometheusURL,omitempty"`
	// LokiURL is where logql probes are sent; without it they are skipped.
	LokiURL string `json:"lokiURL,omitempty"`
}

// SandboxTarget is the embedded local target: PetClinic replicas over zones.
type SandboxTarget struct {
	// Replicas is the number of PetClinic replicas (default 3).
	Replicas int `json:"replicas,omitempty"`
	// Zones are the values of the topology.kubernetes.io/zone label the
	// replicas are spread over, round robin (default zone-a, zone-b, zone-c).
	Zones []string `json:"zones,omitempty"`
}

// KubernetesTarget is a PetClinic Deployment in a cluster running Chaos Mesh.
type KubernetesTarget struct {
	// Namespace of the Deployment (default petclinic); also the default
	// namespace of every fault selector.
	Namespace string `json:"namespace,omitempty"`
	// Deployment is the name of the PetClinic Deployment (default
	// petclinic).
	Deployment string `json:"deployment,omitempty"`
	// Selector are the labels of the PetClinic pods (default app: petclinic).
	Selector map[string]string `json:"selector,omitempty"`
	// URL is where the load is sent (an Ingress or a port-forward).
	URL string `json:"url,omitempty"`
}

// Load is the traffic of the run. The run lasts as long as the load.
type Load struct {
	// Duration of the load, and so of the run (Go duration, e.g. 90s).
	Duration Duration `json:"duration"`
	// Profile is the request rate over time.
	Profile RateProfile `json:"profile"`
	// Journeys are weighted PetClinic user flows, by name.
	Journeys []Journey `json:"journeys"`
	// Timeout of one request (default 5s).
	Timeout Duration `json:"timeout,omitempty"`
	// LatencyBudget is the latency up to which the generator holds the peak
	// rate (default: the timeout, at most the timeout): it keeps up to peak
	// rate × latencyBudget requests in flight. A target slower than that
	// holds every worker, and the generator sends late instead of piling
	// requests up (the latency from the intended send time shows the wait).
	LatencyBudget Duration `json:"latencyBudget,omitempty"`
	// MaxWorkers caps the generator's workers, and so its requests in
	// flight (default: peak rate × latencyBudget + 10, at most 512).
	MaxWorkers int `json:"maxWorkers,omitempty"`
}

// RateProfile is exactly one of constant, ramp or steps.
type RateProfile struct {
	// Constant holds one rate for the whole load.
	Constant *ConstantRate `json:"constant,omitempty"`
	// Ramp changes the rate linearly over the whole load.
	Ramp *RampRate `json:"ramp,omitempty"`
	// Steps hold each rate for its duration; their durations add up to the
	// load's duration.
	Steps []RateStep `json:"steps,omitempty"`
}

// ConstantRate is a fixed rate.
type ConstantRate struct {
	// Rate in requests per second (> 0).
	Rate float64 `json:"rate"`
}

// RampRate goes linearly from From to To requests per second.
type RampRate struct {
	// From is the rate at the start (>= 0).
	From float64 `json:"from"`
	// To is the rate at the end of the load (>= 0).
	To float64 `json:"to"`
}

// RateStep holds Rate for Duration.
type RateStep struct {
	// Rate in requests per second (>= 0; 0 pauses the load).
	Rate float64 `json:"rate"`
	// Duration of the step.
	Duration Duration `json:"duration"`
}

// Journey is a named PetClinic user flow and its share of the requests.
type Journey struct {
	// Name of the flow, one of the load generator's journeys.
	Name string `json:"name"`
	// Weight is the relative share of the flow (> 0).
	Weight float64 `json:"weight"`
}

// Shape names the profile's form: "constant", "ramp" or "steps" ("" when
// none is set).
func (p RateProfile) Shape() string {
	switch {
	case p.Constant != nil:
		return "constant"
	case p.Ramp != nil:
		return "ramp"
	case len(p.Steps) > 0:
		return "steps"
	}
	return ""
}

// RateAt is the requested rate at elapsed into a load lasting total; 0
// outside [0, total).
func (p RateProfile) RateAt(elapsed, total time.Duration) float64 {
	if elapsed < 0 || elapsed >= total {
		return 0
	}
	switch {
	case p.Constant != nil:
		return p.Constant.Rate
	case p.Ramp != nil:
		f := float64(elapsed) / float64(total)
		return p.Ramp.From + (p.Ramp.To-p.Ramp.From)*f
	}
	var at time.Duration
	for _, s := range p.Steps {
		if elapsed < at+s.Duration.D() {
			return s.Rate
		}
		at += s.Duration.D()
	}
	return 0
}

// Peak is the highest rate the profile requests.
func (p RateProfile) Peak() float64 {
	switch {
	case p.Constant != nil:
		return p.Constant.Rate
	case p.Ramp != nil:
		return math.Max(p.Ramp.From, p.Ramp.To)
	}
	var peak float64
	for _, s := range p.Steps {
		peak = math.Max(peak, s.Rate)
	}
	return peak
}

// Hypothesis is the steady state: every probe stays within its tolerance in
// its mode's window.
type Hypothesis struct {
	// Probes measure the steady state.
	Probes []Probe `json:"probes"`
}

// ProbeType is how a probe measures.
type ProbeType string

// The probe types.
const (
	ProbeHTTP   ProbeType = "http"
	ProbePromQL ProbeType = "promql"
	ProbeLogQL  ProbeType = "logql"
	// ProbeLoad reads what the load generator measured, client side.
	ProbeLoad ProbeType = "load"
)

// ProbeMode is the window in which a probe must hold.
type ProbeMode string

// The probe modes.
const (
	// ModeBefore: from the start of the load until the first fault.
	ModeBefore ProbeMode = "before"
	// ModeDuring: from the first fault's injection to the end of the last
	// fault.
	ModeDuring ProbeMode = "during"
	// ModeAfter: from the end of the last fault (plus recovery.within, when
	// set) to the end of the load.
	ModeAfter ProbeMode = "after"
	// ModeContinuous: the whole run (the default).
	ModeContinuous ProbeMode = "continuous"
)

// Probe is one measurement of the steady state, taken every Interval.
type Probe struct {
	// Name is unique in the experiment (a DNS label); stop conditions and
	// recovery refer to it.
	Name string `json:"name"`
	// Type is http, promql, logql or load; the block of the same name is
	// required.
	Type ProbeType `json:"type" jsonschema:"enum=http,enum=promql,enum=logql,enum=load"`
	// HTTP probes the target over HTTP.
	HTTP *HTTPProbe `json:"http,omitempty"`
	// PromQL evaluates an instant query; its single value is compared.
	PromQL *PromQLProbe `json:"promql,omitempty"`
	// LogQL evaluates a metric query on Loki; skipped without a Loki.
	LogQL *LogQLProbe `json:"logql,omitempty"`
	// Load reads the load's own requests over a trailing window: latency
	// from the intended send time, or the error ratio.
	Load *LoadProbe `json:"load,omitempty"`
	// Tolerance is the range the measured value must stay in; required for
	// promql and logql, and for http it bounds the latency in seconds.
	Tolerance *Tolerance `json:"tolerance,omitempty"`
	// Mode is the window in which the probe must hold (default continuous).
	Mode ProbeMode `json:"mode,omitempty" jsonschema:"enum=before,enum=during,enum=after,enum=continuous"`
	// Interval between two measurements (default 5s, at least 1s).
	Interval Duration `json:"interval,omitempty"`
	// Weight of the probe in the resilience score (default 1).
	Weight float64 `json:"weight,omitempty"`
}

// HTTPProbe requests URL (or the target's base URL + Path) and expects a
// status; its value is the latency in seconds.
type HTTPProbe struct {
	// URL is an absolute http(s) URL; exactly one of url and path.
	URL string `json:"url,omitempty"`
	// Path is appended to the target's base URL; exactly one of url and path.
	Path string `json:"path,omitempty"`
	// Method is GET (default), HEAD or POST. A probe runs every interval
	// and must only read: POST is for endpoints that read through a POST
	// (a search, a GraphQL query), never for one that writes.
	Method string `json:"method,omitempty" jsonschema:"enum=GET,enum=HEAD,enum=POST"`
	// Headers are sent with every request, as written (no secrets: the
	// file is the record). A Host header sets the request's host, to probe
	// a virtual host through an ingress or a load balancer by address.
	Headers map[string]string `json:"headers,omitempty"`
	// Body is sent with every request; only with method POST (set its
	// Content-Type in headers).
	Body string `json:"body,omitempty"`
	// ExpectStatus is the status code that counts as success (default 200).
	ExpectStatus int `json:"expectStatus,omitempty"`
	// Timeout of the request (default 2s); a timeout is a breach.
	Timeout Duration `json:"timeout,omitempty"`
}

// PromQLProbe is an instant query returning one value.
type PromQLProbe struct {
	// Query is checked offline with Prometheus' own parser.
	Query string `json:"query"`
}

// LoadMetric is what a load probe reads.
type LoadMetric string

// The load probe metrics.
const (
	LoadP50        LoadMetric = "p50"
	LoadP95        LoadMetric = "p95"
	LoadP99        LoadMetric = "p99"
	LoadErrorRatio LoadMetric = "error-ratio"
)

// LoadProbe measures the requests the load generator sent during the last
// Window, client side: a latency quantile in seconds, measured from each
// request's intended send time (corrected for coordinated omission: a
// request the generator sent late, because every worker waited on a slow
// target, counts its wait), or the share of them that failed.
type LoadProbe struct {
	// Metric is p50, p95, p99 (seconds, from the intended send time) or
	// error-ratio (failed / completed).
	Metric LoadMetric `json:"metric" jsonschema:"enum=p50,enum=p95,enum=p99,enum=error-ratio"`
	// Window is the trailing span read at each sample (default 10s, 1s to
	// 5m).
	Window Duration `json:"window,omitempty"`
}

// MaxLoadWindow bounds a load probe's window: the timeline keeps each
// second's histograms (16 KiB) that long.
const MaxLoadWindow = 5 * time.Minute

// LogQLProbe is a LogQL metric query returning one value.
type LogQLProbe struct {
	// Query is checked as Loki checks it (package logql, written from
	// Loki's grammar; Loki's parser is AGPL and is not imported) and must be
	// a metric query, e.g. sum(count_over_time({app="petclinic"} |= "ERROR" [1m])).
	Query string `json:"query"`
}

// Tolerance is exactly one of threshold or range, or a relative
// tolerance (the bound learnt from the probe's baseline) with at most one
// of them beside it: the fixed tolerance it falls back to while the
// baseline has too few runs.
type Tolerance struct {
	// Threshold compares the value with one bound.
	Threshold *Threshold `json:"threshold,omitempty"`
	// Range requires min <= value <= max.
	Range *Range `json:"range,omitempty"`
	// Relative compares the value with the probe's baseline: the median of
	// what it measured in the pre-fault windows of this run and of the last
	// comparable runs of the history.
	Relative *RelativeTolerance `json:"relative,omitempty"`
}

// RelativeTolerance holds when value Op bound, the bound learnt from the
// probe's baseline: factor × its median, or its median plus (for < and
// <=) or minus (for > and >=) mads × its MAD (median absolute deviation,
// scaled to estimate a standard deviation).
type RelativeTolerance struct {
	// Op is one of <, <=, >, >=: with < and <= higher values are worse
	// (latency, errors), with > and >= lower ones (throughput).
	Op Op `json:"op" jsonschema:"enum=<,enum=<=,enum=>,enum=>="`
	// Factor: the bound is factor × the baseline ("<= 1.2 × baseline p99");
	// exactly one of factor and mads.
	Factor float64 `json:"factor,omitempty"`
	// MADs: the bound is the baseline ± mads MADs ("within 3 MADs").
	MADs float64 `json:"mads,omitempty"`
	// MinMargin is the least distance between the baseline and the bound
	// (default 0), so that a baseline without spread (an error ratio of 0)
	// does not breach on the first error.
	MinMargin float64 `json:"minMargin,omitempty"`
	// Runs is how many of the newest comparable runs of the history the
	// baseline learns from (default 10, at most 100).
	Runs int `json:"runs,omitempty"`
	// MinRuns is how many comparable runs the baseline needs (default 3,
	// at least 1, at most runs); this run's pre-fault window joins them.
	MinRuns int `json:"minRuns,omitempty"`
	// WhenTooFewRuns: fallback (default) judges by the threshold or range
	// beside relative while the history holds fewer than minRuns runs;
	// fail breaches every sample instead, failing the run (a gate that
	// must not pass on a guess).
	WhenTooFewRuns string `json:"whenTooFewRuns,omitempty" jsonschema:"enum=fallback,enum=fail"`
}

// The choices of RelativeTolerance.WhenTooFewRuns.
const (
	TooFewRunsFallback = "fallback"
	TooFewRunsFail     = "fail"
)

// Defaults of a relative tolerance.
const (
	DefaultBaselineRuns    = 10
	DefaultBaselineMinRuns = 3
	MaxBaselineRuns        = 100
)

// Fixed is the tolerance without its relative part (nil when it has no
// threshold or range): what a relative tolerance falls back to.
func (t *Tolerance) Fixed() *Tolerance {
	if t == nil || t.Threshold == nil && t.Range == nil {
		return nil
	}
	return &Tolerance{Threshold: t.Threshold, Range: t.Range}
}

// Op is a comparison operator.
type Op string

// The operators.
const (
	OpLT Op = "<"
	OpLE Op = "<="
	OpGT Op = ">"
	OpGE Op = ">="
	OpEQ Op = "=="
)

// Threshold holds when value Op Value.
type Threshold struct {
	// Op is one of <, <=, >, >=, ==.
	Op Op `json:"op" jsonschema:"enum=<,enum=<=,enum=>,enum=>=,enum=="`
	// Value is the bound.
	Value float64 `json:"value"`
}

// Range holds when Min <= value <= Max.
type Range struct {
	Min float64 `json:"min"`
	Max float64 `json:"max"`
}

// Holds reports whether v is within the tolerance. NaN never holds.
func (t Tolerance) Holds(v float64) bool {
	if math.IsNaN(v) {
		return false
	}
	switch {
	case t.Threshold != nil:
		b := t.Threshold.Value
		switch t.Threshold.Op {
		case OpLT:
			return v < b
		case OpLE:
			return v <= b
		case OpGT:
			return v > b
		case OpGE:
			return v >= b
		case OpEQ:
			return v == b
		}
	case t.Range != nil:
		return v >= t.Range.Min && v <= t.Range.Max
	}
	return false
}

// String renders the tolerance for reports: "< 0.01", "in [0.99, 1]",
// "<= 1.2 × baseline (fallback < 0.5)".
func (t Tolerance) String() string {
	switch {
	case t.Relative != nil:
		s := t.Relative.String()
		if f := t.Fixed(); f != nil {
			s += " (fallback " + f.String() + ")"
		}
		return s
	case t.Threshold != nil:
		return fmt.Sprintf("%s %g", t.Threshold.Op, t.Threshold.Value)
	case t.Range != nil:
		return fmt.Sprintf("in [%g, %g]", t.Range.Min, t.Range.Max)
	}
	return "none"
}

// String renders the relative tolerance: "<= 1.2 × baseline",
// "< baseline + 3 MAD".
func (r RelativeTolerance) String() string {
	var s string
	switch {
	case r.MADs > 0 && (r.Op == OpGT || r.Op == OpGE):
		s = fmt.Sprintf("%s baseline − %g MAD", r.Op, r.MADs)
	case r.MADs > 0:
		s = fmt.Sprintf("%s baseline + %g MAD", r.Op, r.MADs)
	default:
		s = fmt.Sprintf("%s %g × baseline", r.Op, r.Factor)
	}
	if r.MinMargin > 0 {
		s += fmt.Sprintf(" (margin at least %g)", r.MinMargin)
	}
	return s
}

// StopCondition aborts the run, as an AWS FIS stop condition does: either a
// probe breached Breaches times in a row, or the client-side error ratio
// above a cap over a trailing window.
type StopCondition struct {
	// Name for reports (default: derived from the condition).
	Name string `json:"name,omitempty"`
	// Probe is the name of a hypothesis probe; exactly one of probe and
	// errorRatioAbove.
	Probe string `json:"probe,omitempty"`
	// Breaches is the number of CONSECUTIVE out-of-tolerance samples of the
	// probe that abort the run (default 3).
	Breaches int `json:"breaches,omitempty"`
	// ErrorRatioAbove aborts when the failed/total ratio of the load's
	// requests over Window exceeds it (0 < x <= 1).
	ErrorRatioAbove *float64 `json:"errorRatioAbove,omitempty"`
	// Window of the error ratio, over the per-second load timeline (default
	// 10s).
	Window Duration `json:"window,omitempty"`
}

// Recovery is the expectation that the SLIs come back after each fault.
type Recovery struct {
	// Within is how long after a fault ends every named probe must be back
	// within tolerance.
	Within Duration `json:"within"`
	// Probes are names of hypothesis probes.
	Probes []string `json:"probes"`
}

// Duration is a time.Duration written as a Go duration string ("90s",
// "1m30s") in YAML and JSON.
type Duration time.Duration

// D is the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

func (d Duration) String() string { return time.Duration(d).String() }

// MarshalText writes the Go duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("invalid duration %q: use a Go duration such as 30s, 1m30s or 500ms", string(b))
	}
	*d = Duration(v)
	return nil
}

// JSONSchema describes Duration as a string.
func (Duration) JSONSchema() *jsonschema.Schema {
	return &jsonschema.Schema{
		Type:        "string",
		Pattern:     `^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`,
		Description: "A Go duration such as 30s, 1m30s or 500ms.",
		Examples:    []any{"30s", "1m30s"},
	}
}

// words counts the words of s.
func words(s string) int { return len(strings.Fields(s)) }
