package cost

import (
	"bytes"
	"fmt"
	"html/template"
	"math"
	"sort"
	"strings"
	"sync"
)

// chart is a horizontal bar chart in SVG user units.
type chart struct {
	Title         string
	Width, Height float64
	Left, PlotW   float64
	Rows          []chartRow
	Ticks         []chartTick
	Legend        []legendItem
	LegendH       float64
}

type chartRow struct {
	Label, Value string
	Y            float64
	Segs         []chartSeg
	// Marker is the x of a tick across the bar (a budget), 0 for none.
	Marker      float64
	MarkerTitle string
}

type chartSeg struct {
	X, W         float64
	Class, Title string
}

type chartTick struct {
	X     float64
	Label string
}

type legendItem struct {
	X, Y        float64
	Class, Text string
}

type barInput struct {
	label  string
	parts  []barPart
	marker float64 // a value, 0: none
	mtitle string
}

type barPart struct {
	value        float64
	class, title string
}

// categoryClass maps cost categories to the chart's colours.
var categoryClass = map[string]string{
	CatCompute: "c1", CatControlPlane: "c2", CatLoadBalancer: "c3", CatStorage: "c4", CatNetwork: "c5",
	CatDatabase: "c6", CatCache: "c7", CatNAT: "c8", CatEndpoints: "c9",
}

func hbars(title string, rows []barInput, legend []legendItem) chart {
	const left, plotW, rowH, top = 250.0, 560.0, 26.0, 34.0
	var hi float64
	for _, r := range rows {
		var s float64
		for _, p := range r.parts {
			s += p.value
		}
		hi = math.Max(hi, math.Max(s, r.marker))
	}
	top2 := niceCeil(hi)
	x := func(v float64) float64 { return plotW * v / top2 }
	c := chart{Title: title, Left: left, PlotW: plotW, Width: left + plotW + 110, Height: top + float64(len(rows))*rowH + 24}
	for i, r := range rows {
		row := chartRow{Label: r.label, Y: top + float64(i)*rowH}
		var at, sum float64
		for _, p := range r.parts {
			if p.value <= 0 {
				continue
			}
			row.Segs = append(row.Segs, chartSeg{X: left + x(at), W: math.Max(x(p.value), 0.5), Class: p.class, Title: p.title})
			at += p.value
			sum += p.value
		}
		row.Value = Money(sum)
		if r.marker > 0 {
			row.Marker, row.MarkerTitle = left+x(r.marker), r.mtitle
		}
		c.Rows = append(c.Rows, row)
	}
	for k := 0; k <= 4; k++ {
		v := top2 * float64(k) / 4
		c.Ticks = append(c.Ticks, chartTick{X: left + x(v), Label: Money(v)})
	}
	perRow := int(c.Width / 125)
	for i := range legend {
		legend[i].X, legend[i].Y = float64(i%perRow)*125, float64(i/perRow)*16
	}
	c.Legend = legend
	if n := len(legend); n > 0 {
		c.LegendH = float64((n+perRow-1)/perRow)*16 + 4
	}
	return c
}

// niceCeil rounds up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p*(1+1e-9) {
			return m * p
		}
	}
	return 10 * p
}

type htmlEnv struct {
	*Environment
	Categories, Namespaces chart
	HasNamespaces          bool
}

// HTML renders the report as one self-contained page (inline CSS and SVG,
// no script, no external asset): cost by environment and category, the
// forecast against the budgets, per environment its namespaces, idle,
// efficiency, rightsizing, forecast and unit economics, the cost of
// resilience and of each game day.
func (r *Report) HTML() ([]byte, error) {
	var cats []string
	seen := map[string]bool{}
	for _, e := range r.Environments {
		for _, g := range e.ByCategory {
			if !seen[g.Name] {
				seen[g.Name] = true
				cats = append(cats, g.Name)
			}
		}
	}
	sort.Strings(cats)
	var envRows, fcRows []barInput
	var legend []legendItem
	for _, c := range cats {
		legend = append(legend, legendItem{Class: categoryClass[c], Text: c})
	}
	for _, e := range r.Environments {
		in := barInput{label: e.Name}
		for _, c := range cats {
			for _, g := range e.ByCategory {
				if g.Name == c {
					in.parts = append(in.parts, barPart{value: g.USD, class: categoryClass[c], title: fmt.Sprintf("%s %s: %s (%s)", e.Name, c, Money(g.USD), g.Source)})
				}
			}
		}
		envRows = append(envRows, in)
		fc := barInput{label: e.Name}
		if f := e.Forecast; f != nil {
			fc.parts = []barPart{
				{value: f.MonthToDateUSD, class: "mtd", title: fmt.Sprintf("%s month to date: %s", e.Name, Money(f.MonthToDateUSD))},
				{value: f.MonthEndUSD - f.MonthToDateUSD, class: "rest", title: fmt.Sprintf("%s rest of %s at the run rate: %s", e.Name, f.Month, Money(f.MonthEndUSD-f.MonthToDateUSD))},
			}
		}
		if b := e.Budget; b != nil && b.MonthlyUSD > 0 {
			fc.marker, fc.mtitle = b.MonthlyUSD, fmt.Sprintf("%s budget %s: %s", e.Name, Money(b.MonthlyUSD), b.State)
		}
		fcRows = append(fcRows, fc)
	}
	var envs []htmlEnv
	for _, e := range r.Environments {
		he := htmlEnv{Environment: e}
		var rows []barInput
		for _, g := range e.ByCategory {
			rows = append(rows, barInput{label: g.Name, parts: []barPart{{value: g.USD, class: categoryClass[g.Name], title: g.Name + ": " + Money(g.USD) + " (" + g.Source + ")"}}})
		}
		he.Categories = hbars(e.Name+": cost by category over the window", rows, nil)
		rows = nil
		for i, g := range e.ByNamespace {
			if i == 10 {
				break
			}
			class := "ns"
			if g.Name == Idle {
				class = "idle"
			}
			rows = append(rows, barInput{label: g.Name, parts: []barPart{{value: g.USD, class: class, title: g.Name + ": " + Money(g.USD)}}})
		}
		if len(rows) > 0 {
			he.HasNamespaces = true
			he.Namespaces = hbars(e.Name+": allocation by namespace (and idle)", rows, nil)
		}
		envs = append(envs, he)
	}
	var res []map[string]any
	for _, rs := range r.Resilience {
		var rows []barInput
		for _, it := range rs.Items {
			rows = append(rows, barInput{label: it.Item, parts: []barPart{{value: it.MonthlyUSD, class: "ha", title: it.Item + ": " + Money(it.MonthlyUSD) + " a month; " + it.Detail}}})
		}
		res = append(res, map[string]any{"R": rs, "Chart": hbars(rs.Environment+": high-availability premium, a month", rows, nil)})
	}
	data := map[string]any{
		"R":         r,
		"Envs":      envs,
		"EnvChart":  hbars("cost over the window, by environment and category", envRows, legend),
		"FcChart":   hbars("month-end forecast (month to date + run rate) against the budget (tick)", fcRows, []legendItem{{Class: "mtd", Text: "month to date"}, {Class: "rest", Text: "rest of the month"}, {Class: "budget", Text: "budget"}}),
		"Res":       res,
		"Hours":     human(r.Window.Hours()),
		"FromTo":    stamp(r.Window.Start) + " to " + stamp(r.Window.End),
		"Generated": stamp(r.GeneratedAt),
	}
	var b bytes.Buffer
	err := page().Execute(&b, data)
	return b.Bytes(), err
}

// page is parsed at its first use, not at start-up (every gameday process
// links it; few write this report).
var page = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("cost").Funcs(template.FuncMap{
		"money":     Money,
		"pct":       pct,
		"pctFine":   pctFine,
		"optPct":    optPct,
		"human":     human,
		"humanSecs": func(s float64) string { return human(s / 3600) },
		"stamp":     stamp,
		"upper":     strings.ToUpper,
		"quantity":  quantity,
		"count":     count,
		"verdicts":  verdicts,
		"add":       func(a, b float64) float64 { return a + b },
		"sub":       func(a, b float64) float64 { return a - b },
		"optFine":   optPctFine,
		"optPct2":   optPct2,
		"nines":     ninesOf,
		"derefMoney": func(p *float64) string {
			if p == nil {
				return "-"
			}
			return Money(*p)
		},
		"qty": func(l Line) string {
			if l.Quantity <= 0 {
				return "-"
			}
			return fmt.Sprintf("%.4g %s", l.Quantity, l.Unit)
		},
		"unitPrice": func(l Line) string {
			if l.UnitPrice <= 0 {
				return "-"
			}
			return Money(l.UnitPrice)
		},
	}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Cost report {{.FromTo}}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;background:#fff;margin:0;padding:24px 32px;max-width:1100px}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}
.meta{color:#59636e}
table{border-collapse:collapse;width:100%;margin:6px 0}
th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
td.n{text-align:right;white-space:nowrap}
th{background:#f6f8fa}
.state{font-weight:700}.state.breach{color:#cf222e}.state.at.risk{color:#9a6700}.state.ok{color:#1a7f37}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;background:#f6f8fa;padding:1px 4px;border-radius:3px}
svg{display:block;margin:8px 0}
svg text{font:11px system-ui,sans-serif;fill:#59636e}
svg .title{font-weight:600;fill:#1f2328}
svg .grid{stroke:#eaeef2}
svg .marker{stroke:#cf222e;stroke-width:2}
.c1{fill:#0969da}.c2{fill:#8250df}.c3{fill:#bf8700}.c4{fill:#1a7f37}.c5{fill:#cf222e}.c6{fill:#0550ae}.c7{fill:#953800}.c8{fill:#6e7781}.c9{fill:#1b7c83}
.mtd{fill:#0969da}.rest{fill:#9ecbff}.budget{fill:#cf222e}.ns{fill:#0969da}.idle{fill:#d0d7de}.ha{fill:#8250df}
details{margin:6px 0}
blockquote{margin:6px 0;padding:2px 10px;border-left:3px solid #d0d7de;color:#59636e}
</style>
</head>
<body>
{{define "chart"}}
<svg xmlns="http://www.w3.org/2000/svg" width="{{.Width}}" height="{{.Height}}" viewBox="0 0 {{.Width}} {{.Height}}" role="img" aria-label="{{.Title}}">
<text class="title" x="0" y="14">{{.Title}}</text>
{{- range .Ticks}}
<line class="grid" x1="{{.X}}" x2="{{.X}}" y1="26" y2="{{sub $.Height 20}}"/>
<text x="{{.X}}" y="{{sub $.Height 6}}" text-anchor="middle">{{.Label}}</text>
{{- end}}
{{- range .Rows}}
<text x="{{sub $.Left 8}}" y="{{add .Y 14}}" text-anchor="end">{{.Label}}</text>
{{- $y := .Y}}
{{- range .Segs}}
<rect class="{{.Class}}" x="{{.X}}" y="{{$y}}" width="{{.W}}" height="18"><title>{{.Title}}</title></rect>
{{- end}}
{{- if .Marker}}
<line class="marker" x1="{{.Marker}}" x2="{{.Marker}}" y1="{{sub .Y 3}}" y2="{{add .Y 21}}"><title>{{.MarkerTitle}}</title></line>
{{- end}}
<text x="{{add $.Left $.PlotW}}" dx="6" y="{{add .Y 14}}">{{.Value}}</text>
{{- end}}
</svg>
{{- with .Legend}}
<svg xmlns="http://www.w3.org/2000/svg" width="{{$.Width}}" height="{{$.LegendH}}" role="img" aria-label="legend">
{{- range .}}
<rect class="{{.Class}}" x="{{.X}}" y="{{add .Y 4}}" width="10" height="10"/><text x="{{add .X 14}}" y="{{add .Y 13}}">{{.Text}}</text>
{{- end}}
</svg>
{{- end}}
{{end}}
<h1>Cost report</h1>
<p class="meta">{{.FromTo}} ({{.Hours}}) · generated {{.Generated}} · prices: catalog <code>{{.R.Catalog.Name}} {{.R.Catalog.Version}}</code> dated {{.R.Catalog.Date}} ({{.R.Catalog.File}}), {{.R.Currency}}, a month is {{.R.HoursPerMonth}} hours · every figure names its source</p>
<table>
<tr><th>environment</th><th>cost</th><th>compute from</th><th>idle</th><th>month-end forecast</th><th>budget</th><th>state</th></tr>
{{- range .R.Environments}}
<tr><td>{{.Name}}</td><td class="n">{{money .TotalUSD}}</td><td>{{.ComputeSource}}</td><td class="n">{{if .IdleSource}}{{money .IdleUSD}} ({{pct .IdleShare}}){{else}}-{{end}}</td><td class="n">{{money .Forecast.MonthEndUSD}}</td><td class="n">{{if .Budget.MonthlyUSD}}{{money .Budget.MonthlyUSD}}{{else}}-{{end}}</td><td class="state {{.Budget.State}}">{{.Budget.State}}</td></tr>
{{- end}}
<tr><th>all</th><th class="n">{{money .R.TotalUSD}}</th><th colspan="5"></th></tr>
</table>
{{template "chart" .EnvChart}}
{{template "chart" .FcChart}}
{{- range .Envs}}
<h2>{{.Name}} <span class="meta">({{.Region}})</span></h2>
{{- if .Prometheus}}<p class="meta">Prometheus {{.Prometheus}}; compute from {{.ComputeSource}}.</p>{{end}}
<p><strong>{{money .TotalUSD}}</strong> over the window.{{with .Budget}} Budget: {{.Detail}}.{{end}}</p>
{{template "chart" .Categories}}
{{- if .HasNamespaces}}
{{template "chart" .Namespaces}}
<p>Idle: {{money .IdleUSD}}, {{pct .IdleShare}} of the node cost is allocated to no container ({{.IdleSource}}).</p>
<table><tr><th>zone</th><th>node cost</th><th>share</th></tr>
{{- range .ByZone}}<tr><td>{{.Name}}</td><td class="n">{{money .USD}}</td><td class="n">{{pct .Share}}</td></tr>{{end}}
</table>
<details><summary>By workload</summary><table><tr><th>namespace/workload</th><th>cost</th><th>share</th></tr>
{{- range .ByWorkload}}<tr><td>{{.Name}}</td><td class="n">{{money .USD}}</td><td class="n">{{pct .Share}}</td></tr>{{end}}
</table></details>
{{- end}}
{{- with .Efficiency}}
<p>Efficiency (usage / request, {{.Source}}): CPU <strong>{{optPct .CPU}}</strong> ({{printf "%.3g" .CPUUsageCoreHours}} of {{printf "%.3g" .CPURequestCoreHours}} core-hours), memory <strong>{{optPct .RAM}}</strong> ({{printf "%.3g" .RAMUsageGiBHours}} of {{printf "%.3g" .RAMRequestGiBHours}} GiB-hours).</p>
{{- end}}
{{- with .Rightsizing}}
<h3>Rightsizing (request from p95 usage + 20 % headroom)</h3>
<table><tr><th>workload</th><th>container</th><th>resource</th><th>request</th><th>p95 usage</th><th>recommended</th><th>replicas</th><th>monthly saving</th></tr>
{{- range .}}<tr><td>{{.Namespace}}/{{.Workload}}</td><td>{{.Container}}</td><td>{{.Resource}}</td><td class="n">{{quantity .Resource .Request}}</td><td class="n">{{quantity .Resource .P95}}</td><td class="n">{{quantity .Resource .Recommended}}</td><td class="n">{{printf "%.2f" .Replicas}}</td><td class="n">{{money .MonthlySavingUSD}}</td></tr>{{end}}
</table>
{{- end}}
{{- with .Forecast}}
<p>Forecast for {{.Month}}: {{money .MonthToDateUSD}} month to date{{if .MonthToDateExtrapolatedHours}} ({{human .MonthToDateExtrapolatedHours}} of it extrapolated at the run rate){{end}}, {{money .RunRateHourly}}/h run rate ({{money .MonthlyRunRateUSD}} a month), <strong>{{money .MonthEndUSD}}</strong> at the end of the month.</p>
{{- end}}
{{- with .Unit}}
<p>Unit economics ({{.Source}}): {{count .Requests}} requests, {{count .Successful}} successful; <strong>{{money .Per1000RequestsUSD}}</strong> per 1,000 requests, {{money .PerSuccessfulRequestUSD}} per successful request{{if .Workload}}; workload {{.Workload}} alone: {{money .WorkloadPer1000RequestsUSD}} per 1,000, {{money .WorkloadPerSuccessfulRequestUSD}} per successful request{{end}}.</p>
{{- end}}
<details><summary>{{len .Lines}} cost lines</summary>
<table><tr><th>category</th><th>item</th><th>zone</th><th>quantity</th><th>unit price</th><th>cost</th><th>source</th></tr>
{{- range .Lines}}<tr><td>{{.Category}}</td><td>{{.Item}}</td><td>{{.Zone}}</td><td class="n">{{qty .}}</td><td class="n">{{unitPrice .}}</td><td class="n">{{money .USD}}</td><td>{{.Source}}</td></tr>{{end}}
</table></details>
{{- with .Unmeasured}}
<p>Not counted (usage-priced, no usage data):</p><ul>{{range .}}<li>{{.Item}} at {{money .UnitPrice}} per {{.Unit}}: {{.Why}}</li>{{end}}</ul>
{{- end}}
{{- range .Notes}}<blockquote>{{.}}</blockquote>{{end}}
{{- end}}
{{- range .Res}}
{{- $r := .R}}
<h2>Cost of resilience: {{$r.Environment}} ({{$r.Zones}} zones against one)</h2>
<p>High-availability premium: <strong>{{money $r.PremiumMonthlyUSD}} a month</strong>.</p>
{{template "chart" .Chart}}
<table><tr><th>item</th><th>a month</th><th>detail</th><th>source</th></tr>
{{- range $r.Items}}<tr><td>{{.Item}}</td><td class="n">{{money .MonthlyUSD}}</td><td>{{.Detail}}</td><td>{{.Source}}</td></tr>{{end}}
</table>
{{- with $r.Availability}}
<p>Availability measured: <strong>{{if .Attainment}}{{optFine .Attainment}}{{else}}no data{{end}}</strong> ({{nines $r $r.MeasuredNines}} nines) of {{.SLO}} (objective {{pctFine .Objective}} over {{human .WindowHours}}, {{human .DataHours}} of data; {{.Source}}). One zone can count on {{pctFine $r.SingleZone}} ({{printf "%.2f" $r.SingleZoneNines}} nines; {{$r.SingleZoneSource}}). Extra nines: {{nines $r $r.ExtraNines}}; <strong>cost per extra nine: {{derefMoney $r.PerExtraNineUSD}} a month</strong>.</p>
{{- end}}
{{- with $r.GameDays}}
<table><tr><th>game days</th><th>runs</th><th>verdicts</th><th>requests failed during faults</th><th>last</th></tr>
{{- range .}}<tr><td>{{.Experiment}}</td><td class="n">{{.Runs}}</td><td>{{verdicts .Verdicts}}</td><td>{{optPct2 .FaultErrorRatio}} over {{humanSecs .FaultSeconds}}</td><td>{{stamp .Last}} ({{.LastVerdict}})</td></tr>{{end}}
</table>
{{- end}}
{{- with $r.ZoneLoss}}<p>Losing a zone: {{.Detail}}.</p>{{end}}
{{- range $r.Notes}}<blockquote>{{.}}</blockquote>{{end}}
{{- end}}
{{- with .R.GameDays}}
<h2>Cost of each game day</h2>
<table><tr><th>run</th><th>experiment</th><th>started</th><th>verdict</th><th>game day</th><th>load generator</th><th>extra capacity</th><th>platform during the run</th><th>source</th></tr>
{{- range .}}<tr><td><code>{{.Suite}}/{{.RunID}}</code></td><td>{{.Experiment}}</td><td>{{stamp .Start}}</td><td>{{.Verdict}}</td><td class="n">{{derefMoney .GameDayUSD}}</td><td class="n">{{if .GameDayUSD}}{{money .LoadGeneratorUSD}}{{else}}-{{end}}</td><td class="n">{{if .GameDayUSD}}{{money .ExtraCapacityUSD}}{{else}}-{{end}}</td><td class="n">{{if .GameDayUSD}}{{money .PlatformUSD}}{{else}}-{{end}}</td><td>{{.Source}}</td></tr>{{end}}
</table>
{{- end}}
<p class="meta">cost report schema {{.R.SchemaVersion}}; the JSON report holds every line and allocation.</p>
</body>
</html>
`))
})
