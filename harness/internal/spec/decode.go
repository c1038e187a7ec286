package spec

import (
	"encoding"
	"encoding/base64"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// A source is one parsed YAML document and the errors found in it. Every
// error carries the file, the position of the offending node and the path
// of the field.
//
// Decoding is two passes over the same tree. checkShape walks the YAML
// nodes beside the Go type, field by field with the json tags, and reports
// every unknown or duplicate field, wrong type, bad scalar and missing
// required field (a field without omitempty, as in Kubernetes) at its exact
// line and column, instead of stopping at the first as a decoder does.
// Only a document with the right shape is then converted to JSON and
// decoded with encoding/json and DisallowUnknownFields, which is how the
// Chaos Mesh types are meant to be decoded.
type source struct {
	file string
	data []byte
	root ast.Node
	errs ErrorList
}

// shapeChecker is a type that checks its own YAML shape.
type shapeChecker interface {
	checkShape(s *source, n ast.Node, p fieldPath)
}

// pos is the line and column of n.
func pos(n ast.Node) (int, int) {
	if n == nil || reflect.ValueOf(n).IsNil() {
		return 0, 0
	}
	switch m := n.(type) {
	case *ast.MappingNode:
		if !m.IsFlowStyle && len(m.Values) > 0 {
			return pos(m.Values[0].Key)
		}
	case *ast.MappingValueNode:
		return pos(m.Key)
	}
	t := n.GetToken()
	if t == nil || t.Position == nil {
		return 0, 0
	}
	return t.Position.Line, t.Position.Column
}

// errAt records an error at the node n about the field p.
func (s *source) errAt(n ast.Node, p fieldPath, format string, a ...any) {
	line, col := pos(n)
	s.errs = append(s.errs, &Error{File: s.file, Line: line, Column: col, Field: p.String(), Msg: fmt.Sprintf(format, a...)})
}

// errPath records an error about the field p, placed at the field's value,
// or at the nearest enclosing node that exists when the field is missing.
func (s *source) errPath(p fieldPath, format string, a ...any) {
	s.errAt(s.locate(p), p, format, a...)
}

// locate finds the node of the field p, or its nearest existing ancestor.
func (s *source) locate(p fieldPath) ast.Node {
	n := s.root
	for _, seg := range p {
		var next ast.Node
		switch seg := seg.(type) {
		case string:
			if m, ok := n.(*ast.MappingNode); ok {
				for _, mv := range m.Values {
					if k, ok := keyString(mv.Key); ok && k == seg {
						next = mv.Value
						if isNull(next) {
							next = mv.Key
						}
					}
				}
			}
		case int:
			if sq, ok := n.(*ast.SequenceNode); ok && seg < len(sq.Values) {
				next = sq.Values[seg]
			}
		}
		if next == nil {
			return n
		}
		n = next
	}
	return n
}

// keyString is the text of a mapping key that is a plain scalar.
func keyString(k ast.MapKeyNode) (string, bool) {
	switch k := k.(type) {
	case *ast.StringNode:
		return k.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode:
		return k.GetToken().Value, true
	}
	return "", false
}

func isNull(n ast.Node) bool {
	if n == nil {
		return true
	}
	_, ok := n.(*ast.NullNode)
	return ok
}

// describe names a node's YAML type for an error message.
func describe(n ast.Node) string {
	switch n := n.(type) {
	case *ast.StringNode, *ast.LiteralNode:
		return "a string"
	case *ast.IntegerNode:
		return "the integer " + n.GetToken().Value
	case *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "the number " + n.GetToken().Value
	case *ast.BoolNode:
		return "the boolean " + n.GetToken().Value
	case *ast.MappingNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	}
	return "a " + strings.ToLower(n.Type().String())
}

var (
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
	shapeCheckerT   = reflect.TypeFor[shapeChecker]()
	bytesT          = reflect.TypeFor[[]byte]()
)

// checkShape checks the node n against the Go type t at the field p.
func (s *source) checkShape(n ast.Node, t reflect.Type, p fieldPath) {
	switch n.(type) {
	case *ast.AnchorNode, *ast.AliasNode:
		s.errAt(n, p, "anchors and aliases are not supported: write the value out")
		return
	case *ast.TagNode:
		s.errAt(n, p, "tags are not supported")
		return
	}
	if isNull(n) {
		return // absent: a missing required field is reported by its struct
	}
	if reflect.PointerTo(t).Implements(shapeCheckerT) {
		reflect.New(t).Interface().(shapeChecker).checkShape(s, n, p)
		return
	}
	if t.Kind() == reflect.Pointer {
		s.checkShape(n, t.Elem(), p)
		return
	}
	if reflect.PointerTo(t).Implements(textUnmarshaler) {
		str, ok := s.str(n, p)
		if ok {
			if err := reflect.New(t).Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(str)); err != nil {
				s.errAt(n, p, "%s", err)
			}
		}
		return
	}
	if t == bytesT {
		if str, ok := s.str(n, p); ok {
			if _, err := base64.StdEncoding.DecodeString(str); err != nil {
				s.errAt(n, p, "must be base64: %s", err)
			}
		}
		return
	}
	switch t.Kind() {
	case reflect.String:
		s.str(n, p)
	case reflect.Bool:
		if _, ok := n.(*ast.BoolNode); !ok {
			s.errAt(n, p, "must be true or false, not %s", describe(n))
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if v, ok := s.integer(n, p); ok && reflect.New(t).Elem().OverflowInt(v) {
			s.errAt(n, p, "%d is out of range", v)
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if v, ok := s.integer(n, p); ok && (v < 0 || reflect.New(t).Elem().OverflowUint(uint64(v))) {
			s.errAt(n, p, "%d is out of range", v)
		}
	case reflect.Float32, reflect.Float64:
		switch n.(type) {
		case *ast.IntegerNode, *ast.FloatNode:
		default:
			s.errAt(n, p, "must be a finite number, not %s", describe(n))
		}
	case reflect.Slice:
		sq, ok := n.(*ast.SequenceNode)
		if !ok {
			s.errAt(n, p, "must be a list, not %s", describe(n))
			return
		}
		for i, v := range sq.Values {
			s.checkShape(v, t.Elem(), p.index(i))
		}
	case reflect.Map:
		m, ok := s.mapping(n, p)
		if !ok {
			return
		}
		for k, v := range s.entries(m, p) {
			s.checkShape(v, t.Elem(), p.key(k))
		}
	case reflect.Struct:
		s.checkStruct(n, t, p)
	default:
		s.errAt(n, p, "unsupported field type %s", t)
	}
}

// checkStruct checks a mapping against the json fields of the struct t.
func (s *source) checkStruct(n ast.Node, t reflect.Type, p fieldPath) {
	m, ok := s.mapping(n, p)
	if !ok {
		return
	}
	fields := jsonFields(t)
	seen := map[string]bool{}
	for _, mv := range m.Values {
		k, ok := keyString(mv.Key)
		if !ok {
			continue // reported by entries
		}
		f, ok := fields.byName[k]
		if !ok {
			msg := fmt.Sprintf("unknown field %q", k)
			if near := fields.caseless(k); near != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", near)
			}
			s.errAt(mv.Key, p.key(k), "%s", msg)
			continue
		}
		if !isNull(mv.Value) {
			seen[k] = true
		}
		s.checkShape(mv.Value, f.typ, p.key(k))
	}
	s.entries(m, p) // duplicate and complex keys
	for _, f := range fields.list {
		if f.required && !seen[f.name] {
			s.errAt(n, p.key(f.name), "required")
		}
	}
}

// mapping is n as a mapping, or an error.
func (s *source) mapping(n ast.Node, p fieldPath) (*ast.MappingNode, bool) {
	m, ok := n.(*ast.MappingNode)
	if !ok {
		s.errAt(n, p, "must be a mapping, not %s", describe(n))
	}
	return m, ok
}

// entries are the values of m by key; duplicate, merge and complex keys
// are errors.
func (s *source) entries(m *ast.MappingNode, p fieldPath) map[string]ast.Node {
	out := make(map[string]ast.Node, len(m.Values))
	for _, mv := range m.Values {
		if _, ok := mv.Key.(*ast.MergeKeyNode); ok {
			s.errAt(mv.Key, p, "merge keys (<<) are not supported: write the fields out")
			continue
		}
		k, ok := keyString(mv.Key)
		if !ok {
			s.errAt(mv.Key, p, "keys must be plain scalars")
			continue
		}
		if _, dup := out[k]; dup {
			s.errAt(mv.Key, p.key(k), "duplicate key")
			continue
		}
		out[k] = mv.Value
	}
	return out
}

// str is the string value of n, or an error.
func (s *source) str(n ast.Node, p fieldPath) (string, bool) {
	switch n := n.(type) {
	case *ast.StringNode:
		return n.Value, true
	case *ast.LiteralNode:
		return n.Value.Value, true
	}
	s.errAt(n, p, "must be a string, not %s (quote it)", describe(n))
	return "", false
}

// integer is the integer value of n, or an error.
func (s *source) integer(n ast.Node, p fieldPath) (int64, bool) {
	in, ok := n.(*ast.IntegerNode)
	if !ok {
		s.errAt(n, p, "must be an integer, not %s", describe(n))
		return 0, false
	}
	switch v := in.Value.(type) {
	case int64:
		return v, true
	case uint64:
		if v <= math.MaxInt64 {
			return int64(v), true
		}
	}
	s.errAt(n, p, "%s is out of range", in.GetToken().Value)
	return 0, false
}

// jsonField is one field of a struct as encoding/json sees it.
type jsonField struct {
	name     string
	typ      reflect.Type
	required bool // no omitempty
}

type structFields struct {
	list   []jsonField
	byName map[string]jsonField
}

func (f structFields) caseless(k string) string {
	for _, x := range f.list {
		if strings.EqualFold(x.name, k) {
			return x.name
		}
	}
	return ""
}

var fieldCache sync.Map // reflect.Type → structFields

// jsonFields lists the fields of t with encoding/json's rules: embedded
// structs without a name (Kubernetes' `json:",inline"`) are flattened.
func jsonFields(t reflect.Type) structFields {
	if f, ok := fieldCache.Load(t); ok {
		return f.(structFields)
	}
	out := structFields{byName: map[string]jsonField{}}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			sf := t.Field(i)
			tag := sf.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if sf.Anonymous && name == "" {
				ft := sf.Type
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					walk(ft)
					continue
				}
			}
			if !sf.IsExported() {
				continue
			}
			if name == "" {
				name = sf.Name
			}
			f := jsonField{name: name, typ: sf.Type, required: !strings.Contains(","+opts+",", ",omitempty,")}
			out.list = append(out.list, f)
			out.byName[name] = f
		}
	}
	walk(t)
	fieldCache.Store(t, out)
	return out
}

// checkShape checks a fault: its own fields, then its spec against the
// Chaos Mesh type of its kind.
func (*Fault) checkShape(s *source, n ast.Node, p fieldPath) {
	s.checkStruct(n, reflect.TypeFor[faultShape](), p)
	m, ok := n.(*ast.MappingNode)
	if !ok {
		return
	}
	var kind string
	var spec ast.Node
	byNode := false
	for _, mv := range m.Values {
		k, _ := keyString(mv.Key)
		switch k {
		case "kind":
			if sn, ok := mv.Value.(*ast.StringNode); ok {
				kind = sn.Value
			}
		case "spec":
			spec = mv.Value
		case "nodeSelector":
			byNode = !isNull(mv.Value)
		}
	}
	k, ok := KindOf(FaultKind(kind))
	if !ok || isNull(spec) {
		return
	}
	before := len(s.errs)
	s.checkShape(spec, k.SpecType(), p.key("spec"))
	if byNode {
		// What gameday fills for each node is not required of the file.
		filled := map[string]bool{}
		for _, f := range k.NodeFilled {
			filled[p.key("spec").key(f).String()] = true
		}
		s.errs = append(s.errs[:before], slices.DeleteFunc(s.errs[before:], func(e *Error) bool { return filled[e.Field] && e.Msg == "required" })...)
	}
}

// faultShape is Fault with a spec of any mapping, for the first pass.
type faultShape struct {
	Name         string            `json:"name"`
	Kind         FaultKind         `json:"kind"`
	StartAfter   Duration          `json:"startAfter,omitempty"`
	Duration     Duration          `json:"duration"`
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`
	Spec         anyMap            `json:"spec"`
}

type anyMap struct{}

func (*anyMap) checkShape(s *source, n ast.Node, p fieldPath) { s.mapping(n, p) }

// value converts a checked YAML node to a JSON-compatible value.
func value(n ast.Node) any {
	switch n := n.(type) {
	case nil, *ast.NullNode:
		return nil
	case *ast.StringNode:
		return n.Value
	case *ast.LiteralNode:
		return n.Value.Value
	case *ast.BoolNode:
		return n.Value
	case *ast.IntegerNode:
		return n.Value
	case *ast.FloatNode:
		return n.Value
	case *ast.MappingNode:
		out := make(map[string]any, len(n.Values))
		for _, mv := range n.Values {
			k, _ := keyString(mv.Key)
			out[k] = value(mv.Value)
		}
		return out
	case *ast.SequenceNode:
		out := make([]any, len(n.Values))
		for i, v := range n.Values {
			out[i] = value(v)
		}
		return out
	}
	return n.String()
}

// errInScalar records an error at byte offset of the string value of the
// field p: the position of that byte in the file when the scalar is on one
// line or a block scalar (| or >), else the scalar's own position.
func (s *source) errInScalar(p fieldPath, offset int, format string, a ...any) {
	n := s.locate(p)
	line, col := pos(n)
	switch n := n.(type) {
	case *ast.StringNode:
		if !strings.Contains(n.Value, "\n") && offset <= len(n.Value) {
			switch n.Token.Type {
			case token.DoubleQuoteType, token.SingleQuoteType:
				col += 1 + offset
			default:
				col += offset
			}
		}
	case *ast.LiteralNode:
		line, col = s.inBlock(n.Start.Position.Line, offset)
	}
	s.errs = append(s.errs, &Error{File: s.file, Line: line, Column: col, Field: p.String(), Msg: fmt.Sprintf(format, a...)})
}

// inBlock maps an offset in the value of a block scalar whose indicator is
// on line header to a line and column, counting one separator (a newline,
// or the space a folded scalar puts instead) between content lines.
func (s *source) inBlock(header, offset int) (int, int) {
	lines := strings.Split(string(s.data), "\n")
	indent := -1
	for i := header; i < len(lines); i++ { // lines[header] is the line after the header
		text := lines[i]
		trimmed := strings.TrimLeft(text, " ")
		if indent < 0 {
			if trimmed == "" {
				continue
			}
			indent = len(text) - len(trimmed)
		}
		content := ""
		if len(text) >= indent {
			content = text[indent:]
		}
		if offset <= len(content) {
			return i + 1, indent + offset + 1
		}
		offset -= len(content) + 1
	}
	return header, 1
}
