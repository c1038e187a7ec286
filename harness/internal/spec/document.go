package spec

import (
	"errors"
	"fmt"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// A Document is one YAML document of a file that another package decodes
// with this package's strict rules (package slo reads OpenSLO files with
// it), so that every file of the repository reports its errors the same
// way: "file:line:col: field.path: message".
type Document struct {
	s *source
	// Index is the document's position in its file (0-based).
	Index int
}

// ParseDocuments reads every document of data, separated by ---. Empty
// documents are left out. A YAML syntax error is returned as an ErrorList.
func ParseDocuments(file string, data []byte) ([]*Document, error) {
	return parseDocuments(file, data)
}

// ParseDocument is ParseDocuments for a file of exactly one document;
// what names it in the error ("want one CostBudgets document, found 2").
func ParseDocument(file string, data []byte, what string) (*Document, error) {
	docs, err := parseDocuments(file, data)
	if err != nil {
		return nil, err
	}
	if len(docs) != 1 {
		return nil, ErrorList{{File: file, Msg: fmt.Sprintf("want one %s document, found %d", what, len(docs))}}
	}
	return docs[0], nil
}

func parseDocuments(file string, data []byte) ([]*Document, error) {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		e := &Error{File: file, Msg: "invalid YAML: " + err.Error()}
		var ye yaml.Error
		if errors.As(err, &ye) {
			e.Msg = "invalid YAML: " + ye.GetMessage()
			if t := ye.GetToken(); t != nil && t.Position != nil {
				e.Line, e.Column = t.Position.Line, t.Position.Column
			}
		}
		return nil, ErrorList{e}
	}
	var docs []*Document
	for _, doc := range f.Docs {
		if doc.Body == nil || isNull(doc.Body) {
			continue
		}
		d := &Document{s: &source{file: file, data: data, root: doc.Body}, Index: len(docs)}
		if _, ok := doc.Body.(*ast.MappingNode); !ok {
			d.s.errAt(doc.Body, nil, "must be a mapping with apiVersion, kind, metadata and spec, not %s", describe(doc.Body))
			return nil, d.s.errs.err()
		}
		docs = append(docs, d)
	}
	return docs, nil
}

// ParseFileDocuments is ParseDocuments on a file of at most MaxFileSize
// bytes.
func ParseFileDocuments(path string) ([]*Document, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return parseDocuments(path, data)
}

// Decode checks the shape of the document against v's type (unknown,
// duplicate and missing required fields, wrong types, at their line and
// column), then decodes it into v (a pointer to a struct with json tags).
// It reports whether the document decoded; the errors are in Errors. Call
// it before recording errors of your own.
func (d *Document) Decode(v any) bool { return d.s.decodeInto(v) }

// Errorf records an error about the field at path (keys are strings,
// sequence indexes ints), placed at the field's value, or at its nearest
// existing parent when the field is missing.
func (d *Document) Errorf(path []any, format string, a ...any) {
	d.s.errPath(fieldPath(path), format, a...)
}

// ErrorInScalar records an error at byte offset of the string value of the
// field at path (e.g. the position of a PromQL parse error).
func (d *Document) ErrorInScalar(path []any, offset int, format string, a ...any) {
	d.s.errInScalar(fieldPath(path), offset, format, a...)
}

// Str is the string value of the top-level field key, "" when absent or
// not a string (to tell kinds apart before decoding).
func (d *Document) Str(key string) string {
	m, ok := d.s.root.(*ast.MappingNode)
	if !ok {
		return ""
	}
	for _, mv := range m.Values {
		if k, ok := keyString(mv.Key); ok && k == key {
			if v, ok := mv.Value.(*ast.StringNode); ok {
				return v.Value
			}
		}
	}
	return ""
}

// Errors are the errors recorded so far, sorted; nil when there is none.
func (d *Document) Errors() error { return d.s.errs.err() }

// File is the name of the document's file, as given.
func (d *Document) File() string { return d.s.file }

// ParseFileKind reads the file at path, which must hold exactly one
// document of apiVersion APIVersion and the given kind (a schedules file,
// a notifications file); decode it with Decode.
func ParseFileKind(path, kind string) (*Document, error) {
	docs, err := ParseFileDocuments(path)
	if err != nil {
		return nil, err
	}
	if len(docs) != 1 {
		return nil, ErrorList{{File: path, Msg: fmt.Sprintf("want one %s document, found %d", kind, len(docs))}}
	}
	d := docs[0]
	if v := d.Str("apiVersion"); v != APIVersion {
		d.Errorf([]any{"apiVersion"}, "must be %q, not %q", APIVersion, v)
	}
	if k := d.Str("kind"); k != kind {
		d.Errorf([]any{"kind"}, "must be %q, not %q", kind, k)
	}
	if err := d.Errors(); err != nil {
		return nil, err
	}
	return d, nil
}
