package slo

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/prometheus/common/model"

	"github.com/gamedayhq/gameday/harness/internal/logql"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// Sources of an indicator.
const (
	SourcePrometheus = "Prometheus"
	SourceLoki       = "Loki"
)

// An SLO is one objective of a Service over an indicator, resolved from the
// OpenSLO objects and validated: what the rules, the report and the guard
// work from.
type SLO struct {
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
	Description string `json:"description,omitempty"`
	Service     string `json:"service"`
	File        string `json:"file"`
	// Objective is the target ratio of good events, in (0, 1).
	Objective float64 `json:"objective"`
	// Window is the rolling window of the error budget.
	Window Window `json:"window"`
	// Source is SourcePrometheus or SourceLoki.
	Source string `json:"source"`
	// Indicator names the SLI; IndicatorText says what it counts.
	Indicator     string `json:"indicator"`
	IndicatorText string `json:"indicatorText"`
	// Good or Bad (one is empty) and Total are the counter queries as
	// written: PromQL over counters, or LogQL log queries whose lines are
	// counted.
	Good  string `json:"good,omitempty"`
	Bad   string `json:"bad,omitempty"`
	Total string `json:"total"`
	// AlertName names the burn-rate alerts; RouteLabel tells routes apart.
	AlertName  string `json:"alertName"`
	RouteLabel string `json:"routeLabel"`
	// Budgeting is how the budget is counted: Occurrences (bad events among
	// all events: a ratioMetric) or Timeslices (bad time slices among the
	// slices measured: a thresholdMetric, LogQL only).
	Budgeting string `json:"budgetingMethod"`
	// Threshold is the indicator of a Timeslices SLO (nil otherwise); its
	// Total is then the log query of the indicator's lines (the events the
	// guard counts before it judges a burn).
	Threshold *Threshold `json:"threshold,omitempty"`
}

// Budgeting methods.
const (
	Occurrences = "Occurrences"
	Timeslices  = "Timeslices"
)

// A Threshold is a Timeslices indicator: Query gives one value per time
// slice (e.g. the p99 of unwrapped durations over the slice), and a slice
// is good when that value meets Op Value.
type Threshold struct {
	// Query is a LogQL metric query over [Slice] with one range
	// aggregation, returning one series.
	Query string `json:"query"`
	// Op is lte, lt, gte or gt.
	Op    string  `json:"op"`
	Value float64 `json:"value"`
	// Slice is the time slice (timeSliceWindow): the query's range.
	Slice Window `json:"timeSliceWindow"`
}

// Good reports whether a slice's value meets the objective.
func (t *Threshold) Good(v float64) bool {
	switch t.Op {
	case "lt":
		return v < t.Value
	case "gte":
		return v >= t.Value
	case "gt":
		return v > t.Value
	}
	return v <= t.Value
}

// Symbol is Op as an operator: <=, <, >=, >.
func (t *Threshold) Symbol() string {
	return map[string]string{"lte": "<=", "lt": "<", "gte": ">=", "gt": ">"}[t.Op]
}

// ID is the SLO's identity in rules and reports: service-name.
func (s *SLO) ID() string { return s.Service + "-" + s.Name }

// Budget is the error budget ratio, 1 - objective, rounded to 12
// significant digits (so 0.999 gives 0.001, not 0.0010000000000000009).
func (s *SLO) Budget() float64 { return round12(1 - s.Objective) }

func round12(x float64) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'g', 12, 64), 64)
	return v
}

// A Window is a duration written in OpenSLO's shorthand (e.g. 30d),
// which is also a PromQL duration.
type Window struct {
	Text string        `json:"text"`
	D    time.Duration `json:"seconds"`
}

func (w Window) String() string { return w.Text }

// MarshalText writes the shorthand.
func (w Window) MarshalText() ([]byte, error) { return []byte(w.Text), nil }

var shorthand = regexp.MustCompile(`^([1-9][0-9]{0,5})([mhdw])$`)

// ParseWindow reads a rolling window in OpenSLO's duration shorthand with
// the units Prometheus shares (m, h, d, w).
func ParseWindow(s string) (Window, error) {
	m := shorthand.FindStringSubmatch(s)
	if m == nil {
		if regexp.MustCompile(`^[1-9][0-9]*[MQY]$`).MatchString(s) {
			return Window{}, fmt.Errorf("unknown window %q: months, quarters and years are calendar units; write the rolling window in days, e.g. 30d", s)
		}
		return Window{}, fmt.Errorf("unknown window %q: want a number and a unit m, h, d or w, e.g. 30d or 4w", s)
	}
	n, _ := strconv.Atoi(m[1])
	unit := map[string]time.Duration{"m": time.Minute, "h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour}[m[2]]
	return Window{Text: s, D: time.Duration(n) * unit}, nil
}

// Limits of an SLO window: the longest alert window must fit in it.
const (
	MinWindow = 3 * 24 * time.Hour
	MaxWindow = 366 * 24 * time.Hour
)

// A Set is every SLO read from a directory, in file order.
type Set struct {
	SLOs     []*SLO
	Services map[string]string // name → description
	Files    []string
}

// Find returns the SLO named name (its name or its ID).
func (s *Set) Find(name string) *SLO {
	for _, o := range s.SLOs {
		if o.Name == name || o.ID() == name {
			return o
		}
	}
	return nil
}

// Load reads every OpenSLO file in paths (files, or directories walked for
// *.yaml and *.yml; a README or other files are ignored), resolves
// indicator references across files and validates every SLO. The error is
// a spec.ErrorList naming file:line:col and the field of every problem; its
// exit code is 2 (invalid input).
func Load(paths ...string) (*Set, error) {
	files, err := yamlFiles(paths)
	if err != nil {
		return nil, err
	}
	set := &Set{Services: map[string]string{}, Files: files}
	type sloDoc struct {
		doc *spec.Document
		obj SLOObject
	}
	var slos []sloDoc
	slis := map[string]*SLIObject{}
	var errs spec.ErrorList
	add := func(err error) {
		var l spec.ErrorList
		if errors.As(err, &l) {
			errs = append(errs, l...)
		} else if err != nil {
			errs = append(errs, &spec.Error{Msg: err.Error()})
		}
	}
	seen := map[string]*spec.Document{}
	for _, f := range files {
		docs, err := spec.ParseFileDocuments(f)
		add(err)
		for _, d := range docs {
			switch kind := d.Str("kind"); kind {
			case KindSLO:
				var o SLOObject
				if d.Decode(&o) && header(d, o.APIVersion, o.Metadata, seen, kind) {
					slos = append(slos, sloDoc{d, o})
				}
			case KindSLI:
				var o SLIObject
				if d.Decode(&o) && header(d, o.APIVersion, o.Metadata, seen, kind) {
					// Its errors are reported here, in its own document; an
					// SLO referring to a broken SLI says nothing more.
					indicator(d, []any{"spec"}, &o.Spec, &SLO{})
					slis[o.Metadata.Name] = &o
					if d.Errors() != nil {
						slis[o.Metadata.Name] = nil
					}
				}
			case KindService:
				var o ServiceObject
				if d.Decode(&o) && header(d, o.APIVersion, o.Metadata, seen, kind) {
					set.Services[o.Metadata.Name] = o.Spec.Description
				}
			case "":
				d.Errorf([]any{"kind"}, "required: one of %s, %s, %s", KindSLO, KindSLI, KindService)
			default:
				d.Errorf([]any{"kind"}, "kind %q is not read by gameday: use %s, %s or %s", kind, KindSLO, KindSLI, KindService)
			}
			add(d.Errors())
		}
	}
	for _, s := range slos {
		o := resolve(s.doc, &s.obj, slis, set.Services)
		add(s.doc.Errors())
		if o != nil && s.doc.Errors() == nil {
			set.SLOs = append(set.SLOs, o)
		}
	}
	if len(errs) > 0 {
		return nil, sorted(errs)
	}
	if len(set.SLOs) == 0 {
		return nil, spec.ErrorList{{File: strings.Join(paths, ", "), Msg: "no SLO found: write OpenSLO v1 files (apiVersion: openslo/v1, kind: SLO)"}}
	}
	return set, nil
}

// sorted is errs through an error of package spec (sorted, no duplicates).
func sorted(errs spec.ErrorList) error {
	slices.SortStableFunc(errs, func(a, b *spec.Error) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Column - b.Column
	})
	return errs
}

var rfc1123 = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

// header checks apiVersion and metadata.name of any kind, and that no two
// objects of a kind share a name.
func header(d *spec.Document, version string, m Metadata, seen map[string]*spec.Document, kind string) bool {
	ok := true
	if version != APIVersion {
		d.Errorf([]any{"apiVersion"}, "must be %q, not %q", APIVersion, version)
		ok = false
	}
	if !rfc1123.MatchString(m.Name) {
		d.Errorf([]any{"metadata", "name"}, "%q: want at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit (RFC 1123)", m.Name)
		ok = false
	}
	key := kind + "/" + m.Name
	if prev, dup := seen[key]; dup && ok {
		d.Errorf([]any{"metadata", "name"}, "a %s named %q is already defined in %s", kind, m.Name, prev.File())
		ok = false
	}
	seen[key] = d
	return ok
}

// resolve validates one SLO and builds it; errors are recorded in d.
func resolve(d *spec.Document, o *SLOObject, slis map[string]*SLIObject, services map[string]string) *SLO {
	sp := o.Spec
	out := &SLO{
		Name: o.Metadata.Name, DisplayName: o.Metadata.DisplayName, Description: sp.Description,
		Service: sp.Service, File: d.File(), RouteLabel: "uri",
	}
	if out.DisplayName == "" {
		out.DisplayName = out.Name
	}
	if _, ok := services[sp.Service]; !ok {
		known := sortedKeys(services)
		d.Errorf([]any{"spec", "service"}, "unknown service %q: define it (kind: Service) in a file of the same directory; known: %s", sp.Service, orNone(known))
	}
	for k, v := range o.Metadata.Annotations {
		p := []any{"metadata", "annotations", k}
		switch k {
		case AnnotationAlertName:
			if !regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`).MatchString(v) {
				d.Errorf(p, "%q is not a Prometheus alert name ([A-Za-z_][A-Za-z0-9_]*)", v)
			}
			out.AlertName = v
		case AnnotationRouteLabel:
			if !regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`).MatchString(v) {
				d.Errorf(p, "%q is not a Prometheus label name", v)
			}
			out.RouteLabel = v
		default:
			if strings.HasPrefix(k, "gameday.dev/") {
				d.Errorf(p, "unknown gameday annotation: %s or %s", AnnotationAlertName, AnnotationRouteLabel)
			}
		}
	}
	if out.AlertName == "" {
		out.AlertName = camel(out.Name) + "ErrorBudgetBurn"
	}

	// The window.
	switch {
	case len(sp.TimeWindow) != 1:
		d.Errorf([]any{"spec", "timeWindow"}, "want exactly one window (OpenSLO), got %d", len(sp.TimeWindow))
	default:
		tw := sp.TimeWindow[0]
		p := []any{"spec", "timeWindow", 0}
		if tw.Calendar != nil || !tw.IsRolling {
			d.Errorf(append(p, "isRolling"), "must be true: gameday computes rolling windows only (calendar-aligned windows are not supported)")
		}
		w, err := ParseWindow(tw.Duration)
		switch {
		case err != nil:
			d.Errorf(append(p, "duration"), "%s", err)
		case w.D < MinWindow || w.D > MaxWindow:
			d.Errorf(append(p, "duration"), "%s: want a window from 3d (the longest alert window) to 366d", w)
		}
		out.Window = w
	}
	out.Budgeting = sp.BudgetingMethod
	switch methods := []string{Occurrences, Timeslices, "RatioTimeslices"}; sp.BudgetingMethod {
	case Occurrences, Timeslices:
	case "RatioTimeslices":
		d.Errorf([]any{"spec", "budgetingMethod"}, "%s is not supported: gameday budgets Occurrences (good events / all events) or Timeslices (good slices / all slices)", sp.BudgetingMethod)
	default:
		d.Errorf([]any{"spec", "budgetingMethod"}, "must be one of %s, not %q", strings.Join(methods, ", "), sp.BudgetingMethod)
	}

	// The indicator.
	var sli *SLISpec
	ip := []any{"spec", "indicator"}
	switch {
	case (sp.Indicator == nil) == (sp.IndicatorRef == ""):
		d.Errorf([]any{"spec"}, "set exactly one of indicator and indicatorRef")
	case sp.Indicator != nil:
		sli = &sp.Indicator.Spec
		out.Indicator, out.IndicatorText = sp.Indicator.Metadata.Name, cmp.Or(sp.Indicator.Metadata.DisplayName, sp.Indicator.Spec.Description)
		if !rfc1123.MatchString(out.Indicator) {
			d.Errorf(append(ip, "metadata", "name"), "%q: want an RFC 1123 name", out.Indicator)
		}
		ip = append(ip, "spec")
	default:
		ref, ok := slis[sp.IndicatorRef]
		if ok && ref == nil {
			return nil // the SLI's own errors are reported
		}
		if !ok {
			d.Errorf([]any{"spec", "indicatorRef"}, "unknown SLI %q: define it (kind: SLI) in a file of the same directory; known: %s", sp.IndicatorRef, orNone(sortedKeys(slis)))
			break
		}
		out.Indicator, out.IndicatorText = ref.Metadata.Name, cmp.Or(ref.Metadata.DisplayName, ref.Spec.Description)
		fill(&ref.Spec, out) // checked with its own document
	}
	if sli != nil {
		indicator(d, ip, sli, out)
	}
	if out.IndicatorText == "" {
		out.IndicatorText = out.Indicator
	}
	switch {
	case out.Source == "":
	case out.Threshold != nil && sp.BudgetingMethod == Occurrences:
		d.Errorf([]any{"spec", "budgetingMethod"}, "a thresholdMetric is budgeted by Timeslices: the share of time slices whose value meets the objective")
	case out.Threshold == nil && sp.BudgetingMethod == Timeslices:
		d.Errorf([]any{"spec", "budgetingMethod"}, "Timeslices goes with a thresholdMetric (one value per slice, e.g. a quantile of unwrapped durations from Loki); a ratioMetric is budgeted by Occurrences")
	}

	// The objective.
	switch n := len(sp.Objectives); {
	case n != 1:
		d.Errorf([]any{"spec", "objectives"}, "want exactly one objective, got %d: write one SLO per objective", n)
	default:
		th := out.Threshold
		if th == nil && (sp.Indicator != nil && sp.Indicator.Spec.ThresholdMetric != nil ||
			slis[sp.IndicatorRef] != nil && slis[sp.IndicatorRef].Spec.ThresholdMetric != nil) {
			th = &Threshold{} // its indicator's errors are reported: check the objective as a threshold's
		}
		out.Objective = objective(d, sp.Objectives[0], th)
	}
	if out.Objective > 0 && out.Objective < 1 && PageFactor*out.Budget() >= 1 {
		d.Errorf([]any{"spec", "objectives", 0}, "%g is too low for the %g× page alert (it would need an error ratio of %.0f%%): use an objective above %.4f",
			out.Objective, PageFactor, 100*PageFactor*out.Budget(), 1-1/PageFactor)
	}
	return out
}

// objective reads target or targetPercent, which must be in (0, 1), and
// for a threshold indicator (th) the threshold and the time slice.
func objective(d *spec.Document, o Objective, th *Threshold) float64 {
	p := []any{"spec", "objectives", 0}
	if th != nil {
		thresholdObjective(d, p, o, th)
	} else {
		if o.Op != "" || o.Value != nil {
			d.Errorf(append(p, "op"), "op and value are for threshold metrics: a ratio objective has a target only")
		}
		if o.TimeSliceTarget != nil || o.TimeSliceWindow != "" {
			d.Errorf(append(p, "timeSliceTarget"), "time slices are for threshold metrics (budgetingMethod Timeslices): a ratio is budgeted by Occurrences")
		}
	}
	switch {
	case (o.Target == nil) == (o.TargetPercent == nil):
		d.Errorf(p, "set exactly one of target and targetPercent")
	case o.Target != nil:
		if t := *o.Target; !(t > 0 && t < 1) || math.IsNaN(t) {
			d.Errorf(append(p, "target"), "%g: must be above 0 and below 1 (e.g. 0.999 for 99.9%%)", t)
		} else {
			return t
		}
	default:
		if t := *o.TargetPercent; !(t > 0 && t < 100) || math.IsNaN(t) {
			d.Errorf(append(p, "targetPercent"), "%g: must be above 0 and below 100 (e.g. 99.9)", t)
		} else {
			return round12(t / 100)
		}
	}
	return 0
}

// thresholdObjective reads op, value and the time slice of a threshold
// objective into th; the indicator's query must range over the slice.
func thresholdObjective(d *spec.Document, p []any, o Objective, th *Threshold) {
	ops := []string{"lte", "lt", "gte", "gt"}
	switch {
	case o.Op == "":
		d.Errorf(append(p, "op"), "required for a threshold metric: one of %s (a slice is good when its value <=, <, >= or > value)", strings.Join(ops, ", "))
	case !slices.Contains(ops, o.Op):
		d.Errorf(append(p, "op"), "must be one of %s, not %q", strings.Join(ops, ", "), o.Op)
	}
	th.Op = o.Op
	if o.Value == nil {
		d.Errorf(p, "value required for a threshold metric: the bound of a good slice, in the unit of the query (e.g. 1000 for p99 <= 1 s of duration_ms)")
	} else {
		th.Value = *o.Value
	}
	if t := o.TimeSliceTarget; t != nil && *t != 1 {
		d.Errorf(append(p, "timeSliceTarget"), "%g: each slice has one value (the query over the slice) and is good when it meets op value; leave timeSliceTarget out, or set 1", *t)
	}
	w, err := ParseWindow(o.TimeSliceWindow)
	switch {
	case o.TimeSliceWindow == "":
		d.Errorf(p, "timeSliceWindow required for Timeslices: 1m or 5m")
		return
	case err != nil || (w.D != time.Minute && w.D != 5*time.Minute):
		d.Errorf(append(p, "timeSliceWindow"), "%q: want 1m or 5m (a slice must divide the 5m alert window)", o.TimeSliceWindow)
		return
	}
	th.Slice = w
	q, _ := logql.Parse(th.Query)
	if q != nil && len(q.Ranges) == 1 && q.Ranges[0].Range != w.D {
		d.Errorf(append(p, "timeSliceWindow"), "%s: the indicator's query ranges over [%s]; evaluated once per slice, it must range over the slice: write [%s]",
			w, model.Duration(q.Ranges[0].Range), w)
	}
}

// indicator validates a ratio or threshold metric and its queries.
func indicator(d *spec.Document, p []any, s *SLISpec, out *SLO) {
	rm := s.RatioMetric
	switch {
	case s.ThresholdMetric != nil && rm != nil:
		d.Errorf(p, "set one of ratioMetric and thresholdMetric")
		return
	case s.ThresholdMetric != nil:
		thresholdIndicator(d, append(p, "thresholdMetric", "metricSource"), s.ThresholdMetric.MetricSource, out)
		return
	case rm == nil:
		d.Errorf(p, "ratioMetric or thresholdMetric required")
		return
	}
	rp := append(p, "ratioMetric")
	if !rm.Counter {
		d.Errorf(append(rp, "counter"), "must be true: gameday reads counters (and counts log lines) and applies rate() over each window itself")
	}
	if rm.Raw != nil || rm.RawType != "" {
		d.Errorf(append(rp, "raw"), "precomputed ratios (raw) are not supported: write good or bad, and total")
		return
	}
	if (rm.Good == nil) == (rm.Bad == nil) {
		d.Errorf(rp, "set exactly one of good and bad")
		return
	}
	if rm.Total == nil {
		d.Errorf(append(rp, "total"), "required")
		return
	}
	num, numKey := rm.Good, "good"
	if rm.Bad != nil {
		num, numKey = rm.Bad, "bad"
	}
	src := ""
	for _, m := range []struct {
		key string
		ms  *MetricSpec
	}{{numKey, num}, {"total", rm.Total}} {
		mp := append(rp, m.key, "metricSource")
		ms := m.ms.MetricSource
		if ms.MetricSourceRef != "" {
			d.Errorf(append(mp, "metricSourceRef"), "DataSource references are not supported: set type (%s or %s) and spec.query", SourcePrometheus, SourceLoki)
		}
		switch ms.Type {
		case SourcePrometheus, SourceLoki:
		case "":
			d.Errorf(append(mp, "type"), "required: %s or %s", SourcePrometheus, SourceLoki)
			continue
		default:
			d.Errorf(append(mp, "type"), "must be %s or %s, not %q", SourcePrometheus, SourceLoki, ms.Type)
			continue
		}
		if src != "" && ms.Type != src {
			d.Errorf(append(mp, "type"), "%s: the queries of one indicator must share a source (the other is %s)", ms.Type, src)
		}
		src = ms.Type
		qp := append(mp, "spec", "query")
		q := ms.Spec.Query
		if strings.TrimSpace(q) == "" {
			d.Errorf(qp, "required")
			continue
		}
		check := checkCounterQuery
		if ms.Type == SourceLoki {
			check = checkLogQuery
		}
		if off, err := check(q); err != nil {
			if off >= 0 {
				d.ErrorInScalar(qp, off, "%s", err)
			} else {
				d.Errorf(qp, "%s", err)
			}
		}
	}
	fill(s, out)
}

// thresholdIndicator validates a threshold metric: a LogQL metric query
// with one range aggregation (its value per slice), into out.
func thresholdIndicator(d *spec.Document, mp []any, ms MetricSource, out *SLO) {
	if ms.MetricSourceRef != "" {
		d.Errorf(append(mp, "metricSourceRef"), "DataSource references are not supported: set type (%s) and spec.query", SourceLoki)
	}
	switch ms.Type {
	case SourceLoki:
	case SourcePrometheus:
		d.Errorf(append(mp, "type"), "threshold metrics over Prometheus are not supported: write a ratioMetric of histogram buckets (good: the requests within the bound, total: all requests)")
		return
	case "":
		d.Errorf(append(mp, "type"), "required: %s", SourceLoki)
		return
	default:
		d.Errorf(append(mp, "type"), "must be %s for a threshold metric, not %q", SourceLoki, ms.Type)
		return
	}
	qp := append(mp, "spec", "query")
	q := strings.TrimSpace(ms.Spec.Query)
	if q == "" {
		d.Errorf(qp, "required")
		return
	}
	parsed, off, err := checkThresholdQuery(ms.Spec.Query)
	if err != nil {
		if off >= 0 {
			d.ErrorInScalar(qp, off, "%s", err)
		} else {
			d.Errorf(qp, "%s", err)
		}
		return
	}
	fillThreshold(q, parsed, out)
}

// fillThreshold sets out's source, threshold query and events (the log
// query of its one range aggregation).
func fillThreshold(q string, parsed *logql.Query, out *SLO) {
	out.Source = SourceLoki
	out.Threshold = &Threshold{Query: q}
	out.Total = parsed.Ranges[0].Log
}

// fill copies a checked indicator's source and queries into out.
func fill(s *SLISpec, out *SLO) {
	if s.ThresholdMetric != nil {
		q := strings.TrimSpace(s.ThresholdMetric.MetricSource.Spec.Query)
		if parsed, _, err := checkThresholdQuery(q); err == nil {
			fillThreshold(q, parsed, out)
		}
		return
	}
	rm := s.RatioMetric
	out.Source, out.Total = rm.Total.MetricSource.Type, strings.TrimSpace(rm.Total.MetricSource.Spec.Query)
	if rm.Good != nil {
		out.Good = strings.TrimSpace(rm.Good.MetricSource.Spec.Query)
	} else {
		out.Bad = strings.TrimSpace(rm.Bad.MetricSource.Spec.Query)
	}
}

// yamlFiles lists the YAML files of paths, directories walked.
func yamlFiles(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, spec.ErrorList{{File: p, Msg: cause(err)}}
		}
		if !fi.IsDir() {
			out = append(out, p)
			continue
		}
		err = filepath.WalkDir(p, func(f string, de fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if de.IsDir() && f != p && (strings.HasPrefix(de.Name(), ".") || de.Name() == "testdata") {
				return filepath.SkipDir
			}
			if !de.IsDir() && (strings.HasSuffix(f, ".yaml") || strings.HasSuffix(f, ".yml")) {
				out = append(out, f)
			}
			return nil
		})
		if err != nil {
			return nil, spec.ErrorList{{File: p, Msg: cause(err)}}
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func cause(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// camel turns api-availability into ApiAvailability.
func camel(s string) string {
	var b strings.Builder
	up := true
	for _, r := range s {
		switch {
		case r == '-' || r == '.':
			up = true
		case up:
			b.WriteRune(unicode.ToUpper(r))
			up = false
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func orNone(ss []string) string {
	if len(ss) == 0 {
		return "none"
	}
	return strings.Join(ss, ", ")
}
