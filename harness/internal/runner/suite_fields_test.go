package runner

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/spec"
	"github.com/gamedayhq/gameday/harness/internal/spec/spectest"
)

// suiteValues are a valid value of its own for every leaf of a suite's
// spec (a suite file accepts only valid values, so the reflection cannot
// make them up). A new field has no entry and fails the test below.
var suiteValues = map[string]any{
	"defaults.target.kind":                  spec.TargetKubernetes,
	"defaults.target.sandbox.replicas":      5,
	"defaults.target.sandbox.zones":         []string{"zone-q", "zone-r"},
	"defaults.target.kubernetes.namespace":  "gd-namespace",
	"defaults.target.kubernetes.deployment": "gd-deployment",
	"defaults.target.kubernetes.selector":   map[string]string{"app": "gd-selector"},
	"defaults.target.kubernetes.url":        "http://gd-url.example:8080",
	"defaults.target.prometheusURL":         "http://gd-prometheus.example:9090",
	"defaults.target.lokiURL":               "http://gd-loki.example:3100",
	"experiments":                           []spec.SuiteEntry{{File: "gd-other.yaml"}},
	"failFast":                              true,
	"cooldown":                              spec.Duration(7300 * time.Millisecond),
	// The regression gate's thresholds (runner.Suite.Regression, read by
	// gameday run/gate --compare-to).
	"regression.timeToDetect.maxIncrease":  0.61,
	"regression.timeToDetect.minDelta":     spec.Duration(6100 * time.Millisecond),
	"regression.timeToRecover.maxIncrease": 0.62,
	"regression.timeToRecover.minDelta":    spec.Duration(6200 * time.Millisecond),
	"regression.p99.maxIncrease":           0.63,
	"regression.p99.minDelta":              spec.Duration(163 * time.Millisecond),
	"regression.errorRatio.maxIncrease":    1.64,
	"regression.errorRatio.minDelta":       0.0164,
	"regression.score.maxDecrease":         16.5,
	"regression.baseline.runs":             17,
	"regression.baseline.minRuns":          4,
	"regression.baseline.mads":             3.7,
	"regression.whenNoReference":           spec.NoReferenceFail,
}

// suiteExperiment is an experiment without a target, so that the suite's
// default target applies to it.
const suiteExperiment = `apiVersion: gameday.dev/v1alpha1
kind: Experiment
metadata: {name: NAME, description: A steady load and one probe of the front door.}
spec:
  load: {duration: 60s, profile: {constant: {rate: 5}}, journeys: [{name: home, weight: 1}]}
  hypothesis:
    probes:
      - {name: front-door, type: http, http: {path: /}}
`

// TestEverySuiteFieldReachesTheRunnersSuite sets each leaf of a suite's
// spec in turn, writes the suite file, loads it as gameday run does and
// looks for the value in the runner's Suite (its experiments, with the
// suite's default target applied, included).
func TestEverySuiteFieldReachesTheRunnersSuite(t *testing.T) {
	fields := spectest.Fields(reflect.TypeFor[spec.SuiteSpec]())
	if len(fields) < 10 {
		t.Fatalf("got %d leaves of spec.SuiteSpec: the walk lost its way", len(fields))
	}
	dir := t.TempDir()
	for _, name := range []string{"gd-base", "gd-other"} {
		if err := os.WriteFile(filepath.Join(dir, name+".yaml"), []byte(strings.Replace(suiteExperiment, "NAME", name, 1)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range fields {
		t.Run(f.Path, func(t *testing.T) {
			v, ok := suiteValues[f.Path]
			if !ok {
				t.Fatalf("suite field %s has no value in suiteValues: add one, and make it reach runner.Suite", f.Path)
			}
			st := spec.Suite{APIVersion: spec.APIVersion, Kind: spec.KindSuite,
				Metadata: spec.Metadata{Name: "gd-suite", Description: "Runs the base experiment."},
				Spec:     spec.SuiteSpec{Experiments: []spec.SuiteEntry{{File: "gd-base.yaml"}}}}
			switch {
			case strings.HasPrefix(f.Path, "defaults.target.kubernetes."):
				st.Spec.Defaults.Target = &spec.Target{Kind: spec.TargetKubernetes}
			case strings.HasPrefix(f.Path, "defaults.target."):
				st.Spec.Defaults.Target = &spec.Target{Kind: spec.TargetSandbox}
			}
			f.Set(&st.Spec, v)
			b, err := json.Marshal(st) // JSON is YAML
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "suite.yaml")
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := LoadSuite(path, "")
			if err != nil {
				t.Fatalf("LoadSuite with %s = %v: %v", f.Path, v, err)
			}
			have := spectest.Scalars(reflect.ValueOf(s))
			for _, w := range spectest.Scalars(reflect.ValueOf(v)) {
				if !spectest.Found(have, w) {
					t.Errorf("suite spec.%s = %v does not reach the runner's suite %+v (experiment %+v)", f.Path, w, s, s.Experiments[0].Spec.Target)
				}
			}
		})
	}
}
