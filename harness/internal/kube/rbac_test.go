package kube_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/gamedayhq/gameday/harness/internal/engine"
	"github.com/gamedayhq/gameday/harness/internal/kube"
	"github.com/gamedayhq/gameday/harness/internal/kube/kubetest"
)

const rbacDir = "../../deploy/rbac"

// TestShippedRBAC applies deploy/rbac/ as shipped and runs the engine as
// the service account gameday/gameday (a client certificate with its user
// name and groups; the API server authorizes with RBAC): a whole fault
// lifecycle and cleanup succeed in petclinic, and the same engine is
// denied in a namespace the Role does not cover, as are writes outside
// its purpose. Stand-in (kubetest.Controller): the rights are the point
// here; the real controller's run as this account, its security mode
// checking them, is e2e's TestZoneOutageAsTheShippedServiceAccount.
func TestShippedRBAC(t *testing.T) {
	t.Parallel() // each test has its own namespace
	kubetest.Need(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	build(t, petclinic("petclinic"))
	build(t, petclinic("payments"))
	if err := env.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "gameday"}}); err != nil {
		t.Fatal(err)
	}
	created, err := kubetest.Apply(ctx, env.Client, rbacDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("applied %s", strings.Join(created, ", "))
	startController(t, &kubetest.Controller{Namespaces: []string{"petclinic", "payments"}})

	saCfg, err := env.ServiceAccount("gameday", "gameday-harness")
	if err != nil {
		t.Fatal(err)
	}
	sa, err := kube.NewClient(saCfg)
	if err != nil {
		t.Fatal(err)
	}
	asSA := func(ns string) *kube.Engine {
		e, err := kube.New(kube.Config{Client: sa, RESTConfig: saCfg, Namespace: ns, Allowed: []string{"petclinic", "payments"}, Poll: 20 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}

	x := experiment(t, "zone-outage")
	e := asSA("petclinic")
	s, _, err := e.Prepare(ctx, "rbac-run", x)
	if err != nil {
		t.Fatalf("as the service account in petclinic: Prepare: %v", err)
	}
	in, err := s.Inject(ctx, x.Spec.Faults[0])
	if err != nil {
		t.Fatalf("Inject: %v", err)
	}
	if _, err := s.Observe(ctx); err != nil {
		t.Errorf("Observe: %v", err)
	}
	if err := s.Abort(ctx, in); err != nil {
		t.Errorf("Abort: %v", err)
	}
	if _, err := e.Cleanup(ctx, ""); err != nil {
		t.Errorf("Cleanup: %v", err)
	}
	job, err := kube.LoadJob(kube.JobConfig{Namespace: "petclinic", RunID: "rbac-run", Experiment: x.Metadata.Name, Image: "gameday:test",
		Workers: 2, Target: "http://petclinic:8080", Load: x.Spec.Load, StartAt: time.Now().Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if err := sa.Create(ctx, job); err != nil {
		t.Errorf("create the load Job: %v", err)
	}
	did, err := e.Cleanup(ctx, "rbac-run")
	if err != nil || len(did) != 1 || !strings.HasPrefix(did[0], "deleted Job/petclinic/load-") {
		t.Errorf("Cleanup of the load Job: %q, %v", did, err)
	}

	// A zone's instances, their credentials in a Secret: the service
	// account may not read Secrets, so preflight says it did not check.
	az := experiment(t, "az-outage")
	inNamespace(az, "petclinic")
	az.Spec.Faults[0].Spec.Object().(*v1alpha1.AWSChaos).Spec.SecretName = new("aws-chaos")
	_, pf, err := e.Prepare(ctx, "rbac-az", az)
	if err != nil {
		t.Fatalf("as the service account: Prepare of az-outage: %v", err)
	}
	if i := slices.IndexFunc(pf.Checks, func(c engine.Check) bool { return c.Name == kube.CheckCloud }); i < 0 ||
		!strings.Contains(pf.Checks[i].Detail, "Secret petclinic/aws-chaos not checked (this identity may not read Secrets") {
		t.Errorf("as the service account: checks %+v, want the Secret not checked", pf.Checks)
	}

	// Outside its namespace: denied, and preflight says so.
	_, _, err = asSA("payments").Prepare(ctx, "rbac-run", x)
	if err == nil || !strings.Contains(err.Error(), "forbidden") {
		t.Errorf("as the service account in payments: Prepare: %v, want forbidden", err)
	}
	pc := &v1alpha1.PodChaos{ObjectMeta: metav1.ObjectMeta{Name: "nope", Namespace: "payments"},
		Spec: v1alpha1.PodChaosSpec{Action: v1alpha1.PodKillAction, ContainerSelector: v1alpha1.ContainerSelector{PodSelector: v1alpha1.PodSelector{Mode: v1alpha1.OneMode}}}}
	denied := map[string]error{
		"create PodChaos in payments":        sa.Create(ctx, pc),
		"delete the Deployment of petclinic": sa.Delete(ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "petclinic", Namespace: "petclinic"}}),
		"list Secrets in petclinic":          sa.List(ctx, &corev1.SecretList{}, client.InNamespace("petclinic")),
		"engage the kill switch":             sa.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "gameday-kill-switch", Namespace: "gameday"}}),
		"delete a node":                      sa.Delete(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: kubetest.NodeName(zones[0])}}),
	}
	for _, what := range slices.Sorted(maps.Keys(denied)) {
		if err := denied[what]; !apierrors.IsForbidden(err) {
			t.Errorf("as the service account: %s: %v, want forbidden", what, err)
		}
	}
}
