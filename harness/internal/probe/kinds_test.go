package probe

import (
	"errors"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/loki"
	"github.com/gamedayhq/gameday/harness/internal/prom"
	"github.com/gamedayhq/gameday/harness/internal/prom/promtest"
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
		"a healthy endpoint":                  {HTTP{URL: srv.URL + "/actuator/health", Tolerance: Threshold(OpLT, 1)}, StatusOK, ""},
		"a slower endpoint than tolerated":    {HTTP{URL: srv.URL + "/slow", Tolerance: Threshold(OpLT, 0.05)}, StatusBreached, "is not < 0.05"},
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

func TestPromQLProbeAgainstARealPrometheus(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("# TYPE http_server_requests_seconds_count counter\n" +
			`http_server_requests_seconds_count{status="200"} 995` + "\n" +
			`http_server_requests_seconds_count{status="500"} 5` + "\n"))
	}))
	defer target.Close()
	srv := promtest.Start(t, promtest.Config{Targets: []string{strings.TrimPrefix(target.URL, "http://")}})
	srv.WaitFor(t, "http_server_requests_seconds_count", 15*time.Second)
	client, err := prom.New(srv.URL, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	unreachable, err := prom.New(closedURL(t), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	const availability = `sum(http_server_requests_seconds_count{status!~"5.."}) / sum(http_server_requests_seconds_count)`

	tests := map[string]struct {
		probe      PromQL
		wantStatus Status
		wantValue  float64 // NaN: nothing measured
		wantErr    error
	}{
		"availability above the objective": {PromQL{Query: availability, Tolerance: Threshold(OpGE, 0.99), Client: client}, StatusOK, 0.995, nil},
		"availability below the objective": {PromQL{Query: availability, Tolerance: Threshold(OpGE, 0.999), Client: client}, StatusBreached, 0.995, nil},
		"no data breaches by default":      {PromQL{Query: `http_server_requests_seconds_count{status="404"}`, Tolerance: Threshold(OpLT, 1), Client: client}, StatusBreached, math.NaN(), prom.ErrNoData},
		"no data as zero when asked":       {PromQL{Query: `http_server_requests_seconds_count{status="404"}`, Tolerance: Threshold(OpLT, 1), Client: client, NoData: NoDataZero}, StatusOK, 0, nil},
		"no data as an error when asked":   {PromQL{Query: `http_server_requests_seconds_count{status="404"}`, Client: client, NoData: NoDataError}, StatusError, math.NaN(), prom.ErrNoData},
		"NaN is treated as no data":        {PromQL{Query: `sum(http_server_requests_seconds_count) * 0 / 0`, Client: client}, StatusBreached, math.NaN(), prom.ErrNaN},
		"several series are an error":      {PromQL{Query: `http_server_requests_seconds_count`, Client: client}, StatusError, math.NaN(), prom.ErrMultipleSeries},
		"a bad query is an error":          {PromQL{Query: `sum(`, Client: client}, StatusError, math.NaN(), prom.ErrBadQuery},
		"an unreachable Prometheus errs":   {PromQL{Query: "up", Client: unreachable}, StatusError, math.NaN(), prom.ErrUnreachable},
		"no Prometheus at all errs":        {PromQL{Query: "up"}, StatusError, math.NaN(), nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			tc.probe.ProbeName = "availability"
			s := tc.probe.Check(t.Context(), time.Time{})
			if s.Status != tc.wantStatus {
				t.Fatalf("status = %s (%v), want %s", s.Status, s.Err, tc.wantStatus)
			}
			if math.IsNaN(tc.wantValue) != math.IsNaN(s.Value) || (!math.IsNaN(tc.wantValue) && math.Abs(s.Value-tc.wantValue) > 1e-9) {
				t.Errorf("value = %g, want %g", s.Value, tc.wantValue)
			}
			if tc.wantErr != nil && !errors.Is(s.Err, tc.wantErr) {
				t.Errorf("reason = %v, want %v", s.Err, tc.wantErr)
			}
		})
	}
}

// recordedLoki replays an answer of a real Loki (internal/loki/testdata).
func recordedLoki(t *testing.T, file string, code int) *loki.Client {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("..", "loki", "testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	return lokiAnswering(t, body, code)
}

// lokiAnswering answers every instant query with body and code.
func lokiAnswering(t *testing.T, body []byte, code int) *loki.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/loki/api/v1/query" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(code)
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	c, err := loki.New(loki.Config{URL: srv.URL, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestLogQLProbe(t *testing.T) {
	const errorsLogged = `sum(count_over_time({app="petclinic"} |= "failed" [5m]))`
	twoErrors := recordedLoki(t, "query_instant.json", 200) // a vector holding 2
	nothing := lokiAnswering(t, []byte(`{"status":"success","data":{"resultType":"vector","result":[]}}`), 200)
	tests := map[string]struct {
		probe      LogQL
		wantStatus Status
		wantValue  float64
		wantErr    error
	}{
		"no Loki configured is skipped, never ok": {LogQL{Query: errorsLogged, Tolerance: Threshold(OpLT, 5)}, StatusSkipped, math.NaN(), ErrNoLoki},
		"few errors logged holds":                 {LogQL{Query: errorsLogged, Tolerance: Threshold(OpLT, 5), Client: twoErrors}, StatusOK, 2, nil},
		"too many errors logged breaches":         {LogQL{Query: errorsLogged, Tolerance: Threshold(OpLT, 1), Client: twoErrors}, StatusBreached, 2, nil},
		"no line logged counts as zero":           {LogQL{Query: errorsLogged, Tolerance: Threshold(OpLT, 1), Client: nothing}, StatusOK, 0, nil},
		"no line logged breaches when asked":      {LogQL{Query: errorsLogged, Tolerance: Threshold(OpLT, 1), Client: nothing, NoData: NoDataBreach}, StatusBreached, math.NaN(), loki.ErrNoData},
		"an unavailable Loki errs":                {LogQL{Query: errorsLogged, Client: recordedLoki(t, "query_instant.json", 503)}, StatusError, math.NaN(), loki.ErrUnreachable},
		"a log query, not a number, errs":         {LogQL{Query: `{app="petclinic"}`, Client: recordedLoki(t, "query_range.json", 200)}, StatusError, math.NaN(), loki.ErrNotNumber},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			tc.probe.ProbeName = "errors-logged"
			s := tc.probe.Check(t.Context(), time.Now())
			if s.Status != tc.wantStatus || s.OK != (tc.wantStatus == StatusOK) {
				t.Fatalf("status = %s ok=%v (%v), want %s", s.Status, s.OK, s.Err, tc.wantStatus)
			}
			if math.IsNaN(tc.wantValue) != math.IsNaN(s.Value) || (!math.IsNaN(tc.wantValue) && s.Value != tc.wantValue) {
				t.Errorf("value = %g, want %g", s.Value, tc.wantValue)
			}
			if tc.wantErr != nil && !errors.Is(s.Err, tc.wantErr) {
				t.Errorf("reason = %v, want %v", s.Err, tc.wantErr)
			}
		})
	}
}
