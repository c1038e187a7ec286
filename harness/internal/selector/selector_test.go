package selector_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gamedayhq/gameday/harness/internal/selector"
	"github.com/gamedayhq/gameday/harness/internal/selector/selectortest"
)

func pods(ns string) []selector.Pod {
	var out []selector.Pod
	for _, p := range selectortest.Pods() {
		out = append(out, selector.Pod{Namespace: ns, Name: p.Name, Labels: p.Labels})
	}
	return out
}

// TestTable: the table both engines are tested against, on the package
// itself: Check finds the errors, Pick takes the count.
func TestTable(t *testing.T) {
	for name, tc := range selectortest.Cases() {
		t.Run(name, func(t *testing.T) {
			tc = tc.InNamespace("ns")
			got, err := selector.Pick("spec", &tc.Selector, pods("ns"), rand.New(rand.NewPCG(1, 2)))
			checkErrs := selector.Check("spec", &tc.Selector)
			if tc.Err != "" {
				if err == nil && len(checkErrs) == 0 {
					t.Fatalf("got %d pods, want error %q", len(got), tc.Err)
				}
				if len(checkErrs) != 1 || checkErrs[0].Error() != tc.Err {
					t.Errorf("got Check %v, want %q", checkErrs, tc.Err)
				}
				return
			}
			if tc.AtMost && err != nil && strings.HasSuffix(err.Error(), "selects no pod") {
				err = nil // it may draw none
			}
			if err != nil || len(checkErrs) > 0 {
				t.Fatalf("got %v, %v", err, checkErrs)
			}
			if len(got) != tc.Take && !(tc.AtMost && len(got) <= tc.Take) {
				t.Errorf("got %d pods, want %d (at most: %t)", len(got), tc.Take, tc.AtMost)
			}
		})
	}
}

func TestMatches(t *testing.T) {
	p := selector.Pod{Namespace: "petclinic", Name: "petclinic-0", Labels: map[string]string{"app": "petclinic"},
		Annotations: map[string]string{"team": "vets"}, Node: "node-a", NodeLabels: map[string]string{"topology.kubernetes.io/zone": "eu-west-1a"}, Phase: "Running"}
	spec := func(edit func(*v1alpha1.PodSelectorSpec)) v1alpha1.PodSelectorSpec {
		var s v1alpha1.PodSelectorSpec
		edit(&s)
		return s
	}
	tests := map[string]struct {
		s    v1alpha1.PodSelectorSpec
		want bool
	}{
		"an empty selector matches": {spec(func(*v1alpha1.PodSelectorSpec) {}), true},
		"the namespace":             {spec(func(s *v1alpha1.PodSelectorSpec) { s.Namespaces = []string{"petclinic"} }), true},
		"another namespace":         {spec(func(s *v1alpha1.PodSelectorSpec) { s.Namespaces = []string{"payments"} }), false},
		"the pod by name":           {spec(func(s *v1alpha1.PodSelectorSpec) { s.Pods = map[string][]string{"petclinic": {"petclinic-0"}} }), true},
		"another pod by name":       {spec(func(s *v1alpha1.PodSelectorSpec) { s.Pods = map[string][]string{"petclinic": {"petclinic-1"}} }), false},
		"a label":                   {spec(func(s *v1alpha1.PodSelectorSpec) { s.LabelSelectors = map[string]string{"app": "petclinic"} }), true},
		"another label":             {spec(func(s *v1alpha1.PodSelectorSpec) { s.LabelSelectors = map[string]string{"app": "redis"} }), false},
		"an annotation":             {spec(func(s *v1alpha1.PodSelectorSpec) { s.AnnotationSelectors = map[string]string{"team": "vets"} }), true},
		"another annotation":        {spec(func(s *v1alpha1.PodSelectorSpec) { s.AnnotationSelectors = map[string]string{"team": "owners"} }), false},
		"the node's zone": {spec(func(s *v1alpha1.PodSelectorSpec) {
			s.NodeSelectors = map[string]string{"topology.kubernetes.io/zone": "eu-west-1a"}
		}), true},
		"another zone": {spec(func(s *v1alpha1.PodSelectorSpec) {
			s.NodeSelectors = map[string]string{"topology.kubernetes.io/zone": "eu-west-1b"}
		}), false},
		"the node by name": {spec(func(s *v1alpha1.PodSelectorSpec) { s.Nodes = []string{"node-a"} }), true},
		"another node":     {spec(func(s *v1alpha1.PodSelectorSpec) { s.Nodes = []string{"node-b"} }), false},
		"the phase":        {spec(func(s *v1alpha1.PodSelectorSpec) { s.PodPhaseSelectors = []string{"Running"} }), true},
		"another phase":    {spec(func(s *v1alpha1.PodSelectorSpec) { s.PodPhaseSelectors = []string{"Pending"} }), false},
		"an expression that holds": {spec(func(s *v1alpha1.PodSelectorSpec) {
			s.ExpressionSelectors = []metav1.LabelSelectorRequirement{{Key: "app", Operator: "Exists"}}
		}), true},
		"an expression that fails": {spec(func(s *v1alpha1.PodSelectorSpec) {
			s.ExpressionSelectors = []metav1.LabelSelectorRequirement{{Key: "app", Operator: "DoesNotExist"}}
		}), false},
		"an unknown operator matches nothing": {spec(func(s *v1alpha1.PodSelectorSpec) {
			s.ExpressionSelectors = []metav1.LabelSelectorRequirement{{Key: "app", Operator: "Gt"}}
		}), false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := selector.Matches(tt.s, p); got != tt.want {
				t.Errorf("got %t, want %t", got, tt.want)
			}
		})
	}
}

func TestPickNothingIsAnError(t *testing.T) {
	ps := v1alpha1.PodSelector{Mode: v1alpha1.AllMode, Selector: v1alpha1.PodSelectorSpec{GenericSelectorSpec: v1alpha1.GenericSelectorSpec{LabelSelectors: map[string]string{"app": "postgres"}}}}
	_, err := selector.Pick("spec.target", &ps, pods("ns"), rand.New(rand.NewPCG(1, 2)))
	if err == nil || !strings.HasPrefix(err.Error(), "spec.target: selector {app=postgres} mode all selects no pod") {
		t.Errorf("got %v, want the field and the selector named", err)
	}
}
