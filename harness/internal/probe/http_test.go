package probe

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/spec"
)

func closedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return "http://" + l.Addr().String()
}

func TestHTTPProbe(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/actuator/health":
			w.Write([]byte(`{"status":"UP"}`))
		case "/slow":
			time.Sleep(60 * time.Millisecond)
		case "/down":
			w.WriteHeader(http.StatusServiceUnavailable)
		case "/owners/new":
			http.Redirect(w, r, "/owners/11", http.StatusFound)
		case "/hang":
			select {
			case <-r.Context().Done():
			case <-time.After(2 * time.Second):
			}
		}
	}))
	defer srv.Close()
	closed := closedURL(t)

	tests := map[string]struct {
		probe      HTTP
		wantStatus Status
		wantErr    string
	}{
		"a healthy endpoint":                  {HTTP{URL: srv.URL + "/actuator/health", Tolerance: lt(1)}, StatusOK, ""},
		"a slower endpoint than tolerated":    {HTTP{URL: srv.URL + "/slow", Tolerance: lt(0.05)}, StatusBreached, "is not < 0.05"},
		"a 503":                               {HTTP{URL: srv.URL + "/down"}, StatusBreached, "status 503, want [200]"},
		"an expected redirect, not followed":  {HTTP{URL: srv.URL + "/owners/new", Expect: []int{302}}, StatusOK, ""},
		"a refused connection breaches":       {HTTP{URL: closed}, StatusBreached, "connection refused"},
		"a timeout breaches":                  {HTTP{URL: srv.URL + "/hang", Timeout: 100 * time.Millisecond}, StatusBreached, "deadline exceeded"},
		"a URL that cannot be requested errs": {HTTP{URL: "http://[::1"}, StatusError, "missing ']'"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			tc.probe.ProbeName = "health"
			at := time.Now()
			s := tc.probe.Check(t.Context(), at)
			if s.Status != tc.wantStatus || s.OK != (tc.wantStatus == StatusOK) || s.Probe != "health" || !s.At.Equal(at) {
				t.Fatalf("sample = %+v, want status %s", s, tc.wantStatus)
			}
			if tc.wantErr != "" && (s.Err == nil || !strings.Contains(s.Err.Error(), tc.wantErr)) {
				t.Errorf("reason = %v, want it to mention %q", s.Err, tc.wantErr)
			}
			if tc.wantStatus == StatusOK && (s.Value <= 0 || s.Value > 1) {
				t.Errorf("latency value = %g s", s.Value)
			}
		})
	}
}

// request is what the recording server got.
type request struct {
	Method, Path, Host, Body string
	Header                   http.Header
}

// The spec's method, headers and body reach the wire: a real server
// records each request of a probe built from its spec.
func TestHTTPProbeSendsTheSpecsMethodHeadersAndBody(t *testing.T) {
	got := make(chan request, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- request{Method: r.Method, Path: r.URL.Path, Host: r.Host, Body: string(b), Header: r.Header.Clone()}
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	tests := map[string]struct {
		http spec.HTTPProbe
		want request
	}{
		"GET by default, no body": {
			spec.HTTPProbe{Path: "/actuator/health"},
			request{Method: "GET", Path: "/actuator/health", Host: strings.TrimPrefix(srv.URL, "http://")},
		},
		"HEAD": {
			spec.HTTPProbe{Path: "/", Method: "HEAD"},
			request{Method: "HEAD", Path: "/", Host: strings.TrimPrefix(srv.URL, "http://")},
		},
		"POST with its body and headers": {
			spec.HTTPProbe{Path: "/graphql", Method: "POST", Body: `{"query":"{ owners { id } }"}`,
				Headers: map[string]string{"content-type": "application/json", "X-Tenant": "blue"}},
			request{Method: "POST", Path: "/graphql", Host: strings.TrimPrefix(srv.URL, "http://"), Body: `{"query":"{ owners { id } }"}`,
				Header: http.Header{"Content-Type": {"application/json"}, "X-Tenant": {"blue"}}},
		},
		"a Host header sets the virtual host": {
			spec.HTTPProbe{URL: srv.URL + "/vets", Headers: map[string]string{"Host": "petclinic.example.com"}},
			request{Method: "GET", Path: "/vets", Host: "petclinic.example.com"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			h := tc.http
			p, err := New(spec.Probe{Name: "front-door", Type: spec.ProbeHTTP, HTTP: &h, Tolerance: lt(1)}, Clients{TargetURL: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			if s := p.Check(t.Context(), time.Now()); s.Status != StatusOK {
				t.Fatalf("sample %+v", s)
			}
			r := <-got
			if r.Method != tc.want.Method || r.Path != tc.want.Path || r.Host != tc.want.Host || r.Body != tc.want.Body {
				t.Errorf("server got %s %s (host %s) body %q, want %s %s (host %s) body %q",
					r.Method, r.Path, r.Host, r.Body, tc.want.Method, tc.want.Path, tc.want.Host, tc.want.Body)
			}
			for k, v := range tc.want.Header {
				if !slices.Equal(r.Header[k], v) {
					t.Errorf("header %s: got %q, want %q", k, r.Header[k], v)
				}
			}
		})
	}
}
