package telemetry

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"
)

// NewLogger returns a logger writing one JSON object per line.
func NewLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

// ParseLevel parses a log level name: debug, info, warn (or warning) or
// error, in any case.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("unknown log level %q: want debug, info, warn or error", s)
}

// AccessLog writes one line per request once it is answered: method, route
// (the route template, empty when no route matched), path, query (with
// secret-looking values masked), status, duration_ms, bytes, remote,
// user_agent, exception when a handler set one, and the trace_id and span_id
// of the request's span. It never logs headers other than User-Agent, nor a
// body. 5xx answers are logged at error level, others at info.
func AccessLog(logger *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			st, r := withState(r)
			rec := newRecorder(w)
			defer func() {
				p := recover()
				status := rec.statusCode()
				if p != nil && rec.status == 0 {
					status = http.StatusInternalServerError
				}
				route := ""
				if pattern := st.route(r); pattern != "" {
					route = RouteTemplate(pattern)
				}
				level := slog.LevelInfo
				if status >= 500 {
					level = slog.LevelError
				}
				ctx := r.Context()
				if logger.Enabled(ctx, level) {
					// What logger.LogAttrs does, less runtime.Callers: the
					// record's source would be this closure, and NewLogger
					// adds none.
					lr := slog.NewRecord(time.Now(), level, "request", 0)
					lr.AddAttrs(
						slog.String("method", r.Method),
						slog.String("route", route),
						slog.String("path", r.URL.Path),
					)
					if r.URL.RawQuery != "" {
						lr.AddAttrs(slog.String("query", RedactQuery(r.URL.RawQuery)))
					}
					lr.AddAttrs(
						slog.Int("status", status),
						slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
						slog.Int64("bytes", rec.bytes),
						slog.String("remote", r.RemoteAddr),
						slog.String("user_agent", r.UserAgent()),
					)
					if ex := st.exceptionName(); ex != "" {
						lr.AddAttrs(slog.String("exception", ex))
					} else if p != nil {
						lr.AddAttrs(slog.String("exception", "panic"))
					}
					sc := trace.SpanContextFromContext(ctx)
					if !sc.IsValid() {
						sc = st.spanContext()
					}
					if sc.IsValid() {
						lr.AddAttrs(
							slog.String("trace_id", sc.TraceID().String()),
							slog.String("span_id", sc.SpanID().String()),
						)
					}
					_ = logger.Handler().Handle(ctx, lr)
				}
				if p != nil {
					panic(p)
				}
			}()
			next.ServeHTTP(rec, r)
		})
	}
}

// Redacted replaces a secret in logs, as Spring Boot's Sanitizer does.
const Redacted = "******"

var secretKeyParts = []string{"pass", "pwd", "secret", "token", "auth", "credential", "session", "signature", "key", "jwt", "cookie"}

// RedactQuery masks the values of query parameters whose name looks like it
// holds a secret (password, token, api_key, ...), keeping the order and the
// raw encoding of the others. A parameter whose name cannot be decoded is
// masked too.
func RedactQuery(raw string) string {
	parts := strings.Split(raw, "&")
	for i, part := range parts {
		k, _, hasValue := strings.Cut(part, "=")
		name, err := url.QueryUnescape(k)
		if err != nil || secretName(name) {
			if hasValue || err != nil {
				parts[i] = k + "=" + Redacted
			}
		}
	}
	return strings.Join(parts, "&")
}

func secretName(name string) bool {
	name = strings.ToLower(name)
	for _, s := range secretKeyParts {
		if strings.Contains(name, s) {
			return true
		}
	}
	return false
}

// CountEvents returns a logger that writes through l and counts each record
// it writes in logback_events_total{level}, Spring Boot's LogbackMetrics, so
// that alerts on the error log rate keep working. Levels are trace (unused),
// debug, info, warn and error.
func CountEvents(l *slog.Logger, reg prometheus.Registerer) (*slog.Logger, error) {
	events := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "logback_events_total",
		Help: "Number of log events that were enabled by the effective log level",
	}, []string{"level"})
	if err := reg.Register(events); err != nil {
		return nil, fmt.Errorf("register log metrics: %w", err)
	}
	c := &countingHandler{Handler: l.Handler(), counters: map[slog.Level]prometheus.Counter{}}
	for _, lv := range []struct {
		level slog.Level
		name  string
	}{{slog.LevelDebug, "debug"}, {slog.LevelInfo, "info"}, {slog.LevelWarn, "warn"}, {slog.LevelError, "error"}} {
		c.counters[lv.level] = events.WithLabelValues(lv.name)
	}
	events.WithLabelValues("trace")
	return slog.New(c), nil
}

type countingHandler struct {
	slog.Handler
	counters map[slog.Level]prometheus.Counter
}

func (c *countingHandler) Handle(ctx context.Context, r slog.Record) error {
	switch {
	case r.Level >= slog.LevelError:
		c.counters[slog.LevelError].Inc()
	case r.Level >= slog.LevelWarn:
		c.counters[slog.LevelWarn].Inc()
	case r.Level >= slog.LevelInfo:
		c.counters[slog.LevelInfo].Inc()
	default:
		c.counters[slog.LevelDebug].Inc()
	}
	return c.Handler.Handle(ctx, r)
}

func (c *countingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &countingHandler{Handler: c.Handler.WithAttrs(attrs), counters: c.counters}
}

func (c *countingHandler) WithGroup(name string) slog.Handler {
	return &countingHandler{Handler: c.Handler.WithGroup(name), counters: c.counters}
}
