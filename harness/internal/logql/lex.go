package logql

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/prometheus/common/model"
)

// The lexer reads a query as Loki's lexer does (pkg/logql/syntax/lex.go,
// over a copy of Go's text/scanner): Go tokens, then LogQL's rules on top
// of them, written here from those files' behaviour:
//
//   - "#" starts a comment to the end of the line; Go comments (// and
//     /* */) are skipped too;
//   - a number followed (without a space) by duration units is a DURATION
//     (Prometheus' units, else Go's: 1h30m, 1.5s, 250ms, -5m), else by
//     byte units a BYTES (go-humanize: 3KB, 2.5KiB, 1M), else a NUMBER;
//   - "[...]" is a RANGE, its content a Prometheus duration taken as it is
//     (no spaces trimmed);
//   - a function name (rate, sum, quantile_over_time, bytes, ip, ...) is a
//     function only when "(" follows, or "by"/"without" and "(";
//     otherwise it is an IDENTIFIER (a label may be called rate);
//   - keywords (by, without, bool, offset, on, ignoring, group_left,
//     group_right, or, and, unless, json, logfmt, regexp, unpack, pattern,
//     label_format, line_format, decolorize, drop, keep, unwrap, variants,
//     of) are keywords anywhere, in any case: `{json="x"}` is refused;
//   - strings are "..." with Go escapes, or `...` raw; '...' is not a
//     string.

// A token kind is the name Loki's parser gives it in its messages
// ("syntax error: unexpected IDENTIFIER, expecting STRING").
const (
	tEOF      = "$end"
	tIdent    = "IDENTIFIER"
	tString   = "STRING"
	tNumber   = "NUMBER"
	tDuration = "DURATION"
	tBytes    = "BYTES"
	tRange    = "RANGE"
	tFlag     = "FUNCTION_FLAG"
)

// keywords are tokens wherever they stand (Loki's tokens map); their name
// in messages is the word itself.
var keywords = map[string]bool{
	"by": true, "without": true, "bool": true, "offset": true, "on": true, "ignoring": true,
	"group_left": true, "group_right": true, "or": true, "and": true, "unless": true,
	"json": true, "regexp": true, "logfmt": true, "unpack": true, "pattern": true,
	"label_format": true, "line_format": true, "decolorize": true, "drop": true, "keep": true,
	"unwrap": true, "variants": true, "of": true,
}

// functions are tokens only before "(" (Loki's functionTokens); their name
// in messages is their token name, except ip and label_replace, which
// Loki's parser names as written.
var functions = map[string]string{
	"rate": "RATE", "rate_counter": "RATE_COUNTER", "count_over_time": "COUNT_OVER_TIME",
	"bytes_rate": "BYTES_RATE", "bytes_over_time": "BYTES_OVER_TIME", "avg_over_time": "AVG_OVER_TIME",
	"sum_over_time": "SUM_OVER_TIME", "min_over_time": "MIN_OVER_TIME", "max_over_time": "MAX_OVER_TIME",
	"stdvar_over_time": "STDVAR_OVER_TIME", "stddev_over_time": "STDDEV_OVER_TIME",
	"quantile_over_time": "QUANTILE_OVER_TIME", "first_over_time": "FIRST_OVER_TIME",
	"last_over_time": "LAST_OVER_TIME", "absent_over_time": "ABSENT_OVER_TIME", "vector": "VECTOR",
	"sum": "SUM", "avg": "AVG", "max": "MAX", "min": "MIN", "count": "COUNT", "stddev": "STDDEV",
	"stdvar": "STDVAR", "bottomk": "BOTTOMK", "topk": "TOPK", "sort": "SORT", "sort_desc": "SORT_DESC",
	"approx_topk": "APPROX_TOPK", "label_replace": "label_replace",
	"bytes": "BYTES_CONV", "duration": "DURATION_CONV", "duration_seconds": "DURATION_SECONDS_CONV",
	"ip": "ip",
}

// operators are the punctuation tokens, two characters first.
var operators = []string{"!=", "=~", "!~", "!>", "|=", "|~", "|>", "==", ">=", "<=",
	",", ".", "{", "}", "=", "|", "(", ")", "[", "]", "+", "-", "*", "/", "%", "^", ">", "<"}

// parserFlags of logfmt.
var parserFlags = map[string]bool{"--strict": true, "--keep-empty": true}

// A token is one lexeme.
type token struct {
	kind string // a t* constant, a keyword, a function's word, or an operator
	text string // as written
	val  string // the unquoted string, the identifier, the number's text
	dur  time.Duration
	pos  int // byte offset of its first character
	end  int // byte offset after it
}

// name is the token as Loki's messages name it.
func (t token) name() string {
	if n, ok := functions[t.kind]; ok {
		return n
	}
	return t.kind
}

type lexer struct {
	q        string
	i        int
	err      *Error
	comments bool // a comment was skipped
}

func (l *lexer) fail(pos int, msg string) {
	if l.err == nil {
		l.err = errorAt(l.q, pos, msg)
	}
}

// peekRune is the rune at i, its width; utf8.RuneError, 0 at the end.
func (l *lexer) peekRune(i int) (rune, int) {
	if i >= len(l.q) {
		return utf8.RuneError, 0
	}
	return utf8.DecodeRuneInString(l.q[i:])
}

// next returns the next token; after an error it returns $end (l.err set).
func (l *lexer) next() token {
	if l.err != nil {
		return token{kind: tEOF, pos: len(l.q), end: len(l.q)}
	}
	l.skip()
	if l.err != nil || l.i >= len(l.q) {
		return token{kind: tEOF, pos: len(l.q), end: len(l.q)}
	}
	start := l.i
	r, w := l.peekRune(l.i)
	switch {
	case r == utf8.RuneError && w == 1:
		l.fail(start, "invalid UTF-8 encoding")
		return token{kind: tEOF, pos: start, end: start}
	case r == 0:
		l.fail(start, "invalid character NUL")
		return token{kind: tEOF, pos: start, end: start}
	case r == '_' || unicode.IsLetter(r):
		return l.word(start)
	case isDecimal(r) || (r == '.' && l.i+1 < len(l.q) && isDecimal(rune(l.q[l.i+1]))):
		return l.number(start)
	case r == '"' || r == '`':
		return l.str(start, r)
	case r == '\'':
		return l.char(start)
	case r == '[':
		return l.rangeToken(start)
	case r == '-':
		if t, ok := l.flag(start); ok {
			return t
		}
		// A negative duration (offset -5m, latency > -1s).
		if n := l.suffix(start+1, isDurationRune); n > 0 {
			if d, err := parseDuration(l.q[start : start+1+n]); err == nil {
				l.i = start + 1 + n
				return token{kind: tDuration, text: l.q[start:l.i], val: l.q[start:l.i], dur: d, pos: start, end: l.i}
			}
		}
	}
	for _, op := range operators {
		if strings.HasPrefix(l.q[l.i:], op) {
			l.i += len(op)
			return token{kind: op, text: op, pos: start, end: l.i}
		}
	}
	// Anything else is one character, which Loki's lexer calls an
	// IDENTIFIER.
	l.i += w
	return token{kind: tIdent, text: l.q[start:l.i], val: l.q[start:l.i], pos: start, end: l.i}
}

// skip passes white space and comments.
func (l *lexer) skip() {
	for l.i < len(l.q) {
		switch c := l.q[l.i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			l.i++
		case c == '#':
			l.comments = true
			for l.i < len(l.q) && l.q[l.i] != '\n' {
				l.i++
			}
		case c == '/' && strings.HasPrefix(l.q[l.i:], "//"):
			l.comments = true
			for l.i < len(l.q) && l.q[l.i] != '\n' {
				l.i++
			}
		case c == '/' && strings.HasPrefix(l.q[l.i:], "/*"):
			l.comments = true
			end := strings.Index(l.q[l.i+2:], "*/")
			if end < 0 {
				l.fail(l.i, "comment not terminated")
				l.i = len(l.q)
				return
			}
			l.i += 2 + end + 2
		default:
			return
		}
	}
}

// word is an identifier, a keyword or a function.
func (l *lexer) word(start int) token {
	j := start
	for j < len(l.q) {
		r, w := utf8.DecodeRuneInString(l.q[j:])
		if r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			break
		}
		j += w
	}
	l.i = j
	text := l.q[start:j]
	lower := strings.ToLower(text)
	t := token{kind: tIdent, text: text, val: text, pos: start, end: j}
	if _, ok := functions[lower]; ok {
		if l.isFunction(j) {
			t.kind = lower
		}
		return t
	}
	if keywords[lower] {
		t.kind = lower
	}
	return t
}

// isFunction reports whether the query after i goes on with "(", or with
// "by" or "without" and then "(", white space allowed between.
func (l *lexer) isFunction(i int) bool {
	rest := strings.TrimLeftFunc(l.q[i:], unicode.IsSpace)
	if strings.HasPrefix(rest, "(") {
		return true
	}
	lower := strings.ToLower(rest)
	for _, kw := range []string{"by", "without"} {
		if strings.HasPrefix(lower, kw) {
			return strings.HasPrefix(strings.TrimLeftFunc(rest[len(kw):], unicode.IsSpace), "(")
		}
	}
	return false
}

// flag is a logfmt parser flag (--strict, --keep-empty).
func (l *lexer) flag(start int) (token, bool) {
	if !strings.HasPrefix(l.q[start:], "--") {
		return token{}, false
	}
	j := start + 1
	for j < len(l.q) {
		r, w := utf8.DecodeRuneInString(l.q[j:])
		if !unicode.IsLetter(r) && r != '-' {
			break
		}
		j += w
	}
	if !parserFlags[l.q[start:j]] {
		return token{}, false
	}
	l.i = j
	return token{kind: tFlag, text: l.q[start:j], val: l.q[start:j], pos: start, end: j}, true
}

// suffix is the length of the run of characters at i that may continue a
// number into a duration (units, digits, '.') or bytes (B, i, k, K, M, G,
// T, P, digits, '.'), up to white space.
func (l *lexer) suffix(i int, unit func(rune) bool) int {
	j := i
	for j < len(l.q) {
		r, w := utf8.DecodeRuneInString(l.q[j:])
		if unicode.IsSpace(r) || (!unicode.IsNumber(r) && !unit(r) && r != '.') {
			break
		}
		j += w
	}
	return j - i
}

func isDurationRune(r rune) bool { return strings.ContainsRune("nuµmshdwy", r) }
func isBytesRune(r rune) bool    { return strings.ContainsRune("BikKMGTP", r) }

// parseDuration parses as Loki does: Prometheus' syntax first, else Go's.
func parseDuration(s string) (time.Duration, error) {
	if d, err := model.ParseDuration(s); err == nil {
		return time.Duration(d), nil
	}
	return time.ParseDuration(s)
}

// number is a NUMBER, a DURATION or BYTES.
func (l *lexer) number(start int) token {
	j, msg := scanNumber(l.q, start)
	if msg != "" {
		l.fail(start, msg)
	}
	text := l.q[start:j]
	if n := l.suffix(j, isDurationRune); n > 0 {
		if d, err := parseDuration(text + l.q[j:j+n]); err == nil {
			l.i = j + n
			return token{kind: tDuration, text: l.q[start:l.i], val: l.q[start:l.i], dur: d, pos: start, end: l.i}
		}
	}
	if n := l.suffix(j, isBytesRune); n > 0 {
		if _, err := parseBytes(text + l.q[j:j+n]); err == nil {
			l.i = j + n
			return token{kind: tBytes, text: l.q[start:l.i], val: l.q[start:l.i], pos: start, end: l.i}
		}
	}
	l.i = j
	return token{kind: tNumber, text: text, val: text, pos: start, end: j}
}

// scanNumber reads a Go number literal from start, as text/scanner does
// (Loki's copy: "0b" before white space is 0 and an identifier b); msg
// is the scanner's complaint, if any.
func scanNumber(q string, start int) (end int, msg string) {
	i := start
	at := func(k int) byte {
		if k < len(q) {
			return q[k]
		}
		return 0
	}
	lower := func(c byte) byte { return c | ('a' - 'A') }
	base, prefix := 10, byte(0)
	digsep, invalid := 0, byte(0)
	digits := func(base int) {
		for {
			c := at(i)
			switch {
			case c == '_':
				digsep |= 2
			case base <= 10 && c >= '0' && c <= '9':
				if c >= byte('0'+base) && invalid == 0 {
					invalid = c
				}
				digsep |= 1
			case base == 16 && (c >= '0' && c <= '9' || lower(c) >= 'a' && lower(c) <= 'f'):
				digsep |= 1
			default:
				return
			}
			i++
		}
	}
	seenDot := at(i) == '.'
	isFloat := false
	if !seenDot {
		if at(i) == '0' {
			i++
			switch lower(at(i)) {
			case 'x':
				i++
				base, prefix = 16, 'x'
			case 'o':
				i++
				base, prefix = 8, 'o'
			case 'b':
				if c := at(i + 1); !(c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
					i++
					base, prefix = 2, 'b'
				}
			default:
				base, prefix = 8, '0'
				digsep = 1 // the leading 0
			}
		}
		digits(base)
		if at(i) == '.' {
			i++
			seenDot = true
		}
	} else {
		i++
	}
	litname := func() string {
		switch prefix {
		case 'x':
			return "hexadecimal literal"
		case 'o', '0':
			return "octal literal"
		case 'b':
			return "binary literal"
		}
		return "decimal literal"
	}
	if seenDot {
		isFloat = true
		if prefix == 'o' || prefix == 'b' {
			msg = "invalid radix point in " + litname()
		}
		digits(base)
	}
	if digsep&1 == 0 && msg == "" {
		msg = litname() + " has no digits"
	}
	if e := lower(at(i)); e == 'e' || e == 'p' {
		switch {
		case e == 'e' && prefix != 0 && prefix != '0' && msg == "":
			msg = strconv.QuoteRune(rune(at(i))) + " exponent requires decimal mantissa"
		case e == 'p' && prefix != 'x' && msg == "":
			msg = strconv.QuoteRune(rune(at(i))) + " exponent requires hexadecimal mantissa"
		}
		i++
		isFloat = true
		if at(i) == '+' || at(i) == '-' {
			i++
		}
		before := digsep
		digsep = 0
		digits(10)
		if digsep&1 == 0 && msg == "" {
			msg = "exponent has no digits"
		}
		digsep |= before
	} else if prefix == 'x' && isFloat && msg == "" {
		msg = "hexadecimal mantissa requires a 'p' exponent"
	}
	if !isFloat && invalid != 0 && msg == "" {
		msg = "invalid digit " + strconv.QuoteRune(rune(invalid)) + " in " + litname()
	}
	if digsep&2 != 0 && msg == "" && invalidSep(q[start:i]) >= 0 {
		msg = "'_' must separate successive digits"
	}
	return i, msg
}

// invalidSep is the index of the first misplaced '_' of a number, or -1
// (text/scanner's rule).
func invalidSep(x string) int {
	x1 := byte(' ')
	d := byte('.')
	i := 0
	if len(x) >= 2 && x[0] == '0' {
		x1 = x[1] | ('a' - 'A')
		if x1 == 'x' || x1 == 'o' || x1 == 'b' {
			d = '0'
			i = 2
		}
	}
	for ; i < len(x); i++ {
		p := d
		d = x[i]
		switch {
		case d == '_':
			if p != '0' {
				return i
			}
		case d >= '0' && d <= '9' || x1 == 'x' && (d|('a'-'A') >= 'a' && d|('a'-'A') <= 'f'):
			d = '0'
		default:
			if p == '_' {
				return i - 1
			}
			d = '.'
		}
	}
	if d == '_' {
		return len(x) - 1
	}
	return -1
}

// str is a "..." or `...` string.
func (l *lexer) str(start int, quote rune) token {
	j := start + 1
	for {
		if j >= len(l.q) || (quote == '"' && l.q[j] == '\n') {
			l.fail(start, "literal not terminated")
			l.i = len(l.q)
			return token{kind: tEOF, pos: start, end: start}
		}
		c := l.q[j]
		if c == byte(quote) {
			j++
			break
		}
		if quote == '"' && c == '\\' {
			n, ok := escape(l.q, j+1)
			if !ok {
				l.fail(start, "invalid char escape")
			}
			j += 1 + n
			continue
		}
		if r, w := utf8.DecodeRuneInString(l.q[j:]); r == utf8.RuneError && w == 1 {
			l.fail(start, "invalid UTF-8 encoding")
		}
		j++
	}
	l.i = j
	text := l.q[start:j]
	if !utf8.ValidString(text) {
		l.fail(start, "invalid UTF-8 rune")
		return token{kind: tEOF, pos: start, end: start}
	}
	val := text[1 : len(text)-1]
	if quote == '"' {
		v, err := strconv.Unquote(text)
		if err != nil {
			l.fail(start, err.Error())
			return token{kind: tEOF, pos: start, end: start}
		}
		val = v
	} else {
		val = strings.ReplaceAll(val, "\r", "") // Go drops \r in raw strings
	}
	return token{kind: tString, text: text, val: val, pos: start, end: j}
}

// escape checks the escape after a backslash at i; n is its length.
func escape(q string, i int) (n int, ok bool) {
	if i >= len(q) {
		return 0, false
	}
	hex := func(k, count int) (int, bool) {
		for c := 0; c < count; c++ {
			if i+k+c >= len(q) || !strings.ContainsRune("0123456789abcdefABCDEF", rune(q[i+k+c])) {
				return k + c, false
			}
		}
		return k + count, true
	}
	switch c := q[i]; c {
	case 'a', 'b', 'f', 'n', 'r', 't', 'v', '\\', '"':
		return 1, true
	case '0', '1', '2', '3', '4', '5', '6', '7':
		for k := 1; k < 3; k++ {
			if i+k >= len(q) || q[i+k] < '0' || q[i+k] > '7' {
				return k, false
			}
		}
		return 3, true
	case 'x':
		return hex(1, 2)
	case 'u':
		return hex(1, 4)
	case 'U':
		return hex(1, 8)
	}
	return 0, false
}

// char is a '...' literal: not a string to Loki, whose lexer calls it an
// IDENTIFIER.
func (l *lexer) char(start int) token {
	j := start + 1
	n := 0
	for {
		if j >= len(l.q) || l.q[j] == '\n' {
			l.fail(start, "literal not terminated")
			l.i = len(l.q)
			return token{kind: tEOF, pos: start, end: start}
		}
		if l.q[j] == '\'' {
			j++
			break
		}
		if l.q[j] == '\\' {
			k, ok := escape(l.q, j+1)
			if !ok && !(j+1 < len(l.q) && l.q[j+1] == '\'') {
				l.fail(start, "invalid char escape")
			}
			j += 1 + max(k, 1)
		} else {
			_, w := utf8.DecodeRuneInString(l.q[j:])
			j += w
		}
		n++
	}
	if n != 1 {
		l.fail(start, "invalid char literal")
	}
	l.i = j
	return token{kind: tIdent, text: l.q[start:j], val: l.q[start:j], pos: start, end: j}
}

// rangeToken is [duration].
func (l *lexer) rangeToken(start int) token {
	end := strings.IndexByte(l.q[start+1:], ']')
	if end < 0 {
		l.fail(start, "missing closing ']' in duration")
		l.i = len(l.q)
		return token{kind: tEOF, pos: start, end: start}
	}
	inner := l.q[start+1 : start+1+end]
	l.i = start + 1 + end + 1
	d, err := model.ParseDuration(inner)
	if err != nil {
		l.fail(start, err.Error())
		return token{kind: tEOF, pos: start, end: start}
	}
	return token{kind: tRange, text: l.q[start:l.i], val: inner, dur: time.Duration(d), pos: start, end: l.i}
}

// parseBytes is go-humanize's ParseBytes (v1.0.1), which Loki's lexer
// uses: a number, then a unit of its table, in any case.
func parseBytes(s string) (uint64, error) {
	last := 0
	comma := false
	for _, r := range s {
		if !(unicode.IsDigit(r) || r == '.' || r == ',') {
			break
		}
		if r == ',' {
			comma = true
		}
		last++
	}
	num := s[:last]
	if comma {
		num = strings.ReplaceAll(num, ",", "")
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, err
	}
	m, ok := bytesUnits[strings.ToLower(strings.TrimSpace(s[last:]))]
	if !ok {
		return 0, strconv.ErrSyntax
	}
	f *= float64(m)
	if f >= 1<<64 {
		return 0, strconv.ErrRange
	}
	return uint64(f), nil
}

var bytesUnits = map[string]uint64{
	"": 1, "b": 1,
	"k": 1e3, "kb": 1e3, "ki": 1 << 10, "kib": 1 << 10,
	"m": 1e6, "mb": 1e6, "mi": 1 << 20, "mib": 1 << 20,
	"g": 1e9, "gb": 1e9, "gi": 1 << 30, "gib": 1 << 30,
	"t": 1e12, "tb": 1e12, "ti": 1 << 40, "tib": 1 << 40,
	"p": 1e15, "pb": 1e15, "pi": 1 << 50, "pib": 1 << 50,
	"e": 1e18, "eb": 1e18, "ei": 1 << 60, "eib": 1 << 60,
}

func isDecimal(r rune) bool { return r >= '0' && r <= '9' }
