package logql

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/prometheus/prometheus/model/labels"
)

// A recursive-descent parser of Loki's grammar (pkg/logql/syntax/syntax.y
// of Loki's main branch), written for gameday: it accepts what that
// grammar accepts and names the token it stops at as Loki's yacc parser
// does ("syntax error: unexpected }, expecting IDENTIFIER"). The list of
// expected tokens is given where the grammar leaves only a few (yacc's
// rule: at most four), and left out elsewhere, as yacc does.

type parser struct {
	lx  *lexer
	tok token // the look-ahead
	err *Error
}

// failure stops the parse: the first error wins.
type failure struct{}

func (p *parser) advance() token {
	t := p.tok
	p.tok = p.lx.next()
	return t
}

// peek2 is the token after the look-ahead.
func (p *parser) peek2() token {
	save := *p.lx
	t := p.lx.next()
	*p.lx = save
	return t
}

func (p *parser) fail(pos int, format string, a ...any) {
	if p.err == nil {
		p.err = errorAt(p.lx.q, pos, fmt.Sprintf(format, a...))
	}
	panic(failure{})
}

// unexpected stops at the look-ahead, naming what could stand there when
// the grammar allows at most four tokens.
func (p *parser) unexpected(expecting ...string) {
	if p.lx.err != nil {
		p.err = p.lx.err
		panic(failure{})
	}
	msg := "syntax error: unexpected " + p.tok.name()
	if n := len(expecting); n > 0 && n <= 4 {
		msg += ", expecting " + strings.Join(expecting, " or ")
	}
	p.fail(p.tok.pos, "%s", msg)
}

func (p *parser) is(kinds ...string) bool {
	for _, k := range kinds {
		if p.tok.kind == k {
			return true
		}
	}
	return false
}

// expect consumes a token of kind k, else stops naming the expected
// tokens (k, when none are given).
func (p *parser) expect(k string, expecting ...string) token {
	if p.tok.kind != k {
		if len(expecting) == 0 {
			expecting = []string{k}
		}
		p.unexpected(expecting...)
	}
	return p.advance()
}

// Binary operators and their precedence (syntax.y: %left OR; %left AND
// UNLESS; %left CMP_EQ NEQ LT LTE GT GTE; %left ADD SUB; %left MUL DIV MOD;
// %right POW).
var binaryPrec = map[string]int{
	"or": 1, "and": 2, "unless": 2,
	"==": 3, "!=": 3, "<": 3, "<=": 3, ">": 3, ">=": 3,
	"+": 4, "-": 4, "*": 5, "/": 5, "%": 5, "^": 6,
}

func isLogical(op string) bool { return op == "or" || op == "and" || op == "unless" }

// parse reads the whole query; comments says whether it has any.
func parse(q string) (e expr, comments bool, err *Error) {
	p := &parser{lx: &lexer{q: q}}
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(failure); !ok {
				panic(r)
			}
			e, err = nil, p.err
		}
	}()
	p.tok = p.lx.next()
	e = p.expr(0)
	if p.tok.kind != tEOF || p.lx.err != nil {
		p.unexpected()
	}
	return e, p.lx.comments, nil
}

// expr is a binary expression of operators of at least precedence min.
func (p *parser) expr(min int) expr {
	return p.binary(p.unary(), min)
}

func (p *parser) binary(left expr, min int) expr {
	for {
		prec, ok := binaryPrec[p.tok.kind]
		if !ok || prec < min {
			return left
		}
		opTok := p.advance()
		p.binOpModifier()
		next := prec + 1
		if opTok.kind == "^" {
			next = prec // right-associative
		}
		right := p.expr(next)
		left = newBinOp(opTok, left, right)
	}
}

// binOpModifier: [bool] [(on|ignoring) (labels) [(group_left|group_right) [(labels)]]].
func (p *parser) binOpModifier() {
	if p.is("bool") {
		p.advance()
	}
	if !p.is("on", "ignoring") {
		return
	}
	p.advance()
	p.labelList()
	if p.is("group_left", "group_right") {
		p.advance()
		if p.is("(") {
			p.labelList()
		}
	}
}

// labelList: ( [IDENTIFIER {, IDENTIFIER}] ).
func (p *parser) labelList() []string {
	p.expect("(")
	var out []string
	if p.is(")") {
		p.advance()
		return out
	}
	for {
		out = append(out, p.expect(tIdent, tIdent, ")").val)
		if p.is(")") {
			p.advance()
			return out
		}
		p.expect(",", ",", ")")
		if p.tok.kind != tIdent {
			p.unexpected(tIdent)
		}
	}
}

// grouping: (by|without) ( labels ).
func (p *parser) grouping() *grouping {
	g := &grouping{without: p.tok.kind == "without", pos: p.tok.pos}
	p.advance()
	g.labels = p.labelList()
	return g
}

var (
	rangeOps = map[string]bool{
		"count_over_time": true, "rate": true, "rate_counter": true, "bytes_over_time": true, "bytes_rate": true,
		"avg_over_time": true, "sum_over_time": true, "min_over_time": true, "max_over_time": true,
		"stdvar_over_time": true, "stddev_over_time": true, "quantile_over_time": true,
		"first_over_time": true, "last_over_time": true, "absent_over_time": true,
	}
	vectorOps = map[string]bool{
		"sum": true, "avg": true, "count": true, "max": true, "min": true, "stddev": true, "stdvar": true,
		"bottomk": true, "topk": true, "sort": true, "sort_desc": true, "approx_topk": true,
	}
)

func (p *parser) unary() expr {
	t := p.tok
	switch {
	case t.kind == "{":
		return p.logExpr()
	case t.kind == "(":
		p.advance()
		e := p.expr(0)
		p.expect(")")
		return e
	case t.kind == tNumber:
		p.advance()
		return newLiteral(t, false, t.pos)
	case t.kind == "+" || t.kind == "-":
		p.advance()
		n := p.expect(tNumber)
		return newLiteral(n, t.kind == "-", t.pos)
	case rangeOps[t.kind]:
		return p.rangeAgg()
	case vectorOps[t.kind]:
		return p.vectorAgg()
	case t.kind == "label_replace":
		return p.labelReplace()
	case t.kind == "vector":
		p.advance()
		p.expect("(")
		n := p.expect(tNumber)
		end := p.expect(")").end
		v := &vectorExpr{pos: t.pos, end: end}
		f, err := strconv.ParseFloat(n.val, 64)
		v.val = f
		if err != nil {
			v.err = "unable to parse vectorExpr as a float: " + err.Error()
		}
		return v
	case t.kind == "variants":
		p.fail(t.pos, "variants(...) of (...) is a LogQL construct gameday does not check (multi-variant queries are off by default in Loki)")
	}
	p.unexpected()
	return nil
}

func newLiteral(n token, negative bool, pos int) *literalExpr {
	l := &literalExpr{pos: pos, end: n.end}
	f, err := strconv.ParseFloat(n.val, 64)
	if err != nil {
		l.err = "unable to parse literal as a float: " + err.Error()
	}
	if negative {
		f = -f
	}
	l.val = f
	return l
}

// newBinOp applies Loki's checks of a binary operation (mustNewBinOpExpr):
// both legs metric queries, no literal leg to a logical operator; two
// literal legs fold into one literal.
func newBinOp(op token, left, right expr) expr {
	pos, _ := left.span()
	_, end := right.span()
	b := &binOpExpr{op: op.kind, left: left, right: right, pos: pos, end: end, opPos: op.pos}
	if l, ok := left.(*logExpr); ok {
		b.err = fmt.Sprintf("unexpected type for left leg of binary operation (%s): %s", op.kind, l.lokiType())
		return b
	}
	if r, ok := right.(*logExpr); ok {
		b.err = fmt.Sprintf("unexpected type for right leg of binary operation (%s): %s", op.kind, r.lokiType())
		return b
	}
	ll, lok := left.(*literalExpr)
	rl, rok := right.(*literalExpr)
	if lok && ll.err != "" {
		b.err = ll.err
		return b
	}
	if rok && rl.err != "" {
		b.err = rl.err
		return b
	}
	if isLogical(op.kind) {
		if lok {
			b.err = fmt.Sprintf("unexpected literal for left leg of logical/set binary operation (%s): %f", op.kind, ll.val)
			return b
		}
		if rok {
			b.err = fmt.Sprintf("unexpected literal for right leg of logical/set binary operation (%s): %f", op.kind, rl.val)
			return b
		}
	}
	if lok && rok {
		return &literalExpr{val: fold(op.kind, ll.val, rl.val), pos: pos, end: end}
	}
	return b
}

// fold is a binary operation between two numbers, as Loki reduces it.
func fold(op string, a, b float64) float64 {
	truth := func(t bool) float64 {
		if t {
			return 1
		}
		return 0
	}
	switch op {
	case "+":
		return a + b
	case "-":
		return a - b
	case "*":
		return a * b
	case "/":
		if b == 0 {
			return math.NaN()
		}
		return a / b
	case "%":
		if b == 0 {
			return math.NaN()
		}
		return math.Mod(a, b)
	case "^":
		return math.Pow(a, b)
	case "==":
		return truth(a == b)
	case "!=":
		return truth(a != b)
	case ">":
		return truth(a > b)
	case ">=":
		return truth(a >= b)
	case "<":
		return truth(a < b)
	case "<=":
		return truth(a <= b)
	}
	return 0
}

// rangeAgg: rangeOp ( [NUMBER ,] logRangeExpr ) [grouping].
func (p *parser) rangeAgg() expr {
	opTok := p.advance()
	p.expect("(")
	r := &rangeAggExpr{op: opTok.kind, pos: opTok.pos}
	if p.is(tNumber) {
		n := p.advance()
		r.param = &n
		p.expect(",")
		if !p.is("{", "(") {
			p.unexpected("{", "(")
		}
	} else if !p.is("{", "(") {
		p.unexpected(tNumber, "{", "(")
	}
	r.lr = p.logRange()
	r.end = p.expect(")").end
	if p.is("by", "without") {
		r.grouping = p.grouping()
		r.end = p.tok.pos
	}
	r.err = checkRangeAgg(r)
	return r
}

// checkRangeAgg is Loki's newRangeAggregationExpr and its validate().
func checkRangeAgg(r *rangeAggExpr) string {
	op := r.op
	if r.param != nil {
		if op != "quantile_over_time" {
			return fmt.Sprintf("parameter %s not supported for operation %s", r.param.val, op)
		}
		if _, err := strconv.ParseFloat(r.param.val, 64); err != nil {
			return fmt.Sprintf("invalid parameter for operation %s: %s", op, err)
		}
	} else if op == "quantile_over_time" {
		return "parameter required for operation " + op
	}
	if r.grouping != nil {
		switch op {
		case "avg_over_time", "stddev_over_time", "stdvar_over_time", "quantile_over_time", "max_over_time",
			"min_over_time", "first_over_time", "last_over_time":
		default:
			return fmt.Sprintf("grouping not allowed for %s aggregation", op)
		}
	}
	if r.lr.unwrap != nil {
		switch op {
		case "avg_over_time", "sum_over_time", "max_over_time", "min_over_time", "stddev_over_time",
			"stdvar_over_time", "quantile_over_time", "rate", "rate_counter", "absent_over_time",
			"first_over_time", "last_over_time":
			return ""
		}
		return fmt.Sprintf("invalid aggregation %s with unwrap", op)
	}
	switch op {
	case "bytes_over_time", "bytes_rate", "count_over_time", "rate", "absent_over_time":
		return ""
	}
	return fmt.Sprintf("invalid aggregation %s without unwrap", op)
}

// vectorAgg: vectorOp [grouping] ( [NUMBER ,] metricExpr ) [grouping].
func (p *parser) vectorAgg() expr {
	opTok := p.advance()
	if opTok.kind == "approx_topk" {
		p.fail(opTok.pos, "approx_topk is a LogQL construct gameday does not check (Loki runs it only with its shard_aggregations limit set)")
	}
	v := &vectorAggExpr{op: opTok.kind, pos: opTok.pos}
	if p.is("by", "without") {
		v.grouping = p.grouping()
	}
	open := p.expect("(")
	var first expr
	if p.is(tNumber) {
		n := p.advance()
		if p.is(",") {
			p.advance()
			v.param = &n
		} else {
			first = p.binary(newLiteral(n, false, n.pos), 0)
		}
	}
	if first == nil {
		first = p.expr(0)
	}
	if _, ok := first.(*logExpr); ok {
		p.unexpected() // a log query where a metric query must be
	}
	v.inner = first
	v.end = p.expect(")").end
	if v.grouping == nil && p.is("by", "without") {
		v.grouping = p.grouping()
		v.end = p.tok.pos
	}
	_ = open
	v.err = checkVectorAgg(v)
	return v
}

// checkVectorAgg is Loki's mustNewVectorAggregationExpr.
func checkVectorAgg(v *vectorAggExpr) string {
	switch v.op {
	case "topk", "bottomk", "approx_topk":
		if v.param == nil {
			return "parameter required for operation " + v.op
		}
		k, err := strconv.Atoi(v.param.val)
		if err != nil {
			return fmt.Sprintf("invalid parameter %s(%s,", v.op, v.param.val)
		}
		if k <= 0 {
			return fmt.Sprintf("invalid parameter (must be greater than 0) %s(%s", v.op, v.param.val)
		}
		if v.op == "approx_topk" && v.grouping != nil {
			return "grouping not allowed for approx_topk aggregation"
		}
	default:
		if v.param != nil {
			return fmt.Sprintf("unsupported parameter for operation %s(%s,", v.op, v.param.val)
		}
	}
	return ""
}

// labelReplace: label_replace ( metricExpr , STRING , STRING , STRING , STRING ).
func (p *parser) labelReplace() expr {
	t := p.advance()
	p.expect("(")
	inner := p.expr(0)
	if _, ok := inner.(*logExpr); ok {
		p.unexpected()
	}
	l := &labelReplaceExpr{inner: inner, pos: t.pos}
	p.expect(",")
	var args [4]token
	for i := range args {
		if i > 0 {
			p.expect(",")
		}
		args[i] = p.expect(tString)
	}
	l.end = p.expect(")").end
	if err := compileAnchored(args[3].val); err != nil {
		l.err = "invalid regex in label_replace: " + err.Error()
	}
	return l
}

// logExpr: selector [pipeline], where a query returns lines.
func (p *parser) logExpr() expr {
	sel := p.selector()
	e := &logExpr{sel: sel, pos: sel.pos, end: sel.end}
	e.stages = p.pipeline(false)
	if len(e.stages) > 0 {
		e.end = p.tok.pos
	}
	return e
}

// selector: { [matcher {, matcher}] }.
func (p *parser) selector() *selector {
	open := p.expect("{")
	s := &selector{pos: open.pos}
	if p.is("}") {
		s.end = p.advance().end
		return s
	}
	if !p.is(tIdent) {
		p.unexpected(tIdent, "}")
	}
	for {
		s.matchers = append(s.matchers, p.matcher())
		if p.is("}") {
			s.end = p.advance().end
			return s
		}
		p.expect(",", "}", ",")
		if !p.is(tIdent) {
			p.unexpected(tIdent)
		}
	}
}

// matcher: IDENTIFIER (= | != | =~ | !~) STRING, checked as Loki's
// mustNewMatcher does (Prometheus' labels.NewMatcher: the regular
// expression must compile).
func (p *parser) matcher() *labels.Matcher {
	name := p.expect(tIdent)
	var mt labels.MatchType
	switch p.tok.kind {
	case "=":
		mt = labels.MatchEqual
	case "!=":
		mt = labels.MatchNotEqual
	case "=~":
		mt = labels.MatchRegexp
	case "!~":
		mt = labels.MatchNotRegexp
	default:
		p.unexpected("=", "=~", "!~", "!=")
	}
	p.advance()
	v := p.expect(tString)
	m, err := labels.NewMatcher(mt, name.val, v.val)
	if err != nil {
		p.fail(v.pos, "%s", err.Error())
	}
	return m
}

var lineFilterOps = map[string]bool{"|=": true, "|~": true, "|>": true, "!=": true, "!~": true, "!>": true}

// pipeline: its stages; in a log range (inRange) it stops before an
// unwrap.
func (p *parser) pipeline(inRange bool) []stage {
	var out []stage
	for {
		switch {
		case lineFilterOps[p.tok.kind]:
			out = append(out, p.lineFilter())
		case p.is("|"):
			if p.peek2().kind == "unwrap" && inRange {
				return out
			}
			p.advance()
			out = append(out, p.stage())
		default:
			return out
		}
	}
}

// lineFilter: filter (STRING | ip ( STRING )) {or (STRING | ip ( STRING ))}.
func (p *parser) lineFilter() stage {
	op := p.advance()
	f := &lineFilterStage{op: op.kind, pos: op.pos}
	f.values = append(f.values, p.lineFilterValue())
	for p.is("or") {
		p.advance()
		f.values = append(f.values, p.lineFilterValue())
	}
	return f
}

func (p *parser) lineFilterValue() filterValue {
	if p.is("ip") {
		t := p.advance()
		p.expect("(")
		s := p.expect(tString)
		p.expect(")")
		return filterValue{ip: true, s: s.val, pos: t.pos}
	}
	s := p.expect(tString, tString, "ip")
	return filterValue{s: s.val, pos: s.pos}
}

// stage: what follows a "|" in a pipeline.
func (p *parser) stage() stage {
	t := p.tok
	switch t.kind {
	case "json":
		p.advance()
		if p.is(tIdent) {
			return &extractionStage{parser: "json", pos: t.pos, exprs: p.extractions()}
		}
		return noCheck{}
	case "logfmt":
		p.advance()
		for p.is(tFlag) {
			p.advance()
		}
		if p.is(tIdent) {
			return &extractionStage{parser: "logfmt", pos: t.pos, exprs: p.extractions()}
		}
		return noCheck{}
	case "regexp", "pattern":
		p.advance()
		s := p.expect(tString)
		var err error
		if t.kind == "regexp" {
			err = checkRegexpParser(s.val)
		} else {
			err = checkPatternParser(s.val)
		}
		if err != nil {
			p.fail(s.pos, "invalid %s parser: %s", t.kind, err)
		}
		return noCheck{}
	case "unpack", "decolorize":
		p.advance()
		return noCheck{}
	case "line_format":
		p.advance()
		s := p.expect(tString)
		return &lineFormatStage{tmpl: s.val, pos: s.pos}
	case "label_format":
		p.advance()
		return p.labelFormat()
	case "drop", "keep":
		p.advance()
		p.items(func() {
			name := p.expect(tIdent)
			if p.is("=", "!=", "=~", "!~") {
				op := p.advance()
				p.checkMatcher(op.kind, name.val, p.expect(tString))
			}
		})
		return noCheck{}
	case tIdent, "(":
		return p.labelFilter()
	}
	p.unexpected()
	return nil
}

// checkMatcher is Loki's mustNewMatcher: the matcher must be valid (its
// regular expression compiles), else the parse stops at its value.
func (p *parser) checkMatcher(op, name string, v token) {
	if _, err := labels.NewMatcher(matchType(op), name, v.val); err != nil {
		p.fail(v.pos, "%s", err.Error())
	}
}

func matchType(op string) labels.MatchType {
	switch op {
	case "!=":
		return labels.MatchNotEqual
	case "=~":
		return labels.MatchRegexp
	case "!~":
		return labels.MatchNotRegexp
	}
	return labels.MatchEqual
}

// items reads item {, item}, where every item starts with an identifier.
func (p *parser) items(item func()) {
	for {
		item()
		if !p.is(",") {
			return
		}
		p.advance()
		if !p.is(tIdent) {
			p.unexpected(tIdent)
		}
	}
}

// extractions: IDENTIFIER [= STRING] {, IDENTIFIER [= STRING]}.
func (p *parser) extractions() []extraction {
	var out []extraction
	p.items(func() {
		id := p.expect(tIdent)
		x := extraction{label: id.val, expr: id.val, pos: id.pos}
		if p.is("=") {
			p.advance()
			s := p.expect(tString)
			x.expr, x.pos = s.val, s.pos
		}
		out = append(out, x)
	})
	return out
}

// labelFormat: IDENTIFIER = (IDENTIFIER | STRING) {, ...}.
func (p *parser) labelFormat() stage {
	s := &labelFormatStage{}
	p.items(func() {
		name := p.expect(tIdent)
		p.expect("=")
		f := labelFmt{name: name.val, pos: name.pos}
		switch p.tok.kind {
		case tIdent:
			f.value, f.rename = p.advance().val, true
		case tString:
			f.value = p.advance().val
		default:
			p.unexpected(tIdent, tString)
		}
		s.fmts = append(s.fmts, f)
	})
	return s
}

// labelFilter: label filters joined by and, or, "," or nothing, and
// grouped by parentheses.
func (p *parser) labelFilter() stage {
	s := &labelFilterStage{}
	p.labelFilters(s)
	return s
}

func (p *parser) labelFilters(s *labelFilterStage) {
	p.labelFilterPrimary(s)
	for {
		switch {
		case p.is("and", "or", ","):
			p.advance()
			p.labelFilterPrimary(s)
		case p.is(tIdent, "("):
			p.labelFilterPrimary(s)
		default:
			return
		}
	}
}

func (p *parser) labelFilterPrimary(s *labelFilterStage) {
	if p.is("(") {
		p.advance()
		p.labelFilters(s)
		p.expect(")")
		return
	}
	name := p.expect(tIdent, tIdent, "(")
	op := p.tok
	switch op.kind {
	case "=", "!=":
		p.advance()
		switch p.tok.kind {
		case tString:
			p.checkMatcher(op.kind, name.val, p.advance())
		case "ip":
			t := p.advance()
			p.expect("(")
			v := p.expect(tString)
			p.expect(")")
			s.ips = append(s.ips, filterValue{ip: true, s: v.val, pos: t.pos})
		default:
			p.numericValue()
		}
	case "=~", "!~":
		p.advance()
		p.checkMatcher(op.kind, name.val, p.expect(tString))
	case "==", ">", ">=", "<", "<=":
		p.advance()
		p.numericValue()
	default:
		p.unexpected()
	}
}

// numericValue: DURATION | BYTES | NUMBER | + NUMBER | - NUMBER.
func (p *parser) numericValue() {
	switch p.tok.kind {
	case tDuration, tBytes, tNumber:
		p.advance()
	case "+", "-":
		p.advance()
		p.expect(tNumber)
	default:
		p.unexpected()
	}
}

// logRange is logRangeExpr: a log query with a range, an optional offset
// and an optional unwrap, in the orders syntax.y allows.
func (p *parser) logRange() *logRange {
	if p.is("(") {
		p.advance()
		if !p.is("{") {
			lr := p.logRange()
			p.expect(")")
			return lr
		}
		lr := p.rangeHead()
		if p.is(tRange) { // ( logRangeExpr ): the range inside
			p.finishRange(lr, lr.stages == nil && lr.unwrap == nil)
			p.expect(")")
			return lr
		}
		if !p.is(")") {
			if lr.unwrap != nil {
				p.unexpected(tRange, ")", "|")
			}
			p.unexpected()
		}
		p.advance()
		bare := lr.stages == nil && lr.unwrap == nil
		p.rangeOffset(lr)
		if bare { // ( selector ) RANGE [offset] [unwrap]
			lr.unwrap = p.maybeUnwrap()
		}
		return lr
	}
	lr := p.rangeHead()
	if !p.is(tRange) {
		if lr.unwrap != nil {
			p.unexpected(tRange, "|")
		}
		p.unexpected()
	}
	p.finishRange(lr, lr.stages == nil && lr.unwrap == nil)
	return lr
}

// rangeHead reads selector [pipeline] [unwrap]: the range's log query.
func (p *parser) rangeHead() *logRange {
	lr := &logRange{}
	start := p.tok.pos
	lr.sel = p.selector()
	lr.stages = p.pipeline(true)
	lr.logText = strings.TrimSpace(p.lx.q[start:p.tok.pos])
	lr.unwrap = p.maybeUnwrap()
	return lr
}

// rangeOffset reads RANGE [offset DURATION].
func (p *parser) rangeOffset(lr *logRange) {
	lr.rng = p.expect(tRange).dur
	if p.is("offset") {
		p.advance()
		lr.offset = p.expect(tDuration).dur
	}
}

// finishRange reads RANGE [offset], and when the range came right after
// the selector (rangeFirst), a pipeline and an unwrap after them.
func (p *parser) finishRange(lr *logRange, rangeFirst bool) {
	p.rangeOffset(lr)
	if !rangeFirst {
		return
	}
	start := p.tok.pos
	if stages := p.pipeline(true); len(stages) > 0 {
		lr.stages = stages
		// The log query is the selector and this pipeline.
		lr.logText = p.lx.q[lr.sel.pos:lr.sel.end] + " " + strings.TrimSpace(p.lx.q[start:p.tok.pos])
	}
	lr.unwrap = p.maybeUnwrap()
}

// maybeUnwrap: | unwrap (IDENTIFIER | conv ( IDENTIFIER )) {| labelFilter}.
func (p *parser) maybeUnwrap() *unwrapExpr {
	if !p.is("|") || p.peek2().kind != "unwrap" {
		return nil
	}
	p.advance()
	p.advance()
	u := &unwrapExpr{}
	switch p.tok.kind {
	case tIdent:
		u.label = p.advance().val
	case "bytes", "duration", "duration_seconds":
		u.conv = p.advance().kind
		p.expect("(")
		u.label = p.expect(tIdent).val
		p.expect(")")
	default:
		p.unexpected(tIdent, "BYTES_CONV", "DURATION_CONV", "DURATION_SECONDS_CONV")
	}
	for p.is("|") {
		p.advance()
		if !p.is(tIdent, "(") {
			p.unexpected(tIdent, "(")
		}
		u.post = append(u.post, p.labelFilter())
	}
	return u
}
