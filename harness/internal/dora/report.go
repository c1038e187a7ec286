package dora

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// ReportSchema is the version of the report's JSON.
const ReportSchema = "gameday.dev/dora-report/v1"

// Report is the DORA report of every service and environment asked for.
type Report struct {
	SchemaVersion string    `json:"schemaVersion"`
	At            time.Time `json:"at"`
	Window        Window    `json:"window"`
	// Levels names the report the levels come from.
	Levels  *Levels  `json:"levels"`
	Sources Sources  `json:"sources"`
	Entries []*Entry `json:"services"`
	// Warnings are what could not be read (a report.json, ...).
	Warnings []string `json:"warnings,omitempty"`
}

// Sources say where the figures come from.
type Sources struct {
	Git        string            `json:"git"`
	ArgoCD     string            `json:"argocd"`
	Prometheus map[string]string `json:"prometheus,omitempty"`
	AlertMatch string            `json:"alertMatch,omitempty"`
	Runs       string            `json:"runs,omitempty"`
	// FailureWindowSeconds: an alert starting this long after a
	// deployment fails it.
	FailureWindowSeconds float64 `json:"failureWindowSeconds"`
}

// Entry is one service in one environment.
type Entry struct {
	*Analysis
	Summary Summary   `json:"summary"`
	Weeks   []Summary `json:"weeks"`
	Months  []Summary `json:"months"`
	// Deployments are those of the window, newest first.
	Deployments []Deployment `json:"deployments"`
	Missing     []Missing    `json:"missingRevisions,omitempty"`
	Notes       []string     `json:"notes,omitempty"`
}

// NewEntry summarises a over w, per week and per month.
func NewEntry(a *Analysis, w Window, lv *Levels) *Entry {
	e := &Entry{Analysis: a, Summary: Summarize(a, w, lv), Notes: a.Notes}
	for _, b := range Weeks(w) {
		e.Weeks = append(e.Weeks, Summarize(a, b, nil))
	}
	for _, b := range Months(w) {
		e.Months = append(e.Months, Summarize(a, b, nil))
	}
	for i := len(a.Deployments) - 1; i >= 0; i-- {
		if d := a.Deployments[i]; w.Contains(d.DeployedAt) {
			e.Deployments = append(e.Deployments, d)
		}
	}
	for _, m := range a.Missing {
		if w.Contains(m.DeployedAt) {
			e.Missing = append(e.Missing, m)
		}
	}
	return e
}

// JSON renders r as indented JSON.
func (r *Report) JSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	err := enc.Encode(r)
	return b.Bytes(), err
}

// metricNames are the metrics' names for people.
var metricNames = map[string]string{
	MetricDeploymentFrequency: "Deployment frequency",
	MetricChangeLeadTime:      "Change lead time",
	MetricChangeFailureRate:   "Change failure rate",
	MetricRecoveryTime:        "Failed deployment recovery time",
	MetricReworkRate:          "Rework rate",
}

// Figure is a summary's figure of metric for people ("no deployments"
// when the span had none).
func (s Summary) Figure(metric string) string {
	if s.NoDeployments() {
		return "no deployments"
	}
	switch metric {
	case MetricDeploymentFrequency:
		return fmt.Sprintf("%d in %s (%s)", s.Deployments, Seconds(s.Window.To.Sub(s.Window.From).Seconds()), perText(*s.PerDay))
	case MetricChangeLeadTime:
		if s.LeadTimeSeconds == nil {
			return "no change with a known lead time"
		}
		t := fmt.Sprintf("median %s over %d changes", Seconds(*s.LeadTimeSeconds), s.Changes)
		if s.NegativeLeadTimes > 0 {
			t += fmt.Sprintf(", %d negative (clock skew)", s.NegativeLeadTimes)
		}
		return t
	case MetricChangeFailureRate:
		t := fmt.Sprintf("%s (%d of %d)", pct(*s.ChangeFailureRate), s.Failed, s.Deployments)
		if s.ChangeFailureRateExcludes != "" {
			t += "; excludes " + s.ChangeFailureRateExcludes
		}
		return t
	case MetricRecoveryTime:
		t := "no failed deployment"
		if s.RecoverySeconds != nil {
			t = fmt.Sprintf("median %s over %d recovered", Seconds(*s.RecoverySeconds), s.Recovered)
		} else if s.Unrecovered > 0 {
			t = "none recovered yet"
		}
		if s.Unrecovered > 0 {
			t += fmt.Sprintf(", %d still failing", s.Unrecovered)
		}
		return t
	case MetricReworkRate:
		return fmt.Sprintf("%s (%d of %d)", pct(*s.ReworkRate), s.Rework, s.Deployments)
	}
	return ""
}

func perText(perDay float64) string {
	switch {
	case perDay >= 1:
		return fmt.Sprintf("%.1f a day", perDay)
	case perDay*7 >= 1:
		return fmt.Sprintf("%.1f a week", perDay*7)
	}
	return fmt.Sprintf("%.1f a month", perDay*30)
}

func pct(f float64) string {
	s := fmt.Sprintf("%.1f", 100*f)
	return strings.TrimSuffix(s, ".0") + " %"
}

func (r Rating) text() string {
	switch {
	case r.Level != "":
		return fmt.Sprintf("**%s** (%s; rule %s)", r.Level, r.Text, r.Rule)
	case r.Note != "":
		return r.Note
	}
	return "-"
}

// Markdown renders r for a terminal or a pull request.
func (r *Report) Markdown() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "## DORA report, %s to %s\n\n", day(r.Window.From), day(r.Window.To))
	fmt.Fprintf(&b, "Levels: %s, <%s>. Git %s; Argo CD %s; alerts %s.\n\n", r.Levels.Cite(), r.Levels.URL, r.Sources.Git, r.Sources.ArgoCD, promText(r.Sources))
	for _, e := range r.Entries {
		fmt.Fprintf(&b, "### %s in %s (Application %s/%s)\n\n", e.Service, e.Environment, e.App.Namespace, e.App.Name)
		fmt.Fprintf(&b, "Now: sync %s", orDash(e.App.SyncStatus))
		if e.App.SyncRevision != "" {
			fmt.Fprintf(&b, " at %s", short(e.App.SyncRevision))
		}
		fmt.Fprintf(&b, ", health %s", orDash(e.App.HealthStatus))
		if e.App.OperationPhase != "" {
			fmt.Fprintf(&b, ", last operation %s", e.App.OperationPhase)
		}
		b.WriteString(".\n\n")
		if e.Summary.NoDeployments() {
			b.WriteString("**No deployments** in the window.\n\n")
		}
		b.WriteString("| metric | value | level |\n|---|---|---|\n")
		for i, m := range Metrics {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", metricNames[m], e.Summary.Figure(m), e.Summary.Ratings[i].text())
		}
		for _, t := range []struct {
			head  string
			spans []Summary
			label func(Window) string
		}{{"week of", e.Weeks, func(w Window) string { return day(w.From) }}, {"month", e.Months, monthText}} {
			fmt.Fprintf(&b, "\n| %s | deployments | lead time | change failure rate%s | recovery | rework |\n|---|---|---|---|---|---|\n", t.head, cfrOnly(e.Summary))
			for _, w := range t.spans {
				if w.NoDeployments() {
					fmt.Fprintf(&b, "| %s | no deployments | | | | |\n", t.label(w.Window))
					continue
				}
				fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s |\n", t.label(w.Window), w.Deployments, secOr(w.LeadTimeSeconds), pct(*w.ChangeFailureRate), secOr(w.RecoverySeconds), pct(*w.ReworkRate))
			}
		}
		if len(e.Deployments) > 0 {
			b.WriteString("\n| deployment | revision | when | kind | changes (lead time) | failure | recovered | error budget burned | game days |\n|---|---|---|---|---|---|---|---|---|\n")
			for _, d := range e.Deployments {
				fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %s | %s | %s | %s |\n", d.ID, md(release(d)), d.DeployedAt.UTC().Format("2006-01-02 15:04Z"), kindText(d),
					md(changesText(d)), md(failureText(d)), recoveredText(d), md(budgetText(d)), md(runsText(d)))
			}
		}
		if len(e.Missing) > 0 {
			fmt.Fprintf(&b, "\n%s not in the repository (force-pushed history, or a stale clone): lead time unknown:\n", plural(len(e.Missing), "deployed revision is", "deployed revisions are"))
			for _, m := range e.Missing {
				fmt.Fprintf(&b, "- `%s` (deployment %d, %s)\n", m.Revision, m.DeploymentID, m.DeployedAt.UTC().Format(time.RFC3339))
			}
		}
		for _, n := range e.Notes {
			fmt.Fprintf(&b, "\nNote: %s.\n", n)
		}
		b.WriteString("\n")
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(&b, "Warning: %s\n", w)
	}
	return b.Bytes()
}

// cfrOnly ends the head of a column or chart of change failure rates: it
// says when they count rollbacks and failed gates only.
func cfrOnly(s Summary) string {
	if s.ChangeFailureRateExcludes != "" {
		return " (rollbacks and failed gates only: no alerts read)"
	}
	return ""
}

func promText(s Sources) string {
	if len(s.Prometheus) == 0 {
		return "not read (no --prometheus-url)"
	}
	var parts []string
	for _, env := range sortedKeys(s.Prometheus) {
		parts = append(parts, env+" "+s.Prometheus[env])
	}
	return fmt.Sprintf("ALERTS{%s} from %s", s.AlertMatch, strings.Join(parts, ", "))
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func secOr(p *float64) string {
	if p == nil {
		return "-"
	}
	return Seconds(*p)
}

func md(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ") }

func release(d Deployment) string {
	t := short(d.Revision)
	if len(d.Tags) > 0 {
		t = strings.Join(d.Tags, ", ") + " (" + t + ")"
	}
	return t
}

func kindText(d Deployment) string {
	t := d.Kind
	switch {
	case d.Baseline:
		t += ", baseline"
	case d.RevisionMissing:
		t += ", revision not in the repository"
	}
	if d.Rework {
		t += fmt.Sprintf(", rework for %d", d.ReworkFor)
	}
	return t
}

func changesText(d Deployment) string {
	switch {
	case d.Baseline:
		return "not delimited (no earlier revision)"
	case d.RevisionMissing:
		return "unknown"
	case d.Kind == KindRedeploy:
		return "same revision"
	}
	var parts []string
	for _, c := range d.Changes {
		p := fmt.Sprintf("%s %s (%s)", short(c.Head)[:7], c.Subject, Seconds(c.Seconds))
		if c.Negative {
			p += " negative: clock skew"
		}
		parts = append(parts, p)
	}
	if d.Redeployed > 0 {
		parts = append(parts, fmt.Sprintf("%d shipped before", d.Redeployed))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "; ")
}

func failureText(d Deployment) string {
	if d.Failure == nil {
		return "-"
	}
	var parts []string
	for _, e := range d.Failure.Evidence {
		parts = append(parts, fmt.Sprintf("%s: %s [%s]", e.Kind, e.Detail, e.Ref))
	}
	return strings.Join(parts, "; ")
}

func recoveredText(d Deployment) string {
	switch f := d.Failure; {
	case f == nil:
		return "-"
	case f.RecoverySeconds == nil:
		return "not yet"
	default:
		return fmt.Sprintf("in %s (%s)", Seconds(*f.RecoverySeconds), f.RecoveredBy)
	}
}

func budgetText(d Deployment) string {
	var parts []string
	for _, b := range d.Budget {
		if b.Budget == nil {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %s of %s", b.SLO, pct(*b.Budget), b.Window))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

func runsText(d Deployment) string {
	var parts []string
	for _, r := range d.Runs {
		parts = append(parts, r.Experiment+" "+r.Status)
	}
	for _, r := range d.VersionRuns {
		parts = append(parts, r.Environment+": "+r.Experiment+" "+r.Status)
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// monthText names a month span: "2026-10", or "2026-10, days 5-31" when
// the window clips it.
func monthText(w Window) string {
	from, last := w.From.UTC(), w.To.UTC().Add(-time.Nanosecond)
	t := from.Format("2006-01")
	if from.Day() != 1 || last.AddDate(0, 0, 1).Day() != 1 {
		t += fmt.Sprintf(", days %d-%d", from.Day(), last.Day())
	}
	return t
}
