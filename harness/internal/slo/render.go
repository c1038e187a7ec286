package slo

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"html/template"
	"strings"
	"sync"
	"time"
)

// A Report is the burn report of every SLO (gameday slo report).
type Report struct {
	SchemaVersion string    `json:"schemaVersion"`
	At            time.Time `json:"at"`
	Prometheus    string    `json:"prometheus,omitempty"`
	Loki          string    `json:"loki,omitempty"`
	// MinRemaining is the policy's threshold, drawn on the chart.
	MinRemaining float64   `json:"policyMinRemaining"`
	SLOs         []*Status `json:"slos"`
}

// ReportSchema is the version of the report's JSON.
const ReportSchema = "gameday.dev/slo-report/v1"

// JSON renders r as indented JSON.
func (r *Report) JSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	err := enc.Encode(r)
	return b.Bytes(), err
}

func ratio(p *float64) string {
	if p == nil {
		return "no data"
	}
	return Pct(*p)
}

func burnText(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.2f×", *p)
}

func exhaustionText(st *Status) string {
	switch {
	case st.Exhaustion == nil && st.Remaining == nil:
		return "no data"
	case st.Exhaustion == nil:
		return "not burning"
	case *st.Exhaustion == 0:
		return "spent"
	}
	return "in " + Human(*st.Exhaustion) + " at the 1h burn rate"
}

// ObjectiveText is the objective over the window: "99.9% over 30d", or
// for a Timeslices SLO "99% of 1m slices over 30d".
func (s *SLO) ObjectiveText() string {
	if s.Threshold != nil {
		return fmt.Sprintf("%s of %s slices over %s", Pct(s.Objective), s.Threshold.Slice, s.Window)
	}
	return fmt.Sprintf("%s over %s", Pct(s.Objective), s.Window)
}

// spanText says how much data the window's figures cover: "17m of
// data", or the window when the source could not say.
func (st *Status) spanText() string {
	if st.DataSpan <= 0 {
		return "its " + st.SLO.Window.Text + " window (data span unknown)"
	}
	return Human(st.DataSpan) + " of data"
}

func dataText(st *Status) string {
	if st.DataSpan == 0 {
		return st.Source
	}
	if st.DataSpan < st.SLO.Window.D-time.Hour {
		return fmt.Sprintf("%s, %s of data: the %s figures are those of the data present", st.Source, Human(st.DataSpan), st.SLO.Window)
	}
	return st.Source
}

// Markdown renders r for a terminal or a GitHub summary.
func (r *Report) Markdown() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "## SLO burn report, %s\n\n", r.At.UTC().Format("2006-01-02 15:04:05Z"))
	fmt.Fprintf(&b, "Prometheus %s, Loki %s. Policy: a game day starts only with at least %s of every budget left.\n\n", cmp.Or(r.Prometheus, "none"), cmp.Or(r.Loki, "none"), Pct(r.MinRemaining))
	b.WriteString("| SLO | objective | budget left | state | exhaustion | burn 5m | 1h | 6h | 1d | 3d | source |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, st := range r.SLOs {
		burns := map[string]string{}
		for _, w := range st.Windows {
			burns[w.Window] = burnText(w.BurnRate)
		}
		state := strings.ToUpper(st.State)
		if st.Error != "" {
			state += " (" + st.Error + ")"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", st.SLO.ID(), st.SLO.ObjectiveText(),
			ratio(st.Remaining), md(state), exhaustionText(st), burns["5m"], burns["1h"], burns["6h"], burns["1d"], burns["3d"], md(dataText(st)))
	}
	for _, st := range r.SLOs {
		if len(st.Routes) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n### %s: routes burning most (last hour)\n\n| %s | bad/s | all/s | error ratio | share of bad |\n|---|---|---|---|---|\n", st.SLO.ID(), st.SLO.RouteLabel)
		for _, rt := range st.Routes {
			fmt.Fprintf(&b, "| `%s` | %.3f | %.3f | %s | %s |\n", rt.Route, rt.BadPerSec, rt.AllPerSec, Pct(rt.ErrorRatio), Pct(rt.Share))
		}
	}
	return b.Bytes()
}

func md(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ") }

// bar is one SLO's bar in the budget chart.
type bar struct {
	Label, Value, Fill string
	Y, Width, Zero     float64
	Missing            bool
}

// HTML renders r as one self-contained page (no script, no external
// asset) with an SVG chart of the budget left per SLO and the policy line.
func (r *Report) HTML() ([]byte, error) {
	const left, width, rowH = 260.0, 480.0, 28.0
	// The axis runs from -50 % (overspent) to 100 %.
	x := func(v float64) float64 { return left + width*(min(max(v, -0.5), 1)+0.5)/1.5 }
	var bars []bar
	for i, st := range r.SLOs {
		b := bar{Label: st.SLO.ID(), Y: 30 + float64(i)*rowH, Zero: x(0)}
		switch {
		case st.Remaining == nil:
			b.Missing, b.Value = true, "no data"
		default:
			v := *st.Remaining
			b.Value = Pct(v)
			b.Fill = "#2e7d32"
			switch {
			case v < 0:
				b.Fill = "#b71c1c"
			case v < r.MinRemaining:
				b.Fill = "#ef6c00"
			}
			if v >= 0 {
				b.Width = x(v) - x(0)
			} else {
				b.Zero, b.Width = x(v), x(0)-x(v)
			}
		}
		bars = append(bars, b)
	}
	data := map[string]any{
		"R": r, "Bars": bars, "Lines": r.lines(), "Height": 50 + float64(len(bars))*rowH, "Policy": x(r.MinRemaining), "X0": x(0), "X100": x(1), "XNeg": x(-0.5),
		"Width": left + width + 90, "At": r.At.UTC().Format("2006-01-02 15:04:05Z"),
		"MD": func(st *Status) map[string]string {
			out := map[string]string{}
			for _, w := range st.Windows {
				out[w.Window] = burnText(w.BurnRate)
			}
			out["remaining"], out["exhaustion"], out["data"], out["period"] = ratio(st.Remaining), exhaustionText(st), dataText(st), ratio(st.Period.ErrorRatio)
			return out
		},
		"Pct": Pct,
	}
	var b bytes.Buffer
	err := page().Execute(&b, data)
	return b.Bytes(), err
}

// line is one SLO's chart of the budget left over time.
type line struct {
	Label, Points, From, To, Last  string
	Width, Height, Left, Right     float64
	Y100, Y0, YNeg, YPolicy, YLast float64
}

// lines are the charts of the SLOs with a history of at least two points:
// the budget left over time, the axis from -50 % to 100 %, the policy and
// 0 as lines.
func (r *Report) lines() []line {
	const left, width, top, height = 60.0, 560.0, 10.0, 120.0
	y := func(v float64) float64 { return top + height*(1-(min(max(v, -0.5), 1)+0.5)/1.5) }
	var out []line
	for _, st := range r.SLOs {
		h := st.History
		if len(h) < 2 {
			continue
		}
		t0, span := h[0].At, h[len(h)-1].At.Sub(h[0].At).Seconds()
		if span <= 0 {
			continue
		}
		var pts []string
		for _, p := range h {
			x := left + width*p.At.Sub(t0).Seconds()/span
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y(p.Remaining)))
		}
		out = append(out, line{
			Label: st.SLO.ID(), Points: strings.Join(pts, " "),
			From: t0.UTC().Format("2006-01-02 15:04Z"), To: h[len(h)-1].At.UTC().Format("2006-01-02 15:04Z"), Last: Pct(h[len(h)-1].Remaining),
			Width: left + width + 70, Height: top + height + 30, Left: left, Right: left + width,
			Y100: y(1), Y0: y(0), YNeg: y(-0.5), YPolicy: y(r.MinRemaining), YLast: y(h[len(h)-1].Remaining),
		})
	}
	return out
}

// page is parsed at its first use, not at start-up (every gameday process
// links it; few write this report).
var page = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("slo").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>SLO burn report {{.At}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;font-size:14px}
th{background:#f4f4f4}.page{color:#b71c1c;font-weight:bold}.ticket{color:#ef6c00;font-weight:bold}.ok{color:#2e7d32}
code{background:#f4f4f4;padding:1px 3px}
</style></head><body>
<h1>SLO burn report</h1>
<p>{{.At}} · Prometheus {{or .R.Prometheus "none"}}{{if .R.Loki}} · Loki {{.R.Loki}}{{end}} · policy: a game day starts only with at least {{call .Pct .R.MinRemaining}} of every error budget left.</p>
<svg xmlns="http://www.w3.org/2000/svg" width="{{.Width}}" height="{{.Height}}" role="img" aria-label="error budget left per SLO">
<text x="{{.XNeg}}" y="16" font-size="11" text-anchor="middle">-50%</text>
<text x="{{.X0}}" y="16" font-size="11" text-anchor="middle">0</text>
<text x="{{.X100}}" y="16" font-size="11" text-anchor="middle">100% of the budget left</text>
<line x1="{{.X0}}" y1="20" x2="{{.X0}}" y2="{{.Height}}" stroke="#999"/>
<line x1="{{.Policy}}" y1="20" x2="{{.Policy}}" y2="{{.Height}}" stroke="#ef6c00" stroke-dasharray="4 3"><title>policy: {{call .Pct .R.MinRemaining}}</title></line>
{{range .Bars}}<text x="8" y="{{.Y}}" dy="15" font-size="13">{{.Label}}</text>
{{if .Missing}}<text x="{{.Zero}}" y="{{.Y}}" dx="6" dy="15" font-size="12" fill="#777">no data</text>
{{else}}<rect x="{{.Zero}}" y="{{.Y}}" width="{{.Width}}" height="20" fill="{{.Fill}}"><title>{{.Label}}: {{.Value}} left</title></rect>
<text x="{{$.X100}}" y="{{.Y}}" dx="8" dy="15" font-size="12">{{.Value}}</text>{{end}}
{{end}}</svg>
<table><tr><th>SLO</th><th>objective</th><th>budget left</th><th>error ratio (window)</th><th>state</th><th>exhaustion</th><th>burn 5m</th><th>30m</th><th>1h</th><th>2h</th><th>6h</th><th>1d</th><th>3d</th><th>source</th></tr>
{{range .R.SLOs}}{{$m := call $.MD .}}<tr><td>{{.SLO.ID}}<br><small>{{.SLO.IndicatorText}}</small></td><td>{{.SLO.ObjectiveText}}</td><td>{{$m.remaining}}</td><td>{{$m.period}}</td>
<td class="{{.State}}">{{.State}}{{if .Error}}<br><small>{{.Error}}</small>{{end}}</td><td>{{$m.exhaustion}}</td><td>{{index $m "5m"}}</td><td>{{index $m "30m"}}</td><td>{{index $m "1h"}}</td><td>{{index $m "2h"}}</td><td>{{index $m "6h"}}</td><td>{{index $m "1d"}}</td><td>{{index $m "3d"}}</td><td>{{$m.data}}</td></tr>
{{end}}</table>
{{if .Lines}}<h2>Budget left over time</h2>
{{range .Lines}}<h3>{{.Label}}</h3>
<svg xmlns="http://www.w3.org/2000/svg" width="{{.Width}}" height="{{.Height}}" role="img" aria-label="{{.Label}}: error budget left over time">
<text x="{{.Left}}" y="{{.Y100}}" dx="-6" dy="4" font-size="11" text-anchor="end">100%</text>
<text x="{{.Left}}" y="{{.Y0}}" dx="-6" dy="4" font-size="11" text-anchor="end">0</text>
<text x="{{.Left}}" y="{{.YNeg}}" dx="-6" dy="4" font-size="11" text-anchor="end">-50%</text>
<line x1="{{.Left}}" y1="{{.Y0}}" x2="{{.Right}}" y2="{{.Y0}}" stroke="#999"/>
<line x1="{{.Left}}" y1="{{.YPolicy}}" x2="{{.Right}}" y2="{{.YPolicy}}" stroke="#ef6c00" stroke-dasharray="4 3"><title>policy: {{call $.Pct $.R.MinRemaining}}</title></line>
<polyline points="{{.Points}}" fill="none" stroke="#1565c0" stroke-width="2"><title>{{.Label}}: budget left, {{.From}} to {{.To}}</title></polyline>
<text x="{{.Right}}" y="{{.YLast}}" dx="6" dy="4" font-size="12">{{.Last}}</text>
<text x="{{.Left}}" y="{{.Height}}" dy="-4" font-size="11">{{.From}}</text>
<text x="{{.Right}}" y="{{.Height}}" dy="-4" font-size="11" text-anchor="end">{{.To}}</text>
</svg>
{{end}}{{end}}
{{range .R.SLOs}}{{if .Routes}}<h2>{{.SLO.ID}}: routes burning most (last hour)</h2>
<table><tr><th>{{.SLO.RouteLabel}}</th><th>bad/s</th><th>all/s</th><th>error ratio</th><th>share of bad</th></tr>
{{range .Routes}}<tr><td><code>{{.Route}}</code></td><td>{{printf "%.3f" .BadPerSec}}</td><td>{{printf "%.3f" .AllPerSec}}</td><td>{{call $.Pct .ErrorRatio}}</td><td>{{call $.Pct .Share}}</td></tr>
{{end}}</table>{{end}}{{end}}
</body></html>
`))
})
