package capacity

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/prom"
)

// DefaultPeakRange is the span the production peak is read over.
const DefaultPeakRange = "7d"

// DefaultPeakQuery is the production peak: the highest request rate of
// PetClinic's replicas (Micrometer's request counter, the Actuator's own
// requests left out) over 5-minute windows, every 5 minutes of the range
// (%s). The same query reads the Java PetClinic.
const DefaultPeakQuery = `max_over_time(sum(rate(http_server_requests_seconds_count{job="petclinic", uri!~"/actuator.*"}[5m]))[%s:5m])`

// PromPeak reads the production peak from the Prometheus at url: query
// (a %s in it is the range) evaluated at now() (nil: time.Now). No data, or a Prometheus that
// cannot answer, is an error naming what to do: the search is not worth
// its minutes when it cannot answer the question.
func PromPeak(url, query, rng string, now func() time.Time) func(ctx context.Context) (*Peak, error) {
	if now == nil {
		now = time.Now
	}
	return func(ctx context.Context) (*Peak, error) {
		if strings.Contains(query, "%s") {
			query = fmt.Sprintf(query, rng)
		}
		c, err := prom.New(url, 30*time.Second)
		if err != nil {
			return nil, exitcode.Invalidf("--peak-prometheus-url: %w", err)
		}
		v, err := c.Query(ctx, query, now())
		if err != nil {
			return nil, exitcode.Infraf("production peak: %s on %s: %w (or give it with --peak)", query, url, err)
		}
		return &Peak{Rate: v, Range: rng, Source: fmt.Sprintf("%s on %s", query, url)}, nil
	}
}

// GivenPeak is a peak given on the command line.
func GivenPeak(r float64) func(context.Context) (*Peak, error) {
	return func(context.Context) (*Peak, error) {
		return &Peak{Rate: r, Source: "--peak"}, nil
	}
}
