package kube_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"

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

// TestShippedRBACCoversEveryKind: the Role the harness ships for the target
// namespace lets it create, watch, pause and delete every kind the engine
// injects (Cleanup lists them all; a pause is a patch, which Chaos Mesh's
// security mode admits only with update); a kind added to the table without its
// resource in deploy/rbac fails here, before a cluster refuses it.
func TestShippedRBACCoversEveryKind(t *testing.T) {
	b, err := os.ReadFile(rbacDir + "/role-target.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var role rbacv1.Role
	if err := yaml.UnmarshalStrict(b, &role); err != nil {
		t.Fatal(err)
	}
	granted := map[string][]string{}
	for _, r := range role.Rules {
		if slices.Contains(r.APIGroups, "chaos-mesh.org") {
			for _, res := range r.Resources {
				granted[res] = append(granted[res], r.Verbs...)
			}
		}
	}
	for _, k := range spec.Kinds() {
		res := strings.ToLower(string(k.Name))
		for _, v := range []string{"get", "list", "watch", "create", "update", "patch", "delete"} {
			if !slices.Contains(granted[res], v) {
				t.Errorf("got no %s on chaos-mesh.org/%s in %s/role-target.yaml (it grants %v)", v, res, rbacDir, granted)
			}
		}
	}
}
