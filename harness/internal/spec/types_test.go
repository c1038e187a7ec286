package spec_test

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

func TestToleranceHolds(t *testing.T) {
	lt := spec.Tolerance{Threshold: &spec.Threshold{Op: spec.OpLT, Value: 0.01}}
	ge := spec.Tolerance{Threshold: &spec.Threshold{Op: spec.OpGE, Value: 2}}
	eq := spec.Tolerance{Threshold: &spec.Threshold{Op: spec.OpEQ, Value: 1}}
	rng := spec.Tolerance{Range: &spec.Range{Min: 0.99, Max: 1}}
	tests := map[string]struct {
		tol  spec.Tolerance
		v    float64
		want bool
	}{
		"below a < threshold holds":       {lt, 0.009, true},
		"at a < threshold breaches":       {lt, 0.01, false},
		"at a >= threshold holds":         {ge, 2, true},
		"below a >= threshold breaches":   {ge, 1.99, false},
		"== holds only on the value":      {eq, 1, true},
		"== breaches elsewhere":           {eq, 0.5, false},
		"a range includes its bounds":     {rng, 0.99, true},
		"a range excludes what is beyond": {rng, 1.01, false},
		"NaN never holds":                 {lt, math.NaN(), false},
		"an empty tolerance never holds":  {spec.Tolerance{}, 0, false},
		"infinity is above a range":       {rng, math.Inf(1), false},
		"infinity holds a >= threshold":   {ge, math.Inf(1), true},
		"negative zero equals zero":       {spec.Tolerance{Threshold: &spec.Threshold{Op: spec.OpEQ, Value: 0}}, math.Copysign(0, -1), true},
		"a range of one value holds it":   {spec.Tolerance{Range: &spec.Range{Min: 2, Max: 2}}, 2, true},
		"an unknown operator never holds": {spec.Tolerance{Threshold: &spec.Threshold{Op: "!=", Value: 0}}, 1, false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := tt.tol.Holds(tt.v); got != tt.want {
				t.Errorf("%s Holds(%g) = %v, want %v", tt.tol, tt.v, got, tt.want)
			}
		})
	}
	if got := rng.String(); got != "in [0.99, 1]" {
		t.Errorf("range String() = %q", got)
	}
	if got := lt.String(); got != "< 0.01" {
		t.Errorf("threshold String() = %q", got)
	}
	for tol, want := range map[*spec.Tolerance]string{
		{Relative: &spec.RelativeTolerance{Op: spec.OpLE, Factor: 1.2}, Threshold: lt.Threshold}: "<= 1.2 × baseline (fallback < 0.01)",
		{Relative: &spec.RelativeTolerance{Op: spec.OpLT, MADs: 3, MinMargin: 0.001}}:            "< baseline + 3 MAD (margin at least 0.001)",
		{Relative: &spec.RelativeTolerance{Op: spec.OpGE, MADs: 2}, Range: rng.Range}:            ">= baseline − 2 MAD (fallback in [0.99, 1])",
	} {
		if got := tol.String(); got != want {
			t.Errorf("relative String() = %q, want %q", got, want)
		}
	}
	// A relative tolerance alone holds nothing by itself: the probe judges
	// it against its baseline (package probe).
	if (&spec.Tolerance{Relative: &spec.RelativeTolerance{Op: spec.OpLE, Factor: 2}}).Holds(0) {
		t.Error("a relative tolerance without its baseline holds")
	}
	if f := (&spec.Tolerance{Relative: &spec.RelativeTolerance{}, Threshold: lt.Threshold}).Fixed(); f == nil || f.Relative != nil || f.Threshold != lt.Threshold {
		t.Errorf("Fixed() = %+v", f)
	}
}

func TestRateProfile(t *testing.T) {
	d := func(s string) spec.Duration { v, _ := time.ParseDuration(s); return spec.Duration(v) }
	total := 60 * time.Second
	ramp := spec.RateProfile{Ramp: &spec.RampRate{From: 50, To: 150}}
	steps := spec.RateProfile{Steps: []spec.RateStep{{Rate: 60, Duration: d("20s")}, {Rate: 150, Duration: d("40s")}}}
	tests := map[string]struct {
		p       spec.RateProfile
		elapsed time.Duration
		want    float64
	}{
		"a constant rate is constant":      {spec.RateProfile{Constant: &spec.ConstantRate{Rate: 100}}, 59 * time.Second, 100},
		"a ramp starts at from":            {ramp, 0, 50},
		"a ramp is linear":                 {ramp, 30 * time.Second, 100},
		"the first step holds its rate":    {steps, 19 * time.Second, 60},
		"the second step starts on time":   {steps, 20 * time.Second, 150},
		"nothing is requested after a run": {ramp, total, 0},
		"nothing is requested before":      {ramp, -time.Second, 0},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := tt.p.RateAt(tt.elapsed, total); got != tt.want {
				t.Errorf("RateAt(%s) = %g, want %g", tt.elapsed, got, tt.want)
			}
		})
	}
	if ramp.Peak() != 150 || steps.Peak() != 150 || ramp.Shape() != "ramp" || steps.Shape() != "steps" {
		t.Errorf("Peak/Shape = %g %g %s %s", ramp.Peak(), steps.Peak(), ramp.Shape(), steps.Shape())
	}
}

func TestValidateAnExperimentBuiltInCode(t *testing.T) {
	e := &spec.Experiment{
		APIVersion: spec.APIVersion, Kind: spec.KindExperiment,
		Metadata: spec.Metadata{Name: "in-code", Description: "Built in Go."},
		Spec: spec.ExperimentSpec{
			Load: spec.Load{
				Duration: spec.Duration(time.Minute),
				Profile:  spec.RateProfile{Constant: &spec.ConstantRate{Rate: 50}},
				Journeys: []spec.Journey{{Name: "home", Weight: 1}},
			},
			Hypothesis: spec.Hypothesis{Probes: []spec.Probe{{Name: "door", Type: spec.ProbeHTTP, HTTP: &spec.HTTPProbe{Path: "/"}}}},
			Faults: []spec.Fault{{
				Name: "kill", Kind: spec.PodChaos, StartAfter: spec.Duration(50 * time.Second), Duration: spec.Duration(20 * time.Second),
				Spec: spec.NewFaultSpec(&v1alpha1.PodChaosSpec{Action: v1alpha1.PodKillAction, ContainerSelector: v1alpha1.ContainerSelector{
					PodSelector: v1alpha1.PodSelector{Mode: v1alpha1.OneMode, Selector: v1alpha1.PodSelectorSpec{
						GenericSelectorSpec: v1alpha1.GenericSelectorSpec{LabelSelectors: map[string]string{"app": "petclinic"}}}}}}),
			}},
		},
	}
	err := e.Validate(spec.ValidateOptions{})
	want := "spec.faults[0].duration: the fault ends at 1m10s, after the load (1m0s)"
	if err == nil || err.Error() != want {
		t.Fatalf("Validate() = %v, want %s", err, want)
	}
	var se *spec.Error
	if !errors.As(err, &se) || se.Field != "spec.faults[0].duration" || se.File != "" {
		t.Errorf("errors.As(*spec.Error) = %+v, want the field and no file", se)
	}
	e.Spec.Faults[0].StartAfter = spec.Duration(10 * time.Second)
	if err := e.Validate(spec.ValidateOptions{}); err != nil {
		t.Errorf("Validate() after the fix = %v, want nil", err)
	}
	if got := e.Spec.Faults[0].Spec.PodSelector().Mode; got != v1alpha1.OneMode {
		t.Errorf("PodSelector().Mode = %q", got)
	}
	if e.Spec.Hypothesis.Probes[0].HTTP.ExpectStatus != 200 {
		t.Errorf("http probe expectStatus = %d, want the default 200", e.Spec.Hypothesis.Probes[0].HTTP.ExpectStatus)
	}
}

func TestKubernetesTargetFromYAML(t *testing.T) {
	e, err := spec.LoadFile("testdata/good/kubernetes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	k := e.Spec.Target.Kubernetes
	if e.Spec.Target.Kind != spec.TargetKubernetes || e.Spec.Target.Sandbox != nil || k.Namespace != "shop" || k.Deployment != spec.DefaultDeployment {
		t.Errorf("target = %+v / %+v, want kubernetes in namespace shop with the default deployment", *e.Spec.Target, *k)
	}
	sel := e.Spec.Faults[0].Spec.PodSelector()
	if len(sel.Selector.Namespaces) != 1 || sel.Selector.Namespaces[0] != "shop" {
		t.Errorf("selector namespaces = %v, want [shop] from the target", sel.Selector.Namespaces)
	}
	if sel.Mode != v1alpha1.FixedPercentMode || sel.Value != "50" {
		t.Errorf("mode/value = %s/%s", sel.Mode, sel.Value)
	}
	if got := e.Spec.Load.Profile.RateAt(time.Minute, e.Spec.Load.Duration.D()); got != 50 {
		t.Errorf("ramp 0→100 at half time = %g, want 50", got)
	}
}
