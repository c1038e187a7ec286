package slo

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/prometheus/promql/parser"
)

// Windows are the windows of the error-ratio recording rules, shortest
// first: every window of the burn-rate alerts. The SLO's own window is
// recorded too, from the 5m event rates (see Rules).
var Windows = []string{"5m", "30m", "1h", "2h", "6h", "1d", "3d"}

// A BurnAlert is one line of the multiwindow, multi-burn-rate table of the
// Google SRE Workbook ("Alerting on SLOs", table 5-8, for a 30-day SLO):
// it fires when the error ratio is above Factor × the error budget over
// both the Long and the Short window.
type BurnAlert struct {
	Severity    string  `json:"severity"`
	Factor      float64 `json:"factor"`
	Long, Short string
}

// Severities.
const (
	SeverityPage   = "page"
	SeverityTicket = "ticket"
)

// PageFactor is the fastest burn rate alerted on (2 % of a 30-day budget in
// one hour).
const PageFactor = 14.4

// BurnAlerts is the Workbook's table, in order of urgency.
var BurnAlerts = []BurnAlert{
	{SeverityPage, PageFactor, "1h", "5m"},
	{SeverityPage, 6, "6h", "30m"},
	{SeverityTicket, 3, "1d", "2h"},
	{SeverityTicket, 1, "3d", "6h"},
}

// BudgetSpent is the share of the SLO window's budget spent when the alert
// fires: factor × long window / SLO window (2 %, 5 %, 10 %, 10 % for 30d).
func (a BurnAlert) BudgetSpent(slo time.Duration) float64 {
	w, _ := ParseWindow(a.Long)
	return a.Factor * w.D.Hours() / slo.Hours()
}

// Names of the recorded series (Sloth's naming, with slo_* labels).
const (
	RecordErrorRatio = "slo:sli_error:ratio_rate" // + window
	RecordBadRate    = "slo:sli_events_bad:rate5m"
	RecordTotalRate  = "slo:sli_events_total:rate5m"
	RecordObjective  = "slo:objective:ratio"
	RecordBudget     = "slo:error_budget:ratio"
	RecordPeriodDays = "slo:time_period:days"
	RecordBurnRate   = "slo:current_burn_rate:ratio"
	RecordPeriodBurn = "slo:period_burn_rate:ratio"
	RecordRemaining  = "slo:period_error_budget_remaining:ratio"
)

// Labels of the recorded series and alerts.
const (
	LabelID      = "slo_id"
	LabelService = "slo_service"
	LabelName    = "slo_name"
)

// A RuleGroup is a Prometheus rule group.
type RuleGroup struct {
	Name  string `json:"name"`
	Rules []Rule `json:"rules"`
}

// A Rule is a recording rule (Record) or an alert (Alert).
type Rule struct {
	Record      string            `json:"record,omitempty"`
	Alert       string            `json:"alert,omitempty"`
	Expr        string            `json:"expr"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Options of the generation.
type Options struct {
	// RunbookBase is the URL the runbooks' repository paths are appended
	// to (default DefaultRunbookBase).
	RunbookBase string
}

// DefaultRunbookBase is where docs/runbooks/ is browsed.
const DefaultRunbookBase = "https://github.com/gamedayhq/gameday/blob/main/"

// Labels are the identifying labels of s's series.
func (s *SLO) Labels() map[string]string {
	return map[string]string{LabelID: s.ID(), LabelService: s.Service, LabelName: s.Name}
}

// Selector matches s's recorded series.
func (s *SLO) Selector() string { return fmt.Sprintf("{%s=%q}", LabelID, s.ID()) }

// Runbook is the repository path of s's runbook.
func (s *SLO) Runbook() string { return "docs/runbooks/slo-" + s.Name + ".md" }

// Rules are s's rule group: the recording rules, then the alerts. Only an
// SLO over Prometheus has rules (a LogQL one is evaluated by gameday slo
// report and the guard through Loki); nil otherwise.
func (s *SLO) Rules(o Options) []RuleGroup {
	if s.Source != SourcePrometheus {
		return nil
	}
	if o.RunbookBase == "" {
		o.RunbookBase = DefaultRunbookBase
	}
	l := s.Labels()
	sel := s.Selector()
	budget := num(s.Budget())
	rec := RuleGroup{Name: "slo-" + s.ID()}
	add := func(record, expr string) {
		rec.Rules = append(rec.Rules, Rule{Record: record, Expr: pretty(expr), Labels: l})
	}
	for _, w := range Windows {
		add(RecordErrorRatio+w, s.ErrorRatio(w))
	}
	bad, total := s.Events("5m")
	add(RecordBadRate, bad)
	add(RecordTotalRate, total)
	// The SLO window's error ratio: the event rates summed over the window
	// (weighted by traffic, cheap: one sample per evaluation), not a rate()
	// over 30 days of raw samples.
	win := s.Window.Text
	add(RecordErrorRatio+win, fmt.Sprintf("sum_over_time(%s%s[%s]) / sum_over_time(%s%s[%s])", RecordBadRate, sel, win, RecordTotalRate, sel, win))
	add(RecordObjective, fmt.Sprintf("vector(%s)", num(s.Objective)))
	add(RecordBudget, fmt.Sprintf("vector(%s)", budget))
	add(RecordPeriodDays, fmt.Sprintf("vector(%s)", num(s.Window.D.Hours()/24)))
	add(RecordBurnRate, fmt.Sprintf("%s5m%s / %s", RecordErrorRatio, sel, budget))
	add(RecordPeriodBurn, fmt.Sprintf("%s%s%s / %s", RecordErrorRatio, win, sel, budget))
	add(RecordRemaining, fmt.Sprintf("1 - %s%s", RecordPeriodBurn, sel))

	// The alerts go into the same group, after the recordings: rules of a
	// group are evaluated in order, so the alerts always read the ratios
	// of the same evaluation (groups run independently of one another).
	for _, a := range BurnAlerts {
		th := fmt.Sprintf("(%s * %s)", num(a.Factor), budget)
		expr := pretty(fmt.Sprintf("%s%s%s > %s and %s%s%s > %s", RecordErrorRatio, a.Long, sel, th, RecordErrorRatio, a.Short, sel, th))
		labels := map[string]string{"severity": a.Severity, "long_window": a.Long, "short_window": a.Short, "burn_factor": num(a.Factor)}
		for k, v := range l {
			labels[k] = v
		}
		rec.Rules = append(rec.Rules, Rule{Alert: s.AlertName, Expr: expr, Labels: labels, Annotations: s.annotations(a, o)})
	}
	return []RuleGroup{rec}
}

// annotations say what burns, how fast, and what it means for the budget.
func (s *SLO) annotations(a BurnAlert, o Options) map[string]string {
	objective := strconv.FormatFloat(100*s.Objective, 'f', -1, 64) + "%"
	threshold := strconv.FormatFloat(round12(100*a.Factor*s.Budget()), 'f', -1, 64) + "%"
	lasts := Human(time.Duration(float64(s.Window.D) / a.Factor))
	return map[string]string{
		"summary": fmt.Sprintf("%s (%s): the %s error budget burns %s× too fast over %s and %s",
			s.DisplayName, s.Service, s.Window, num(a.Factor), a.Long, a.Short),
		"description": fmt.Sprintf("Burning: %s. Its error ratio is above %s (%s× the %s budget of the %s objective) over both the last %s and %s. "+
			"At this rate the %s budget lasts %s; %.0f%% of it is spent by the time this fires. Routes burning most: gameday slo report --slo %s.",
			s.IndicatorText, threshold, num(a.Factor), strconv.FormatFloat(round12(100*s.Budget()), 'f', -1, 64)+"%", objective, a.Long, a.Short,
			s.Window, lasts, 100*a.BudgetSpent(s.Window.D), s.Name),
		"runbook_url": o.RunbookBase + s.Runbook(),
	}
}

// pretty formats PromQL as Prometheus' prettifier does (lines of at most
// 100 characters), so that rule files stay readable.
func pretty(q string) string {
	e, err := promql().ParseExpr(q)
	if err != nil {
		panic(fmt.Sprintf("slo: generated invalid PromQL %q: %v", q, err))
	}
	return parser.Prettify(e)
}

// num formats a number the shortest way that reads back exactly.
func num(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// Human writes a duration in days, hours and minutes (2d2h, 5h, 50m).
func Human(d time.Duration) string {
	if d <= 0 {
		return "0m"
	}
	if d < time.Minute {
		return d.Round(time.Second).String()
	}
	d = d.Round(time.Minute)
	days := d / (24 * time.Hour)
	d -= days * 24 * time.Hour
	h := d / time.Hour
	m := (d - h*time.Hour) / time.Minute
	var b strings.Builder
	if days > 0 {
		fmt.Fprintf(&b, "%dd", days)
	}
	if h > 0 {
		fmt.Fprintf(&b, "%dh", h)
	}
	if m > 0 && days == 0 {
		fmt.Fprintf(&b, "%dm", m)
	}
	if b.Len() == 0 {
		return "0m"
	}
	return b.String()
}
