package telemetry

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

// otlpReceiver is an OTLP/HTTP traces endpoint that keeps what it receives.
type otlpReceiver struct {
	mu       sync.Mutex
	requests []*collectortrace.ExportTraceServiceRequest
}

func (o *otlpReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "unexpected "+r.URL.Path+" "+r.Header.Get("Content-Type"), http.StatusBadRequest)
		return
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = gz
	}
	b, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var req collectortrace.ExportTraceServiceRequest
	if err := proto.Unmarshal(b, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	o.mu.Lock()
	o.requests = append(o.requests, &req)
	o.mu.Unlock()
	out, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(out)
}

// Export is the OTLP/gRPC side of the same receiver.
type grpcReceiver struct {
	collectortrace.UnimplementedTraceServiceServer
	o *otlpReceiver
}

func (g grpcReceiver) Export(_ context.Context, req *collectortrace.ExportTraceServiceRequest) (*collectortrace.ExportTraceServiceResponse, error) {
	g.o.mu.Lock()
	g.o.requests = append(g.o.requests, req)
	g.o.mu.Unlock()
	return &collectortrace.ExportTraceServiceResponse{}, nil
}

// startCollector starts a real OTLP receiver for protocol and returns the
// endpoint to put in OTEL_EXPORTER_OTLP_ENDPOINT.
func startCollector(t *testing.T, protocol string) (*otlpReceiver, string) {
	t.Helper()
	receiver := &otlpReceiver{}
	if protocol == "grpc" {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := grpc.NewServer()
		collectortrace.RegisterTraceServiceServer(srv, grpcReceiver{o: receiver})
		go srv.Serve(l)
		t.Cleanup(srv.Stop)
		return receiver, "http://" + l.Addr().String()
	}
	srv := httptest.NewServer(receiver)
	t.Cleanup(srv.Close)
	return receiver, srv.URL
}

type receivedSpan struct {
	resource map[string]string
	span     *tracepb.Span
}

func (o *otlpReceiver) spans() map[string]receivedSpan {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := map[string]receivedSpan{}
	for _, req := range o.requests {
		for _, rs := range req.GetResourceSpans() {
			res := map[string]string{}
			for _, kv := range rs.GetResource().GetAttributes() {
				res[kv.GetKey()] = kv.GetValue().GetStringValue()
			}
			for _, ss := range rs.GetScopeSpans() {
				for _, s := range ss.GetSpans() {
					out[s.GetName()] = receivedSpan{res, s}
				}
			}
		}
	}
	return out
}

func attr(s *tracepb.Span, key string) string {
	for _, kv := range s.GetAttributes() {
		if kv.GetKey() == key {
			if v, ok := kv.GetValue().GetValue().(*commonpb.AnyValue_IntValue); ok {
				return strconv.FormatInt(v.IntValue, 10)
			}
			return kv.GetValue().GetStringValue()
		}
	}
	return ""
}

func clearOTelEnv(t *testing.T) {
	for _, k := range []string{"OTEL_SDK_DISABLED", "OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT",
		"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
		"OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES", "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG"} {
		t.Setenv(k, "")
	}
}

func TestTracingExportsServerSpansOverOTLP(t *testing.T) {
	for _, protocol := range []string{"http/protobuf", "grpc"} {
		t.Run(protocol, func(t *testing.T) { testOTLPExport(t, protocol) })
	}
}

func testOTLPExport(t *testing.T, protocol string) {
	clearOTelEnv(t)
	receiver, endpoint := startCollector(t, protocol)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", protocol)
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=test")
	prev := otel.GetTracerProvider()
	defer otel.SetTracerProvider(prev)

	shutdown, err := SetupTracing(t.Context(), "petclinic", "1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := otel.GetTracerProvider().(*sdktrace.TracerProvider); !ok {
		t.Fatalf("global tracer provider is %T, want the SDK's", otel.GetTracerProvider())
	}
	reg := NewRegistry()
	m, err := NewHTTPMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	app := httptest.NewServer(Tracing(m.Middleware(testMux())))
	defer app.Close()

	const traceID, parentID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	req, _ := http.NewRequest("GET", app.URL+"/petclinic/api/owners/1", nil)
	req.Header.Set("traceparent", "00-"+traceID+"-"+parentID+"-01")
	for _, r := range []*http.Request{req, mustRequest(t, "GET", app.URL+"/oups"), mustRequest(t, "GET", app.URL+"/nowhere")} {
		resp, err := app.Client().Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if err := shutdown(t.Context()); err != nil {
		t.Fatalf("shutdown: %v", err)
	}

	spans := receiver.spans()
	got, ok := spans["GET /petclinic/api/owners/{ownerId}"]
	if !ok {
		t.Fatalf("no span named after the route; got %v", keys(spans))
	}
	if id := hex.EncodeToString(got.span.GetTraceId()); id != traceID {
		t.Errorf("trace id = %s, want the caller's %s", id, traceID)
	}
	if id := hex.EncodeToString(got.span.GetParentSpanId()); id != parentID {
		t.Errorf("parent span id = %s, want the caller's %s", id, parentID)
	}
	if got.span.GetKind() != tracepb.Span_SPAN_KIND_SERVER {
		t.Errorf("kind = %v, want server", got.span.GetKind())
	}
	wantAttrs := map[string]string{
		"http.request.method": "GET", "http.route": "/petclinic/api/owners/{ownerId}",
		"url.path": "/petclinic/api/owners/1", "http.response.status_code": "200",
	}
	for k, v := range wantAttrs {
		if a := attr(got.span, k); a != v {
			t.Errorf("attribute %s = %q, want %q", k, a, v)
		}
	}
	wantRes := map[string]string{"service.name": "petclinic", "service.version": "1.2.3", "deployment.environment.name": "test"}
	for k, v := range wantRes {
		if got.resource[k] != v {
			t.Errorf("resource %s = %q, want %q", k, got.resource[k], v)
		}
	}
	oups, ok := spans["GET /oups"]
	if !ok || oups.span.GetStatus().GetCode() != tracepb.Status_STATUS_CODE_ERROR || attr(oups.span, "error.type") != "RuntimeException" {
		t.Errorf("the 500 span is %v, want status error with error.type RuntimeException", oups.span)
	}
	if _, ok := spans["GET"]; !ok {
		t.Errorf("an unmatched request's span is not named just GET; got %v", keys(spans))
	}
}

func TestTheSamplerComesFromTheEnvironment(t *testing.T) {
	clearOTelEnv(t)
	receiver, endpoint := startCollector(t, "http/protobuf")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", endpoint+"/v1/traces")
	t.Setenv("OTEL_TRACES_SAMPLER", "always_off")
	prev := otel.GetTracerProvider()
	defer otel.SetTracerProvider(prev)
	shutdown, err := SetupTracing(t.Context(), "petclinic", "test")
	if err != nil {
		t.Fatal(err)
	}
	Tracing(testMux()).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/petclinic/api/owners/1", nil))
	if err := shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	if spans := receiver.spans(); len(spans) != 0 {
		t.Errorf("always_off exported %v", keys(spans))
	}
}

func mustRequest(t *testing.T, method, url string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestSetupTracingStaysOffWithoutConfiguration(t *testing.T) {
	tests := map[string]map[string]string{
		"nothing set":             {},
		"the SDK disabled":        {"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1"},
		"the exporter none":       {"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1"},
		"a metrics-only endpoint": {"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "http://127.0.0.1:1"},
	}
	for name, env := range tests {
		t.Run(name, func(t *testing.T) {
			clearOTelEnv(t)
			for k, v := range env {
				t.Setenv(k, v)
			}
			before := otel.GetTracerProvider()
			shutdown, err := SetupTracing(t.Context(), "petclinic", "test")
			if err != nil {
				t.Fatal(err)
			}
			if otel.GetTracerProvider() != before {
				t.Errorf("the global tracer provider changed to %T", otel.GetTracerProvider())
			}
			if err := shutdown(t.Context()); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestSetupTracingRejectsBadSettings(t *testing.T) {
	tests := map[string]struct {
		env  map[string]string
		want string
	}{
		"an unknown exporter": {
			map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"},
			`OTEL_TRACES_EXPORTER "zipkin": unknown exporter "zipkin": want otlp, console or none`,
		},
		"two exporters": {
			map[string]string{"OTEL_TRACES_EXPORTER": "otlp,console"},
			`OTEL_TRACES_EXPORTER "otlp,console": only one exporter is supported`,
		},
		"the JSON protocol": {
			map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"},
			`OTLP protocol "http/json": want http/protobuf or grpc`,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			clearOTelEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			_, err := SetupTracing(t.Context(), "petclinic", "test")
			if err == nil || err.Error() != tt.want {
				t.Errorf("SetupTracing error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestConsoleExporterWritesJSONLines(t *testing.T) {
	var buf bytes.Buffer
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(&consoleExporter{w: &buf}))
	h := Tracing(testMux())
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(tp)
	defer otel.SetTracerProvider(prev)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("PUT", "/petclinic/api/owners/4", nil))
	var got consoleSpan
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("console output %q: %v", buf.String(), err)
	}
	if got.Name != "PUT /petclinic/api/owners/{ownerId}" || got.Kind != "server" || got.Attributes["http.response.status_code"] != "204" {
		t.Errorf("console span = %+v", got)
	}
}
