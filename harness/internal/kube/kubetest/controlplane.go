package kubetest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// ControlPlane is a Kubernetes control plane on this machine, without
// containers: etcd, kube-apiserver (RBAC and the Node authorizer, admission
// as a cluster has it), kube-controller-manager (the Deployment, ReplicaSet,
// Job, disruption, node lifecycle and service account controllers, ...),
// kube-scheduler, kwok (simulated nodes in three zones: it marks the pods
// the scheduler binds to them Running and Ready, and deletes pods whose
// deletion the API server asked for) and the real Chaos Mesh controller
// (chaos-controller-manager) with its admission webhooks registered. The
// binaries come from scripts/controlplane.sh ($GAMEDAY_CONTROLPLANE).
//
// What it does not have: kubelets and containers (no process of a pod
// runs; kwok writes their status), kube-proxy and a network (no Service
// routes traffic), Chaos Mesh's chaos-daemon (the kinds that act inside a
// pod's namespaces cannot inject: see Controller).
type ControlPlane struct {
	// Dir holds the certificates, kubeconfigs, data and logs (removed by
	// Stop).
	Dir string
	// Config is the cluster admin's (group system:masters), Client its
	// client.
	Config *rest.Config
	Client client.Client
	// Nodes are the kwok nodes, in zone order.
	Nodes []corev1.Node
	// Zones are the nodes' zones.
	Zones []string
	// PauseImage is the image Chaos Mesh's pod-failure swaps in.
	PauseImage string
	// Steps is how long each step of the start took, in order.
	Steps []Step

	pki       *pki
	launcher  *launcher
	procs     map[string]*process
	order     []string // start order; Stop goes backwards
	host      string   // https://127.0.0.1:port of the API server
	saKey     string   // the service account signing key
	chaosMesh chaosMeshProcess
	kubelet   *kubelet
	// kubeletListener is the kubelet's, until it serves on it.
	kubeletListener net.Listener
	stopped         bool
}

// Step is one timed step of the start.
type Step struct {
	Name string
	Took time.Duration
}

// Started is how long the whole start took.
func (cp *ControlPlane) Started() time.Duration {
	var d time.Duration
	for _, s := range cp.Steps {
		d += s.Took
	}
	return d
}

// ControlPlaneConfig says what to start.
type ControlPlaneConfig struct {
	// Zones of the nodes (default eu-west-1a, eu-west-1b, eu-west-1c);
	// NodesPerZone nodes in each (default 1).
	Zones        []string
	NodesPerZone int
	// CRDs are more CRD files to install (the Chaos Mesh CRDs always are).
	CRDs []string
}

// The binaries of the control plane, in $GAMEDAY_CONTROLPLANE.
var controlPlaneBinaries = []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok", "chaos-controller-manager",
	"kwok-stages", "chaos-mesh-values.yaml"}

// MissingControlPlane says why the control plane cannot start here ("" when
// it can).
func MissingControlPlane() string {
	dir := os.Getenv("GAMEDAY_CONTROLPLANE")
	if dir == "" {
		return "GAMEDAY_CONTROLPLANE is not set: eval \"$(scripts/controlplane.sh)\" (builds the Kubernetes servers, kwok and Chaos Mesh once, ~20 min cold)"
	}
	if os.Getenv("GAMEDAY_CRDS") == "" {
		return "GAMEDAY_CRDS is not set: eval \"$(scripts/controlplane.sh)\" (collects the upstream Chaos Mesh CRDs)"
	}
	for _, b := range controlPlaneBinaries {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			return fmt.Sprintf("%s: run scripts/controlplane.sh to build it", err)
		}
	}
	return ""
}

// NeedControlPlane skips t when the control plane cannot start here, or
// fails it when $CI is true (a skip would hide a broken setup).
func NeedControlPlane(t interface {
	Helper()
	Fatalf(string, ...any)
	Skip(...any)
}) {
	t.Helper()
	if m := MissingControlPlane(); m != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but %s", m)
		}
		t.Skip(m)
	}
}

// Main runs the tests of m with a control plane started for them in *cp
// (left nil when it cannot start here: NeedControlPlane then skips, or
// fails under CI) and stopped after, and returns m's exit code. A start
// that fails ends the tests with its error.
func Main(m *testing.M, cp **ControlPlane) int {
	if MissingControlPlane() == "" {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		started, err := StartControlPlane(ctx, ControlPlaneConfig{})
		cancel()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		*cp = started
		var steps []string
		for _, s := range started.Steps {
			steps = append(steps, fmt.Sprintf("%s %s", s.Name, s.Took.Round(time.Millisecond)))
		}
		fmt.Fprintf(os.Stderr, "control plane started in %s: %s\n", started.Started().Round(time.Millisecond), strings.Join(steps, ", "))
		defer started.Stop()
	}
	code := m.Run()
	if code != 0 && *cp != nil && os.Getenv(KeepEnv) == "" {
		fmt.Fprintf(os.Stderr, "the servers' logs go with the control plane: %s=1 keeps them\n", KeepEnv)
	}
	return code
}

func bin(name string) string { return filepath.Join(os.Getenv("GAMEDAY_CONTROLPLANE"), name) }

// StartControlPlane starts every server, waits until each is ready (nodes
// Ready, Chaos Mesh's webhooks answering), and returns the running control
// plane; on any error it stops what it started and removes its folder. Stop
// it when done. About 20-40 s on 2 cores, ~700 MB of memory.
func StartControlPlane(ctx context.Context, cfg ControlPlaneConfig) (*ControlPlane, error) {
	if m := MissingControlPlane(); m != "" {
		return nil, errors.New(m)
	}
	// The servers' ports are picked free, then bound by the servers: on a
	// shared machine another process may take one in between. That start
	// is stopped and cleaned up; a new one picks other ports.
	for attempt := 1; ; attempt++ {
		cp, err := startControlPlane(ctx, cfg)
		if err == nil || attempt == 3 || !strings.Contains(err.Error(), "address already in use") || ctx.Err() != nil {
			return cp, err
		}
		fmt.Fprintf(os.Stderr, "kubetest: %v; starting again on other ports\n", err)
	}
}

func startControlPlane(ctx context.Context, cfg ControlPlaneConfig) (cp *ControlPlane, err error) {
	if len(cfg.Zones) == 0 {
		cfg.Zones = []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"}
	}
	if cfg.NodesPerZone <= 0 {
		cfg.NodesPerZone = 1
	}
	dir, err := os.MkdirTemp("", "gameday-controlplane-")
	if err != nil {
		return nil, err
	}
	cp = &ControlPlane{Dir: dir, Zones: cfg.Zones, PauseImage: PauseImage, launcher: newLauncher(), procs: map[string]*process{}}
	defer func() {
		if err != nil {
			err = fmt.Errorf("start the control plane: %w", err)
			cp.Stop()
		}
	}()
	// The kubelet's listener is ours, held from now on: another process
	// taking its port would answer for it without a word. The servers'
	// ports are free now; one taken meanwhile fails their start loudly.
	if cp.kubeletListener, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		return cp, err
	}
	ports, err := freePorts(8)
	if err != nil {
		return cp, err
	}
	p := controlPlanePorts{etcd: ports[0], etcdPeer: ports[1], apiserver: ports[2], controllerManager: ports[3], scheduler: ports[4],
		webhook: ports[5], metrics: ports[6], kwok: ports[7], kubelet: cp.kubeletListener.Addr().(*net.TCPAddr).Port}
	steps := []struct {
		name string
		run  func(context.Context, controlPlanePorts) error
	}{
		{"certificates", cp.certificates},
		{"etcd", cp.startEtcd},
		{"kube-apiserver", cp.startAPIServer},
		{"CRDs", func(ctx context.Context, _ controlPlanePorts) error { return cp.installCRDs(ctx, cfg.CRDs) }},
		{"kube-controller-manager", cp.startControllerManager},
		{"kube-scheduler", cp.startScheduler},
		{"kwok and nodes", func(ctx context.Context, p controlPlanePorts) error { return cp.startKwok(ctx, cfg, p) }},
		{"chaos-controller-manager", cp.startChaosMesh},
	}
	for _, s := range steps {
		t0 := time.Now()
		if err := s.run(ctx, p); err != nil {
			return cp, fmt.Errorf("%s: %w", s.name, err)
		}
		cp.Steps = append(cp.Steps, Step{s.name, time.Since(t0)})
	}
	return cp, nil
}

type controlPlanePorts struct {
	etcd, etcdPeer, apiserver, controllerManager, scheduler, webhook, metrics, kubelet, kwok int
}

// freePorts finds n free loopback ports (held together while found, so
// that they differ).
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func (cp *ControlPlane) path(name string) string { return filepath.Join(cp.Dir, name) }

// run starts a server of the control plane.
func (cp *ControlPlane) run(name string, args []string, env ...string) (*process, error) {
	pr, err := cp.launcher.start(name, bin(name), args, env, cp.path(name+".log"))
	if err != nil {
		return nil, err
	}
	cp.procs[name] = pr
	cp.order = append(cp.order, name)
	return pr, nil
}

// await polls ready (every 100 ms) until it returns nil, the process
// exits, or timeout passes; the error then ends with the process's log.
func await(ctx context.Context, pr *process, timeout time.Duration, ready func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		if err, ok := pr.exited(); ok {
			return fmt.Errorf("%w; its log (%s) ends:%s", err, pr.logFile, pr.tail(15))
		}
		if last = ready(ctx); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %s: %w; its log (%s) ends:%s", pr.name, timeout, last, pr.logFile, pr.tail(15))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (cp *ControlPlane) certificates(context.Context, controlPlanePorts) error {
	var err error
	cp.pki, err = newPKI(cp.Dir)
	return err
}

func (cp *ControlPlane) issue(name, cn string, org ...string) (*keyPair, error) {
	return cp.pki.issue(name, cn, org)
}

// kubeconfig issues a client certificate for user cn in groups org and
// writes name.kubeconfig with it.
func (cp *ControlPlane) kubeconfig(name, cn string, org ...string) (string, error) {
	kp, err := cp.issue(name, cn, org...)
	if err != nil {
		return "", err
	}
	path := cp.path(name + ".kubeconfig")
	return path, WriteKubeconfig(cp.pki.restConfig(cp.host, kp), name, path)
}

func (cp *ControlPlane) startEtcd(ctx context.Context, p controlPlanePorts) error {
	client := "http://127.0.0.1:" + strconv.Itoa(p.etcd)
	peer := "http://127.0.0.1:" + strconv.Itoa(p.etcdPeer)
	pr, err := cp.run("etcd", []string{
		"--name=default", "--data-dir=" + cp.path("etcd-data"),
		"--listen-client-urls=" + client, "--advertise-client-urls=" + client,
		"--listen-peer-urls=" + peer, "--initial-advertise-peer-urls=" + peer,
		"--initial-cluster=default=" + peer,
		"--unsafe-no-fsync", // a test's data: speed over durability
		"--log-level=warn",
	})
	if err != nil {
		return err
	}
	return await(ctx, pr, time.Minute, func(ctx context.Context) error { return httpOK(ctx, http.DefaultClient, client+"/health") })
}

func (cp *ControlPlane) startAPIServer(ctx context.Context, p controlPlanePorts) error {
	cp.host = "https://127.0.0.1:" + strconv.Itoa(p.apiserver)
	serving, err := cp.pki.issue("apiserver", "kube-apiserver", nil, "127.0.0.1", "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "10.96.0.1")
	if err != nil {
		return err
	}
	kubelet, err := cp.issue("apiserver-kubelet-client", "kube-apiserver-kubelet-client", "system:masters")
	if err != nil {
		return err
	}
	saKey, saPub, err := cp.pki.serviceAccountKey()
	if err != nil {
		return err
	}
	admin, err := cp.issue("admin", "gameday-admin", "system:masters")
	if err != nil {
		return err
	}
	pr, err := cp.run("kube-apiserver", []string{
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", "--secure-port=" + strconv.Itoa(p.apiserver),
		"--etcd-servers=http://127.0.0.1:" + strconv.Itoa(p.etcd),
		"--client-ca-file=" + cp.pki.caFile(),
		"--tls-cert-file=" + serving.CertFile, "--tls-private-key-file=" + serving.KeyFile,
		"--kubelet-client-certificate=" + kubelet.CertFile, "--kubelet-client-key=" + kubelet.KeyFile,
		"--kubelet-preferred-address-types=InternalIP", "--kubelet-certificate-authority=" + cp.pki.caFile(),
		// The front proxy's CA, as kubeadm sets it (here the one CA): the
		// controller manager and the scheduler read it at start.
		"--requestheader-client-ca-file=" + cp.pki.caFile(), "--requestheader-allowed-names=front-proxy-client",
		"--requestheader-username-headers=X-Remote-User", "--requestheader-group-headers=X-Remote-Group",
		"--requestheader-extra-headers-prefix=X-Remote-Extra-",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + saPub, "--service-account-signing-key-file=" + saKey,
		"--service-cluster-ip-range=10.96.0.0/16",
		"--authorization-mode=Node,RBAC",
		"--enable-admission-plugins=NodeRestriction",
		"--allow-privileged=true",
		// The loopback address may not be an Endpoints address: no
		// reconciler for the kubernetes Service (nothing routes here).
		"--endpoint-reconciler-type=none",
		"--profiling=false",
	})
	if err != nil {
		return err
	}
	cp.Config = cp.pki.restConfig(cp.host, admin)
	cs, err := kubernetes.NewForConfig(cp.Config)
	if err != nil {
		return err
	}
	if err := await(ctx, pr, 2*time.Minute, func(ctx context.Context) error {
		b, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if err != nil {
			return err
		}
		if string(b) != "ok" {
			return fmt.Errorf("readyz: %s", b)
		}
		return nil
	}); err != nil {
		return err
	}
	if cp.Client, err = client.New(cp.Config, client.Options{Scheme: scheme()}); err != nil {
		return err
	}
	cp.saKey = saKey
	return nil
}

func (cp *ControlPlane) installCRDs(_ context.Context, extra []string) error {
	_, err := envtest.InstallCRDs(cp.Config, envtest.CRDInstallOptions{
		Paths: append([]string{ChaosMeshCRDs()}, extra...), ErrorIfPathMissing: true,
	})
	return err
}

// httpStatus GETs url and returns the response's status code.
func httpStatus(ctx context.Context, c *http.Client, url string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

// httpOK GETs url and wants 200.
func httpOK(ctx context.Context, c *http.Client, url string) error {
	code, err := httpStatus(ctx, c, url)
	if err == nil && code != http.StatusOK {
		err = fmt.Errorf("GET %s: %d %s", url, code, http.StatusText(code))
	}
	return err
}

// insecure reaches the self-signed health endpoints of the controller
// manager and the scheduler.
var insecure = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
	TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, // #nosec G402 -- health checks of local test servers
}}

// componentArgs are the flags kube-controller-manager and kube-scheduler
// share: their identity (user cn), on the API server and for delegated
// authentication and authorization of their own HTTPS port, one instance
// (no leader election).
func (cp *ControlPlane) componentArgs(name, cn string, port int) ([]string, error) {
	kc, err := cp.kubeconfig(name, cn)
	if err != nil {
		return nil, err
	}
	return []string{
		"--kubeconfig=" + kc, "--authentication-kubeconfig=" + kc, "--authorization-kubeconfig=" + kc,
		"--bind-address=127.0.0.1", "--secure-port=" + strconv.Itoa(port), "--cert-dir=" + cp.path(name+"-serving"),
		"--leader-elect=false", "--profiling=false",
	}, nil
}

func (cp *ControlPlane) startControllerManager(ctx context.Context, p controlPlanePorts) error {
	args, err := cp.componentArgs("kube-controller-manager", "system:kube-controller-manager", p.controllerManager)
	if err != nil {
		return err
	}
	pr, err := cp.run("kube-controller-manager", append(args,
		// Each controller acts as its own service account, with the
		// roles the API server bootstraps for it (as kubeadm runs it).
		"--use-service-account-credentials=true",
		"--service-account-private-key-file="+cp.saKey, "--root-ca-file="+cp.pki.caFile(),
		"--kube-api-qps=100", "--kube-api-burst=200",
	))
	if err != nil {
		return err
	}
	// Healthy, and its service account controller at work: the default
	// service account of the default namespace exists.
	return await(ctx, pr, 2*time.Minute, func(ctx context.Context) error {
		if err := httpOK(ctx, insecure, fmt.Sprintf("https://127.0.0.1:%d/healthz", p.controllerManager)); err != nil {
			return err
		}
		return cp.Client.Get(ctx, client.ObjectKey{Namespace: "default", Name: "default"}, &corev1.ServiceAccount{})
	})
}

func (cp *ControlPlane) startScheduler(ctx context.Context, p controlPlanePorts) error {
	args, err := cp.componentArgs("kube-scheduler", "system:kube-scheduler", p.scheduler)
	if err != nil {
		return err
	}
	pr, err := cp.run("kube-scheduler", args)
	if err != nil {
		return err
	}
	return await(ctx, pr, 2*time.Minute, func(ctx context.Context) error {
		return httpOK(ctx, insecure, fmt.Sprintf("https://127.0.0.1:%d/healthz", p.scheduler))
	})
}

// User is a client configuration for user name in groups (a client
// certificate signed by the API server's client CA).
func (cp *ControlPlane) User(name string, groups ...string) (*rest.Config, error) {
	kp, err := cp.pki.issue("user-"+strings.NewReplacer(":", "_", "/", "_").Replace(name), name, groups)
	if err != nil {
		return nil, err
	}
	return cp.pki.restConfig(cp.host, kp), nil
}

// ServiceAccount is a client configuration for the service account ns/name,
// which must exist: a token of the TokenRequest API, as a pod gets it.
func (cp *ControlPlane) ServiceAccount(ctx context.Context, ns, name string) (*rest.Config, error) {
	cs, err := kubernetes.NewForConfig(cp.Config)
	if err != nil {
		return nil, err
	}
	tr, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)},
	}, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("token of service account %s/%s: %w", ns, name, err)
	}
	return &rest.Config{Host: cp.host, BearerToken: tr.Status.Token, TLSClientConfig: rest.TLSClientConfig{CAData: cp.pki.pem}, QPS: 100, Burst: 200}, nil
}

// Logs names the log file of every server (they stay until Stop).
func (cp *ControlPlane) Logs() map[string]string {
	out := map[string]string{}
	for n, p := range cp.procs {
		out[n] = p.logFile
	}
	return out
}

// KeepEnv, when set (to anything), keeps the control plane's folder after
// Stop: its logs, certificates and kubeconfigs, for a look after a failure.
const KeepEnv = "GAMEDAY_CONTROLPLANE_KEEP"

// Stop stops every server, last started first (Chaos Mesh first, etcd
// last), each with SIGTERM then SIGKILL, and removes the folder.
func (cp *ControlPlane) Stop() {
	if cp.stopped {
		return
	}
	cp.stopped = true
	if cp.kubelet != nil {
		cp.kubelet.stop()
	} else if cp.kubeletListener != nil {
		_ = cp.kubeletListener.Close()
	}
	for _, name := range slices.Backward(cp.order) {
		grace := 5 * time.Second
		if name == "chaos-controller-manager" {
			grace = time.Second // its second signal ends it
		}
		cp.procs[name].stop(grace)
	}
	cp.order = nil
	cp.launcher.close()
	if os.Getenv(KeepEnv) != "" {
		fmt.Fprintf(os.Stderr, "control plane folder kept: %s\n", cp.Dir)
		return
	}
	_ = os.RemoveAll(cp.Dir)
}

// scheme knows every built-in type and Chaos Mesh's.
func scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(v1alpha1.AddToScheme(s))
	return s
}
