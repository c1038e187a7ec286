package validate

import (
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// TestDoraReport: where Argo CD runs (prod, the hub) the gameday chart
// renders the weekly DORA report CronJob and a Role in argocd granting get
// and list on Applications, nothing more, bound to the chart's
// ServiceAccount; elsewhere neither.
func TestDoraReport(t *testing.T) {
	for _, env := range []string{"dev", "staging", "prod"} {
		t.Run(env, func(t *testing.T) {
			objs := mustRender(t, "gameday", env)
			var jobs []batchv1.CronJob
			for _, o := range Find(objs, "CronJob") {
				if o.GetLabels()["gameday.dev/report"] == "dora" {
					var cj batchv1.CronJob
					if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &cj); err != nil {
						t.Fatal(err)
					}
					jobs = append(jobs, cj)
				}
			}
			var roles, serve []Object
			for _, o := range objs {
				if o.GetLabels()["app.kubernetes.io/component"] != "dora" {
					continue
				}
				if k := o.GetKind(); k == "Role" || k == "RoleBinding" {
					roles = append(roles, o)
				} else {
					serve = append(serve, o)
				}
			}
			if env != "prod" {
				if len(jobs) != 0 || len(roles) != 0 || len(serve) != 0 {
					t.Fatalf("%d DORA CronJobs, %d RBAC and %d --serve objects, want none outside the hub", len(jobs), len(roles), len(serve))
				}
				return
			}
			if len(jobs) != 1 || len(roles) != 2 {
				t.Fatalf("%d DORA CronJobs and %d RBAC objects, want 1 and a Role with its RoleBinding", len(jobs), len(roles))
			}
			role := typed[rbacv1.Role](t, roles, "Role")
			want := []rbacv1.PolicyRule{{APIGroups: []string{"argoproj.io"}, Resources: []string{"applications"}, Verbs: []string{"get", "list"}}}
			if role.Namespace != "argocd" || len(role.Rules) != 1 || !slices.Equal(role.Rules[0].Verbs, want[0].Verbs) ||
				!slices.Equal(role.Rules[0].Resources, want[0].Resources) || !slices.Equal(role.Rules[0].APIGroups, want[0].APIGroups) || len(role.Rules[0].ResourceNames) != 0 {
				t.Errorf("Role %s/%s: rules %+v, want exactly %+v", role.Namespace, role.Name, role.Rules, want)
			}
			rb := typed[rbacv1.RoleBinding](t, roles, "RoleBinding")
			if rb.Namespace != "argocd" || rb.RoleRef.Name != role.Name || len(rb.Subjects) != 1 || rb.Subjects[0].Name != "gameday-harness" || rb.Subjects[0].Namespace != "gameday" {
				t.Errorf("RoleBinding %s/%s: %+v → %+v, want the Role bound to gameday/gameday-harness", rb.Namespace, rb.Name, rb.RoleRef, rb.Subjects)
			}
			pod := jobs[0].Spec.JobTemplate.Spec.Template.Spec
			c := reportContainer(t, pod, true, "/reports/dora/prod")
			if c.Args[0] != "dora" {
				t.Fatalf("args %v: want gameday dora", c.Args)
			}
			for _, w := range []string{"--environment=prod", "--argocd-namespace=argocd", "--git=https://github.com/gamedayhq/gameday.git", "--service=petclinic=petclinic/,helm/petclinic/",
				"--slo-dir=/etc/gameday/slo", "--reports-git=https://github.com/gamedayhq/gameday-reports.git", "--run-environment=k8s-prod-weekly=prod",
				"--format=html", "--out=/reports/dora/prod/report.html", "--window=28d"} {
				if !slices.Contains(c.Args, w) {
					t.Errorf("args %v lack %s", c.Args, w)
				}
			}
			if !slices.ContainsFunc(c.Args, func(a string) bool { return strings.HasPrefix(a, "--prometheus-url=http") }) {
				t.Errorf("args %v: no --prometheus-url", c.Args)
			}
			if len(c.EnvFrom) != 1 || c.EnvFrom[0].SecretRef == nil || !strings.HasSuffix(c.EnvFrom[0].SecretRef.Name, "-git") {
				t.Errorf("envFrom %+v: want the git credentials (GIT_USERNAME, GIT_TOKEN)", c.EnvFrom)
			}
			mounts := map[string]bool{}
			for _, m := range c.VolumeMounts {
				mounts[m.MountPath] = true
			}
			if !mounts["/etc/gameday/slo"] || !mounts["/reports"] || !mounts["/tmp"] {
				t.Errorf("mounts %v: want /etc/gameday/slo, /reports and /tmp", mounts)
			}
			if s := jobs[0].Spec.Schedule; s != "0 7 * * 1" {
				t.Errorf("schedule %q: want weekly, Monday 07:00", s)
			}
			doraServe(t, serve, c.Args)
		})
	}
}

// doraServe: gameday dora --serve with the CronJob's sources, its Service,
// and a ServiceMonitor keeping the gauges' own service label.
func doraServe(t *testing.T, objs []Object, cronArgs []string) {
	t.Helper()
	if len(objs) != 3 {
		t.Fatalf("%d --serve objects, want a Deployment, a Service and a ServiceMonitor", len(objs))
	}
	dep := typed[appsv1.Deployment](t, objs, "Deployment")
	c := dep.Spec.Template.Spec.Containers[0]
	if !slices.Contains(c.Args, "--serve=:9464") || len(c.Ports) != 1 || c.Ports[0].ContainerPort != 9464 {
		t.Errorf("args %v, ports %+v: want --serve on 9464", c.Args, c.Ports)
	}
	for _, a := range cronArgs {
		if !strings.HasPrefix(a, "--format") && !strings.HasPrefix(a, "--out") && !slices.Contains(c.Args, a) {
			t.Errorf("--serve lacks the CronJob's %s", a)
		}
	}
	svc := typed[corev1.Service](t, objs, "Service")
	for k, v := range svc.Spec.Selector {
		if dep.Spec.Template.Labels[k] != v {
			t.Errorf("Service selector %v does not select the Deployment's pods %v", svc.Spec.Selector, dep.Spec.Template.Labels)
		}
	}
	sm := find(objs, "ServiceMonitor")
	if sm.Unstructured == nil {
		t.Fatal("no ServiceMonitor")
	}
	eps, _, _ := unstructured.NestedSlice(sm.Object, "spec", "endpoints")
	if len(eps) != 1 || eps[0].(map[string]any)["honorLabels"] != true || eps[0].(map[string]any)["port"] != "metrics" {
		t.Errorf("ServiceMonitor endpoints %v: want port metrics with honorLabels (the gauges' service label)", eps)
	}
}

func find(objs []Object, kind string) Object {
	for _, o := range objs {
		if o.GetKind() == kind {
			return o
		}
	}
	return Object{}
}
