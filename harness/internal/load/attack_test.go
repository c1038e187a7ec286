package load

import (
	"context"
	"errors"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// countingServer answers 200 on 127.0.0.1 and counts requests per journey
// and run, as PetClinic's access log would see them.
type countingServer struct {
	*httptest.Server
	mu       sync.Mutex
	journeys map[string]int
	runs     map[string]int
}

func newCountingServer(t *testing.T, handler http.HandlerFunc) *countingServer {
	t.Helper()
	s := &countingServer{journeys: map[string]int{}, runs: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.journeys[r.Header.Get(HeaderJourney)]++
		s.runs[r.Header.Get(HeaderRun)]++
		s.mu.Unlock()
		if handler != nil {
			handler(w, r)
			return
		}
		w.Write([]byte("hello"))
	}))
	t.Cleanup(s.Close)
	return s
}

// seconds returns the first n seconds of tl. A hit the scheduler delayed
// past the end of the profile may open one more second: it must stay a
// straggler (≤ 2 % of the requests).
func seconds(t *testing.T, tl *Timeline, n int) []Second {
	t.Helper()
	secs := tl.Seconds()
	if len(secs) < n || len(secs) > n+1 {
		t.Fatalf("%d seconds, want %d", len(secs), n)
	}
	if len(secs) == n+1 && float64(secs[n].Requests) > 0.02*float64(tl.Total().Requests) {
		t.Errorf("%d requests after the end of the profile", secs[n].Requests)
	}
	return secs[:n]
}

func mustAttack(t *testing.T, ctx context.Context, plan Plan) *Timeline {
	t.Helper()
	tl, err := Attack(ctx, plan)
	if err != nil {
		t.Fatal(err)
	}
	return tl
}

func TestAttackHoldsTheRequestedRate(t *testing.T) {
	srv := newCountingServer(t, nil)
	p, err := Constant(200, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	tl := mustAttack(t, t.Context(), Plan{Target: srv.URL, Profile: p, RunID: "rate-test", Seed: 1})

	total := tl.Total()
	if total.Requests != 400 || total.Successes != 400 {
		t.Errorf("total = %d requests, %d successes, want 400 and 400", total.Requests, total.Successes)
	}
	secs := seconds(t, tl, 2)
	for i, s := range secs {
		if math.Abs(s.Rate()-200) > 10 || s.Target != 200 { // ± 2 requests when idle; slack for a busy machine
			t.Errorf("second %d: achieved %g/s for a target of %g, want 200 ± 5%%", i, s.Rate(), s.Target)
		}
		if s.P99 <= 0 || s.P99 > s.Max {
			t.Errorf("second %d: p99 %s, max %s", i, s.P99, s.Max)
		}
	}
	// every journey the timeline counted reached the server, under this run
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.runs["rate-test"] != 400 {
		t.Errorf("server saw %v requests per run, want 400 of rate-test", srv.runs)
	}
	for _, j := range tl.Journeys() {
		if srv.journeys[j.Name] != int(j.Requests) {
			t.Errorf("journey %q: timeline counted %d, server saw %d", j.Name, j.Requests, srv.journeys[j.Name])
		}
	}
	if len(tl.Journeys()) != len(DefaultMix()) {
		t.Errorf("%d journeys in the timeline, want the %d of the default mix", len(tl.Journeys()), len(DefaultMix()))
	}
}

func TestAttackFollowsTheProfileShape(t *testing.T) {
	srv := newCountingServer(t, nil)
	must := mustProfile(t)
	tests := map[string]struct {
		profile Profile
		want    []float64
	}{
		"steps with a pause": {
			profile: must(Steps(Step{Rate: 60, Duration: time.Second}, Step{Rate: 0, Duration: time.Second}, Step{Rate: 180, Duration: time.Second})),
			want:    []float64{60, 0, 180},
		},
		"a ramp from zero": {
			profile: must(Ramp(0, 200, 2*time.Second)),
			want:    []float64{50, 150},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			tl := mustAttack(t, t.Context(), Plan{Target: srv.URL, Profile: tc.profile, Mix: []Weighted{{"home", 1}}})
			secs := seconds(t, tl, len(tc.want))
			for i, want := range tc.want {
				if got := secs[i].Rate(); math.Abs(got-want) > 0.05*want+2 {
					t.Errorf("second %d: %g requests, want %g ± 5%%", i, got, want)
				}
			}
		})
	}
}

func TestAttackClassifiesErrors(t *testing.T) {
	srv := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/vets.html", "/vets": // journey "vets": the service is down
			w.WriteHeader(http.StatusServiceUnavailable)
		case "/petclinic/api/vets": // journey "api-vets": slower than the timeout
			select {
			case <-time.After(2 * time.Second):
			case <-r.Context().Done():
			}
		case "/": // journey "home": the connection drops
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		default:
			w.WriteHeader(http.StatusFound)
		}
	})
	p, err := Constant(100, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	mix := []Weighted{{"vets", 1}, {"api-vets", 1}, {"home", 1}, {"owner-details", 1}}
	tl := mustAttack(t, t.Context(), Plan{Target: srv.URL, Profile: p, Mix: mix, Timeout: 300 * time.Millisecond})

	want := map[string]ErrorClass{"vets": "http_503", "api-vets": ClassTimeout, "home": ClassConnection, "owner-details": ""}
	for _, j := range tl.Journeys() {
		class, ok := want[j.Name]
		if !ok {
			t.Errorf("unexpected journey %q", j.Name)
			continue
		}
		if class == "" {
			if j.Successes != j.Requests || j.Requests == 0 {
				t.Errorf("journey %s: %d/%d successes, want all (302 is a success)", j.Name, j.Successes, j.Requests)
			}
			continue
		}
		if len(j.Errors) != 1 || j.Errors[0].Class != class || j.Errors[0].Count != j.Requests || j.Requests == 0 {
			t.Errorf("journey %s: %d requests with errors %v, want all %s", j.Name, j.Requests, j.Errors, class)
		}
	}
}

func TestAttackOnAClosedPortCountsConnectionErrors(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	p, err := Constant(50, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	tl := mustAttack(t, t.Context(), Plan{Target: "http://" + addr, Profile: p})
	total := tl.Total()
	if total.Requests != 50 || len(total.Errors) != 1 || total.Errors[0] != (ErrorCount{ClassConnection, 50}) {
		t.Errorf("total = %+v, want 50 connection errors", total)
	}
	if r, n := tl.ErrorRatio(time.Minute); r != 1 || n != 50 {
		t.Errorf("ErrorRatio = %g over %d, want 1 over 50", r, n)
	}
}

func TestAttackAbortsPromptlyAndKeepsTheMeasurements(t *testing.T) {
	srv := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/petclinic/api/vets" { // half the requests hang
			select {
			case <-time.After(time.Minute):
			case <-r.Context().Done():
			}
		}
	})
	p, err := Constant(100, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 1500*time.Millisecond)
	defer cancel()
	began := time.Now()
	tl, err := Attack(ctx, Plan{Target: srv.URL, Profile: p, Mix: []Weighted{{"api-vets", 1}, {"api-owner", 1}}, Timeout: 30 * time.Second})
	took := time.Since(began)
	if !errors.Is(err, ErrAborted) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error = %v, want ErrAborted caused by the deadline", err)
	}
	if took > 1500*time.Millisecond+abortGrace+time.Second {
		t.Errorf("Attack returned %s after the start, want within %s of the abort", took, abortGrace+time.Second)
	}
	total := tl.Total()
	if total.Requests < 50 || total.Successes != total.Requests || total.Canceled < 50 {
		t.Errorf("total = %+v: want the fast half measured as successes and the hung half canceled, not errors", total)
	}
}

func TestStartRejectsAnEmptyPlan(t *testing.T) {
	if _, err := Start(t.Context(), Plan{Target: "http://127.0.0.1:9"}); err == nil {
		t.Error("a plan without profile was accepted")
	}
	p, _ := Constant(1, time.Second)
	if _, err := Start(t.Context(), Plan{Target: "http://127.0.0.1:9", Profile: p, Mix: []Weighted{{"nope", 1}}}); !errors.Is(err, ErrInvalidMix) {
		t.Errorf("error = %v, want ErrInvalidMix", err)
	}
}

// BenchmarkAttack2000 attacks a local hello server at 2000 req/s for 3 s
// and reports the achieved/requested ratio.
func BenchmarkAttack2000(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hello")) }))
	defer srv.Close()
	const rate, secs = 2000, 3
	p, err := Constant(rate, secs*time.Second)
	if err != nil {
		b.Fatal(err)
	}
	var achieved, success float64
	var p99 time.Duration
	for b.Loop() {
		tl, err := Attack(b.Context(), Plan{Target: srv.URL, Profile: p})
		if err != nil {
			b.Fatal(err)
		}
		total := tl.Total()
		achieved = float64(total.Requests) / (rate * secs)
		success = total.SuccessRatio()
		p99 = total.P99
		// the worst second, against its own target
		for _, s := range tl.Seconds() {
			achieved = min(achieved, s.Rate()/s.Target)
		}
	}
	b.ReportMetric(achieved, "achieved/requested")
	b.ReportMetric(success, "success-ratio")
	b.ReportMetric(float64(p99.Microseconds()), "p99-µs")
}
