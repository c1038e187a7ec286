package chaos

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"

	"github.com/gamedayhq/gameday/harness/internal/engine"
	"github.com/gamedayhq/gameday/harness/internal/sandbox"
	"github.com/gamedayhq/gameday/harness/internal/selector"
)

// unsupported names a field the sandbox cannot honour.
func unsupported(field, why string) error {
	if why != "" {
		return fmt.Errorf("%s: %w (%s)", field, engine.ErrUnsupported, why)
	}
	return fmt.Errorf("%s: %w", field, engine.ErrUnsupported)
}

// checkSelector reports the selector fields the sandbox cannot honour.
func checkSelector(field string, ps *v1alpha1.PodSelector) []error {
	var errs []error
	s := ps.Selector
	if len(s.Namespaces) > 0 && !slices.Contains(s.Namespaces, sandbox.Namespace) {
		errs = append(errs, fmt.Errorf("%s.selector.namespaces: %v selects no sandbox pod (they live in %q)", field, s.Namespaces, sandbox.Namespace))
	}
	if len(s.FieldSelectors) > 0 {
		errs = append(errs, unsupported(field+".selector.fieldSelectors", ""))
	}
	if len(s.AnnotationSelectors) > 0 {
		errs = append(errs, unsupported(field+".selector.annotationSelectors", "sandbox pods have no annotations"))
	}
	if len(s.Nodes) > 0 {
		errs = append(errs, unsupported(field+".selector.nodes", "select a zone with labelSelectors "+sandbox.LabelZone))
	}
	if len(s.NodeSelectors) > 0 {
		errs = append(errs, unsupported(field+".selector.nodeSelectors", "select a zone with labelSelectors "+sandbox.LabelZone))
	}
	if len(s.PodPhaseSelectors) > 0 {
		errs = append(errs, unsupported(field+".selector.podPhaseSelectors", ""))
	}
	for ns := range s.Pods {
		if ns != sandbox.Namespace {
			errs = append(errs, fmt.Errorf("%s.selector.pods: namespace %q holds no sandbox pod (they live in %q)", field, ns, sandbox.Namespace))
		}
	}
	errs = append(errs, selector.Check(field, ps)...)
	return errs
}

// Select returns the pods ps (at field) selects in st, sorted by name,
// drawing with rng for the random modes (as Chaos Mesh, among every
// matching pod, ready or not).
func Select(st *sandbox.State, field string, ps *v1alpha1.PodSelector, rng *rand.Rand) ([]sandbox.Pod, error) {
	byName := map[string]sandbox.Pod{}
	cands := make([]selector.Pod, 0, len(st.Pods))
	for _, p := range st.Pods {
		byName[p.Name] = p
		cands = append(cands, selector.Pod{Namespace: sandbox.Namespace, Name: p.Name, Labels: p.Labels})
	}
	picked, err := selector.Pick(field, ps, cands, rng)
	if err != nil {
		return nil, err
	}
	out := make([]sandbox.Pod, len(picked))
	for i, p := range picked {
		out[i] = byName[p.Name]
	}
	return out, nil
}
