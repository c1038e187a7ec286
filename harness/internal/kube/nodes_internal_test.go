package kube

import (
	"testing"

	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// TestEveryNodeLevelKindHasATranslation: a kind of the table that acts on
// nodes has its translation from a node to its object here, and only such
// kinds.
func TestEveryNodeLevelKindHasATranslation(t *testing.T) {
	for _, k := range spec.Kinds() {
		if _, ok := onNode[k.Name]; ok != k.NodeLevel {
			t.Errorf("got a translation onto nodes for %s %t, want %t (the table's NodeLevel)", k.Name, ok, k.NodeLevel)
		}
	}
}
