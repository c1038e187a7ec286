package logql

import (
	"time"

	"github.com/prometheus/prometheus/model/labels"
)

// The parsed query: just what validation and gameday's SLOs need of it.
// Loki's own AST is not reproduced; the node kinds follow its grammar
// (pkg/logql/syntax/syntax.y) so that its checks can be made in its order.

type expr interface{ span() (int, int) }

// logExpr is a log query: a selector and a pipeline (Loki's MatchersExpr,
// or PipelineExpr when there are stages).
type logExpr struct {
	sel      *selector
	stages   []stage
	pos, end int
}

type selector struct {
	matchers []*labels.Matcher
	pos, end int
}

type literalExpr struct {
	val      float64
	err      string
	pos, end int
}

type vectorExpr struct {
	val      float64
	err      string
	pos, end int
}

type binOpExpr struct {
	op          string
	left, right expr
	err         string
	pos, end    int
	opPos       int
}

type rangeAggExpr struct {
	op       string
	param    *token
	lr       *logRange
	grouping *grouping
	err      string
	pos, end int
}

type vectorAggExpr struct {
	op       string
	param    *token
	inner    expr
	grouping *grouping
	err      string
	pos, end int
}

type labelReplaceExpr struct {
	inner    expr
	err      string
	pos, end int
}

type logRange struct {
	sel    *selector
	stages []stage
	unwrap *unwrapExpr
	rng    time.Duration
	offset time.Duration
	// logText is the log query of the range: its selector and pipeline as
	// written (the pipeline may stand after the range: {a="b"}[5m] | json).
	logText string
}

type unwrapExpr struct {
	label, conv string
	post        []stage // label filters after the unwrap
}

type grouping struct {
	without bool
	labels  []string
	pos     int
}

func (e *logExpr) span() (int, int)          { return e.pos, e.end }
func (e *literalExpr) span() (int, int)      { return e.pos, e.end }
func (e *vectorExpr) span() (int, int)       { return e.pos, e.end }
func (e *binOpExpr) span() (int, int)        { return e.pos, e.end }
func (e *rangeAggExpr) span() (int, int)     { return e.pos, e.end }
func (e *vectorAggExpr) span() (int, int)    { return e.pos, e.end }
func (e *labelReplaceExpr) span() (int, int) { return e.pos, e.end }

// lokiType is how Loki's messages name the type of a log query leg
// ("unexpected type for left leg of binary operation (+): *syntax.MatchersExpr").
func (e *logExpr) lokiType() string {
	if len(e.stages) > 0 {
		return "*syntax.PipelineExpr"
	}
	return "*syntax.MatchersExpr"
}

// A stage is a pipeline stage with checks Loki makes when it runs the
// query (an invalid regular expression in a line filter is a 400 then,
// not a parse error).
type stage interface {
	check() *stageError
}

// A stageError is Loki's "stage '<stage>' : <reason>" at pos.
type stageError struct {
	pos    int
	stage  string
	reason string
}
