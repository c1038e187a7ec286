// Package kubetest starts a real kube-apiserver and etcd (controller-runtime
// envtest, binaries from scripts/envtest.sh) with the upstream Chaos Mesh
// CRDs installed, and builds clusters on it: nodes labelled with zones, a
// PetClinic Deployment with ready pods, a PodDisruptionBudget.
//
// There are no kubelets, schedulers or controllers on envtest: pods never
// run, and their readiness, the Deployment's status and Chaos Mesh's
// status are written by the tests (Controller plays Chaos Mesh's part).
package kubetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	"github.com/gamedayhq/gameday/harness/internal/kube"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// Env is a running API server.
type Env struct {
	Env    *envtest.Environment
	Config *rest.Config // cluster admin
	Client client.Client
	// Started is how long the API server took to start, CRDs included.
	Started time.Duration
}

// Missing says why the API server cannot start here ("" when it can).
func Missing() string {
	switch {
	case os.Getenv("KUBEBUILDER_ASSETS") == "":
		return "KUBEBUILDER_ASSETS is not set: eval \"$(scripts/envtest.sh)\" (builds kube-apiserver and etcd once, ~5 min)"
	case os.Getenv("GAMEDAY_CRDS") == "":
		return "GAMEDAY_CRDS is not set: eval \"$(scripts/envtest.sh)\" (collects the upstream Chaos Mesh CRDs)"
	}
	return ""
}

// ChaosMeshCRDs is the upstream Chaos Mesh CRD file.
func ChaosMeshCRDs() string {
	return filepath.Join(os.Getenv("GAMEDAY_CRDS"), "chaos-mesh", "crd.yaml")
}

// Start starts the API server with the Chaos Mesh CRDs installed.
func Start() (*Env, error) { return StartWith(ChaosMeshCRDs()) }

// CRDs names upstream CRD files under $GAMEDAY_CRDS, e.g.
// CRDs("prometheus-operator/monitoring.coreos.com_prometheusrules.yaml").
func CRDs(rel ...string) []string {
	out := make([]string, len(rel))
	for i, r := range rel {
		out[i] = filepath.Join(os.Getenv("GAMEDAY_CRDS"), r)
	}
	return out
}

// StartWith starts the API server with the CRD files at paths installed.
func StartWith(paths ...string) (*Env, error) {
	if m := Missing(); m != "" {
		return nil, fmt.Errorf("%s", m)
	}
	t0 := time.Now()
	env := &envtest.Environment{
		CRDInstallOptions:     envtest.CRDInstallOptions{Paths: paths},
		ErrorIfCRDPathMissing: true,
	}
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("envtest: %w", err)
	}
	c, err := kube.NewClient(cfg)
	if err != nil {
		_ = env.Stop()
		return nil, err
	}
	return &Env{Env: env, Config: cfg, Client: c, Started: time.Since(t0)}, nil
}

// Stop stops the API server.
func (e *Env) Stop() error { return e.Env.Stop() }

// Need skips t when the API server cannot start here, or fails it when
// $CI is true (a skip would hide a broken setup).
func Need(t testing.TB) {
	t.Helper()
	if m := Missing(); m != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but %s", m)
		}
		t.Skip(m)
	}
}

// User is an identity the API server authenticates by client certificate.
func (e *Env) User(name string, groups ...string) (*rest.Config, error) {
	u, err := e.Env.AddUser(envtest.User{Name: name, Groups: groups}, e.Config)
	if err != nil {
		return nil, err
	}
	return u.Config(), nil
}

// ServiceAccount authenticates as service account ns/name (a client
// certificate with the service account's user name and groups: RBAC
// subjects of kind ServiceAccount match it).
func (e *Env) ServiceAccount(ns, name string) (*rest.Config, error) {
	return e.User("system:serviceaccount:"+ns+":"+name, "system:serviceaccounts", "system:serviceaccounts:"+ns, "system:authenticated")
}

// Engine is an engine on namespace ns as the identity of cfg, allowed ns
// only, polling every poll, with the kill switch ns/gameday-kill-switch;
// mod changes its configuration. It has a client of its own: the tests run
// in parallel, and a shared client's rate limiter would make one test's
// polls another's delay.
func Engine(t testing.TB, cfg *rest.Config, ns string, poll time.Duration, mod ...func(*kube.Config)) *kube.Engine {
	t.Helper()
	cl, err := kube.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := kube.Config{Client: cl, RESTConfig: cfg, Namespace: ns, Allowed: []string{ns}, Poll: poll,
		KillSwitch: ns + "/gameday-kill-switch"}
	for _, m := range mod {
		m(&c)
	}
	e, err := kube.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// WriteKubeconfig writes a kubeconfig for cfg (context name ctxName) to
// path.
func WriteKubeconfig(cfg *rest.Config, ctxName, path string) error {
	kc := clientcmdapi.NewConfig()
	kc.Clusters["envtest"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos[ctxName] = &clientcmdapi.AuthInfo{ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData, Token: cfg.BearerToken}
	kc.Contexts[ctxName] = &clientcmdapi.Context{Cluster: "envtest", AuthInfo: ctxName}
	kc.CurrentContext = ctxName
	return clientcmd.WriteToFile(*kc, path)
}

// Cluster describes a PetClinic install to build.
type Cluster struct {
	Namespace string
	// NamespaceLabels label the namespace (e.g. environment: production).
	NamespaceLabels map[string]string
	// Zones of the nodes (NodesPerZone per zone, default 1) and ready pods
	// per zone, spread over the zone's nodes.
	Zones        []string
	PerZone      int
	NodesPerZone int
	// PDB, when set, is the minAvailable of a PodDisruptionBudget.
	PDB *intstr.IntOrString
	// Unzoned are more ready PetClinic pods on node UnzonedNode, which has
	// no zone label.
	Unzoned int
	// NoInjectAnnotation leaves out the namespace's annotation
	// chaos-mesh.org/inject=enabled (Chaos Mesh with enableFilterNamespace
	// ignores the namespace without it).
	NoInjectAnnotation bool
	// Extra are more pods (name → labels), ready, on the first node: the
	// Redis and MariaDB of the network experiments.
	Extra map[string]map[string]string
}

// Labels of the PetClinic pods.
func PodLabels() map[string]string { return map[string]string{"app": "petclinic"} }

// Build creates the namespace, nodes, Deployment (status available), pods
// (status ready) and PDB of cl. Nodes are shared between namespaces.
func Build(ctx context.Context, c client.Client, cl Cluster) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: cl.Namespace, Labels: cl.NamespaceLabels}}
	if !cl.NoInjectAnnotation {
		ns.Annotations = map[string]string{kube.AnnotationChaosInject: "enabled"}
	}
	if err := c.Create(ctx, ns); err != nil {
		return fmt.Errorf("namespace: %w", err)
	}
	replicas := int32(len(cl.Zones)*cl.PerZone + cl.Unzoned) // #nosec G115 -- a test cluster
	if cl.Unzoned > 0 {
		node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: UnzonedNode, Labels: map[string]string{"kubernetes.io/hostname": UnzonedNode}}}
		if err := c.Create(ctx, node); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("node: %w", err)
		}
	}
	for i := range cl.Unzoned {
		if err := readyPod(ctx, c, cl.Namespace, fmt.Sprintf("petclinic-unzoned-%d", i), UnzonedNode, PodLabels()); err != nil {
			return err
		}
	}
	perZone := max(cl.NodesPerZone, 1)
	for _, z := range cl.Zones {
		for k := range perZone {
			name := ZoneNode(z, k)
			node := &corev1.Node{
				ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{spec.ZoneLabel: z, spec.RegionLabel: Region(z), "kubernetes.io/hostname": name}},
				Spec:       corev1.NodeSpec{ProviderID: fmt.Sprintf("aws:///%s/%s", z, Instance(name))},
			}
			if err := c.Create(ctx, node); err != nil && !apierrors.IsAlreadyExists(err) {
				return fmt.Errorf("node: %w", err)
			}
		}
	}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "petclinic", Namespace: cl.Namespace},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: PodLabels()},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: PodLabels()},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "petclinic", Image: "ghcr.io/gamedayhq/petclinic:test"}}},
			},
		},
	}
	if err := c.Create(ctx, dep); err != nil {
		return fmt.Errorf("deployment: %w", err)
	}
	dep.Status = appsv1.DeploymentStatus{
		ObservedGeneration: dep.Generation, Replicas: replicas, ReadyReplicas: replicas, AvailableReplicas: replicas, UpdatedReplicas: replicas,
		Conditions: []appsv1.DeploymentCondition{{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue, Reason: "MinimumReplicasAvailable",
			LastUpdateTime: metav1.Now(), LastTransitionTime: metav1.Now()}},
	}
	if replicas == 0 {
		dep.Status.Conditions[0].Status = corev1.ConditionFalse
	}
	if err := c.Status().Update(ctx, dep); err != nil {
		return fmt.Errorf("deployment status: %w", err)
	}
	for _, z := range cl.Zones {
		for i := range cl.PerZone {
			name := fmt.Sprintf("petclinic-%s-%d", z, i)
			if err := readyPod(ctx, c, cl.Namespace, name, ZoneNode(z, i%perZone), PodLabels()); err != nil {
				return err
			}
		}
	}
	for name, l := range cl.Extra {
		if err := readyPod(ctx, c, cl.Namespace, name, NodeName(cl.Zones[0]), l); err != nil {
			return err
		}
	}
	if cl.PDB != nil {
		pdb := &policyv1.PodDisruptionBudget{
			ObjectMeta: metav1.ObjectMeta{Name: "petclinic", Namespace: cl.Namespace},
			Spec:       policyv1.PodDisruptionBudgetSpec{MinAvailable: cl.PDB, Selector: &metav1.LabelSelector{MatchLabels: PodLabels()}},
		}
		if err := c.Create(ctx, pdb); err != nil {
			return fmt.Errorf("pdb: %w", err)
		}
	}
	return nil
}

// UnzonedNode is the node without a zone label of Cluster.Unzoned.
const UnzonedNode = "node-without-zone"

// NodeName is the (first) node of zone z.
func NodeName(z string) string { return "node-" + z }

// ZoneNode is the k-th node of zone z (NodeName for k = 0).
func ZoneNode(z string, k int) string {
	if k == 0 {
		return NodeName(z)
	}
	return fmt.Sprintf("%s-%d", NodeName(z), k)
}

// Instance is the EC2 instance id of node name (its spec.providerID is
// aws:///<zone>/<instance>, as on EKS).
func Instance(name string) string {
	h := sha256.Sum256([]byte(name))
	return "i-0" + hex.EncodeToString(h[:])[:16]
}

// Region is the region of zone z as AWS names them (eu-west-1a is in
// eu-west-1).
func Region(z string) string {
	if n := len(z); n > 1 && z[n-1] >= 'a' && z[n-1] <= 'z' && z[n-2] >= '0' && z[n-2] <= '9' {
		return z[:n-1]
	}
	return z
}

func readyPod(ctx context.Context, c client.Client, ns, name, node string, l map[string]string) error {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: l},
		Spec:       corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: l["app"], Image: "example/" + l["app"]}}},
	}
	if err := c.Create(ctx, pod); err != nil {
		return fmt.Errorf("pod %s: %w", name, err)
	}
	pod.Status = corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}}
	if err := c.Status().Update(ctx, pod); err != nil {
		return fmt.Errorf("pod %s status: %w", name, err)
	}
	return nil
}

// SetPodReady sets the Ready condition of pod ns/name.
func SetPodReady(ctx context.Context, c client.Client, ns, name string, ready bool) error {
	var pod corev1.Pod
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &pod); err != nil {
		return err
	}
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: st}}
	return c.Status().Update(ctx, &pod)
}

// Apply creates every object of the YAML files (one object per file) in
// dir, as they are.
func Apply(ctx context.Context, c client.Client, dir string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	var created []string
	for _, f := range files {
		b, err := os.ReadFile(f) // #nosec G304 -- manifests of the repository
		if err != nil {
			return created, err
		}
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(b, &u.Object); err != nil {
			return created, fmt.Errorf("%s: %w", f, err)
		}
		if err := c.Create(ctx, u); err != nil {
			return created, fmt.Errorf("%s: %w", f, err)
		}
		created = append(created, fmt.Sprintf("%s %s/%s", u.GetKind(), u.GetNamespace(), u.GetName()))
	}
	return created, nil
}
