package spec

import (
	"encoding/json"

	"github.com/goccy/go-yaml/ast"
)

// Scalar is the text of a string or a number, for a field whose unit
// decides how it is read (a DORA level's bound is "1/7d", "1d" or 0.05):
// the reader parses it and places its own errors with Document.Errorf. A
// number keeps its value, not its spelling (0.20 reads "0.2").
type Scalar string

func (*Scalar) checkShape(s *source, n ast.Node, p fieldPath) {
	switch n.(type) {
	case *ast.StringNode, *ast.LiteralNode, *ast.IntegerNode, *ast.FloatNode:
	default:
		s.errAt(n, p, "must be a string or a number, not %s", describe(n))
	}
}

// UnmarshalJSON takes a JSON string or number.
func (v *Scalar) UnmarshalJSON(b []byte) error {
	var str string
	if err := json.Unmarshal(b, &str); err == nil {
		*v = Scalar(str)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*v = Scalar(n)
	return nil
}
