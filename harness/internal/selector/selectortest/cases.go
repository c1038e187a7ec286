// Package selectortest is the table both engines' selection is tested
// against: the same selectors over the same pods must take as many pods,
// or fail with the same error, on the sandbox and on Kubernetes.
package selectortest

import (
	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Pod is a pod of the table, as both engines have one: a name and labels.
type Pod struct {
	Name   string
	Labels map[string]string
}

// Pods are six PetClinic replicas and a Redis.
func Pods() []Pod {
	out := []Pod{{Name: "redis-0", Labels: map[string]string{"app": "redis"}}}
	for _, n := range []string{"petclinic-0", "petclinic-1", "petclinic-2", "petclinic-3", "petclinic-4", "petclinic-5"} {
		out = append(out, Pod{Name: n, Labels: map[string]string{"app": "petclinic", "pod": n}})
	}
	return out
}

// Case is one selector and what both engines must answer: how many pods
// it takes (at most, for random-max-percent), or the error.
type Case struct {
	Selector v1alpha1.PodSelector
	Take     int
	AtMost   bool
	Err      string // the error's text, field "spec"
}

func sel(labels map[string]string, mode v1alpha1.SelectorMode, value string) v1alpha1.PodSelector {
	return v1alpha1.PodSelector{Mode: mode, Value: value,
		Selector: v1alpha1.PodSelectorSpec{GenericSelectorSpec: v1alpha1.GenericSelectorSpec{LabelSelectors: labels}}}
}

var petclinic = map[string]string{"app": "petclinic"}

// Cases are keyed by what they show.
func Cases() map[string]Case {
	notRedis := sel(nil, v1alpha1.AllMode, "")
	notRedis.Selector.ExpressionSelectors = []metav1.LabelSelectorRequirement{{Key: "app", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"redis"}}}
	badOp := sel(nil, v1alpha1.AllMode, "")
	badOp.Selector.ExpressionSelectors = []metav1.LabelSelectorRequirement{{Key: "app", Operator: "Gt", Values: []string{"1"}}}
	byName := sel(nil, v1alpha1.AllMode, "")
	byName.Selector.Pods = map[string][]string{"NAMESPACE": {"petclinic-1", "petclinic-4"}}
	return map[string]Case{
		"one takes one":                                 {Selector: sel(petclinic, v1alpha1.OneMode, ""), Take: 1},
		"all takes every matching pod":                  {Selector: sel(petclinic, v1alpha1.AllMode, ""), Take: 6},
		"fixed takes the count":                         {Selector: sel(petclinic, v1alpha1.FixedMode, "2"), Take: 2},
		"fixed beyond the matching pods takes them all": {Selector: sel(petclinic, v1alpha1.FixedMode, "9"), Take: 6},
		"fixed-percent rounds down":                     {Selector: sel(petclinic, v1alpha1.FixedPercentMode, "40"), Take: 2},
		"random-max-percent takes at most its share":    {Selector: sel(petclinic, v1alpha1.RandomMaxPercentMode, "50"), Take: 3, AtMost: true},
		"a label picks one pod":                         {Selector: sel(map[string]string{"pod": "petclinic-3"}, v1alpha1.AllMode, ""), Take: 1},
		"an expression excludes":                        {Selector: notRedis, Take: 6},
		"pods by name":                                  {Selector: byName, Take: 2},
		"a value that is not a count":                   {Selector: sel(petclinic, v1alpha1.FixedMode, "two"), Err: `spec.value: "two" is not a count of pods (mode fixed)`},
		"a negative count":                              {Selector: sel(petclinic, v1alpha1.FixedMode, "-1"), Err: `spec.value: "-1" is not a count of pods (mode fixed)`},
		"a percentage beyond 100":                       {Selector: sel(petclinic, v1alpha1.FixedPercentMode, "150"), Err: `spec.value: "150" is not a percentage in [0, 100] (mode fixed-percent)`},
		"an unknown mode":                               {Selector: sel(petclinic, "most", ""), Err: `spec.mode: "most" is not one, all, fixed, fixed-percent or random-max-percent`},
		"an unknown operator":                           {Selector: badOp, Err: `spec.selector.expressionSelectors[0].operator: "Gt" is not In, NotIn, Exists or DoesNotExist`},
	}
}

// InNamespace is c with the pod names of its selector in namespace ns
// (the table writes NAMESPACE).
func (c Case) InNamespace(ns string) Case {
	if names, ok := c.Selector.Selector.Pods["NAMESPACE"]; ok {
		c.Selector = *c.Selector.DeepCopy()
		c.Selector.Selector.Pods = map[string][]string{ns: names}
	}
	return c
}
