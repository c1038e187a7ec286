package spec

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
)

// FaultKind is a Chaos Mesh chaos kind.
type FaultKind string

// The Chaos Mesh kinds an experiment may use: one entry each in kinds.
const (
	PodChaos     FaultKind = "PodChaos"
	NetworkChaos FaultKind = "NetworkChaos"
	StressChaos  FaultKind = "StressChaos"
	HTTPChaos    FaultKind = "HTTPChaos"
	DNSChaos     FaultKind = "DNSChaos"
	TimeChaos    FaultKind = "TimeChaos"
	AWSChaos     FaultKind = "AWSChaos"
)

// Chaos is a Chaos Mesh chaos object of a kind of the table: a fault's spec
// lives in one (FaultSpec), so that Chaos Mesh's own generic interfaces
// (selectors, remote cluster, webhooks) serve every kind.
type Chaos interface {
	v1alpha1.InnerObjectWithSelector
	GetRemoteCluster() string
}

// Kind is everything the harness knows of one fault kind, in one place;
// Chaos Mesh's kind registry (v1alpha1.AllKinds) supplies its type.
type Kind struct {
	Name FaultKind
	// Targets are the targets whose engine injects the kind; the others
	// refuse it offline, naming the field.
	Targets []TargetKind
	// TakesPodsOut: the pods the fault hits become unavailable (they count
	// against the PodDisruptionBudget); other kinds degrade them.
	TakesPodsOut bool
	// NodeLevel: the fault acts on nodes (cloud instances), not pods; a
	// fault may then name its nodes with nodeSelector, one object per node.
	NodeLevel bool
	// NodeFilled are the spec's fields gameday fills for each node of a
	// nodeSelector (the instance, the region): not required of the file
	// then.
	NodeFilled []string
	// duration is the spec's Chaos Mesh duration field.
	duration func(Chaos) **string
	// label is what a fault of the kind does, for reports ("pod-kill",
	// "cpu").
	label func(Chaos) string
	// check applies our own rules to the spec (after the selectors', before
	// Chaos Mesh's webhook validation).
	check func(s *source, p fieldPath, f *Fault, target *Target)
}

// kinds is the table, in the order the docs list the kinds.
var kinds = []*Kind{
	{
		Name: PodChaos, Targets: []TargetKind{TargetSandbox, TargetKubernetes}, TakesPodsOut: true,
		duration: func(o Chaos) **string { return &o.(*v1alpha1.PodChaos).Spec.Duration },
		label:    func(o Chaos) string { return string(o.(*v1alpha1.PodChaos).Spec.Action) },
		check: func(s *source, p fieldPath, f *Fault, _ *Target) {
			checkPodChaos(s, p, &f.Spec.Object().(*v1alpha1.PodChaos).Spec)
		},
	},
	{
		Name: NetworkChaos, Targets: []TargetKind{TargetSandbox, TargetKubernetes},
		duration: func(o Chaos) **string { return &o.(*v1alpha1.NetworkChaos).Spec.Duration },
		label:    func(o Chaos) string { return string(o.(*v1alpha1.NetworkChaos).Spec.Action) },
		check: func(s *source, p fieldPath, f *Fault, t *Target) {
			checkNetworkChaos(s, p, &f.Spec.Object().(*v1alpha1.NetworkChaos).Spec, t)
		},
	},
	{
		Name: StressChaos, Targets: []TargetKind{TargetSandbox, TargetKubernetes},
		duration: func(o Chaos) **string { return &o.(*v1alpha1.StressChaos).Spec.Duration },
		label:    func(o Chaos) string { return stressLabel(&o.(*v1alpha1.StressChaos).Spec) },
		check: func(s *source, p fieldPath, f *Fault, _ *Target) {
			checkStressChaos(s, p, &f.Spec.Object().(*v1alpha1.StressChaos).Spec)
		},
	},
	{
		Name: HTTPChaos, Targets: []TargetKind{TargetSandbox, TargetKubernetes},
		duration: func(o Chaos) **string { return &o.(*v1alpha1.HTTPChaos).Spec.Duration },
		label:    func(o Chaos) string { return httpLabel(&o.(*v1alpha1.HTTPChaos).Spec) },
		check: func(s *source, p fieldPath, f *Fault, _ *Target) {
			checkHTTPChaos(s, p, &f.Spec.Object().(*v1alpha1.HTTPChaos).Spec)
		},
	},
	{
		Name: DNSChaos, Targets: []TargetKind{TargetKubernetes},
		duration: func(o Chaos) **string { return &o.(*v1alpha1.DNSChaos).Spec.Duration },
		label:    func(o Chaos) string { return "dns-" + string(o.(*v1alpha1.DNSChaos).Spec.Action) },
		check: func(s *source, p fieldPath, f *Fault, _ *Target) {
			checkDNSChaos(s, p, &f.Spec.Object().(*v1alpha1.DNSChaos).Spec)
		},
	},
	{
		Name: TimeChaos, Targets: []TargetKind{TargetKubernetes},
		duration: func(o Chaos) **string { return &o.(*v1alpha1.TimeChaos).Spec.Duration },
		label:    func(o Chaos) string { return "time-offset" },
		check: func(s *source, p fieldPath, f *Fault, _ *Target) {
			checkTimeChaos(s, p, &f.Spec.Object().(*v1alpha1.TimeChaos).Spec)
		},
	},
	{
		Name: AWSChaos, Targets: []TargetKind{TargetKubernetes}, TakesPodsOut: true,
		NodeLevel: true, NodeFilled: []string{"awsRegion", "ec2Instance"},
		duration: func(o Chaos) **string { return &o.(*v1alpha1.AWSChaos).Spec.Duration },
		label:    func(o Chaos) string { return string(o.(*v1alpha1.AWSChaos).Spec.Action) },
		check: func(s *source, p fieldPath, f *Fault, _ *Target) {
			checkAWSChaos(s, p, &f.Spec.Object().(*v1alpha1.AWSChaos).Spec, f.NodeSelector)
		},
	},
}

// chaosKinds is Chaos Mesh's kind registry.
var chaosKinds = v1alpha1.AllKinds()

// Kinds lists every fault kind, in order.
func Kinds() []*Kind { return slices.Clone(kinds) }

// FaultKinds lists the names of the kinds in order.
func FaultKinds() []FaultKind {
	out := make([]FaultKind, len(kinds))
	for i, k := range kinds {
		out[i] = k.Name
	}
	return out
}

// KindOf is the entry of kind k.
func KindOf(k FaultKind) (*Kind, bool) {
	i := slices.IndexFunc(kinds, func(e *Kind) bool { return e.Name == k })
	if i < 0 {
		return nil, false
	}
	return kinds[i], true
}

// Supports reports whether the engine of target t injects the kind.
func (k *Kind) Supports(t TargetKind) bool { return slices.Contains(k.Targets, t) }

// checkTargetKind refuses a kind of the table the engine of target t does
// not inject, with the engines' own words ("kind: DNSChaos is not
// supported by the sandbox engine; use --target kubernetes"). An unknown
// kind is reported by the fault's own check.
func checkTargetKind(s *source, p fieldPath, name FaultKind, t TargetKind) {
	k, ok := KindOf(name)
	if !ok || k.Supports(t) || len(k.Targets) == 0 {
		return
	}
	s.errPath(p, "%s is not supported by the %s engine; use --target %s", k.Name, t, k.Targets[len(k.Targets)-1])
}

// New is a new, empty Chaos Mesh object of the kind, spawned by Chaos
// Mesh's registry.
func (k *Kind) New() Chaos {
	ck, ok := chaosKinds[string(k.Name)]
	if !ok {
		panic(fmt.Sprintf("spec: kind %s is not in Chaos Mesh's registry", k.Name)) // the table test keeps this from happening
	}
	return ck.SpawnObject().(Chaos)
}

// SpecType is the Chaos Mesh spec type of the kind (v1alpha1.PodChaosSpec).
func (k *Kind) SpecType() reflect.Type { return specField(k.New()).Type() }

// specField is the Spec field of a chaos object, addressable.
func specField(o Chaos) reflect.Value { return reflect.ValueOf(o).Elem().FieldByName("Spec") }

// FaultSpec holds the Chaos Mesh spec of a fault, inside a Chaos Mesh
// object of the fault's kind (a Chaos, Spec filled, nothing else). The zero
// FaultSpec has no spec.
type FaultSpec struct {
	obj Chaos
}

// NewFaultSpec wraps a Chaos Mesh spec (a *v1alpha1.PodChaosSpec, ...) of a
// kind of the table; it panics on any other value, which is a programming
// error.
func NewFaultSpec(chaosSpec any) FaultSpec {
	v := reflect.ValueOf(chaosSpec)
	for _, k := range kinds {
		if v.Kind() == reflect.Pointer && v.Type().Elem() == k.SpecType() {
			o := k.New()
			specField(o).Set(v.Elem())
			return FaultSpec{obj: o}
		}
	}
	panic(fmt.Sprintf("spec: %T is not the spec of a fault kind (%s)", chaosSpec, list(FaultKinds()...)))
}

// FaultSpecOf is the spec of chaos object o (o itself, not a copy).
func FaultSpecOf(o Chaos) FaultSpec { return FaultSpec{obj: o} }

// Object is the Chaos Mesh object holding the spec, nil when there is none.
// It is the spec itself, not a copy: DeepCopy before changing it.
func (s FaultSpec) Object() Chaos { return s.obj }

// Spec is the spec (a *v1alpha1.XxxChaosSpec, pointing into Object), or nil.
func (s FaultSpec) Spec() any {
	if s.obj == nil {
		return nil
	}
	return specField(s.obj).Addr().Interface()
}

// Kind is the entry of the spec's kind, nil when there is no spec.
func (s FaultSpec) Kind() *Kind {
	if s.obj == nil {
		return nil
	}
	t := specField(s.obj).Type()
	for _, k := range kinds {
		if k.SpecType() == t {
			return k
		}
	}
	panic(fmt.Sprintf("spec: %T is not a fault kind", s.obj)) // FaultSpec is only built from the table
}

// DeepCopy is a copy sharing nothing with s.
func (s FaultSpec) DeepCopy() FaultSpec {
	if s.obj == nil {
		return s
	}
	return FaultSpec{obj: s.obj.DeepCopyObject().(Chaos)}
}

// Duration is the spec's Chaos Mesh duration field, nil when there is no
// spec.
func (s FaultSpec) Duration() **string {
	if s.obj == nil {
		return nil
	}
	return s.Kind().duration(s.obj)
}

// Label is what the fault does, for reports ("pod-kill", "delay", "cpu").
func (s FaultSpec) Label() string {
	if s.obj == nil {
		return ""
	}
	return s.Kind().label(s.obj)
}

// Selector is one pod selector of a spec and the path of its field.
type Selector struct {
	Field fieldPath // under the fault's spec: nil for the spec itself, [target]
	*v1alpha1.PodSelector
}

// Path is the selector's field under the fault, "spec" or "spec.target".
func (s Selector) Path() string { return append(fieldPath{"spec"}, s.Field...).String() }

// Selectors are the pod selectors of the spec, as Chaos Mesh's
// GetSelectorSpecs reports them, the spec's own first; a kind that selects
// no pod (a cloud instance) has none.
func (s FaultSpec) Selectors() []Selector {
	if s.obj == nil {
		return nil
	}
	specs := s.obj.GetSelectorSpecs()
	var out []Selector
	for _, key := range slices.Sorted(maps.Keys(specs)) {
		var ps *v1alpha1.PodSelector
		switch v := specs[key].(type) {
		case *v1alpha1.PodSelector:
			ps = v
		case *v1alpha1.ContainerSelector:
			ps = &v.PodSelector
		default:
			continue // not a pod selector
		}
		var p fieldPath
		if key != "." {
			p = jsonPath(specField(s.obj).Type(), strings.TrimPrefix(key, "."))
		}
		out = append(out, Selector{Field: p, PodSelector: ps})
	}
	return out
}

// PodSelector is the spec's own pod selector and mode, nil when it has
// none.
func (s FaultSpec) PodSelector() *v1alpha1.PodSelector {
	for _, sel := range s.Selectors() {
		if len(sel.Field) == 0 {
			return sel.PodSelector
		}
	}
	return nil
}

func stressLabel(s *v1alpha1.StressChaosSpec) string {
	switch {
	case s.Stressors != nil && s.Stressors.CPUStressor != nil:
		return "cpu"
	case s.Stressors != nil && s.Stressors.MemoryStressor != nil:
		return "memory"
	}
	return "stress"
}

func httpLabel(s *v1alpha1.HTTPChaosSpec) string {
	switch {
	case s.Abort != nil && *s.Abort:
		return "abort"
	case s.Delay != nil:
		return "delay"
	case s.Replace != nil:
		return "replace"
	}
	return "http"
}
