package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Fault is one fault on the run's timeline. Kind and Spec are Chaos Mesh's
// own: the same spec is submitted as a Chaos Mesh object on Kubernetes and
// honoured by the local engine on the sandbox.
type Fault struct {
	// Name is unique in the experiment (a DNS label).
	Name string `json:"name"`
	// Kind is the Chaos Mesh kind of the fault; experiments/README.md says
	// which target injects which kind.
	Kind FaultKind `json:"kind"`
	// StartAfter is the offset of the injection from the start of the load
	// (default 0s).
	StartAfter Duration `json:"startAfter,omitempty"`
	// Duration of the fault, mandatory; it is also written into the Chaos
	// Mesh spec's duration.
	Duration Duration `json:"duration"`
	// NodeSelector, for a kind that acts on nodes (AWSChaos), names them by
	// their labels: the fault hits every node that has all of them, one
	// object per node, all injected and recovered together. The zone label
	// (topology.kubernetes.io/zone: zone-a) is mapped onto the cluster's
	// zones as a pod selector's is; each node's EC2 instance and zone come
	// from its spec.providerID (aws:///<zone>/<instance id>).
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`
	// Spec is the Chaos Mesh spec of Kind (PodChaosSpec for PodChaos, ...),
	// decoded strictly.
	Spec FaultSpec `json:"spec"`
}

// End is when the fault ends, from the start of the load.
func (f Fault) End() Duration { return f.StartAfter + f.Duration }

// MarshalJSON writes the Chaos Mesh spec.
func (s FaultSpec) MarshalJSON() ([]byte, error) {
	o := s.Spec()
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
	k, ok := KindOf(f.Kind)
	if !ok || len(raw.Spec) == 0 {
		return nil
	}
	o := k.New()
	if err := strictJSON(raw.Spec, specField(o).Addr().Interface()); err != nil {
		return fmt.Errorf("%s spec: %w", f.Kind, err)
	}
	f.Spec = FaultSpec{obj: o}
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
