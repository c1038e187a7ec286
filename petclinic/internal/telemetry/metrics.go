package telemetry

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.opentelemetry.io/otel/trace"
)

// SLOBuckets are the upper bounds, in seconds, of http_server_requests_seconds:
// what management.metrics.distribution.slo.http.server.requests=5ms,...,10s
// gives in Spring Boot. They bracket every latency objective we write.
var SLOBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}

// NewRegistry returns a registry with the Go runtime and process collectors,
// the counterparts of Micrometer's JVM binders, and Micrometer's uptime and
// processor metrics under their own names (process_uptime_seconds,
// process_cpu_usage, system_cpu_usage, system_cpu_count,
// system_load_average_1m).
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newSystemMetrics(),
	)
	return reg
}

// HTTPMetrics records Spring Boot's http.server.requests and the
// spring-petclinic-microservices @Timed timers for every request.
type HTTPMetrics struct {
	requests    *prometheus.HistogramVec
	requestsMax *windowMax
	timers      map[string]*timer
	now         func() time.Time
	series      sync.Map // seriesKey → *requestSeries
	nSeries     atomic.Int64
}

type timer struct {
	summary *prometheus.SummaryVec
	max     *windowMax
}

// Micrometer's Prometheus registry writes tags sorted by key.
var httpLabels = []string{"error", "exception", "method", "outcome", "status", "uri"}
var timedLabels = []string{"class", "exception", "method"}

// NewHTTPMetrics registers the HTTP metrics in reg.
func NewHTTPMetrics(reg prometheus.Registerer) (*HTTPMetrics, error) {
	m := &HTTPMetrics{
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "http_server_requests_seconds",
			Help:    "Duration of HTTP server request handling",
			Buckets: SLOBuckets,
		}, httpLabels),
		requestsMax: newWindowMax("http_server_requests_seconds_max",
			"Maximum duration of HTTP server request handling over the last 2 minutes", httpLabels),
		timers: map[string]*timer{},
		now:    time.Now,
	}
	cs := []prometheus.Collector{m.requests, m.requestsMax}
	for _, name := range []string{timedOwner, timedPet, timedVisit} {
		t := &timer{
			summary: prometheus.NewSummaryVec(prometheus.SummaryOpts{Name: name, Help: "Timer of " + name}, timedLabels),
			max:     newWindowMax(name+"_max", "Maximum of "+name+" over the last 2 minutes", timedLabels),
		}
		m.timers[name] = t
		cs = append(cs, t.summary, t.max)
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register http metrics: %w", err)
		}
	}
	return m, nil
}

// Middleware times each request and labels it with the route template the
// mux matched, read from r.Pattern once the handler returned.
func (m *HTTPMetrics) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := m.now()
		st, r := withState(r)
		rec := newRecorder(w)
		defer func() {
			p := recover()
			status := rec.statusCode()
			exception := st.exceptionName()
			if p != nil {
				// The server answers a panicking handler by closing the
				// connection; count it as the 500 a Servlet container sends.
				if rec.status == 0 {
					status = http.StatusInternalServerError
				}
				if exception == "" {
					exception = "panic"
				}
			}
			sc := trace.SpanContextFromContext(r.Context())
			if !sc.IsValid() {
				sc = st.spanContext()
			}
			m.observe(r.Method, st.route(r), status, exception, m.now().Sub(start), sc)
			if p != nil {
				panic(p)
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

// observe records one request. A sampled span becomes the exemplar of the
// histogram bucket, labelled trace_id and span_id as Spring Boot does, so
// that an SLO panel links to the trace of a slow request (OpenMetrics only).
func (m *HTTPMetrics) observe(method, pattern string, status int, exception string, d time.Duration, sc trace.SpanContext) {
	if exception == "" {
		exception = "none"
	}
	s := m.seriesOf(seriesKey{method: methodLabel(method), pattern: pattern, status: status, exception: exception})
	secs := d.Seconds()
	if eo, ok := s.obs.(prometheus.ExemplarObserver); ok && sc.IsSampled() {
		eo.ObserveWithExemplar(secs, prometheus.Labels{"trace_id": sc.TraceID().String(), "span_id": sc.SpanID().String()})
	} else {
		s.obs.Observe(secs)
	}
	m.requestsMax.observeKey(secs, s.maxKey, s.values)
	if s.timer != nil {
		s.timerObs.Observe(secs)
		s.timer.max.observeKey(secs, s.timerKey, s.timerValues)
	}
}

// seriesKey is what the series a request is recorded in depend on.
type seriesKey struct {
	method, pattern, exception string
	status                     int
}

// requestSeries are the label values and observers of one seriesKey, looked up
// once: WithLabelValues hashes and validates every label on each call.
type requestSeries struct {
	values      []string // httpLabels
	maxKey      string
	obs         prometheus.Observer
	timer       *timer // nil when the request is not timed
	timerValues []string
	timerKey    string
	timerObs    prometheus.Observer
}

// maxCachedSeries bounds the cache of seriesOf; the keys are bounded
// anyway (methods, routes, statuses and exception names).
const maxCachedSeries = 4096

func (m *HTTPMetrics) seriesOf(k seriesKey) *requestSeries {
	if v, ok := m.series.Load(k); ok {
		return v.(*requestSeries)
	}
	uri := uriLabel(k.pattern, k.status)
	s := &requestSeries{values: []string{k.exception, k.exception, k.method, Outcome(k.status), strconv.Itoa(k.status), uri}}
	s.maxKey = seriesMapKey(s.values)
	s.obs = m.requests.WithLabelValues(s.values...)
	if k.pattern != "" && !rejectedBeforeHandler(k.status) {
		if call, ok := timedFor(k.method, uri); ok {
			s.timer = m.timers[call.metric]
			s.timerValues = []string{call.class, k.exception, call.method}
			s.timerKey = seriesMapKey(s.timerValues)
			s.timerObs = s.timer.summary.WithLabelValues(s.timerValues...)
		}
	}
	if m.nSeries.Load() < maxCachedSeries {
		if v, loaded := m.series.LoadOrStore(k, s); loaded {
			return v.(*requestSeries)
		}
		m.nSeries.Add(1)
	}
	return s
}

// rejectedBeforeHandler tells the answers Spring MVC gives before it calls
// the controller method (argument binding, @Valid on a @RequestBody, content
// negotiation), which @Timed therefore never sees: counting them would show a
// rejected update as "Owners Updated" on the microservices dashboard.
func rejectedBeforeHandler(status int) bool {
	switch status {
	case http.StatusBadRequest, http.StatusMethodNotAllowed, http.StatusNotAcceptable,
		http.StatusUnsupportedMediaType, http.StatusRequestEntityTooLarge:
		return true
	}
	return false
}

// methodLabel keeps the method label bounded: the mux accepts any token as
// a method, and a client must not be able to mint series.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodTrace, http.MethodConnect:
		return m
	}
	return "UNKNOWN"
}

// uriLabel is Spring Framework's DefaultServerRequestObservationConvention
// uri: the matched pattern, else REDIRECTION for 3xx, NOT_FOUND for 404,
// UNKNOWN otherwise. Never the raw path.
func uriLabel(pattern string, status int) string {
	if pattern != "" {
		return RouteTemplate(pattern)
	}
	switch {
	case status >= 300 && status < 400:
		return "REDIRECTION"
	case status == http.StatusNotFound:
		return "NOT_FOUND"
	}
	return "UNKNOWN"
}

// RouteTemplate turns a ServeMux pattern into the path pattern Spring MVC
// would report for the same mapping: the method and host are dropped, a
// subtree pattern "/x/" becomes "/x/**" (so "/" becomes "/**", Spring's
// static resource mapping), "/x/{$}" becomes "/x/", and a rest wildcard
// "{name...}" becomes "{*name}".
func RouteTemplate(pattern string) string {
	if i := strings.IndexAny(pattern, " \t"); i >= 0 {
		pattern = strings.TrimLeft(pattern[i:], " \t")
	}
	if i := strings.IndexByte(pattern, '/'); i > 0 {
		pattern = pattern[i:] // host-specific pattern
	}
	switch {
	case strings.HasSuffix(pattern, "/{$}"):
		return strings.TrimSuffix(pattern, "{$}")
	case strings.HasSuffix(pattern, "/"):
		return pattern + "**"
	case strings.HasSuffix(pattern, "...}"):
		i := strings.LastIndexByte(pattern, '{')
		return pattern[:i] + "{*" + strings.TrimSuffix(pattern[i+1:], "...}") + "}"
	}
	return pattern
}

// Outcome is Spring's HttpOutcome of a status code. As in Spring, a status
// outside the known codes is UNKNOWN unless it is 2xx.
func Outcome(status int) string {
	if status >= 200 && status < 300 {
		return "SUCCESS"
	}
	if http.StatusText(status) == "" {
		return "UNKNOWN"
	}
	switch status / 100 {
	case 1:
		return "INFORMATIONAL"
	case 3:
		return "REDIRECTION"
	case 4:
		return "CLIENT_ERROR"
	case 5:
		return "SERVER_ERROR"
	}
	return "UNKNOWN"
}

// windowMax is Micrometer's TimeWindowMax: the largest sample of the last
// two minutes, kept in a ring of three buckets rotated every 40 seconds.
type windowMax struct {
	desc    *prometheus.Desc
	expiry  time.Duration
	buckets int
	now     func() time.Time

	mu     sync.Mutex
	series map[string]*maxSeries
}

type maxSeries struct {
	labels     []string
	ring       []float64
	current    int
	lastRotate time.Time
}

func newWindowMax(name, help string, labels []string) *windowMax {
	return &windowMax{
		desc:    prometheus.NewDesc(name, help, labels, nil),
		expiry:  2 * time.Minute,
		buckets: 3,
		now:     time.Now,
		series:  map[string]*maxSeries{},
	}
}

func (w *windowMax) observe(v float64, labels ...string) {
	w.observeKey(v, seriesMapKey(labels), labels)
}

// seriesMapKey is the key of label values in windowMax.series.
func seriesMapKey(labels []string) string { return strings.Join(labels, "\xff") }

// observeKey is observe with the key of labels already made.
func (w *windowMax) observeKey(v float64, key string, labels []string) {
	now := w.now()
	w.mu.Lock()
	defer w.mu.Unlock()
	s, ok := w.series[key]
	if !ok {
		s = &maxSeries{labels: append([]string(nil), labels...), ring: make([]float64, w.buckets), lastRotate: now}
		w.series[key] = s
	}
	w.rotate(s, now)
	for i := range s.ring {
		s.ring[i] = max(s.ring[i], v)
	}
}

func (w *windowMax) rotate(s *maxSeries, now time.Time) {
	step := w.expiry / time.Duration(w.buckets)
	since := now.Sub(s.lastRotate)
	if since < step {
		return
	}
	if since >= step*time.Duration(w.buckets) {
		clear(s.ring)
		s.current = 0
		s.lastRotate = now.Add(-(since % step))
		return
	}
	for since >= step {
		s.ring[s.current] = 0
		s.current = (s.current + 1) % len(s.ring)
		since -= step
		s.lastRotate = s.lastRotate.Add(step)
	}
}

func (w *windowMax) Describe(ch chan<- *prometheus.Desc) { ch <- w.desc }

func (w *windowMax) Collect(ch chan<- prometheus.Metric) {
	now := w.now()
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, s := range w.series {
		w.rotate(s, now)
		ch <- prometheus.MustNewConstMetric(w.desc, prometheus.GaugeValue, s.ring[s.current], s.labels...)
	}
}

// Startup exposes Spring Boot's application_started_time_seconds and
// application_ready_time_seconds: how long the process took to start and to
// become ready to serve, labelled with main_application_class.
type Startup struct {
	begin     time.Time
	mainClass string
	started   *prometheus.GaugeVec
	ready     *prometheus.GaugeVec
	now       func() time.Time
}

// NewStartup registers the startup gauges; begin is when the process started.
// mainClass is the value of the main_application_class label. The gauges are
// absent until marked, as Spring registers them on its events.
func NewStartup(reg prometheus.Registerer, begin time.Time, mainClass string) (*Startup, error) {
	s := &Startup{
		begin:     begin,
		mainClass: mainClass,
		started: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "application_started_time_seconds",
			Help: "Time taken to start the application",
		}, []string{"main_application_class"}),
		ready: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "application_ready_time_seconds",
			Help: "Time taken for the application to be ready to service requests",
		}, []string{"main_application_class"}),
		now: time.Now,
	}
	for _, c := range []prometheus.Collector{s.started, s.ready} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register startup metrics: %w", err)
		}
	}
	return s, nil
}

// MarkStarted records that the application is wired (Spring's
// ApplicationStartedEvent): call it once the store and router are built.
func (s *Startup) MarkStarted() {
	s.started.WithLabelValues(s.mainClass).Set(s.now().Sub(s.begin).Seconds())
}

// MarkReady records that the application serves requests (Spring's
// ApplicationReadyEvent): call it once the listener accepts connections.
func (s *Startup) MarkReady() {
	s.ready.WithLabelValues(s.mainClass).Set(s.now().Sub(s.begin).Seconds())
}
