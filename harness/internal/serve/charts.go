package serve

import (
	"fmt"
	"html/template"
	"math"
	"strings"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/history"
)

// Chart is one series over time, drawn as inline SVG.
type Chart struct {
	Title, Unit string
	Points      []Point
}

// Point is one run's value (missing: the run had no such figure).
type Point struct {
	At      time.Time
	Value   float64
	Missing bool
	Status  string
	Href    string
}

// trendCharts are the five series of a trend page.
func trendCharts(runs []history.Run) []Chart {
	series := []struct {
		title, unit string
		get         func(history.Run) *float64
	}{
		{"Resilience score", "%", func(r history.Run) *float64 { v := r.Score; return &v }},
		{"Time to detect (longest fault)", "s", func(r history.Run) *float64 { return r.DetectSeconds }},
		{"Time to recover (longest fault)", "s", func(r history.Run) *float64 { return r.RecoverSeconds }},
		{"p99 latency during faults (worst second)", "ms", func(r history.Run) *float64 { return r.FaultP99Ms }},
		{"Error ratio during faults", "%", func(r history.Run) *float64 {
			if r.FaultErrorRatio == nil {
				return nil
			}
			v := 100 * *r.FaultErrorRatio
			return &v
		}},
	}
	out := make([]Chart, 0, len(series))
	for _, s := range series {
		c := Chart{Title: s.title, Unit: s.unit}
		for _, r := range runs {
			p := Point{At: r.Start, Status: r.Status, Href: "/runs/" + r.Dir}
			if v := s.get(r); v != nil {
				p.Value = *v
			} else {
				p.Missing = true
			}
			c.Points = append(c.Points, p)
		}
		out = append(out, c)
	}
	return out
}

const (
	chartW, chartH             = 720, 200
	padL, padR, padT, padB     = 56, 16, 12, 36
	plotW, plotH               = chartW - padL - padR, chartH - padT - padB
	sparkW, sparkH             = 160, 32
	colorHeld, colorFailed     = "#1a7f37", "#cf222e"
	colorAborted, colorUnknown = "#9a6700", "#6e7781"
)

func statusColor(s string) string {
	switch s {
	case "held":
		return colorHeld
	case "failed":
		return colorFailed
	case "aborted":
		return colorAborted
	}
	return colorUnknown
}

// SVG draws the chart: a line through the runs that have the figure, a dot
// per run coloured by its verdict and linked to it, the value range on
// the y axis and the first and last dates on the x axis.
func (c Chart) SVG() template.HTML {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" role="img" viewBox="0 0 %d %d" width="%d" height="%d" xmlns="http://www.w3.org/2000/svg"><title>%s</title>`,
		chartW, chartH, chartW, chartH, template.HTMLEscapeString(c.Title))
	lo, hi := math.Inf(1), math.Inf(-1)
	var t0, t1 time.Time
	n := 0
	for _, p := range c.Points {
		if p.Missing {
			continue
		}
		lo, hi = math.Min(lo, p.Value), math.Max(hi, p.Value)
		if n == 0 || p.At.Before(t0) {
			t0 = p.At
		}
		if n == 0 || p.At.After(t1) {
			t1 = p.At
		}
		n++
	}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="#f6f8fa" stroke="#d0d7de"/>`, padL, padT, plotW, plotH)
	if n == 0 {
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" fill="#57606a">no run has this figure</text></svg>`, padL+plotW/2, padT+plotH/2)
		return template.HTML(b.String())
	}
	if c.Unit == "%" {
		lo, hi = math.Min(lo, 0), math.Max(hi, 100)
	}
	lo = math.Min(lo, 0)
	if hi <= lo {
		hi = lo + 1
	}
	span := t1.Sub(t0)
	x := func(t time.Time) float64 {
		if span <= 0 {
			return padL + plotW/2
		}
		return padL + float64(plotW)*float64(t.Sub(t0))/float64(span)
	}
	y := func(v float64) float64 { return padT + float64(plotH)*(1-(v-lo)/(hi-lo)) }
	for _, v := range []float64{lo, (lo + hi) / 2, hi} {
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#d0d7de"/><text x="%d" y="%.1f" text-anchor="end" font-size="11" fill="#57606a">%s%s</text>`,
			padL, padL+plotW, y(v), y(v), padL-6, y(v)+4, num(v), c.Unit)
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" fill="#57606a">%s</text>`, padL, chartH-12, t0.UTC().Format("2006-01-02 15:04"))
	if span > 0 {
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" text-anchor="end" fill="#57606a">%s</text>`, padL+plotW, chartH-12, t1.UTC().Format("2006-01-02 15:04"))
	}
	var line []string
	for _, p := range c.Points {
		if !p.Missing {
			line = append(line, fmt.Sprintf("%.1f,%.1f", x(p.At), y(p.Value)))
		}
	}
	fmt.Fprintf(&b, `<polyline fill="none" stroke="#0969da" stroke-width="1.5" points="%s"/>`, strings.Join(line, " "))
	for _, p := range c.Points {
		if p.Missing {
			continue
		}
		fmt.Fprintf(&b, `<a href="%s"><circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"><title>%s: %s%s (%s)</title></circle></a>`,
			template.HTMLEscapeString(p.Href), x(p.At), y(p.Value), statusColor(p.Status),
			p.At.UTC().Format("2006-01-02 15:04"), num(p.Value), c.Unit, p.Status)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// Sparkline draws scores (0–100) as a small line.
func Sparkline(scores []float64) template.HTML {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="spark" viewBox="0 0 %d %d" width="%d" height="%d" xmlns="http://www.w3.org/2000/svg" role="img"><title>score of the last %d runs</title>`, sparkW, sparkH, sparkW, sparkH, len(scores))
	var pts []string
	for i, s := range scores {
		x := float64(sparkW) / 2
		if len(scores) > 1 {
			x = 2 + float64(sparkW-4)*float64(i)/float64(len(scores)-1)
		}
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, 2+float64(sparkH-4)*(1-math.Max(0, math.Min(100, s))/100)))
	}
	fmt.Fprintf(&b, `<polyline fill="none" stroke="#0969da" stroke-width="1.5" points="%s"/></svg>`, strings.Join(pts, " "))
	return template.HTML(b.String())
}

func num(v float64) string {
	switch a := math.Abs(v); {
	case a == math.Trunc(a) && a < 1e6:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}
