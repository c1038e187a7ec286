package report

import (
	"bytes"
	"fmt"
	"html/template"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/verdict"
)

// Chart geometry, in SVG user units.
const (
	chartW     = 960.0
	panelH     = 150.0
	panelGap   = 34.0
	marginL    = 64.0
	marginR    = 16.0
	marginTop  = 26.0
	plotW      = chartW - marginL - marginR
	panelCount = 3
)

type svgPanel struct {
	Title      string
	Top        float64
	Lines      []svgLine
	Ticks      []svgTick
	LegendText string
}

type svgLine struct {
	Class  string
	Points string
}

type svgTick struct {
	Y     float64
	Label string
}

type svgFault struct {
	X, W  float64
	Label string
}

type svgXTick struct {
	X     float64
	Label string
}

type htmlView struct {
	R      *Report
	Status string
	Panels []svgPanel
	Faults []svgFault
	// Saturated are the spans of seconds in which the load generator was
	// saturated (shaded in every panel).
	Saturated []svgFault
	XTicks    []svgXTick
	Height    float64
	PlotW     float64
	MarginL   float64
	PanelH    float64
	AxisY     float64
	LabelY    float64
	Rows      []htmlFault
	Reasons   []string
	LoadLines []string
	Zones     []string
	ZoneRows  []ZoneRow
	// Sections are the optional sections rendered on their own (the
	// learned baselines, the comparison with a reference run).
	Sections template.HTML
}

type htmlFault struct {
	Name, Kind, Planned, Targets, Injected, Recovered, Detect, Recover string
}

// HTML is report.html: one self-contained page (inline CSS and SVG, no
// script, no external asset) with the timeline of achieved rate, success
// ratio and p99 latency, the fault windows shaded and labelled, and the
// probe and fault tables.
func HTML(r *Report) ([]byte, error) {
	n := max(len(r.Timeline), int(math.Ceil(r.Timings.PlannedSeconds)), 1)
	x := func(sec float64) float64 { return marginL + plotW*sec/float64(n) }
	v := htmlView{R: r, Status: strings.ToUpper(string(r.Verdict.Status)), PlotW: plotW, MarginL: marginL, PanelH: panelH,
		Reasons: r.Verdict.Reasons}
	v.Height = marginTop + panelCount*(panelH+panelGap) + 10
	v.LabelY = marginTop + 14
	v.AxisY = marginTop + panelCount*(panelH+panelGap) - panelGap + 16

	var peakRate, peakP99 float64
	for _, p := range r.Timeline {
		peakRate = max(peakRate, float64(p.Requests), p.Target)
		peakP99 = max(peakP99, p.P99, p.CorrectedP99)
	}
	rateMax, p99Max := niceMax(peakRate), niceMax(peakP99)
	panel := func(title string, top float64, ymax float64, unit string, series map[string]func(Point) (float64, bool)) svgPanel {
		pn := svgPanel{Title: title, Top: top}
		for _, class := range []string{"target", "achieved", "ratio", "cp99", "p99"} {
			f, ok := series[class]
			if !ok {
				continue
			}
			var pts []string
			for _, p := range r.Timeline {
				y, ok := f(p)
				if !ok {
					continue
				}
				py := top + panelH - panelH*math.Min(y/ymax, 1)
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(float64(p.Offset)+0.5), py))
			}
			pn.Lines = append(pn.Lines, svgLine{Class: class, Points: strings.Join(pts, " ")})
		}
		for k := 0; k <= 4; k++ {
			val := ymax * float64(k) / 4
			pn.Ticks = append(pn.Ticks, svgTick{Y: top + panelH - panelH*float64(k)/4, Label: trimFloat(val) + unit})
		}
		return pn
	}
	v.Panels = []svgPanel{
		panel("achieved rate (req/s); dashed: requested", marginTop, rateMax, "", map[string]func(Point) (float64, bool){
			"target":   func(p Point) (float64, bool) { return p.Target, true },
			"achieved": func(p Point) (float64, bool) { return float64(p.Requests), true },
		}),
		panel("success ratio", marginTop+panelH+panelGap, 1, "", map[string]func(Point) (float64, bool){
			"ratio": func(p Point) (float64, bool) { return p.SuccessRatio, p.Requests > 0 },
		}),
		panel("p99 latency (ms); dashed: from the intended send time", marginTop+2*(panelH+panelGap), p99Max, "", map[string]func(Point) (float64, bool){
			"p99":  func(p Point) (float64, bool) { return p.P99, p.Requests > 0 },
			"cp99": func(p Point) (float64, bool) { return p.CorrectedP99, p.Requests > 0 },
		}),
	}
	step := max(1, niceStep(n))
	for s := 0; s <= n; s += step {
		v.XTicks = append(v.XTicks, svgXTick{X: x(float64(s)), Label: fmt.Sprintf("%ds", s)})
	}
	for _, f := range r.Faults {
		from, to := f.StartAfter, f.StartAfter+f.Duration
		label := f.Name + " (planned, not injected)"
		if res := f.Result; res != nil {
			from = res.Injected.Sub(r.Timings.Start).Seconds()
			to = r.Timings.ActualSeconds
			if !res.Recovered.IsZero() {
				to = res.Recovered.Sub(r.Timings.Start).Seconds()
			}
			label = f.Name
			if len(res.Targets) > 0 {
				label += ": " + strings.Join(res.Targets, ", ")
			}
		}
		v.Faults = append(v.Faults, svgFault{X: x(from), W: math.Max(x(to)-x(from), 1), Label: label})
		row := htmlFault{Name: f.Name, Kind: strings.TrimSpace(f.Kind + " " + f.Action),
			Planned: fmt.Sprintf("+%s for %s", secs(f.StartAfter), secs(f.Duration)), Targets: "-", Injected: "not injected",
			Recovered: "-", Detect: "-", Recover: "-"}
		if res := f.Result; res != nil {
			row.Targets = strings.Join(res.Targets, ", ")
			row.Injected = "+" + rel(r.Timings.Start, res.Injected)
			row.Recovered = relOrNot(r.Timings.Start, res.Recovered)
			row.Detect = detect(res)
			row.Recover = recoverText(res)
		}
		v.Rows = append(v.Rows, row)
	}
	for i := 0; i < len(r.Timeline); i++ {
		if !r.Timeline[i].Saturated {
			continue
		}
		j := i
		for j+1 < len(r.Timeline) && r.Timeline[j+1].Saturated {
			j++
		}
		from, to := float64(r.Timeline[i].Offset), float64(r.Timeline[j].Offset+1)
		v.Saturated = append(v.Saturated, svgFault{X: x(from), W: x(to) - x(from), Label: "load generator saturated"})
		i = j
	}
	v.Zones, v.ZoneRows = ReadyByZone(r)
	v.LoadLines = LoadLines(r.Load)
	var err error
	if v.Sections, err = htmlSections(r); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := page().Execute(&b, v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// htmlSections renders the optional sections of report.html, in order.
func htmlSections(r *Report) (template.HTML, error) {
	var out template.HTML
	for _, f := range []func(*Report) (template.HTML, error){
		func(r *Report) (template.HTML, error) { return baselineHTML(r.Baselines) },
		func(r *Report) (template.HTML, error) { return comparisonHTML(r.Comparison) },
	} {
		h, err := f(r)
		if err != nil {
			return "", err
		}
		out += h
	}
	return out, nil
}

// niceMax rounds v up to 1, 2 or 5 times a power of ten (1 for v <= 0).
func niceMax(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// niceStep is a tick spacing in seconds giving about ten ticks over n.
func niceStep(n int) int {
	for _, s := range []int{1, 2, 5, 10, 15, 30, 60, 120, 300, 600} {
		if n/s <= 12 {
			return s
		}
	}
	return 900
}

func trimFloat(f float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", f), "0"), ".")
}

// page is parsed at its first use, not at start-up (every gameday process
// links it; few write this report).
var page = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("report").Funcs(template.FuncMap{
		"upper":       func(s any) string { return strings.ToUpper(fmt.Sprint(s)) },
		"join":        func(ss []string) string { return strings.Join(ss, "; ") },
		"pct":         pct,
		"stamp":       stamp,
		"secs":        secs,
		"add":         func(a, b float64) float64 { return a + b },
		"sub":         func(a, b float64) float64 { return a - b },
		"resultClass": func(r verdict.Result) string { return string(r) },
		"dur":         func(d time.Duration) string { return d.String() },
		"mulf":        func(f float64) float64 { return 100 * f },
		"objf":        func(o float64) string { return fmt.Sprintf("%g%%", 100*o) },
		"money":       costMoney,
	}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Game day {{.R.Experiment.Name}}: {{.Status}}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;background:#fff;margin:0;padding:24px 32px;max-width:1040px}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
.meta{color:#59636e}
.verdict{display:inline-block;font-weight:700;padding:2px 10px;border-radius:4px;color:#fff}
.verdict.held{background:#1a7f37}.verdict.failed{background:#cf222e}.verdict.aborted{background:#9a6700}.verdict.inconclusive{background:#6e7781}
table{border-collapse:collapse;width:100%;margin:6px 0}
th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}
td.pass{color:#1a7f37;font-weight:700}td.warn{color:#9a6700;font-weight:700}td.fail{color:#cf222e;font-weight:700}td.skipped,td.error{color:#6e7781;font-weight:700}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;background:#f6f8fa;padding:1px 4px;border-radius:3px;word-break:break-all}
svg{display:block;margin:8px 0}
svg text{font:11px system-ui,sans-serif;fill:#59636e}
svg .title{font-weight:600;fill:#1f2328}
svg .frame{fill:none;stroke:#d0d7de}
svg .grid{stroke:#eaeef2}
svg .fault{fill:#cf222e;fill-opacity:.12;stroke:#cf222e;stroke-opacity:.5;stroke-dasharray:3 2}
svg .flabel{fill:#a40e26;font-weight:600}
svg polyline{fill:none;stroke-width:1.6}
svg .target{stroke:#8c959f;stroke-dasharray:5 3}
svg .achieved{stroke:#0969da}
svg .ratio{stroke:#1a7f37}
svg .p99{stroke:#8250df}
svg .cp99{stroke:#8250df;stroke-opacity:.6;stroke-dasharray:4 3}
svg .saturated{fill:#9a6700;fill-opacity:.18}
svg .slabel{fill:#7d4e00;font-weight:600}
ul.reasons{margin:6px 0 0 18px;padding:0}
</style>
</head>
<body>
<h1>Game day <code>{{.R.Experiment.Name}}</code> <span class="verdict {{.R.Verdict.Status}}">{{.Status}}</span></h1>
<p class="meta">exit {{.R.ExitCode}} · score {{pct .R.Verdict.Score.Percent}} · error budget consumed {{pct (mulf .R.Verdict.Budget.Consumed)}} of the {{objf .R.Verdict.Budget.Objective}} objective<br>
run <code>{{.R.RunID}}</code> · suite <code>{{.R.Suite}}</code> · target {{.R.Target.Kind}} <code>{{.R.Target.URL}}</code> · {{stamp .R.Timings.Start}} for {{secs .R.Timings.ActualSeconds}} (planned {{secs .R.Timings.PlannedSeconds}})</p>
{{with .R.Experiment.Description}}<p>{{.}}</p>{{end}}
<ul class="reasons">{{range .Reasons}}<li>{{.}}</li>{{end}}</ul>
{{- with .R.Decisions}}

<h2>Decisions</h2>
<table>
<tr><th>decision</th><th>outcome</th><th>detail</th><th>at</th></tr>
{{- range .}}
<tr><td><code>{{.Name}}</code></td><td>{{.Outcome}}</td><td>{{.Detail}}</td><td>{{stamp .At}}</td></tr>
{{- end}}
</table>
{{- end}}

<h2>Timeline</h2>
<svg xmlns="http://www.w3.org/2000/svg" width="960" height="{{.Height}}" viewBox="0 0 960 {{.Height}}" role="img" aria-label="load timeline with fault windows">
{{- $root := .}}
{{- range .Panels}}
{{- $p := .}}
<text class="title" x="{{$root.MarginL}}" y="{{sub .Top 8}}">{{.Title}}</text>
{{- range .Ticks}}
<line class="grid" x1="{{$root.MarginL}}" x2="{{add $root.MarginL $root.PlotW}}" y1="{{.Y}}" y2="{{.Y}}"/>
<text x="{{sub $root.MarginL 6}}" y="{{add .Y 4}}" text-anchor="end">{{.Label}}</text>
{{- end}}
{{- range $root.Faults}}
<rect class="fault" x="{{.X}}" y="{{$p.Top}}" width="{{.W}}" height="{{$root.PanelH}}"/>
{{- end}}
{{- range $root.Saturated}}
<rect class="saturated" x="{{.X}}" y="{{$p.Top}}" width="{{.W}}" height="{{$root.PanelH}}"/>
{{- end}}
{{- range .Lines}}
<polyline class="{{.Class}}" points="{{.Points}}"/>
{{- end}}
<rect class="frame" x="{{$root.MarginL}}" y="{{.Top}}" width="{{$root.PlotW}}" height="{{$root.PanelH}}"/>
{{- end}}
{{- range .Faults}}
<text class="flabel" x="{{add .X 4}}" y="{{$root.LabelY}}">{{.Label}}</text>
{{- end}}
{{- range .Saturated}}
<text class="slabel" x="{{add .X 4}}" y="{{add $root.LabelY 14}}">{{.Label}}</text>
{{- end}}
{{- range .XTicks}}
<text x="{{.X}}" y="{{$root.AxisY}}" text-anchor="middle">{{.Label}}</text>
{{- end}}
</svg>

<h2>Probes</h2>
<table>
<tr><th>probe</th><th>type</th><th>mode</th><th>tolerance</th><th>result</th><th>samples<br>ok / breached / error</th><th>reasons</th></tr>
{{- range .R.Probes}}
<tr><td><code>{{.Name}}</code></td><td>{{.Type}}</td><td>{{.Mode}}</td><td>{{.Tolerance}}</td><td class="{{resultClass .Result}}">{{upper .Result}}</td><td>{{.Samples}}: {{.OK}} / {{.Breached}} / {{.Errors}}</td><td>{{join .Reasons}}</td></tr>
{{- end}}
</table>

<h2>Faults</h2>
{{- if .Rows}}
<table>
<tr><th>fault</th><th>kind</th><th>planned</th><th>targets</th><th>injected</th><th>recovered</th><th>time to detect</th><th>time to recover</th></tr>
{{- range .Rows}}
<tr><td><code>{{.Name}}</code></td><td>{{.Kind}}</td><td>{{.Planned}}</td><td>{{.Targets}}</td><td>{{.Injected}}</td><td>{{.Recovered}}</td><td>{{.Detect}}</td><td>{{.Recover}}</td></tr>
{{- end}}
</table>
{{- else}}
<p>No fault.</p>
{{- end}}

{{- if .ZoneRows}}
<h2>Replicas ready per zone</h2>
<table>
<tr><th>at</th>{{range .Zones}}<th>{{.}}</th>{{end}}<th>desired</th></tr>
{{- range .ZoneRows}}
<tr><td>+{{.At}}</td>{{range .Ready}}<td>{{.}}</td>{{end}}<td>{{.Desired}}</td></tr>
{{- end}}
</table>
<p class="meta">when the count changed; every observation is in report.json</p>
{{- end}}

<h2>Load</h2>
{{- range .LoadLines}}
<p>{{.}}</p>
{{- end}}
{{- with .R.Cost}}
<h2>Cost</h2>
{{- if .Error}}
<p>No cost figures: {{.Error}}</p>
{{- else}}
<p>The game day cost <strong>{{money .GameDayUSD}}</strong> (load generator {{money .LoadGeneratorUSD}}, extra capacity during faults {{money .ExtraCapacityUSD}}); the platform cost {{money .PlatformUSD}} while it ran. Source: {{.Source}}; prices: {{.Catalog}}.</p>
<table>
<tr><th>item</th><th>cost</th><th>detail</th><th>source</th></tr>
{{- range .Rows}}
<tr><td>{{.Item}}</td><td>{{money .USD}}</td><td>{{.Detail}}</td><td>{{.Source}}</td></tr>
{{- end}}
</table>
{{- with .Per1000RequestsUSD}}
<p>Per 1,000 requests of the load: {{money .}}.</p>
{{- end}}
{{- with .Notes}}
<ul class="reasons">{{range .}}<li>{{.}}</li>{{end}}</ul>
{{- end}}
{{- end}}
{{- end}}
{{- .Sections}}
{{- with .R.Preflight.Checks}}
<h2>Preflight</h2>
<table>
<tr><th>check</th><th>ok</th><th>detail</th></tr>
{{- range .}}
<tr><td>{{.Name}}</td><td>{{.OK}}</td><td>{{.Detail}}</td></tr>
{{- end}}
</table>
{{- end}}
<p class="meta">report schema {{.R.SchemaVersion}}; report.json holds every sample and second.</p>
</body>
</html>
`))
})
