package kube

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/gamedayhq/gameday/harness/internal/engine"
	"github.com/gamedayhq/gameday/harness/internal/selector"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// Renderer turns the faults of an experiment into Chaos Mesh objects for
// one cluster. Its zero fields are filled from the cluster by the engine
// (Resolve); tests set them directly.
type Renderer struct {
	// Namespace of the objects and default namespace of the selectors.
	Namespace string
	// Allowed namespaces (path.Match patterns) a selector may name.
	Allowed []string
	// TargetLabels are the pod labels experiments use for PetClinic
	// (app: petclinic); a selector holding all of them gets the
	// Deployment's own pod selector (PodLabels, PodExpressions) instead.
	TargetLabels   map[string]string
	PodLabels      map[string]string
	PodExpressions []metav1.LabelSelectorRequirement
	// Replicas are the names of the Deployment's ready pods, sorted: the
	// sandbox's label pod: petclinic-N selects the N-th (nil: offline,
	// left as is).
	Replicas []string
	// Zones maps every zone name an experiment may use to a zone of the
	// cluster (see ZoneMapping); nil passes zones through (offline).
	Zones map[string]string
	// Nodes are the cluster's nodes, for faults with a nodeSelector (nil:
	// offline, such a fault renders as one object without its instance).
	Nodes []Node
}

// ZoneMapping maps zone names onto the cluster's zones: each cluster zone
// to itself, each explicit entry as given, and the named zones (the
// sandbox's zone-a, zone-b, zone-c) that explicit leaves out, in order,
// to the cluster zones it leaves free, in sorted order.
func ZoneMapping(explicit map[string]string, named, cluster []string) map[string]string {
	m := map[string]string{}
	var free []string
	for _, z := range slices.Sorted(slices.Values(cluster)) {
		if !slices.Contains(slices.Collect(maps.Values(explicit)), z) {
			free = append(free, z)
		}
	}
	i := 0
	for _, z := range named {
		if _, ok := explicit[z]; ok || i >= len(free) {
			continue
		}
		m[z] = free[i]
		i++
	}
	for _, z := range cluster {
		m[z] = z
	}
	maps.Copy(m, explicit)
	return m
}

// SandboxPodLabel is the sandbox's label of a replica's name (pod:
// petclinic-0). Kubernetes pods carry no such label: it becomes
// selector.pods naming the Deployment's N-th ready pod, by name.
const SandboxPodLabel = "pod"

// ObjectName is the name of fault f's object in run runID: the fault's name
// and a hash of the run id, so that a name is stable within a run and
// distinct across runs.
func ObjectName(runID, fault string) string {
	h := sha256.Sum256([]byte(runID))
	return fmt.Sprintf("%s-%s", fault, hex.EncodeToString(h[:])[:10])
}

// RunLabel is the value of LabelRunID for runID: the id itself when it is
// a valid label value, else a hash of it.
func RunLabel(runID string) string {
	if len(validation.IsValidLabelValue(runID)) == 0 {
		return runID
	}
	h := sha256.Sum256([]byte(runID))
	return "h-" + hex.EncodeToString(h[:])[:20]
}

// Fault renders fault i of experiment e for run runID: one Chaos Mesh
// object, or one per node for a fault with a nodeSelector. The error names
// the experiment, the fault and the field.
func (r *Renderer) Fault(e *spec.Experiment, runID string, i int) ([]client.Object, error) {
	f := e.Spec.Faults[i]
	obj, err := r.object(e, runID, f)
	if err == nil && f.NodeSelector != nil {
		var objs []client.Object
		objs, err = r.perNode(obj, f)
		if err == nil {
			return objs, nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("experiment %s: spec.faults[%d] (%s): %w", e.Metadata.Name, i, f.Name, err)
	}
	return []client.Object{obj}, nil
}

// Objects renders every fault of e, in order; the error joins one error
// per field.
func (r *Renderer) Objects(e *spec.Experiment, runID string) ([]client.Object, error) {
	var objs []client.Object
	var errs []error
	for i := range e.Spec.Faults {
		o, err := r.Fault(e, runID, i)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		objs = append(objs, o...)
	}
	return objs, errors.Join(errs...)
}

func (r *Renderer) object(e *spec.Experiment, runID string, f spec.Fault) (client.Object, error) {
	if f.Duration <= 0 {
		return nil, errors.New("duration: required: Chaos Mesh must end the fault even if gameday dies")
	}
	d := f.Duration.String()
	k := f.Spec.Kind()
	if k == nil {
		return nil, errors.New("spec: required")
	}
	if !k.Supports(spec.TargetKubernetes) {
		return nil, unsupported("kind", fmt.Sprintf("%s is not injected on Kubernetes", k.Name))
	}
	fs := f.Spec.DeepCopy()
	*fs.Duration() = &d
	obj := fs.Object()
	obj.SetName(ObjectName(runID, f.Name))
	obj.SetNamespace(r.Namespace)
	obj.SetLabels(map[string]string{
		LabelManagedBy: ManagedBy, LabelRunID: RunLabel(runID),
		LabelExperiment: e.Metadata.Name, LabelFault: f.Name,
	})
	obj.SetAnnotations(map[string]string{AnnotationRunID: runID})
	var errs []error
	for _, sel := range fs.Selectors() {
		errs = append(errs, selector.Check(sel.Path(), sel.PodSelector)...)
		errs = append(errs, r.selector(sel.Path(), sel.PodSelector)...)
	}
	if obj.GetRemoteCluster() != "" {
		errs = append(errs, unsupported("spec.remoteCluster", "the harness confirms injections and counts replicas in one cluster"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	obj.GetObjectKind().SetGroupVersionKind(v1alpha1.SchemeGroupVersion.WithKind(string(k.Name)))
	return obj, nil
}

func unsupported(field, why string) error {
	return fmt.Errorf("%s: %w (%s)", field, engine.ErrUnsupported, why)
}

// selector translates a selector written for the sandbox (or for
// Kubernetes) into one for this cluster, in place.
func (r *Renderer) selector(field string, ps *v1alpha1.PodSelector) []error {
	var errs []error
	s := &ps.Selector
	if len(s.Namespaces) == 0 {
		s.Namespaces = []string{r.Namespace}
	}
	for _, ns := range s.Namespaces {
		if !allowed(r.Allowed, ns) {
			errs = append(errs, fmt.Errorf("%s.selector.namespaces: %q is not an allowed namespace (%s): add --allow-namespace %s", field, ns, allowList(r.Allowed), ns))
		}
	}
	for ns := range s.Pods {
		if !allowed(r.Allowed, ns) {
			errs = append(errs, fmt.Errorf("%s.selector.pods: namespace %q is not an allowed namespace (%s)", field, ns, allowList(r.Allowed)))
		}
	}
	target := len(r.TargetLabels) > 0 && containsAll(s.LabelSelectors, r.TargetLabels)
	if name, ok := s.LabelSelectors[SandboxPodLabel]; ok && target && r.Replicas != nil {
		delete(s.LabelSelectors, SandboxPodLabel)
		i := strings.LastIndexByte(name, '-')
		n, err := strconv.Atoi(name[i+1:])
		switch {
		case i < 0 || err != nil || n < 0:
			errs = append(errs, fmt.Errorf("%s.selector.labelSelectors[%s]: %q is not a sandbox replica name (petclinic-N)", field, SandboxPodLabel, name))
		case n >= len(r.Replicas):
			errs = append(errs, fmt.Errorf("%s.selector.labelSelectors[%s]: replica %q: the Deployment has %d ready pods", field, SandboxPodLabel, name, len(r.Replicas)))
		default:
			if s.Pods == nil {
				s.Pods = map[string][]string{}
			}
			s.Pods[r.Namespace] = append(s.Pods[r.Namespace], r.Replicas[n])
		}
	}
	if target && (r.PodLabels != nil || r.PodExpressions != nil) {
		for k := range r.TargetLabels {
			delete(s.LabelSelectors, k)
		}
		if s.LabelSelectors == nil && len(r.PodLabels) > 0 {
			s.LabelSelectors = map[string]string{}
		}
		maps.Copy(s.LabelSelectors, r.PodLabels)
		s.ExpressionSelectors = append(s.ExpressionSelectors, r.PodExpressions...)
	}
	zoneField := func(z string, where string) (string, error) {
		if r.Zones == nil { // offline: the cluster's zones are unknown
			return z, nil
		}
		m, ok := r.Zones[z]
		if !ok {
			return "", fmt.Errorf("%s.selector.%s[%s]: zone %q is not a zone of the cluster (%s): map it with --zone-map %s=<cluster zone>",
				field, where, spec.ZoneLabel, z, strings.Join(slices.Compact(slices.Sorted(maps.Values(r.Zones))), ", "), z)
		}
		return m, nil
	}
	if z, ok := s.LabelSelectors[spec.ZoneLabel]; ok {
		delete(s.LabelSelectors, spec.ZoneLabel)
		m, err := zoneField(z, "labelSelectors")
		if err != nil {
			errs = append(errs, err)
		} else {
			if s.NodeSelectors == nil {
				s.NodeSelectors = map[string]string{}
			}
			if prev, ok := s.NodeSelectors[spec.ZoneLabel]; ok && prev != m {
				errs = append(errs, fmt.Errorf("%s.selector: zone %q in labelSelectors and %q in nodeSelectors select nothing", field, z, prev))
			}
			s.NodeSelectors[spec.ZoneLabel] = m
		}
	} else if z, ok := s.NodeSelectors[spec.ZoneLabel]; ok {
		m, err := zoneField(z, "nodeSelectors")
		if err != nil {
			errs = append(errs, err)
		} else {
			s.NodeSelectors[spec.ZoneLabel] = m
		}
	}
	for j, req := range s.ExpressionSelectors {
		if req.Key == spec.ZoneLabel {
			errs = append(errs, unsupported(fmt.Sprintf("%s.selector.expressionSelectors[%d]", field, j),
				"pods carry no zone on Kubernetes and Chaos Mesh selects nodes by equality only: use labelSelectors "+spec.ZoneLabel))
		}
	}
	return errs
}

func containsAll(m, sub map[string]string) bool {
	for k, v := range sub {
		if got, ok := m[k]; !ok || got != v {
			return false
		}
	}
	return true
}

func allowList(p []string) string {
	if len(p) == 0 {
		return "the allowlist is empty"
	}
	return "allowed: " + strings.Join(p, ", ")
}
