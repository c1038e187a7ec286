package kubetest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/gamedayhq/gameday/harness/internal/kube"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// App is PetClinic installed as helm/petclinic installs it in staging and
// production, on the control plane: a Deployment whose pods spread over the
// zones (maxSkew 1, DoNotSchedule; over nodes, ScheduleAnyway) with the
// chart's selector labels, and a PodDisruptionBudget. The scheduler places
// the pods, kwok makes them Running and Ready, the Deployment controller
// replaces the ones that go.
type App struct {
	Namespace string
	// NamespaceLabels label the namespace (e.g. environment: production).
	NamespaceLabels map[string]string
	// NoInjectAnnotation leaves out the namespace's annotation
	// chaos-mesh.org/inject=enabled, without which Chaos Mesh (run with
	// enableFilterNamespace, as ours) ignores the namespace.
	NoInjectAnnotation bool
	// Replicas of PetClinic (default 3).
	Replicas int32
	// PDB, when set, is the budget's minAvailable; MaxUnavailable, when
	// set, its maxUnavailable instead (the chart's production setting).
	PDB, MaxUnavailable *intstr.IntOrString
	// NodeSelector pins PetClinic's pods (e.g. to one zone: a Deployment
	// that is not spread).
	NodeSelector map[string]string
	// Extra are more single-replica Deployments (name → pod labels): the
	// Redis and MariaDB of the network experiments.
	Extra map[string]map[string]string
}

// AppLabels are the pod labels of the chart's PetClinic (its selector
// labels, release petclinic).
func AppLabels() map[string]string {
	return map[string]string{"app.kubernetes.io/name": "petclinic", "app.kubernetes.io/instance": "petclinic"}
}

// Deploy creates app's namespace, Deployments and budget, and waits until
// every replica is ready.
func Deploy(ctx context.Context, c client.Client, app App) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: app.Namespace, Labels: app.NamespaceLabels}}
	if !app.NoInjectAnnotation {
		ns.Annotations = map[string]string{kube.AnnotationChaosInject: "enabled"}
	}
	if err := c.Create(ctx, ns); err != nil {
		return fmt.Errorf("namespace: %w", err)
	}
	if app.Replicas == 0 {
		app.Replicas = 3
	}
	deps := []*appsv1.Deployment{petclinicDeployment(app)}
	for _, name := range slices.Sorted(maps.Keys(app.Extra)) {
		deps = append(deps, deployment(app.Namespace, name, 1, app.Extra[name], "example/"+name))
	}
	for _, d := range deps {
		if err := c.Create(ctx, d); err != nil {
			return fmt.Errorf("deployment %s: %w", d.Name, err)
		}
	}
	if app.PDB != nil || app.MaxUnavailable != nil {
		pdb := &policyv1.PodDisruptionBudget{
			ObjectMeta: metav1.ObjectMeta{Name: "petclinic", Namespace: app.Namespace},
			Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: app.PDB, MaxUnavailable: app.MaxUnavailable,
				Selector: &metav1.LabelSelector{MatchLabels: AppLabels()}},
		}
		if app.MaxUnavailable != nil {
			pdb.Spec.MinAvailable = nil
		}
		if err := c.Create(ctx, pdb); err != nil {
			return fmt.Errorf("pdb: %w", err)
		}
	}
	for _, d := range deps {
		if err := WaitAvailable(ctx, c, d.Namespace, d.Name, time.Minute); err != nil {
			return err
		}
	}
	return nil
}

func petclinicDeployment(app App) *appsv1.Deployment {
	d := deployment(app.Namespace, "petclinic", app.Replicas, AppLabels(), "ghcr.io/gamedayhq/petclinic:test")
	sel := &metav1.LabelSelector{MatchLabels: AppLabels()}
	d.Spec.Template.Spec.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{
		{TopologyKey: spec.ZoneLabel, MaxSkew: 1, WhenUnsatisfiable: corev1.DoNotSchedule, LabelSelector: sel, MatchLabelKeys: []string{"pod-template-hash"}},
		{TopologyKey: "kubernetes.io/hostname", MaxSkew: 1, WhenUnsatisfiable: corev1.ScheduleAnyway, LabelSelector: sel, MatchLabelKeys: []string{"pod-template-hash"}},
	}
	d.Spec.Template.Spec.NodeSelector = app.NodeSelector
	return d
}

func deployment(ns, name string, replicas int32, labels map[string]string, image string) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					Containers:                    []corev1.Container{{Name: name, Image: image}},
					TerminationGracePeriodSeconds: ptr.To[int64](0),
				},
			},
		},
	}
}

// WaitAvailable waits until Deployment ns/name has all its replicas
// updated, ready and available, as its controller reports them.
func WaitAvailable(ctx context.Context, c client.Client, ns, name string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d appsv1.Deployment
	for {
		err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &d)
		if err == nil && d.Status.ObservedGeneration >= d.Generation && d.Spec.Replicas != nil {
			want := *d.Spec.Replicas
			st := d.Status
			if st.Replicas == want && st.UpdatedReplicas == want && st.ReadyReplicas == want && st.AvailableReplicas == want {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			if err != nil {
				return fmt.Errorf("deployment %s/%s: %w", ns, name, err)
			}
			return fmt.Errorf("deployment %s/%s not available after %s: status %+v", ns, name, timeout, d.Status)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// ReadyPods are the ready pods of ns matching labels, not being deleted,
// by name.
func ReadyPods(ctx context.Context, c client.Client, ns string, labels map[string]string) ([]corev1.Pod, error) {
	var pods corev1.PodList
	if err := c.List(ctx, &pods, client.InNamespace(ns), client.MatchingLabels(labels)); err != nil {
		return nil, err
	}
	var out []corev1.Pod
	for _, p := range pods.Items {
		if p.DeletionTimestamp == nil && PodReady(&p) {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b corev1.Pod) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// PodReady says whether pod p's Ready condition is True.
func PodReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
