package slo

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/loki"
)

// A Timeslices SLO (a threshold indicator over Loki) is read as slices:
// its query, which ranges over one slice, evaluated at the end of every
// slice (a query_range stepping by the slice), each value good or bad by
// the objective's op and value. The error ratio over a window is the share
// of bad slices among the slices measured in it (a slice without a log
// line has no value and does not count); the burn rate, the budget left,
// the alert table and the guard's cap work on that ratio as they do on a
// ratio of events.

// maxSlicesPerQuery keeps a query_range under Loki's limit of points per
// series (max_query_series' sibling: "exceeded maximum resolution of
// 11,000 points per timeseries"); a 30d window of 1m slices takes five.
const maxSlicesPerQuery = 10000

// A slicePoint is the indicator's value over the slice that ends At.
type slicePoint struct {
	At    time.Time
	Value float64
}

// readSlices reads the indicator of s for every slice ending in (from, to]:
// the slices end at to, to-slice, ... (oldest first in the result).
func readSlices(ctx context.Context, c *loki.Client, s *SLO, from, to time.Time) ([]slicePoint, error) {
	step := s.Threshold.Slice.D
	n := int(to.Sub(from) / step)
	var out []slicePoint
	add := func(series int, pts ...loki.Point) error {
		if series > 1 {
			return fmt.Errorf("%s: the indicator gives %d series per slice, want one: aggregate it (e.g. quantile_over_time(...) by (), or max(...))", s.ID(), series)
		}
		for _, p := range pts {
			if !math.IsNaN(p.Value) {
				out = append(out, slicePoint{At: p.At, Value: p.Value})
			}
		}
		return nil
	}
	for done := 0; done < n; {
		k := min(n-done, maxSlicesPerQuery)
		end := to.Add(-time.Duration(done) * step)
		start := end.Add(-time.Duration(k-1) * step)
		done += k
		if k == 1 {
			r, err := c.Query(ctx, s.Threshold.Query, end)
			if err != nil {
				return nil, err
			}
			for _, v := range r.Vector {
				if err := add(len(r.Vector), v.Point); err != nil {
					return nil, err
				}
			}
			continue
		}
		r, err := c.QueryRange(ctx, s.Threshold.Query, start, end, step)
		if err != nil {
			return nil, err
		}
		for _, m := range r.Matrix {
			if err := add(len(r.Matrix), m.Points...); err != nil {
				return nil, err
			}
		}
	}
	slices.SortFunc(out, func(a, b slicePoint) int { return a.At.Compare(b.At) })
	return out, nil
}

// sliceRatio is the share of bad slices among those ending in (to-w, to],
// nil when none was measured.
func sliceRatio(pts []slicePoint, th *Threshold, to time.Time, w time.Duration) *float64 {
	measured, bad := 0, 0
	for _, p := range pts {
		if p.At.After(to.Add(-w)) && !p.At.After(to) {
			measured++
			if !th.Good(p.Value) {
				bad++
			}
		}
	}
	if measured == 0 {
		return nil
	}
	r := float64(bad) / float64(measured)
	return &r
}

// readSliceStatus fills st (a Timeslices SLO over Loki) from its slices
// over the SLO's window.
func readSliceStatus(ctx context.Context, c *loki.Client, st *Status, at time.Time) error {
	s := st.SLO
	pts, err := readSlices(ctx, c, s, at.Add(-s.Window.D), at)
	if err != nil {
		return err
	}
	budget := s.Budget()
	status := func(w string, d time.Duration) WindowStatus {
		ws := WindowStatus{Window: w, ErrorRatio: sliceRatio(pts, s.Threshold, at, d)}
		if ws.ErrorRatio != nil {
			b := *ws.ErrorRatio / budget
			ws.BurnRate = &b
		}
		return ws
	}
	for _, w := range Windows {
		win, _ := ParseWindow(w)
		st.Windows = append(st.Windows, status(w, win.D))
	}
	st.Period = status(s.Window.Text, s.Window.D)
	if r := st.Period.ErrorRatio; r != nil {
		rem := 1 - *r/budget
		st.Remaining = &rem
	}
	if len(pts) > 0 {
		// From the start of the oldest slice measured.
		st.DataSpan = min(at.Sub(pts[0].At)+s.Threshold.Slice.D, s.Window.D).Round(time.Second)
	}
	return nil
}
