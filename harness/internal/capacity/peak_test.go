package capacity

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/prom/promtest"
)

// week is a week of PetClinic's Micrometer request counter, a sample a
// minute up to end: 20 req/s, 62 req/s for one hour of the third day, and
// the Actuator's own requests at 100 req/s, which the peak leaves out.
func week(end time.Time) string {
	var b strings.Builder
	b.WriteString("# TYPE http_server_requests_seconds summary\n")
	start := end.Add(-7 * 24 * time.Hour)
	surge := start.Add(50 * time.Hour)
	for _, s := range []struct {
		uri  string
		rate func(t time.Time) float64
	}{
		{"/owners/{ownerId}", func(t time.Time) float64 {
			if !t.Before(surge) && t.Before(surge.Add(time.Hour)) {
				return 62
			}
			return 20
		}},
		{"/actuator/health", func(time.Time) float64 { return 100 }},
	} {
		n := 0.0
		for t := start; !t.After(end); t = t.Add(time.Minute) {
			n += 60 * s.rate(t)
			fmt.Fprintf(&b, "http_server_requests_seconds_count{job=\"petclinic\",uri=%q,outcome=\"SUCCESS\"} %g %d\n", s.uri, n, t.Unix())
		}
	}
	b.WriteString("# EOF\n")
	return b.String()
}

// TestPromPeakReadsTheWeeksHighestRate reads the production peak with the
// default query from a real Prometheus holding a week of the counter.
func TestPromPeakReadsTheWeeksHighestRate(t *testing.T) {
	end := time.Now().UTC().Truncate(time.Hour).Add(-time.Hour)
	srv := promtest.Start(t, promtest.Config{Backfill: week(end)})
	p, err := PromPeak(srv.URL, DefaultPeakQuery, DefaultPeakRange, func() time.Time { return end })(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(p.Rate-62) > 0.5 || p.Range != "7d" || !strings.Contains(p.Source, "[7d:5m]") || !strings.Contains(p.Source, srv.URL) {
		t.Errorf("peak %+v, want 62 req/s over 7d from %s (the Actuator's 100 req/s left out)", p, srv.URL)
	}
	_, err = PromPeak(srv.URL, `max_over_time(sum(rate(nothing_here[5m]))[%s:5m])`, "7d", func() time.Time { return end })(context.Background())
	if exitcode.Of(err) != exitcode.Infra || !strings.Contains(err.Error(), "or give it with --peak") {
		t.Errorf("a query without data: %v (exit %d), want exit 3 saying --peak", err, exitcode.Of(err))
	}
}
