// Package prom runs PromQL probes against Prometheus through client_golang's
// HTTP API client, and tells an infrastructure failure (Prometheus down,
// overloaded or answering garbage: ErrUnreachable) apart from an answer
// that is not a usable number (query.ErrNoData, query.ErrMultipleSeries, query.ErrNaN) and
// from a query Prometheus rejects (ErrBadQuery).
package prom

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/gamedayhq/gameday/harness/internal/query"
)

var (
	// ErrUnreachable: Prometheus did not answer, answered with a server
	// error or timed out evaluating the query (query.ErrUnreachable).
	ErrUnreachable = fmt.Errorf("prometheus %w", query.ErrUnreachable)
	// ErrBadQuery: Prometheus rejected the query or could not execute it
	// (query.ErrBadQuery).
	ErrBadQuery = fmt.Errorf("%w (promql)", query.ErrBadQuery)
)

// The errors of an answer that is not one number are package query's
// (ErrNoData, ErrMultipleSeries, ErrNaN, ErrNotNumber).

// DefaultTimeout bounds each call when New is given no timeout.
const DefaultTimeout = 10 * time.Second

// A Client queries one Prometheus.
type Client struct {
	url     string
	timeout time.Duration
	raw     api.Client
	api     v1.API
}

// New returns a client for the Prometheus at url (e.g.
// http://127.0.0.1:9090); timeout bounds every call (0: DefaultTimeout).
func New(url string, timeout time.Duration) (*Client, error) {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
		return nil, fmt.Errorf("prom: address %q: want an http:// or https:// URL", url)
	}
	raw, err := api.NewClient(api.Config{Address: url, Client: &http.Client{Timeout: timeout}})
	if err != nil {
		return nil, fmt.Errorf("prom: address %q: %w", url, err)
	}
	return &Client{url: url, timeout: timeout, raw: raw, api: v1.NewAPI(raw)}, nil
}

// URL is the address of the Prometheus.
func (c *Client) URL() string { return c.url }

// Ready checks Prometheus' readiness endpoint (GET /-/ready): nil when it
// serves queries, ErrUnreachable otherwise.
func (c *Client) Ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.raw.URL("/-/ready", nil).String(), nil)
	if err != nil {
		return fmt.Errorf("prom: ready: %w", err)
	}
	resp, body, err := c.raw.Do(ctx, req)
	if err != nil {
		return c.wrap(ctx, "ready", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("prom: ready: %w: %s at %s: %s", ErrUnreachable, resp.Status, c.url, firstLine(body))
	}
	return nil
}

// Query evaluates q at `at` (the zero time: now) and returns its single
// number: a scalar, or the value of a one-sample vector. +Inf and -Inf are
// returned as they are; NaN comes with query.ErrNaN.
func (c *Client) Query(ctx context.Context, q string, at time.Time) (float64, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	if at.IsZero() {
		at = time.Now()
	}
	v, _, _, err := c.api.Query(ctx, q, at, v1.WithTimeout(c.timeout))
	if err != nil {
		return 0, c.wrap(ctx, fmt.Sprintf("query %q", q), err)
	}
	x, err := number(v)
	if err != nil {
		return x, fmt.Errorf("prom: query %q: %w", q, err)
	}
	return x, nil
}

// number extracts the single number of an instant query's result.
func number(v model.Value) (float64, error) {
	var x model.SampleValue
	switch v := v.(type) {
	case *model.Scalar:
		x = v.Value
	case model.Vector:
		switch len(v) {
		case 0:
			return 0, query.ErrNoData
		case 1:
			x = v[0].Value
		default:
			return 0, fmt.Errorf("%w: %d series, e.g. %s and %s", query.ErrMultipleSeries, len(v), v[0].Metric, v[1].Metric)
		}
	default:
		return 0, fmt.Errorf("%w: got a %s", query.ErrNotNumber, v.Type())
	}
	if math.IsNaN(float64(x)) {
		return math.NaN(), query.ErrNaN
	}
	return float64(x), nil
}

// A Series is one labelled series of a range query.
type Series struct {
	Labels map[string]string
	Points []Point
}

// A Point is one sample of a Series.
type Point struct {
	At    time.Time
	Value float64
}

// QueryRange evaluates q every step from start to end, for report
// timelines. Series are sorted by their labels; an empty result is
// query.ErrNoData.
func (c *Client) QueryRange(ctx context.Context, q string, start, end time.Time, step time.Duration) ([]Series, error) {
	if step <= 0 || !end.After(start) {
		return nil, fmt.Errorf("prom: query range %q: %w: want start < end and a positive step", q, ErrBadQuery)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	v, _, _, err := c.api.QueryRange(ctx, q, v1.Range{Start: start, End: end, Step: step}, v1.WithTimeout(c.timeout))
	if err != nil {
		return nil, c.wrap(ctx, fmt.Sprintf("query range %q", q), err)
	}
	m, ok := v.(model.Matrix)
	if !ok {
		return nil, fmt.Errorf("prom: query range %q: %w: got a %s", q, query.ErrNotNumber, v.Type())
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("prom: query range %q: %w", q, query.ErrNoData)
	}
	slices.SortFunc(m, func(a, b *model.SampleStream) int { return strings.Compare(a.Metric.String(), b.Metric.String()) })
	out := make([]Series, len(m))
	for i, s := range m {
		labels := make(map[string]string, len(s.Metric))
		for k, v := range s.Metric {
			labels[string(k)] = string(v)
		}
		points := make([]Point, len(s.Values))
		for j, p := range s.Values {
			points[j] = Point{At: p.Timestamp.Time(), Value: float64(p.Value)}
		}
		out[i] = Series{Labels: labels, Points: points}
	}
	return out, nil
}

// wrap classifies an error of the API client.
func (c *Client) wrap(ctx context.Context, what string, err error) error {
	var apiErr *v1.Error
	switch {
	case errors.As(err, &apiErr) && (apiErr.Type == v1.ErrBadData || apiErr.Type == v1.ErrExec):
		return fmt.Errorf("prom: %s: %w: %s", what, ErrBadQuery, apiErr.Msg)
	case errors.As(err, &apiErr):
		// server_error, bad_response, timeout, canceled, client_error (4xx
		// from something that is not Prometheus' API)
		return fmt.Errorf("prom: %s: %w at %s: %s: %s", what, ErrUnreachable, c.url, apiErr.Type, firstLine([]byte(apiErr.Msg)))
	case ctx.Err() != nil && errors.Is(context.Cause(ctx), context.Canceled):
		return fmt.Errorf("prom: %s: %w", what, ctx.Err()) // the caller gave up
	default:
		return fmt.Errorf("prom: %s: %w at %s: %w", what, ErrUnreachable, c.url, err)
	}
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
