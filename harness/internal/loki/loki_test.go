package loki

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/query"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// The recorded answers of a real Loki 3.x (testdata/README.md). Loki itself
// cannot run here (AGPL, not packaged): an httptest server replays them.
const (
	logQuery    = `{app="petclinic"}`
	metricQuery = `sum(count_over_time({app="petclinic"}[5m]))`
	// Recorded 2026-12-06 (testdata/README.md): an unwrapped quantile, an
	// or between line filters, and two queries Loki refused.
	unwrapQuery        = `quantile_over_time(0.99, {app="petclinic"} | json | unwrap duration_ms [3h]) by (route)`
	orQuery            = `sum(count_over_time({app="petclinic"} |= "oups" or "nope" [3h]))`
	trailingCommaQuery = `sum(count_over_time({app="petclinic",}[3h]))`
	emptyMatcherQuery  = `sum(count_over_time({app=~".*"}[3h]))`
)

// recordedLoki serves the recorded answers for the queries they were
// recorded with, and remembers the requests it got.
type recordedLoki struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []*http.Request
}

func newRecordedLoki(t *testing.T) *recordedLoki {
	t.Helper()
	l := &recordedLoki{}
	l.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		l.reqs = append(l.reqs, r.Clone(context.Background()))
		l.mu.Unlock()
		q := r.URL.Query().Get("query")
		var file string
		switch {
		case r.URL.Path == "/loki/api/v1/query_range" && q == logQuery:
			file = "query_range.json"
		case r.URL.Path == "/loki/api/v1/query_range" && q == metricQuery:
			file = "query_range_metric.json"
		case r.URL.Path == "/loki/api/v1/query" && q == metricQuery:
			file = "query_instant.json"
		case r.URL.Path == "/loki/api/v1/query" && q == unwrapQuery:
			file = "query_unwrap_quantile.json"
		case r.URL.Path == "/loki/api/v1/query" && q == orQuery:
			file = "query_line_filter_or.json"
		case q == trailingCommaQuery || q == emptyMatcherQuery:
			// Loki's refusals: 400 and a plain-text reason.
			name := map[string]string{trailingCommaQuery: "error_trailing_comma.txt", emptyMatcherQuery: "error_empty_compatible_matcher.txt"}[q]
			body, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusBadRequest)
			w.Write(body)
			return
		case r.URL.Path == "/loki/api/v1/query" && q == logQuery:
			// what the real Loki answers to a log query on the instant endpoint
			http.Error(w, "log queries are not supported as an instant query type, please change your query to a range query type", http.StatusBadRequest)
			return
		default:
			http.Error(w, "parse error at line 1, col 1: syntax error: unexpected IDENTIFIER", http.StatusBadRequest)
			return
		}
		body, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		w.Write(body)
	}))
	t.Cleanup(l.Close)
	return l
}

func (l *recordedLoki) last() *http.Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.reqs[len(l.reqs)-1]
}

// render prints a result in a stable, readable form for golden files.
func render(r *Result) string {
	var b strings.Builder
	labels := func(m map[string]string) string {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s=%q", k, m[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	ts := func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
	fmt.Fprintf(&b, "type: %s\n", r.Type)
	for _, s := range r.Streams {
		fmt.Fprintf(&b, "stream %s\n", labels(s.Labels))
		for _, e := range s.Entries {
			fmt.Fprintf(&b, "  %s %q\n", ts(e.At), e.Line)
		}
	}
	for _, s := range r.Matrix {
		fmt.Fprintf(&b, "series %s\n", labels(s.Labels))
		for _, p := range s.Points {
			fmt.Fprintf(&b, "  %s %g\n", ts(p.At), p.Value)
		}
	}
	for _, s := range r.Vector {
		fmt.Fprintf(&b, "sample %s %s %g\n", labels(s.Labels), ts(s.At), s.Value)
	}
	if r.Scalar != nil {
		fmt.Fprintf(&b, "scalar %s %g\n", ts(r.Scalar.At), r.Scalar.Value)
	}
	return b.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("decoded %s differs from %s:\n got:\n%s\nwant:\n%s", name, path, got, want)
	}
}

func TestRecordedAnswersDecode(t *testing.T) {
	loki := newRecordedLoki(t)
	c, err := New(Config{URL: loki.URL, TenantID: "gameday"})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	end := start.Add(time.Hour)

	t.Run("a log query over a range returns streams, newest first", func(t *testing.T) {
		r, err := c.QueryRange(t.Context(), logQuery, start, end, 0, Limit(50))
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "query_range", render(r))
		if r.Type != TypeStreams || len(r.Streams) != 1 || len(r.Streams[0].Entries) != 2 {
			t.Fatalf("result = %+v, want one stream of 2 lines", r)
		}
		first := r.Streams[0].Entries[0]
		if first.At.UnixNano() != 1795796680021255506 || first.Line != "POST /visits failed: java.lang.NullPointerException" {
			t.Errorf("first entry = %+v", first)
		}
		if got := r.Streams[0].Labels["service_name"]; got != "petclinic" {
			t.Errorf("service_name = %q, want Loki's own label petclinic", got)
		}
		q := loki.last().URL.Query()
		if q.Get("start") != fmt.Sprint(start.UnixNano()) || q.Get("end") != fmt.Sprint(end.UnixNano()) || q.Get("limit") != "50" || q.Has("step") {
			t.Errorf("query parameters = %v", q)
		}
		if got := loki.last().Header.Get("X-Scope-OrgID"); got != "gameday" {
			t.Errorf("X-Scope-OrgID = %q, want gameday", got)
		}
		if _, err := r.Number(); !errors.Is(err, query.ErrNotNumber) {
			t.Errorf("Number() of streams: error = %v, want query.ErrNotNumber", err)
		}
	})

	t.Run("a metric query over a range returns a matrix", func(t *testing.T) {
		r, err := c.QueryRange(t.Context(), metricQuery, start, end, 30*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "query_range_metric", render(r))
		if x, err := r.Number(); err != nil || x != 2 {
			t.Errorf("Number() = %g, %v, want 2", x, err)
		}
		if got := loki.last().URL.Query().Get("step"); got != "30" {
			t.Errorf("step = %q, want 30 (seconds)", got)
		}
	})

	t.Run("a metric query at an instant returns a vector", func(t *testing.T) {
		at := time.Unix(1795796682, 21e6)
		r, err := c.Query(t.Context(), metricQuery, at)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "query_instant", render(r))
		if r.Type != TypeVector || len(r.Vector) != 1 || !r.Vector[0].At.Equal(at) || r.Vector[0].Value != 2 {
			t.Errorf("vector = %+v, want 2 at %s exactly", r.Vector, at)
		}
		if got := loki.last().URL.Query().Get("time"); got != fmt.Sprint(at.UnixNano()) {
			t.Errorf("time = %q, want %d", got, at.UnixNano())
		}
	})

	t.Run("a log query at an instant is rejected with Loki's reason", func(t *testing.T) {
		_, err := c.Query(t.Context(), logQuery, time.Time{})
		var se *StatusError
		if !errors.Is(err, ErrBadQuery) || !errors.As(err, &se) || se.Code != 400 || !strings.Contains(se.Body, "instant query type") {
			t.Errorf("error = %v, want a 400 StatusError naming the reason", err)
		}
		if loki.last().URL.Query().Has("time") {
			t.Error("a zero time was sent instead of letting Loki use now")
		}
	})
}

func TestCredentialsAreSent(t *testing.T) {
	loki := newRecordedLoki(t)
	tests := map[string]struct {
		cfg  Config
		want string
	}{
		"basic auth":   {Config{URL: loki.URL, Username: "grafana", Password: "s3cret"}, "Basic Z3JhZmFuYTpzM2NyZXQ="},
		"bearer token": {Config{URL: loki.URL, BearerToken: "tok"}, "Bearer tok"},
		"none":         {Config{URL: loki.URL}, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c, err := New(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Query(t.Context(), metricQuery, time.Time{}); err != nil {
				t.Fatal(err)
			}
			if got := loki.last().Header.Get("Authorization"); got != tc.want {
				t.Errorf("Authorization = %q, want %q", got, tc.want)
			}
			if got := loki.last().Header.Get("X-Scope-OrgID"); got != "" {
				t.Errorf("X-Scope-OrgID = %q sent without a tenant", got)
			}
		})
	}
}

func TestFailuresAreClassified(t *testing.T) {
	answer := func(code int, body string) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(code)
			w.Write([]byte(body))
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(time.Second):
		}
	}))
	defer slow.Close()

	tests := map[string]struct {
		url      string
		wantErr  error
		wantText string
	}{
		"a syntax error":                 {answer(400, "parse error at line 1, col 3: syntax error\n"), ErrBadQuery, "parse error at line 1, col 3"},
		"a JSON error body":              {answer(400, `{"status":"error","errorType":"bad_data","error":"invalid duration"}`), ErrBadQuery, "invalid duration"},
		"a wrong tenant":                 {answer(401, "no org id\n"), ErrUnauthorized, "no org id"},
		"too many outstanding requests":  {answer(429, "too many outstanding requests"), ErrUnreachable, "429"},
		"a gateway without Loki":         {answer(502, "<html>Bad Gateway</html>"), ErrUnreachable, "Bad Gateway"},
		"nothing listening":              {closed, ErrUnreachable, "connection refused"},
		"no answer within the timeout":   {slow.URL, ErrUnreachable, "exceeded"},
		"a 200 that is not Loki's JSON":  {answer(200, "<html>welcome</html>"), ErrBadResponse, "invalid character"},
		"a 200 with an error status":     {answer(200, `{"status":"error","error":"boom"}`), ErrBadResponse, "boom"},
		"an unknown result type":         {answer(200, `{"status":"success","data":{"resultType":"table","result":[]}}`), ErrBadResponse, "table"},
		"a vector whose value is broken": {answer(200, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"x"]}]}}`), ErrBadResponse, "value"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c, err := New(Config{URL: tc.url, Timeout: 200 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Query(t.Context(), metricQuery, time.Time{})
			if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.wantText) {
				t.Errorf("error = %v, want %v mentioning %q", err, tc.wantErr, tc.wantText)
			}
		})
	}
}

func TestNewRejectsBadConfigurations(t *testing.T) {
	tests := map[string]Config{
		"no URL":                   {},
		"no scheme":                {URL: "loki:3100"},
		"basic auth and a bearer":  {URL: "http://loki:3100", Username: "a", BearerToken: "b"},
		"a scheme Loki won't have": {URL: "ftp://loki"},
	}
	for name, cfg := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := New(cfg); err == nil {
				t.Errorf("New(%+v) accepted", cfg)
			}
		})
	}
	if _, err := (&Client{}).QueryRange(t.Context(), "x", time.Unix(10, 0), time.Unix(5, 0), 0); !errors.Is(err, ErrBadQuery) {
		t.Errorf("a reversed range: error = %v, want ErrBadQuery", err)
	}
}

func TestNumber(t *testing.T) {
	p := func(v float64) Point { return Point{At: time.Unix(1, 0), Value: v} }
	tests := map[string]struct {
		r       Result
		want    float64
		wantErr error
	}{
		"a scalar":                        {r: Result{Type: TypeScalar, Scalar: &Point{Value: 3}}, want: 3},
		"one sample":                      {r: Result{Type: TypeVector, Vector: []Sample{{Point: p(5)}}}, want: 5},
		"the last point of one series":    {r: Result{Type: TypeMatrix, Matrix: []Series{{Points: []Point{p(1), p(9)}}}}, want: 9},
		"an empty vector":                 {r: Result{Type: TypeVector}, wantErr: query.ErrNoData},
		"an empty matrix":                 {r: Result{Type: TypeMatrix}, wantErr: query.ErrNoData},
		"two samples":                     {r: Result{Type: TypeVector, Vector: []Sample{{Point: p(1)}, {Point: p(2)}}}, wantErr: query.ErrMultipleSeries},
		"two series":                      {r: Result{Type: TypeMatrix, Matrix: []Series{{Points: []Point{p(1)}}, {Points: []Point{p(1)}}}}, wantErr: query.ErrMultipleSeries},
		"NaN":                             {r: Result{Type: TypeVector, Vector: []Sample{{Point: p(math.NaN())}}}, wantErr: query.ErrNaN},
		"log lines":                       {r: Result{Type: TypeStreams}, wantErr: query.ErrNotNumber},
		"a scalar type without its value": {r: Result{Type: TypeScalar}, wantErr: query.ErrNoData},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := tc.r.Number()
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error = %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr == nil && got != tc.want {
				t.Errorf("got %g, want %g", got, tc.want)
			}
		})
	}
}

func TestUnixSecondsIsExact(t *testing.T) {
	tests := map[string]struct {
		in   string
		want time.Time
	}{
		"milliseconds":       {"1795796682.021", time.Unix(1795796682, 21000000)},
		"whole seconds":      {"1795796700", time.Unix(1795796700, 0)},
		"nanoseconds":        {"1.000000001", time.Unix(1, 1)},
		"beyond nanoseconds": {"1.0000000019", time.Unix(1, 1)},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := unixSeconds(tc.in)
			if err != nil || !got.Equal(tc.want) {
				t.Errorf("unixSeconds(%q) = %s, %v, want %s", tc.in, got, err, tc.want)
			}
		})
	}
	for _, bad := range []string{"", "1e9", "abc", "1.x"} {
		if _, err := unixSeconds(bad); err == nil {
			t.Errorf("unixSeconds(%q) accepted", bad)
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, name := range []string{"query_range.json", "query_instant.json", "query_range_metric.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"status":"success","data":{"resultType":"scalar","result":[1.5,"NaN"]}}`))
	f.Add([]byte(`{"status":"success","data":{"resultType":"streams","result":[{"stream":{},"values":[["1","a",{"trace_id":"x"}]]}]}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := decode(body)
		if err != nil {
			if !errors.Is(err, ErrBadResponse) {
				t.Fatalf("decode error %v is not ErrBadResponse", err)
			}
			return
		}
		// whatever decodes has the field of its type and renders
		switch r.Type {
		case TypeScalar:
			if r.Scalar == nil {
				t.Fatal("scalar result without its point")
			}
		case TypeStreams, TypeMatrix, TypeVector:
		default:
			t.Fatalf("decoded an unknown type %q", r.Type)
		}
		render(r)
		r.Number()
	})
}

// The constructs recorded from a real Loki on 2026-12-06 reach it as
// written (the client sends the query unchanged) and their answers decode:
// an unwrapped quantile by route (one sample per route, in the unit of the
// unwrapped field), an or between line filters, and Loki's 400s with their
// plain-text reasons.
func TestRecordedAnswersToNewConstructs(t *testing.T) {
	loki := newRecordedLoki(t)
	c, err := New(Config{URL: loki.URL})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Unix(1796565004, 0)
	for name, q := range map[string]string{"query_unwrap_quantile": unwrapQuery, "query_line_filter_or": orQuery} {
		t.Run(name, func(t *testing.T) {
			r, err := c.Query(t.Context(), q, at)
			if err != nil {
				t.Fatal(err)
			}
			if got := loki.last().URL.Query().Get("query"); got != q {
				t.Errorf("Loki got %q, want the query unchanged: %q", got, q)
			}
			golden(t, name, render(r))
		})
	}
	t.Run("the quantile per route", func(t *testing.T) {
		r, err := c.Query(t.Context(), unwrapQuery, at)
		if err != nil {
			t.Fatal(err)
		}
		byRoute := map[string]float64{}
		for _, s := range r.Vector {
			byRoute[s.Labels["route"]] = s.Value
		}
		if len(byRoute) != 2 || byRoute["/"] != 0.54 || math.Abs(byRoute["/oups"]-0.69622) > 1e-9 {
			t.Errorf("got %v, want p99 0.54 for / and 0.69622 for /oups", byRoute)
		}
		if _, err := r.Number(); !errors.Is(err, query.ErrMultipleSeries) {
			t.Errorf("Number() of two routes: %v, want ErrMultipleSeries", err)
		}
	})
	for q, want := range map[string]string{
		trailingCommaQuery: "parse error at line 1, col 38: syntax error: unexpected }, expecting IDENTIFIER",
		emptyMatcherQuery:  "parse error : queries require at least one regexp or equality matcher that does not have an empty-compatible value",
	} {
		t.Run("refused: "+q, func(t *testing.T) {
			_, err := c.Query(t.Context(), q, at)
			var se *StatusError
			if !errors.Is(err, ErrBadQuery) || !errors.As(err, &se) || se.Code != http.StatusBadRequest || !strings.HasPrefix(se.Body, want) {
				t.Errorf("error %v, want a 400 with Loki's reason %q", err, want)
			}
		})
	}
}
