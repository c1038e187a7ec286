package probe

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/prom"
	"github.com/gamedayhq/gameday/harness/internal/query"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// Querier is what PromQL probes need of a Prometheus (internal/prom.Client):
// an instant query returning one number, and readiness, which the runner
// checks before a run with PromQL probes starts (no fault is injected
// against a Prometheus that cannot judge it).
type Querier interface {
	Query(ctx context.Context, q string, at time.Time) (float64, error)
	Ready(ctx context.Context) error
}

var _ Querier = (*prom.Client)(nil)

// PromQL evaluates a query that returns one number and judges it.
type PromQL struct {
	ProbeName string
	Query     string
	Tolerance *spec.Tolerance
	Client    Querier
	NoData    NoData // default NoDataBreach
}

var _ Probe = (*PromQL)(nil)

// promqlFromSpec is the runtime probe of a promql probe: its query and
// tolerance, sent to the clients' Prometheus.
func promqlFromSpec(p spec.Probe, c Clients) (Probe, error) {
	return &PromQL{ProbeName: p.Name, Query: p.PromQL.Query, Tolerance: p.Tolerance, Client: c.Prometheus}, nil
}

// Name is the probe's name.
func (p *PromQL) Name() string { return p.ProbeName }

// Check evaluates the query at `at`.
func (p *PromQL) Check(ctx context.Context, at time.Time) Sample {
	if p.Client == nil {
		return failed(p.ProbeName, at, StatusError, fmt.Errorf("%s: no prometheus configured", p.ProbeName))
	}
	v, err := p.Client.Query(ctx, p.Query, at)
	switch {
	case err == nil:
		return Judge(p.ProbeName, at, p.Tolerance, v)
	case errors.Is(err, query.ErrNoData), errors.Is(err, query.ErrNaN):
		return onNoData(cmp.Or(p.NoData, NoDataBreach), p.ProbeName, at, p.Tolerance, fmt.Errorf("%s: %w", p.ProbeName, err))
	default: // unreachable, bad query, several series: the measurement failed
		return failed(p.ProbeName, at, StatusError, fmt.Errorf("%s: %w", p.ProbeName, err))
	}
}
