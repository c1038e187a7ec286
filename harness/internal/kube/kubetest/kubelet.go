package kubetest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Image is how the control plane runs the containers of one image as
// local processes: Path is the image's entrypoint (the container's args
// follow it; a container command replaces it), Env is added to the
// container's own environment.
type Image struct {
	Path string
	Env  []string
}

// kubelet is the part of a kubelet kwok does not play, for the images
// registered with RunImage: it runs the container of a pod that kwok
// reports Running as a local process (args and environment from the pod,
// the downward API resolved), serves its output on the kubelet API's
// /containerLogs endpoint, which the API server's pods/log reaches through
// the node's kubelet port (the kwok nodes advertise this server), ends the
// log when the process ends, writes the pod's final status (Succeeded or
// Failed, the container terminated with its exit code) as a kubelet would,
// and stops the process (SIGTERM, then SIGKILL after the pod's grace
// period) when the pod is deleted. Other pods' containers do not run;
// their logs are refused.
type kubelet struct {
	cp     *ControlPlane
	srv    *http.Server
	dir    string
	mu     sync.Mutex
	images map[string]Image
	pods   map[types.UID]*podProcess
	done   chan struct{}
	cancel context.CancelFunc
}

// podProcess is a pod's one container, running or ended.
type podProcess struct {
	ns, name, container string
	log                 string
	proc                *process
	started             time.Time
	killing             bool
}

// RunImage makes the control plane run the containers of image as local
// processes from now on (see kubelet).
func (cp *ControlPlane) RunImage(image string, run Image) {
	cp.kubelet.mu.Lock()
	defer cp.kubelet.mu.Unlock()
	cp.kubelet.images[image] = run
}

func (cp *ControlPlane) startKubelet(ctx context.Context) error {
	k := &kubelet{cp: cp, dir: cp.path("pods"), images: map[string]Image{}, pods: map[types.UID]*podProcess{}, done: make(chan struct{})}
	if err := os.MkdirAll(k.dir, 0o700); err != nil {
		return err
	}
	kp, err := cp.pki.issue("kubelet", "kubelet", nil, "127.0.0.1")
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /containerLogs/{ns}/{pod}/{container}", k.containerLogs)
	// HTTP/1.1 only, as the API server reaches kubelets.
	k.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second,
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){}}
	go func() { _ = k.srv.ServeTLS(cp.kubeletListener, kp.CertFile, kp.KeyFile) }()
	var loopCtx context.Context
	loopCtx, k.cancel = context.WithCancel(context.WithoutCancel(ctx))
	cp.kubelet = k
	go k.loop(loopCtx)
	return nil
}

// stop ends the loop, every process (as a node going away would) and the
// server.
func (k *kubelet) stop() {
	k.cancel()
	<-k.done
	k.mu.Lock()
	procs := make([]*process, 0, len(k.pods))
	for _, p := range k.pods {
		procs = append(procs, p.proc)
	}
	k.mu.Unlock()
	for _, p := range procs {
		p.stop(time.Second)
	}
	_ = k.srv.Close()
}

// loop syncs the pods every 100 ms.
func (k *kubelet) loop(ctx context.Context) {
	defer close(k.done)
	for {
		k.sync(ctx)
		select {
		case <-ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (k *kubelet) image(pod *corev1.Pod) (Image, bool) {
	if len(pod.Spec.Containers) != 1 {
		return Image{}, false
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	im, ok := k.images[pod.Spec.Containers[0].Image]
	return im, ok
}

func (k *kubelet) sync(ctx context.Context) {
	var pods corev1.PodList
	if err := k.cp.Client.List(ctx, &pods); err != nil {
		return
	}
	seen := map[types.UID]bool{}
	for i := range pods.Items {
		pod := &pods.Items[i]
		im, ok := k.image(pod)
		if !ok {
			continue
		}
		seen[pod.UID] = true
		k.mu.Lock()
		pp := k.pods[pod.UID]
		k.mu.Unlock()
		switch {
		case pp == nil && pod.DeletionTimestamp == nil && pod.Status.Phase == corev1.PodRunning:
			if err := k.start(pod, im); err != nil {
				k.finish(ctx, pod, nil, err)
			}
		case pp != nil && pod.DeletionTimestamp != nil && !pp.killing:
			pp.killing = true
			grace := time.Duration(30) * time.Second
			if g := pod.DeletionGracePeriodSeconds; g != nil {
				grace = time.Duration(*g) * time.Second
			}
			go pp.proc.stop(max(grace, 100*time.Millisecond))
		}
	}
	// Pods gone (deleted with no grace): their processes too.
	k.mu.Lock()
	for uid, pp := range k.pods {
		if !seen[uid] && !pp.killing {
			pp.killing = true
			go pp.proc.stop(time.Second)
		}
	}
	k.mu.Unlock()
}

// fieldPath matches the downward API's metadata.annotations['key'] and
// metadata.labels['key'].
var fieldPath = regexp.MustCompile(`^metadata\.(annotations|labels)\['(.+)'\]$`)

// env is the container's environment, the downward API resolved.
func env(pod *corev1.Pod, c *corev1.Container) ([]string, error) {
	var out []string
	for _, e := range c.Env {
		v := e.Value
		if e.ValueFrom != nil {
			if e.ValueFrom.FieldRef == nil {
				return nil, fmt.Errorf("env %s: only fieldRef is supported here", e.Name)
			}
			switch p := e.ValueFrom.FieldRef.FieldPath; p {
			case "metadata.name":
				v = pod.Name
			case "metadata.namespace":
				v = pod.Namespace
			case "spec.nodeName":
				v = pod.Spec.NodeName
			case "status.podIP":
				v = pod.Status.PodIP
			default:
				m := fieldPath.FindStringSubmatch(p)
				if m == nil {
					return nil, fmt.Errorf("env %s: field %s is not supported here", e.Name, p)
				}
				if m[1] == "annotations" {
					v = pod.Annotations[m[2]]
				} else {
					v = pod.Labels[m[2]]
				}
			}
		}
		out = append(out, e.Name+"="+v)
	}
	return out, nil
}

func (k *kubelet) start(pod *corev1.Pod, im Image) error {
	c := &pod.Spec.Containers[0]
	e, err := env(pod, c)
	if err != nil {
		return err
	}
	path, args := im.Path, c.Args
	if len(c.Command) > 0 {
		path, args = c.Command[0], append(c.Command[1:], c.Args...)
	}
	log := filepath.Join(k.dir, pod.Namespace+"_"+pod.Name+"_"+c.Name+".log")
	pr, err := k.cp.launcher.start("pod "+pod.Namespace+"/"+pod.Name, path, args, append(im.Env, e...), log)
	if err != nil {
		return err
	}
	pp := &podProcess{ns: pod.Namespace, name: pod.Name, container: c.Name, log: log, proc: pr, started: time.Now()}
	k.mu.Lock()
	k.pods[pod.UID] = pp
	k.mu.Unlock()
	uid := pod.UID
	go func() {
		<-pr.done
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var cur corev1.Pod
		if err := k.cp.Client.Get(ctx, client.ObjectKey{Namespace: pp.ns, Name: pp.name}, &cur); err != nil || cur.UID != uid {
			return // deleted
		}
		k.finish(ctx, &cur, pp, nil)
	}()
	return nil
}

// finish writes the pod's final status: its container terminated with the
// process's exit code (or failed to start: startErr).
func (k *kubelet) finish(ctx context.Context, pod *corev1.Pod, pp *podProcess, startErr error) {
	code, reason, msg := int32(0), "Completed", ""
	started := time.Now()
	if pp != nil {
		started = pp.started
		if pp.proc.err != nil {
			code, reason = 1, "Error"
			var ee interface{ ExitCode() int }
			if errors.As(pp.proc.err, &ee) && ee.ExitCode() > 0 {
				code = int32(ee.ExitCode()) // #nosec G115 -- an exit code
			} else if strings.Contains(pp.proc.err.Error(), "signal: killed") {
				code = 137
			}
		}
	}
	if startErr != nil {
		code, reason, msg = 128, "StartError", startErr.Error()
	}
	phase := corev1.PodSucceeded
	if code != 0 {
		phase = corev1.PodFailed
	}
	now := metav1.Now()
	for range 10 {
		c := pod.Spec.Containers[0]
		pod.Status.Phase = phase
		pod.Status.Conditions = setPodCondition(pod.Status.Conditions, corev1.PodReady, "PodCompleted", now)
		pod.Status.Conditions = setPodCondition(pod.Status.Conditions, corev1.ContainersReady, "PodCompleted", now)
		pod.Status.ContainerStatuses = []corev1.ContainerStatus{{
			Name: c.Name, Image: c.Image, Ready: false, Started: new(bool),
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
				ExitCode: code, Reason: reason, Message: msg, StartedAt: metav1.NewTime(started), FinishedAt: now,
			}},
		}}
		err := k.cp.Client.Status().Update(ctx, pod)
		if err == nil || !apierrors.IsConflict(err) {
			return
		}
		if k.cp.Client.Get(ctx, client.ObjectKeyFromObject(pod), pod) != nil {
			return
		}
	}
}

func setPodCondition(cs []corev1.PodCondition, t corev1.PodConditionType, reason string, now metav1.Time) []corev1.PodCondition {
	for i := range cs {
		if cs[i].Type == t {
			cs[i].Status, cs[i].Reason, cs[i].LastTransitionTime = corev1.ConditionFalse, reason, now
			return cs
		}
	}
	return append(cs, corev1.PodCondition{Type: t, Status: corev1.ConditionFalse, Reason: reason, LastTransitionTime: now})
}

// process is the process of a pod's container, nil if it has none.
func (k *kubelet) process(ns, name, container string) *podProcess {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, p := range k.pods {
		if p.ns == ns && p.name == name && p.container == container {
			return p
		}
	}
	return nil
}

// containerLogs serves a container's output as the kubelet does: all of it,
// and with follow=true what comes next, until the process has ended.
func (k *kubelet) containerLogs(w http.ResponseWriter, r *http.Request) {
	ns, name, container := r.PathValue("ns"), r.PathValue("pod"), r.PathValue("container")
	// kwok marks a pod Running before its process starts here (a kubelet
	// would the other way round): wait for it a little.
	var pp *podProcess
	for deadline := time.Now().Add(5 * time.Second); pp == nil && time.Now().Before(deadline); {
		if pp = k.process(ns, name, container); pp == nil {
			time.Sleep(50 * time.Millisecond)
		}
	}
	if pp == nil {
		http.Error(w, fmt.Sprintf("container %q in pod %s/%s is not running here (only the containers of images the test control plane runs have logs)", container, ns, name), http.StatusBadRequest)
		return
	}
	f, err := os.Open(pp.log)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer f.Close()
	follow := r.URL.Query().Get("follow") == "true"
	w.Header().Set("Content-Type", "text/plain")
	fl, _ := w.(http.Flusher)
	buf := make([]byte, 32*1024)
	for {
		n, err := f.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
			if fl != nil {
				fl.Flush()
			}
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return
		}
		if !follow {
			return
		}
		if _, ended := pp.proc.exited(); ended {
			// Read what the process wrote last, then end.
			if n, _ := f.Read(buf); n > 0 {
				_, _ = w.Write(buf[:n])
				continue
			}
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-pp.proc.done:
		case <-time.After(50 * time.Millisecond):
		}
	}
}
