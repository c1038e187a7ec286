// Package argocd reads Argo CD Application objects through the Kubernetes
// API (the namespace Argo CD keeps them in, argocd by default): the
// deployment history (status.history), the sync, health and last operation.
// It needs get and list on applications.argoproj.io there and nothing else
// (Permissions; the gameday chart's Role with dora.enabled); without them
// the error names the missing verbs.
//
// The types below are the fields of Argo CD's Application
// (argoproj.io/v1alpha1) that the report reads, with Argo CD's JSON names:
// Argo CD's own Go module cannot be imported here (its go.mod replaces the
// Kubernetes staging modules), and its upstream CRD on a real
// kube-apiserver checks these names in the tests (a wrong name is pruned).
package argocd

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/gamedayhq/gameday/harness/internal/dora"
)

// LabelEnvironment is the label our ApplicationSets put on every
// Application (argocd/platform/apps): its environment.
const LabelEnvironment = "gameday.dev/environment"

// DefaultNamespace is where Argo CD keeps Applications.
const DefaultNamespace = "argocd"

// DefaultHistoryLimit is Argo CD's spec.revisionHistoryLimit default.
const DefaultHistoryLimit = 10

// GVK of Application lists.
var listGVK = schema.GroupVersionKind{Group: "argoproj.io", Version: "v1alpha1", Kind: "ApplicationList"}

// Permissions are what the reader needs in the Applications' namespace.
var Permissions = []string{"get", "list"}

// ErrNoAccess: the identity may not read Applications.
var ErrNoAccess = errors.New("no Argo CD access")

// ErrUnknownEnvironment: no Application carries the environment.
var ErrUnknownEnvironment = errors.New("unknown environment")

// Application is the part of an Argo CD Application the report reads.
type Application struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Source *struct {
			RepoURL string `json:"repoURL"`
			Path    string `json:"path,omitempty"`
		} `json:"source,omitempty"`
		RevisionHistoryLimit *int64 `json:"revisionHistoryLimit,omitempty"`
	} `json:"spec"`
	Status struct {
		History []struct {
			ID              int64        `json:"id"`
			Revision        string       `json:"revision,omitempty"`
			Revisions       []string     `json:"revisions,omitempty"`
			DeployedAt      metav1.Time  `json:"deployedAt"`
			DeployStartedAt *metav1.Time `json:"deployStartedAt,omitempty"`
			InitiatedBy     struct {
				Username  string `json:"username,omitempty"`
				Automated bool   `json:"automated,omitempty"`
			} `json:"initiatedBy"`
		} `json:"history,omitempty"`
		Sync struct {
			Status   string `json:"status"`
			Revision string `json:"revision,omitempty"`
		} `json:"sync"`
		Health struct {
			Status             string       `json:"status,omitempty"`
			LastTransitionTime *metav1.Time `json:"lastTransitionTime,omitempty"`
		} `json:"health"`
		// Summary.Images are the images of the Application's live
		// resources (gameday deploy wait looks for the promoted one).
		Summary struct {
			Images []string `json:"images,omitempty"`
		} `json:"summary"`
		OperationState *struct {
			Phase      string       `json:"phase"`
			Message    string       `json:"message,omitempty"`
			FinishedAt *metav1.Time `json:"finishedAt,omitempty"`
			SyncResult *struct {
				Revision string `json:"revision"`
			} `json:"syncResult,omitempty"`
		} `json:"operationState,omitempty"`
	} `json:"status"`
}

// Client reads the Applications of one namespace.
type Client struct {
	c         client.Client
	cs        kubernetes.Interface
	Namespace string
	// Server is the API server's address, for the report.
	Server string
}

// New returns a client for the Applications in namespace (""
// DefaultNamespace).
func New(cfg *rest.Config, namespace string) (*Client, error) {
	if namespace == "" {
		namespace = DefaultNamespace
	}
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		return nil, fmt.Errorf("argocd: %w", err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("argocd: %w", err)
	}
	return &Client{c: c, cs: cs, Namespace: namespace, Server: cfg.Host}, nil
}

// List reads every Application of the namespace labelled with an
// environment.
func (c *Client) List(ctx context.Context) ([]Application, error) {
	l := &unstructured.UnstructuredList{}
	l.SetGroupVersionKind(listGVK)
	err := c.c.List(ctx, l, client.InNamespace(c.Namespace), client.HasLabels{LabelEnvironment})
	switch {
	case apierrors.IsForbidden(err):
		return nil, c.noAccess(ctx, err)
	case meta.IsNoMatchError(err), apierrors.IsNotFound(err):
		return nil, fmt.Errorf("argocd: the API server %s does not serve applications.argoproj.io: is Argo CD installed in this cluster? (--context the hub cluster Argo CD runs in)", c.Server)
	case err != nil:
		return nil, fmt.Errorf("argocd: list applications in %s: %w", c.Namespace, err)
	}
	out := make([]Application, 0, len(l.Items))
	for _, u := range l.Items {
		var a Application
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &a); err != nil {
			return nil, fmt.Errorf("argocd: application %s/%s: %w", u.GetNamespace(), u.GetName(), err)
		}
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Get reads the Application name of the namespace.
func (c *Client) Get(ctx context.Context, name string) (*Application, error) {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(schema.GroupVersionKind{Group: "argoproj.io", Version: "v1alpha1", Kind: "Application"})
	err := c.c.Get(ctx, client.ObjectKey{Namespace: c.Namespace, Name: name}, u)
	switch {
	case apierrors.IsForbidden(err):
		return nil, c.noAccess(ctx, err)
	case meta.IsNoMatchError(err):
		return nil, fmt.Errorf("argocd: the API server %s does not serve applications.argoproj.io: is Argo CD installed in this cluster? (--context the hub cluster Argo CD runs in)", c.Server)
	case apierrors.IsNotFound(err):
		return nil, fmt.Errorf("argocd: no Application %s in %s: %w", name, c.Namespace, err)
	case err != nil:
		return nil, fmt.Errorf("argocd: get application %s/%s: %w", c.Namespace, name, err)
	}
	var a Application
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &a); err != nil {
		return nil, fmt.Errorf("argocd: application %s/%s: %w", c.Namespace, name, err)
	}
	return &a, nil
}

// noAccess names the verbs the identity lacks (SelfSubjectAccessReview,
// which every authenticated identity may ask).
func (c *Client) noAccess(ctx context.Context, cause error) error {
	who := "this identity"
	if r, err := c.cs.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authnv1.SelfSubjectReview{}, metav1.CreateOptions{}); err == nil && r.Status.UserInfo.Username != "" {
		who = r.Status.UserInfo.Username
	}
	var missing []string
	for _, verb := range Permissions {
		r, err := c.cs.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authzv1.SelfSubjectAccessReview{Spec: authzv1.SelfSubjectAccessReviewSpec{
			ResourceAttributes: &authzv1.ResourceAttributes{Namespace: c.Namespace, Verb: verb, Group: "argoproj.io", Resource: "applications"},
		}}, metav1.CreateOptions{})
		if err != nil || !r.Status.Allowed {
			missing = append(missing, verb)
		}
	}
	if len(missing) == 0 {
		return fmt.Errorf("argocd: %w: %v", ErrNoAccess, cause)
	}
	return fmt.Errorf("argocd: %w: %s may not %s applications.argoproj.io in namespace %s: grant %s (the gameday chart's Role with dora.enabled, dora.argocdNamespace %s)",
		ErrNoAccess, who, strings.Join(missing, ", "), c.Namespace, strings.Join(Permissions, " and "), c.Namespace)
}

// Environments are the environments the Applications carry, sorted.
func Environments(apps []Application) []string {
	seen := map[string]bool{}
	var out []string
	for _, a := range apps {
		if e := a.Labels[LabelEnvironment]; e != "" && !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	sort.Strings(out)
	return out
}

// Find picks the Application of service in env: the one named name, or
// <service>-<env> when name is "". Errors say what exists.
func Find(apps []Application, namespace, service, env, name string) (*Application, error) {
	envs := Environments(apps)
	var inEnv []string
	for i := range apps {
		if apps[i].Labels[LabelEnvironment] != env {
			continue
		}
		inEnv = append(inEnv, apps[i].Name)
		if apps[i].Name == name || (name == "" && apps[i].Name == service+"-"+env) {
			return &apps[i], nil
		}
	}
	if len(inEnv) == 0 {
		return nil, fmt.Errorf("%w %q: no Application in %s carries the label %s=%s (environments: %s)", ErrUnknownEnvironment, env, namespace, LabelEnvironment, env, orNone(envs))
	}
	if name == "" {
		name = service + "-" + env
	}
	return nil, fmt.Errorf("no Application %s in %s for service %s: the Applications of %s are %s (--application NAME)", name, namespace, service, env, strings.Join(inEnv, ", "))
}

func orNone(ss []string) string {
	if len(ss) == 0 {
		return "none"
	}
	return strings.Join(ss, ", ")
}

// Dora converts a to what the analysis reads. A multi-source Application
// deploys a revision per source: the first is the one mapped to commits.
func (a *Application) Dora() dora.Application {
	out := dora.Application{Name: a.Name, Namespace: a.Namespace, Environment: a.Labels[LabelEnvironment], HistoryLimit: DefaultHistoryLimit,
		SyncStatus: a.Status.Sync.Status, SyncRevision: a.Status.Sync.Revision, HealthStatus: a.Status.Health.Status}
	if s := a.Spec.Source; s != nil {
		out.RepoURL, out.Path = s.RepoURL, s.Path
	}
	if l := a.Spec.RevisionHistoryLimit; l != nil {
		out.HistoryLimit = int(*l)
	}
	if t := a.Status.Health.LastTransitionTime; t != nil {
		out.HealthSince = t.UTC()
	}
	if op := a.Status.OperationState; op != nil {
		out.OperationPhase, out.OperationMessage = op.Phase, op.Message
		if op.FinishedAt != nil {
			out.OperationFinished = op.FinishedAt.UTC()
		}
		if op.SyncResult != nil {
			out.OperationRevision = op.SyncResult.Revision
		}
	}
	for _, h := range a.Status.History {
		e := dora.HistoryEntry{ID: h.ID, Revision: h.Revision, DeployedAt: h.DeployedAt.UTC(), InitiatedBy: h.InitiatedBy.Username}
		if e.Revision == "" && len(h.Revisions) > 0 {
			e.Revision = h.Revisions[0]
		}
		if h.DeployStartedAt != nil {
			e.StartedAt = h.DeployStartedAt.UTC()
		}
		if h.InitiatedBy.Automated {
			e.InitiatedBy = "automated"
		}
		out.History = append(out.History, e)
	}
	return out
}
