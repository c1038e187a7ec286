package telemetry

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

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
				attrs := make([]slog.Attr, 0, 14)
				attrs = append(attrs,
					slog.String("method", r.Method),
					slog.String("route", route),
					slog.String("path", r.URL.Path),
				)
				if r.URL.RawQuery != "" {
					attrs = append(attrs, slog.String("query", RedactQuery(r.URL.RawQuery)))
				}
				attrs = append(attrs,
					slog.Int("status", status),
					slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
					slog.Int64("bytes", rec.bytes),
					slog.String("remote", r.RemoteAddr),
					slog.String("user_agent", r.UserAgent()),
				)
				if ex := st.exceptionName(); ex != "" {
					attrs = append(attrs, slog.String("exception", ex))
				} else if p != nil {
					attrs = append(attrs, slog.String("exception", "panic"))
				}
				sc := trace.SpanContextFromContext(r.Context())
				if !sc.IsValid() {
					sc = st.spanContext()
				}
				if sc.IsValid() {
					attrs = append(attrs,
						slog.String("trace_id", sc.TraceID().String()),
						slog.String("span_id", sc.SpanID().String()),
					)
				}
				level := slog.LevelInfo
				if status >= 500 {
					level = slog.LevelError
				}
				logger.LogAttrs(r.Context(), level, "request", attrs...)
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
