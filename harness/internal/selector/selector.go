// Package selector is Chaos Mesh's pod selection, once for both engines:
// which pods a PodSelector matches (namespaces, pod names, labels,
// expressions, annotations, node labels, node names, phases) and how many
// of them its mode takes. The sandbox picks among its replicas with it;
// the Kubernetes engine counts what Chaos Mesh will select, before it does.
// A selector that cannot select (an unknown mode, a value that is not a
// count or a percentage, an unknown expression operator) is the same error
// on both, naming the field.
package selector

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Pod is what a selector looks at in a pod.
type Pod struct {
	Namespace, Name     string
	Labels, Annotations map[string]string
	// Node is the pod's node and NodeLabels its labels (the zone).
	Node       string
	NodeLabels map[string]string
	// Phase is the pod's phase (Running).
	Phase string
}

// Modes are the selector modes, as Chaos Mesh names them.
var Modes = []v1alpha1.SelectorMode{v1alpha1.OneMode, v1alpha1.AllMode, v1alpha1.FixedMode, v1alpha1.FixedPercentMode, v1alpha1.RandomMaxPercentMode}

// operators are the expression operators a label selector knows.
var operators = []metav1.LabelSelectorOperator{metav1.LabelSelectorOpIn, metav1.LabelSelectorOpNotIn, metav1.LabelSelectorOpExists, metav1.LabelSelectorOpDoesNotExist}

// Check reports every part of ps that cannot select: the mode, its value,
// the expression operators. field is the selector's path ("spec",
// "spec.target"), which every error names.
func Check(field string, ps *v1alpha1.PodSelector) []error {
	var errs []error
	if _, err := Count(field, ps, 0); err != nil {
		errs = append(errs, err)
	}
	for i, r := range ps.Selector.ExpressionSelectors {
		if !slices.Contains(operators, r.Operator) {
			errs = append(errs, fmt.Errorf("%s.selector.expressionSelectors[%d].operator: %q is not %s", field, i, r.Operator, orList(operators)))
		}
	}
	return errs
}

// Count is how many of n matching pods the mode of ps takes (for
// random-max-percent, the most it may take), as Chaos Mesh counts.
func Count(field string, ps *v1alpha1.PodSelector, n int) (int, error) {
	switch ps.Mode {
	case v1alpha1.OneMode:
		return min(1, n), nil
	case v1alpha1.AllMode:
		return n, nil
	case v1alpha1.FixedMode:
		v, err := strconv.Atoi(ps.Value)
		if err != nil || v < 0 {
			return 0, fmt.Errorf("%s.value: %q is not a count of pods (mode fixed)", field, ps.Value)
		}
		return min(v, n), nil
	case v1alpha1.FixedPercentMode, v1alpha1.RandomMaxPercentMode:
		v, err := strconv.Atoi(ps.Value)
		if err != nil || v < 0 || v > 100 {
			return 0, fmt.Errorf("%s.value: %q is not a percentage in [0, 100] (mode %s)", field, ps.Value, ps.Mode)
		}
		return int(math.Floor(float64(n) * float64(v) / 100)), nil
	}
	return 0, fmt.Errorf("%s.mode: %q is not %s", field, ps.Mode, orList(Modes))
}

// Matches reports whether p is selected by s: every condition of s holds.
// An expression with an unknown operator matches nothing (Check says
// why).
func Matches(s v1alpha1.PodSelectorSpec, p Pod) bool {
	switch {
	case len(s.Namespaces) > 0 && !slices.Contains(s.Namespaces, p.Namespace),
		len(s.Pods) > 0 && !slices.Contains(s.Pods[p.Namespace], p.Name),
		!labels.SelectorFromSet(s.LabelSelectors).Matches(labels.Set(p.Labels)),
		!labels.SelectorFromSet(s.AnnotationSelectors).Matches(labels.Set(p.Annotations)),
		len(s.NodeSelectors) > 0 && !labels.SelectorFromSet(s.NodeSelectors).Matches(labels.Set(p.NodeLabels)),
		len(s.Nodes) > 0 && !slices.Contains(s.Nodes, p.Node),
		len(s.PodPhaseSelectors) > 0 && !slices.Contains(s.PodPhaseSelectors, p.Phase):
		return false
	}
	if len(s.ExpressionSelectors) > 0 {
		sel, err := metav1.LabelSelectorAsSelector(&metav1.LabelSelector{MatchExpressions: s.ExpressionSelectors})
		if err != nil || !sel.Matches(labels.Set(p.Labels)) {
			return false
		}
	}
	return true
}

// Matching are the pods of pods that s matches, in their order.
func Matching(s v1alpha1.PodSelectorSpec, pods []Pod) []Pod {
	var out []Pod
	for _, p := range pods {
		if Matches(s, p) {
			out = append(out, p)
		}
	}
	return out
}

// Pick chooses the pods ps takes among pods, as Chaos Mesh does: every
// matching pod in mode all, else as many as Count says drawn with rng
// (random-max-percent: a random number of them, up to that). The result
// is sorted by namespace and name; no pod at all is an error.
func Pick(field string, ps *v1alpha1.PodSelector, pods []Pod, rng *rand.Rand) ([]Pod, error) {
	cands := Matching(ps.Selector, pods)
	n, err := Count(field, ps, len(cands))
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
	slices.SortFunc(cands, func(a, b Pod) int {
		return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
	})
	if len(cands) == 0 {
		return nil, fmt.Errorf("%s: selector %s selects no pod", field, Describe(ps))
	}
	return cands, nil
}

// Describe is a short form of ps for messages: {app=petclinic pods=x} mode one.
func Describe(ps *v1alpha1.PodSelector) string {
	var parts []string
	for k, v := range ps.Selector.LabelSelectors {
		parts = append(parts, k+"="+v)
	}
	for _, r := range ps.Selector.ExpressionSelectors {
		parts = append(parts, fmt.Sprintf("%s %s %v", r.Key, strings.ToLower(string(r.Operator)), r.Values))
	}
	for k, v := range ps.Selector.NodeSelectors {
		parts = append(parts, "node:"+k+"="+v)
	}
	for _, names := range ps.Selector.Pods {
		parts = append(parts, "pods="+strings.Join(names, ","))
	}
	slices.Sort(parts)
	s := "{" + strings.Join(parts, " ") + "} mode " + string(ps.Mode)
	if ps.Value != "" {
		s += " " + ps.Value
	}
	return s
}

func orList[T ~string](vs []T) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = string(v)
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}
