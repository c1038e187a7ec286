package telemetry

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.37.0"
	"go.opentelemetry.io/otel/trace"
)

const tracerName = "github.com/gamedayhq/gameday/petclinic/internal/telemetry"

// SetupTracing installs the W3C tracecontext and baggage propagators and,
// when the standard OTEL_* variables ask for it, a global tracer provider
// exporting spans. It reads nothing else:
//
//   - OTEL_SDK_DISABLED=true turns tracing off.
//   - OTEL_TRACES_EXPORTER: otlp, console (JSON lines on stdout) or none.
//     Unset, tracing is on only when an OTLP endpoint is set.
//   - OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, and
//     the other OTEL_EXPORTER_OTLP_* settings, read by the exporter itself.
//   - OTEL_EXPORTER_OTLP_PROTOCOL or OTEL_EXPORTER_OTLP_TRACES_PROTOCOL:
//     http/protobuf (default) or grpc.
//   - OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override service and
//     version.
//   - OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG (default
//     parentbased_always_on), OTEL_BSP_*, read by the SDK.
//
// When off it starts no exporter and no goroutine; the Tracing middleware
// then still propagates an incoming trace context to logs. The returned
// shutdown flushes pending spans; call it once, after the server stopped.
func SetupTracing(ctx context.Context, service, version string) (shutdown func(context.Context) error, err error) {
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	noop := func(context.Context) error { return nil }

	exporter, err := tracesExporter()
	if err != nil || exporter == "none" {
		return noop, err
	}
	var exp sdktrace.SpanExporter
	switch exporter {
	case "console":
		exp = &consoleExporter{w: os.Stdout}
	case "otlp":
		exp, err = otlpExporter(ctx)
		if err != nil {
			return noop, err
		}
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(semconv.ServiceName(service), semconv.ServiceVersion(version)),
		resource.WithTelemetrySDK(),
		resource.WithFromEnv(),
	)
	if err != nil {
		_ = exp.Shutdown(ctx)
		return noop, fmt.Errorf("tracing resource: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	return tp.Shutdown, nil
}

// tracesExporter decides from the environment which exporter to use:
// otlp, console or none.
func tracesExporter() (string, error) {
	if strings.EqualFold(strings.TrimSpace(os.Getenv("OTEL_SDK_DISABLED")), "true") {
		return "none", nil
	}
	v := strings.ToLower(strings.TrimSpace(os.Getenv("OTEL_TRACES_EXPORTER")))
	if v == "" {
		if os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" {
			return "none", nil
		}
		return "otlp", nil
	}
	chosen := ""
	for _, e := range strings.Split(v, ",") {
		switch e = strings.TrimSpace(e); e {
		case "none":
			return "none", nil
		case "otlp", "console":
			if chosen != "" && chosen != e {
				return "", fmt.Errorf("OTEL_TRACES_EXPORTER %q: only one exporter is supported", v)
			}
			chosen = e
		default:
			return "", fmt.Errorf("OTEL_TRACES_EXPORTER %q: unknown exporter %q: want otlp, console or none", v, e)
		}
	}
	return chosen, nil
}

func otlpExporter(ctx context.Context) (sdktrace.SpanExporter, error) {
	proto := os.Getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
	if proto == "" {
		proto = os.Getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	var (
		exp sdktrace.SpanExporter
		err error
	)
	switch strings.TrimSpace(proto) {
	case "", "http/protobuf":
		exp, err = otlptracehttp.New(ctx)
	case "grpc":
		exp, err = otlptracegrpc.New(ctx)
	default:
		return nil, fmt.Errorf("OTLP protocol %q: want http/protobuf or grpc", proto)
	}
	if err != nil {
		return nil, fmt.Errorf("otlp trace exporter: %w", err)
	}
	return exp, nil
}

// defaultTracerProvider is the global tracer provider before anyone set one:
// OpenTelemetry's no-op delegate.
var defaultTracerProvider = otel.GetTracerProvider()

// TracingOn reports whether a tracer provider was installed (SetupTracing
// with an exporter, or a test's own), so that spans are worth building.
// With the default no-op provider every span, its attributes and the
// context carrying it would be built for nothing on every request and
// statement.
func TracingOn() bool { return otel.GetTracerProvider() != defaultTracerProvider }

// Tracing starts a server span per request, child of the traceparent the
// client sent, with the HTTP semantic-convention attributes. The span is
// named "METHOD /route/template" once the handler returned (just "METHOD"
// when no route matched) and marked as an error for 5xx answers. It uses the
// global tracer provider and propagator, so it may be built before
// SetupTracing runs.
func Tracing(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, r := withState(r)
		if !TracingOn() {
			// No span to record: only an incoming trace context reaches the
			// logs and the statements, as a non-recording span would carry it.
			if len(r.Header["Traceparent"]) > 0 {
				ctx := otel.GetTextMapPropagator().Extract(r.Context(), propagation.HeaderCarrier(r.Header))
				if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
					st.setSpanContext(sc)
					r = r.WithContext(ctx)
				}
			}
			next.ServeHTTP(w, r)
			return
		}
		ctx := otel.GetTextMapPropagator().Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		method := methodLabel(r.Method)
		attrMethod := semconv.HTTPRequestMethodKey.String(method)
		name := method
		if method == "UNKNOWN" {
			attrMethod = semconv.HTTPRequestMethodKey.String("_OTHER")
			name = "HTTP"
		}
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		attrs := make([]attribute.KeyValue, 0, 8)
		attrs = append(attrs,
			attrMethod,
			semconv.URLScheme(scheme),
			semconv.URLPath(r.URL.Path),
			semconv.NetworkProtocolVersion(protocolVersion(r.ProtoMajor, r.ProtoMinor)),
		)
		if host, port, err := net.SplitHostPort(r.Host); err == nil {
			attrs = append(attrs, semconv.ServerAddress(host))
			if p, err := strconv.Atoi(port); err == nil {
				attrs = append(attrs, semconv.ServerPort(p))
			}
		} else if r.Host != "" {
			attrs = append(attrs, semconv.ServerAddress(r.Host))
		}
		if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
			attrs = append(attrs, semconv.ClientAddress(host))
		}
		if ua := r.UserAgent(); ua != "" {
			attrs = append(attrs, semconv.UserAgentOriginal(ua))
		}
		ctx, span := otel.Tracer(tracerName).Start(ctx, name,
			trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attrs...))
		defer span.End()
		st.setSpanContext(span.SpanContext())
		r = r.WithContext(ctx)
		rec := newRecorder(w)
		defer func() {
			p := recover()
			status := rec.statusCode()
			if p != nil && rec.status == 0 {
				status = http.StatusInternalServerError
			}
			if pattern := st.route(r); pattern != "" {
				route := RouteTemplate(pattern)
				span.SetName(name + " " + route)
				span.SetAttributes(semconv.HTTPRoute(route))
			}
			span.SetAttributes(semconv.HTTPResponseStatusCode(status))
			exception := st.exceptionName()
			if p != nil && exception == "" {
				exception = "panic"
			}
			if status >= 500 {
				errType := exception
				if errType == "" {
					errType = strconv.Itoa(status)
				}
				span.SetAttributes(semconv.ErrorTypeKey.String(errType))
				span.SetStatus(codes.Error, "")
			}
			if p != nil {
				panic(p)
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

// protocolVersion is "major.minor", without formatting the usual ones.
func protocolVersion(major, minor int) string {
	switch {
	case major == 1 && minor == 1:
		return "1.1"
	case major == 2 && minor == 0:
		return "2.0"
	case major == 1 && minor == 0:
		return "1.0"
	}
	return strconv.Itoa(major) + "." + strconv.Itoa(minor)
}

// consoleExporter writes one JSON object per span: OTEL_TRACES_EXPORTER=console.
type consoleExporter struct {
	mu sync.Mutex
	w  io.Writer
}

type consoleSpan struct {
	Name         string            `json:"name"`
	Kind         string            `json:"kind"`
	TraceID      string            `json:"trace_id"`
	SpanID       string            `json:"span_id"`
	ParentSpanID string            `json:"parent_span_id,omitempty"`
	Start        time.Time         `json:"start"`
	DurationMS   float64           `json:"duration_ms"`
	Status       string            `json:"status"`
	Attributes   map[string]string `json:"attributes,omitempty"`
}

func (e *consoleExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	enc := json.NewEncoder(e.w)
	for _, s := range spans {
		cs := consoleSpan{
			Name:       s.Name(),
			Kind:       s.SpanKind().String(),
			TraceID:    s.SpanContext().TraceID().String(),
			SpanID:     s.SpanContext().SpanID().String(),
			Start:      s.StartTime().UTC(),
			DurationMS: float64(s.EndTime().Sub(s.StartTime()).Microseconds()) / 1000,
			Status:     s.Status().Code.String(),
			Attributes: map[string]string{},
		}
		if s.Parent().IsValid() {
			cs.ParentSpanID = s.Parent().SpanID().String()
		}
		for _, kv := range s.Attributes() {
			cs.Attributes[string(kv.Key)] = kv.Value.Emit()
		}
		if err := enc.Encode(cs); err != nil {
			return fmt.Errorf("console exporter: %w", err)
		}
	}
	return nil
}

func (e *consoleExporter) Shutdown(context.Context) error { return nil }
