package report

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"
)

// Comparison is the regression gate's section (written by internal/
// regression): the run's metrics per fault window, aligned on injection
// times, against a reference run or a baseline of runs.
type Comparison struct {
	// Mode is last-passed, run or baseline; Reference lists the runs
	// compared with (suite/run-id), newest first.
	Mode      string   `json:"mode"`
	Reference []string `json:"reference"`
	// Note says what could not be compared (no reference, too few runs).
	Note string          `json:"note,omitempty"`
	Rows []ComparisonRow `json:"rows"`
	// Regressed: some row regressed. Failed: the gate fails (a regression,
	// or no reference when the suite says whenNoReference: fail).
	Regressed bool `json:"regressed"`
	Failed    bool `json:"failed"`
	// Reasons say why the gate failed.
	Reasons []string `json:"reasons,omitempty"`
}

// The verdicts of a comparison row.
const (
	RowOK          = "ok"
	RowBetter      = "better"
	RowRegressed   = "regressed"
	RowNotCompared = "not compared"
)

// ComparisonRow is one metric of one fault window (Fault "" for the
// run-wide score).
type ComparisonRow struct {
	Fault  string `json:"fault,omitempty"`
	Metric string `json:"metric"`
	// Unit is s, ms, ratio or points.
	Unit      string   `json:"unit"`
	Current   *float64 `json:"current"`
	Reference *float64 `json:"reference"`
	// Spread is the reference's MAD (baseline mode).
	Spread *float64 `json:"spread,omitempty"`
	// Delta is Current − Reference; Allowed the largest worsening that is
	// not a regression (the widest of the threshold's allowances).
	Delta   *float64 `json:"delta,omitempty"`
	Allowed *float64 `json:"allowed,omitempty"`
	Verdict string   `json:"verdict"`
	Note    string   `json:"note,omitempty"`
}

// Name is the row's name: "kill-one-replica time to recover".
func (r ComparisonRow) Name() string {
	m := strings.ReplaceAll(r.Metric, "-", " ")
	if r.Fault == "" {
		return m
	}
	return r.Fault + " " + m
}

// value formats a value of the row's unit ("-" for none).
func (r ComparisonRow) value(v *float64) string {
	if v == nil {
		return "-"
	}
	switch r.Unit {
	case "s":
		return fmt.Sprintf("%.1f s", *v)
	case "ms":
		return fmt.Sprintf("%.0f ms", *v)
	case "ratio":
		return fmt.Sprintf("%.2f%%", 100**v)
	case "points":
		return fmt.Sprintf("%.1f", *v)
	}
	return fmt.Sprintf("%.4g", *v)
}

// signed formats a change of the row's unit with its sign.
func (r ComparisonRow) signed(v *float64) string {
	s := r.value(v)
	if v != nil && *v >= 0 {
		s = "+" + s
	}
	return s
}

// Cells are the row's cells as the reports show them: metric, current,
// reference (± spread), change, allowed, verdict, note.
func (r ComparisonRow) Cells() []string {
	ref := r.value(r.Reference)
	if r.Spread != nil {
		ref += " ± " + r.value(r.Spread)
	}
	return []string{r.Name(), r.value(r.Current), ref, r.signed(r.Delta), r.signed(r.Allowed), r.Verdict, r.Note}
}

// Headline says the outcome in a sentence.
func (c *Comparison) Headline() string {
	what := "last run that held"
	switch c.Mode {
	case "run":
		what = "run"
	case "baseline":
		what = fmt.Sprintf("baseline of %d runs", len(c.Reference))
	}
	ref := strings.Join(c.Reference, ", ")
	switch {
	case len(c.Reference) == 0:
		return "Not compared: " + c.Note
	case c.Regressed:
		n := 0
		for _, r := range c.Rows {
			if r.Verdict == RowRegressed {
				n++
			}
		}
		return fmt.Sprintf("REGRESSED against the %s (%s): %d of %d metrics worse beyond their thresholds", what, ref, n, len(c.Rows))
	}
	return fmt.Sprintf("No regression against the %s (%s)", what, ref)
}

// comparisonMarkdown is the regression section of report.md ("" without
// one).
func comparisonMarkdown(c *Comparison) string {
	if c == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n### Regression gate\n\n")
	fmt.Fprintf(&b, "**%s.**", c.Headline())
	if c.Note != "" && len(c.Reference) > 0 {
		fmt.Fprintf(&b, " %s.", c.Note)
	}
	b.WriteString(" Per fault window, aligned on the injection times.\n")
	if len(c.Rows) > 0 {
		b.WriteString("\n| metric | this run | reference | change | allowed | verdict | note |\n|---|---|---|---|---|---|---|\n")
		for _, r := range c.Rows {
			cells := r.Cells()
			for i := range cells {
				cells[i] = mdCell(cells[i])
			}
			if r.Verdict == RowRegressed {
				cells[5] = "**REGRESSED**"
			}
			fmt.Fprintf(&b, "| %s |\n", strings.Join(cells, " | "))
		}
	}
	for _, r := range c.Reasons {
		fmt.Fprintf(&b, "\n- %s", mdCell(r))
	}
	if len(c.Reasons) > 0 {
		b.WriteString("\n")
	}
	return b.String()
}

var comparisonTemplate = template.Must(template.New("comparison").Parse(`
<h2>Regression gate</h2>
<p><strong>{{.C.Headline}}.</strong>{{if and .C.Note .C.Reference}} {{.C.Note}}.{{end}} Per fault window, aligned on the injection times.</p>
{{- if .Rows}}
<table>
<tr><th>metric</th><th>this run</th><th>reference</th><th>change</th><th>allowed</th><th>verdict</th><th>note</th></tr>
{{- range .Rows}}
<tr>{{range $i, $c := .Cells}}{{if eq $i 5}}<td class="{{if eq $c "regressed"}}fail{{else if eq $c "not compared"}}skipped{{else}}pass{{end}}">{{$c}}</td>{{else}}<td>{{$c}}</td>{{end}}{{end}}</tr>
{{- end}}
</table>
{{- end}}
{{- with .C.Reasons}}
<ul class="reasons">{{range .}}<li>{{.}}</li>{{end}}</ul>
{{- end}}
`))

// comparisonHTML is the regression section of report.html.
func comparisonHTML(c *Comparison) (template.HTML, error) {
	if c == nil {
		return "", nil
	}
	rows := make([]struct{ Cells []string }, len(c.Rows))
	for i, r := range c.Rows {
		rows[i].Cells = r.Cells()
	}
	var b bytes.Buffer
	if err := comparisonTemplate.Execute(&b, map[string]any{"C": c, "Rows": rows}); err != nil {
		return "", err
	}
	return template.HTML(b.String()), nil
}
