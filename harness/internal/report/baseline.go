package report

import (
	"bytes"
	"fmt"
	"html/template"
	"math"
	"strings"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/baseline"
	"github.com/gamedayhq/gameday/harness/internal/probe"
)

// PreFault is the run's pre-fault window, the steady state its baselines
// learn from: from the first probe (the load's start plus the warm-up) to
// the earliest of the first fault's injection, its planned start, the
// stop of a run that ended early, and the end of the run. A run without
// faults is steady all along.
func (r *Report) PreFault() (from, until time.Time) {
	from = r.Timings.Start.Add(time.Duration(r.Timings.WarmupSeconds * float64(time.Second)))
	until = r.Timings.End
	earlier := func(t time.Time) {
		if !t.IsZero() && t.Before(until) {
			until = t
		}
	}
	for _, f := range r.Faults {
		earlier(r.Timings.Start.Add(time.Duration(f.StartAfter * float64(time.Second))))
		if f.Result != nil {
			earlier(f.Result.Injected)
		}
	}
	if s := r.Verdict.Stop; s != nil {
		earlier(s.At)
	}
	return from, until
}

// ProbeValues are the values probe name measured within tolerance in the
// pre-fault window.
func (r *Report) ProbeValues(name string) []float64 {
	from, until := r.PreFault()
	var out []float64
	for _, p := range r.Probes {
		if p.Name != name {
			continue
		}
		for _, s := range p.SampleList {
			if s.Status == probe.StatusOK && !s.At.Before(from) && s.At.Before(until) && !math.IsNaN(s.Value) {
				out = append(out, s.Value)
			}
		}
	}
	return out
}

// SLIValues are the per-second values of the load's SLIs (baseline.SLIs)
// over the whole seconds of the pre-fault window that saw requests: the
// error ratio, p95 and p99 in milliseconds, and the requests per second
// per ready replica (from the observation in force at that second; left
// out when the engine observed none).
func (r *Report) SLIValues() map[string][]float64 {
	from, until := r.PreFault()
	out := map[string][]float64{}
	for _, p := range r.Timeline {
		at := r.Timings.Start.Add(time.Duration(p.Offset) * time.Second)
		if at.Before(from) || at.Add(time.Second).After(until) || p.Requests == 0 {
			continue
		}
		out[baseline.SLIErrorRatio] = append(out[baseline.SLIErrorRatio], 1-float64(p.Successes)/float64(p.Requests))
		out[baseline.SLIP95] = append(out[baseline.SLIP95], p.P95)
		out[baseline.SLIP99] = append(out[baseline.SLIP99], p.P99)
		if n := r.readyAt(at); n > 0 {
			out[baseline.SLIThroughput] = append(out[baseline.SLIThroughput], float64(p.Requests)/float64(n))
		}
	}
	return out
}

// readyAt is the number of ready replicas the last observation before t
// (else the first one) saw; 0 without observations.
func (r *Report) readyAt(t time.Time) int {
	var pick *int
	for _, o := range r.Observations {
		n := 0
		for _, c := range o.ReadyByZone {
			n += c
		}
		if pick == nil || !o.At.After(t) {
			pick = &n
		}
		if o.At.After(t) {
			break
		}
	}
	if pick == nil {
		return 0
	}
	return *pick
}

// sliValue formats a value of an SLI by its unit.
func sliValue(unit string, v float64) string {
	switch unit {
	case "ratio":
		return fmt.Sprintf("%.2f%%", 100*v)
	case "ms":
		return fmt.Sprintf("%.1f ms", v)
	case "req/s":
		return fmt.Sprintf("%.1f req/s", v)
	}
	return fmt.Sprintf("%.4g", v)
}

func sliName(n string) string { return strings.ReplaceAll(n, "-", " ") }

func num(v float64) string { return fmt.Sprintf("%.4g", v) }

// runsOf says which runs a baseline learnt from: "3 runs + this run".
func runsOf(st baseline.Stats) string {
	n, this := 0, false
	for _, s := range st.Sources {
		if s.Run == baseline.ThisRun {
			this = true
		} else {
			n++
		}
	}
	out := fmt.Sprintf("%d runs", n)
	if n == 1 {
		out = "1 run"
	}
	if this {
		out += " + this run"
	}
	return out
}

// baselineMarkdown is the steady-state section of report.md ("" without
// one).
func baselineMarkdown(s *baseline.Section) string {
	if s == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n### Steady state (learned baselines)\n\n")
	fmt.Fprintf(&b, "Median and MAD (scaled to σ) of the pre-fault window of this run and of %s.", s.Comparable)
	if len(s.Runs) > 0 {
		fmt.Fprintf(&b, " Source runs, newest first: %s.", "`"+strings.Join(s.Runs, "`, `")+"`")
	}
	if s.Note != "" {
		fmt.Fprintf(&b, " %s.", s.Note)
	}
	b.WriteString("\n")
	if len(s.SLIs) > 0 {
		b.WriteString("\n| SLI | this run | baseline | MAD | learnt from |\n|---|---|---|---|---|\n")
		for _, l := range s.SLIs {
			this := "-"
			if l.ThisRun != nil {
				this = sliValue(l.Unit, *l.ThisRun)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s, %d seconds |\n", sliName(l.Name), this, sliValue(l.Unit, l.Baseline.Median),
				sliValue(l.Unit, l.Baseline.MAD), runsOf(l.Baseline), l.Baseline.Samples)
		}
	}
	if len(s.Probes) > 0 {
		b.WriteString("\n| probe | relative tolerance | baseline | MAD | bound | margin | learnt from | note |\n|---|---|---|---|---|---|---|---|\n")
		for _, p := range s.Probes {
			bound, margin := "-", "-"
			if p.Bound != nil {
				bound, margin = num(*p.Bound), num(*p.Margin)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s, %d samples | %s |\n", p.Probe, mdCell(p.Rule), num(p.Baseline.Median),
				num(p.Baseline.MAD), bound, margin, runsOf(p.Baseline), p.Baseline.Samples, mdCell(p.Note))
		}
	}
	return b.String()
}

var baselineTemplate = template.Must(template.New("baselines").Funcs(template.FuncMap{
	"sli": sliValue, "sliName": sliName, "num": num, "runs": runsOf,
	"deref": func(p *float64) float64 { return *p },
}).Parse(`
<h2>Steady state (learned baselines)</h2>
<p>Median and MAD (scaled to σ) of the pre-fault window of this run and of {{.Comparable}}.{{with .Runs}} Source runs, newest first: {{range $i, $r := .}}{{if $i}}, {{end}}<code>{{$r}}</code>{{end}}.{{end}}{{with .Note}} {{.}}.{{end}}</p>
{{- with .SLIs}}
<table>
<tr><th>SLI</th><th>this run</th><th>baseline</th><th>MAD</th><th>learnt from</th></tr>
{{- range .}}{{$unit := .Unit}}
<tr><td>{{sliName .Name}}</td><td>{{with .ThisRun}}{{sli $unit (deref .)}}{{else}}-{{end}}</td><td>{{sli .Unit .Baseline.Median}}</td><td>{{sli .Unit .Baseline.MAD}}</td><td>{{runs .Baseline}}, {{.Baseline.Samples}} seconds</td></tr>
{{- end}}
</table>
{{- end}}
{{- with .Probes}}
<table>
<tr><th>probe</th><th>relative tolerance</th><th>baseline</th><th>MAD</th><th>bound</th><th>margin</th><th>learnt from</th><th>note</th></tr>
{{- range .}}
<tr><td><code>{{.Probe}}</code></td><td>{{.Rule}}</td><td>{{num .Baseline.Median}}</td><td>{{num .Baseline.MAD}}</td><td>{{with .Bound}}{{num (deref .)}}{{else}}-{{end}}</td><td>{{with .Margin}}{{num (deref .)}}{{else}}-{{end}}</td><td>{{runs .Baseline}}, {{.Baseline.Samples}} samples</td><td>{{.Note}}</td></tr>
{{- end}}
</table>
{{- end}}
`))

// baselineHTML is the steady-state section of report.html ("" without
// one).
func baselineHTML(s *baseline.Section) (template.HTML, error) {
	if s == nil {
		return "", nil
	}
	var b bytes.Buffer
	if err := baselineTemplate.Execute(&b, s); err != nil {
		return "", err
	}
	return template.HTML(b.String()), nil
}
