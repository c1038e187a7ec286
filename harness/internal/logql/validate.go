package logql

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strconv"

	"github.com/prometheus/common/model"
)

// Loki checks a parsed query (parser.go: validateExpr) in this order:
// the errors its constructors kept (binary operations, aggregations,
// literals), then that every selector has a matcher that cannot match the
// empty value. These are its messages, without a place ("parse error :
// ..."); ours are placed at the construct.

const errEmptyCompatible = "queries require at least one regexp or equality matcher that does not have an empty-compatible value. For instance, app=~\".*\" does not meet this requirement, but app=~\".+\" will"

func validate(q string, e expr) *Error {
	if l, ok := e.(*logExpr); ok {
		return validateSelector(q, l.sel)
	}
	return validateSample(q, e)
}

func validateSample(q string, e expr) *Error {
	switch x := e.(type) {
	case *binOpExpr:
		if x.err != "" {
			return errorAt(q, x.opPos, x.err)
		}
		if err := validateSample(q, x.left); err != nil {
			return err
		}
		return validateSample(q, x.right)
	case *literalExpr:
		if x.err != "" {
			return errorAt(q, x.pos, x.err)
		}
		return nil
	case *vectorExpr:
		if x.err != "" {
			return errorAt(q, x.pos, x.err)
		}
		return nil
	case *vectorAggExpr:
		if x.err != "" {
			return errorAt(q, x.pos, x.err)
		}
		if (x.op == "sort" || x.op == "sort_desc") && x.grouping != nil && len(x.grouping.labels) > 0 {
			return errorAt(q, x.grouping.pos, "sort and sort_desc doesn't allow grouping by ")
		}
		return validateSample(q, x.inner)
	case *logExpr:
		// A log query as a leg: its binary operation kept the error.
		return validateSelector(q, x.sel)
	}
	// A range aggregation or label_replace: Loki validates the selector of
	// the expression (label_replace's: that of its first leg).
	return validateSelectorOf(q, e)
}

// validateSelectorOf is Loki's e.Selector() then its matchers' check.
func validateSelectorOf(q string, e expr) *Error {
	switch x := e.(type) {
	case *rangeAggExpr:
		if x.err != "" {
			return errorAt(q, x.pos, x.err)
		}
		return validateSelector(q, x.lr.sel)
	case *labelReplaceExpr:
		if x.err != "" {
			return errorAt(q, x.pos, x.err)
		}
		return validateSelectorOf(q, x.inner)
	case *vectorAggExpr:
		if x.err != "" {
			return errorAt(q, x.pos, x.err)
		}
		return validateSelectorOf(q, x.inner)
	case *binOpExpr: // its first leg's selector
		if x.err != "" {
			return errorAt(q, x.opPos, x.err)
		}
		return validateSelectorOf(q, x.left)
	case *literalExpr:
		if x.err != "" {
			return errorAt(q, x.pos, x.err)
		}
		// A number has no matcher: as a selector it selects nothing.
		return errorAt(q, x.pos, errEmptyCompatible)
	case *vectorExpr:
		if x.err != "" {
			return errorAt(q, x.pos, x.err)
		}
		return nil
	case *logExpr:
		return validateSelector(q, x.sel)
	}
	return nil
}

// validateSelector: at least one matcher that cannot match the empty
// value (Loki's validateMatchers over SplitFiltersAndMatchers).
func validateSelector(q string, s *selector) *Error {
	for _, m := range s.matchers {
		if !m.Matches("") {
			return nil
		}
	}
	return errorAt(q, s.pos, errEmptyCompatible)
}

// compileAnchored compiles re as label_replace does: ^(?:re)$.
func compileAnchored(re string) error {
	_, err := regexp.Compile("^(?:" + re + ")$")
	return err
}

// checkRegexpParser is Loki's NewRegexpParser: the expression compiles and
// has named captures, each a valid label name, no name twice.
func checkRegexpParser(re string) error {
	r, err := regexp.Compile(re)
	if err != nil {
		return err
	}
	errMissing := errors.New("at least one named capture must be supplied")
	if r.NumSubexp() == 0 {
		return errMissing
	}
	seen := map[string]bool{}
	for _, n := range r.SubexpNames() {
		if n == "" {
			continue
		}
		if !model.LabelName(n).IsValid() {
			return fmt.Errorf("invalid extracted label name '%s'", n)
		}
		if seen[n] {
			return fmt.Errorf("duplicate extracted label name '%s'", n)
		}
		seen[n] = true
	}
	if len(seen) == 0 {
		return errMissing
	}
	return nil
}

// checkStages makes the checks Loki's pipeline stages make when the query
// runs (a 400 too), in the order of the query.
func checkStages(q string, e expr) *Error {
	var out *Error
	check := func(stages []stage) {
		for _, s := range stages {
			if out != nil {
				return
			}
			if se := s.check(); se != nil {
				out = errorAt(q, se.pos, fmt.Sprintf("stage '%s' : %s", se.stage, se.reason))
			}
		}
	}
	walk(e, func(x expr) {
		switch n := x.(type) {
		case *logExpr:
			check(n.stages)
		case *rangeAggExpr:
			check(n.lr.stages)
			if n.lr.unwrap != nil {
				check(n.lr.unwrap.post)
			}
		}
	})
	return out
}

// noCheck is a stage Loki cannot refuse once parsed.
type noCheck struct{}

func (noCheck) check() *stageError { return nil }

// A filterValue is one value of a line filter (or of an ip label filter).
type filterValue struct {
	ip  bool
	s   string
	pos int
}

// lineFilterStage: |= "a" or "b", |~ "re", |> "<_> pattern", != ip("...").
type lineFilterStage struct {
	op     string
	values []filterValue
	pos    int
}

func (f *lineFilterStage) check() *stageError {
	for _, v := range f.values {
		text := f.op + " " + strconv.Quote(v.s)
		if v.ip {
			text = f.op + " ip(" + strconv.Quote(v.s) + ")"
			if f.op != "|=" && f.op != "!=" {
				return &stageError{pos: v.pos, stage: text, reason: "ip: invalid operation"}
			}
			if err := checkIP(v.s); err != nil {
				return &stageError{pos: v.pos, stage: text, reason: err.Error()}
			}
			continue
		}
		switch f.op {
		case "|~", "!~":
			if _, err := syntax.Parse(v.s, syntax.Perl); err != nil {
				return &stageError{pos: v.pos, stage: text, reason: err.Error()}
			}
		case "|>", "!>":
			if err := checkPatternFilter(v.s); err != nil {
				return &stageError{pos: v.pos, stage: text, reason: err.Error()}
			}
		}
	}
	return nil
}

// labelFilterStage: its string matchers were checked while parsing (as
// Loki does); its ip() filters are checked when the query runs.
type labelFilterStage struct {
	ips []filterValue
}

func (f *labelFilterStage) check() *stageError {
	for _, v := range f.ips {
		if err := checkIP(v.s); err != nil {
			return &stageError{pos: v.pos, stage: "| ip(" + strconv.Quote(v.s) + ")", reason: err.Error()}
		}
	}
	return nil
}

// An extraction is label="expression" of | json or | logfmt.
type extraction struct {
	label, expr string
	pos         int
}

type extractionStage struct {
	parser string
	exprs  []extraction
	pos    int
}

func (s *extractionStage) check() *stageError {
	for _, x := range s.exprs {
		text := "| " + s.parser + " " + x.label + "=" + strconv.Quote(x.expr)
		if s.parser == "json" {
			if err := checkJSONPath(x.expr); err != nil {
				return &stageError{pos: x.pos, stage: text, reason: fmt.Sprintf("cannot parse expression [%s]: %s", x.expr, err)}
			}
		}
		if !model.LabelName(x.label).IsValid() {
			return &stageError{pos: x.pos, stage: text, reason: fmt.Sprintf("invalid extracted label name '%s'", x.label)}
		}
	}
	return nil
}

type lineFormatStage struct {
	tmpl string
	pos  int
}

func (s *lineFormatStage) check() *stageError {
	if err := checkTemplate("line", s.tmpl); err != nil {
		return &stageError{pos: s.pos, stage: "| line_format " + strconv.Quote(s.tmpl), reason: "invalid line template: " + err.Error()}
	}
	return nil
}

type labelFmt struct {
	name, value string
	rename      bool
	pos         int
}

type labelFormatStage struct {
	fmts []labelFmt
}

// check is Loki's NewLabelsFormatter: no label twice, not __error__, every
// template parses.
func (s *labelFormatStage) check() *stageError {
	text := "| label_format"
	for i, f := range s.fmts {
		if i > 0 {
			text += ","
		}
		v := strconv.Quote(f.value)
		if f.rename {
			v = f.value
		}
		text += " " + f.name + "=" + v
	}
	seen := map[string]bool{}
	for _, f := range s.fmts {
		if f.name == "__error__" {
			return &stageError{pos: f.pos, stage: text, reason: "__error__ cannot be formatted"}
		}
		if seen[f.name] {
			return &stageError{pos: f.pos, stage: text, reason: fmt.Sprintf("multiple label name '%s' not allowed in a single format operation", f.name)}
		}
		seen[f.name] = true
	}
	for _, f := range s.fmts {
		if f.rename {
			continue
		}
		if err := checkTemplate("label", f.value); err != nil {
			return &stageError{pos: f.pos, stage: text, reason: fmt.Sprintf("invalid template for label '%s': %s", f.name, err)}
		}
	}
	return nil
}
