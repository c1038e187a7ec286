package validate

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
)

// The gameday chart grants exactly the harness's own RBAC
// (harness/deploy/rbac/*.yaml): the same rules per Role and ClusterRole, Roles
// in the target namespace or, for the harness's own namespace, in the release
// namespace, all bound to the chart's ServiceAccount.
func TestGamedayRBACIsTheHarnessRBAC(t *testing.T) {
	want, err := DecodeFiles(root, "harness/deploy/rbac", nil)
	if err != nil {
		t.Fatal(err)
	}
	self := "gameday"
	for _, o := range Find(want, "ServiceAccount") {
		self = o.GetNamespace()
	}
	for _, env := range []string{"dev", "staging", "prod"} {
		t.Run(env, func(t *testing.T) {
			objs := mustRender(t, "gameday", env)
			sa := Find(objs, "ServiceAccount")
			if len(sa) != 1 {
				t.Fatalf("got %d ServiceAccounts, want 1", len(sa))
			}
			got := map[string]Object{}
			for _, o := range objs {
				if o.GetLabels()["app.kubernetes.io/component"] == "scheduler" {
					continue // the chart's own Lease Role (TestSchedulerMode)
				}
				// The DORA report's Role (dora_test.go) is the chart's own.
				if (o.GetKind() == "Role" || o.GetKind() == "ClusterRole") && o.GetLabels()["app.kubernetes.io/component"] != "dora" {
					got[o.GetKind()+"/"+o.GetName()+"@"+o.GetNamespace()] = o
				}
			}
			n := 0
			for _, w := range want {
				if w.GetKind() != "Role" && w.GetKind() != "ClusterRole" {
					continue
				}
				ns := w.GetNamespace()
				if w.GetKind() == "Role" && ns == self {
					ns = "gameday" // the release namespace of the test
				}
				key := w.GetKind() + "/" + w.GetName() + "@" + ns
				g, ok := got[key]
				if !ok {
					t.Errorf("%s: %s %s (namespace %q) is not in the chart; chart has %v", w.Source, w.GetKind(), w.GetName(), ns, keys(got))
					continue
				}
				n++
				wr := typed[rbacv1.Role](t, []Object{{Source: w.Source, Unstructured: w.DeepCopy()}}, w.GetKind()).Rules
				gr := typed[rbacv1.Role](t, []Object{{Source: g.Source, Unstructured: g.DeepCopy()}}, g.GetKind()).Rules
				if !equality.Semantic.DeepEqual(wr, gr) {
					t.Errorf("%s: rules of %s differ:\nchart:   %+v\nharness: %+v", w.Source, key, gr, wr)
				}
			}
			if n != len(got) {
				t.Errorf("chart has %d Roles/ClusterRoles %v, the harness %d", len(got), keys(got), n)
			}
			// Every binding names the chart's ServiceAccount in the release namespace.
			for _, o := range objs {
				if o.GetKind() != "RoleBinding" && o.GetKind() != "ClusterRoleBinding" {
					continue
				}
				b := typed[rbacv1.RoleBinding](t, []Object{o}, o.GetKind())
				if len(b.Subjects) != 1 || b.Subjects[0].Name != sa[0].GetName() || b.Subjects[0].Namespace != "gameday" {
					t.Errorf("%s %s binds %+v, want the ServiceAccount %s/gameday", o.GetKind(), o.GetName(), b.Subjects, sa[0].GetName())
				}
			}
		})
	}
}

func keys(m map[string]Object) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestGamedayPausesWhatItCreates: the harness pauses a Chaos Mesh object on
// abort (the annotation experiment.chaos-mesh.org/pause, a patch), so the
// Role in the target namespace grants patch on every chaos kind it creates.
func TestGamedayPausesWhatItCreates(t *testing.T) {
	for _, env := range []string{"dev", "staging", "prod"} {
		t.Run(env, func(t *testing.T) {
			verbs := map[string][]string{} // chaos-mesh.org resource -> verbs
			for _, o := range Find(mustRender(t, "gameday", env), "Role") {
				if o.GetNamespace() != "petclinic" {
					continue
				}
				for _, r := range typed[rbacv1.Role](t, []Object{o}, "Role").Rules {
					if slices.Contains(r.APIGroups, "chaos-mesh.org") {
						for _, res := range r.Resources {
							verbs[res] = append(verbs[res], r.Verbs...)
						}
					}
				}
			}
			for _, kind := range []string{"podchaos", "networkchaos", "stresschaos", "httpchaos", "dnschaos", "timechaos", "awschaos"} {
				for _, v := range []string{"create", "patch", "delete"} {
					if !slices.Contains(verbs[kind], v) && !slices.Contains(verbs[kind], "*") {
						t.Errorf("Role in petclinic: %s on chaos-mesh.org/%s not granted (has %v)", v, kind, verbs[kind])
					}
				}
			}
		})
	}
}

// TestGamedayWithoutTheHarnessRBACFails: a chart whose files/rbac/ copy is
// empty does not render (no rules of its own that could drift).
func TestGamedayWithoutTheHarnessRBACFails(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gameday")
	if err := os.CopyFS(dir, os.DirFS(chartPath("gameday"))); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, "files", "rbac")); err != nil {
		t.Fatal(err)
	}
	_, err := Render(Release{Chart: dir, Name: "gameday", Namespace: "gameday", Values: []string{filepath.Join(dir, "ci", "staging-values.yaml")}})
	if err == nil || !strings.Contains(err.Error(), "files/rbac/ holds no Role or ClusterRole") {
		t.Fatalf("render without files/rbac/: err = %v, want the missing copy named", err)
	}
}
