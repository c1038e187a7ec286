package logql

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"text/template"
	"unicode/utf8"
)

// The checks of Loki's pipeline stages (pkg/logql/log), written from their
// behaviour: what makes a query a 400 once Loki builds its pipeline.

// A patternNode is a literal run or a capture (<name>, or <_> unnamed) of
// a pattern (pkg/logql/log/pattern: its lexer takes '<' letter-or-_
// {letter, digit, _} '>' as a capture and any other character as a
// literal; literals in a row are one node).
type patternNode struct {
	capture bool
	text    string // the name, or the literal run
}

func patternNodes(p string) []patternNode {
	var out []patternNode
	lit := func(s string) {
		if n := len(out); n > 0 && !out[n-1].capture {
			out[n-1].text += s
			return
		}
		out = append(out, patternNode{text: s})
	}
	for i := 0; i < len(p); {
		if p[i] == '<' {
			j := i + 1
			if j < len(p) && (isASCIILetter(p[j]) || p[j] == '_') {
				j++
				for j < len(p) && (isASCIILetter(p[j]) || p[j] >= '0' && p[j] <= '9' || p[j] == '_') {
					j++
				}
				if j < len(p) && p[j] == '>' {
					out = append(out, patternNode{capture: true, text: p[i+1 : j]})
					i = j + 1
					continue
				}
			}
		}
		_, w := utf8.DecodeRuneInString(p[i:])
		lit(p[i : i+w])
		i += w
	}
	return out
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

var errInvalidPattern = errors.New("invalid expression")

func noConsecutiveCaptures(nodes []patternNode) error {
	for i := 0; i+1 < len(nodes); i++ {
		if nodes[i].capture && nodes[i+1].capture {
			return fmt.Errorf("found consecutive capture '<%s><%s>': %w", nodes[i].text, nodes[i+1].text, errInvalidPattern)
		}
	}
	return nil
}

// checkPatternParser is | pattern "...": at least one named capture, no
// two captures in a row, no name twice.
func checkPatternParser(p string) error {
	if p == "" {
		return errors.New("parse error at line 1, col 1: syntax error: unexpected $end, expecting IDENTIFIER or LITERAL")
	}
	nodes := patternNodes(p)
	var names []string
	for _, n := range nodes {
		if n.capture && n.text != "_" {
			names = append(names, n.text)
		}
	}
	if len(names) == 0 {
		return errors.New("at least one capture is required")
	}
	if err := noConsecutiveCaptures(nodes); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			return fmt.Errorf("duplicate capture name (%s): %w", n, errInvalidPattern)
		}
		seen[n] = true
	}
	return nil
}

// checkPatternFilter is a |> or !> line filter's pattern: empty, or no two
// captures in a row and only unnamed captures (<_>).
func checkPatternFilter(p string) error {
	if p == "" {
		return nil
	}
	nodes := patternNodes(p)
	if err := noConsecutiveCaptures(nodes); err != nil {
		return err
	}
	for _, n := range nodes {
		if n.capture && n.text != "_" {
			return fmt.Errorf("named captures are not allowed: found '<%s>'", n.text)
		}
	}
	return nil
}

// checkIP is an ip("...") pattern: an address, a CIDR prefix or a range
// from-to of one family, from not after to.
func checkIP(p string) error {
	if _, err := netip.ParseAddr(p); err == nil {
		return nil
	}
	if _, err := netip.ParsePrefix(p); err == nil {
		return nil
	}
	if from, to, ok := strings.Cut(p, "-"); ok {
		f, err1 := netip.ParseAddr(from)
		t, err2 := netip.ParseAddr(to)
		if err1 == nil && err2 == nil && f.BitLen() == t.BitLen() && f.Zone() == "" && t.Zone() == "" && !t.Less(f) {
			return nil
		}
	}
	return fmt.Errorf("ip: invalid pattern: %q", p)
}

// checkJSONPath is a | json label="path" expression: a field, ["key"] or
// [index], then any of .field, ["key"], [index] (pkg/logql/log/jsonexpr).
func checkJSONPath(s string) error {
	i := 0
	skip := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n') {
			i++
		}
	}
	isStart := func(c byte) bool { return isASCIILetter(c) || c == '_' }
	field := func() bool {
		skip()
		if i >= len(s) || !isStart(s[i]) {
			return false
		}
		for i < len(s) && (isStart(s[i]) || s[i] >= '0' && s[i] <= '9') {
			i++
		}
		return true
	}
	// access is [ "key" ] or [ index ].
	access := func() error {
		skip()
		i++ // [
		skip()
		switch {
		case i < len(s) && s[i] == '"':
			i++
			for i < len(s) && s[i] != '"' && s[i] != ']' {
				i++
			}
			if i < len(s) {
				i++
			}
		case i < len(s) && s[i] >= '0' && s[i] <= '9':
			for i < len(s) && s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != ']' {
				if s[i] == '.' {
					return errors.New("cannot use float as array index")
				}
				if s[i] < '0' || s[i] > '9' {
					return fmt.Errorf("non-integer value: %c", s[i])
				}
				i++
			}
		default:
			return errors.New("syntax error: a key \"...\" or an index must follow [")
		}
		skip()
		if i >= len(s) || s[i] != ']' {
			return errors.New("syntax error: ] expected")
		}
		i++
		return nil
	}
	skip()
	switch {
	case i < len(s) && s[i] == '[':
		if err := access(); err != nil {
			return err
		}
	case !field():
		if i >= len(s) {
			return errors.New("syntax error: unexpected end of expression")
		}
		return fmt.Errorf("unexpected char %c", s[i])
	}
	for {
		skip()
		switch {
		case i >= len(s):
			return nil
		case s[i] == '[':
			if err := access(); err != nil {
				return err
			}
		case s[i] == '.':
			i++
			if !field() {
				return errors.New("syntax error: a field must follow .")
			}
		default:
			return fmt.Errorf("unexpected char %c", s[i])
		}
	}
}

// templateFuncs are the functions Loki's line_format and label_format
// templates know (pkg/logql/log/fmt.go: its own and the sprig functions it
// adds), besides text/template's built-ins. Parsing a template needs the
// names only.
var templateFuncs = func() template.FuncMap {
	m := template.FuncMap{}
	stub := func(...any) any { return nil }
	for _, name := range strings.Fields(`ToLower ToUpper Replace Trim TrimLeft TrimRight TrimPrefix TrimSuffix TrimSpace
		regexReplaceAll regexReplaceAllLiteral count urldecode urlencode bytes duration duration_seconds
		unixEpochMillis unixEpochNanos toDateInZone unixToTime alignLeft alignRight __line__ __timestamp__
		b64enc b64dec lower upper title trunc substr contains hasPrefix hasSuffix indent nindent replace repeat
		trim trimAll trimSuffix trimPrefix int float64 add sub mul div mod addf subf mulf divf max min maxf minf
		ceil floor round fromJson date toDate now unixEpoch default`) {
		m[name] = stub
	}
	return m
}()

// checkTemplate parses tmpl as Loki does (text/template named name, with
// its functions).
func checkTemplate(name, tmpl string) error {
	_, err := template.New(name).Option("missingkey=zero").Funcs(templateFuncs).Parse(tmpl)
	return err
}
