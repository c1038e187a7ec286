package kube_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/gamedayhq/gameday/harness/internal/cli"
	"github.com/gamedayhq/gameday/harness/internal/kube"
	"github.com/gamedayhq/gameday/harness/internal/kube/kubetest"
)

// leftovers creates, in a new namespace ns, what a killed run leaves: one
// labelled PodChaos and one labelled load Job, plus an unlabelled PodChaos
// that cleanup must not touch.
func leftovers(t *testing.T, ctx context.Context, ns string) { leftoversOf(t, ctx, ns, "run-x") }

// leftoversOf is leftovers of the run runID.
func leftoversOf(t *testing.T, ctx context.Context, ns, runID string) {
	t.Helper()
	c := env.Client
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	ours := map[string]string{kube.LabelManagedBy: kube.ManagedBy, kube.LabelRunID: runID, kube.LabelExperiment: "pod-kill", kube.LabelFault: "kill-one"}
	for name, l := range map[string]map[string]string{"ours": ours, "theirs": {"owner": "someone-else"}} {
		pc := &v1alpha1.PodChaos{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: l},
			Spec: v1alpha1.PodChaosSpec{Action: v1alpha1.PodKillAction, ContainerSelector: v1alpha1.ContainerSelector{
				PodSelector: v1alpha1.PodSelector{Mode: v1alpha1.OneMode, Selector: v1alpha1.PodSelectorSpec{GenericSelectorSpec: v1alpha1.GenericSelectorSpec{
					Namespaces: []string{ns}, LabelSelectors: map[string]string{"app": "petclinic"}}}}}}}
		if err := c.Create(ctx, pc); err != nil {
			t.Fatal(err)
		}
	}
	job := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "load-pod-kill-1", Namespace: ns, Labels: ours},
		Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever,
			Containers: []corev1.Container{{Name: "load", Image: "ghcr.io/gamedayhq/gameday:test"}}}}}}
	if err := c.Create(ctx, job); err != nil {
		t.Fatal(err)
	}
}

// TestCleanupAllNamespaces: gameday cleanup --all-namespaces deletes our
// objects and load Jobs in every namespace of --allow-namespace (names,
// and patterns matched against the cluster's namespaces), and nothing
// else.
func TestCleanupAllNamespaces(t *testing.T) {
	t.Parallel() // each test has its own namespaces
	kubetest.Need(t)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	for _, ns := range []string{"cleanup-a", "cleanup-b1", "cleanup-b2", "cleanup-other"} {
		leftovers(t, ctx, ns)
	}
	var out, errOut bytes.Buffer
	err := cli.Run(ctx, []string{"gameday", "cleanup", "--target", "kubernetes", "--kubeconfig", kubeconfig(t), "--all-namespaces",
		"--allow-namespace", "cleanup-a,cleanup-b*"}, strings.NewReader(""), &out, &errOut)
	if err != nil {
		t.Fatalf("cleanup: %v\n%s", err, errOut.String())
	}
	t.Logf("cleanup said:\n%s", out.String())
	for _, ns := range []string{"cleanup-a", "cleanup-b1", "cleanup-b2"} {
		for _, want := range []string{"deleted PodChaos/" + ns + "/ours (run run-x, experiment pod-kill, fault kill-one)", "deleted Job/" + ns + "/load-pod-kill-1"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("cleanup did not say %q", want)
			}
		}
	}
	for ns, want := range map[string][]string{"cleanup-a": {"theirs"}, "cleanup-b1": {"theirs"}, "cleanup-b2": {"theirs"}, "cleanup-other": {"ours", "theirs"}} {
		objs, err := kube.Items(ctx, env.Client, ns, nil)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, o := range objs {
			if o.GetDeletionTimestamp() == nil {
				names = append(names, o.GetName())
			}
		}
		slices.Sort(names)
		if !slices.Equal(names, want) {
			t.Errorf("namespace %s: chaos objects %q left, want %q", ns, names, want)
		}
	}
	var jobs batchv1.JobList
	if err := env.Client.List(ctx, &jobs, client.InNamespace("cleanup-other")); err != nil || len(jobs.Items) != 1 {
		t.Errorf("cleanup-other: %d Jobs (%v), want its Job untouched", len(jobs.Items), err)
	}
}
