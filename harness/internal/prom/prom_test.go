package prom

import (
	"context"
	"errors"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/prom/promtest"
	"github.com/gamedayhq/gameday/harness/internal/query"
	"github.com/prometheus/common/model"
)

// metrics is what the scraped target exposes.
const metrics = `# TYPE gameday_probe_value gauge
gameday_probe_value 42
# TYPE gameday_probe_series gauge
gameday_probe_series{zone="a"} 1
gameday_probe_series{zone="b"} 2
# TYPE gameday_probe_zero gauge
gameday_probe_zero 0
`

func TestAgainstARealPrometheus(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		w.Write([]byte(metrics))
	}))
	defer target.Close()
	srv := promtest.Start(t, promtest.Config{Targets: []string{strings.TrimPrefix(target.URL, "http://")}})
	srv.WaitFor(t, "gameday_probe_value", 15*time.Second)
	began := time.Now()

	c, err := New(srv.URL, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Ready(t.Context()); err != nil {
		t.Fatalf("Ready: %v", err)
	}

	tests := map[string]struct {
		query   string
		want    float64
		wantErr error
	}{
		"a one-sample vector is its value":           {query: "gameday_probe_value", want: 42},
		"an aggregation over series is one sample":   {query: "sum(gameday_probe_series)", want: 3},
		"a scalar expression is its value":           {query: "scalar(gameday_probe_value) * 2", want: 84},
		"a selector that matches nothing is no data": {query: `gameday_probe_value{zone="nowhere"}`, wantErr: query.ErrNoData},
		"two series are not one number":              {query: "gameday_probe_series", wantErr: query.ErrMultipleSeries},
		"zero by zero is NaN":                        {query: "gameday_probe_zero / gameday_probe_zero", wantErr: query.ErrNaN},
		"a syntax error is a bad query":              {query: "sum(gameday_probe_value", wantErr: ErrBadQuery},
		"a range vector is not a number":             {query: "gameday_probe_value[10s]", wantErr: query.ErrNotNumber},
		"the up metric of the scraped target":        {query: `up{job="gameday-test"}`, want: 1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := c.Query(t.Context(), tc.query, time.Time{})
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Query(%s) error = %v, want %v", tc.query, err, tc.wantErr)
			}
			if tc.wantErr == nil && got != tc.want {
				t.Errorf("Query(%s) = %g, want %g", tc.query, got, tc.want)
			}
			if tc.wantErr != nil && errors.Is(err, ErrUnreachable) {
				t.Errorf("Query(%s) error %v is classed as an infrastructure error", tc.query, err)
			}
		})
	}

	t.Run("a query at a time before any sample is no data", func(t *testing.T) {
		_, err := c.Query(t.Context(), "gameday_probe_value", began.Add(-time.Hour))
		if !errors.Is(err, query.ErrNoData) {
			t.Errorf("error = %v, want query.ErrNoData", err)
		}
	})

	t.Run("a range query returns a point per step and series", func(t *testing.T) {
		end := time.Now() // Prometheus rounds times to the millisecond
		series, err := c.QueryRange(t.Context(), "gameday_probe_series", end.Add(-2*time.Second), end, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if len(series) != 2 || series[0].Labels["zone"] != "a" || series[1].Labels["zone"] != "b" {
			t.Fatalf("series = %+v, want zones a and b in order", series)
		}
		for i, s := range series {
			if len(s.Points) == 0 || len(s.Points) > 3 {
				t.Errorf("series %d: %d points over 2 s at 1 s steps", i, len(s.Points))
			}
			for _, p := range s.Points {
				if p.Value != float64(i+1) || p.At.Before(end.Add(-2*time.Second-time.Millisecond)) || p.At.After(end.Add(time.Millisecond)) {
					t.Errorf("series %d: point %+v out of range [%s, %s] or value", i, p, end.Add(-2*time.Second), end)
				}
			}
		}
		if _, err := c.QueryRange(t.Context(), `nothing_here`, end.Add(-time.Minute), end, time.Second); !errors.Is(err, query.ErrNoData) {
			t.Errorf("empty range query error = %v, want query.ErrNoData", err)
		}
		if _, err := c.QueryRange(t.Context(), `up`, end, end.Add(-time.Minute), time.Second); !errors.Is(err, ErrBadQuery) {
			t.Errorf("reversed range error = %v, want ErrBadQuery", err)
		}
	})

	t.Run("once Prometheus is gone it is unreachable, not no data", func(t *testing.T) {
		srv.Stop()
		deadline := time.Now().Add(5 * time.Second)
		for c.Ready(t.Context()) == nil && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		_, err := c.Query(t.Context(), "gameday_probe_value", time.Time{})
		if !errors.Is(err, ErrUnreachable) || errors.Is(err, query.ErrNoData) {
			t.Errorf("error = %v, want ErrUnreachable", err)
		}
		if err := c.Ready(t.Context()); !errors.Is(err, ErrUnreachable) {
			t.Errorf("Ready error = %v, want ErrUnreachable", err)
		}
	})
}

func TestUnreachablePrometheus(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	unavailable := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
	}))
	defer unavailable.Close()
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(700 * time.Millisecond):
		}
	}))
	defer hanging.Close()

	tests := map[string]struct {
		url     string
		timeout time.Duration
	}{
		"nothing listens on the port":           {closed, time.Second},
		"a proxy answers 503 in front of it":    {unavailable.URL, time.Second},
		"it does not answer within the timeout": {hanging.URL, 200 * time.Millisecond},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c, err := New(tc.url, tc.timeout)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Query(t.Context(), "up", time.Time{}); !errors.Is(err, ErrUnreachable) {
				t.Errorf("Query error = %v, want ErrUnreachable", err)
			}
			if _, err := c.QueryRange(t.Context(), "up", time.Now().Add(-time.Minute), time.Now(), time.Second); !errors.Is(err, ErrUnreachable) {
				t.Errorf("QueryRange error = %v, want ErrUnreachable", err)
			}
			if err := c.Ready(t.Context()); !errors.Is(err, ErrUnreachable) {
				t.Errorf("Ready error = %v, want ErrUnreachable", err)
			}
		})
	}
}

func TestCallerCancellationIsNotAnInfrastructureError(t *testing.T) {
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(700 * time.Millisecond):
		}
	}))
	defer hanging.Close()
	c, err := New(hanging.URL, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err = c.Query(ctx, "up", time.Time{})
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrUnreachable) {
		t.Errorf("error = %v, want context.Canceled and not ErrUnreachable", err)
	}
}

func TestNumberOfAnInstantResult(t *testing.T) {
	sample := func(v float64, labels ...string) *model.Sample {
		m := model.Metric{}
		for i := 0; i+1 < len(labels); i += 2 {
			m[model.LabelName(labels[i])] = model.LabelValue(labels[i+1])
		}
		return &model.Sample{Metric: m, Value: model.SampleValue(v)}
	}
	tests := map[string]struct {
		value   model.Value
		want    float64
		wantErr error
	}{
		"a scalar":                    {value: &model.Scalar{Value: 0.995}, want: 0.995},
		"one sample":                  {value: model.Vector{sample(7, "zone", "a")}, want: 7},
		"positive infinity is kept":   {value: model.Vector{sample(math.Inf(1))}, want: math.Inf(1)},
		"an empty vector":             {value: model.Vector{}, wantErr: query.ErrNoData},
		"two samples":                 {value: model.Vector{sample(1, "zone", "a"), sample(2, "zone", "b")}, wantErr: query.ErrMultipleSeries},
		"a NaN scalar":                {value: &model.Scalar{Value: model.SampleValue(math.NaN())}, wantErr: query.ErrNaN},
		"a NaN sample":                {value: model.Vector{sample(math.NaN())}, wantErr: query.ErrNaN},
		"a string":                    {value: &model.String{Value: "x"}, wantErr: query.ErrNotNumber},
		"a matrix from a range query": {value: model.Matrix{}, wantErr: query.ErrNotNumber},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := number(tc.value)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error = %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr == nil && got != tc.want {
				t.Errorf("got %g, want %g", got, tc.want)
			}
		})
	}
}

func TestNewRejectsAddressesThatAreNotURLs(t *testing.T) {
	for _, addr := range []string{"", "127.0.0.1:9090", "ftp://x"} {
		if _, err := New(addr, 0); err == nil {
			t.Errorf("New(%q) accepted", addr)
		}
	}
}
