package app

import (
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync"
	"time"
)

// bucket is a token bucket: rate tokens a second, at most burst banked.
type bucket struct {
	mu          sync.Mutex
	rate, burst float64
	tokens      float64
	last        time.Time
	now         func() time.Time
}

// take takes one token if there is one.
func (b *bucket) take() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	b.tokens = math.Min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// rateLimit lets the UI and the API serve at most rate requests a second
// (a token bucket of burst tokens, default half a second of the rate) and
// answers the excess 429 Too Many Requests with Retry-After: 1 at once,
// as a Resilience4j RateLimiter with timeoutDuration 0 in front of the
// Spring controllers does. The Actuator endpoints, /livez and /readyz are
// never limited: a replica at its limit is busy, not unhealthy. rate 0 is
// no limit. It gives a replica a known capacity, which gameday's capacity
// search is tested against.
func rateLimit(rate float64, burst int, now func() time.Time, next http.Handler) http.Handler {
	if rate <= 0 {
		return next
	}
	b := &bucket{rate: rate, burst: float64(burst), now: now, last: now()}
	if burst <= 0 {
		b.burst = math.Max(1, math.Floor(rate/2))
	}
	b.tokens = b.burst
	msg := fmt.Sprintf("too many requests: this replica serves at most %g per second\n", rate)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if p == "/actuator" || strings.HasPrefix(p, "/actuator/") || p == "/livez" || p == "/readyz" || b.take() {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Retry-After", "1")
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(msg))
	})
}
