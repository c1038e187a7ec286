package dora

import (
	"bytes"
	"fmt"
	"html/template"
	"math"
	"sync"
)

// chart is one trend: a bar per week, an empty slot ("no deployments" or
// no figure) where there is none.
type chart struct {
	Title, Unit   string
	Width, Height float64
	Left, Base    float64
	Max           string
	Bars          []chartBar
}

type chartBar struct {
	X, Y, W, H float64
	Label, Tip string
	Empty      bool
}

// trend draws f over the weeks (f returns nil for no figure).
func trend(title, unit string, weeks []Summary, f func(Summary) *float64, show func(float64) string) chart {
	const left, width, top, height = 50.0, 480.0, 14.0, 90.0
	c := chart{Title: title, Unit: unit, Width: left + width + 10, Height: top + height + 34, Left: left, Base: top + height}
	peak := 0.0
	for _, w := range weeks {
		if v := f(w); v != nil {
			peak = math.Max(peak, *v)
		}
	}
	if peak <= 0 {
		peak = 1
	}
	c.Max = show(peak)
	n := math.Max(float64(len(weeks)), 1)
	slot := width / n
	for i, w := range weeks {
		b := chartBar{X: left + float64(i)*slot + slot*0.15, W: slot * 0.7, Label: w.Window.From.UTC().Format("01-02")}
		v := f(w)
		switch {
		case w.NoDeployments():
			b.Empty, b.Tip = true, "week of "+day(w.Window.From)+": no deployments"
		case v == nil:
			b.Empty, b.Tip = true, "week of "+day(w.Window.From)+": no figure"
		default:
			b.H = height * *v / peak
			b.Y = top + height - b.H
			b.Tip = "week of " + day(w.Window.From) + ": " + show(*v)
		}
		c.Bars = append(c.Bars, b)
	}
	return c
}

// HTML renders r as one self-contained page (inline CSS and SVG, no
// script): per service and environment the metrics with their levels, the
// weekly trends as charts, and every deployment with its evidence.
func (r *Report) HTML() ([]byte, error) {
	type entryView struct {
		E      *Entry
		Rows   [][3]string
		Charts []chart
		Deps   [][9]string
		Months [][6]string
		// CFROnly ends the heads of the change failure rates (cfrOnly).
		CFROnly string
	}
	var views []entryView
	count := func(n int) string { return fmt.Sprintf("%.0f", float64(n)) }
	for _, e := range r.Entries {
		v := entryView{E: e, CFROnly: cfrOnly(e.Summary)}
		for i, m := range Metrics {
			rt := e.Summary.Ratings[i]
			lvl := rt.Note
			if rt.Level != "" {
				lvl = fmt.Sprintf("%s: %s (rule %s)", rt.Level, rt.Text, rt.Rule)
			}
			v.Rows = append(v.Rows, [3]string{metricNames[m], e.Summary.Figure(m), lvl})
		}
		v.Charts = []chart{
			trend("Deployments per week", "", e.Weeks, func(s Summary) *float64 { x := float64(s.Deployments); return &x }, func(x float64) string { return count(int(x)) }),
			trend("Change lead time (median)", "", e.Weeks, func(s Summary) *float64 { return s.LeadTimeSeconds }, Seconds),
			trend("Change failure rate"+v.CFROnly, "", e.Weeks, func(s Summary) *float64 { return s.ChangeFailureRate }, pct),
			trend("Failed deployment recovery time (median)", "", e.Weeks, func(s Summary) *float64 { return s.RecoverySeconds }, Seconds),
			trend("Rework rate", "", e.Weeks, func(s Summary) *float64 { return s.ReworkRate }, pct),
		}
		for _, m := range e.Months {
			row := [6]string{monthText(m.Window), "no deployments"}
			if !m.NoDeployments() {
				row = [6]string{monthText(m.Window), fmt.Sprint(m.Deployments), secOr(m.LeadTimeSeconds), pct(*m.ChangeFailureRate), secOr(m.RecoverySeconds), pct(*m.ReworkRate)}
			}
			v.Months = append(v.Months, row)
		}
		for _, d := range e.Deployments {
			v.Deps = append(v.Deps, [9]string{fmt.Sprint(d.ID), release(d), d.DeployedAt.UTC().Format("2006-01-02 15:04Z"), kindText(d),
				changesText(d), failureText(d), recoveredText(d), budgetText(d), runsText(d)})
		}
		views = append(views, v)
	}
	var b bytes.Buffer
	err := page().Execute(&b, map[string]any{"R": r, "Views": views, "From": day(r.Window.From), "To": day(r.Window.To), "Prom": promText(r.Sources)})
	return b.Bytes(), err
}

// page is parsed at its first use, not at start-up (every gameday process
// links it; few write this report).
var page = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("dora").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>DORA report {{.From}} to {{.To}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;font-size:14px;vertical-align:top}
th{background:#f4f4f4}.charts{display:flex;flex-wrap:wrap;gap:1em}.none{font-weight:bold;color:#b71c1c}
small{color:#555}
</style></head><body>
<h1>DORA report</h1>
<p>{{.From}} to {{.To}} · levels: {{.R.Levels.Cite}}, <a href="{{.R.Levels.URL}}">{{.R.Levels.URL}}</a><br>
<small>git {{.R.Sources.Git}} · Argo CD {{.R.Sources.ArgoCD}} · alerts {{.Prom}} · game days {{or .R.Sources.Runs "not read"}}</small></p>
{{range .Views}}<h2>{{.E.Service}} in {{.E.Environment}}</h2>
<p>Application {{.E.App.Namespace}}/{{.E.App.Name}} · now: sync {{or .E.App.SyncStatus "-"}}, health {{or .E.App.HealthStatus "-"}}{{if .E.App.OperationPhase}}, last operation {{.E.App.OperationPhase}}{{end}}</p>
{{if .E.Summary.NoDeployments}}<p class="none">No deployments in the window.</p>{{end}}
<table><tr><th>metric</th><th>value</th><th>level</th></tr>
{{range .Rows}}<tr><td>{{index . 0}}</td><td>{{index . 1}}</td><td>{{index . 2}}</td></tr>
{{end}}</table>
<div class="charts">{{range .Charts}}<figure><figcaption>{{.Title}}</figcaption>
<svg xmlns="http://www.w3.org/2000/svg" width="{{.Width}}" height="{{.Height}}" role="img" aria-label="{{.Title}} per week">
<line x1="{{.Left}}" y1="{{.Base}}" x2="{{.Width}}" y2="{{.Base}}" stroke="#999"/>
<text x="{{.Left}}" y="12" dx="-6" font-size="11" text-anchor="end">{{.Max}}</text>
<text x="{{.Left}}" y="{{.Base}}" dx="-6" font-size="11" text-anchor="end">0</text>
{{$base := .Base}}{{range .Bars}}{{if .Empty}}<text x="{{.X}}" y="{{$base}}" dy="-4" font-size="10" fill="#999"><title>{{.Tip}}</title>–</text>{{else}}<rect x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}" fill="#1565c0"><title>{{.Tip}}</title></rect>{{end}}
<text x="{{.X}}" y="{{$base}}" dy="14" font-size="10">{{.Label}}</text>
{{end}}</svg></figure>
{{end}}</div>
<table><tr><th>month</th><th>deployments</th><th>lead time (median)</th><th>change failure rate{{.CFROnly}}</th><th>recovery (median)</th><th>rework rate</th></tr>
{{range .Months}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>
{{if .Deps}}<h3>Deployments</h3>
<table><tr><th>id</th><th>release</th><th>when</th><th>kind</th><th>changes (lead time)</th><th>failure (evidence)</th><th>recovered</th><th>error budget burned</th><th>game days</th></tr>
{{range .Deps}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>{{end}}
{{if .E.Missing}}<p>Deployed revisions not in the repository (force-pushed history, or a stale clone); lead time unknown:</p><ul>
{{range .E.Missing}}<li><code>{{.Revision}}</code> (deployment {{.DeploymentID}}, {{.DeployedAt}})</li>{{end}}</ul>{{end}}
{{range .E.Notes}}<p><small>Note: {{.}}.</small></p>{{end}}
{{end}}{{range .R.Warnings}}<p><small>Warning: {{.}}</small></p>{{end}}
</body></html>
`))
})
