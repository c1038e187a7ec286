package telemetry

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

func TestRouteTemplate(t *testing.T) {
	tests := map[string]struct {
		pattern string
		want    string
	}{
		"the method prefix is dropped":             {"GET /petclinic/api/owners/{ownerId}", "/petclinic/api/owners/{ownerId}"},
		"a pattern without method is kept":         {"/owners/{ownerId}/edit", "/owners/{ownerId}/edit"},
		"the catch-all is Spring's resource /**":   {"GET /", "/**"},
		"a subtree gets /**":                       {"GET /resources/", "/resources/**"},
		"an exact root is /":                       {"GET /{$}", "/"},
		"an exact trailing slash keeps its slash":  {"GET /owners/{$}", "/owners/"},
		"a rest wildcard is Spring's capture":      {"GET /files/{path...}", "/files/{*path}"},
		"a host pattern loses its host":            {"GET example.com/vets", "/vets"},
		"several spaces after the method are fine": {"POST  /owners/new", "/owners/new"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := RouteTemplate(tt.pattern); got != tt.want {
				t.Errorf("RouteTemplate(%q) = %q, want %q", tt.pattern, got, tt.want)
			}
		})
	}
}

func TestOutcome(t *testing.T) {
	tests := map[string]struct {
		status int
		want   string
	}{
		"100 is informational":           {100, "INFORMATIONAL"},
		"200 is success":                 {200, "SUCCESS"},
		"an unknown 2xx is success":      {299, "SUCCESS"},
		"302 is redirection":             {302, "REDIRECTION"},
		"404 is a client error":          {404, "CLIENT_ERROR"},
		"503 is a server error":          {503, "SERVER_ERROR"},
		"an unknown 4xx is unknown":      {499, "UNKNOWN"},
		"a code out of range is unknown": {600, "UNKNOWN"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := Outcome(tt.status); got != tt.want {
				t.Errorf("Outcome(%d) = %q, want %q", tt.status, got, tt.want)
			}
		})
	}
}

// copyingMiddleware stands for any middleware that hands the mux a copy of
// the request, hiding r.Pattern from the middlewares outside it.
func copyingMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(r.Context()))
	})
}

func testMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /petclinic/api/owners/{ownerId}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("ownerId") == "999" {
			SetException(r, "ErrNotFound")
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		io.WriteString(w, `{"id":1}`)
	})
	mux.HandleFunc("PUT /petclinic/api/owners/{ownerId}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("ownerId") == "invalid" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /owners/{ownerId}/pets/{petId}/visits/new", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/owners/1", http.StatusFound)
	})
	mux.HandleFunc("GET /oups", func(w http.ResponseWriter, r *http.Request) {
		SetException(r, "RuntimeException")
		w.WriteHeader(http.StatusInternalServerError)
	})
	mux.HandleFunc("GET /resources/", func(w http.ResponseWriter, r *http.Request) {})
	return mux
}

// series returns the label sets and sample counts of a histogram or
// summary family, as "k=v,k=v" → count.
func series(t *testing.T, reg prometheus.Gatherer, name string) map[string]uint64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	out := map[string]uint64{}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			var count uint64
			switch {
			case m.Histogram != nil:
				count = m.Histogram.GetSampleCount()
			case m.Summary != nil:
				count = m.Summary.GetSampleCount()
			case m.Gauge != nil:
				count = 1
			}
			out[labelString(m.GetLabel())] = count
		}
	}
	return out
}

func labelString(ls []*dto.LabelPair) string {
	parts := make([]string, 0, len(ls))
	for _, l := range ls {
		parts = append(parts, l.GetName()+"="+l.GetValue())
	}
	slices.Sort(parts)
	return strings.Join(parts, ",")
}

func TestMiddlewareLabelsRequestsAsSpringBoot(t *testing.T) {
	stacks := map[string]func(m *HTTPMetrics) http.Handler{
		"directly around the mux": func(m *HTTPMetrics) http.Handler {
			return m.Middleware(testMux())
		},
		"inside the tracing and access log middlewares": func(m *HTTPMetrics) http.Handler {
			return Tracing(AccessLog(NewLogger(io.Discard, slog.LevelInfo))(m.Middleware(testMux())))
		},
		"outside a middleware that copies the request, with CaptureRoute": func(m *HTTPMetrics) http.Handler {
			return m.Middleware(copyingMiddleware(CaptureRoute(testMux())))
		},
	}
	for name, stack := range stacks {
		t.Run(name, func(t *testing.T) { testSpringBootLabels(t, stack) })
	}
}

func testSpringBootLabels(t *testing.T, stack func(m *HTTPMetrics) http.Handler) {
	reg := NewRegistry()
	m, err := NewHTTPMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(stack(m))
	defer srv.Close()
	client := srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	do := func(method, path string) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	do("GET", "/petclinic/api/owners/1")
	do("GET", "/petclinic/api/owners/2")
	do("HEAD", "/petclinic/api/owners/3")
	do("GET", "/petclinic/api/owners/999")
	do("PUT", "/petclinic/api/owners/1")
	do("PUT", "/petclinic/api/owners/invalid")
	do("POST", "/owners/1/pets/2/visits/new")
	do("GET", "/oups")
	do("GET", "/resources/css/petclinic.css")
	do("GET", "/no/such/page")
	do("DELETE", "/oups")
	do("BREW", "/petclinic/api/owners/1")

	got := series(t, reg, "http_server_requests_seconds")
	l := func(exception, method, outcome, status, uri string) string {
		return fmt.Sprintf("error=%s,exception=%s,method=%s,outcome=%s,status=%s,uri=%s", exception, exception, method, outcome, status, uri)
	}
	want := map[string]uint64{
		l("none", "GET", "SUCCESS", "200", "/petclinic/api/owners/{ownerId}"):                2,
		l("none", "HEAD", "SUCCESS", "200", "/petclinic/api/owners/{ownerId}"):               1,
		l("ErrNotFound", "GET", "CLIENT_ERROR", "404", "/petclinic/api/owners/{ownerId}"):    1,
		l("none", "PUT", "SUCCESS", "204", "/petclinic/api/owners/{ownerId}"):                1,
		l("none", "PUT", "CLIENT_ERROR", "400", "/petclinic/api/owners/{ownerId}"):           1,
		l("none", "POST", "REDIRECTION", "302", "/owners/{ownerId}/pets/{petId}/visits/new"): 1,
		l("RuntimeException", "GET", "SERVER_ERROR", "500", "/oups"):                         1,
		l("none", "GET", "SUCCESS", "200", "/resources/**"):                                  1,
		l("none", "GET", "CLIENT_ERROR", "404", "NOT_FOUND"):                                 1,
		l("none", "DELETE", "CLIENT_ERROR", "405", "UNKNOWN"):                                1,
		l("none", "UNKNOWN", "CLIENT_ERROR", "405", "UNKNOWN"):                               1,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("http_server_requests_seconds{%s} count = %d, want %d", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d series, want %d: %v", len(got), len(want), got)
	}
	maxes := series(t, reg, "http_server_requests_seconds_max")
	if len(maxes) != len(want) {
		t.Errorf("got %d _max series, want one per request series (%d): %v", len(maxes), len(want), maxes)
	}

	owner := series(t, reg, "petclinic_owner_seconds")
	const ownerClass = "class=org.springframework.samples.petclinic.customers.web.OwnerResource"
	wantOwner := map[string]uint64{
		ownerClass + ",exception=none,method=findOwner":        3,
		ownerClass + ",exception=ErrNotFound,method=findOwner": 1,
		ownerClass + ",exception=none,method=updateOwner":      1,
	}
	for k, v := range wantOwner {
		if owner[k] != v {
			t.Errorf("petclinic_owner_seconds{%s} count = %d, want %d (all: %v)", k, owner[k], v, owner)
		}
	}
	visit := series(t, reg, "petclinic_visit_seconds")
	if k := "class=org.springframework.samples.petclinic.visits.web.VisitResource,exception=none,method=create"; visit[k] != 1 {
		t.Errorf("petclinic_visit_seconds{%s} = %d, want 1 (all: %v)", k, visit[k], visit)
	}
}

func TestMiddlewareCountsAPanicAsA500(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewHTTPMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /boom", func(http.ResponseWriter, *http.Request) { panic("boom") })
	h := m.Middleware(mux)
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the panic did not reach the caller")
			}
		}()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/boom", nil))
	}()
	got := series(t, reg, "http_server_requests_seconds")
	k := "error=panic,exception=panic,method=GET,outcome=SERVER_ERROR,status=500,uri=/boom"
	if got[k] != 1 {
		t.Errorf("got %v, want one sample of {%s}", got, k)
	}
}

func TestWindowMaxKeepsTheLargestSampleForTwoMinutes(t *testing.T) {
	now := time.Unix(1000, 0)
	w := newWindowMax("x_max", "", []string{"l"})
	w.now = func() time.Time { return now }
	value := func() float64 {
		ch := make(chan prometheus.Metric, 1)
		w.Collect(ch)
		var m dto.Metric
		if err := (<-ch).Write(&m); err != nil {
			t.Fatal(err)
		}
		return m.GetGauge().GetValue()
	}
	steps := []struct {
		advance time.Duration
		observe float64
		want    float64
	}{
		{0, 3, 3},
		{10 * time.Second, 1, 3},
		{50 * time.Second, 0, 3},  // 60s: one rotation, 3 still in the window
		{30 * time.Second, 2, 3},  // 90s
		{40 * time.Second, 0, 2},  // 130s: the bucket holding only 3 rotated out
		{130 * time.Second, 0, 0}, // everything expired
	}
	for i, s := range steps {
		now = now.Add(s.advance)
		if s.observe > 0 {
			w.observe(s.observe, "a")
		}
		if got := value(); got != s.want {
			t.Fatalf("step %d: max = %v, want %v", i, got, s.want)
		}
	}
}

func TestTimedFor(t *testing.T) {
	tests := map[string]struct {
		method, route string
		want          timedCall
		timed         bool
	}{
		"creating an owner through the API": {"POST", "/petclinic/api/owners", timedCall{timedOwner, ownerEntity.class, "createOwner"}, true},
		"updating an owner through the API": {"PUT", "/petclinic/api/owners/{ownerId}", timedCall{timedOwner, ownerEntity.class, "updateOwner"}, true},
		"updating an owner through the UI":  {"POST", "/owners/{ownerId}/edit", timedCall{timedOwner, ownerEntity.class, "updateOwner"}, true},
		"showing the owner form":            {"GET", "/owners/new", timedCall{timedOwner, ownerEntity.class, "initCreationForm"}, true},
		"listing owners":                    {"GET", "/owners", timedCall{timedOwner, ownerEntity.class, "findAll"}, true},
		"adding a pet through the UI":       {"POST", "/owners/{ownerId}/pets/new", timedCall{timedPet, petEntity.class, "processCreationForm"}, true},
		"adding a pet through the API":      {"POST", "/petclinic/api/owners/{ownerId}/pets", timedCall{timedPet, petEntity.class, "processCreationForm"}, true},
		"reading a pet":                     {"GET", "/petclinic/api/pets/{petId}", timedCall{timedPet, petEntity.class, "findPet"}, true},
		"listing pet types":                 {"GET", "/petclinic/api/pettypes", timedCall{timedPet, petTypeEntity.class, "getPetTypes"}, true},
		"booking a visit through the UI":    {"POST", "/owners/{ownerId}/pets/{petId}/visits/new", timedCall{timedVisit, visitEntity.class, "create"}, true},
		"reading a pet's visits":            {"GET", "/petclinic/api/owners/{ownerId}/pets/{petId}/visits", timedCall{timedVisit, visitEntity.class, "read"}, true},
		"deleting a visit":                  {"DELETE", "/petclinic/api/visits/{visitId}", timedCall{timedVisit, visitEntity.class, "delete"}, true},
		"listing vets is not timed":         {"GET", "/vets.html", timedCall{}, false},
		"the actuator is not timed":         {"GET", "/actuator/health", timedCall{}, false},
		"an OPTIONS request is not timed":   {"OPTIONS", "/petclinic/api/owners", timedCall{}, false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, ok := timedFor(tt.method, tt.route)
			if got != tt.want || ok != tt.timed {
				t.Errorf("timedFor(%s, %s) = %+v, %v; want %+v, %v", tt.method, tt.route, got, ok, tt.want, tt.timed)
			}
		})
	}
}

func TestStartupGaugesAppearWhenMarked(t *testing.T) {
	reg := prometheus.NewRegistry()
	begin := time.Unix(100, 0)
	s, err := NewStartup(reg, begin, "petclinic")
	if err != nil {
		t.Fatal(err)
	}
	if got := series(t, reg, "application_ready_time_seconds"); len(got) != 0 {
		t.Fatalf("ready time exposed before ready: %v", got)
	}
	s.now = func() time.Time { return begin.Add(1500 * time.Millisecond) }
	s.MarkStarted()
	s.now = func() time.Time { return begin.Add(2 * time.Second) }
	s.MarkReady()
	mfs, _ := reg.Gather()
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			got[mf.GetName()+"{"+labelString(m.GetLabel())+"}"] = m.GetGauge().GetValue()
		}
	}
	want := map[string]float64{
		"application_started_time_seconds{main_application_class=petclinic}": 1.5,
		"application_ready_time_seconds{main_application_class=petclinic}":   2,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
}

func TestRegistryHasTheProcessAndSystemMetrics(t *testing.T) {
	reg := NewRegistry()
	reg.Gather() // the usages are rates between two scrapes
	deadline := time.Now().Add(20 * time.Millisecond)
	for time.Now().Before(deadline) {
		// burn some CPU so that process_cpu_usage has something to show
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]float64{}
	for _, mf := range mfs {
		if m := mf.GetMetric(); len(m) == 1 && m[0].Gauge != nil {
			values[mf.GetName()] = m[0].GetGauge().GetValue()
		}
	}
	checks := map[string]func(float64) bool{
		"process_start_time_seconds": func(v float64) bool { return v > 1e9 },
		"process_uptime_seconds":     func(v float64) bool { return v > 0 },
		"go_goroutines":              func(v float64) bool { return v >= 1 },
		"system_cpu_count":           func(v float64) bool { return v >= 1 },
		"process_cpu_usage":          func(v float64) bool { return v > 0 && v <= 1 },
		"system_cpu_usage":           func(v float64) bool { return v >= 0 && v <= 1 },
		"system_load_average_1m":     func(v float64) bool { return v >= 0 },
	}
	for name, ok := range checks {
		v, found := values[name]
		if !found || !ok(v) {
			t.Errorf("%s = %v (exposed: %v), out of range", name, v, found)
		}
	}
}

func TestSampledRequestsLeaveExemplars(t *testing.T) {
	tp := sdktrace.NewTracerProvider()
	defer tp.Shutdown(t.Context())
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(tp)
	defer otel.SetTracerProvider(prev)
	reg := prometheus.NewRegistry()
	m, err := NewHTTPMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	var traceID string
	mux := http.NewServeMux()
	mux.HandleFunc("GET /vets", func(w http.ResponseWriter, r *http.Request) {
		traceID = trace.SpanContextFromContext(r.Context()).TraceID().String()
	})
	Tracing(m.Middleware(mux)).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/vets", nil))
	mfs, _ := reg.Gather()
	var got []string
	for _, mf := range mfs {
		if mf.GetName() != "http_server_requests_seconds" {
			continue
		}
		for _, b := range mf.GetMetric()[0].GetHistogram().GetBucket() {
			if ex := b.GetExemplar(); ex != nil {
				got = append(got, labelString(ex.GetLabel()))
			}
		}
	}
	if len(got) != 1 || !strings.Contains(got[0], "trace_id="+traceID) || !strings.Contains(got[0], "span_id=") {
		t.Errorf("exemplars = %v, want one with trace_id=%s and a span_id", got, traceID)
	}
}
