package dora

import (
	"embed"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
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
// Errors name the file, line and field.
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
	l, err := ParseLevels(b)
	if err != nil {
		return nil, fmt.Errorf("levels %s: %w", path, err)
	}
	l.File = path
	return l, nil
}

type levelsFile struct {
	Report    string                           `yaml:"report"`
	Year      int                              `yaml:"year"`
	Publisher string                           `yaml:"publisher"`
	URL       string                           `yaml:"url"`
	Table     string                           `yaml:"table"`
	Levels    []string                         `yaml:"levels"`
	Metrics   map[string]map[string]boundInput `yaml:"metrics"`
}

type boundInput struct {
	Text     string `yaml:"text"`
	MoreThan string `yaml:"moreThan"`
	AtLeast  string `yaml:"atLeast"`
	LessThan string `yaml:"lessThan"`
	AtMost   string `yaml:"atMost"`
}

// ParseLevels decodes and checks a levels file.
func ParseLevels(b []byte) (*Levels, error) {
	var f levelsFile
	if err := yaml.UnmarshalWithOptions(b, &f, yaml.Strict()); err != nil {
		return nil, errors.New(yaml.FormatError(err, false, true))
	}
	var errs []string
	bad := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }
	for k, v := range map[string]string{"report": f.Report, "publisher": f.Publisher, "url": f.URL, "table": f.Table} {
		if strings.TrimSpace(v) == "" {
			bad("%s: missing: the output cites it", k)
		}
	}
	if f.Year < 2014 {
		bad("year: %d: the year of the report (DORA's first was 2014)", f.Year)
	}
	if len(f.Levels) < 2 {
		bad("levels: want at least two level names, best first")
	}
	l := &Levels{Report: f.Report, Year: f.Year, Publisher: f.Publisher, URL: f.URL, Table: f.Table, Order: f.Levels, Metrics: map[string]map[string]Bound{}}
	for name := range f.Metrics {
		if _, ok := lowerIsBetter[name]; !ok {
			bad("metrics.%s: unknown metric: one of %s", name, strings.Join(Metrics, ", "))
		}
	}
	for _, m := range Metrics {
		cells, ok := f.Metrics[m]
		if !ok {
			bad("metrics.%s: missing (write %s: {} when the report has no levels for it)", m, m)
			continue
		}
		if len(cells) == 0 {
			continue
		}
		l.Metrics[m] = map[string]Bound{}
		for name := range cells {
			if !contains(f.Levels, name) {
				bad("metrics.%s.%s: not a level of levels: %v", m, name, f.Levels)
			}
		}
		for i, name := range f.Levels {
			c, ok := cells[name]
			field := "metrics." + m + "." + name
			if !ok {
				bad("%s: missing", field)
				continue
			}
			b, err := c.bound(m, i == len(f.Levels)-1)
			if err != nil {
				bad("%s: %v", field, err)
				continue
			}
			l.Metrics[m][name] = b
		}
	}
	if len(errs) > 0 {
		return nil, errors.New(strings.Join(errs, "; "))
	}
	return l, nil
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func (c boundInput) bound(metric string, last bool) (Bound, error) {
	b := Bound{Text: c.Text}
	if strings.TrimSpace(c.Text) == "" {
		return b, errors.New("text: missing: the report's words for this cell")
	}
	set := 0
	for op, raw := range map[string]string{">": c.MoreThan, ">=": c.AtLeast, "<": c.LessThan, "<=": c.AtMost} {
		if raw != "" {
			b.Op, b.Raw = op, raw
			set++
		}
	}
	switch {
	case last && set > 0:
		return b, errors.New("the last level takes everything the others do not: no bound")
	case last:
		return b, nil
	case set != 1:
		return b, errors.New("want exactly one of moreThan, atLeast (higher is better) or lessThan, atMost (lower is better)")
	}
	if lower := b.Op[0] == '<'; lower != lowerIsBetter[metric] {
		want := "moreThan or atLeast (higher is better)"
		if lowerIsBetter[metric] {
			want = "lessThan or atMost (lower is better)"
		}
		return b, fmt.Errorf("%s: use %s", b.Raw, want)
	}
	v, err := parseValue(metric, b.Raw)
	if err != nil {
		return b, err
	}
	b.Value = v
	return b, nil
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
