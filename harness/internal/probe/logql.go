package probe

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/loki"
	"github.com/gamedayhq/gameday/harness/internal/query"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// LogQuerier is what LogQL probes need of a Loki (internal/loki.Client).
type LogQuerier interface {
	Query(ctx context.Context, logql string, at time.Time) (*loki.Result, error)
}

var _ LogQuerier = (*loki.Client)(nil)

// ErrNoLoki is the reason a LogQL probe is skipped.
var ErrNoLoki = errors.New("no loki configured: logql probe skipped")

// LogQL evaluates a metric LogQL query (e.g. sum(count_over_time({app=
// "petclinic"} |= "ERROR" [1m]))) that returns one number. Without a
// Client it is skipped, never ok.
type LogQL struct {
	ProbeName string
	Query     string
	Tolerance *spec.Tolerance
	Client    LogQuerier // nil: no Loki configured
	NoData    NoData     // default NoDataZero
}

var _ Probe = (*LogQL)(nil)

// logqlFromSpec is the runtime probe of a logql probe: its query and
// tolerance, sent to the clients' Loki (none: skipped).
func logqlFromSpec(p spec.Probe, c Clients) (Probe, error) {
	return &LogQL{ProbeName: p.Name, Query: p.LogQL.Query, Tolerance: p.Tolerance, Client: c.Loki}, nil
}

// Name is the probe's name.
func (p *LogQL) Name() string { return p.ProbeName }

// Check evaluates the query at `at`.
func (p *LogQL) Check(ctx context.Context, at time.Time) Sample {
	if p.Client == nil {
		return failed(p.ProbeName, at, StatusSkipped, fmt.Errorf("%s: %w", p.ProbeName, ErrNoLoki))
	}
	r, err := p.Client.Query(ctx, p.Query, at)
	if err != nil {
		return failed(p.ProbeName, at, StatusError, fmt.Errorf("%s: %w", p.ProbeName, err))
	}
	v, err := r.Number()
	switch {
	case err == nil:
		return Judge(p.ProbeName, at, p.Tolerance, v)
	case errors.Is(err, query.ErrNoData), errors.Is(err, query.ErrNaN):
		return onNoData(cmp.Or(p.NoData, NoDataZero), p.ProbeName, at, p.Tolerance, fmt.Errorf("%s: %w", p.ProbeName, err))
	default:
		return failed(p.ProbeName, at, StatusError, fmt.Errorf("%s: %w", p.ProbeName, err))
	}
}
