package probe

import (
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/prom"
	"github.com/gamedayhq/gameday/harness/internal/prom/promtest"
	"github.com/gamedayhq/gameday/harness/internal/query"
)

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
		"availability above the objective": {PromQL{Query: availability, Tolerance: ge(0.99), Client: client}, StatusOK, 0.995, nil},
		"availability below the objective": {PromQL{Query: availability, Tolerance: ge(0.999), Client: client}, StatusBreached, 0.995, nil},
		"no data breaches by default":      {PromQL{Query: `http_server_requests_seconds_count{status="404"}`, Tolerance: lt(1), Client: client}, StatusBreached, math.NaN(), query.ErrNoData},
		"no data as zero when asked":       {PromQL{Query: `http_server_requests_seconds_count{status="404"}`, Tolerance: lt(1), Client: client, NoData: NoDataZero}, StatusOK, 0, nil},
		"no data as an error when asked":   {PromQL{Query: `http_server_requests_seconds_count{status="404"}`, Client: client, NoData: NoDataError}, StatusError, math.NaN(), query.ErrNoData},
		"NaN is treated as no data":        {PromQL{Query: `sum(http_server_requests_seconds_count) * 0 / 0`, Client: client}, StatusBreached, math.NaN(), query.ErrNaN},
		"several series are an error":      {PromQL{Query: `http_server_requests_seconds_count`, Client: client}, StatusError, math.NaN(), query.ErrMultipleSeries},
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
