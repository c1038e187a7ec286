package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/loki"
	"github.com/gamedayhq/gameday/harness/internal/prom"
)

// HTTP probes a URL with GET: the status must be one of Expect (default
// 200) and the latency in seconds, its value, must be within Tolerance.
// A refused connection or a timeout breaches: the system under test is
// what failed.
type HTTP struct {
	ProbeName string
	URL       string
	Expect    []int         // accepted statuses, default [200]
	Tolerance Tolerance     // on the latency in seconds; zero: any latency
	Timeout   time.Duration // default 5 s
	Client    *http.Client  // default: a client with Timeout that follows no redirect
	Header    http.Header
}

var _ Probe = (*HTTP)(nil)

// Name is the probe's name.
func (p *HTTP) Name() string { return p.ProbeName }

// Check GETs the URL now (at only stamps the sample).
func (p *HTTP) Check(ctx context.Context, at time.Time) Sample {
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	client := p.Client
	if client == nil {
		client = &http.Client{Timeout: timeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL, nil)
	if err != nil {
		return failed(p.ProbeName, at, StatusError, fmt.Errorf("%s: %w", p.ProbeName, err))
	}
	for k, vs := range p.Header {
		req.Header[k] = vs
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

// Querier is what a PromQL probe needs of internal/prom.Client.
type Querier interface {
	Query(ctx context.Context, q string, at time.Time) (float64, error)
}

var _ Querier = (*prom.Client)(nil)

// PromQL evaluates a query that returns one number and judges it.
type PromQL struct {
	ProbeName string
	Query     string
	Tolerance Tolerance
	Client    Querier
	NoData    NoData // default NoDataBreach
}

var _ Probe = (*PromQL)(nil)

// Name is the probe's name.
func (p *PromQL) Name() string { return p.ProbeName }

// Check evaluates the query at `at`.
func (p *PromQL) Check(ctx context.Context, at time.Time) Sample {
	if p.Client == nil {
		return failed(p.ProbeName, at, StatusError, fmt.Errorf("%s: no prometheus configured", p.ProbeName))
	}
	v, err := p.Client.Query(ctx, p.Query, at)
	switch {
	case err == nil:
		return Judge(p.ProbeName, at, p.Tolerance, v)
	case errors.Is(err, prom.ErrNoData), errors.Is(err, prom.ErrNaN):
		return onNoData(cmpOr(p.NoData, NoDataBreach), p.ProbeName, at, p.Tolerance, fmt.Errorf("%s: %w", p.ProbeName, err))
	default: // unreachable, bad query, several series: the measurement failed
		return failed(p.ProbeName, at, StatusError, fmt.Errorf("%s: %w", p.ProbeName, err))
	}
}

// LogQuerier is what a LogQL probe needs of internal/loki.Client.
type LogQuerier interface {
	Query(ctx context.Context, logql string, at time.Time) (*loki.Result, error)
}

var _ LogQuerier = (*loki.Client)(nil)

// ErrNoLoki is the reason a LogQL probe is skipped.
var ErrNoLoki = errors.New("no loki configured: logql probe skipped")

// LogQL evaluates a metric LogQL query (e.g. sum(count_over_time({app=
// "petclinic"} |= "ERROR" [1m]))) that returns one number. Without a
// Client it is skipped, never ok.
type LogQL struct {
	ProbeName string
	Query     string
	Tolerance Tolerance
	Client    LogQuerier // nil: no Loki configured
	NoData    NoData     // default NoDataZero
}

var _ Probe = (*LogQL)(nil)

// Name is the probe's name.
func (p *LogQL) Name() string { return p.ProbeName }

// Check evaluates the query at `at`.
func (p *LogQL) Check(ctx context.Context, at time.Time) Sample {
	if p.Client == nil {
		return failed(p.ProbeName, at, StatusSkipped, fmt.Errorf("%s: %w", p.ProbeName, ErrNoLoki))
	}
	r, err := p.Client.Query(ctx, p.Query, at)
	if err != nil {
		return failed(p.ProbeName, at, StatusError, fmt.Errorf("%s: %w", p.ProbeName, err))
	}
	v, err := r.Number()
	switch {
	case err == nil:
		return Judge(p.ProbeName, at, p.Tolerance, v)
	case errors.Is(err, loki.ErrNoData), errors.Is(err, loki.ErrNaN):
		return onNoData(cmpOr(p.NoData, NoDataZero), p.ProbeName, at, p.Tolerance, fmt.Errorf("%s: %w", p.ProbeName, err))
	default:
		return failed(p.ProbeName, at, StatusError, fmt.Errorf("%s: %w", p.ProbeName, err))
	}
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
