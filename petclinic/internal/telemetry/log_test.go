package telemetry

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestParseLevel(t *testing.T) {
	tests := map[string]struct {
		in   string
		want slog.Level
	}{
		"debug":                    {"debug", slog.LevelDebug},
		"info in capitals":         {"INFO", slog.LevelInfo},
		"warn":                     {"warn", slog.LevelWarn},
		"warning as log4j says it": {"warning", slog.LevelWarn},
		"error with spaces":        {" error ", slog.LevelError},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := ParseLevel(tt.in)
			if err != nil || got != tt.want {
				t.Errorf("ParseLevel(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseLevelRejectsUnknownNames(t *testing.T) {
	_, err := ParseLevel("verbose")
	want := `unknown log level "verbose": want debug, info, warn or error`
	if err == nil || err.Error() != want {
		t.Errorf("ParseLevel(verbose) error = %v, want %q", err, want)
	}
}

func TestRedactQuery(t *testing.T) {
	tests := map[string]struct {
		in, want string
	}{
		"plain parameters are kept":          {"lastName=Davis&page=2", "lastName=Davis&page=2"},
		"a password is masked":               {"username=admin&password=s3cret", "username=admin&password=******"},
		"names match in any case":            {"Access_Token=abc&API-KEY=x", "Access_Token=******&API-KEY=******"},
		"an encoded name is decoded first":   {"pass%77ord=x", "pass%77ord=******"},
		"a bare secret name stays bare":      {"token&a=1", "token&a=1"},
		"an undecodable name is masked":      {"%zz=1", "%zz=******"},
		"the raw encoding of others is kept": {"q=a%20b+c", "q=a%20b+c"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := RedactQuery(tt.in); got != tt.want {
				t.Errorf("RedactQuery(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzRedactQuery(f *testing.F) {
	for _, s := range []string{"password=x", "a=1&token=2", "%zz", "pass%77ord=y&&=", "k=v=w"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		out := RedactQuery(raw)
		q, err := url.ParseQuery(out)
		if err != nil {
			return
		}
		for k, vs := range q {
			if !secretName(k) {
				continue
			}
			for _, v := range vs {
				if v != "" && v != Redacted {
					t.Fatalf("RedactQuery(%q) = %q leaks %s=%q", raw, out, k, v)
				}
			}
		}
	})
}

func TestAccessLogWritesOneLinePerRequest(t *testing.T) {
	t.Setenv("OTEL_TRACES_EXPORTER", "none")
	if _, err := SetupTracing(t.Context(), "petclinic", "test"); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	mux := http.NewServeMux()
	mux.HandleFunc("GET /owners/{ownerId}", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello")
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		SetException(r, "BadCredentials")
		w.WriteHeader(http.StatusInternalServerError)
	})
	h := Tracing(AccessLog(NewLogger(&buf, slog.LevelInfo))(mux))

	req := httptest.NewRequest("GET", "/owners/7?lastName=Davis&access_token=abc", nil)
	req.Header.Set("User-Agent", "probe/1")
	req.Header.Set("Authorization", "Basic YWRtaW46YWRtaW4=")
	req.Header.Set("Cookie", "JSESSIONID=secretcookie")
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	h.ServeHTTP(httptest.NewRecorder(), req)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/login", strings.NewReader("password=hunter2")))

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2:\n%s", len(lines), buf.String())
	}
	for _, secret := range []string{"abc", "YWRtaW46YWRtaW4", "secretcookie", "hunter2"} {
		if strings.Contains(buf.String(), secret) {
			t.Errorf("access log leaks %q:\n%s", secret, buf.String())
		}
	}
	var first map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"level": "INFO", "msg": "request", "method": "GET", "route": "/owners/{ownerId}", "path": "/owners/7",
		"query": "lastName=Davis&access_token=******", "status": float64(200), "bytes": float64(5),
		"remote": "192.0.2.1:1234", "user_agent": "probe/1", "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
	}
	for k, v := range want {
		if first[k] != v {
			t.Errorf("first line %s = %#v, want %#v", k, first[k], v)
		}
	}
	if _, ok := first["duration_ms"].(float64); !ok {
		t.Errorf("first line has no numeric duration_ms: %s", lines[0])
	}
	if id, _ := first["span_id"].(string); len(id) != 16 {
		t.Errorf("first line span_id = %q, want 16 hex digits", id)
	}
	var second map[string]any
	if err := json.Unmarshal([]byte(lines[1]), &second); err != nil {
		t.Fatal(err)
	}
	if second["level"] != "ERROR" || second["exception"] != "BadCredentials" || second["status"] != float64(500) {
		t.Errorf("second line = %s, want an ERROR line with status 500 and exception BadCredentials", lines[1])
	}
}

func TestCountEventsCountsWrittenRecordsByLevel(t *testing.T) {
	reg := prometheus.NewRegistry()
	var buf bytes.Buffer
	l, err := CountEvents(NewLogger(&buf, slog.LevelInfo), reg)
	if err != nil {
		t.Fatal(err)
	}
	l.Debug("filtered out by the level")
	l.Info("one")
	l.With("k", "v").Warn("two")
	l.WithGroup("g").Error("three")
	l.Error("four")
	mfs, _ := reg.Gather()
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			got[m.GetLabel()[0].GetValue()] = m.GetCounter().GetValue()
		}
	}
	want := map[string]float64{"trace": 0, "debug": 0, "info": 1, "warn": 1, "error": 2}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("logback_events_total{level=%q} = %v, want %v", k, got[k], v)
		}
	}
	if n := strings.Count(buf.String(), "\n"); n != 4 {
		t.Errorf("wrote %d lines, want 4", n)
	}
}
