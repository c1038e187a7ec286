package kube_test

import (
	"testing"

	"github.com/gamedayhq/gameday/harness/internal/kube"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// TestEveryKindComesFromChaosMesh: every kind of the table that the
// Kubernetes engine injects is spawned from Chaos Mesh's registry, and its
// reference (Kind/namespace/name, what cleanup and the report show) reads
// back to the same kind; an unknown kind is an error naming the known ones.
func TestEveryKindComesFromChaosMesh(t *testing.T) {
	for _, k := range spec.Kinds() {
		t.Run(string(k.Name), func(t *testing.T) {
			if !k.Supports(spec.TargetKubernetes) {
				t.Fatalf("got %s not injected on Kubernetes: every Chaos Mesh kind of the table is", k.Name)
			}
			ref := string(k.Name) + "/petclinic/f-0123456789"
			obj, err := kube.FromRef(ref)
			if err != nil {
				t.Fatal(err)
			}
			if got := kube.Ref(obj); got != ref {
				t.Errorf("got ref %s, want %s", got, ref)
			}
			if _, ok := obj.(spec.Chaos); !ok {
				t.Errorf("got %T, not a Chaos Mesh chaos object", obj)
			}
		})
	}
	if _, err := kube.FromRef("IOChaos/petclinic/x"); err == nil {
		t.Error("got IOChaos accepted: it is not a kind of the table")
	}
}
