package promote_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/gamedayhq/gameday/harness/internal/dora"
	"github.com/gamedayhq/gameday/harness/internal/dora/argocd"
	"github.com/gamedayhq/gameday/harness/internal/dora/doratest"
	"github.com/gamedayhq/gameday/harness/internal/kube/kubetest"
	"github.com/gamedayhq/gameday/harness/internal/promote"
)

// Wait on a real kube-apiserver with Argo CD's upstream Application CRD;
// the test writes the status Argo CD's controller would (it cannot run
// here): progressing on the old image, then synced and healthy on the new.
func TestWaitOnKubeAPIServer(t *testing.T) {
	kubetest.Need(t)
	env, err := kubetest.StartWith(kubetest.CRDs("argo-cd/application-crd.yaml")...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.Stop() })
	ctx := context.Background()
	if err := env.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "argocd"}}); err != nil {
		t.Fatal(err)
	}
	const repo = "ghcr.io/gamedayhq/petclinic"
	old, promoted := repo+"@"+digestA, repo+"@"+digestB
	t0 := time.Now().Add(-time.Hour)
	app := doratest.Application("argocd", "petclinic-staging", "staging", []dora.HistoryEntry{{Revision: strings.Repeat("1", 40), DeployedAt: t0}}, "Healthy")
	setStatus(app, "Synced", "Progressing", "Running", old)
	if err := env.Client.Create(ctx, app); err != nil {
		t.Fatal(err)
	}
	apps, err := argocd.New(env.Config, "argocd")
	if err != nil {
		t.Fatal(err)
	}

	t.Run("synced and healthy on the promoted image", func(t *testing.T) {
		go func() {
			time.Sleep(700 * time.Millisecond)
			update(t, env.Client, "petclinic-staging", func(u *unstructured.Unstructured) { setStatus(u, "Synced", "Healthy", "Succeeded", promoted) })
		}()
		var log bytes.Buffer
		st, err := promote.Wait(ctx, promote.WaitConfig{Apps: apps, Application: "petclinic-staging", Image: promoted, Timeout: 20 * time.Second, Interval: 100 * time.Millisecond, Log: &log})
		if err != nil || !st.Ready(promoted) {
			t.Fatalf("%+v, %v\n%s", st, err, log.String())
		}
		if !strings.Contains(log.String(), "health Progressing") || !strings.Contains(log.String(), "health Healthy") {
			t.Errorf("log does not show the states it went through:\n%s", log.String())
		}
		t.Logf("\n%s", log.String())
	})

	t.Run("never on the image: not healthy at the timeout, with the last state", func(t *testing.T) {
		other := repo + ":sha-999"
		_, err := promote.Wait(ctx, promote.WaitConfig{Apps: apps, Application: "petclinic-staging", Image: other, Timeout: time.Second, Interval: 100 * time.Millisecond})
		if !errors.Is(err, promote.ErrNotHealthy) || !strings.Contains(err.Error(), "health Healthy") || !strings.Contains(err.Error(), "want Synced, Healthy and "+other) {
			t.Errorf("err %v", err)
		}
	})

	t.Run("degraded: not healthy", func(t *testing.T) {
		update(t, env.Client, "petclinic-staging", func(u *unstructured.Unstructured) { setStatus(u, "Synced", "Degraded", "Succeeded", promoted) })
		_, err := promote.Wait(ctx, promote.WaitConfig{Apps: apps, Application: "petclinic-staging", Image: promoted, Timeout: time.Second, Interval: 100 * time.Millisecond})
		if !errors.Is(err, promote.ErrNotHealthy) || !strings.Contains(err.Error(), "health Degraded") {
			t.Errorf("err %v", err)
		}
	})

	t.Run("an identity that may not read Applications is told at once", func(t *testing.T) {
		cfg, err := env.User("ci-nobody")
		if err != nil {
			t.Fatal(err)
		}
		nobody, err := argocd.New(cfg, "argocd")
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err = promote.Wait(ctx, promote.WaitConfig{Apps: nobody, Application: "petclinic-staging", Image: promoted, Timeout: 10 * time.Second, Interval: 100 * time.Millisecond})
		if !errors.Is(err, argocd.ErrNoAccess) || time.Since(start) > 5*time.Second {
			t.Errorf("err %v after %s", err, time.Since(start))
		}
	})

	t.Run("an unknown Application times out naming the read that failed", func(t *testing.T) {
		_, err := promote.Wait(ctx, promote.WaitConfig{Apps: apps, Application: "petclinic-qa", Image: promoted, Timeout: 500 * time.Millisecond, Interval: 100 * time.Millisecond})
		if !errors.Is(err, promote.ErrNotHealthy) || !strings.Contains(err.Error(), "no Application petclinic-qa in argocd") {
			t.Errorf("err %v", err)
		}
	})
}

// setStatus writes what Argo CD's controller would into u's status.
func setStatus(u *unstructured.Unstructured, sync, health, phase, image string) {
	st := u.Object["status"].(map[string]any)
	st["sync"].(map[string]any)["status"] = sync
	st["health"] = map[string]any{"status": health}
	st["operationState"] = map[string]any{"phase": phase, "operation": map[string]any{"sync": map[string]any{}}, "startedAt": "2026-12-01T10:00:00Z"}
	st["summary"] = map[string]any{"images": []any{image}}
}

func update(t *testing.T, c client.Client, name string, f func(*unstructured.Unstructured)) {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("argoproj.io/v1alpha1")
	u.SetKind("Application")
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: "argocd", Name: name}, u); err != nil {
		t.Error(err)
		return
	}
	f(u)
	if err := c.Update(context.Background(), u); err != nil {
		t.Error(err)
	}
}
