// Package loki is a small client for Grafana Loki's HTTP query API
// (/loki/api/v1/query and /loki/api/v1/query_range), written against Loki's
// documented response format. Loki's own Go module is AGPL and is never
// imported.
package loki

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/query"
)

var (
	// ErrUnreachable: Loki did not answer, timed out, or answered with a
	// server error (query.ErrUnreachable).
	ErrUnreachable = fmt.Errorf("loki %w", query.ErrUnreachable)
	// ErrUnauthorized: Loki (or its gateway) refused the credentials or
	// tenant (query.ErrUnauthorized).
	ErrUnauthorized = fmt.Errorf("loki %w", query.ErrUnauthorized)
	// ErrBadQuery: Loki rejected the query (400), e.g. a syntax error or a
	// log query sent to the instant endpoint (query.ErrBadQuery).
	ErrBadQuery = fmt.Errorf("%w (logql)", query.ErrBadQuery)
	// ErrBadResponse: the answer is not Loki's documented JSON.
	ErrBadResponse = errors.New("bad loki response")
)

// The errors of a result that is not one number (see Result.Number) are
// package query's (ErrNoData, ErrMultipleSeries, ErrNaN, ErrNotNumber).

// A StatusError is an answer of Loki with a status other than 200. It
// unwraps to ErrBadQuery (400, 422), ErrUnauthorized (401, 403) or
// ErrUnreachable (anything else, e.g. 429, 5xx).
type StatusError struct {
	Code   int
	Status string
	Body   string // Loki's error text, trimmed
}

func (e *StatusError) Error() string { return fmt.Sprintf("%s: %s", e.Status, e.Body) }

func (e *StatusError) Unwrap() error {
	switch e.Code {
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		return ErrBadQuery
	case http.StatusUnauthorized, http.StatusForbidden:
		return ErrUnauthorized
	default:
		return ErrUnreachable
	}
}

// Config configures a Client.
type Config struct {
	URL string // e.g. http://loki-gateway.monitoring:80
	// TenantID is sent as X-Scope-OrgID (multi-tenant Loki).
	TenantID string
	// Username and Password send HTTP basic auth; BearerToken an
	// Authorization: Bearer header. At most one of them.
	Username, Password string
	BearerToken        string
	// Timeout bounds every call (default 10 s).
	Timeout time.Duration
	// HTTPClient, when set, sends the requests (its Timeout is left alone).
	HTTPClient *http.Client
}

// A Client queries one Loki.
type Client struct {
	base    *url.URL
	cfg     Config
	timeout time.Duration
	http    *http.Client
}

// DefaultTimeout bounds each call when the configuration sets none.
const DefaultTimeout = 10 * time.Second

// maxBody caps what is read of an answer: query results of a probe are
// small; a huge answer is a mistake, not something to buffer.
const maxBody = 32 << 20

// New checks c and returns a client.
func New(c Config) (*Client, error) {
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("loki: address %q: want an http:// or https:// URL", c.URL)
	}
	if c.BearerToken != "" && (c.Username != "" || c.Password != "") {
		return nil, errors.New("loki: both basic auth and a bearer token are set: choose one")
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	hc := c.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: timeout}
	}
	u.Path = strings.TrimRight(u.Path, "/")
	return &Client{base: u, cfg: c, timeout: timeout, http: hc}, nil
}

// Query runs an instant query (a metric query: Loki rejects log queries
// here) at `at` (zero: now).
func (c *Client) Query(ctx context.Context, logql string, at time.Time) (*Result, error) {
	v := url.Values{"query": {logql}}
	if !at.IsZero() {
		v.Set("time", strconv.FormatInt(at.UnixNano(), 10))
	}
	return c.get(ctx, "/loki/api/v1/query", v, logql)
}

// A RangeOption adjusts a range query.
type RangeOption func(url.Values)

// Limit caps the number of log lines a log query returns (Loki's default
// is 100).
func Limit(n int) RangeOption { return func(v url.Values) { v.Set("limit", strconv.Itoa(n)) } }

// Forward returns log lines oldest first (Loki's default is newest first).
func Forward() RangeOption { return func(v url.Values) { v.Set("direction", "forward") } }

// QueryRange runs a query over [start, end]: log queries return streams,
// metric queries a matrix with a point every step (0: Loki's default).
func (c *Client) QueryRange(ctx context.Context, logql string, start, end time.Time, step time.Duration, opts ...RangeOption) (*Result, error) {
	if !end.After(start) {
		return nil, fmt.Errorf("loki: query range %q: %w: start %s is not before end %s", logql, ErrBadQuery, start, end)
	}
	v := url.Values{
		"query": {logql},
		"start": {strconv.FormatInt(start.UnixNano(), 10)},
		"end":   {strconv.FormatInt(end.UnixNano(), 10)},
	}
	if step > 0 {
		v.Set("step", strconv.FormatFloat(step.Seconds(), 'f', -1, 64))
	}
	for _, o := range opts {
		o(v)
	}
	return c.get(ctx, "/loki/api/v1/query_range", v, logql)
}

func (c *Client) get(ctx context.Context, path string, v url.Values, logql string) (*Result, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	u := *c.base
	u.Path += path
	u.RawQuery = v.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("loki: query %q: %w", logql, err)
	}
	req.Header.Set("Accept", "application/json")
	if c.cfg.TenantID != "" {
		req.Header.Set("X-Scope-OrgID", c.cfg.TenantID)
	}
	switch {
	case c.cfg.BearerToken != "":
		req.Header.Set("Authorization", "Bearer "+c.cfg.BearerToken)
	case c.cfg.Username != "" || c.cfg.Password != "":
		req.SetBasicAuth(c.cfg.Username, c.cfg.Password)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil && errors.Is(context.Cause(ctx), context.Canceled) {
			return nil, fmt.Errorf("loki: query %q: %w", logql, ctx.Err())
		}
		return nil, fmt.Errorf("loki: query %q: %w at %s: %w", logql, ErrUnreachable, c.base.Redacted(), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("loki: query %q: %w: read answer: %w", logql, ErrUnreachable, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("loki: query %q: %w", logql, &StatusError{Code: resp.StatusCode, Status: resp.Status, Body: errorText(body)})
	}
	r, err := decode(body)
	if err != nil {
		return nil, fmt.Errorf("loki: query %q: %w", logql, err)
	}
	return r, nil
}

// errorText is Loki's error message: its JSON "error" field when the
// answer is JSON, else the first line of the text.
func errorText(body []byte) string {
	var e struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &e) == nil && (e.Error != "" || e.Message != "") {
		return strings.TrimSpace(e.Error + " " + e.Message)
	}
	s, _, _ := strings.Cut(strings.TrimSpace(string(body)), "\n")
	if len(s) > 500 {
		s = s[:500] + "…"
	}
	return s
}

// ResultType is the kind of a query's result.
type ResultType string

// The result types of Loki's query API.
const (
	TypeStreams ResultType = "streams"
	TypeMatrix  ResultType = "matrix"
	TypeVector  ResultType = "vector"
	TypeScalar  ResultType = "scalar"
)

// A Result is a decoded query answer; the field of its Type is set.
type Result struct {
	Type    ResultType
	Streams []Stream // log lines
	Matrix  []Series // metric query over a range
	Vector  []Sample // metric query at an instant
	Scalar  *Point
}

// A Stream is the log lines of one label set, in Loki's order.
type Stream struct {
	Labels  map[string]string
	Entries []Entry
}

// An Entry is one log line.
type Entry struct {
	At   time.Time
	Line string
}

// A Series is one labelled series of a matrix.
type Series struct {
	Labels map[string]string
	Points []Point
}

// A Sample is one labelled point of a vector.
type Sample struct {
	Labels map[string]string
	Point
}

// A Point is a timestamped number.
type Point struct {
	At    time.Time
	Value float64
}

// Number returns the single number of a metric result: a scalar, a
// one-sample vector, or the last point of a one-series matrix.
func (r *Result) Number() (float64, error) {
	var x float64
	switch r.Type {
	case TypeScalar:
		if r.Scalar == nil {
			return 0, query.ErrNoData
		}
		x = r.Scalar.Value
	case TypeVector:
		switch len(r.Vector) {
		case 0:
			return 0, query.ErrNoData
		case 1:
			x = r.Vector[0].Value
		default:
			return 0, fmt.Errorf("%w: %d series", query.ErrMultipleSeries, len(r.Vector))
		}
	case TypeMatrix:
		switch {
		case len(r.Matrix) == 0 || len(r.Matrix[0].Points) == 0:
			return 0, query.ErrNoData
		case len(r.Matrix) > 1:
			return 0, fmt.Errorf("%w: %d series", query.ErrMultipleSeries, len(r.Matrix))
		}
		pts := r.Matrix[0].Points
		x = pts[len(pts)-1].Value
	default:
		return 0, fmt.Errorf("%w: got %s (a log query? wrap it in count_over_time or rate)", query.ErrNotNumber, r.Type)
	}
	if math.IsNaN(x) {
		return x, query.ErrNaN
	}
	return x, nil
}

// The wire format (https://grafana.com/docs/loki/latest/reference/loki-http-api/).
type wireAnswer struct {
	Status    string `json:"status"`
	Error     string `json:"error"`
	ErrorType string `json:"errorType"`
	Data      struct {
		ResultType ResultType      `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	} `json:"data"`
}

type wireStream struct {
	Stream map[string]string   `json:"stream"`
	Values [][]json.RawMessage `json:"values"` // ["<unix ns>", "<line>", {structured metadata}?]
}

type wireSeries struct {
	Metric map[string]string   `json:"metric"`
	Values [][]json.RawMessage `json:"values"` // [<unix s>, "<value>"]
}

type wireSample struct {
	Metric map[string]string `json:"metric"`
	Value  []json.RawMessage `json:"value"`
}

// decode parses a 200 answer of the query endpoints.
func decode(body []byte) (*Result, error) {
	var a wireAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadResponse, err)
	}
	if a.Status != "success" {
		return nil, fmt.Errorf("%w: status %q: %s %s", ErrBadResponse, a.Status, a.ErrorType, a.Error)
	}
	r := &Result{Type: a.Data.ResultType}
	raw := a.Data.Result
	bad := func(err error) (*Result, error) {
		return nil, fmt.Errorf("%w: %s result: %w", ErrBadResponse, r.Type, err)
	}
	switch r.Type {
	case TypeStreams:
		var ws []wireStream
		if err := json.Unmarshal(raw, &ws); err != nil {
			return bad(err)
		}
		r.Streams = make([]Stream, len(ws))
		for i, w := range ws {
			s := Stream{Labels: w.Stream, Entries: make([]Entry, len(w.Values))}
			for j, v := range w.Values {
				if len(v) < 2 {
					return bad(fmt.Errorf("stream %d entry %d: %d fields, want 2 or 3", i, j, len(v)))
				}
				var ns, line string
				if err := json.Unmarshal(v[0], &ns); err != nil {
					return bad(fmt.Errorf("stream %d entry %d: timestamp: %w", i, j, err))
				}
				if err := json.Unmarshal(v[1], &line); err != nil {
					return bad(fmt.Errorf("stream %d entry %d: line: %w", i, j, err))
				}
				n, err := strconv.ParseInt(ns, 10, 64)
				if err != nil {
					return bad(fmt.Errorf("stream %d entry %d: timestamp: %w", i, j, err))
				}
				s.Entries[j] = Entry{At: time.Unix(0, n).UTC(), Line: line}
			}
			r.Streams[i] = s
		}
	case TypeMatrix:
		var ws []wireSeries
		if err := json.Unmarshal(raw, &ws); err != nil {
			return bad(err)
		}
		r.Matrix = make([]Series, len(ws))
		for i, w := range ws {
			s := Series{Labels: w.Metric, Points: make([]Point, len(w.Values))}
			for j, v := range w.Values {
				p, err := point(v)
				if err != nil {
					return bad(fmt.Errorf("series %d point %d: %w", i, j, err))
				}
				s.Points[j] = p
			}
			r.Matrix[i] = s
		}
	case TypeVector:
		var ws []wireSample
		if err := json.Unmarshal(raw, &ws); err != nil {
			return bad(err)
		}
		r.Vector = make([]Sample, len(ws))
		for i, w := range ws {
			p, err := point(w.Value)
			if err != nil {
				return bad(fmt.Errorf("sample %d: %w", i, err))
			}
			r.Vector[i] = Sample{Labels: w.Metric, Point: p}
		}
	case TypeScalar:
		var v []json.RawMessage
		if err := json.Unmarshal(raw, &v); err != nil {
			return bad(err)
		}
		p, err := point(v)
		if err != nil {
			return bad(err)
		}
		r.Scalar = &p
	default:
		return nil, fmt.Errorf("%w: unknown result type %q", ErrBadResponse, r.Type)
	}
	return r, nil
}

// point decodes [<unix seconds as a number>, "<value as a string>"].
func point(v []json.RawMessage) (Point, error) {
	if len(v) != 2 {
		return Point{}, fmt.Errorf("%d fields, want [time, value]", len(v))
	}
	var ts json.Number
	if err := json.Unmarshal(v[0], &ts); err != nil {
		return Point{}, fmt.Errorf("time: %w", err)
	}
	at, err := unixSeconds(string(ts))
	if err != nil {
		return Point{}, fmt.Errorf("time: %w", err)
	}
	var s string
	if err := json.Unmarshal(v[1], &s); err != nil {
		return Point{}, fmt.Errorf("value: %w", err)
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return Point{}, fmt.Errorf("value: %w", err)
	}
	return Point{At: at, Value: x}, nil
}

// unixSeconds parses decimal Unix seconds ("1795796682.021") exactly, to
// the nanosecond, without going through a float.
func unixSeconds(s string) (time.Time, error) {
	whole, frac, _ := strings.Cut(s, ".")
	sec, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || strings.ContainsAny(s, "eE") {
		return time.Time{}, fmt.Errorf("%q is not decimal Unix seconds", s)
	}
	var ns int64
	if frac != "" {
		if len(frac) > 9 {
			frac = frac[:9]
		}
		n, err := strconv.ParseUint(frac+strings.Repeat("0", 9-len(frac)), 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q is not decimal Unix seconds", s)
		}
		ns = int64(n)
		if strings.HasPrefix(whole, "-") {
			ns = -ns
		}
	}
	return time.Unix(sec, ns).UTC(), nil
}
