package slo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/loki"
	"github.com/gamedayhq/gameday/harness/internal/prom"
	"github.com/gamedayhq/gameday/harness/internal/query"
)

// Where a Status's figures come from.
const (
	FromRecorded = "recorded" // the generated recording rules
	FromRaw      = "raw"      // the indicator's queries (rules not loaded)
	FromLoki     = "loki"     // LogQL through Loki
)

// Alert states of an SLO, as its burn-rate alerts would say.
const (
	StateOK     = "ok"
	StateTicket = SeverityTicket
	StatePage   = SeverityPage
	StateNoData = "no-data"
)

// A Status is an SLO's error budget at one instant.
type Status struct {
	SLO    *SLO      `json:"slo"`
	At     time.Time `json:"at"`
	Source string    `json:"source"`
	// Windows are the error ratio and burn rate over each alert window.
	Windows []WindowStatus `json:"windows"`
	// Period is over the SLO's window. Remaining is the share of the error
	// budget left: 1 - error ratio / (1 - objective); below 0 when overspent.
	Period WindowStatus `json:"period"`
	// Remaining is nil when there is no data.
	Remaining *float64 `json:"remaining"`
	// DataSpan is how much of the window holds data: on a fresh Prometheus,
	// the window's figures are those of the data present.
	DataSpan time.Duration `json:"dataSpanSeconds"`
	// Exhaustion is when the budget runs out at the 1h burn rate (nil: not
	// burning, or no data); 0 when it is already spent.
	Exhaustion *time.Duration `json:"exhaustionSeconds"`
	State      string         `json:"state"`
	// Firing are the lines of the burn-rate table whose two windows are
	// above their threshold.
	Firing []BurnAlert `json:"firing,omitempty"`
	// Routes burning most over the last hour, worst first.
	Routes []Route `json:"routes,omitempty"`
	// Error says why figures are missing (Prometheus or Loki unreachable).
	Error string `json:"error,omitempty"`
	// History is the budget left over time (ReadHistory), oldest first.
	History []HistoryPoint `json:"history,omitempty"`
}

// MarshalJSON writes the data span and the exhaustion in seconds, as
// their names say (a time.Duration would be nanoseconds).
func (st *Status) MarshalJSON() ([]byte, error) {
	type plain Status
	var exhaustion *float64
	if st.Exhaustion != nil {
		e := st.Exhaustion.Seconds()
		exhaustion = &e
	}
	return json.Marshal(struct {
		*plain
		DataSpan   float64  `json:"dataSpanSeconds"`
		Exhaustion *float64 `json:"exhaustionSeconds"`
	}{(*plain)(st), st.DataSpan.Seconds(), exhaustion})
}

// A HistoryPoint is the share of the budget left at a time.
type HistoryPoint struct {
	At        time.Time `json:"at"`
	Remaining float64   `json:"remaining"`
}

// ReadHistory reads the budget left of s from start to end, every step
// (the steps end at end),
// from the recorded series slo:period_error_budget_remaining:ratio (its
// rules loaded in Prometheus; a LogQL SLO has none: nil). No data is not
// an error: nil.
func ReadHistory(ctx context.Context, c Clients, s *SLO, start, end time.Time, step time.Duration) ([]HistoryPoint, error) {
	if s.Source != SourcePrometheus || c.Prom == nil {
		return nil, nil
	}
	// The steps end at end (the last point is the budget left now).
	start = end.Add(-end.Sub(start).Truncate(step))
	ss, err := c.Prom.QueryRange(ctx, RecordRemaining+s.Selector(), start, end, step)
	switch {
	case errors.Is(err, query.ErrNoData):
		return nil, nil
	case err != nil:
		return nil, err
	case len(ss) != 1:
		return nil, fmt.Errorf("%s: %d series of %s, want one", s.ID(), len(ss), RecordRemaining)
	}
	out := make([]HistoryPoint, 0, len(ss[0].Points))
	for _, p := range ss[0].Points {
		if !math.IsNaN(p.Value) && !math.IsInf(p.Value, 0) {
			out = append(out, HistoryPoint{At: p.At.UTC(), Remaining: p.Value})
		}
	}
	return out, nil
}

// A WindowStatus is the error ratio over one window.
type WindowStatus struct {
	Window     string   `json:"window"`
	ErrorRatio *float64 `json:"errorRatio"` // nil: no data (no traffic)
	BurnRate   *float64 `json:"burnRate"`
}

// A Route is one route's share of the bad events.
type Route struct {
	Route      string  `json:"route"`
	BadPerSec  float64 `json:"badPerSecond"`
	AllPerSec  float64 `json:"allPerSecond"`
	ErrorRatio float64 `json:"errorRatio"`
	// Share of all the SLO's bad events.
	Share float64 `json:"share"`
}

// Clients are what a Status is read from; either may be nil.
type Clients struct {
	Prom *prom.Client
	Loki *loki.Client
}

// NewClients connects to the Prometheus and the Loki at the URLs given
// (an empty URL: none). The runner's probes use the same clients.
func NewClients(promURL, lokiURL string) (Clients, error) {
	var c Clients
	if promURL != "" {
		p, err := prom.New(promURL, 0)
		if err != nil {
			return Clients{}, err
		}
		c.Prom = p
	}
	if lokiURL != "" {
		l, err := loki.New(loki.Config{URL: lokiURL})
		if err != nil {
			return Clients{}, err
		}
		c.Loki = l
	}
	return c, nil
}

// errNoLoki: a LogQL SLO without a Loki to ask.
var errNoLoki = errors.New("no Loki configured (--loki-url): a LogQL indicator cannot be evaluated")

// ReadStatus reads s's status at `at` (zero: now). Figures come from the
// recorded series when the rules are loaded, else from the indicator's
// queries. An unreachable source is an error (Status.Error is set too);
// missing data is not: its figures are nil.
func ReadStatus(ctx context.Context, c Clients, s *SLO, at time.Time) (*Status, error) {
	if at.IsZero() {
		at = time.Now()
	}
	st := &Status{SLO: s, At: at.UTC(), State: StateNoData}
	var q func(string) (float64, error)
	switch {
	case s.Source == SourceLoki && c.Loki == nil:
		st.Error = errNoLoki.Error()
		return st, errNoLoki
	case s.Threshold != nil:
		st.Source = FromLoki
		if err := readSliceStatus(ctx, c.Loki, st, at); err != nil {
			st.Error = err.Error()
			return st, err
		}
		st.judge()
		return st, nil
	case s.Source == SourceLoki:
		st.Source = FromLoki
		q = func(x string) (float64, error) {
			r, err := c.Loki.Query(ctx, x, at)
			if err != nil {
				return 0, err
			}
			return r.Number()
		}
	case c.Prom == nil:
		st.Error = "no Prometheus"
		return st, errors.New("no Prometheus configured")
	default:
		q = func(x string) (float64, error) { return c.Prom.Query(ctx, x, at) }
		st.Source = FromRaw
		if _, err := q(RecordErrorRatio + "5m" + s.Selector()); err == nil || errors.Is(err, query.ErrNaN) {
			st.Source = FromRecorded
		} else if unreachable(err) {
			st.Error = err.Error()
			return st, err
		}
	}
	ratio := func(w string) (*float64, error) {
		expr := s.ErrorRatio(w)
		if st.Source == FromRecorded {
			expr = RecordErrorRatio + w + s.Selector()
		}
		v, err := q(expr)
		switch {
		case err == nil && !math.IsNaN(v) && !math.IsInf(v, 0):
			return &v, nil
		case err == nil || !unreachable(err):
			return nil, nil // no data, no traffic (0/0)
		default:
			return nil, err
		}
	}
	budget := s.Budget()
	burn := func(r *float64) *float64 {
		if r == nil {
			return nil
		}
		b := *r / budget
		return &b
	}
	for _, w := range Windows {
		r, err := ratio(w)
		if err != nil {
			st.Error = err.Error()
			return st, err
		}
		st.Windows = append(st.Windows, WindowStatus{Window: w, ErrorRatio: r, BurnRate: burn(r)})
	}
	r, err := ratio(s.Window.Text)
	if err != nil {
		st.Error = err.Error()
		return st, err
	}
	st.Period = WindowStatus{Window: s.Window.Text, ErrorRatio: r, BurnRate: burn(r)}
	if r != nil {
		rem := 1 - *r/budget
		st.Remaining = &rem
	}
	if s.Source == SourceLoki {
		st.DataSpan = lokiDataSpan(ctx, c.Loki, s.Total, s.Window.D, at)
	}
	if s.Source == SourcePrometheus {
		// How far back the data goes: at a 10m resolution over the window,
		// else (data younger than that) 10s over a day, 1s over an hour.
		// A coarse step is trusted only over several of its steps.
		for _, r := range []struct {
			over string
			step time.Duration
		}{{s.Window.Text, 10 * time.Minute}, {"1d", 10 * time.Second}, {"1h", time.Second}} {
			v, err := q(fmt.Sprintf("time() - min_over_time(timestamp(%s)[%s:%s])", s.Total, r.over, promDuration(r.step)))
			if d := time.Duration(v * float64(time.Second)).Round(time.Second); err == nil && (d >= 6*r.step || r.step == time.Second) {
				st.DataSpan = d
				break
			}
		}
		st.Routes = routes(ctx, c.Prom, s, at)
	}
	st.judge()
	return st, nil
}

// lokiDataSpan is how far back the lines of log query q go within the
// window before at: the age of the oldest line, from one log query
// (query_range, oldest first, one line). A Loki keeping less than the
// window (retention, max_query_lookback) has a shorter span, as a fresh
// Prometheus has. 0 when there is no line or Loki cannot say.
func lokiDataSpan(ctx context.Context, c *loki.Client, q string, window time.Duration, at time.Time) time.Duration {
	r, err := c.QueryRange(ctx, q, at.Add(-window), at, 0, loki.Forward(), loki.Limit(1))
	if err != nil {
		return 0
	}
	var oldest time.Time
	for _, s := range r.Streams {
		for _, e := range s.Entries {
			if oldest.IsZero() || e.At.Before(oldest) {
				oldest = e.At
			}
		}
	}
	if oldest.IsZero() || !oldest.Before(at) {
		return 0
	}
	return min(at.Sub(oldest), window).Round(time.Second)
}

// unreachable tells an infrastructure error from an answer without data.
func unreachable(err error) bool {
	return errors.Is(err, query.ErrUnreachable) || errors.Is(err, query.ErrUnauthorized) || errors.Is(err, query.ErrBadQuery) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// judge sets the state, the firing lines and the exhaustion time (pure).
func (st *Status) judge() {
	by := map[string]*float64{}
	for _, w := range st.Windows {
		by[w.Window] = w.ErrorRatio
	}
	if by["5m"] == nil && st.Remaining == nil {
		st.State = StateNoData
		return
	}
	st.State = StateOK
	b := st.SLO.Budget()
	for _, a := range BurnAlerts {
		l, s := by[a.Long], by[a.Short]
		if l != nil && s != nil && *l > a.Factor*b && *s > a.Factor*b {
			st.Firing = append(st.Firing, a)
			if st.State == StateOK || (st.State == StateTicket && a.Severity == StatePage) {
				st.State = a.Severity
			}
		}
	}
	st.Exhaustion = Exhaustion(st.Remaining, by["1h"], b, st.SLO.Window.D)
}

// Exhaustion is how long the budget lasts at the error ratio r: a burn
// rate of 1 spends the whole budget in exactly the window. nil when it is
// not burning (or unknown), 0 when it is already spent.
func Exhaustion(remaining, r *float64, budget float64, window time.Duration) *time.Duration {
	if remaining == nil || r == nil {
		return nil
	}
	if *remaining <= 0 {
		d := time.Duration(0)
		return &d
	}
	burn := *r / budget
	if burn <= 0 {
		return nil
	}
	d := time.Duration(*remaining / burn * float64(window)).Round(time.Minute)
	return &d
}

// routes are the routes with bad events over the last hour, worst first
// (at most 5).
func routes(ctx context.Context, c *prom.Client, s *SLO, at time.Time) []Route {
	bad, total := s.RouteEvents("1h")
	get := func(q string) map[string]float64 {
		series, err := c.QueryRange(ctx, q, at.Add(-time.Minute), at, time.Minute)
		if err != nil {
			return nil
		}
		out := map[string]float64{}
		for _, x := range series {
			if n := len(x.Points); n > 0 && !math.IsNaN(x.Points[n-1].Value) {
				out[x.Labels[s.RouteLabel]] = x.Points[n-1].Value
			}
		}
		return out
	}
	b, t := get(bad), get(total)
	sum := 0.0
	for _, v := range b {
		sum += v
	}
	var out []Route
	for r, v := range b {
		if v <= 0 {
			continue
		}
		rt := Route{Route: r, BadPerSec: v, AllPerSec: t[r], Share: v / sum}
		if t[r] > 0 {
			rt.ErrorRatio = v / t[r]
		}
		out = append(out, rt)
	}
	slices.SortFunc(out, func(a, b Route) int {
		if a.BadPerSec != b.BadPerSec {
			if a.BadPerSec > b.BadPerSec {
				return -1
			}
			return 1
		}
		if a.Route < b.Route {
			return -1
		}
		return 1
	})
	if len(out) > 5 {
		out = out[:5]
	}
	return out
}

// promDuration writes d as a PromQL duration (10m, 10s).
func promDuration(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return fmt.Sprintf("%ds", d/time.Second)
}
