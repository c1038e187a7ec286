package spec

import (
	"reflect"
	"slices"
	"testing"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
)

func TestFieldPathString(t *testing.T) {
	tests := map[string]struct {
		p    fieldPath
		want string
	}{
		"keys are joined with dots":            {fieldPath{"spec", "load", "duration"}, "spec.load.duration"},
		"indexes are bracketed":                {fieldPath{"spec", "faults", 0, "duration"}, "spec.faults[0].duration"},
		"a key with dots or slashes is quoted": {fieldPath{"labelSelectors", ZoneLabel}, `labelSelectors["topology.kubernetes.io/zone"]`},
		"the root is empty":                    {nil, ""},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := tt.p.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestJSONPathTranslatesChaosMeshPaths(t *testing.T) {
	tests := map[string]struct {
		typ  reflect.Type
		path string
		want string
	}{
		"inline structs vanish":          {reflect.TypeFor[v1alpha1.NetworkChaos](), "Spec.TcParameter.Delay.Latency", "spec.delay.latency"},
		"json names are kept":            {reflect.TypeFor[v1alpha1.PodChaos](), "Spec.PodSelector.value", "spec.value"},
		"indexes survive":                {reflect.TypeFor[v1alpha1.StressChaos](), "Spec.Stressors.MemoryStressor.Options[2]", "spec.stressors.memory.options[2]"},
		"a pointer target is followed":   {reflect.TypeFor[v1alpha1.NetworkChaos](), "Spec.Target.value", "spec.target.value"},
		"an unknown name is kept as is":  {reflect.TypeFor[v1alpha1.HTTPChaos](), "Spec.Nope", "spec.Nope"},
		"inline actions of an HTTPChaos": {reflect.TypeFor[v1alpha1.HTTPChaos](), "Spec.PodHttpChaosActions.Delay", "spec.delay"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := jsonPath(tt.typ, tt.path).String(); got != tt.want {
				t.Errorf("jsonPath(%s) = %q, want %q", tt.path, got, tt.want)
			}
		})
	}
}

// The first pass checks faults with faultShape: it must list exactly the
// fields of Fault.
func TestFaultShapeMatchesFault(t *testing.T) {
	names := func(t reflect.Type) []string {
		var out []string
		for _, f := range jsonFields(t).list {
			out = append(out, f.name+map[bool]string{true: "!", false: "?"}[f.required])
		}
		return out
	}
	if got, want := names(reflect.TypeFor[faultShape]()), names(reflect.TypeFor[Fault]()); !slices.Equal(got, want) {
		t.Errorf("faultShape fields %v, want Fault's %v", got, want)
	}
}

func TestKubernetesDefaultsNamespaceOfSelectors(t *testing.T) {
	e := &Experiment{Spec: ExperimentSpec{
		Target: &Target{Kind: TargetKubernetes},
		Faults: []Fault{{Name: "f", Kind: PodChaos, Duration: Duration(1e9), Spec: NewFaultSpec(&v1alpha1.PodChaosSpec{Action: v1alpha1.PodKillAction})}},
	}}
	e.defaults(nil)
	k := e.Spec.Target.Kubernetes
	if k.Namespace != DefaultNamespace || k.Deployment != DefaultDeployment || k.Selector["app"] != "petclinic" {
		t.Errorf("kubernetes target = %+v, want the defaults", *k)
	}
	if got := e.Spec.Faults[0].Spec.PodSelector().Selector.Namespaces; !slices.Equal(got, []string{DefaultNamespace}) {
		t.Errorf("selector namespaces = %v, want [%s]", got, DefaultNamespace)
	}
	if got := *e.Spec.Faults[0].Spec.Duration(); got == nil || *got != "1s" {
		t.Errorf("Chaos Mesh duration = %v, want 1s", got)
	}
}
