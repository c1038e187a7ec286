package chaos

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gamedayhq/gameday/harness/internal/engine"
	"github.com/gamedayhq/gameday/harness/internal/spec"
	"github.com/gamedayhq/gameday/harness/internal/spec/spectest"
)

// reach is how one field of a Chaos Mesh spec is shown to reach the
// sandbox: set (to value, or by set) on a base spec, it changes the
// actions the sandbox plans, or it is refused naming the field, or it has
// no effect here for the reason none says.
type reach struct {
	base  string    // the base spec ("" the kind's default)
	value any       // the field's value (nil: spectest.Example)
	set   func(any) // instead of value: what to change on the base
	none  string    // why the field changes nothing on the sandbox
	valid bool      // value is valid: a validation error naming it is no proof
}

func petclinicSelector(mode v1alpha1.SelectorMode, value string) v1alpha1.PodSelector {
	return podSel(map[string]string{"app": "petclinic"}, mode, value)
}

// Selector fields: every kind's own selector (and a NetworkChaos target,
// under target.) reaches the selection.
func selectorReaches(prefix, base, fixedBase string) map[string]reach {
	return map[string]reach{
		prefix + "selector.namespaces":          {base: base, value: []string{"payments"}},
		prefix + "selector.labelSelectors":      {base: base, value: map[string]string{"pod": "petclinic-1"}, valid: true},
		prefix + "selector.expressionSelectors": {base: base, value: v1alpha1.LabelSelectorRequirements{{Key: "pod", Operator: metav1.LabelSelectorOpIn, Values: []string{"petclinic-2"}}}, valid: true},
		prefix + "selector.pods":                {base: base, value: map[string][]string{"petclinic": {"petclinic-3"}}, valid: true},
		prefix + "mode":                         {base: base, value: v1alpha1.OneMode, valid: true},
		prefix + "value":                        {base: fixedBase, value: "3", valid: true},
	}
}

const (
	sameDuration  = "the fault's own duration: the runner recovers the fault at its end (validation keeps the two equal)"
	oneContainer  = "a sandbox pod has one container, named after its app: naming it selects the same process (another name is refused)"
	faultDuration = "30s"
)

// sandboxFields is, per kind the sandbox injects, its base specs and the
// fields whose proof needs a valid value, a base or a reason.
var sandboxFields = map[spec.FaultKind]struct {
	bases   map[string]func() any
	reaches map[string]reach
}{
	spec.PodChaos: {
		bases: map[string]func() any{
			"": func() any {
				return &v1alpha1.PodChaosSpec{Action: v1alpha1.PodKillAction, ContainerSelector: v1alpha1.ContainerSelector{PodSelector: petclinicSelector(v1alpha1.AllMode, "")}}
			},
			"fixed": func() any {
				return &v1alpha1.PodChaosSpec{Action: v1alpha1.PodKillAction, ContainerSelector: v1alpha1.ContainerSelector{PodSelector: petclinicSelector(v1alpha1.FixedMode, "1")}}
			},
		},
		reaches: merge(selectorReaches("", "", "fixed"), map[string]reach{
			"action":         {value: v1alpha1.PodFailureAction, valid: true},
			"containerNames": {value: []string{"petclinic"}, none: oneContainer},
			"duration":       {value: faultDuration, none: sameDuration},
		}),
	},
	spec.NetworkChaos: {
		bases: map[string]func() any{
			"": func() any {
				return &v1alpha1.NetworkChaosSpec{Action: v1alpha1.DelayAction, PodSelector: petclinicSelector(v1alpha1.AllMode, ""),
					TcParameter: v1alpha1.TcParameter{Delay: &v1alpha1.DelaySpec{Latency: "10ms"}}}
			},
			"fixed": func() any {
				return &v1alpha1.NetworkChaosSpec{Action: v1alpha1.DelayAction, PodSelector: petclinicSelector(v1alpha1.FixedMode, "1"),
					TcParameter: v1alpha1.TcParameter{Delay: &v1alpha1.DelaySpec{Latency: "10ms"}}}
			},
			"loss": func() any {
				return &v1alpha1.NetworkChaosSpec{Action: v1alpha1.LossAction, PodSelector: petclinicSelector(v1alpha1.AllMode, ""),
					TcParameter: v1alpha1.TcParameter{Loss: &v1alpha1.LossSpec{Loss: "10"}}}
			},
			"bandwidth": func() any {
				return &v1alpha1.NetworkChaosSpec{Action: v1alpha1.BandwidthAction, PodSelector: petclinicSelector(v1alpha1.AllMode, ""),
					TcParameter: v1alpha1.TcParameter{Bandwidth: &v1alpha1.BandwidthSpec{Rate: "1mbps", Limit: 20000, Buffer: 10000}}}
			},
			// Redis cut from every replica: the target selects the replicas.
			"target": func() any {
				return &v1alpha1.NetworkChaosSpec{Action: v1alpha1.PartitionAction, PodSelector: podSel(map[string]string{"app": "redis"}, v1alpha1.AllMode, ""),
					Target: new(petclinicSelector(v1alpha1.AllMode, ""))}
			},
			"target-fixed": func() any {
				return &v1alpha1.NetworkChaosSpec{Action: v1alpha1.PartitionAction, PodSelector: podSel(map[string]string{"app": "redis"}, v1alpha1.AllMode, ""),
					Target: new(petclinicSelector(v1alpha1.FixedMode, "1"))}
			},
		},
		reaches: merge(selectorReaches("", "", "fixed"), selectorReaches("target.", "target", "target-fixed"), map[string]reach{
			"action": {set: func(s any) {
				n := s.(*v1alpha1.NetworkChaosSpec)
				n.Action, n.Delay, n.Loss = v1alpha1.LossAction, nil, &v1alpha1.LossSpec{Loss: "10"}
			}},
			"duration":          {value: faultDuration, none: sameDuration},
			"delay.latency":     {value: "50ms", valid: true},
			"delay.correlation": {value: "25", valid: true},
			"delay.jitter":      {value: "5ms", valid: true},
			"loss.loss":         {base: "loss", value: "20", valid: true},
			"loss.correlation":  {base: "loss", value: "25", valid: true},
			"bandwidth.rate":    {base: "bandwidth", value: "2mbps", valid: true},
			"bandwidth.limit":   {base: "bandwidth", value: 30000, none: "tc's queue limit: toxiproxy's bandwidth toxic paces by the rate alone"},
			"bandwidth.buffer":  {base: "bandwidth", value: 20000, none: "tc's bucket size: toxiproxy's bandwidth toxic paces by the rate alone"},
			"direction":         {base: "target", value: v1alpha1.Both, valid: true},
		}),
	},
	spec.StressChaos: {
		bases: map[string]func() any{
			"": func() any {
				return &v1alpha1.StressChaosSpec{ContainerSelector: v1alpha1.ContainerSelector{PodSelector: petclinicSelector(v1alpha1.AllMode, "")},
					Stressors: &v1alpha1.Stressors{CPUStressor: &v1alpha1.CPUStressor{Stressor: v1alpha1.Stressor{Workers: 1}}}}
			},
			"fixed": func() any {
				return &v1alpha1.StressChaosSpec{ContainerSelector: v1alpha1.ContainerSelector{PodSelector: petclinicSelector(v1alpha1.FixedMode, "1")},
					Stressors: &v1alpha1.Stressors{CPUStressor: &v1alpha1.CPUStressor{Stressor: v1alpha1.Stressor{Workers: 1}}}}
			},
			"memory": func() any {
				return &v1alpha1.StressChaosSpec{ContainerSelector: v1alpha1.ContainerSelector{PodSelector: petclinicSelector(v1alpha1.AllMode, "")},
					Stressors: &v1alpha1.Stressors{MemoryStressor: &v1alpha1.MemoryStressor{Stressor: v1alpha1.Stressor{Workers: 1}, Size: "64MB"}}}
			},
		},
		reaches: merge(selectorReaches("", "", "fixed"), map[string]reach{
			"containerNames":           {value: []string{"petclinic"}, none: oneContainer},
			"duration":                 {value: faultDuration, none: sameDuration},
			"stressors.cpu.workers":    {value: 2, valid: true},
			"stressors.cpu.load":       {value: 50, valid: true},
			"stressors.memory.size":    {base: "memory", value: "128MB", valid: true},
			"stressors.memory.options": {base: "memory", value: []string{"--vm-keep"}, valid: true},
		}),
	},
	spec.HTTPChaos: {
		bases: map[string]func() any{
			"": func() any {
				return &v1alpha1.HTTPChaosSpec{PodSelector: petclinicSelector(v1alpha1.AllMode, ""), Target: v1alpha1.PodHttpRequest, Port: 8080,
					PodHttpChaosActions: v1alpha1.PodHttpChaosActions{Abort: new(true)}}
			},
			"fixed": func() any {
				return &v1alpha1.HTTPChaosSpec{PodSelector: petclinicSelector(v1alpha1.FixedMode, "1"), Target: v1alpha1.PodHttpRequest, Port: 8080,
					PodHttpChaosActions: v1alpha1.PodHttpChaosActions{Abort: new(true)}}
			},
			"delay": func() any {
				return &v1alpha1.HTTPChaosSpec{PodSelector: petclinicSelector(v1alpha1.AllMode, ""), Target: v1alpha1.PodHttpRequest, Port: 8080,
					PodHttpChaosActions: v1alpha1.PodHttpChaosActions{Delay: new("1s")}}
			},
			"response": func() any {
				return &v1alpha1.HTTPChaosSpec{PodSelector: petclinicSelector(v1alpha1.AllMode, ""), Target: v1alpha1.PodHttpResponse, Port: 8080,
					PodHttpChaosActions: v1alpha1.PodHttpChaosActions{Replace: &v1alpha1.PodHttpChaosReplaceActions{Code: new(int32(503))}}}
			},
		},
		reaches: merge(selectorReaches("", "", "fixed"), map[string]reach{
			"target":          {value: v1alpha1.PodHttpResponse, valid: true},
			"abort":           {base: "delay", value: true, valid: true},
			"delay":           {value: "2s", valid: true},
			"replace.code":    {base: "response", value: 502, valid: true},
			"replace.body":    {base: "response", value: []byte("down"), valid: true},
			"replace.headers": {base: "response", value: map[string]string{"Retry-After": "1"}, valid: true},
			"port":            {value: 8080, none: "PetClinic's HTTP port, the one port the sandbox intercepts (another is refused)"},
			"path":            {value: "/petclinic/api/*", valid: true},
			"method":          {value: "POST", valid: true},
			"code":            {base: "response", value: 200, valid: true},
			"duration":        {value: faultDuration, none: sameDuration},
		}),
	},
}

func merge(ms ...map[string]reach) map[string]reach {
	out := map[string]reach{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// outcome runs a fault through what a real run does before injecting it:
// the experiment's validation and the sandbox's own check (both, as
// `gameday validate` reports both), then the sandbox's plan.
func outcome(t *testing.T, k spec.FaultKind, s any) (errs []error, actions string) {
	t.Helper()
	f := spec.Fault{Name: "f", Kind: k, StartAfter: spec.Duration(10 * time.Second), Duration: spec.Duration(30 * time.Second), Spec: spec.NewFaultSpec(s)}
	x := &spec.Experiment{
		APIVersion: spec.APIVersion, Kind: spec.KindExperiment,
		Metadata: spec.Metadata{Name: "fields", Description: "Every field of every fault."},
		Spec: spec.ExperimentSpec{
			Load: spec.Load{Duration: spec.Duration(time.Minute), Profile: spec.RateProfile{Constant: &spec.ConstantRate{Rate: 10}},
				Journeys: []spec.Journey{{Name: "home", Weight: 1}}},
			Hypothesis: spec.Hypothesis{Probes: []spec.Probe{{Name: "door", Type: spec.ProbeHTTP, HTTP: &spec.HTTPProbe{Path: "/"}}}},
			Faults:     []spec.Fault{f},
		},
	}
	if err := x.Validate(spec.ValidateOptions{}); err != nil {
		errs = append(errs, err)
	}
	f = x.Spec.Faults[0]
	if errs = append(errs, CheckFault(f)...); len(errs) > 0 {
		return errs, ""
	}
	acts, err := plan(fixture(), "run.f.0", f, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		return []error{err}, ""
	}
	b, _ := json.Marshal(acts)
	return nil, string(b)
}

// namesField reports whether err names the field at path, or one of its
// parents (spec.delay.reorder for delay.reorder.gap).
func namesField(err error, path string) bool {
	segs := strings.Split(path, ".")
	for i := len(segs); i > 0; i-- {
		p := "spec." + strings.Join(segs[:i], ".")
		for _, end := range []string{":", "[", " "} {
			if strings.Contains(err.Error(), p+end) {
				return true
			}
		}
	}
	return false
}

// TestEveryFieldReachesTheSandbox sets every field of every spec type the
// sandbox injects, one at a time, by reflection: each one must change the
// actions the sandbox plans, be refused naming the field (unsupported, or
// invalid for a value the table gives), or be listed with the reason it
// changes nothing here. A field Chaos Mesh adds fails it until the sandbox
// honours or refuses it.
func TestEveryFieldReachesTheSandbox(t *testing.T) {
	for _, k := range spec.Kinds() {
		if !k.Supports(spec.TargetSandbox) {
			continue
		}
		table, ok := sandboxFields[k.Name]
		if !ok {
			t.Errorf("%s: no bases in sandboxFields: add the kind's base spec", k.Name)
			continue
		}
		bases := map[string]string{}
		for name, base := range table.bases {
			errs, acts := outcome(t, k.Name, base())
			if len(errs) > 0 {
				t.Fatalf("%s: base %q: %v", k.Name, name, errors.Join(errs...))
			}
			bases[name] = acts
		}
		seen := map[string]bool{}
		for _, fld := range spectest.Fields(k.SpecType()) {
			seen[fld.Path] = true
			r := table.reaches[fld.Path]
			t.Run(string(k.Name)+"/"+fld.Path, func(t *testing.T) {
				s := table.bases[r.base]()
				switch {
				case r.set != nil:
					r.set(s)
				case r.value != nil:
					fld.Set(s, r.value)
				default:
					fld.Set(s, spectest.Example(fld.Type(reflect.TypeOf(s).Elem()), "x").Interface())
				}
				errs, acts := outcome(t, k.Name, s)
				err := errors.Join(errs...)
				switch {
				case err != nil && errors.Is(err, engine.ErrUnsupported) && namesField(err, fld.Path):
					// refused by the sandbox, naming the field
				case err != nil && namesField(err, fld.Path) && !r.valid && (r.value != nil || r.set != nil):
					// refused for a value the table chose to be refused
				case err != nil:
					t.Errorf("got %v; want the sandbox to plan it, or to refuse it as unsupported naming spec.%s", err, fld.Path)
				case r.none != "" && acts != bases[r.base]:
					t.Errorf("got the plan changed, but the table says it changes nothing (%s): remove the reason", r.none)
				case r.none == "" && acts == bases[r.base]:
					t.Errorf("got the same plan with spec.%s set as without: the sandbox neither honours nor refuses it", fld.Path)
				}
			})
		}
		for path := range table.reaches {
			if !seen[path] {
				t.Errorf("%s: sandboxFields names %s, which the spec type does not have", k.Name, path)
			}
		}
	}
}
