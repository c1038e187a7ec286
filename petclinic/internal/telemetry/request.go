package telemetry

import (
	"context"
	"net/http"
	"sync"

	"go.opentelemetry.io/otel/trace"
)

// requestState is shared by the telemetry middlewares of one request. The
// mux sets r.Pattern on the *http.Request it receives, which is a copy
// whenever a middleware between it and us called r.WithContext; so each
// middleware publishes the pattern it saw and reads the one published by the
// middlewares inside it.
type requestState struct {
	mu        sync.Mutex
	pattern   string
	exception string
	span      trace.SpanContext
}

type stateKey struct{}

// withState returns the request's telemetry state, adding one (and so a new
// request) only when no outer telemetry middleware did.
func withState(r *http.Request) (*requestState, *http.Request) {
	if st, ok := r.Context().Value(stateKey{}).(*requestState); ok {
		return st, r
	}
	st := &requestState{}
	return st, r.WithContext(context.WithValue(r.Context(), stateKey{}, st))
}

// route publishes r.Pattern, as the mux set it on the request this
// middleware passed down, and returns the innermost pattern seen.
func (st *requestState) route(r *http.Request) string {
	st.mu.Lock()
	defer st.mu.Unlock()
	if r.Pattern != "" && st.pattern == "" {
		st.pattern = r.Pattern
	}
	return st.pattern
}

func (st *requestState) spanContext() trace.SpanContext {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.span
}

func (st *requestState) setSpanContext(sc trace.SpanContext) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.span = sc
}

func (st *requestState) exceptionName() string {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.exception
}

// CaptureRoute publishes the pattern the mux matched to the telemetry
// middlewares around it. Wrap the *http.ServeMux itself with it when any
// middleware between the telemetry ones and the mux passes the mux a copy of
// the request (r.WithContext, http.TimeoutHandler, ...): the mux sets
// r.Pattern on that copy only. Without a telemetry middleware outside it, it
// does nothing.
func CaptureRoute(mux http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r)
		if st, ok := r.Context().Value(stateKey{}).(*requestState); ok {
			st.route(r)
		}
	})
}

// SetException records the name of the error that ended the request, the
// way Spring records an exception's simple class name on the
// http.server.requests observation: it becomes the exception and error
// labels of http_server_requests_seconds and the exception label of the
// petclinic_*_seconds timers, and the exception attribute of the access log.
// Use short, stable, low-cardinality names ("ErrNotFound", "panic",
// "DataAccessException"), never an error message. It does nothing outside the
// telemetry middlewares.
func SetException(r *http.Request, name string) {
	st, ok := r.Context().Value(stateKey{}).(*requestState)
	if !ok || name == "" {
		return
	}
	st.mu.Lock()
	st.exception = name
	st.mu.Unlock()
}

// responseRecorder remembers the status and size of a response.
type responseRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func newRecorder(w http.ResponseWriter) *responseRecorder {
	return &responseRecorder{ResponseWriter: w}
}

func (rw *responseRecorder) WriteHeader(code int) {
	// 1xx responses other than 101 precede the final one (103 Early Hints).
	if rw.status == 0 && (code >= 200 || code == http.StatusSwitchingProtocols) {
		rw.status = code
	}
	rw.ResponseWriter.WriteHeader(code)
}

func (rw *responseRecorder) Write(b []byte) (int, error) {
	if rw.status == 0 {
		rw.status = http.StatusOK
	}
	n, err := rw.ResponseWriter.Write(b)
	rw.bytes += int64(n)
	return n, err
}

// Flush keeps streaming handlers working through the middleware.
func (rw *responseRecorder) Flush() {
	if rw.status == 0 {
		rw.status = http.StatusOK
	}
	if f, ok := rw.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (rw *responseRecorder) Unwrap() http.ResponseWriter { return rw.ResponseWriter }

// statusCode is the status the client got: 200 when the handler wrote nothing.
func (rw *responseRecorder) statusCode() int {
	if rw.status == 0 {
		return http.StatusOK
	}
	return rw.status
}
