package bench

import (
	"context"
	"net/http"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// loadResult is what one attack measured.
type loadResult struct {
	Throughput float64 // successful responses per second
	Requests   uint64
	Success    float64 // ratio of 2xx/3xx responses
	P50, P99   time.Duration
	Errors     []string
}

// constantLoad sends rate requests per second for duration, round-robin over urls.
func constantLoad(ctx context.Context, urls []string, rate, workers int, duration time.Duration) (loadResult, error) {
	return attack(ctx, urls, vegeta.Rate{Freq: rate, Per: time.Second}, workers, duration)
}

func attack(ctx context.Context, urls []string, rate vegeta.Rate, workers int, duration time.Duration) (loadResult, error) {
	targets := make([]vegeta.Target, len(urls))
	for i, u := range urls {
		targets[i] = vegeta.Target{Method: http.MethodGet, URL: u}
	}
	w := uint64(max(workers, 1)) // #nosec G115 -- positive by max
	a := vegeta.NewAttacker(
		vegeta.Workers(w),
		vegeta.MaxWorkers(w),
		vegeta.Connections(workers),
		vegeta.KeepAlive(true),
		vegeta.Timeout(5*time.Second),
		vegeta.MaxBody(0), // drained, not kept: the load tool must stay cheap
	)
	stop := context.AfterFunc(ctx, func() { a.Stop() })
	defer stop()

	var m vegeta.Metrics
	for res := range a.Attack(vegeta.NewStaticTargeter(targets...), rate, duration, "petbench") {
		m.Add(res)
	}
	m.Close()
	if err := ctx.Err(); err != nil {
		return loadResult{}, err
	}
	return loadResult{
		Throughput: m.Throughput,
		Requests:   m.Requests,
		Success:    m.Success,
		P50:        m.Latencies.P50,
		P99:        m.Latencies.P99,
		Errors:     m.Errors,
	}, nil
}
