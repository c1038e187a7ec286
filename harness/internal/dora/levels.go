package dora

import (
	"embed"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// The metrics, as named in a levels file, the JSON report and the gauges.
const (
	MetricDeploymentFrequency = "deploymentFrequency"
	MetricChangeLeadTime      = "changeLeadTime"
	MetricChangeFailureRate   = "changeFailureRate"
	MetricRecoveryTime        = "failedDeploymentRecoveryTime"
	MetricReworkRate          = "reworkRate"
)

// Metrics lists the five metrics in the order of the report.
var Metrics = []string{MetricDeploymentFrequency, MetricChangeLeadTime, MetricChangeFailureRate, MetricRecoveryTime, MetricReworkRate}

// lowerIsBetter tells the direction of each metric.
var lowerIsBetter = map[string]bool{
	MetricDeploymentFrequency: false,
	MetricChangeLeadTime:      true,
	MetricChangeFailureRate:   true,
	MetricRecoveryTime:        true,
	MetricReworkRate:          true,
}

//go:embed levels/*.yaml
var levelFiles embed.FS

// DefaultLevels is the levels file used unless --levels names another: the
// 2024 Accelerate State of DevOps Report (DORA), "Software delivery
// performance levels", p. 13. The numbers live in that file only.
const DefaultLevels = "levels/dora-2024.yaml"

// Levels are the performance levels of one DORA report.
type Levels struct {
	Report    string `json:"report"`
	Year      int    `json:"year"`
	Publisher string `json:"publisher"`
	URL       string `json:"url"`
	Table     string `json:"table"`
	// Order lists the levels from best to worst.
	Order []string `json:"levels"`
	// Metrics maps each metric to its bound per level.
	Metrics map[string]map[string]Bound `json:"-"`
	// File is where the levels were read from.
	File string `json:"file"`
}

// Cite names the source: "Accelerate State of DevOps Report 2024 (DORA (Google Cloud)), Software delivery performance levels (p. 13)".
func (l *Levels) Cite() string {
	return fmt.Sprintf("%s %d (%s), %s", l.Report, l.Year, l.Publisher, l.Table)
}

// Bound is one cell of the table: the report's text and the bound gameday
// applies (Value in the metric's unit: per day, seconds or a fraction).
type Bound struct {
	Text string
	// Op is ">", ">=", "<", "<=" or "" (the last level: everything else).
	Op    string
	Value float64
	// Raw is the bound as written in the file ("1/7d", "1d", "0.05").
	Raw string
}

// Meets reports whether v meets the bound.
func (b Bound) Meets(v float64) bool {
	switch b.Op {
	case ">":
		return v > b.Value
	case ">=":
		return v >= b.Value
	case "<":
		return v < b.Value
	case "<=":
		return v <= b.Value
	}
	return true
}

// Rating is the level of one measurement.
type Rating struct {
	Metric string `json:"metric"`
	// Level is "" when the report has no levels for the metric or there
	// is no measurement.
	Level string `json:"level,omitempty"`
	// Text is the report's cell of that level.
	Text string `json:"text,omitempty"`
	// Rule is how gameday applied it ("< 1d", ">= 1/7d", "the rest").
	Rule string `json:"rule,omitempty"`
	// Note says why there is no level.
	Note string `json:"note,omitempty"`
}

// Rate rates v (in the metric's unit) against the levels; ok is false when
// there is nothing to rate.
func (l *Levels) Rate(metric string, v *float64) Rating {
	r := Rating{Metric: metric}
	bounds := l.Metrics[metric]
	switch {
	case len(bounds) == 0:
		r.Note = fmt.Sprintf("the %d report publishes no levels for it", l.Year)
		return r
	case v == nil:
		r.Note = "nothing to rate"
		return r
	}
	for _, name := range l.Order {
		b := bounds[name]
		if b.Meets(*v) {
			r.Level, r.Text = name, b.Text
			r.Rule = "the rest"
			if b.Op != "" {
				r.Rule = b.Op + " " + b.Raw
			}
			return r
		}
	}
	return r
}

// LoadLevels reads a levels file: path "" is DefaultLevels, an embedded
// file by its name (levels/dora-2024.yaml), anything else a file on disk.
// Errors name the file, line, column and field (a spec.ErrorList, exit
// code 2), as every spec file's.
func LoadLevels(path string) (*Levels, error) {
	if path == "" {
		path = DefaultLevels
	}
	var b []byte
	var err error
	b, err = levelFiles.ReadFile(path)
	if err != nil { // not an embedded file: one on disk
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("levels: %w", err)
	}
	return ParseLevels(path, b)
}

type levelsFile struct {
	Report    string                           `json:"report"`
	Year      int                              `json:"year"`
	Publisher string                           `json:"publisher"`
	URL       string                           `json:"url"`
	Table     string                           `json:"table"`
	Levels    []string                         `json:"levels"`
	Metrics   map[string]map[string]boundInput `json:"metrics"`
}

// boundInput is one cell of the table as written: the report's text and
// at most one bound, read in the metric's unit ("1/7d", "1d", 0.05).
type boundInput struct {
	Text     string      `json:"text"`
	MoreThan spec.Scalar `json:"moreThan,omitempty"`
	AtLeast  spec.Scalar `json:"atLeast,omitempty"`
	LessThan spec.Scalar `json:"lessThan,omitempty"`
	AtMost   spec.Scalar `json:"atMost,omitempty"`
}

// ParseLevels decodes and checks a levels file strictly: unknown fields,
// a value of the wrong type, an unknown metric or level, a bound in the
// wrong direction or unit are errors at their file:line:col and field.
func ParseLevels(name string, b []byte) (*Levels, error) {
	d, err := spec.ParseDocument(name, b, "levels")
	if err != nil {
		return nil, err
	}
	var f levelsFile
	if !d.Decode(&f) {
		return nil, d.Errors()
	}
	for _, k := range []struct{ key, v string }{{"report", f.Report}, {"publisher", f.Publisher}, {"url", f.URL}, {"table", f.Table}} {
		if strings.TrimSpace(k.v) == "" {
			d.Errorf([]any{k.key}, "must not be empty: the output cites it")
		}
	}
	if f.Year < 2014 {
		d.Errorf([]any{"year"}, "%d: the year of the report (DORA's first was 2014)", f.Year)
	}
	badLevels := len(f.Levels) < 2
	if badLevels {
		d.Errorf([]any{"levels"}, "want at least two level names, best first")
	}
	for i, lv := range f.Levels {
		switch {
		case strings.TrimSpace(lv) == "":
			d.Errorf([]any{"levels", i}, "must not be empty")
			badLevels = true
		case slices.Index(f.Levels, lv) < i:
			d.Errorf([]any{"levels", i}, "%s is listed twice", lv)
			badLevels = true
		}
	}
	if badLevels { // the cells are checked against the levels
		return nil, d.Errors()
	}
	l := &Levels{Report: f.Report, Year: f.Year, Publisher: f.Publisher, URL: f.URL, Table: f.Table, Order: f.Levels, Metrics: map[string]map[string]Bound{}, File: name}
	for _, m := range slices.Sorted(maps.Keys(f.Metrics)) {
		if _, ok := lowerIsBetter[m]; !ok {
			d.Errorf([]any{"metrics", m}, "unknown metric: one of %s", strings.Join(Metrics, ", "))
		}
	}
	for _, m := range Metrics {
		cells, ok := f.Metrics[m]
		if !ok {
			d.Errorf([]any{"metrics", m}, "missing (write %s: {} when the report has no levels for it)", m)
			continue
		}
		if len(cells) == 0 {
			continue
		}
		l.Metrics[m] = map[string]Bound{}
		for _, name := range slices.Sorted(maps.Keys(cells)) {
			if !slices.Contains(f.Levels, name) {
				d.Errorf([]any{"metrics", m, name}, "not a level of levels: %s", strings.Join(f.Levels, ", "))
			}
		}
		for i, name := range f.Levels {
			at := []any{"metrics", m, name}
			c, ok := cells[name]
			if !ok {
				d.Errorf(at, "missing: every level of levels needs a cell")
				continue
			}
			b, field, err := c.bound(m, i == len(f.Levels)-1)
			if err != nil {
				if field != "" {
					at = append(at, field)
				}
				d.Errorf(at, "%v", err)
				continue
			}
			l.Metrics[m][name] = b
		}
	}
	if err := d.Errors(); err != nil {
		return nil, err
	}
	return l, nil
}

// bound reads a cell; on error, field is the key of the cell at fault
// ("" for the cell itself).
func (c boundInput) bound(metric string, last bool) (b Bound, field string, err error) {
	b = Bound{Text: c.Text}
	if strings.TrimSpace(c.Text) == "" {
		return b, "text", errors.New("must not be empty: the report's words for this cell")
	}
	set := 0
	for _, x := range []struct {
		op, key string
		raw     spec.Scalar
	}{{">", "moreThan", c.MoreThan}, {">=", "atLeast", c.AtLeast}, {"<", "lessThan", c.LessThan}, {"<=", "atMost", c.AtMost}} {
		if x.raw != "" {
			b.Op, b.Raw, field = x.op, string(x.raw), x.key
			set++
		}
	}
	switch {
	case last && set > 0:
		return b, field, errors.New("the last level takes everything the others do not: no bound")
	case last:
		return b, "", nil
	case set != 1:
		return b, "", errors.New("want exactly one of moreThan, atLeast (higher is better) or lessThan, atMost (lower is better)")
	}
	if lower := b.Op[0] == '<'; lower != lowerIsBetter[metric] {
		want := "moreThan or atLeast (higher is better)"
		if lowerIsBetter[metric] {
			want = "lessThan or atMost (lower is better)"
		}
		return b, field, fmt.Errorf("%s: use %s", b.Raw, want)
	}
	v, err := parseValue(metric, b.Raw)
	if err != nil {
		return b, field, err
	}
	b.Value = v
	return b, "", nil
}

// parseValue reads a bound in the metric's unit: deployments per day from
// "N/<duration>", seconds from a duration, a fraction from a number.
func parseValue(metric, raw string) (float64, error) {
	switch metric {
	case MetricDeploymentFrequency:
		n, per, ok := strings.Cut(raw, "/")
		if !ok {
			return 0, fmt.Errorf("%q: want deployments per period, like 1/7d", raw)
		}
		c, err := strconv.ParseFloat(n, 64)
		if err != nil || c <= 0 {
			return 0, fmt.Errorf("%q: %q is not a positive number", raw, n)
		}
		d, err := ParseDuration(per)
		if err != nil || d <= 0 {
			return 0, fmt.Errorf("%q: %q is not a duration like 7d", raw, per)
		}
		return c / (d.Hours() / 24), nil
	case MetricChangeLeadTime, MetricRecoveryTime:
		d, err := ParseDuration(raw)
		if err != nil || d <= 0 {
			return 0, fmt.Errorf("%q: not a duration like 1h or 7d", raw)
		}
		return d.Seconds(), nil
	}
	v, err := strconv.ParseFloat(raw, 64)
	if err != nil || v < 0 || v > 1 || math.IsNaN(v) {
		return 0, fmt.Errorf("%q: want a fraction between 0 and 1", raw)
	}
	return v, nil
}

// ParseDuration is time.ParseDuration with d (24h) and w (7d) units, as
// in "30d" or "1w2d".
func ParseDuration(s string) (time.Duration, error) {
	var total time.Duration
	rest := s
	for rest != "" {
		i := strings.IndexAny(rest, "dw")
		if i < 0 {
			d, err := time.ParseDuration(rest)
			if err != nil {
				return 0, fmt.Errorf("duration %q: %w", s, err)
			}
			return total + d, nil
		}
		n, err := strconv.ParseFloat(rest[:i], 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("duration %q: want a number before %q", s, rest[i:i+1])
		}
		unit := 24 * time.Hour
		if rest[i] == 'w' {
			unit *= 7
		}
		total += time.Duration(n * float64(unit))
		rest = rest[i+1:]
	}
	if s == "" {
		return 0, errors.New("duration: empty")
	}
	return total, nil
}
