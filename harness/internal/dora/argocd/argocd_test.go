package argocd_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/gamedayhq/gameday/harness/internal/dora"
	"github.com/gamedayhq/gameday/harness/internal/dora/argocd"
	"github.com/gamedayhq/gameday/harness/internal/dora/doratest"
	"github.com/gamedayhq/gameday/harness/internal/kube/kubetest"
	"github.com/gamedayhq/gameday/harness/internal/repotest"
)

// chartRules are the rules of the gameday chart's Role for gameday dora
// (helm/gameday/templates/role-dora.yaml: its rules block is plain YAML).
func chartRules(t *testing.T) []rbacv1.PolicyRule {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repotest.Root(t), "helm", "gameday", "templates", "role-dora.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	_, rules, ok := strings.Cut(string(b), "\nrules:\n")
	rules, _, _ = strings.Cut(rules, "{{")
	var out []rbacv1.PolicyRule
	if err := yaml.UnmarshalStrict([]byte(rules), &out); !ok || err != nil || len(out) == 0 {
		t.Fatalf("role-dora.yaml: no rules block: %v", err)
	}
	return out
}

func TestApplicationsOnKubeAPIServer(t *testing.T) {
	kubetest.Need(t)
	env, err := kubetest.StartWith(kubetest.CRDs("argo-cd/application-crd.yaml")...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.Stop() })
	ctx := context.Background()
	for _, ns := range []string{"argocd", "gameday"} {
		if err := env.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Date(2026, 10, 6, 12, 0, 0, 0, time.UTC)
	prod := []dora.HistoryEntry{
		{Revision: "1111111111111111111111111111111111111111", DeployedAt: t0, StartedAt: t0.Add(-time.Minute), InitiatedBy: "alice"},
		{Revision: "2222222222222222222222222222222222222222", DeployedAt: t0.Add(24 * time.Hour), InitiatedBy: "automated"},
	}
	for _, a := range []struct {
		name, env, health string
		h                 []dora.HistoryEntry
	}{{"petclinic-prod", "prod", "Degraded", prod}, {"petclinic-staging", "staging", "Healthy", prod[:1]}, {"gameday-prod", "prod", "Healthy", nil}} {
		if err := env.Client.Create(ctx, doratest.Application("argocd", a.name, a.env, a.h, a.health)); err != nil {
			t.Fatalf("create %s: %v", a.name, err)
		}
	}

	admin, err := argocd.New(env.Config, "")
	if err != nil {
		t.Fatal(err)
	}
	apps, err := admin.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(argocd.Environments(apps), ","); got != "prod,staging" {
		t.Errorf("environments: got %s, want prod,staging", got)
	}
	a, err := argocd.Find(apps, "argocd", "petclinic", "prod", "")
	if err != nil {
		t.Fatal(err)
	}
	d := a.Dora()
	if len(d.History) != 2 || d.History[1].Revision != prod[1].Revision || !d.History[0].DeployedAt.Equal(t0) || !d.History[0].StartedAt.Equal(t0.Add(-time.Minute)) ||
		d.History[0].InitiatedBy != "alice" || d.History[1].InitiatedBy != "automated" || d.History[1].ID != 1 {
		t.Errorf("history: got %+v, want the two entries as created", d.History)
	}
	if d.HealthStatus != "Degraded" || d.SyncStatus != "Synced" || d.SyncRevision != prod[1].Revision || d.HistoryLimit != 50 || d.Path != "helm/petclinic" || d.Environment != "prod" {
		t.Errorf("state: got %+v", d)
	}

	_, err = argocd.Find(apps, "argocd", "petclinic", "qa", "")
	if !errors.Is(err, argocd.ErrUnknownEnvironment) || !strings.Contains(err.Error(), `unknown environment "qa"`) || !strings.Contains(err.Error(), "environments: prod, staging") {
		t.Errorf("unknown environment: got %v", err)
	}
	_, err = argocd.Find(apps, "argocd", "payments", "prod", "")
	if err == nil || !strings.Contains(err.Error(), "no Application payments-prod in argocd for service payments: the Applications of prod are gameday-prod, petclinic-prod") {
		t.Errorf("unknown service: got %v", err)
	}

	// The gameday ServiceAccount with the chart's Role reads them; with
	// less, the error names what is missing.
	const sa = "system:serviceaccount:gameday:gameday-harness"
	c, err := client.New(env.Config, client.Options{}) // client-go's scheme: RBAC
	if err != nil {
		t.Fatal(err)
	}
	bind := func(name string, rules []rbacv1.PolicyRule) {
		t.Helper()
		role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "argocd"}, Rules: rules}
		rb := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "argocd"},
			RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: name},
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "gameday-harness", Namespace: "gameday"}}}
		if err := c.Create(ctx, role); err != nil {
			t.Fatal(err)
		}
		if err := c.Create(ctx, rb); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := env.ServiceAccount("gameday", "gameday-harness")
	if err != nil {
		t.Fatal(err)
	}
	asSA, err := argocd.New(cfg, "argocd")
	if err != nil {
		t.Fatal(err)
	}
	_, err = asSA.List(ctx)
	if !errors.Is(err, argocd.ErrNoAccess) || !strings.Contains(err.Error(), sa+" may not get, list applications.argoproj.io in namespace argocd") {
		t.Errorf("no role: got %v, want the missing get, list named", err)
	}
	bind("only-get", []rbacv1.PolicyRule{{APIGroups: []string{"argoproj.io"}, Resources: []string{"applications"}, Verbs: []string{"get"}}})
	waitFor(t, func() bool {
		_, err = asSA.List(ctx)
		return err != nil && strings.Contains(err.Error(), sa+" may not list applications.argoproj.io")
	})
	if !strings.Contains(err.Error(), "may not list applications") {
		t.Errorf("get only: got %v, want the missing list named", err)
	}
	bind("gameday-dora-argocd", chartRules(t))
	waitFor(t, func() bool { apps, err = asSA.List(ctx); return err == nil })
	if err != nil || len(apps) != 3 {
		t.Fatalf("with the chart's Role: got %d applications, %v", len(apps), err)
	}
	// The Role grants nothing else: not even watch, nor another namespace.
	other, _ := argocd.New(cfg, "gameday")
	if _, err := other.List(ctx); !errors.Is(err, argocd.ErrNoAccess) {
		t.Errorf("another namespace: got %v, want no access", err)
	}
}

// waitFor polls cond for up to 10 s (RBAC changes reach the authorizer
// through its informer).
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if cond() {
			return
		}
	}
}
