package prom

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/gamedayhq/gameday/harness/internal/query"
)

// A Sample is one labelled value of an instant vector.
type Sample struct {
	Labels map[string]string
	Value  float64
}

// QueryVector evaluates q at `at` (the zero time: now) and returns every
// sample of the instant vector (a scalar is one sample without labels),
// sorted by labels. An empty vector is no error: it returns no sample.
// NaN samples are dropped.
func (c *Client) QueryVector(ctx context.Context, q string, at time.Time) ([]Sample, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	if at.IsZero() {
		at = time.Now()
	}
	v, _, _, err := c.api.Query(ctx, q, at, v1.WithTimeout(c.timeout))
	if err != nil {
		return nil, c.wrap(ctx, fmt.Sprintf("query %q", q), err)
	}
	switch v := v.(type) {
	case *model.Scalar:
		if math.IsNaN(float64(v.Value)) {
			return nil, nil
		}
		return []Sample{{Labels: map[string]string{}, Value: float64(v.Value)}}, nil
	case model.Vector:
		slices.SortFunc(v, func(a, b *model.Sample) int { return strings.Compare(a.Metric.String(), b.Metric.String()) })
		out := make([]Sample, 0, len(v))
		for _, s := range v {
			if math.IsNaN(float64(s.Value)) {
				continue
			}
			labels := make(map[string]string, len(s.Metric))
			for k, lv := range s.Metric {
				labels[string(k)] = string(lv)
			}
			out = append(out, Sample{Labels: labels, Value: float64(s.Value)})
		}
		return out, nil
	default:
		return nil, fmt.Errorf("prom: query %q: %w: got a %s", q, query.ErrNotNumber, v.Type())
	}
}
