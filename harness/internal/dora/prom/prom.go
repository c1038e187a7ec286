// Package prom reads what the DORA report needs from Prometheus: the
// intervals during which the SLO fast-burn alerts fired (the ALERTS series
// Prometheus writes for every alerting rule) and the error budget each SLO
// burned over a span of time (from the SLO specs, as gameday slo computes
// budgets).
//
// Alertmanager is not read: its API holds the alerts active now, not the
// ones that fired and resolved, which is what a deployment's failure and
// recovery need.
package prom

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/gamedayhq/gameday/harness/internal/dora"
	gdprom "github.com/gamedayhq/gameday/harness/internal/prom"
	"github.com/gamedayhq/gameday/harness/internal/slo"
)

// DefaultAlertMatch selects the fast-burn alerts of the generated SLO rules
// (the 14.4× burn over 1h and 5m, severity page).
const DefaultAlertMatch = `long_window="1h"`

// Gap: samples of one ALERTS series further apart than this are two
// intervals (Prometheus' default lookback delta).
const Gap = 5 * time.Minute

// Source is one Prometheus.
type Source struct {
	URL string
	api v1.API
	q   *gdprom.Client
}

// New returns a source for the Prometheus at url.
func New(url string, timeout time.Duration) (*Source, error) {
	q, err := gdprom.New(url, timeout)
	if err != nil {
		return nil, err
	}
	raw, err := api.NewClient(api.Config{Address: url})
	if err != nil {
		return nil, fmt.Errorf("prom: %w", err)
	}
	return &Source{URL: url, api: v1.NewAPI(raw), q: q}, nil
}

// Selector is the ALERTS selector of service's firing alerts that match
// (label matchers such as `long_window="1h",severity="page"`).
func Selector(service, match string) (string, error) {
	sel := fmt.Sprintf(`ALERTS{alertstate="firing",slo_service=%q`, service)
	if m := strings.TrimSpace(match); m != "" {
		sel += "," + strings.Trim(m, "{}")
	}
	sel += "}"
	if _, err := parser.NewParser(parser.Options{}).ParseMetricSelector(sel); err != nil {
		return "", fmt.Errorf("alert match %q: %v", match, err)
	}
	return sel, nil
}

// Alerts returns the intervals during which sel fired within [from, to],
// oldest first. An interval still firing within Gap of to is unresolved.
func (s *Source) Alerts(ctx context.Context, sel string, from, to time.Time) ([]dora.Alert, error) {
	span := to.Sub(from).Round(time.Second)
	q := fmt.Sprintf("%s[%ds]", sel, int64(span.Seconds()))
	v, _, _, err := s.api.Query(ctx, q, to)
	if err != nil {
		return nil, fmt.Errorf("prometheus %s: %s: %w", s.URL, q, err)
	}
	m, ok := v.(model.Matrix)
	if !ok {
		return nil, fmt.Errorf("prometheus %s: %s: got a %s, want a range vector", s.URL, q, v.Type())
	}
	var out []dora.Alert
	for _, ss := range m {
		labels := map[string]string{}
		for k, v := range ss.Metric {
			if k != model.MetricNameLabel && k != "alertstate" {
				labels[string(k)] = string(v)
			}
		}
		var cur *dora.Alert
		for _, p := range ss.Values {
			t := p.Timestamp.Time().UTC()
			if cur != nil && t.Sub(cur.End) <= Gap {
				cur.End = t
				continue
			}
			if cur != nil {
				out = append(out, *cur)
			}
			cur = &dora.Alert{Name: labels["alertname"], Labels: labels, Start: t, End: t, Resolved: true}
		}
		if cur != nil {
			cur.Resolved = to.Sub(cur.End) > Gap
			out = append(out, *cur)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out, nil
}

// BurnQuery is the PromQL of the fraction of s's window budget burned over
// [to-span, to]: the bad events in the span over the events the window
// allows to fail, (1 - objective) × the window's rate × its length.
func BurnQuery(s *slo.SLO, span time.Duration) string {
	sp := fmt.Sprintf("%ds", int64(span.Round(time.Second).Seconds()))
	win := fmt.Sprintf("%ds", int64(s.Window.D.Seconds()))
	bad, _ := s.Events(sp)
	_, total := s.Events(win)
	return fmt.Sprintf("(sum(%s) * %s) / (%s * sum(%s) * %s)", bad, strings.TrimSuffix(sp, "s"), num(s.Budget()), total, strings.TrimSuffix(win, "s"))
}

func num(f float64) string { return fmt.Sprintf("%g", f) }

// Burned is the error budget each Prometheus SLO of service burned over
// [from, to]. A LogQL SLO, or one without data, carries an error instead.
func (s *Source) Burned(ctx context.Context, slos []*slo.SLO, from, to time.Time) []dora.Burn {
	var out []dora.Burn
	for _, o := range slos {
		b := dora.Burn{SLO: o.ID(), Window: o.Window.String()}
		switch {
		case o.Source != slo.SourcePrometheus:
			b.Error = "a LogQL SLO: its budget per deployment is not read (Loki)"
		case to.Sub(from) < time.Second:
			b.Error = "live for less than a second"
		default:
			v, err := s.q.Query(ctx, BurnQuery(o, to.Sub(from)), to)
			if err != nil {
				b.Error = err.Error()
			} else {
				b.Budget = &v
			}
		}
		out = append(out, b)
	}
	return out
}
