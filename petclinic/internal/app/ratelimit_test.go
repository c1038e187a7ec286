package app

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestRateLimitBucket drives the limiter with a clock the test moves:
// the burst passes at once, then one request per 1/rate.
func TestRateLimitBucket(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	h := rateLimit(10, 0, func() time.Time { return now }, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	code := func(path string) int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec.Code
	}
	for i := range 5 { // burst: half a second of 10/s
		if c := code("/petclinic/api/vets"); c != http.StatusOK {
			t.Fatalf("request %d of the burst: %d", i+1, c)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/owners/1", nil))
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "1" || rec.Body.String() != "too many requests: this replica serves at most 10 per second\n" {
		t.Errorf("past the burst: %d %q %q", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}
	for _, p := range []string{"/actuator/health/readiness", "/actuator/prometheus", "/actuator", "/livez", "/readyz"} {
		if c := code(p); c != http.StatusOK {
			t.Errorf("%s is limited: %d", p, c)
		}
	}
	now = now.Add(100 * time.Millisecond) // one token
	if c := code("/"); c != http.StatusOK {
		t.Errorf("after 1/rate: %d", c)
	}
	if c := code("/"); c != http.StatusTooManyRequests {
		t.Errorf("the token was spent twice: %d", c)
	}
	now = now.Add(time.Hour) // the bucket refills to its burst, no more
	n := 0
	for code("/") == http.StatusOK {
		n++
	}
	if n != 5 {
		t.Errorf("after an hour %d requests passed at once, want the burst of 5", n)
	}
	unlimited := rateLimit(0, 0, time.Now, http.NotFoundHandler())
	for range 100 {
		rec := httptest.NewRecorder()
		unlimited.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		if rec.Code != http.StatusNotFound {
			t.Fatalf("rate 0 limited a request: %d", rec.Code)
		}
	}
}

// TestRateLimitCeiling measures the limiter on a real server: 40
// concurrent clients as fast as they can for 2 s against 50 per second
// with a burst of 10 get at most 50 × elapsed + 10 answers 200 — the
// ceiling the sandbox's capacity test relies on — and the rest 429.
func TestRateLimitCeiling(t *testing.T) {
	srv := httptest.NewServer(rateLimit(50, 10, time.Now, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))
	defer srv.Close()
	var ok, limited atomic.Int64
	start := time.Now()
	deadline := start.Add(2 * time.Second)
	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				resp, err := srv.Client().Get(srv.URL + "/vets.html")
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				switch resp.StatusCode {
				case http.StatusOK:
					ok.Add(1)
				case http.StatusTooManyRequests:
					limited.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	ceiling := 50*elapsed + 10
	t.Logf("%d served (%.1f/s), %d limited in %.2fs; ceiling %.0f", ok.Load(), float64(ok.Load())/elapsed, limited.Load(), elapsed, ceiling)
	if float64(ok.Load()) > ceiling+1 {
		t.Errorf("%d served, more than the ceiling %.0f", ok.Load(), ceiling)
	}
	if limited.Load() == 0 || float64(ok.Load()) < 0.5*50*2 {
		t.Errorf("%d served and %d limited: the clients did not reach the limit", ok.Load(), limited.Load())
	}
}
