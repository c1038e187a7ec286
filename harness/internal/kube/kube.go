// Package kube is the Kubernetes engine: the faults of an experiment become
// Chaos Mesh objects (typed chaos-mesh api/v1alpha1 structs, written through
// a controller-runtime client) in the namespace of a PetClinic Deployment.
//
//   - Every object carries our labels (managed-by gameday, run id,
//     experiment, fault) and a duration, so that Chaos Mesh recovers the
//     fault even if the harness dies, and `gameday cleanup` finds it.
//   - Inject creates the object and waits until Chaos Mesh confirms it:
//     condition AllInjected True, the injection time being the earliest
//     Succeeded Apply event of status.experiment.containerRecords. Without
//     a confirmation within InjectTimeout the object is deleted and Inject
//     fails (the run is inconclusive, exit 3); so it does at once, after a
//     grace of FailGrace, when Chaos Mesh says it cannot inject (condition
//     Selected False: no pod matches; a Failed Apply event), with Chaos
//     Mesh's message.
//   - Recover deletes the object (Chaos Mesh recovers behind its
//     finalizer) and waits until it is gone. Abort first sets the pause
//     annotation (experiment.chaos-mesh.org/pause), then deletes.
//   - Selectors written for the sandbox run unchanged: the pod label
//     topology.kubernetes.io/zone becomes a node selector (pods do not carry
//     their zone on Kubernetes, nodes do), its value mapped from the
//     sandbox's zone-a/b/c onto the cluster's zones; the target's pod labels
//     (app: petclinic) become the Deployment's own pod selector.
//   - Preflight refuses a namespace outside the allowlist, labelled as
//     production, or (unless NoFilterNamespace) without the annotation
//     chaos-mesh.org/inject=enabled that a Chaos Mesh filtering namespaces
//     needs (exit 2), a Deployment whose ready replicas do not span
//     enough zones or that has no PodDisruptionBudget allowing the planned
//     disruption (exit 4), and reports the Chaos Mesh CRDs, the Deployment
//     and the kill switch.
package kube

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sync"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	"github.com/go-logr/logr"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// Labels and annotations on every object the harness creates.
const (
	LabelManagedBy  = "app.kubernetes.io/managed-by"
	ManagedBy       = "gameday"
	LabelRunID      = "gameday.dev/run-id"
	LabelExperiment = "gameday.dev/experiment"
	LabelFault      = "gameday.dev/fault"
	// AnnotationRunID holds the run id as given (a label value is capped at
	// 63 characters).
	AnnotationRunID = "gameday.dev/run-id"
	// AnnotationChaosInject=enabled on a namespace lets a Chaos Mesh
	// installed with controllerManager.enableFilterNamespace inject there;
	// it ignores the other namespaces.
	AnnotationChaosInject = "chaos-mesh.org/inject"
	// FinalizerChaosMesh is the finalizer Chaos Mesh puts on every chaos
	// object until it has recovered its targets.
	FinalizerChaosMesh = "chaos-mesh/records"
)

// Defaults of a Config.
const (
	DefaultInjectTimeout  = 60 * time.Second
	DefaultRecoverTimeout = 30 * time.Second
	DefaultProdLabel      = "environment=production"
	DefaultKillSwitch     = "gameday/gameday-kill-switch"
	DefaultPoll           = 250 * time.Millisecond
	DefaultFailGrace      = 5 * time.Second
)

// EnvAllowedNamespaces is the default namespace allowlist (comma separated
// patterns, path.Match syntax).
const EnvAllowedNamespaces = "GAMEDAY_ALLOWED_NAMESPACES"

// ErrRefused is wrapped by every preflight refusal.
var ErrRefused = errors.New("refused")

// Config is one Kubernetes target.
type Config struct {
	// Client talks to the cluster (with Scheme()); RESTConfig is kept for
	// what a controller-runtime client cannot do (pod logs).
	Client     client.Client
	RESTConfig *rest.Config
	// Namespace, Deployment and Selector (the pod labels experiments name,
	// default app: petclinic) of PetClinic.
	Namespace, Deployment string
	Selector              map[string]string
	// Allowed are the namespaces faults may touch, as path.Match patterns.
	// Empty refuses every namespace.
	Allowed []string
	// AllowProd lets a prod-safe experiment run in a namespace labelled
	// ProdLabel (key=value, default environment=production).
	AllowProd bool
	ProdLabel string
	// ZoneMap maps the zones experiments name (the sandbox's zone-a/b/c)
	// onto the cluster's; unmapped ones go to the cluster's zones in sorted
	// order.
	ZoneMap map[string]string
	// NoFilterNamespace skips the check of the target namespace's annotation
	// chaos-mesh.org/inject=enabled, for a Chaos Mesh that does not filter
	// namespaces (enableFilterNamespace false).
	NoFilterNamespace bool
	// KillSwitch is the ConfigMap namespace/name that stops every run when
	// its data has engaged: "true" (default gameday/gameday-kill-switch).
	KillSwitch string
	// InjectTimeout bounds the wait for Chaos Mesh's confirmation (default
	// 60s); RecoverTimeout the wait for an object's deletion (default 30s).
	InjectTimeout, RecoverTimeout time.Duration
	// Log receives warnings while a run goes (a kill switch read that
	// failed); nil: none.
	Log io.Writer
	// Poll is the interval of status polls (default 250ms).
	Poll time.Duration
	// FailGrace is how long after creation a definite failure (condition
	// Selected False, a Failed event) is taken as final rather than a
	// reconciliation in progress (default 5s, at most InjectTimeout).
	FailGrace time.Duration
}

func (c *Config) defaults() error {
	if c.Namespace == "" {
		c.Namespace = spec.DefaultNamespace
	}
	if c.Deployment == "" {
		c.Deployment = spec.DefaultDeployment
	}
	if len(c.Selector) == 0 {
		c.Selector = spec.DefaultSelector()
	}
	if c.ProdLabel == "" {
		c.ProdLabel = DefaultProdLabel
	}
	if c.KillSwitch == "" {
		c.KillSwitch = DefaultKillSwitch
	}
	if c.InjectTimeout <= 0 {
		c.InjectTimeout = DefaultInjectTimeout
	}
	if c.RecoverTimeout <= 0 {
		c.RecoverTimeout = DefaultRecoverTimeout
	}
	if c.Poll <= 0 {
		c.Poll = DefaultPoll
	}
	if c.FailGrace <= 0 {
		c.FailGrace = DefaultFailGrace
	}
	c.FailGrace = min(c.FailGrace, c.InjectTimeout)
	for _, p := range c.Allowed {
		if _, err := path.Match(p, ""); err != nil {
			return fmt.Errorf("kube: allowed namespace pattern %q: %w", p, err)
		}
	}
	if c.Client == nil {
		return errors.New("kube: no client")
	}
	return nil
}

// scheme is Scheme(), for the kinds of typed objects, built at its first
// use rather than at start-up (every gameday process links this package).
var scheme = sync.OnceValue(Scheme)

// Scheme knows the core, apps, batch and policy types and Chaos Mesh's.
func Scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, batchv1.AddToScheme, policyv1.AddToScheme, v1alpha1.AddToScheme,
	} {
		if err := add(s); err != nil {
			panic(err) // static registrations: a failure is a programming error
		}
	}
	return s
}

// RESTConfig loads the cluster's configuration: kubeconfig (default
// $KUBECONFIG, then ~/.kube/config) and context (default the current
// one), or the in-cluster service account when there is no kubeconfig and
// the process runs in a pod.
func RESTConfig(kubeconfig, context string) (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if kubeconfig != "" {
		rules.ExplicitPath = kubeconfig
	} else if os.Getenv("KUBERNETES_SERVICE_HOST") != "" && os.Getenv("KUBECONFIG") == "" {
		if _, err := os.Stat(clientcmd.RecommendedHomeFile); err != nil {
			cfg, err := rest.InClusterConfig()
			if err != nil {
				return nil, fmt.Errorf("in-cluster config: %w", err)
			}
			return cfg, nil
		}
	}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: context}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	return cfg, nil
}

// controller-runtime logs through one logger per process and, when none
// was set, prints a warning with a stack trace on stderr as soon as a
// client is made 30 s or more after the start (a long run's cleanup,
// gameday serve). The harness reports what went wrong itself.
func init() { ctrllog.SetLogger(logr.Discard()) }

// NewClient is a controller-runtime client for cfg with Scheme().
func NewClient(cfg *rest.Config) (client.Client, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.UserAgent = "gameday"
	if cfg.QPS == 0 {
		cfg.QPS, cfg.Burst = 20, 40
	}
	c, err := client.New(cfg, client.Options{Scheme: Scheme()})
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	return c, nil
}

// allowed reports whether namespace ns matches an allowlist pattern.
func allowed(patterns []string, ns string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, ns); ok {
			return true
		}
	}
	return false
}

// waitCtx bounds ctx by d, ignoring ctx's cancellation (recovery must go
// on after an abort), not its deadline.
func waitCtx(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) > 0 {
		d = min(d, time.Until(dl))
	}
	return context.WithTimeout(context.WithoutCancel(ctx), d)
}
