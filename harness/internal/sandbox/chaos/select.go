package chaos

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"

	"github.com/gamedayhq/gameday/harness/internal/engine"
	"github.com/gamedayhq/gameday/harness/internal/sandbox"
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
	if len(s.Nodes) > 0 || len(s.NodeSelectors) > 0 {
		errs = append(errs, unsupported(field+".selector.nodes/nodeSelectors", "select a zone with labelSelectors "+sandbox.LabelZone))
	}
	if len(s.PodPhaseSelectors) > 0 {
		errs = append(errs, unsupported(field+".selector.podPhaseSelectors", ""))
	}
	for ns := range s.Pods {
		if ns != sandbox.Namespace {
			errs = append(errs, fmt.Errorf("%s.selector.pods: namespace %q holds no sandbox pod (they live in %q)", field, ns, sandbox.Namespace))
		}
	}
	for i, r := range s.ExpressionSelectors {
		switch string(r.Operator) {
		case "In", "NotIn", "Exists", "DoesNotExist":
		default:
			errs = append(errs, fmt.Errorf("%s.selector.expressionSelectors[%d].operator: %q is not In, NotIn, Exists or DoesNotExist", field, i, r.Operator))
		}
	}
	if _, err := count(ps.Mode, ps.Value, 10); err != nil {
		errs = append(errs, fmt.Errorf("%s.mode: %w", field, err))
	}
	return errs
}

// matches reports whether pod p is selected by s (every condition holds).
func matches(s v1alpha1.PodSelectorSpec, p sandbox.Pod) bool {
	for k, v := range s.LabelSelectors {
		if p.Labels[k] != v {
			return false
		}
	}
	for _, r := range s.ExpressionSelectors {
		v, has := p.Labels[r.Key]
		switch string(r.Operator) {
		case "In":
			if !has || !slices.Contains(r.Values, v) {
				return false
			}
		case "NotIn":
			if has && slices.Contains(r.Values, v) {
				return false
			}
		case "Exists":
			if !has {
				return false
			}
		case "DoesNotExist":
			if has {
				return false
			}
		}
	}
	if len(s.Pods) > 0 && !slices.Contains(s.Pods[sandbox.Namespace], p.Name) {
		return false
	}
	return true
}

// count is how many of n candidates a mode selects (for
// random-max-percent, the upper bound).
func count(mode v1alpha1.SelectorMode, value string, n int) (int, error) {
	switch mode {
	case v1alpha1.OneMode:
		return min(1, n), nil
	case v1alpha1.AllMode:
		return n, nil
	case v1alpha1.FixedMode:
		v, err := strconv.Atoi(value)
		if err != nil || v < 0 {
			return 0, fmt.Errorf("fixed: value %q is not a count", value)
		}
		return min(v, n), nil
	case v1alpha1.FixedPercentMode, v1alpha1.RandomMaxPercentMode:
		v, err := strconv.Atoi(value)
		if err != nil || v < 0 || v > 100 {
			return 0, fmt.Errorf("%s: value %q is not a percentage", mode, value)
		}
		return int(math.Floor(float64(n) * float64(v) / 100)), nil
	}
	return 0, fmt.Errorf("%q is not one, all, fixed, fixed-percent or random-max-percent", mode)
}

// Select returns the pods ps selects in st, sorted by name, drawing with
// rng for the random modes (as Chaos Mesh, among every matching pod, ready
// or not).
func Select(st *sandbox.State, ps *v1alpha1.PodSelector, rng *rand.Rand) ([]sandbox.Pod, error) {
	var cands []sandbox.Pod
	for _, p := range st.Pods {
		if matches(ps.Selector, p) {
			cands = append(cands, p)
		}
	}
	n, err := count(ps.Mode, ps.Value, len(cands))
	if err != nil {
		return nil, err
	}
	if ps.Mode == v1alpha1.RandomMaxPercentMode && n > 0 {
		n = rng.IntN(n + 1)
	}
	if ps.Mode != v1alpha1.AllMode {
		rng.Shuffle(len(cands), func(i, j int) { cands[i], cands[j] = cands[j], cands[i] })
		cands = cands[:n]
	}
	slices.SortFunc(cands, func(a, b sandbox.Pod) int { return strings.Compare(a.Name, b.Name) })
	if len(cands) == 0 {
		return nil, fmt.Errorf("selector %s selects no pod", describeSelector(ps))
	}
	return cands, nil
}

func describeSelector(ps *v1alpha1.PodSelector) string {
	var parts []string
	for k, v := range ps.Selector.LabelSelectors {
		parts = append(parts, k+"="+v)
	}
	for _, names := range ps.Selector.Pods {
		parts = append(parts, "pods="+strings.Join(names, ","))
	}
	slices.Sort(parts)
	return "{" + strings.Join(parts, " ") + "} mode " + string(ps.Mode)
}
