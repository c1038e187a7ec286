package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Health checking of the balancer, in one place (an ALB target group's or
// Envoy's outlier detection's knobs).
const (
	HealthInterval    = time.Second
	HealthTimeout     = time.Second
	UnhealthyAfter    = 2 // failed active checks in a row eject a replica
	HealthyAfter      = 2 // passed active checks in a row re-admit it
	PassiveFailures   = 5 // connection errors or 5xx in a row eject it ...
	PassiveCooldown   = 5 * time.Second
	BackendTimeout    = 3 * time.Second // time to the response headers
	BackendDialTimout = time.Second
	// PodHeader names the replica that answered, on every response.
	PodHeader = "X-Gameday-Pod"
)

// HTTPFault is an HTTP fault the balancer applies to the traffic it sends to
// one replica, as Chaos Mesh's HTTPChaos does in the pod.
type HTTPFault struct {
	Name string `json:"name"`
	// Target is Request or Response.
	Target string `json:"target"`
	// Path is a glob on the request path ("*" or empty: every path);
	// Method matches the request method (empty: every method); Code matches
	// the response's status (Response target, 0: every status).
	Path   string `json:"path,omitempty"`
	Method string `json:"method,omitempty"`
	Code   int    `json:"code,omitempty"`
	// Abort closes the connection without an answer.
	Abort bool `json:"abort,omitempty"`
	// Delay holds the request (or the response) this long.
	Delay Duration `json:"delay,omitempty"`
	// ReplaceCode, ReplaceBody and ReplaceHeaders rewrite the response.
	ReplaceCode    int               `json:"replaceCode,omitempty"`
	ReplaceBody    []byte            `json:"replaceBody,omitempty"`
	ReplaceHeaders map[string]string `json:"replaceHeaders,omitempty"`
}

func (f HTTPFault) matchRequest(r *http.Request) bool {
	if f.Method != "" && f.Method != r.Method {
		return false
	}
	if f.Path == "" || f.Path == "*" {
		return true
	}
	ok, _ := path.Match(f.Path, r.URL.Path)
	return ok
}

// errAborted is a connection the fault layer aborted.
var errAborted = errors.New("connection aborted by an HTTP fault")

type backend struct {
	pod, zone string
	addr      string // the balancer → replica link
	rt        *http.Transport

	mu           sync.Mutex
	ready        bool // the supervisor's readiness (endpoints)
	healthy      bool // active health checks
	okRun, bad   int
	passive      int
	ejectedUntil time.Time
	reason       string
	faults       map[string]HTTPFault
}

// in reports whether b takes traffic now.
func (b *backend) in(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.ready && b.healthy && !now.Before(b.ejectedUntil)
}

func (b *backend) view(now time.Time) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case !b.ready:
		return "out: not ready"
	case !b.healthy:
		return "out: " + b.reason
	case now.Before(b.ejectedUntil):
		return "out: " + b.reason
	}
	return "in"
}

// balancer is the sandbox's front door.
type balancer struct {
	backends []*backend
	mu       sync.Mutex
	next     int

	requests   *prometheus.CounterVec
	retries    prometheus.Counter
	ejections  *prometheus.CounterVec
	inRotation *prometheus.GaugeVec
	onChange   func()
}

func newBalancer(reg prometheus.Registerer, onChange func()) *balancer {
	b := &balancer{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gameday_sandbox_balancer_requests_total",
			Help: "Requests the sandbox's balancer answered, by replica and status code (502/503 when no replica answered).",
		}, []string{"backend", "code"}),
		retries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gameday_sandbox_balancer_retries_total",
			Help: "Idempotent requests retried on another replica after a connection error.",
		}),
		ejections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gameday_sandbox_balancer_ejections_total",
			Help: "Replicas taken out of rotation, by reason (active: health checks; passive: errors on live traffic).",
		}, []string{"backend", "reason"}),
		inRotation: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gameday_sandbox_balancer_backend_in_rotation",
			Help: "1 when the balancer sends traffic to the replica.",
		}, []string{"backend", "zone"}),
		onChange: onChange,
	}
	reg.MustRegister(b.requests, b.retries, b.ejections, b.inRotation)
	return b
}

func (lb *balancer) add(pod, zone, addr string) *backend {
	be := &backend{
		pod: pod, zone: zone, addr: addr, healthy: true, faults: map[string]HTTPFault{},
		rt: &http.Transport{
			DialContext:           (&net.Dialer{Timeout: BackendDialTimout}).DialContext,
			ResponseHeaderTimeout: BackendTimeout,
			MaxIdleConnsPerHost:   64,
			IdleConnTimeout:       30 * time.Second,
		},
	}
	lb.backends = append(lb.backends, be)
	return be
}

func (lb *balancer) backend(pod string) *backend {
	for _, b := range lb.backends {
		if b.pod == pod {
			return b
		}
	}
	return nil
}

// pick returns the next backend in rotation, skipping except.
func (lb *balancer) pick(except *backend) *backend {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	now := time.Now()
	n := len(lb.backends)
	for i := range n {
		b := lb.backends[(lb.next+i)%n]
		if b != except && b.in(now) {
			lb.next = (lb.next + i + 1) % n
			return b
		}
	}
	return nil
}

func idempotent(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

func (lb *balancer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b := lb.pick(nil)
	if b == nil {
		lb.requests.WithLabelValues("none", "503").Inc()
		http.Error(w, "no ready replica", http.StatusServiceUnavailable)
		return
	}
	resp, err := lb.forward(b, r)
	if err != nil && idempotent(r.Method) && r.Context().Err() == nil {
		if other := lb.pick(b); other != nil {
			lb.retries.Inc()
			b = other
			resp, err = lb.forward(b, r)
		}
	}
	if err != nil {
		lb.requests.WithLabelValues(b.pod, "502").Inc()
		w.Header().Set(PodHeader, b.pod)
		http.Error(w, "bad gateway: "+err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, vs := range resp.Header {
		if hopHeader(k) {
			continue
		}
		w.Header()[k] = vs
	}
	w.Header().Set(PodHeader, b.pod)
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
	lb.requests.WithLabelValues(b.pod, strconv.Itoa(resp.StatusCode)).Inc()
}

func hopHeader(k string) bool {
	switch http.CanonicalHeaderKey(k) {
	case "Connection", "Keep-Alive", "Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade", "Content-Length":
		return true
	}
	return false
}

// forward sends r to b through b's link and its HTTP faults, and feeds the
// passive health check.
func (lb *balancer) forward(b *backend, r *http.Request) (*http.Response, error) {
	resp, err := lb.roundTrip(b, r)
	lb.passive(b, err != nil || resp.StatusCode >= 500)
	return resp, err
}

func (lb *balancer) roundTrip(b *backend, r *http.Request) (*http.Response, error) {
	b.mu.Lock()
	var req, res []HTTPFault
	for _, f := range b.faults {
		if !f.matchRequest(r) {
			continue
		}
		if f.Target == "Request" {
			req = append(req, f)
		} else {
			res = append(res, f)
		}
	}
	b.mu.Unlock()
	ctx := r.Context()
	for _, f := range req {
		if err := sleep(ctx, f.Delay.D()); err != nil {
			return nil, err
		}
		if f.Abort {
			return nil, errAborted
		}
	}
	out := r.Clone(ctx)
	out.URL.Scheme, out.URL.Host, out.RequestURI = "http", b.addr, ""
	out.Host = r.Host
	for k := range out.Header {
		if hopHeader(k) {
			out.Header.Del(k)
		}
	}
	if ip, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		out.Header.Set("X-Forwarded-For", ip)
	}
	resp, err := b.rt.RoundTrip(out)
	if err != nil {
		return nil, err
	}
	for _, f := range res {
		if f.Code != 0 && f.Code != resp.StatusCode {
			continue
		}
		if err := sleep(ctx, f.Delay.D()); err != nil {
			resp.Body.Close()
			return nil, err
		}
		if f.Abort {
			resp.Body.Close()
			return nil, errAborted
		}
		if f.ReplaceCode != 0 {
			resp.StatusCode = f.ReplaceCode
			resp.Status = fmt.Sprintf("%d %s", f.ReplaceCode, http.StatusText(f.ReplaceCode))
		}
		for k, v := range f.ReplaceHeaders {
			resp.Header.Set(k, v)
		}
		if f.ReplaceBody != nil {
			resp.Body.Close()
			resp.Body = io.NopCloser(bytes.NewReader(f.ReplaceBody))
			resp.Header.Del("Content-Length")
		}
	}
	return resp, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// passive counts errors on live traffic in a row; PassiveFailures of them
// eject the replica for PassiveCooldown.
func (lb *balancer) passive(b *backend, failed bool) {
	b.mu.Lock()
	ejected := false
	if !failed {
		b.passive = 0
	} else if b.passive++; b.passive >= PassiveFailures && !time.Now().Before(b.ejectedUntil) {
		b.ejectedUntil = time.Now().Add(PassiveCooldown)
		b.reason = fmt.Sprintf("ejected for %s after %d errors in a row", PassiveCooldown, b.passive)
		b.passive = 0
		ejected = true
	}
	b.mu.Unlock()
	if ejected {
		lb.ejections.WithLabelValues(b.pod, "passive").Inc()
		lb.changed()
	}
}

// check runs one active health check of b.
func (lb *balancer) check(ctx context.Context, b *backend) {
	ctx, cancel := context.WithTimeout(ctx, HealthTimeout)
	defer cancel()
	ok := httpOK(ctx, &http.Client{Transport: b.rt}, "http://"+b.addr+"/actuator/health/readiness")
	b.mu.Lock()
	changed, ejected := false, false
	if ok {
		b.bad = 0
		b.okRun++
		if !b.healthy && b.okRun >= HealthyAfter {
			b.healthy, changed = true, true
		}
	} else {
		b.okRun = 0
		b.bad++
		if b.healthy && b.bad >= UnhealthyAfter {
			b.healthy, changed, ejected = false, true, true
			b.reason = fmt.Sprintf("ejected after %d failed health checks", b.bad)
		}
	}
	b.mu.Unlock()
	if ejected {
		lb.ejections.WithLabelValues(b.pod, "active").Inc()
	}
	if changed {
		lb.changed()
	}
}

// setReady is the supervisor's readiness of a replica (the Service's
// endpoints). A replica that becomes ready enters rotation at once.
func (lb *balancer) setReady(pod string, ready bool) {
	b := lb.backend(pod)
	if b == nil {
		return
	}
	b.mu.Lock()
	b.ready = ready
	if ready {
		b.healthy, b.bad, b.passive, b.ejectedUntil = true, 0, 0, time.Time{}
	}
	b.mu.Unlock()
	lb.changed()
}

func (lb *balancer) changed() {
	now := time.Now()
	for _, b := range lb.backends {
		v := 0.0
		if b.in(now) {
			v = 1
		}
		lb.inRotation.WithLabelValues(b.pod, b.zone).Set(v)
	}
	if lb.onChange != nil {
		lb.onChange()
	}
}

// healthLoop checks every backend every HealthInterval until ctx ends.
func (lb *balancer) healthLoop(ctx context.Context) {
	t := time.NewTicker(HealthInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var wg sync.WaitGroup
		for _, b := range lb.backends {
			wg.Go(func() { lb.check(ctx, b) })
		}
		wg.Wait()
		lb.changed() // passive cool-downs end without an event
	}
}

func (lb *balancer) setFault(pod string, f HTTPFault) error {
	b := lb.backend(pod)
	if b == nil {
		return fmt.Errorf("no replica %q", pod)
	}
	b.mu.Lock()
	b.faults[f.Name] = f
	b.mu.Unlock()
	return nil
}

// faultsOf lists the HTTP faults on pod's traffic, by name.
func (lb *balancer) faultsOf(pod string) ([]HTTPFault, error) {
	b := lb.backend(pod)
	if b == nil {
		return nil, fmt.Errorf("no replica %q", pod)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	out := slices.Collect(maps.Values(b.faults))
	slices.SortFunc(out, func(x, y HTTPFault) int { return strings.Compare(x.Name, y.Name) })
	return out, nil
}

func (lb *balancer) clearFault(pod, name string) error {
	b := lb.backend(pod)
	if b == nil {
		return fmt.Errorf("no replica %q", pod)
	}
	b.mu.Lock()
	delete(b.faults, name)
	b.mu.Unlock()
	return nil
}
