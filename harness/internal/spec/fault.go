package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
)

// FaultKind is a Chaos Mesh chaos kind.
type FaultKind string

// The Chaos Mesh kinds an experiment may use.
const (
	PodChaos     FaultKind = "PodChaos"
	NetworkChaos FaultKind = "NetworkChaos"
	StressChaos  FaultKind = "StressChaos"
	HTTPChaos    FaultKind = "HTTPChaos"
)

// FaultKinds lists the supported kinds in order.
func FaultKinds() []FaultKind { return []FaultKind{PodChaos, NetworkChaos, StressChaos, HTTPChaos} }

// specType is the Chaos Mesh spec type of each kind.
var specType = map[FaultKind]reflect.Type{
	PodChaos:     reflect.TypeFor[v1alpha1.PodChaosSpec](),
	NetworkChaos: reflect.TypeFor[v1alpha1.NetworkChaosSpec](),
	StressChaos:  reflect.TypeFor[v1alpha1.StressChaosSpec](),
	HTTPChaos:    reflect.TypeFor[v1alpha1.HTTPChaosSpec](),
}

// Fault is one fault on the run's timeline. Kind and Spec are Chaos Mesh's
// own: the same spec is submitted as a Chaos Mesh object on Kubernetes and
// honoured by the local engine on the sandbox.
type Fault struct {
	// Name is unique in the experiment (a DNS label).
	Name string `json:"name"`
	// Kind is the Chaos Mesh kind: PodChaos, NetworkChaos, StressChaos or
	// HTTPChaos.
	Kind FaultKind `json:"kind" jsonschema:"enum=PodChaos,enum=NetworkChaos,enum=StressChaos,enum=HTTPChaos"`
	// StartAfter is the offset of the injection from the start of the load
	// (default 0s).
	StartAfter Duration `json:"startAfter,omitempty"`
	// Duration of the fault, mandatory; it is also written into the Chaos
	// Mesh spec's duration.
	Duration Duration `json:"duration"`
	// Spec is the Chaos Mesh spec of Kind (PodChaosSpec, NetworkChaosSpec,
	// StressChaosSpec or HTTPChaosSpec), decoded strictly.
	Spec FaultSpec `json:"spec"`
}

// End is when the fault ends, from the start of the load.
func (f Fault) End() Duration { return f.StartAfter + f.Duration }

// FaultSpec holds the Chaos Mesh spec of a fault: exactly one field is set,
// the one of the fault's kind.
type FaultSpec struct {
	Pod     *v1alpha1.PodChaosSpec
	Network *v1alpha1.NetworkChaosSpec
	Stress  *v1alpha1.StressChaosSpec
	HTTP    *v1alpha1.HTTPChaosSpec
}

// Object is the spec that is set (a *v1alpha1.XxxChaosSpec), or nil.
func (s FaultSpec) Object() any {
	switch {
	case s.Pod != nil:
		return s.Pod
	case s.Network != nil:
		return s.Network
	case s.Stress != nil:
		return s.Stress
	case s.HTTP != nil:
		return s.HTTP
	}
	return nil
}

// PodSelector is the selector and mode of the pods the fault hits, or nil.
func (s FaultSpec) PodSelector() *v1alpha1.PodSelector {
	switch {
	case s.Pod != nil:
		return &s.Pod.PodSelector
	case s.Network != nil:
		return &s.Network.PodSelector
	case s.Stress != nil:
		return &s.Stress.PodSelector
	case s.HTTP != nil:
		return &s.HTTP.PodSelector
	}
	return nil
}

// MarshalJSON writes the spec that is set.
func (s FaultSpec) MarshalJSON() ([]byte, error) {
	o := s.Object()
	if o == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(o)
}

// UnmarshalJSON decodes f, its spec strictly into the Chaos Mesh type of its
// kind. An unknown kind leaves the spec empty for validation to report.
func (f *Fault) UnmarshalJSON(b []byte) error {
	type plain Fault
	var raw struct {
		plain
		Spec json.RawMessage `json:"spec"`
	}
	if err := strictJSON(b, &raw); err != nil {
		return err
	}
	*f = Fault(raw.plain)
	f.Spec = FaultSpec{}
	t, ok := specType[f.Kind]
	if !ok || len(raw.Spec) == 0 {
		return nil
	}
	v := reflect.New(t)
	if err := strictJSON(raw.Spec, v.Interface()); err != nil {
		return fmt.Errorf("%s spec: %w", f.Kind, err)
	}
	switch o := v.Interface().(type) {
	case *v1alpha1.PodChaosSpec:
		f.Spec.Pod = o
	case *v1alpha1.NetworkChaosSpec:
		f.Spec.Network = o
	case *v1alpha1.StressChaosSpec:
		f.Spec.Stress = o
	case *v1alpha1.HTTPChaosSpec:
		f.Spec.HTTP = o
	}
	return nil
}

// strictJSON decodes b into v, rejecting unknown fields and trailing data.
func strictJSON(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return fmt.Errorf("trailing data after the JSON value")
	}
	return nil
}
