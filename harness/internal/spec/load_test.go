package spec_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// TestBadFilesAreRejectedWithExactErrors asserts the full error text of
// every fixture in testdata/bad: file, line, column, field and message.
func TestBadFilesAreRejectedWithExactErrors(t *testing.T) {
	tests := map[string]struct {
		file string
		want string
	}{
		"a misspelt Chaos Mesh field is unknown and the real one missing": {"unknown-field.yaml", `
testdata/bad/unknown-field.yaml:27:9: spec.faults[0].spec.selector: required
testdata/bad/unknown-field.yaml:29:9: spec.faults[0].spec.selectr: unknown field "selectr"`},
		"a field in the wrong case suggests the right one": {"case-mismatch.yaml", `
testdata/bad/case-mismatch.yaml:27:9: spec.faults[0].spec.Action: unknown field "Action" (did you mean "action"?)
testdata/bad/case-mismatch.yaml:27:9: spec.faults[0].spec.action: required`},
		"a fault without a duration is rejected at the fault": {"missing-duration.yaml", `
testdata/bad/missing-duration.yaml:22:7: spec.faults[0].duration: required`},
		"a duration written as a number must be quoted": {"duration-integer.yaml", `
testdata/bad/duration-integer.yaml:25:17: spec.faults[0].duration: must be a string, not the integer 20 (quote it)`},
		"a duration must be a Go duration": {"duration-unit.yaml", `
testdata/bad/duration-unit.yaml:25:17: spec.faults[0].duration: invalid duration "20 seconds": use a Go duration such as 30s, 1m30s or 500ms`},
		"a fault must end before the load ends": {"fault-after-load.yaml", `
testdata/bad/fault-after-load.yaml:25:17: spec.faults[0].duration: the fault ends at 1m10s, after the load (1m0s)`},
		"a fault starting after the load is rejected without overflow": {"start-after-overflow.yaml", `
testdata/bad/start-after-overflow.yaml:24:19: spec.faults[0].startAfter: the fault starts at 2562047h0m0s, when the load (1m0s) is over`},
		"PromQL is parsed by Prometheus' parser": {"promql-syntax.yaml", `
testdata/bad/promql-syntax.yaml:18:104: spec.hypothesis.probes[0].promql.query: invalid PromQL: unclosed left parenthesis`},
		"a PromQL error in a folded scalar points at its line and column": {"promql-syntax-folded.yaml", `
testdata/bad/promql-syntax-folded.yaml:20:70: spec.hypothesis.probes[0].promql.query: invalid PromQL: unexpected ")" in offset, expected number, duration, step(), or range()`},
		"a PromQL probe must return one instant value": {"promql-range-vector.yaml", `
testdata/bad/promql-range-vector.yaml:18:18: spec.hypothesis.probes[0].promql.query: must return an instant vector or a scalar, not a matrix`},
		"a LogQL query needs a stream selector": {"logql-no-selector.yaml", `
testdata/bad/logql-no-selector.yaml:18:38: spec.hypothesis.probes[0].logql.query: invalid LogQL: syntax error: unexpected IDENTIFIER, expecting NUMBER or { or (`},
		"a probe's block must match its type": {"probe-block-mismatch.yaml", `
testdata/bad/probe-block-mismatch.yaml:15:9: spec.hypothesis.probes[0].promql: required for a probe of type promql
testdata/bad/probe-block-mismatch.yaml:18:11: spec.hypothesis.probes[0].logql: not used by a probe of type promql
testdata/bad/probe-block-mismatch.yaml:18:27: spec.hypothesis.probes[0].logql.query: invalid LogQL: syntax error: unexpected IDENTIFIER, expecting NUMBER or { or (`},
		"a stop condition must name an existing probe": {"stop-unknown-probe.yaml", `
testdata/bad/stop-unknown-probe.yaml:22:14: spec.stopConditions[0].probe: no probe named "error"`},
		"a stop condition is a probe or an error ratio, not both": {"stop-both-forms.yaml", `
testdata/bad/stop-both-forms.yaml:22:7: spec.stopConditions[0]: set exactly one of probe and errorRatioAbove`},
		"recovery must name existing probes": {"recovery-unknown-probe.yaml", `
testdata/bad/recovery-unknown-probe.yaml:23:22: spec.recovery.probes[1]: no probe named "latency"`},
		"the recovery window must fit in the run": {"recovery-past-load.yaml", `
testdata/bad/recovery-past-load.yaml:22:13: spec.recovery.within: fault "kill" ends at 30s: its recovery window ends at 1m10s, after the load (1m0s)`},
		"a during probe needs a fault": {"during-without-fault.yaml", `
testdata/bad/during-without-fault.yaml:19:15: spec.hypothesis.probes[0].mode: a during probe needs at least one fault`},
		"a tolerance is a threshold or a range, not both": {"tolerance-both.yaml", `
testdata/bad/tolerance-both.yaml:20:11: spec.hypothesis.probes[0].tolerance: set exactly one of threshold and range`},
		"an http probe's request is checked: header names and values, a body only with POST": {"http-probe-request.yaml", `
testdata/bad/http-probe-request.yaml:20:33: spec.hypothesis.probes[0].http.headers["X Tenant"]: "X Tenant" is not an HTTP header name
testdata/bad/http-probe-request.yaml:20:48: spec.hypothesis.probes[0].http.headers.X-Trace: the value holds a control character (a line break?)
testdata/bad/http-probe-request.yaml:21:17: spec.hypothesis.probes[0].http.body: only sent with method POST, not GET`},
		"a relative tolerance: one of factor and mads, a known op, runs and margins in range, a fixed tolerance to fall back to": {"relative-bad.yaml", `
testdata/bad/relative-bad.yaml:20:21: spec.hypothesis.probes[0].tolerance.relative: set exactly one of factor and mads
testdata/bad/relative-bad.yaml:20:21: spec.hypothesis.probes[0].tolerance.relative.whenTooFewRuns: fallback needs the fixed tolerance to fall back to: set threshold or range beside relative, or whenTooFewRuns: fail
testdata/bad/relative-bad.yaml:20:26: spec.hypothesis.probes[0].tolerance.relative.op: must be one of <, <=, >, >=, not "=="
testdata/bad/relative-bad.yaml:20:72: spec.hypothesis.probes[0].tolerance.relative.minRuns: 6: must be between 1 and runs (5)
testdata/bad/relative-bad.yaml:20:86: spec.hypothesis.probes[0].tolerance.relative.minMargin: -1: must be 0 or more
testdata/bad/relative-bad.yaml:26:59: spec.hypothesis.probes[1].tolerance.relative.whenTooFewRuns: must be one of fallback, fail, not "guess"
testdata/bad/relative-bad.yaml:32:21: spec.hypothesis.probes[2].tolerance.relative.whenTooFewRuns: fallback needs the fixed tolerance to fall back to: set threshold or range beside relative, or whenTooFewRuns: fail`},
		"a threshold operator must be known": {"tolerance-bad-op.yaml", `
testdata/bad/tolerance-bad-op.yaml:20:27: spec.hypothesis.probes[0].tolerance.threshold.op: must be one of <, <=, >, >=, ==, not "=<"`},
		"mode fixed needs a value": {"mode-fixed-no-value.yaml", `
testdata/bad/mode-fixed-no-value.yaml:27:9: spec.faults[0].spec.value: required with mode fixed`},
		"mode one takes no value": {"mode-one-with-value.yaml", `
testdata/bad/mode-one-with-value.yaml:29:16: spec.faults[0].spec.value: only used with modes fixed, fixed-percent and random-max-percent, not one`},
		"an empty selector would hit every pod": {"selector-empty.yaml", `
testdata/bad/selector-empty.yaml:30:11: spec.faults[0].spec.selector: selects every pod of the namespace: set labelSelectors, expressionSelectors or pods`},
		"a zone the sandbox does not have selects nothing": {"unknown-zone.yaml", `
testdata/bad/unknown-zone.yaml:30:73: spec.faults[0].spec.selector.labelSelectors["topology.kubernetes.io/zone"]: the sandbox has no zone "eu-west-1a" (zones: zone-a, zone-b, zone-c)`},
		"a NetworkChaos delay needs its delay block": {"network-without-delay.yaml", `
testdata/bad/network-without-delay.yaml:27:9: spec.faults[0].spec.delay: required with action delay`},
		"a NetworkChaos parameter of another action is refused": {"network-extra-param.yaml", `
testdata/bad/network-extra-param.yaml:34:11: spec.faults[0].spec.loss: only used with action loss or netem`},
		"a DNSChaos needs a known action and patterns with * only at the end": {"dns-bad.yaml", `
testdata/bad/dns-bad.yaml:27:17: spec.faults[0].spec.action: must be one of error, random, not "nxdomain"
testdata/bad/dns-bad.yaml:29:36: spec.faults[0].spec.patterns[1]: "chaos-*.org": a domain name, with ? for one character and * only at the end (chaos-mesh.*)`},
		"a TimeChaos shifts only the clocks Chaos Mesh knows": {"time-bad.yaml", `
testdata/bad/time-bad.yaml:29:36: spec.faults[0].spec.clockIds[1]: must be one of CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID, CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME, CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM, not "CLOCK_WALL"`},
		"an AWSChaos names its instance, or its nodes and lets gameday find the instances": {"aws-bad.yaml", `
testdata/bad/aws-bad.yaml:29:22: spec.faults[0].spec.ec2Instance: set by gameday for each node of spec.faults[0].nodeSelector: leave it out
testdata/bad/aws-bad.yaml:34:21: spec.faults[1].nodeSelector: only used with kinds that act on nodes (AWSChaos), not PodChaos
testdata/bad/aws-bad.yaml:47:22: spec.faults[2].spec.ec2Instance: required: the instance to act on, or spec.faults[2].nodeSelector to act on every node of a zone`},
		"Chaos Mesh's own webhook validation runs": {"chaos-mesh-webhook.yaml", `
testdata/bad/chaos-mesh-webhook.yaml:32:20: spec.faults[0].spec.delay.latency: chaos mesh: Invalid value: "10x": parse duration field error: time: unknown unit "x" in duration "10x"`},
		"the Chaos Mesh duration cannot contradict the fault's": {"chaos-mesh-duration-differs.yaml", `
testdata/bad/chaos-mesh-duration-differs.yaml:28:19: spec.faults[0].spec.duration: "5s" differs from the fault's duration (20s): set only spec.faults[0].duration`},
		"only the kinds of the table": {"unknown-kind.yaml", `
testdata/bad/unknown-kind.yaml:23:13: spec.faults[0].kind: must be one of ` + kindList() + `, not "IOChaos"`},
		"a constant rate must be positive": {"rate-zero.yaml", `
testdata/bad/rate-zero.yaml:10:24: spec.load.profile.constant.rate: 0 requests/s: must be above 0 and at most 1000000`},
		"the latency budget ends at the timeout, and workers are not negative": {"latency-budget-above-timeout.yaml", `
testdata/bad/latency-budget-above-timeout.yaml:10:20: spec.load.latencyBudget: 3s: must be positive and at most the timeout (2s): a request ends at its timeout
testdata/bad/latency-budget-above-timeout.yaml:11:17: spec.load.maxWorkers: -1: must be between 1 and 10000 (or unset: derived from the rate and the latency budget)`},
		"a load probe reads a known metric over a window it can keep": {"load-probe.yaml", `
testdata/bad/load-probe.yaml:17:24: spec.hypothesis.probes[0].load.metric: must be one of p50, p95, p99, error-ratio, not "p42"
testdata/bad/load-probe.yaml:17:37: spec.hypothesis.probes[0].load.window: 10m0s: must be at least 1s and at most 5m0s`},
		"a profile has exactly one shape": {"two-profiles.yaml", `
testdata/bad/two-profiles.yaml:10:7: spec.load.profile: set exactly one of constant, ramp and steps`},
		"steps must add up to the load's duration": {"steps-do-not-add-up.yaml", `
testdata/bad/steps-do-not-add-up.yaml:11:9: spec.load.profile.steps: the steps last 50s, the load 1m0s: they must add up`},
		"a journey weight must be positive": {"journey-weight-zero.yaml", `
testdata/bad/journey-weight-zero.yaml:12:30: spec.load.journeys[0].weight: 0: must be above 0`},
		"a journey must be one the load generator knows": {"unknown-journey.yaml", `
testdata/bad/unknown-journey.yaml:12:16: spec.load.journeys[0].name: unknown journey "checkout": one of home, vets`},
		"probe names are unique": {"duplicate-probe.yaml", `
testdata/bad/duplicate-probe.yaml:21:15: spec.hypothesis.probes[1].name: duplicate probe name "errors"`},
		"a name is a DNS label": {"bad-name.yaml", `
testdata/bad/bad-name.yaml:4:9: metadata.name: "Minimal_Experiment" is not a DNS label (lowercase letters, digits and '-', at most 63 characters)`},
		"a description has at most 100 words": {"long-description.yaml", `
testdata/bad/long-description.yaml:5:16: metadata.description: 101 words: at most 100`},
		"the apiVersion is checked": {"wrong-api-version.yaml", `
testdata/bad/wrong-api-version.yaml:1:13: apiVersion: must be "gameday.dev/v1alpha1", not "gameday.dev/v1"`},
		"a number field rejects a word": {"value-type.yaml", `
testdata/bad/value-type.yaml:10:24: spec.load.profile.constant.rate: must be a finite number, not a string`},
		"anchors are rejected": {"anchor.yaml", `
testdata/bad/anchor.yaml:10:17: spec.load.profile.constant: anchors and aliases are not supported: write the value out`},
		"a YAML syntax error has a position": {"invalid-yaml.yaml", `
testdata/bad/invalid-yaml.yaml:9:5: invalid YAML: ',' or ']' must be specified`},
		"a file holds one document": {"two-documents.yaml", `
testdata/bad/two-documents.yaml:3:1: one document per file`},
		"every error of a file is reported, in order": {"many-errors.yaml", `
testdata/bad/many-errors.yaml:4:9: metadata.name: "Minimal" is not a DNS label (lowercase letters, digits and '-', at most 63 characters)
testdata/bad/many-errors.yaml:10:24: spec.load.profile.constant.rate: -5 requests/s: must be above 0 and at most 1000000
testdata/bad/many-errors.yaml:20:27: spec.hypothesis.probes[0].tolerance.threshold.op: must be one of <, <=, >, >=, ==, not "!="
testdata/bad/many-errors.yaml:25:17: spec.faults[0].duration: must be positive`},
	}
	opts := spec.ValidateOptions{Journeys: []string{"home", "vets"}}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := opts.LoadFile(filepath.Join("testdata", "bad", tt.file))
			want := strings.TrimPrefix(tt.want, "\n")
			if err == nil || err.Error() != want {
				t.Errorf("LoadFile(%s) error =\n%v\nwant\n%s", tt.file, err, want)
			}
			if got := exitcode.Of(err); got != exitcode.Invalid {
				t.Errorf("exitcode.Of = %d, want %d (invalid input)", got, exitcode.Invalid)
			}
		})
	}
}

func TestEveryBadFixtureIsInTheTable(t *testing.T) {
	// A fixture without an assertion would rot silently.
	files, err := filepath.Glob("testdata/bad/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("load_test.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !strings.Contains(string(src), filepath.Base(f)) {
			t.Errorf("%s has no expected error in load_test.go", f)
		}
	}
}

func TestSuiteReportsItsErrorsAndItsExperiments(t *testing.T) {
	_, err := spec.LoadSuite("testdata/bad/suite-errors.yaml")
	want := `testdata/bad/rate-zero.yaml:10:24: spec.load.profile.constant.rate: 0 requests/s: must be above 0 and at most 1000000
testdata/bad/suite-errors.yaml:10:13: spec.experiments[2].file: testdata/bad/missing.yaml: no such file or directory`
	if err == nil || err.Error() != want {
		t.Errorf("LoadSuite error =\n%v\nwant\n%s", err, want)
	}
	var list spec.ErrorList
	if !errors.As(err, &list) || len(list) != 2 {
		t.Fatalf("errors.As(ErrorList) = %v (%d errors), want 2 errors", errors.As(err, &list), len(list))
	}
	if list[0].File != "testdata/bad/rate-zero.yaml" || list[0].Line != 10 || list[0].Column != 24 || list[0].Field != "spec.load.profile.constant.rate" {
		t.Errorf("first error = %+v, want file, line, column and field set", *list[0])
	}
}

// TestSuiteRegressionThresholds: the regression gate's thresholds are
// checked where they are written; what is left out takes the defaults.
func TestSuiteRegressionThresholds(t *testing.T) {
	_, err := spec.LoadSuite("testdata/bad/suite-regression.yaml")
	want := `testdata/bad/suite-regression.yaml:10:34: spec.regression.timeToRecover.maxIncrease: -0.5: must be 0 or more
testdata/bad/suite-regression.yaml:11:28: spec.regression.errorRatio.minDelta: 2: must be between 0 and 1
testdata/bad/suite-regression.yaml:12:26: spec.regression.score.maxDecrease: 150: must be between 0 and 100 (percentage points)
testdata/bad/suite-regression.yaml:13:34: spec.regression.baseline.minRuns: 8: must be between 1 and runs (5)
testdata/bad/suite-regression.yaml:14:22: spec.regression.whenNoReference: must be one of pass, fail, not "ignore"`
	if err == nil || err.Error() != want {
		t.Errorf("LoadSuite error =\n%v\nwant\n%s", err, want)
	}
	r := (&spec.Regression{TimeToRecover: &spec.DurationChange{MinDelta: spec.Duration(2 * time.Second)}, Baseline: &spec.RegressionBaseline{Runs: 2}}).WithDefaults()
	d := spec.DefaultRegression()
	if r.TimeToRecover.MaxIncrease != 0.5 || r.TimeToRecover.MinDelta.D() != 2*time.Second || r.Baseline.MinRuns != 2 || r.Baseline.MADs != 3 ||
		*r.P99 != *d.P99 || *r.ErrorRatio != *d.ErrorRatio || r.WhenNoReference != spec.NoReferencePass {
		t.Errorf("WithDefaults = %+v", r)
	}
}

func TestSuiteResolvesFilesAndAppliesItsDefaults(t *testing.T) {
	dir := t.TempDir()
	minimal, err := os.ReadFile("testdata/good/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "suites"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "minimal.yaml"), minimal, 0o644); err != nil {
		t.Fatal(err)
	}
	suite := `apiVersion: gameday.dev/v1alpha1
kind: Suite
metadata:
  name: s
  description: One experiment on five replicas.
spec:
  defaults:
    target:
      sandbox: {replicas: 5}
  experiments:
    - file: ../minimal.yaml
`
	path := filepath.Join(dir, "suites", "s.yaml")
	if err := os.WriteFile(path, []byte(suite), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := spec.LoadSuite(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Experiments) != 1 {
		t.Fatalf("%d experiments, want 1", len(s.Experiments))
	}
	e := s.Experiments[0]
	if got, want := e.File, filepath.Join(dir, "minimal.yaml"); got != want {
		t.Errorf("experiment file = %s, want %s", got, want)
	}
	if got := e.Spec.Target.Sandbox.Replicas; got != 5 {
		t.Errorf("replicas = %d, want the suite's 5", got)
	}
	if got := s.Spec.Cooldown.D(); got != 10*time.Second {
		t.Errorf("cooldown = %s, want the default 10s", got)
	}
	alone, err := spec.LoadFile(filepath.Join(dir, "minimal.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if got := alone.Spec.Target.Sandbox.Replicas; got != spec.DefaultReplicas {
		t.Errorf("alone, replicas = %d, want the default %d", got, spec.DefaultReplicas)
	}
}

// kindList is the table's kinds as an error lists them.
func kindList() string {
	var ks []string
	for _, k := range spec.FaultKinds() {
		ks = append(ks, string(k))
	}
	return strings.Join(ks, ", ")
}

func TestLoadPathCollectsEveryFileAndError(t *testing.T) {
	c, err := spec.LoadPath("testdata/good", "testdata/bad/rate-zero.yaml", "testdata/bad/unknown-kind.yaml", "testdata/bad/other-kind.yaml", "testdata/nowhere")
	want := `testdata/bad/other-kind.yaml:2:7: kind: must be "Experiment" or "Suite", not "Schedule"
testdata/bad/rate-zero.yaml:10:24: spec.load.profile.constant.rate: 0 requests/s: must be above 0 and at most 1000000
testdata/bad/unknown-kind.yaml:23:13: spec.faults[0].kind: must be one of ` + kindList() + `, not "IOChaos"
testdata/nowhere: no such file or directory`
	if err == nil || err.Error() != want {
		t.Errorf("LoadPath error =\n%v\nwant\n%s", err, want)
	}
	var names []string
	for _, e := range c.Experiments {
		names = append(names, e.Metadata.Name)
	}
	if want := []string{"kubernetes-zone", "minimal"}; !slices.Equal(names, want) {
		t.Errorf("loaded %v, want the good fixtures %v", names, want)
	}
}

func TestLoadFileRejectsASuite(t *testing.T) {
	_, err := spec.LoadFile("testdata/bad/suite-errors.yaml")
	want := `testdata/bad/suite-errors.yaml:2:7: kind: must be "Experiment", not "Suite"`
	if err == nil || err.Error() != want {
		t.Errorf("LoadFile(suite) error =\n%v\nwant\n%s", err, want)
	}
}

// TestAliasBombIsRejectedWithoutExpansion: aliases are refused from the
// syntax tree, so a "billion laughs" file costs nothing.
func TestAliasBombIsRejectedWithoutExpansion(t *testing.T) {
	var b strings.Builder
	b.WriteString("apiVersion: gameday.dev/v1alpha1\nkind: Experiment\nmetadata:\n  labels:\n    a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i < 10; i++ {
		fmt.Fprintf(&b, "    a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	path := filepath.Join(t.TempDir(), "laughs.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := spec.LoadPath(path)
	if err == nil || !strings.Contains(err.Error(), "metadata.labels.a0: anchors and aliases are not supported") {
		t.Errorf("LoadPath(laughs) = %v, want the anchor refused", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("LoadPath(laughs) took %s", d)
	}
}
