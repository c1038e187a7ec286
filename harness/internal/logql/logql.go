// Package logql is our own parser of the subset of LogQL that gameday's
// experiments and SLOs use (see Parse).
package logql

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// Our own parser of the subset of LogQL that gameday's experiments and SLOs
// use. It is not Loki's: Loki's parser is AGPL and is not imported, so a
// query this parser accepts may still be refused by a Loki (and a valid
// LogQL query outside the subset is refused here, naming what is not
// supported). The subset:
//
//	log query     {label="v", l2!="v", l3=~"re", l4!~"re"} stage*
//	line filters  |= "s"   != "s"   |~ "re"   !~ "re"
//	parsers       | json   | logfmt   | regexp "re"   | pattern "p"   | line_format "t"
//	label filters | name op value [(and|or|,) name op value ...]
//	              op: = != =~ !~ with a string; == != > >= < <= with a number or duration
//	range         count_over_time rate bytes_over_time bytes_rate absent_over_time
//	              (log query [duration])
//	aggregations  sum avg min max count stddev stdvar [by|without (labels)] (expr)
//	              topk bottomk (k, expr)
//	binary        or and unless == != > >= < <= + - * / % ^ [bool], between metric
//	              queries and numbers; vector(n); numbers; parentheses
//
// Strings are double-quoted (Go escapes) or backquoted; regular expressions
// must compile (RE2, Go's and Loki's flavour); label names are
// [A-Za-z_][A-Za-z0-9_]*.

// An Error is where a query stops being valid: Pos is the byte offset in
// the query.
type Error struct {
	Pos int
	Msg string
}

func (e *Error) Error() string { return fmt.Sprintf("at offset %d: %s", e.Pos, e.Msg) }

// Query is a parsed query's kind.
type Query struct {
	// Metric: the query returns samples (a range aggregation, an
	// aggregation, a number, ...); else it is a log query returning lines.
	Metric bool
}

// Parse parses q (the subset above); the error is an *Error.
func Parse(q string) (*Query, error) {
	p := &logqlParser{q: q}
	p.space()
	if p.eof() {
		return nil, p.errf("empty query")
	}
	metric, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	if p.space(); !p.eof() {
		return nil, p.errf("unexpected %s", p.near())
	}
	return &Query{Metric: metric}, nil
}

// Check checks a LogQL query with our parser of the subset gameday uses
// (Parse); the error is an *Error.
func Check(q string) error {
	_, err := Parse(q)
	return err
}

type logqlParser struct {
	q string
	i int
}

func (p *logqlParser) eof() bool { return p.i >= len(p.q) }

func (p *logqlParser) errf(format string, a ...any) error {
	return &Error{Pos: p.i, Msg: fmt.Sprintf(format, a...)}
}

func (p *logqlParser) errAt(pos int, format string, a ...any) error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, a...)}
}

// near describes what is at the current position.
func (p *logqlParser) near() string {
	if p.eof() {
		return "end of query"
	}
	r := p.q[p.i:]
	if len(r) > 12 {
		r = r[:12] + "…"
	}
	return strconv.Quote(r)
}

func (p *logqlParser) space() {
	for !p.eof() && strings.IndexByte(" \t\r\n", p.q[p.i]) >= 0 {
		p.i++
	}
}

// peek reports whether the query continues with s (after spaces).
func (p *logqlParser) peek(s string) bool {
	p.space()
	return strings.HasPrefix(p.q[p.i:], s)
}

func (p *logqlParser) accept(s string) bool {
	if p.peek(s) {
		p.i += len(s)
		return true
	}
	return false
}

func (p *logqlParser) expect(s, what string) error {
	if !p.accept(s) {
		return p.errf("want %q %s, got %s", s, what, p.near())
	}
	return nil
}

func isIdentStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isIdentChar(c byte) bool  { return isIdentStart(c) || c >= '0' && c <= '9' }

// ident reads a name, "" when none is here (nothing consumed).
func (p *logqlParser) ident() string {
	p.space()
	j := p.i
	if j < len(p.q) && isIdentStart(p.q[j]) {
		for j < len(p.q) && isIdentChar(p.q[j]) {
			j++
		}
	}
	s := p.q[p.i:j]
	p.i = j
	return s
}

// peekIdent is the name at the current position, nothing consumed.
func (p *logqlParser) peekIdent() string {
	i := p.i
	s := p.ident()
	p.i = i
	return s
}

// str reads a quoted string.
func (p *logqlParser) str(what string) (string, error) {
	p.space()
	start := p.i
	if p.eof() || (p.q[p.i] != '"' && p.q[p.i] != '`') {
		return "", p.errf("want a quoted string %s, got %s", what, p.near())
	}
	quote := p.q[p.i]
	j := p.i + 1
	for j < len(p.q) && p.q[j] != quote {
		if quote == '"' && p.q[j] == '\\' {
			j++
		}
		j++
	}
	if j >= len(p.q) {
		return "", p.errAt(start, "unterminated string")
	}
	p.i = j + 1
	if quote == '`' {
		return p.q[start+1 : j], nil
	}
	s, err := strconv.Unquote(p.q[start:p.i])
	if err != nil {
		return "", p.errAt(start, "invalid string %s: %v", p.q[start:p.i], err)
	}
	return s, nil
}

// regex reads a quoted regular expression that must compile.
func (p *logqlParser) regex(what string) error {
	start := p.i
	p.space()
	start = max(start, p.i)
	s, err := p.str(what)
	if err != nil {
		return err
	}
	if _, err := regexp.Compile(s); err != nil {
		return p.errAt(start, "invalid regular expression %q: %v", s, err)
	}
	return nil
}

// number reads a number, ok false when none is here.
func (p *logqlParser) number() (ok bool) {
	p.space()
	j := p.i
	for j < len(p.q) && (p.q[j] >= '0' && p.q[j] <= '9' || p.q[j] == '.' || p.q[j] == 'e' || p.q[j] == 'E' ||
		(j > p.i && (p.q[j] == '+' || p.q[j] == '-') && (p.q[j-1] == 'e' || p.q[j-1] == 'E'))) {
		j++
	}
	if j == p.i {
		return false
	}
	if _, err := strconv.ParseFloat(p.q[p.i:j], 64); err != nil {
		return false
	}
	p.i = j
	return true
}

// Binary operators by precedence (higher binds tighter), as PromQL's.
var logqlBinary = []struct {
	op   string
	prec int
}{
	// Longer first: "==" before "=", ">=" before ">".
	{"unless", 2}, {"and", 2}, {"or", 1},
	{"==", 3}, {"!=", 3}, {">=", 3}, {"<=", 3}, {">", 3}, {"<", 3},
	{"+", 4}, {"-", 4}, {"*", 5}, {"/", 5}, {"%", 5}, {"^", 6},
}

// binaryOp reads the operator at the current position with at least
// precedence min; "" when none.
func (p *logqlParser) binaryOp(minPrec int) (string, int) {
	p.space()
	for _, b := range logqlBinary {
		if b.prec < minPrec || !strings.HasPrefix(p.q[p.i:], b.op) {
			continue
		}
		if isIdentStart(b.op[0]) {
			if end := p.i + len(b.op); end < len(p.q) && isIdentChar(p.q[end]) {
				continue
			}
		}
		return b.op, b.prec
	}
	return "", 0
}

// expr parses a (binary) expression of at least precedence minPrec;
// metric says whether it returns samples.
func (p *logqlParser) expr(minPrec int) (metric bool, err error) {
	start := p.i
	metric, err = p.unary()
	if err != nil {
		return false, err
	}
	for {
		op, prec := p.binaryOp(max(minPrec, 1))
		if op == "" {
			return metric, nil
		}
		if !metric {
			return false, p.errf("%q after a log query: binary operators take metric queries (e.g. sum(count_over_time(%s [5m])))", op, strings.TrimSpace(p.q[start:p.i]))
		}
		p.i += len(op)
		p.accept("bool ")
		next := prec + 1
		if op == "^" {
			next = prec // right-associative
		}
		at := p.i
		right, err := p.expr(next)
		if err != nil {
			return false, err
		}
		if !right {
			return false, p.errAt(at, "the right side of %q is a log query: binary operators take metric queries", op)
		}
	}
}

var (
	logqlAggs   = map[string]bool{"sum": true, "avg": true, "min": true, "max": true, "count": true, "stddev": true, "stdvar": true, "topk": true, "bottomk": true}
	logqlRanges = map[string]bool{"count_over_time": true, "rate": true, "bytes_over_time": true, "bytes_rate": true, "absent_over_time": true}
)

func (p *logqlParser) unary() (metric bool, err error) {
	p.space()
	switch {
	case p.eof():
		return false, p.errf("unexpected end of query: want a stream selector {...}, a function or a number")
	case p.q[p.i] == '{':
		return false, p.logQuery()
	case p.q[p.i] == '(':
		p.i++
		m, err := p.expr(0)
		if err != nil {
			return false, err
		}
		return m, p.expect(")", "to close the parenthesis")
	case p.q[p.i] == '-' || p.q[p.i] == '+':
		p.i++
		if !p.number() {
			return false, p.errf("want a number after the sign, got %s", p.near())
		}
		return true, nil
	}
	if p.number() {
		return true, nil
	}
	at := p.i
	name := p.ident()
	switch {
	case name == "":
		return false, p.errf("unexpected %s: want a stream selector {...}, a function or a number", p.near())
	case name == "vector":
		if err := p.expect("(", "after vector"); err != nil {
			return false, err
		}
		if !p.number() {
			return false, p.errf("vector takes a number, got %s", p.near())
		}
		return true, p.expect(")", "to close vector(")
	case logqlRanges[name]:
		return true, p.rangeAgg(name)
	case logqlAggs[name]:
		return true, p.aggregation(name)
	}
	return false, p.errAt(at, "unknown function %q (gameday checks a subset of LogQL: %s, vector and the range aggregations %s)", name, keys(logqlAggs), keys(logqlRanges))
}

func keys(m map[string]bool) string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

// rangeAgg: name ( logQuery [duration] ).
func (p *logqlParser) rangeAgg(name string) error {
	if err := p.expect("(", "after "+name); err != nil {
		return err
	}
	if !p.peek("{") {
		return p.errf("%s takes a log query {...} [range], got %s", name, p.near())
	}
	if err := p.logQuery(); err != nil {
		return err
	}
	if !p.peek("[") {
		return p.errf("%s needs a range after its log query, e.g. [5m]; got %s", name, p.near())
	}
	if err := p.duration("the range of " + name); err != nil {
		return err
	}
	if p.peekIdent() == "offset" {
		p.ident()
		p.space()
		at := p.i
		for !p.eof() && isIdentChar(p.q[p.i]) {
			p.i++
		}
		if d, err := model.ParseDuration(p.q[at:p.i]); err != nil || d == 0 {
			return p.errAt(at, "offset needs a duration, e.g. 5m")
		}
	}
	return p.expect(")", "to close "+name+"(")
}

// duration: [d], d a positive Prometheus duration (5m, 1h30m).
func (p *logqlParser) duration(what string) error {
	p.accept("[")
	at := p.i
	end := strings.IndexByte(p.q[p.i:], ']')
	if end < 0 {
		return p.errAt(at, "unclosed [ of %s", what)
	}
	s := strings.TrimSpace(p.q[p.i : p.i+end])
	d, err := model.ParseDuration(s)
	if err != nil || d <= 0 {
		return p.errAt(at, "%q is not a duration for %s (e.g. 5m, 1h, 30d)", s, what)
	}
	p.i += end + 1
	return nil
}

// aggregation: name [grouping] ( [k,] expr ) [grouping].
func (p *logqlParser) aggregation(name string) error {
	grouped := false
	if g := p.peekIdent(); g == "by" || g == "without" {
		if err := p.grouping(); err != nil {
			return err
		}
		grouped = true
	}
	if err := p.expect("(", "after "+name); err != nil {
		return err
	}
	if name == "topk" || name == "bottomk" {
		if !p.number() {
			return p.errf("%s takes a number first, e.g. %s(5, ...)", name, name)
		}
		if err := p.expect(",", "after the k of "+name); err != nil {
			return err
		}
	}
	at := p.i
	m, err := p.expr(0)
	if err != nil {
		return err
	}
	if !m {
		return p.errAt(at, "%s takes a metric query, not a log query: count its lines, e.g. %s(count_over_time({...} [5m]))", name, name)
	}
	if err := p.expect(")", "to close "+name+"("); err != nil {
		return err
	}
	if g := p.peekIdent(); g == "by" || g == "without" {
		if grouped {
			return p.errf("%s is grouped twice", name)
		}
		return p.grouping()
	}
	return nil
}

// grouping: (by|without) (label, ...).
func (p *logqlParser) grouping() error {
	kw := p.ident()
	if err := p.expect("(", "after "+kw); err != nil {
		return err
	}
	for !p.accept(")") {
		if n := p.ident(); n == "" {
			return p.errf("want a label name in %s (...), got %s", kw, p.near())
		}
		if !p.accept(",") && !p.peek(")") {
			return p.errf("want \",\" or \")\" in %s (...), got %s", kw, p.near())
		}
	}
	return nil
}

// logQuery: selector stage*.
func (p *logqlParser) logQuery() error {
	if err := p.selector(); err != nil {
		return err
	}
	for {
		p.space()
		switch {
		case p.accept("|="), p.accept("!="):
			if _, err := p.str("after a line filter"); err != nil {
				return err
			}
		case p.accept("|~"), p.accept("!~"):
			if err := p.regex("after a line filter"); err != nil {
				return err
			}
		case p.accept("|"):
			if err := p.stage(); err != nil {
				return err
			}
		default:
			return nil
		}
	}
}

// selector: { matcher, ... }.
func (p *logqlParser) selector() error {
	open := p.i
	p.accept("{")
	n := 0
	for {
		if p.accept("}") {
			break
		}
		if p.eof() {
			return p.errAt(open, "unclosed stream selector {")
		}
		if err := p.matcher(); err != nil {
			return err
		}
		n++
		if !p.accept(",") && !p.peek("}") {
			return p.errf("want \",\" or \"}\" in the stream selector, got %s", p.near())
		}
	}
	if n == 0 {
		return p.errAt(open, "empty stream selector {}: name at least one label, e.g. {app=\"petclinic\"}")
	}
	return nil
}

// matcher: name op "value", op = != =~ !~.
func (p *logqlParser) matcher() error {
	p.space()
	at := p.i
	name := p.ident()
	if name == "" {
		return p.errf("want a label name in the stream selector, got %s", p.near())
	}
	switch {
	case p.accept("=~"), p.accept("!~"):
		return p.regex("as the value of " + name)
	case p.accept("!="), p.accept("="):
		_, err := p.str("as the value of " + name)
		return err
	}
	return p.errAt(at, "%q is not followed by a matcher operator (=, !=, =~ or !~)", name)
}

// stage: after "|", a parser or a label filter.
func (p *logqlParser) stage() error {
	p.space()
	at := p.i
	name := p.peekIdent()
	switch name {
	case "json", "logfmt":
		p.ident()
		return nil
	case "regexp":
		p.ident()
		return p.regex("after | regexp")
	case "pattern", "line_format":
		p.ident()
		_, err := p.str("after | " + name)
		return err
	case "":
		return p.errf("want a parser (json, logfmt, regexp, pattern, line_format) or a label filter after \"|\", got %s", p.near())
	case "unpack", "label_format", "unwrap", "drop", "keep", "decolorize", "ip":
		return p.errAt(at, "| %s is LogQL gameday does not check (its own parser of a subset: json, logfmt, regexp, pattern, line_format, label filters)", name)
	}
	return p.labelFilters()
}

// labelFilters: filter ((and|or|,) filter)*.
func (p *logqlParser) labelFilters() error {
	for {
		if err := p.labelFilter(); err != nil {
			return err
		}
		switch {
		case p.accept(","):
		case p.peekIdent() == "and" || p.peekIdent() == "or":
			p.ident()
		default:
			return nil
		}
	}
}

// labelFilter: name op value, or ( filters ).
func (p *logqlParser) labelFilter() error {
	if p.accept("(") {
		if err := p.labelFilters(); err != nil {
			return err
		}
		return p.expect(")", "to close the label filter")
	}
	at := p.i
	name := p.ident()
	if name == "" {
		return p.errf("want a label name in a label filter, got %s", p.near())
	}
	switch {
	case p.accept("=~"), p.accept("!~"):
		return p.regex("as the value of " + name)
	case p.accept("=="), p.accept(">="), p.accept("<="), p.accept(">"), p.accept("<"):
		return p.numberOrDuration(name)
	case p.accept("!="), p.accept("="):
		if p.peek("\"") || p.peek("`") {
			_, err := p.str("as the value of " + name)
			return err
		}
		return p.numberOrDuration(name)
	}
	return p.errAt(at, "%q is not followed by a label filter operator (= != =~ !~ == > >= < <=)", name)
}

// numberOrDuration: 500, 0.5, 250ms, 1.5s.
func (p *logqlParser) numberOrDuration(name string) error {
	p.space()
	at := p.i
	for !p.eof() && (isIdentChar(p.q[p.i]) || p.q[p.i] == '.') {
		p.i++
	}
	s := p.q[at:p.i]
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return nil
	}
	if _, err := time.ParseDuration(s); err == nil {
		return nil
	}
	return p.errAt(at, "want a quoted string, a number or a duration as the value of %s, got %q", name, s)
}
