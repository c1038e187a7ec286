package validate

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// TestSchedulerMode: with scheduler.enabled (staging), the chart renders the
// scheduler's Deployment of two replicas with leader election, its Service,
// ServiceMonitor, PDB and Lease RBAC, and mounts the schedules file where
// its relative paths resolve; without it (dev, prod), none of them.
func TestSchedulerMode(t *testing.T) {
	objs := mustRender(t, "gameday", "staging")
	d := typed[appsv1.Deployment](t, objs, "Deployment")
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 2 {
		t.Errorf("replicas %v, want 2", d.Spec.Replicas)
	}
	c := d.Spec.Template.Spec.Containers[0]
	for _, want := range []string{"schedule", "--leader-elect", "--addr=:8089", "--reports-dir=/reports", "/etc/gameday/experiments/schedules/k8s-staging.yaml"} {
		if !slices.Contains(c.Args, want) {
			t.Errorf("args %v lack %s", c.Args, want)
		}
	}
	if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" || c.LivenessProbe.HTTPGet.Path != "/healthz" {
		t.Errorf("probes: %+v %+v", c.ReadinessProbe, c.LivenessProbe)
	}
	var mounted []string
	for _, v := range d.Spec.Template.Spec.Volumes {
		if v.Projected == nil {
			continue
		}
		for _, src := range v.Projected.Sources {
			if src.ConfigMap != nil {
				for _, it := range src.ConfigMap.Items {
					mounted = append(mounted, it.Path)
				}
			}
		}
	}
	for _, want := range []string{"schedules/k8s-staging.yaml", "suites/k8s-preprod-gate.yaml", "suites/k8s-staging-weekly.yaml"} {
		if !slices.Contains(mounted, want) {
			t.Errorf("projected experiments lack %s (have %v)", want, mounted)
		}
	}
	if !slices.Contains(c.Args, "--leader-label-pod=$(POD_NAME)") {
		t.Errorf("args %v: the pod is not labelled while it leads", c.Args)
	}
	// The UI Service routes to the leader's pod only; the headless metrics
	// Service to both, ready or not, and it alone is scraped.
	services := map[string]*corev1.Service{}
	for _, o := range Find(objs, "Service") {
		services[o.GetName()] = typed[corev1.Service](t, []Object{o}, "Service")
	}
	ui, metrics := services["gameday-scheduler"], services["gameday-scheduler-metrics"]
	if ui == nil || metrics == nil || len(services) != 2 {
		t.Fatalf("Services %v, want gameday-scheduler and gameday-scheduler-metrics", slices.Collect(maps.Keys(services)))
	}
	if ui.Spec.Type != corev1.ServiceTypeClusterIP || ui.Spec.Ports[0].Port != 8089 || ui.Spec.Selector["gameday.dev/scheduler-leader"] != "true" {
		t.Errorf("UI Service: %+v", ui.Spec)
	}
	if metrics.Spec.ClusterIP != corev1.ClusterIPNone || !metrics.Spec.PublishNotReadyAddresses || metrics.Spec.Ports[0].Port != 8089 {
		t.Errorf("metrics Service: %+v", metrics.Spec)
	}
	if _, ok := metrics.Spec.Selector["gameday.dev/scheduler-leader"]; ok || !subset(metrics.Spec.Selector, d.Spec.Template.Labels) {
		t.Errorf("metrics Service selector %v: want both replicas (pod labels %v)", metrics.Spec.Selector, d.Spec.Template.Labels)
	}
	sm := Find(objs, "ServiceMonitor")
	if len(sm) != 1 {
		t.Fatalf("%d ServiceMonitors, want 1", len(sm))
	}
	sel, _, _ := unstructured.NestedStringMap(sm[0].Object, "spec", "selector", "matchLabels")
	if !subset(sel, metrics.Labels) || subset(sel, ui.Labels) {
		t.Errorf("ServiceMonitor selects %v: want the metrics Service (%v) and not the UI's (%v)", sel, metrics.Labels, ui.Labels)
	}
	pdb := typed[policyv1.PodDisruptionBudget](t, objs, "PodDisruptionBudget")
	if pdb.Spec.MinAvailable == nil || pdb.Spec.MinAvailable.IntValue() != 1 {
		t.Errorf("PDB minAvailable %v, want 1", pdb.Spec.MinAvailable)
	}
	// Reports (SLO, cost) stay CronJobs; the scheduler runs staging's game days.
	for _, cj := range Find(objs, "CronJob") {
		if cj.GetLabels()["gameday.dev/report"] == "" {
			t.Errorf("CronJob %s: a game day beside the scheduler, which runs staging's game days", cj.GetName())
		}
	}
	if n := len(Find(objs, "CronJob")); n != 2 {
		t.Errorf("%d CronJobs, want the SLO and cost reports'", n)
	}
	for _, env := range []string{"dev", "prod"} {
		for _, o := range mustRender(t, "gameday", env) {
			if o.GetLabels()["app.kubernetes.io/component"] == "scheduler" {
				t.Errorf("%s: %s %s rendered with the scheduler disabled", env, o.GetKind(), o.GetName())
			}
		}
	}
	if _, err := render(t, "gameday", "staging", "scheduler: {enabled: true, schedulesFile: nope.yaml}\n"); err == nil || !strings.Contains(err.Error(), `scheduler.schedulesFile: "nope.yaml" is not in experiments/schedules/`) {
		t.Errorf("a missing schedules file: %v", err)
	}
}

// TestSchedulerLeaseRBAC applies the chart's Lease Role to a real
// kube-apiserver and acts as the chart's ServiceAccount: it may create,
// read and renew its Lease, and nothing else.
func TestSchedulerLeaseRBAC(t *testing.T) {
	s := startAPIServer(t)
	ctx := context.Background()
	objs := mustRender(t, "gameday", "staging")
	role := typed[rbacv1.Role](t, filter(objs, "scheduler-lease"), "Role")
	binding := typed[rbacv1.RoleBinding](t, filter(objs, "scheduler-lease"), "RoleBinding")
	cl := s.Client()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "gameday-lease"}}
	if err := cl.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	role.Namespace, binding.Namespace = ns.Name, ns.Name
	binding.Subjects[0].Namespace = ns.Name
	role.ResourceVersion, binding.ResourceVersion = "", ""
	if err := cl.Create(ctx, role); err != nil {
		t.Fatal(err)
	}
	if err := cl.Create(ctx, binding); err != nil {
		t.Fatal(err)
	}
	cfg := rest.CopyConfig(s.Config())
	cfg.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:" + ns.Name + ":" + binding.Subjects[0].Name,
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + ns.Name, "system:authenticated"}}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	leases := cs.CoordinationV1().Leases(ns.Name)
	holder := "scheduler-0"
	// The apiserver's RBAC authorizer reads Roles and RoleBindings from its
	// informers: a binding just created may not be seen for a moment (on a
	// busy machine, seconds). Forbidden is retried for 30 s; a Role that
	// really lacks the verb still fails, only later.
	var lease *coordinationv1.Lease
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		lease, err = leases.Create(ctx, &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: "gameday-scheduler"}, Spec: coordinationv1.LeaseSpec{HolderIdentity: &holder}}, metav1.CreateOptions{})
		if !apierrors.IsForbidden(err) || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatalf("create the Lease as the ServiceAccount: %v", err)
	}
	if lease, err = leases.Get(ctx, "gameday-scheduler", metav1.GetOptions{}); err != nil {
		t.Fatalf("get: %v", err)
	}
	other := "scheduler-1"
	lease.Spec.HolderIdentity = &other
	if _, err := leases.Update(ctx, lease, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("renew: %v", err)
	}
	// It labels its pod while it leads: patch, and nothing else of pods.
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "gameday-scheduler-0", Namespace: ns.Name},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "scheduler", Image: "ghcr.io/gamedayhq/gameday:test"}}}}
	if err := cl.Create(ctx, pod); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	pods := cs.CoreV1().Pods(ns.Name)
	if _, err := pods.Patch(ctx, pod.Name, types.MergePatchType, []byte(`{"metadata":{"labels":{"gameday.dev/scheduler-leader":"true"}}}`), metav1.PatchOptions{}); err != nil {
		t.Errorf("label its pod: %v", err)
	}
	for what, err := range map[string]error{
		"get a pod":         func() error { _, err := pods.Get(ctx, pod.Name, metav1.GetOptions{}); return err }(),
		"delete a pod":      pods.Delete(ctx, pod.Name, metav1.DeleteOptions{}),
		"get another Lease": func() error { _, err := leases.Get(ctx, "kube-scheduler", metav1.GetOptions{}); return err }(),
		"delete its Lease":  leases.Delete(ctx, "gameday-scheduler", metav1.DeleteOptions{}),
		"list the Leases":   func() error { _, err := leases.List(ctx, metav1.ListOptions{}); return err }(),
		"a Lease elsewhere": func() error {
			_, err := cs.CoordinationV1().Leases("default").Get(ctx, "gameday-scheduler", metav1.GetOptions{})
			return err
		}(),
	} {
		if !apierrors.IsForbidden(err) {
			t.Errorf("%s: %v, want forbidden", what, err)
		}
	}
}

// subset reports whether every label of sel is in labels.
func subset(sel, labels map[string]string) bool {
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// filter keeps the objects whose name contains s.
func filter(objs []Object, s string) []Object {
	var out []Object
	for _, o := range objs {
		if strings.Contains(o.GetName(), s) {
			out = append(out, o)
		}
	}
	return out
}
