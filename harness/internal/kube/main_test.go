package kube_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/gamedayhq/gameday/harness/internal/kube"
	"github.com/gamedayhq/gameday/harness/internal/kube/kubetest"
)

// env is the API server every test of this package shares (nil when
// KUBEBUILDER_ASSETS is not set: the tests then skip, or fail under CI).
var env *kubetest.Env

func TestMain(m *testing.M) {
	if kubetest.Missing() == "" {
		var err error
		if env, err = kubetest.Start(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Fprintf(os.Stderr, "envtest: kube-apiserver and etcd with the Chaos Mesh CRDs started in %s\n", env.Started.Round(time.Millisecond))
	}
	code := m.Run()
	if env != nil {
		env.Stop()
	}
	os.Exit(code)
}

// Zones of the test clusters, as EKS names them.
var zones = []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"}

func minAvailable(n int) *intstr.IntOrString { v := intstr.FromInt32(int32(n)); return &v }

// petclinic builds a healthy PetClinic in namespace ns: two ready replicas
// in each of the three zones, a PDB with minAvailable 3, Redis and MariaDB.
func petclinic(ns string) kubetest.Cluster {
	return kubetest.Cluster{
		Namespace: ns, Zones: zones, PerZone: 2, PDB: minAvailable(3),
		Extra: map[string]map[string]string{"redis-0": {"app": "redis"}, "mariadb-0": {"app": "mariadb"}},
	}
}

// build builds cl, failing t on error.
func build(t *testing.T, cl kubetest.Cluster) {
	t.Helper()
	kubetest.Need(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := kubetest.Build(ctx, env.Client, cl); err != nil {
		t.Fatalf("build cluster %s: %v", cl.Namespace, err)
	}
}

// newEngine is an engine on namespace ns as the admin.
func newEngine(t *testing.T, ns string, mod ...func(*kube.Config)) *kube.Engine {
	t.Helper()
	return kubetest.Engine(t, env.Config, ns, 20*time.Millisecond, mod...)
}
