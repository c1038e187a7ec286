package kubetest_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/gamedayhq/gameday/harness/internal/kube/kubetest"
)

// TestIndexedJobPodsRunAsProcesses: the pods the Job controller creates for
// an indexed Job of an image the control plane runs are scheduled, made
// Running by kwok and run as local processes with the Job's index in their
// environment (the downward API); their output comes back through the API
// server's pods/log (follow ends when the process ends); their exit codes
// become the pods' phases, which the Job controller counts.
func TestIndexedJobPodsRunAsProcesses(t *testing.T) {
	kubetest.NeedControlPlane(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	ns := "indexed-job"
	if err := cp.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	const image = "example.com/indexed-worker:test"
	cp.RunImage(image, kubetest.Image{Path: "/bin/sh"})
	cs, err := kubernetes.NewForConfig(cp.Config)
	if err != nil {
		t.Fatal(err)
	}

	for name, tc := range map[string]struct {
		script            string
		succeeded, failed int32
		wantLogs          []string // by index
	}{
		"every worker succeeds": {
			script:    `echo "worker $JOB_COMPLETION_INDEX on $NODE"; sleep 1; echo "worker $JOB_COMPLETION_INDEX done"`,
			succeeded: 2,
			wantLogs:  []string{"worker 0 on ip-10-0-", "worker 0 done\n"},
		},
		"worker 1 dies": {
			script:    `echo "worker $JOB_COMPLETION_INDEX"; sleep 1; exit $JOB_COMPLETION_INDEX`,
			succeeded: 1, failed: 1,
			wantLogs: []string{"worker 0\n"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			job := indexedJob(ns, strings.ReplaceAll(strings.ToLower(name), " ", "-"), image, tc.script)
			if err := cp.Client.Create(ctx, job); err != nil {
				t.Fatal(err)
			}
			pods := awaitJobPods(ctx, t, job, 2)
			for _, p := range pods {
				if p.Annotations[batchv1.JobCompletionIndexAnnotation] != "0" {
					continue
				}
				// Follow worker 0's log from the start: it ends when the
				// process ends.
				s, err := cs.CoreV1().Pods(ns).GetLogs(p.Name, &corev1.PodLogOptions{Container: "worker", Follow: true}).Stream(ctx)
				if err != nil {
					t.Fatalf("logs of %s: %v", p.Name, err)
				}
				b, err := io.ReadAll(s)
				_ = s.Close()
				if err != nil {
					t.Fatalf("read the logs of %s: %v", p.Name, err)
				}
				for _, want := range tc.wantLogs {
					if !strings.Contains(string(b), want) {
						t.Errorf("logs of worker 0: %q, want %q in them", b, want)
					}
				}
			}
			for {
				var got batchv1.Job
				if err := cp.Client.Get(ctx, client.ObjectKeyFromObject(job), &got); err != nil {
					t.Fatal(err)
				}
				if got.Status.Succeeded == tc.succeeded && got.Status.Failed == tc.failed {
					break
				}
				if ctx.Err() != nil {
					t.Fatalf("job status: %d succeeded, %d failed, want %d and %d", got.Status.Succeeded, got.Status.Failed, tc.succeeded, tc.failed)
				}
				time.Sleep(100 * time.Millisecond)
			}
		})
	}

	// A container of an image the control plane does not run has no logs
	// (kwok runs no container).
	other := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "not-run", Namespace: ns},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "example.com/not-run:test"}}}}
	if err := cp.Client.Create(ctx, other); err != nil {
		t.Fatal(err)
	}
	for other.Status.Phase != corev1.PodRunning {
		if err := cp.Client.Get(ctx, client.ObjectKeyFromObject(other), other); err != nil || ctx.Err() != nil {
			t.Fatalf("pod not-run: %v, phase %q", err, other.Status.Phase)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// (The API server passes on the kubelet's status, not its message.)
	_, err = cs.CoreV1().Pods(ns).GetLogs(other.Name, &corev1.PodLogOptions{}).DoRaw(ctx)
	if !apierrors.IsBadRequest(err) {
		t.Errorf("logs of a pod whose image does not run here: %v, want 400 Bad Request", err)
	}
}

func indexedJob(ns, name, image, script string) *batchv1.Job {
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: batchv1.JobSpec{
			CompletionMode: ptr.To(batchv1.IndexedCompletion),
			Completions:    ptr.To[int32](2), Parallelism: ptr.To[int32](2),
			BackoffLimitPerIndex: ptr.To[int32](0), MaxFailedIndexes: ptr.To[int32](2),
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				RestartPolicy: corev1.RestartPolicyNever,
				Containers: []corev1.Container{{Name: "worker", Image: image, Args: []string{"-c", script},
					Env: []corev1.EnvVar{{Name: "NODE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.nodeName"}}}}}},
			}},
		},
	}
}

// awaitJobPods waits until job has n running pods and returns them (as
// the harness does before it reads their logs: a pod not bound to a node
// yet has an empty log).
func awaitJobPods(ctx context.Context, t *testing.T, job *batchv1.Job, n int) []corev1.Pod {
	t.Helper()
	for {
		var pods corev1.PodList
		err := cp.Client.List(ctx, &pods, client.InNamespace(job.Namespace), client.MatchingLabels{batchv1.JobNameLabel: job.Name})
		running := 0
		for _, p := range pods.Items {
			if p.Status.Phase == corev1.PodRunning {
				running++
			}
		}
		if err == nil && running == n {
			return pods.Items
		}
		if ctx.Err() != nil {
			t.Fatalf("pods of job %s: %v, %d of %d", job.Name, err, len(pods.Items), n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
