package verdict_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/engine"
	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/load"
	"github.com/gamedayhq/gameday/harness/internal/probe"
	"github.com/gamedayhq/gameday/harness/internal/spec"
	"github.com/gamedayhq/gameday/harness/internal/verdict"
)

var t0 = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// experiment: 60 s of load, one fault from 20 s to 40 s, recovery within
// 10 s for "errors"; probes errors (continuous), latency (continuous),
// baseline (before), logs (logql).
func experiment() *spec.Experiment {
	lt := func(v float64) *spec.Tolerance {
		return &spec.Tolerance{Threshold: &spec.Threshold{Op: spec.OpLT, Value: v}}
	}
	return &spec.Experiment{
		Metadata: spec.Metadata{Name: "pod-kill"},
		Spec: spec.ExperimentSpec{
			Load: spec.Load{Duration: spec.Duration(60 * time.Second)},
			Hypothesis: spec.Hypothesis{Probes: []spec.Probe{
				{Name: "errors", Type: spec.ProbePromQL, Tolerance: lt(0.01), Weight: 2},
				{Name: "latency", Type: spec.ProbePromQL, Tolerance: lt(0.5)},
				{Name: "baseline", Type: spec.ProbePromQL, Mode: spec.ModeBefore, Tolerance: lt(0.001)},
				{Name: "logs", Type: spec.ProbeLogQL, Tolerance: lt(1)},
			}},
			Faults:   []spec.Fault{{Name: "kill", Kind: spec.PodChaos, StartAfter: spec.Duration(20 * time.Second), Duration: spec.Duration(20 * time.Second)}},
			Recovery: &spec.Recovery{Within: spec.Duration(10 * time.Second), Probes: []string{"errors"}},
		},
	}
}

// series makes one sample every 5 s over [from, to) seconds of probe name;
// bad(offset) decides the status of each.
func series(name string, from, to int, st func(sec int) probe.Status) []probe.Sample {
	var out []probe.Sample
	for s := from; s < to; s += 5 {
		smp := probe.Sample{Probe: name, At: t0.Add(time.Duration(s) * time.Second), Status: st(s), Value: 0}
		switch smp.Status {
		case probe.StatusOK:
			smp.OK = true
		case probe.StatusBreached:
			smp.Value = 0.2
			smp.Err = errors.New(name + ": value 0.2 is not < 0.01")
		case probe.StatusError:
			smp.Value = math.NaN()
			smp.Err = errors.New(name + ": prometheus unreachable")
		case probe.StatusSkipped:
			smp.Value = math.NaN()
			smp.Err = errors.New(name + ": no loki configured: logql probe skipped")
		}
		out = append(out, smp)
	}
	return out
}

func always(st probe.Status) func(int) probe.Status { return func(int) probe.Status { return st } }

func between(from, to int, st probe.Status) func(int) probe.Status {
	return func(s int) probe.Status {
		if s >= from && s < to {
			return st
		}
		return probe.StatusOK
	}
}

func healthy() map[string][]probe.Sample {
	return map[string][]probe.Sample{
		"errors":   series("errors", 0, 60, always(probe.StatusOK)),
		"latency":  series("latency", 0, 60, always(probe.StatusOK)),
		"baseline": series("baseline", 0, 20, always(probe.StatusOK)),
		"logs":     series("logs", 0, 60, always(probe.StatusSkipped)),
	}
}

func with(m map[string][]probe.Sample, name string, ss []probe.Sample) map[string][]probe.Sample {
	m[name] = ss
	return m
}

func input(samples map[string][]probe.Sample) verdict.Input {
	e := experiment()
	in := verdict.Input{
		Experiment: e, Start: t0, End: t0.Add(60 * time.Second),
		Windows: verdict.PlannedWindows(e, t0),
		Total:   load.Summary{Requests: 6000, Successes: 5997},
		Injections: []engine.Injection{{
			Fault: "kill", Kind: "PodChaos", Targets: []string{"petclinic-1"},
			Injected: t0.Add(20 * time.Second), Recovered: t0.Add(40 * time.Second),
		}},
	}
	for _, name := range []string{"errors", "latency", "baseline", "logs"} {
		in.Samples = append(in.Samples, samples[name]...)
	}
	return in
}

func TestEvaluate(t *testing.T) {
	tests := map[string]struct {
		in         verdict.Input
		wantStatus verdict.Status
		wantCode   int
		wantResult map[string]verdict.Result
		wantReason string // in the verdict's reasons
	}{
		"a run whose probes all stay within tolerance holds": {
			in:         input(healthy()),
			wantStatus: verdict.Held, wantCode: exitcode.OK,
			wantResult: map[string]verdict.Result{"errors": verdict.Pass, "latency": verdict.Pass, "baseline": verdict.Pass, "logs": verdict.Skipped},
			wantReason: "every probe held",
		},
		"a recovery probe that breaches during the fault and comes back in time warns": {
			in:         input(with(healthy(), "errors", series("errors", 0, 60, between(25, 45, probe.StatusBreached)))),
			wantStatus: verdict.Held, wantCode: exitcode.OK,
			wantResult: map[string]verdict.Result{"errors": verdict.Warn, "latency": verdict.Pass},
			wantReason: "the hypothesis held with 1 of 4 probes warning (score 75%)\nprobe errors warned: 4 samples breached during a fault, in the recovery grace (first at +25s",
		},
		"a recovery probe that comes back too late fails": {
			in:         input(with(healthy(), "errors", series("errors", 0, 60, between(25, 55, probe.StatusBreached)))),
			wantStatus: verdict.Failed, wantCode: exitcode.Failed,
			wantResult: map[string]verdict.Result{"errors": verdict.Fail},
			wantReason: "only 15s after the fault ended (expected within 10s)",
		},
		"a probe without a recovery expectation that breaches during the fault fails": {
			in:         input(with(healthy(), "latency", series("latency", 0, 60, between(25, 30, probe.StatusBreached)))),
			wantStatus: verdict.Failed, wantCode: exitcode.Failed,
			wantResult: map[string]verdict.Result{"latency": verdict.Fail, "errors": verdict.Pass},
			wantReason: "probe latency failed: 1 sample breached during a fault (first at +25s",
		},
		"a breach before any fault fails even a recovery probe": {
			in:         input(with(healthy(), "errors", series("errors", 0, 60, between(5, 10, probe.StatusBreached)))),
			wantStatus: verdict.Failed, wantCode: exitcode.Failed,
			wantResult: map[string]verdict.Result{"errors": verdict.Fail},
			wantReason: "breached before the faults",
		},
		"a probe that could not be measured for most of the run makes it inconclusive": {
			in:         input(with(healthy(), "latency", series("latency", 0, 60, between(15, 60, probe.StatusError)))),
			wantStatus: verdict.Inconclusive, wantCode: exitcode.Infra,
			wantResult: map[string]verdict.Result{"latency": verdict.Error, "errors": verdict.Pass},
			wantReason: "prometheus unreachable",
		},
		"a probe that missed one sample of twelve warns": {
			in:         input(with(healthy(), "latency", series("latency", 0, 60, between(15, 20, probe.StatusError)))),
			wantStatus: verdict.Held, wantCode: exitcode.OK,
			wantResult: map[string]verdict.Result{"latency": verdict.Warn},
		},
		"a measured failure outweighs an unmeasured probe": {
			in: input(with(with(healthy(), "latency", series("latency", 0, 60, always(probe.StatusError))),
				"baseline", series("baseline", 0, 20, always(probe.StatusBreached)))),
			wantStatus: verdict.Failed, wantCode: exitcode.Failed,
			wantResult: map[string]verdict.Result{"latency": verdict.Error, "baseline": verdict.Fail},
		},
		"a stop condition aborts whatever the probes say": {
			in: func() verdict.Input {
				in := input(with(healthy(), "latency", series("latency", 0, 30, between(25, 30, probe.StatusBreached))))
				in.Stop = &verdict.Stop{Kind: verdict.StopCondition, Condition: "client-errors", At: t0.Add(30 * time.Second), Reason: "stop condition client-errors: error ratio 0.3 over 10s is above 0.05"}
				return in
			}(),
			wantStatus: verdict.Aborted, wantCode: exitcode.Aborted,
			wantResult: map[string]verdict.Result{"latency": verdict.Fail},
			wantReason: "stop condition client-errors: error ratio",
		},
		"a fault that could not be injected makes the run inconclusive even with a breach": {
			in: func() verdict.Input {
				in := input(with(healthy(), "latency", series("latency", 0, 30, between(25, 30, probe.StatusBreached))))
				in.Stop = &verdict.Stop{Kind: verdict.StopError, At: t0.Add(30 * time.Second), Reason: "inject fault second: connection refused"}
				return in
			}(),
			wantStatus: verdict.Inconclusive, wantCode: exitcode.Infra,
			wantResult: map[string]verdict.Result{"latency": verdict.Fail},
			wantReason: "inject fault second: connection refused",
		},
		"a held hypothesis says when the client side overspent the error budget": {
			in: func() verdict.Input {
				in := input(healthy())
				in.Total = load.Summary{Requests: 6000, Successes: 5970}
				return in
			}(),
			wantStatus: verdict.Held, wantCode: exitcode.OK,
			wantReason: "but the load saw 30 failed requests of 6000: 500% of the error budget of a 99.9% objective",
		},
		"a load that measured nothing is inconclusive": {
			in: func() verdict.Input {
				in := input(healthy())
				in.Total = load.Summary{}
				return in
			}(),
			wantStatus: verdict.Inconclusive, wantCode: exitcode.Infra,
			wantReason: "the load measured no request",
		},
		"an infrastructure error during the run is inconclusive": {
			in: func() verdict.Input {
				in := input(healthy())
				in.Errors = []string{"recover fault kill: connection refused"}
				return in
			}(),
			wantStatus: verdict.Inconclusive, wantCode: exitcode.Infra,
			wantReason: "recover fault kill",
		},
		"a saturated generator makes a held run inconclusive: the load was not what was asked": {
			in:         saturatedAt(input(healthy()), 30),
			wantStatus: verdict.Inconclusive, wantCode: exitcode.Infra,
			wantReason: "load generator saturated at 11850/s (requested 20000/s) from +30s",
		},
		"a breach after the generator saturated is not blamed on the target": {
			in:         saturatedAt(input(with(healthy(), "latency", series("latency", 0, 60, between(35, 45, probe.StatusBreached)))), 30),
			wantStatus: verdict.Inconclusive, wantCode: exitcode.Infra,
			wantResult: map[string]verdict.Result{"latency": verdict.Fail},
			wantReason: "the probes first breached 5s after the generator saturated, so these failures may be the generator's doing\nprobe latency failed",
		},
		"a target that failed visibly before the generator saturated still fails": {
			in:         saturatedAt(input(with(healthy(), "latency", series("latency", 0, 60, between(25, 45, probe.StatusBreached)))), 30),
			wantStatus: verdict.Failed, wantCode: exitcode.Failed,
			wantResult: map[string]verdict.Result{"latency": verdict.Fail},
			wantReason: "probe latency failed: 4 samples breached during a fault, in the recovery grace (first at +25s",
		},
		"a stop condition tripped before the saturation still aborts": {
			in: func() verdict.Input {
				in := saturatedAt(input(healthy()), 30)
				in.Stop = &verdict.Stop{Kind: verdict.StopCondition, At: t0.Add(25 * time.Second), Reason: "stop condition client-errors: error ratio 0.3 over 10s is above 0.05"}
				return in
			}(),
			wantStatus: verdict.Aborted, wantCode: exitcode.Aborted,
			wantReason: "from +30s: it sent up to 2.123s late",
		},
		"a stop condition tripped after the saturation is inconclusive": {
			in: func() verdict.Input {
				in := saturatedAt(input(healthy()), 30)
				in.Stop = &verdict.Stop{Kind: verdict.StopCondition, At: t0.Add(33 * time.Second), Reason: "stop condition client-errors: error ratio 0.3 over 10s is above 0.05"}
				return in
			}(),
			wantStatus: verdict.Inconclusive, wantCode: exitcode.Infra,
			wantReason: "the stop condition tripped 3s after the generator saturated: stop condition client-errors",
		},
		"a signal aborts a saturated run too": {
			in: func() verdict.Input {
				in := saturatedAt(input(healthy()), 30)
				in.Stop = &verdict.Stop{Kind: verdict.StopSignal, At: t0.Add(33 * time.Second), Reason: "interrupted: SIGINT"}
				return in
			}(),
			wantStatus: verdict.Aborted, wantCode: exitcode.Aborted,
			wantReason: "interrupted: SIGINT\nload generator saturated",
		},
		"a probe that took no sample at all is in error": {
			in:         input(with(healthy(), "latency", nil)),
			wantStatus: verdict.Inconclusive, wantCode: exitcode.Infra,
			wantResult: map[string]verdict.Result{"latency": verdict.Error},
			wantReason: "no sample was taken",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			v := verdict.Evaluate(tt.in)
			if v.Status != tt.wantStatus || v.ExitCode != tt.wantCode {
				t.Errorf("status %s exit %d, want %s exit %d (reasons %q)", v.Status, v.ExitCode, tt.wantStatus, tt.wantCode, v.Reasons)
			}
			got := map[string]verdict.Result{}
			for _, p := range v.Probes {
				got[p.Name] = p.Result
			}
			for probeName, want := range tt.wantResult {
				if got[probeName] != want {
					t.Errorf("probe %s: %s, want %s", probeName, got[probeName], want)
				}
			}
			if all := strings.Join(v.Reasons, "\n"); !strings.Contains(all, tt.wantReason) {
				t.Errorf("reasons %q do not contain %q", all, tt.wantReason)
			}
		})
	}
}

// saturatedAt says the load generator saturated from offset from (seconds).
func saturatedAt(in verdict.Input, from int) verdict.Input {
	in.Generator.Saturation = &load.Saturation{From: time.Duration(from) * time.Second, Seconds: 5, Requested: 20000, Achieved: 11850,
		MaxLag: 2123 * time.Millisecond, CPU: 1.96, Cores: 2, SchedWait: 25 * time.Millisecond}
	return in
}

func TestFaultTimes(t *testing.T) {
	tests := map[string]struct {
		errors      func(int) probe.Status
		wantDetect  *time.Duration
		wantBy      string
		wantRecover *time.Duration
		wantMet     bool
	}{
		"a fault no probe noticed has no detection and recovers at once": {
			errors: always(probe.StatusOK), wantRecover: ptr(0), wantMet: true,
		},
		"the first breach after the injection is the detection": {
			errors: between(25, 45, probe.StatusBreached), wantDetect: ptr(5 * time.Second), wantBy: "errors",
			wantRecover: ptr(5 * time.Second), wantMet: true,
		},
		"a breach before the injection is not a detection": {
			errors: between(10, 15, probe.StatusBreached), wantRecover: ptr(0), wantMet: true,
		},
		"a probe still breached at the end never recovered": {
			errors: between(30, 60, probe.StatusBreached), wantDetect: ptr(10 * time.Second), wantBy: "errors",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			v := verdict.Evaluate(input(with(healthy(), "errors", series("errors", 0, 60, tt.errors))))
			f := v.Faults[0]
			if !eqDur(f.Detect, tt.wantDetect) || f.DetectedBy != tt.wantBy {
				t.Errorf("detect %v by %q, want %v by %q", show(f.Detect), f.DetectedBy, show(tt.wantDetect), tt.wantBy)
			}
			r := f.Recoveries[0]
			if !eqDur(r.After, tt.wantRecover) || r.Met != tt.wantMet {
				t.Errorf("recover %v met %t (%s), want %v met %t", show(r.After), r.Met, r.Reason, show(tt.wantRecover), tt.wantMet)
			}
		})
	}
}

func TestErrorBudget(t *testing.T) {
	tests := map[string]struct {
		total        load.Summary
		objective    float64
		wantConsumed float64
	}{
		"three failures in 6000 requests at 99.9% consume half the budget": {
			total: load.Summary{Requests: 6000, Successes: 5997}, objective: 0.999, wantConsumed: 0.5,
		},
		"twelve failures in 6000 requests at 99.9% overspend it twice": {
			total: load.Summary{Requests: 6000, Successes: 5988}, objective: 0.999, wantConsumed: 2,
		},
		"no request consumes nothing": {objective: 0.999, wantConsumed: 0},
		"a 99% objective allows ten times more": {
			total: load.Summary{Requests: 6000, Successes: 5988}, objective: 0.99, wantConsumed: 0.2,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			b := verdict.ErrorBudget(tt.total, tt.objective)
			if math.Abs(b.Consumed-tt.wantConsumed) > 1e-9 {
				t.Errorf("consumed %g, want %g", b.Consumed, tt.wantConsumed)
			}
		})
	}
}

func TestScoreOf(t *testing.T) {
	tests := map[string]struct {
		results []verdict.ProbeResult
		want    float64
	}{
		"every probe passing scores 100": {
			results: []verdict.ProbeResult{{Weight: 2, Result: verdict.Pass}, {Weight: 1, Result: verdict.Pass}},
			want:    100,
		},
		"a warning earns half its weight": {
			results: []verdict.ProbeResult{{Weight: 2, Result: verdict.Warn}, {Weight: 2, Result: verdict.Pass}},
			want:    75,
		},
		"a failure earns nothing": {
			results: []verdict.ProbeResult{{Weight: 3, Result: verdict.Fail}, {Weight: 1, Result: verdict.Pass}},
			want:    25,
		},
		"skipped and errored probes are left out": {
			results: []verdict.ProbeResult{{Weight: 1, Result: verdict.Pass}, {Weight: 5, Result: verdict.Skipped}, {Weight: 5, Result: verdict.Error}},
			want:    100,
		},
		"nothing scored is zero": {results: nil, want: 0},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := verdict.ScoreOf(tt.results).Percent; got != tt.want {
				t.Errorf("score %g, want %g", got, tt.want)
			}
		})
	}
}

func TestPlannedWindows(t *testing.T) {
	w := verdict.PlannedWindows(experiment(), t0)
	tests := map[string]struct {
		at   int
		want verdict.Phase
	}{
		"the start of the load is before":          {0, verdict.PhaseBefore},
		"the injection is during":                  {20, verdict.PhaseDuring},
		"the end of the fault starts the recovery": {40, verdict.PhaseRecovery},
		"recovery.within after the fault is after": {50, verdict.PhaseAfter},
		"the last second of the load is after":     {59, verdict.PhaseAfter},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := verdict.PhaseOf(w, t0.Add(time.Duration(tt.at)*time.Second)); got != tt.want {
				t.Errorf("phase %s, want %s", got, tt.want)
			}
		})
	}
}

func ptr(d time.Duration) *time.Duration { return &d }

func eqDur(a, b *time.Duration) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func show(d *time.Duration) string {
	if d == nil {
		return "none"
	}
	return d.String()
}

// FuzzEvaluate checks invariants of any mix of sample statuses: Evaluate
// never panics, the score stays within [0, 100], the exit code is the
// status's, and a failed probe never leaves the run held.
func FuzzEvaluate(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, false)
	f.Add([]byte{0, 1, 1, 2, 0, 3, 1, 0, 2, 2, 0, 1}, true)
	f.Add([]byte{1, 1, 1, 1, 1, 1}, false)
	statuses := []probe.Status{probe.StatusOK, probe.StatusBreached, probe.StatusError, probe.StatusSkipped}
	f.Fuzz(func(t *testing.T, codes []byte, stopped bool) {
		samples := map[string][]probe.Sample{}
		names := []string{"errors", "latency", "baseline", "logs"}
		for i, c := range codes {
			name := names[i%len(names)]
			sec := (i / len(names)) % 60
			samples[name] = append(samples[name], series(name, sec, sec+1, always(statuses[int(c)%len(statuses)]))...)
		}
		in := input(samples)
		if stopped {
			in.Stop = &verdict.Stop{Kind: verdict.StopSignal, At: t0.Add(30 * time.Second), Reason: "interrupted"}
		}
		v := verdict.Evaluate(in)
		if v.Score.Percent < 0 || v.Score.Percent > 100 {
			t.Errorf("score %g", v.Score.Percent)
		}
		if v.ExitCode != v.Status.ExitCode() {
			t.Errorf("exit %d for status %s", v.ExitCode, v.Status)
		}
		for _, p := range v.Probes {
			if p.Result == verdict.Fail && v.Status == verdict.Held {
				t.Errorf("probe %s failed but the run held", p.Name)
			}
			if p.OK+p.Breached+p.Errors+p.Skipped != p.Samples {
				t.Errorf("probe %s: counts do not add up: %+v", p.Name, p)
			}
		}
		if stopped && v.Status != verdict.Aborted {
			t.Errorf("stopped run is %s", v.Status)
		}
	})
}
