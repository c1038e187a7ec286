package api

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// The Java controllers carry @CrossOrigin(exposedHeaders = "errors,
// content-type") with the other attributes at their defaults: any origin,
// the mapping's own methods, any request header, no credentials, and a
// preflight max age of 1800 seconds.
const (
	exposedHeaders = "errors, content-type"
	corsMaxAge     = "1800"
)

var corsVary = []string{"Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"}

// isCORS reports whether r is a cross-origin request: an Origin that is not
// the request's own scheme, host and port (Spring's CorsUtils).
func isCORS(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	u, err := url.Parse(origin)
	if err != nil {
		return true
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return !strings.EqualFold(u.Scheme, scheme) || !strings.EqualFold(withPort(u.Host, u.Scheme), withPort(r.Host, scheme))
}

func withPort(host, scheme string) string {
	if strings.LastIndex(host, ":") > strings.LastIndex(host, "]") {
		return host
	}
	if scheme == "https" {
		return host + ":443"
	}
	return host + ":80"
}

// addVary adds the Vary values, as Header.Add of each would, in one
// allocation.
func addVary(w http.ResponseWriter) {
	h := w.Header()
	h["Vary"] = append(h["Vary"], corsVary...)
}

// corsHeaders decorates an actual (non-preflight) request's response.
func corsHeaders(w http.ResponseWriter, r *http.Request) {
	addVary(w)
	if !isCORS(r) {
		return
	}
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Access-Control-Expose-Headers", exposedHeaders)
}

// preflight answers OPTIONS for a path whose operations use methods. A
// preflight for a method the path does not have is refused with 403, like
// Spring's "Invalid CORS request"; a plain OPTIONS lists the methods in
// Allow. Preflights need no authentication (see api-deviations.md).
func preflight(methods []string) http.Handler {
	allow := append([]string{}, methods...)
	if slices.Contains(allow, "GET") {
		allow = append(allow, "HEAD")
	}
	allow = append(allow, "OPTIONS")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		want := r.Header.Get("Access-Control-Request-Method")
		if !isCORS(r) || want == "" {
			w.Header().Set("Allow", strings.Join(allow, ","))
			w.WriteHeader(http.StatusOK)
			return
		}
		addVary(w)
		if !slices.Contains(methods, want) {
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte("Invalid CORS request"))
			return
		}
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Access-Control-Allow-Methods", want)
		if h := r.Header.Values("Access-Control-Request-Headers"); len(h) > 0 {
			w.Header().Set("Access-Control-Allow-Headers", strings.Join(h, ", "))
		}
		w.Header().Set("Access-Control-Max-Age", corsMaxAge)
		w.WriteHeader(http.StatusOK)
	})
}

// notFound answers requests under the API prefix that match no operation:
// 405 with Allow when the path exists with other methods, else 404
// NoResourceFoundException. With security on, authentication comes first,
// as Spring Security's filter runs before the dispatcher.
func (s *server) notFound(methods map[string][]string, paths []string) http.Handler {
	templates := make([][]string, len(paths))
	for i, p := range paths {
		templates[i] = strings.Split(strings.TrimPrefix(p, "/"), "/")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.security {
			if p := s.authorize(w, r, nil); p != nil {
				s.writeProblem(w, r, p)
				return
			}
		}
		rest := strings.Split(strings.TrimPrefix(r.URL.Path, Prefix+"/"), "/")
		for i, t := range templates {
			if matchTemplate(t, rest) {
				corsHeaders(w, r)
				allow := methods[paths[i]]
				s.writeProblem(w, r, &problem{status: http.StatusMethodNotAllowed, title: "HttpRequestMethodNotSupportedException",
					detail: "Request method '" + r.Method + "' is not supported", header: http.Header{"Allow": {strings.Join(allow, ", ")}}})
				return
			}
		}
		s.writeProblem(w, r, &problem{status: http.StatusNotFound, title: "NoResourceFoundException",
			detail: "No static resource " + strings.TrimPrefix(r.URL.Path, "/petclinic/") + "."})
	})
}

func matchTemplate(template, segments []string) bool {
	if len(template) != len(segments) {
		return false
	}
	for i, t := range template {
		if !strings.HasPrefix(t, "{") && t != segments[i] {
			return false
		}
		if strings.HasPrefix(t, "{") && segments[i] == "" {
			return false
		}
	}
	return true
}
