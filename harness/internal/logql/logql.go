// Package logql checks LogQL queries as Grafana Loki checks them, without
// Loki: Loki's Go module is AGPL and is never imported. This is gameday's
// own parser, written from Loki's grammar (pkg/logql/syntax/syntax.y of
// its main branch), its lexer (lex.go) and the checks its parser and its
// pipeline stages make (parser.go, ast.go, pkg/logql/log), and from its
// documentation; acceptance_test.go holds the table of what Loki accepts
// and refuses, each case with its source.
//
// It accepts exactly the queries Loki accepts, but for two constructs it
// refuses naming them, both off in a Loki by default: variants(...) of
// (...) and approx_topk. A refused query is an *Error at the offending
// token with
// Loki's reason: "syntax error: unexpected }, expecting IDENTIFIER",
// "queries require at least one regexp or equality matcher that does not
// have an empty-compatible value ...", "invalid aggregation count_over_time
// with unwrap". Where Loki gives no place (its checks after parsing) or an
// odd one (line 0 after a two-character token), the place is that of the
// construct at fault.
package logql

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// An Error is where and why a query is refused.
type Error struct {
	// Pos is the byte offset of the offending token in the query; Line and
	// Col (1-based, Col in characters) are the same place.
	Pos, Line, Col int
	// Msg is Loki's reason.
	Msg string
}

// Error is written as Loki writes a parse error.
func (e *Error) Error() string {
	return fmt.Sprintf("parse error at line %d, col %d: %s", e.Line, e.Col, e.Msg)
}

func errorAt(q string, pos int, msg string) *Error {
	pos = min(max(pos, 0), len(q))
	before := q[:pos]
	line := 1 + strings.Count(before, "\n")
	col := 1 + utf8.RuneCountInString(before[strings.LastIndexByte(before, '\n')+1:])
	return &Error{Pos: pos, Line: line, Col: col, Msg: msg}
}

// A Query is a query Loki would accept.
type Query struct {
	// Metric: the query returns samples (a range aggregation, an
	// aggregation, a number, ...); else it is a log query returning lines.
	Metric bool
	// Ranges are its range aggregations (count_over_time(...[5m]), ...), in
	// the order they are written.
	Ranges []Range
	// Comments: it has comments (#, // or /* */).
	Comments bool
}

// A Range is one range aggregation of a query.
type Range struct {
	// Op is the aggregation (count_over_time, quantile_over_time, ...).
	Op string
	// Range and Offset are its [range] and offset.
	Range, Offset time.Duration
	// Unwrap is the label it unwraps ("" when it counts lines or bytes),
	// Conv its conversion (bytes, duration, duration_seconds or "").
	Unwrap, Conv string
	// Log is its log query as written: the selector and the pipeline,
	// without the unwrap, the range and the offset.
	Log string
}

// Parse checks q as Loki would; the error is an *Error.
func Parse(q string) (*Query, error) {
	if len(q) >= maxInputSize {
		return nil, errorAt(q, 0, fmt.Sprintf("input size too long (%d > %d)", len(q), maxInputSize))
	}
	e, comments, perr := parse(q)
	if perr != nil {
		return nil, perr
	}
	if err := validate(q, e); err != nil {
		return nil, err
	}
	if err := checkStages(q, e); err != nil {
		return nil, err
	}
	out := &Query{Comments: comments}
	_, out.Metric = e.(*logExpr)
	out.Metric = !out.Metric
	walk(e, func(x expr) {
		if r, ok := x.(*rangeAggExpr); ok {
			rg := Range{Op: r.op, Range: r.lr.rng, Offset: r.lr.offset, Log: r.lr.logText}
			if u := r.lr.unwrap; u != nil {
				rg.Unwrap, rg.Conv = u.label, u.conv
			}
			out.Ranges = append(out.Ranges, rg)
		}
	})
	return out, nil
}

// Check checks q as Loki would; the error is an *Error.
func Check(q string) error {
	_, err := Parse(q)
	return err
}

// maxInputSize is Loki's limit on a query's length (parser.go).
const maxInputSize = 131072

// walk visits every node of e, parents first, left to right.
func walk(e expr, f func(expr)) {
	f(e)
	switch x := e.(type) {
	case *binOpExpr:
		walk(x.left, f)
		walk(x.right, f)
	case *vectorAggExpr:
		walk(x.inner, f)
	case *labelReplaceExpr:
		walk(x.inner, f)
	}
}
