package slo

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/promql/parser/posrange"

	"github.com/gamedayhq/gameday/harness/internal/logql"
)

var promql = sync.OnceValue(func() parser.Parser { return parser.NewParser(parser.Options{}) })

// checkCounterQuery checks a Prometheus query of an indicator: valid
// PromQL returning a vector, over counters (bare selectors, which gameday
// wraps in rate(...[window])), without ranges, subqueries, offsets or @.
// The offset is where in q the error is, or -1.
func checkCounterQuery(q string) (int, error) {
	expr, err := promql().ParseExpr(q)
	if err != nil {
		var perrs parser.ParseErrors
		if errors.As(err, &perrs) && len(perrs) > 0 {
			return int(perrs[0].PositionRange.Start), fmt.Errorf("invalid PromQL: %s", perrs[0].Err)
		}
		return -1, fmt.Errorf("invalid PromQL: %s", err)
	}
	if expr.Type() != parser.ValueTypeVector {
		return -1, fmt.Errorf("must return an instant vector of counters, not a %s", expr.Type())
	}
	var bad error
	off := -1
	n := 0
	parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
		if bad != nil {
			return bad
		}
		switch x := node.(type) {
		case *parser.MatrixSelector, *parser.SubqueryExpr:
			off = int(x.PositionRange().Start)
			bad = fmt.Errorf("write the counter itself, e.g. sum(x_total{...}): gameday applies rate() over each window (5m ... 30d); no range [...] here")
		case *parser.VectorSelector:
			n++
			if x.OriginalOffset != 0 || x.Timestamp != nil || x.StartOrEnd != 0 {
				off = int(x.PositionRange().Start)
				bad = fmt.Errorf("offset and @ are not supported in an indicator")
			}
		}
		return bad
	})
	if bad != nil {
		return off, bad
	}
	if n == 0 {
		return -1, fmt.Errorf("no metric selector: an indicator counts events of a counter, e.g. sum(http_server_requests_seconds_count{...})")
	}
	return -1, nil
}

// rateOver rewrites a counter query: every selector s becomes
// rate(s[w]). The result is PromQL in Prometheus' canonical form.
func rateOver(q, w string) string {
	expr, err := promql().ParseExpr(q)
	if err != nil {
		panic(fmt.Sprintf("slo: rateOver on an unchecked query %q: %v", q, err))
	}
	var sels []posrange.PositionRange
	parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
		if vs, ok := node.(*parser.VectorSelector); ok {
			sels = append(sels, vs.PositionRange())
		}
		return nil
	})
	// Replace from the end so that earlier offsets stay valid.
	out := q
	for i := len(sels) - 1; i >= 0; i-- {
		r := sels[i]
		out = out[:r.Start] + "rate(" + out[r.Start:r.End] + "[" + w + "])" + out[r.End:]
	}
	e, err := promql().ParseExpr(out)
	if err != nil {
		panic(fmt.Sprintf("slo: rewrote %q into invalid PromQL %q: %v", q, out, err))
	}
	return e.String()
}

// byLabel rewrites q so that its result keeps label l: every aggregation
// by (...) gets l, every without (...) loses it; the whole is summed by l.
func byLabel(q, l string) string {
	expr, err := promql().ParseExpr(q)
	if err != nil {
		panic(fmt.Sprintf("slo: byLabel on invalid PromQL %q: %v", q, err))
	}
	parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
		if a, ok := node.(*parser.AggregateExpr); ok {
			switch {
			case a.Without:
				a.Grouping = slices.DeleteFunc(a.Grouping, func(g string) bool { return g == l })
			case !slices.Contains(a.Grouping, l):
				a.Grouping = append(a.Grouping, l)
			}
		}
		return nil
	})
	return fmt.Sprintf("sum by (%s) (%s)", l, expr.String())
}

// checkLogQuery checks a Loki query of a ratio indicator as Loki would
// (package logql): a log query (stream selector and pipeline) whose lines
// gameday counts with count_over_time, without comments (they would hide
// what gameday appends). off is the byte offset of the error in q, -1 when
// it is about the whole query.
func checkLogQuery(q string) (off int, err error) {
	l, err := logql.Parse(q)
	if err != nil {
		var le *logql.Error
		if errors.As(err, &le) {
			return le.Pos, fmt.Errorf("invalid LogQL: %s", le.Msg)
		}
		return -1, fmt.Errorf("invalid LogQL: %s", err)
	}
	if l.Metric {
		return -1, fmt.Errorf("write a log query ({app=\"petclinic\"} |= ...): gameday counts its lines with count_over_time over each window")
	}
	if l.Comments {
		return -1, fmt.Errorf("no comments in an indicator's query: gameday wraps it in count_over_time(... [window])")
	}
	return -1, nil
}

// checkThresholdQuery checks the Loki query of a threshold indicator: a
// metric query with one range aggregation (evaluated once per time slice
// over the slice), without comments.
func checkThresholdQuery(q string) (*logql.Query, int, error) {
	l, err := logql.Parse(q)
	if err != nil {
		var le *logql.Error
		if errors.As(err, &le) {
			return nil, le.Pos, fmt.Errorf("invalid LogQL: %s", le.Msg)
		}
		return nil, -1, fmt.Errorf("invalid LogQL: %s", err)
	}
	switch {
	case !l.Metric:
		return nil, -1, fmt.Errorf("write a metric query giving one value per time slice, e.g. quantile_over_time(0.99, {app=\"petclinic\"} | json | unwrap duration_ms [1m]) by ()")
	case len(l.Ranges) != 1:
		return nil, -1, fmt.Errorf("want one range aggregation (the value of a slice, over the slice), got %d", len(l.Ranges))
	case l.Comments:
		return nil, -1, fmt.Errorf("no comments in an indicator's query")
	}
	return l, -1, nil
}

// countOver is the LogQL that counts the lines of a log query over w.
func countOver(q, w string) string {
	return fmt.Sprintf("(sum(count_over_time(%s [%s])))", strings.TrimSpace(q), w)
}

// ErrorRatio is the query of the error ratio of an Occurrences SLO over
// window w: PromQL or LogQL by the SLO's source. (A Timeslices SLO's ratio
// is counted from its slices: readSlices.)
func (s *SLO) ErrorRatio(w string) string {
	over := rateOver
	if s.Source == SourceLoki {
		over = countOver
	}
	total := over(s.Total, w)
	// A numerator without series (no error yet) is 0, not "no data": it is
	// replaced by 0 × the total, which has the total's labels.
	if s.Bad != "" {
		return fmt.Sprintf("(%s or 0 * %s) / %s", over(s.Bad, w), total, total)
	}
	return fmt.Sprintf("1 - ((%s or 0 * %s) / %s)", over(s.Good, w), total, total)
}

// Events are the queries of the rate of bad events and of all events over
// w (PromQL; per second).
func (s *SLO) Events(w string) (bad, total string) {
	total = rateOver(s.Total, w)
	if s.Bad != "" {
		return fmt.Sprintf("%s or 0 * %s", rateOver(s.Bad, w), total), total
	}
	return fmt.Sprintf("%s - (%s or 0 * %s)", total, rateOver(s.Good, w), total), total
}

// RouteEvents are Events split by the SLO's route label (PromQL only).
func (s *SLO) RouteEvents(w string) (bad, total string) {
	l := s.RouteLabel
	total = byLabel(rateOver(s.Total, w), l)
	if s.Bad != "" {
		return byLabel(rateOver(s.Bad, w), l), total
	}
	return fmt.Sprintf("(%s) - (%s)", total, byLabel(rateOver(s.Good, w), l)), total
}
