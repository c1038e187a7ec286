package validate

import (
	"context"
	"errors"
	"fmt"
	"k8s.io/client-go/rest"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
)

// CRDSources are the folders of $GAMEDAY_CRDS (scripts/envtest.sh) whose
// upstream CRDs the API server gets.
var CRDSources = []string{"prometheus-operator", "external-secrets", "argo-cd", "chaos-mesh"}

// ErrNoAPIServer means KUBEBUILDER_ASSETS or GAMEDAY_CRDS is not set: run
// `eval "$(scripts/envtest.sh)"` first.
var ErrNoAPIServer = errors.New(`KUBEBUILDER_ASSETS and GAMEDAY_CRDS are not set (run: eval "$(scripts/envtest.sh)")`)

// APIServer is a real etcd + kube-apiserver with the upstream CRDs, for
// server-side dry-run.
type APIServer struct {
	env *envtest.Environment
	c   client.Client
	// CRDs is how many CustomResourceDefinitions were installed.
	CRDs int
}

// StartAPIServer starts envtest from KUBEBUILDER_ASSETS with the CRDs of
// $GAMEDAY_CRDS/<CRDSources>.
func StartAPIServer() (*APIServer, error) {
	assets, crds := os.Getenv("KUBEBUILDER_ASSETS"), os.Getenv("GAMEDAY_CRDS")
	if assets == "" || crds == "" {
		return nil, ErrNoAPIServer
	}
	var paths []string
	for _, s := range CRDSources {
		p := filepath.Join(crds, s)
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("CRDs of %s: %w (run scripts/envtest.sh crds)", s, err)
		}
		paths = append(paths, p)
	}
	// controller-runtime logs nothing we use; without a logger it warns.
	logf.SetLogger(logr.Discard())
	env := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDInstallOptions:     envtest.CRDInstallOptions{Paths: paths, ErrorIfPathMissing: true},
	}
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("start kube-apiserver (envtest, %s): %w", assets, err)
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme.Scheme})
	if err != nil {
		_ = env.Stop()
		return nil, err
	}
	return &APIServer{env: env, c: c, CRDs: len(env.CRDs)}, nil
}

// Stop stops kube-apiserver and etcd.
func (s *APIServer) Stop() error { return s.env.Stop() }

// Config is the API server's admin connection (for tests).
func (s *APIServer) Config() *rest.Config { return s.env.Config }

// Client is a client of the API server (for tests).
func (s *APIServer) Client() client.Client { return s.c }

// DryRun creates each object with dryRun=All and strict field validation:
// the API server runs its schema (built-in and CRD OpenAPI), defaulting and
// admission, and stores nothing. Namespaces the objects live in (and their
// default ServiceAccount) are created for real first, as a cluster has them.
// It returns one error per rejected object, naming its source.
func (s *APIServer) DryRun(ctx context.Context, objs []Object) []error {
	var errs []error
	namespaces := map[string]bool{}
	for _, o := range objs {
		if o.GetKind() == "Namespace" && o.GetAPIVersion() == "v1" {
			namespaces[o.GetName()] = true
		}
		if ns := o.GetNamespace(); ns != "" {
			namespaces[ns] = true
		}
	}
	names := make([]string, 0, len(namespaces))
	for ns := range namespaces {
		names = append(names, ns)
	}
	sort.Strings(names)
	for _, ns := range names {
		if err := s.ensureNamespace(ctx, ns); err != nil {
			errs = append(errs, err)
		}
	}
	for _, o := range objs {
		if o.GetKind() == "Namespace" && o.GetAPIVersion() == "v1" {
			continue // created above
		}
		obj := o.DeepCopy()
		err := s.c.Create(ctx, obj, client.DryRunAll, client.FieldValidation(metav1.FieldValidationStrict))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %s: %w", o.Source, o.Ref(), err))
		}
	}
	return errs
}

func (s *APIServer) ensureNamespace(ctx context.Context, name string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := s.c.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("namespace %s: %w", name, err)
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: name}}
	if err := s.c.Create(ctx, sa); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("namespace %s: default ServiceAccount: %w", name, err)
	}
	return nil
}

// Summary counts objects by kind: "Deployment=1 Service=1".
func Summary(objs []Object) string {
	n := map[string]int{}
	for _, o := range objs {
		n[o.GetKind()]++
	}
	kinds := make([]string, 0, len(n))
	for k := range n {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = fmt.Sprintf("%s=%d", k, n[k])
	}
	return strings.Join(parts, " ")
}
