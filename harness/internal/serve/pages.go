package serve

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"
	"sync"
	"time"
)

var funcs = template.FuncMap{
	"time": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05Z")
	},
	"secs": func(p *float64) string {
		if p == nil {
			return "—"
		}
		return fmt.Sprintf("%.1f s", *p)
	},
	"ms": func(p *float64) string {
		if p == nil {
			return "—"
		}
		return fmt.Sprintf("%.0f ms", *p)
	},
	"pct":   func(v float64) string { return fmt.Sprintf("%.1f%%", v) },
	"ratio": func(v float64) string { return fmt.Sprintf("%.2f%%", 100*v) },
	"pratio": func(p *float64) string {
		if p == nil {
			return "—"
		}
		return fmt.Sprintf("%.2f%%", 100**p)
	},
	"dur":   func(s float64) string { return (time.Duration(s) * time.Second).String() },
	"join":  strings.Join,
	"spark": Sparkline,
	"add":   func(a, b int) int { return a + b },
	"sel": func(a, b string) template.HTMLAttr {
		if a == b {
			return "selected"
		}
		return ""
	},
	"until": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		d := time.Until(t).Round(time.Second)
		if d < 0 {
			return "due"
		}
		return "in " + d.String()
	},
}

const layout = `{{define "layout"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · gameday</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1f2328;background:#fff}
header{background:#24292f;color:#fff;padding:.6em 1.2em;display:flex;gap:1.4em;align-items:center;flex-wrap:wrap}
header a{color:#fff;text-decoration:none}header a.on{text-decoration:underline}header b{font-size:1.1em}
main{padding:1em 1.2em;max-width:1200px}
table{border-collapse:collapse;width:100%;margin:.5em 0 1.2em}th,td{border-bottom:1px solid #d0d7de;padding:.35em .5em;text-align:left;vertical-align:top}
th{background:#f6f8fa;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}
.held{color:#1a7f37;font-weight:600}.failed{color:#cf222e;font-weight:600}.aborted{color:#9a6700;font-weight:600}.inconclusive,.error{color:#6e7781;font-weight:600}
form.filters{display:flex;gap:.6em;flex-wrap:wrap;align-items:end;margin:.5em 0}form.filters label{display:flex;flex-direction:column;font-size:12px;color:#57606a}
input,select,button{font:inherit;padding:.2em .4em}
.muted{color:#57606a}.warn{background:#fff8c5;border:1px solid #d4a72c;padding:.5em .8em}
iframe{width:100%;height:900px;border:1px solid #d0d7de}
.chart{max-width:100%;height:auto}
nav.pager{display:flex;gap:1em;margin:.5em 0}
@media (max-width:700px){td.opt,th.opt{display:none}}
</style></head><body>
<header><b>gameday</b>
<a href="/runs"{{if hasPrefix .Path "/runs"}} class="on"{{end}}>Runs</a>
<a href="/trends"{{if hasPrefix .Path "/trends"}} class="on"{{end}}>Trends</a>
<a href="/schedules"{{if hasPrefix .Path "/schedules"}} class="on"{{end}}>Schedules</a>
<a href="/capacity"{{if hasPrefix .Path "/capacity"}} class="on"{{end}}>Capacity</a>
<a href="/slo">SLO burn</a>
<a href="/kill-switch"{{if hasPrefix .Path "/kill-switch"}} class="on"{{end}}>Kill switch</a>
<span class="muted" style="margin-left:auto"><a href="{{.Path}}.json">JSON</a></span>
</header>
<main><h1>{{.Title}}</h1>
{{template "body" .Data}}
</main></body></html>{{end}}`

var pages = map[string]string{
	"runs": `{{define "body"}}
<form class="filters" method="get" action="/runs">
<label>experiment<select name="experiment"><option value="">all</option>{{range .Experiments}}<option {{sel . (index $.Filter "experiment")}}>{{.}}</option>{{end}}</select></label>
<label>target<select name="target"><option value="">all</option><option {{sel "sandbox" (index .Filter "target")}}>sandbox</option><option {{sel "kubernetes" (index .Filter "target")}}>kubernetes</option></select></label>
<label>verdict<select name="status"><option value="">all</option>{{range $s := list "held" "failed" "aborted" "inconclusive"}}<option {{sel $s (index $.Filter "status")}}>{{$s}}</option>{{end}}</select></label>
<label>since<input name="since" size="12" placeholder="7d, 2026-12-01" value="{{index .Filter "since"}}"></label>
<label>until<input name="until" size="12" placeholder="RFC 3339 or date" value="{{index .Filter "until"}}"></label>
<button type="submit">Filter</button> <a href="/runs">clear</a>
</form>
{{if .Bad}}<p class="warn">{{len .Bad}} report.json files could not be read and are left out: {{range $d, $e := .Bad}}<br><code>{{$d}}</code>: {{$e}}{{end}}</p>{{end}}
<p class="muted">{{.Total}} runs{{if gt .Pages 1}}, page {{.Page}} of {{.Pages}}{{end}}</p>
<table><thead><tr><th>started (UTC)</th><th>experiment</th><th>verdict</th><th class="n">score</th><th class="n">budget used</th><th class="opt">target</th><th class="opt">suite</th><th class="opt">schedule</th><th class="opt">run</th></tr></thead><tbody>
{{range .Runs}}<tr><td>{{time .Start}}</td><td><a href="/trends/{{.Experiment}}">{{.Experiment}}</a></td><td class="{{.Status}}"><a class="{{.Status}}" href="/runs/{{.Dir}}">{{.Status}}</a></td><td class="n">{{pct .Score}}</td><td class="n">{{pct (mul100 .BudgetConsumed)}}</td><td class="opt">{{.Target}}</td><td class="opt">{{.Suite}}</td><td class="opt">{{.Schedule}}</td><td class="opt"><a href="/runs/{{.Dir}}">{{.RunID}}</a></td></tr>
{{else}}<tr><td colspan="9" class="muted">No run matches. Runs appear here once gameday run, gate or schedule has written a report.</td></tr>{{end}}
</tbody></table>
{{if gt .Pages 1}}<nav class="pager">{{if gt .Page 1}}<a href="/runs?{{.Query}}&amp;page={{add .Page -1}}">← newer</a>{{end}}{{if lt .Page .Pages}}<a href="/runs?{{.Query}}&amp;page={{add .Page 1}}">older →</a>{{end}}</nav>{{end}}
{{end}}`,
	"run": `{{define "body"}}{{with .Run}}
<table><tbody>
<tr><th>verdict</th><td class="{{.Status}}">{{.Status}} (exit {{.ExitCode}})</td><th>score</th><td>{{pct .Score}}</td></tr>
<tr><th>experiment</th><td><a href="/trends/{{.Experiment}}">{{.Experiment}}</a></td><th>suite</th><td>{{.Suite}}{{if .Schedule}} · schedule <a href="/schedules">{{.Schedule}}</a>{{end}}</td></tr>
<tr><th>started</th><td>{{time .Start}}</td><th>lasted</th><td>{{dur .DurationSeconds}}</td></tr>
<tr><th>target</th><td>{{.Target}} ({{.Engine}})</td><th>requests</th><td>{{.Requests}}, {{ratio .ErrorRatio}} failed</td></tr>
<tr><th>time to detect</th><td>{{secs .DetectSeconds}}</td><th>time to recover</th><td>{{secs .RecoverSeconds}}</td></tr>
<tr><th>p99 during faults</th><td>{{ms .FaultP99Ms}}</td><th>errors during faults</th><td>{{pratio .FaultErrorRatio}}</td></tr>
</tbody></table>
{{if .Reasons}}<ul>{{range .Reasons}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{end}}
<p>Report files: {{range .Files}}<a href="/runs/{{$.Run.Dir}}/{{.}}">{{.}}</a> {{end}}</p>
{{if .Files}}<iframe title="report" src="/runs/{{.Run.Dir}}/report.html"></iframe>{{end}}
{{end}}`,
	"trends": `{{define "body"}}
<table><thead><tr><th>experiment</th><th class="n">runs</th><th>last run</th><th>last verdict</th><th class="n">last score</th><th>score, last 30 runs</th></tr></thead><tbody>
{{range .Experiments}}<tr><td><a href="/trends/{{.Experiment}}">{{.Experiment}}</a></td><td class="n">{{.Runs}}</td><td>{{time .Last.Start}}</td><td class="{{.Last.Status}}">{{.Last.Status}}</td><td class="n">{{pct .Last.Score}}</td><td>{{spark .Scores}}</td></tr>
{{else}}<tr><td colspan="6" class="muted">No run yet.</td></tr>{{end}}
</tbody></table>{{end}}`,
	"trend": `{{define "body"}}
<form class="filters" method="get"><label>since<input name="since" size="12" placeholder="30d" value="{{.Since}}"></label><button type="submit">Show</button></form>
<p class="muted">{{len .Runs}} runs, oldest first; each dot links to its run and is coloured by its verdict.</p>
{{range .Charts}}<h2>{{.Title}}</h2>{{.SVG}}{{end}}
{{end}}`,
	"schedules": `{{define "body"}}
{{if not .Running}}<p class="muted">No scheduler runs in this process{{if .File}}: next fires computed from {{.File}}{{end}}; last verdicts and skips come from the ledger.</p>{{end}}
<table><thead><tr><th>schedule</th><th>cron</th><th>runs</th><th>target</th><th>next fire</th><th>last start</th><th>last verdict</th><th>last skip</th></tr></thead><tbody>
{{range $it := .Items}}<tr><td>{{.Name}}{{if .Suspended}} <span class="muted">(suspended)</span>{{end}}{{if .Running}} <b>running</b>{{end}}{{if .Queued}} <i>queued</i>{{end}}</td><td><code>{{.Cron}}</code> {{.TimeZone}}</td><td>{{.Runs}}</td><td>{{.Target}}</td><td>{{time .Next}} <span class="muted">{{until .Next}}</span></td><td>{{time .LastStart}}</td><td class="{{.LastStatus}}">{{.LastStatus}}{{range .LastRunIDs}} <a href="/runs?schedule={{$it.Name}}">{{.}}</a>{{end}}</td><td>{{with .LastSkip}}{{.Reason}}: {{.Detail}}{{end}}</td></tr>
{{else}}<tr><td colspan="8" class="muted">No schedule: start gameday schedule (or serve --schedules FILE).</td></tr>{{end}}
</tbody></table>
<h2>Skipped fires</h2>
<table><thead><tr><th>fire (UTC)</th><th>schedule</th><th>reason</th><th>detail</th></tr></thead><tbody>
{{range .Skips}}<tr><td>{{time .Nominal}}</td><td>{{.Schedule}}</td><td>{{.Reason}}</td><td>{{.Detail}}</td></tr>
{{else}}<tr><td colspan="4" class="muted">No fire skipped.</td></tr>{{end}}
</tbody></table>{{end}}`,
	"killswitch": `{{define "body"}}
{{if not .Configured}}<p>No kill switch configured here (gameday schedule's spec.killSwitch, or serve --kill-switch-file / --kill-switch).</p>
{{else if .Engaged}}<p class="warn"><b>Engaged</b>: {{.Detail}}. No scheduled game day starts; runs in progress on Kubernetes abort within 2 s.</p>
{{else}}<p class="held">Released: {{.Detail}}.</p>{{end}}
{{with .Error}}<p class="warn">Could not be read: {{.}} (the scheduler treats that as engaged).</p>{{end}}{{end}}`,
	"capacities": `{{define "body"}}
<p class="muted">{{.Total}} capacity searches (gameday capacity): the highest request rate at which the SLOs held, with every zone and with one zone lost; a dot per search, green when it survives the zone loss at the production peak, red when not, grey without a peak.</p>
{{range .Charts}}<h2>{{.Title}}</h2>{{.SVG}}{{end}}
<table><thead><tr><th>started (UTC)</th><th>experiment</th><th class="opt">target</th><th class="n">every zone</th><th class="n">zone lost</th><th class="n">peak</th><th>survives</th><th class="n opt">steps</th><th class="n opt">took</th><th>search</th></tr></thead><tbody>
{{range .Searches}}<tr><td>{{time .Start}}</td><td>{{.Experiment}}</td><td class="opt">{{.Target}}</td><td class="n">{{rate .AllZones}}</td><td class="n">{{prate .ZoneDown}}{{with .Zone}} <span class="muted">({{.}})</span>{{end}}</td><td class="n">{{prate .Peak}}</td><td>{{survives .Survives .HeadroomPct}}</td><td class="n opt">{{.Steps}}</td><td class="n opt">{{dur .Seconds}}</td><td><a href="/capacity/{{.ID}}">{{.ID}}</a></td></tr>
{{else}}<tr><td colspan="10" class="muted">No capacity search yet: gameday capacity writes one.</td></tr>{{end}}
</tbody></table>{{end}}`,
	"capacity": `{{define "body"}}{{with .Search}}
<p><b>{{.Answer}}</b></p>
<table><tbody>
<tr><th>experiment</th><td>{{.Experiment}}</td><th>target</th><td>{{.Target}}</td></tr>
<tr><th>every zone</th><td>{{rate .AllZones}} ({{.AllZonesOutcome}})</td><th>{{with .Zone}}{{.}} lost{{else}}zone lost{{end}}</th><td>{{prate .ZoneDown}}{{with .ZoneDownOutcome}} ({{.}}){{end}}</td></tr>
<tr><th>peak</th><td>{{prate .Peak}}</td><th>survives</th><td>{{survives .Survives .HeadroomPct}}{{if .ReplicasNeeded}}: {{.ReplicasNeeded}} replicas needed{{end}}</td></tr>
<tr><th>started</th><td>{{time .Start}}</td><th>cost</th><td>{{.Steps}} steps, {{dur .Seconds}}, {{.Requests}} requests</td></tr>
</tbody></table>
{{with .Stopped}}<p class="warn">Stopped early: {{.}}</p>{{end}}
<p>Files: <a href="/capacity/{{.ID}}/capacity.md">capacity.md</a> <a href="/capacity/{{.ID}}/capacity.json">capacity.json</a></p>
{{end}}
{{range .Charts}}<h2>{{.Title}}</h2>{{.SVG}}{{end}}
{{with .Result}}
<h2>Steps</h2>
<p class="muted">A step holds when at most {{ratio .Criteria.MaxErrorRatio}} of its requests fail, the 90th percentile of its per-second p95 is at most {{.Criteria.MaxP95}} ms and of its p99 at most {{.Criteria.MaxP99}} ms, over its window after the warm-up (and, with a zone lost, after the survivors settled).</p>
<table><thead><tr><th class="n">step</th><th>phase</th><th class="n">rate</th><th>outcome</th><th class="n">errors</th><th class="n">p95</th><th class="n">p99</th><th class="n">sent</th><th class="n opt">requests</th><th>why</th></tr></thead><tbody>
{{range .Steps}}<tr><td class="n">{{.N}}</td><td>{{.Phase}}</td><td class="n">{{rate .Rate}}</td><td class="{{stepClass .Outcome}}">{{if .Report}}<a class="{{stepClass .Outcome}}" href="{{stepHref $.Search.ID .Report}}">{{.Outcome}}</a>{{else}}{{.Outcome}}{{end}}</td><td class="n">{{ratio .ErrorRatio}}</td><td class="n">{{printf "%.0f" .P95Ms}} ms</td><td class="n">{{printf "%.0f" .P99Ms}} ms</td><td class="n">{{ratio .Sent}}</td><td class="n opt">{{.Requests}}</td><td>{{join .Reasons "; "}}</td></tr>{{end}}
</tbody></table>
{{end}}{{end}}`,
	"message": `{{define "body"}}<p>{{.Message}}</p>{{end}}`,
	"error":   `{{define "body"}}<p class="warn">{{.Message}}</p><p><a href="/runs">Back to the runs</a></p>{{end}}`,
}

// templates are parsed at the first page served, not at start-up (every
// gameday process links them).
var templates = sync.OnceValue(func() map[string]*template.Template {
	f := template.FuncMap{
		"hasPrefix": strings.HasPrefix,
		"list":      func(s ...string) []string { return s },
		"mul100":    func(v float64) float64 { return 100 * v },
		"rate": func(v float64) string {
			if v == 0 {
				return "—"
			}
			return fmt.Sprintf("%g req/s", v)
		},
		"prate": func(p *float64) string {
			if p == nil {
				return "—"
			}
			return fmt.Sprintf("%g req/s", *p)
		},
		"survives": func(s *bool, head *float64) string {
			switch {
			case s == nil:
				return "—"
			case *s && head != nil:
				return fmt.Sprintf("yes, %.0f %% headroom", *head)
			case *s:
				return "yes"
			case head != nil:
				return fmt.Sprintf("no, %.0f %% short", -*head)
			}
			return "no"
		},
		"stepClass": func(o string) string { return map[string]string{"held": "held", "broke": "failed"}[o] + " " + o },
		"stepHref":  stepHref,
	}
	out := map[string]*template.Template{}
	for name, body := range pages {
		t := template.Must(template.New(name).Funcs(funcs).Funcs(f).Parse(layout))
		out[name] = template.Must(t.Parse(body))
	}
	return out
})

// page renders the template name inside the layout.
func page(name, title, path string, data any) ([]byte, error) {
	t, ok := templates()[name]
	if !ok {
		return nil, fmt.Errorf("no template %q", name)
	}
	var b bytes.Buffer
	err := t.ExecuteTemplate(&b, "layout", map[string]any{"Title": title, "Path": path, "Data": data})
	return b.Bytes(), err
}
