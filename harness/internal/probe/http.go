package probe

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// HTTP requests a URL with Method, Header and Body: the status must be one
// of Expect (default 200) and the latency in seconds, its value, must be
// within Tolerance. A refused connection or a timeout breaches: the system
// under test is what failed.
type HTTP struct {
	ProbeName string
	URL       string
	Method    string      // default GET
	Header    http.Header // a Host header sets the request's Host
	Body      string      // sent with every request (POST)
	Expect    []int       // accepted statuses, default [200]
	// Tolerance bounds the latency in seconds; nil: any latency.
	Tolerance *spec.Tolerance
	Timeout   time.Duration // default 5 s
	Client    *http.Client  // default: a client with Timeout that follows no redirect
}

var _ Probe = (*HTTP)(nil)

// httpFromSpec is the runtime probe of an http probe: its url (or the
// target's URL + its path), method, headers, body, expected status,
// timeout and tolerance.
func httpFromSpec(p spec.Probe, c Clients) (Probe, error) {
	h := p.HTTP
	u := h.URL
	if u == "" {
		if c.TargetURL == "" {
			return nil, fmt.Errorf("probe %s: path %s needs the target's URL", p.Name, h.Path)
		}
		u = strings.TrimSuffix(c.TargetURL, "/") + h.Path
	}
	if _, err := url.Parse(u); err != nil {
		return nil, fmt.Errorf("probe %s: %w", p.Name, err)
	}
	var header http.Header
	if len(h.Headers) > 0 {
		header = http.Header{}
		for k, v := range h.Headers {
			header.Set(k, v)
		}
	}
	return &HTTP{ProbeName: p.Name, URL: u, Method: cmp.Or(h.Method, http.MethodGet), Header: header, Body: h.Body,
		Expect: []int{cmp.Or(h.ExpectStatus, http.StatusOK)}, Tolerance: p.Tolerance, Timeout: h.Timeout.D()}, nil
}

// httpMeasures is the probe's URL or path, after its method unless GET.
func httpMeasures(p spec.Probe) string {
	if m := p.HTTP.Method; m != "" && m != http.MethodGet {
		return m + " " + p.HTTP.URL + p.HTTP.Path
	}
	return p.HTTP.URL + p.HTTP.Path
}

// Name is the probe's name.
func (p *HTTP) Name() string { return p.ProbeName }

// Check requests the URL now (at only stamps the sample).
func (p *HTTP) Check(ctx context.Context, at time.Time) Sample {
	timeout := cmp.Or(p.Timeout, 5*time.Second)
	client := p.Client
	if client == nil {
		client = &http.Client{Timeout: timeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var body io.Reader
	if p.Body != "" {
		body = strings.NewReader(p.Body)
	}
	req, err := http.NewRequestWithContext(ctx, cmp.Or(p.Method, http.MethodGet), p.URL, body)
	if err != nil {
		return failed(p.ProbeName, at, StatusError, fmt.Errorf("%s: %w", p.ProbeName, err))
	}
	for k, vs := range p.Header {
		req.Header[k] = vs
	}
	if host := p.Header.Get("Host"); host != "" {
		req.Host = host
	}
	began := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return failed(p.ProbeName, at, StatusBreached, fmt.Errorf("%s: %w", p.ProbeName, err))
	}
	_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	latency := time.Since(began).Seconds()
	if err != nil {
		return failed(p.ProbeName, at, StatusBreached, fmt.Errorf("%s: read body: %w", p.ProbeName, err))
	}
	expect := p.Expect
	if len(expect) == 0 {
		expect = []int{http.StatusOK}
	}
	if !slices.Contains(expect, resp.StatusCode) {
		s := failed(p.ProbeName, at, StatusBreached, fmt.Errorf("%s: status %d, want %v", p.ProbeName, resp.StatusCode, expect))
		s.Value = latency
		return s
	}
	return Judge(p.ProbeName, at, p.Tolerance, latency)
}
