package app

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
)

// contentSecurityPolicy allows nothing inline and nothing from elsewhere: every
// asset is embedded and served by PetClinic itself.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// securityHeaders are the headers every response carries, canonical keys.
var securityHeaderKeys, securityHeaderValues = func() ([]string, []string) {
	kv := [][2]string{
		{"Content-Security-Policy", contentSecurityPolicy},
		{"X-Content-Type-Options", "nosniff"},
		{"X-Frame-Options", "DENY"},
		{"Referrer-Policy", "strict-origin-when-cross-origin"},
		{"Cross-Origin-Opener-Policy", "same-origin"},
		{"Permissions-Policy", "camera=(), microphone=(), geolocation=()"},
	}
	keys, values := make([]string, len(kv)), make([]string, len(kv))
	for i, p := range kv {
		keys[i], values[i] = http.CanonicalHeaderKey(p[0]), p[1]
	}
	return keys, values
}()

// securityHeaders sets the headers every response carries: Header.Set of
// each, with one allocation for all the values rather than one per header
// (each response gets its own copy, capped so that an Add cannot write into
// a neighbour).
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		values := append([]string(nil), securityHeaderValues...)
		for i, k := range securityHeaderKeys {
			h[k] = values[i : i+1 : i+1]
		}
		next.ServeHTTP(w, r)
	})
}

// limitBody caps request bodies; handlers reading past the cap get an error
// (*http.MaxBytesError) and answer 400 or 413.
func limitBody(max int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > max {
			http.Error(w, fmt.Sprintf("request body larger than %d bytes", max), http.StatusRequestEntityTooLarge)
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, max)
		}
		next.ServeHTTP(w, r)
	})
}

// recoverPanics turns a panicking handler into a logged 500 instead of a
// dropped connection. exception, when not nil, records the panic for metrics.
func recoverPanics(log *slog.Logger, exception func(*http.Request, string), next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler { //nolint:errorlint // sentinel compared as net/http does
				panic(v)
			}
			log.Error("handler panicked", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if exception != nil {
				exception(r, "Panic")
			}
			http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		}()
		next.ServeHTTP(w, r)
	})
}
