package actuator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type fixture struct {
	srv      *httptest.Server
	dbErr    atomic.Pointer[error]
	draining atomic.Bool
	broken   atomic.Bool
	dbCalls  atomic.Int32
}

func newFixture(t *testing.T, tweak func(*Options)) *fixture {
	t.Helper()
	f := &fixture{}
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "petclinic_test_total", Help: "test"})
	c.Add(3)
	reg.MustRegister(c, prometheus.NewGauge(prometheus.GaugeOpts{Name: "other_gauge", Help: "test"}))
	opts := Options{
		Gatherer: reg,
		Checks: []Check{{Name: "db", Check: func(ctx context.Context) (map[string]any, error) {
			f.dbCalls.Add(1)
			details := map[string]any{"database": "SQLite", "validationQuery": "isValid()"}
			if p := f.dbErr.Load(); p != nil {
				return details, *p
			}
			return details, nil
		}}},
		Draining: f.draining.Load,
		Broken:   f.broken.Load,
		Info: Info{
			Version: "3.4.0", Artifact: "spring-petclinic", Name: "petclinic", Group: "org.springframework.samples",
			BuildTime: "2026-11-27T16:00:00Z", Commit: "0123456789abcdef", CommitTime: "2026-11-27T15:00:00Z", Branch: "main",
		},
		Timeout: 2 * time.Second,
	}
	if tweak != nil {
		tweak(&opts)
	}
	mux := http.NewServeMux()
	Register(mux, opts)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

type answer struct {
	status      int
	contentType string
	body        string
}

func (f *fixture) get(t *testing.T, method, path string, header ...string) answer {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header.Get("Content-Type"), string(b)}
}

// canonical re-encodes JSON so that bodies compare regardless of spacing.
func canonical(t *testing.T, s string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("not JSON: %v: %s", err, s)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

const (
	dbUp     = `"db":{"status":"UP","details":{"database":"SQLite","validationQuery":"isValid()"}}`
	dbDown   = `"db":{"status":"DOWN","details":{"database":"SQLite","error":"connection refused","validationQuery":"isValid()"}}`
	livUp    = `"livenessState":{"status":"UP"}`
	readUp   = `"readinessState":{"status":"UP"}`
	readOOS  = `"readinessState":{"status":"OUT_OF_SERVICE"}`
	groups   = `"groups":["liveness","readiness"]`
	pingUp   = `"ping":{"status":"UP"}`
	liveDown = `"livenessState":{"status":"DOWN"}`
)

func TestHealthStateTransitions(t *testing.T) {
	f := newFixture(t, nil)
	refused := errors.New("connection refused")
	steps := []struct {
		name   string
		apply  func()
		path   string
		status int
		body   string
	}{
		{"healthy: everything is UP", func() {}, "/actuator/health", 200,
			`{"status":"UP","components":{` + dbUp + `,` + livUp + `,` + pingUp + `,` + readUp + `},` + groups + `}`},
		{"healthy: liveness is UP", func() {}, "/actuator/health/liveness", 200,
			`{"status":"UP","components":{` + livUp + `}}`},
		{"healthy: readiness includes the db", func() {}, "/actuator/health/readiness", 200,
			`{"status":"UP","components":{` + dbUp + `,` + readUp + `}}`},
		{"healthy: /readyz is readiness", func() {}, "/readyz", 200,
			`{"status":"UP","components":{` + dbUp + `,` + readUp + `}}`},
		{"db down: health is DOWN", func() { f.dbErr.Store(&refused) }, "/actuator/health", 503,
			`{"status":"DOWN","components":{` + dbDown + `,` + livUp + `,` + pingUp + `,` + readUp + `},` + groups + `}`},
		{"db down: readiness is DOWN", func() {}, "/actuator/health/readiness", 503,
			`{"status":"DOWN","components":{` + dbDown + `,` + readUp + `}}`},
		{"db down: the db component alone is DOWN", func() {}, "/actuator/health/db", 503,
			`{"status":"DOWN","details":{"database":"SQLite","error":"connection refused","validationQuery":"isValid()"}}`},
		{"db down: liveness stays UP", func() {}, "/livez", 200,
			`{"status":"UP","components":{` + livUp + `}}`},
		{"db back: readiness is UP again", func() { f.dbErr.Store(nil) }, "/readyz", 200,
			`{"status":"UP","components":{` + dbUp + `,` + readUp + `}}`},
		{"draining: readiness is OUT_OF_SERVICE", func() { f.draining.Store(true) }, "/actuator/health/readiness", 503,
			`{"status":"OUT_OF_SERVICE","components":{` + readOOS + `}}`},
		{"draining: health is OUT_OF_SERVICE", func() {}, "/actuator/health", 503,
			`{"status":"OUT_OF_SERVICE","components":{` + dbUp + `,` + livUp + `,` + pingUp + `,` + readOOS + `},` + groups + `}`},
		{"draining: liveness stays UP", func() {}, "/actuator/health/liveness", 200,
			`{"status":"UP","components":{` + livUp + `}}`},
		{"draining with the db down: health is DOWN", func() { f.dbErr.Store(&refused) }, "/actuator/health", 503,
			`{"status":"DOWN","components":{` + dbDown + `,` + livUp + `,` + pingUp + `,` + readOOS + `},` + groups + `}`},
		{"broken: liveness is DOWN", func() { f.broken.Store(true) }, "/livez", 503,
			`{"status":"DOWN","components":{` + liveDown + `}}`},
		{"an unknown component is not found", func() {}, "/actuator/health/nope", 404, ""},
	}
	for _, s := range steps {
		s.apply()
		got := f.get(t, "GET", s.path)
		if got.status != s.status {
			t.Errorf("%s: GET %s status = %d, want %d", s.name, s.path, got.status, s.status)
		}
		if s.body != "" && canonical(t, got.body) != canonical(t, s.body) {
			t.Errorf("%s: GET %s body =\n%s\nwant\n%s", s.name, s.path, got.body, s.body)
		}
	}
}

func TestDrainingReadinessSkipsTheChecks(t *testing.T) {
	f := newFixture(t, nil)
	f.draining.Store(true)
	f.get(t, "GET", "/readyz")
	if n := f.dbCalls.Load(); n != 0 {
		t.Errorf("readiness while draining ran the db check %d times, want 0", n)
	}
}

func TestChecksRunConcurrently(t *testing.T) {
	// Each check waits for all the others to have started: run one after
	// the other, the first would wait until its timeout and be DOWN.
	const n = 4
	var started sync.WaitGroup
	started.Add(n)
	barrier := func(ctx context.Context) (map[string]any, error) {
		started.Done()
		done := make(chan struct{})
		go func() { started.Wait(); close(done) }()
		select {
		case <-done:
			return nil, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	f := newFixture(t, func(o *Options) {
		o.Timeout = 5 * time.Second
		o.Checks = nil
		for i := range n {
			o.Checks = append(o.Checks, Check{Name: fmt.Sprintf("c%d", i), Check: barrier})
		}
	})
	if got := f.get(t, "GET", "/readyz"); got.status != 200 {
		t.Errorf("readiness = %d %s, want 200 with every check UP", got.status, got.body)
	}
}

func TestAStuckCheckIsCutAtTheTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	f := newFixture(t, func(o *Options) {
		o.Timeout = 300 * time.Millisecond
		o.Checks = append(o.Checks, Check{Name: "stuck", Check: func(context.Context) (map[string]any, error) {
			<-release // ignores its context
			return nil, nil
		}})
	})
	start := time.Now()
	got := f.get(t, "GET", "/readyz")
	// about the timeout; the stuck check would hold it forever: a generous bound
	elapsed := time.Since(start)
	t.Logf("readiness answered after %v (timeout 300ms)", elapsed)
	if elapsed > 3*time.Second {
		t.Errorf("readiness took %v; want about the 300ms timeout", elapsed)
	}
	if got.status != 503 {
		t.Errorf("status = %d, want 503 for the stuck check", got.status)
	}
	var body struct {
		Components map[string]Component `json:"components"`
	}
	if err := json.Unmarshal([]byte(got.body), &body); err != nil {
		t.Fatal(err)
	}
	if body.Components["db"].Status != StatusUp {
		t.Errorf("db = %+v, want UP beside the stuck check", body.Components["db"])
	}
	want := "timed out after 300ms: context deadline exceeded"
	if e := body.Components["stuck"].Details["error"]; e != want {
		t.Errorf("stuck check error = %v, want %q", e, want)
	}
}

func TestContentNegotiation(t *testing.T) {
	tests := map[string]struct {
		accept string
		status int
		ct     string
	}{
		"no Accept gives v3":                 {"", 200, mediaV3},
		"a browser gets v3":                  {"text/html,application/xhtml+xml,*/*;q=0.8", 200, mediaV3},
		"application/json is honoured":       {"application/json", 200, mediaJSON},
		"v2 is honoured":                     {"application/vnd.spring-boot.actuator.v2+json", 200, mediaV2},
		"the highest quality wins":           {"application/vnd.spring-boot.actuator.v3+json;q=0.5, application/json", 200, mediaJSON},
		"q=0 refuses a type":                 {"application/vnd.spring-boot.actuator.v3+json;q=0,application/*", 200, mediaV2},
		"text/plain alone is not acceptable": {"text/plain", 406, ""},
	}
	f := newFixture(t, nil)
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got := f.get(t, "GET", "/actuator/health", "Accept", tt.accept)
			if got.status != tt.status || (tt.ct != "" && got.contentType != tt.ct) {
				t.Errorf("Accept %q: %d %q, want %d %q", tt.accept, got.status, got.contentType, tt.status, tt.ct)
			}
		})
	}
}

func FuzzNegotiate(f *testing.F) {
	for _, s := range []string{"", "*/*", "application/json;q=0.9, */*;q=0.1", "application/*;q=abc", ";;,,", "text/html;q=2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, accept string) {
		ct, ok := Negotiate([]string{accept})
		if ok != (ct != "") {
			t.Fatalf("Negotiate(%q) = %q, %v", accept, ct, ok)
		}
		if ok && ct != mediaV3 && ct != mediaV2 && ct != mediaJSON {
			t.Fatalf("Negotiate(%q) = %q, not a produced type", accept, ct)
		}
	})
}

func TestLinks(t *testing.T) {
	f := newFixture(t, nil)
	got := f.get(t, "GET", "/actuator")
	base := f.srv.URL + "/actuator"
	want := `{"_links":{` +
		`"health":{"href":"` + base + `/health","templated":false},` +
		`"health-path":{"href":"` + base + `/health/{*path}","templated":true},` +
		`"info":{"href":"` + base + `/info","templated":false},` +
		`"prometheus":{"href":"` + base + `/prometheus","templated":false},` +
		`"self":{"href":"` + base + `","templated":false}}}`
	if got.status != 200 || canonical(t, got.body) != canonical(t, want) {
		t.Errorf("GET /actuator = %d %s, want 200 %s", got.status, got.body, want)
	}
}

func TestInfoHasSpringBootLayout(t *testing.T) {
	f := newFixture(t, nil)
	got := f.get(t, "GET", "/actuator/info")
	want := `{"build":{"artifact":"spring-petclinic","group":"org.springframework.samples","name":"petclinic",` +
		`"time":"2026-11-27T16:00:00Z","version":"3.4.0"},` +
		`"git":{"branch":"main","commit":{"id":"0123456","time":"2026-11-27T15:00:00Z"}}}`
	if got.status != 200 || got.contentType != mediaV3 || canonical(t, got.body) != canonical(t, want) {
		t.Errorf("GET /actuator/info = %d %q %s, want 200 v3 %s", got.status, got.contentType, got.body, want)
	}
	empty := newFixture(t, func(o *Options) { o.Info = Info{} })
	if got := empty.get(t, "GET", "/actuator/info"); got.body != "{}" {
		t.Errorf("empty info = %s, want {} as Spring shows without build-info", got.body)
	}
}

func TestPrometheus(t *testing.T) {
	f := newFixture(t, nil)
	tests := map[string]struct {
		path, accept string
		ctPrefix     string
		has, hasNot  []string
	}{
		"the text format by default": {"/actuator/prometheus", "", "text/plain; version=0.0.4",
			[]string{"petclinic_test_total 3", "other_gauge 0"}, []string{"# EOF"}},
		"OpenMetrics when asked": {"/actuator/prometheus", "application/openmetrics-text; version=1.0.0", "application/openmetrics-text",
			[]string{"petclinic_test_total 3", "# EOF"}, nil},
		"includedNames filters families": {"/actuator/prometheus?includedNames=petclinic_test_total", "", "text/plain",
			[]string{"petclinic_test_total 3"}, []string{"other_gauge"}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got := f.get(t, "GET", tt.path, "Accept", tt.accept)
			if got.status != 200 || !strings.HasPrefix(got.contentType, tt.ctPrefix) {
				t.Errorf("status %d content type %q, want 200 %q...", got.status, got.contentType, tt.ctPrefix)
			}
			for _, s := range tt.has {
				if !strings.Contains(got.body, s) {
					t.Errorf("body lacks %q:\n%s", s, got.body)
				}
			}
			for _, s := range tt.hasNot {
				if strings.Contains(got.body, s) {
					t.Errorf("body has %q:\n%s", s, got.body)
				}
			}
		})
	}
}

func TestHEADIsSupported(t *testing.T) {
	f := newFixture(t, nil)
	for _, path := range []string{"/actuator", "/actuator/health", "/livez", "/readyz", "/actuator/info", "/actuator/prometheus"} {
		got := f.get(t, "HEAD", path)
		if got.status != 200 || got.body != "" || got.contentType == "" {
			t.Errorf("HEAD %s = %d %q body %q, want 200 with a content type and no body", path, got.status, got.contentType, got.body)
		}
	}
}

func TestWithoutGathererThereIsNoPrometheusEndpoint(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.Gatherer = nil })
	if got := f.get(t, "GET", "/actuator/prometheus"); got.status != 404 {
		t.Errorf("GET /actuator/prometheus = %d, want 404", got.status)
	}
	if got := f.get(t, "GET", "/actuator"); strings.Contains(got.body, "prometheus") {
		t.Errorf("links mention prometheus: %s", got.body)
	}
}
