package spec

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// Catalog is everything LoadPath found.
type Catalog struct {
	Experiments []*Experiment
	Suites      []*Suite
}

// LoadFile reads one experiment file; see ValidateOptions.LoadFile.
func LoadFile(path string) (*Experiment, error) { return ValidateOptions{}.LoadFile(path) }

// LoadSuite reads one suite file; see ValidateOptions.LoadSuite.
func LoadSuite(path string) (*Suite, error) { return ValidateOptions{}.LoadSuite(path) }

// LoadPath reads files and directories; see ValidateOptions.LoadPath.
func LoadPath(paths ...string) (*Catalog, error) { return ValidateOptions{}.LoadPath(paths...) }

// LoadFile reads, decodes strictly, defaults and validates the experiment
// in path. The error is an ErrorList naming file:line:col and the field of
// every problem.
func (o ValidateOptions) LoadFile(path string) (*Experiment, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return o.Parse(path, data)
}

// Parse is LoadFile on data read from file (the name used in errors).
func (o ValidateOptions) Parse(file string, data []byte) (*Experiment, error) {
	return o.parseExperiment(file, data, nil)
}

// LoadSuite reads the suite in path and every experiment it lists, files
// resolved against the suite's directory and the suite's defaults applied.
// All errors of the suite and of its experiments are returned together.
func (o ValidateOptions) LoadSuite(path string) (*Suite, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return o.parseSuite(path, data)
}

// LoadPath loads every experiment and suite in paths: files, and
// directories walked recursively for *.yaml and *.yml (a file's kind says
// what it is). It returns what loaded and every error found in any file.
func (o ValidateOptions) LoadPath(paths ...string) (*Catalog, error) {
	var c Catalog
	var errs ErrorList
	add := func(err error) {
		var l ErrorList
		if errors.As(err, &l) {
			errs = append(errs, l...)
		} else if err != nil {
			errs = append(errs, &Error{Msg: err.Error()})
		}
	}
	for _, p := range paths {
		files, err := yamlFiles(p)
		if err != nil {
			add(err)
			continue
		}
		for _, f := range files {
			data, err := readFile(f)
			if err != nil {
				add(err)
				continue
			}
			switch kind := kindOf(data); kind {
			case KindSuite:
				st, err := o.parseSuite(f, data)
				add(err)
				if st != nil {
					c.Suites = append(c.Suites, st)
				}
			case KindExperiment, "":
				e, err := o.parseExperiment(f, data, nil)
				add(err)
				if e != nil {
					c.Experiments = append(c.Experiments, e)
				}
			default:
				if kind == KindSchedules || kind == KindNotifications {
					continue
				}
				s, err := parse(f, data, kind)
				if err == nil {
					s.errPath(fieldPath{"kind"}, "must be %q or %q, not %q", KindExperiment, KindSuite, kind)
					err = s.errs.err()
				}
				add(err)
			}
		}
	}
	return &c, errs.err()
}

// YAMLFiles is path itself, or the YAML files under the directory path
// (hidden folders and testdata left out), as LoadPath walks them.
func YAMLFiles(path string) ([]string, error) { return yamlFiles(path) }

// yamlFiles is path itself, or the YAML files under the directory path.
func yamlFiles(path string) ([]string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fileError(path, err)
	}
	if !fi.IsDir() {
		return []string{path}, nil
	}
	var out []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != path && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, fileError(path, err)
	}
	slices.Sort(out)
	return out, nil
}

func fileError(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return ErrorList{{File: path, Msg: err.Error()}}
}

// kindOf peeks at a document's top-level kind in its syntax tree, without
// decoding (which would expand aliases) or validating.
func kindOf(data []byte) string {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return ""
	}
	for _, d := range f.Docs {
		if m, ok := d.Body.(*ast.MappingNode); ok {
			for _, mv := range m.Values {
				if k, _ := keyString(mv.Key); k == "kind" {
					if v, ok := mv.Value.(*ast.StringNode); ok {
						return v.Value
					}
				}
			}
		}
	}
	return ""
}

// MaxFileSize bounds an experiment or suite file.
const MaxFileSize = 1 << 20

// readFile reads a spec file of at most MaxFileSize bytes.
func readFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fileError(path, err)
	}
	if fi.Size() > MaxFileSize {
		return nil, ErrorList{{File: path, Msg: fmt.Sprintf("%d bytes: an experiment file has at most %d", fi.Size(), MaxFileSize)}}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fileError(path, err)
	}
	return data, nil
}

// parse reads one YAML document into a source.
func parse(file string, data []byte, wantKind string) (*source, error) {
	s := &source{file: file, data: data}
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		var ye yaml.Error
		if errors.As(err, &ye) {
			e := &Error{File: file, Msg: "invalid YAML: " + ye.GetMessage()}
			if t := ye.GetToken(); t != nil && t.Position != nil {
				e.Line, e.Column = t.Position.Line, t.Position.Column
			}
			s.errs = append(s.errs, e)
		} else {
			s.errAt(nil, nil, "invalid YAML: %s", err)
		}
		return nil, s.errs.err()
	}
	var docs []*ast.DocumentNode
	for _, d := range f.Docs {
		if d.Body != nil {
			docs = append(docs, d)
		}
	}
	switch {
	case len(docs) == 0:
		s.errAt(nil, nil, "empty file: expected an %s or a %s", KindExperiment, KindSuite)
		return nil, s.errs.err()
	case len(docs) > 1:
		s.errAt(docs[1].Body, nil, "one document per file")
		return nil, s.errs.err()
	}
	s.root = docs[0].Body
	m, ok := s.root.(*ast.MappingNode)
	if !ok {
		s.errAt(s.root, nil, "must be a mapping with apiVersion, kind, metadata and spec, not %s", describe(s.root))
		return nil, s.errs.err()
	}
	// The version and kind decide the schema: check them before the rest.
	head := map[string]string{}
	for _, mv := range m.Values {
		if k, ok := keyString(mv.Key); ok && (k == "apiVersion" || k == "kind") {
			if v, ok := mv.Value.(*ast.StringNode); ok {
				head[k] = v.Value
			}
		}
	}
	for _, h := range []struct{ field, want string }{{"apiVersion", APIVersion}, {"kind", wantKind}} {
		switch got, ok := head[h.field]; {
		case !ok:
			s.errPath(fieldPath{h.field}, "required: %q", h.want)
		case got != h.want:
			s.errPath(fieldPath{h.field}, "must be %q, not %q", h.want, got)
		}
	}
	if len(s.errs) > 0 {
		return nil, s.errs.err()
	}
	return s, nil
}

// decodeInto checks the shape of the source against v's type, then decodes
// it through JSON into v.
func (s *source) decodeInto(v any) bool {
	s.checkShape(s.root, reflect.TypeOf(v).Elem(), nil)
	if len(s.errs) > 0 {
		return false
	}
	b, err := json.Marshal(value(s.root))
	if err == nil {
		err = strictJSON(b, v)
	}
	if err != nil {
		s.errAt(s.root, nil, "decode: %s", err)
		return false
	}
	return true
}

func (o ValidateOptions) parseExperiment(file string, data []byte, suiteTarget *Target) (*Experiment, error) {
	s, err := parse(file, data, KindExperiment)
	if err != nil {
		return nil, err
	}
	var e Experiment
	if !s.decodeInto(&e) {
		return nil, s.errs.err()
	}
	e.File = file
	e.defaults(suiteTarget)
	e.validate(s, o)
	if err := s.errs.err(); err != nil {
		return nil, err
	}
	return &e, nil
}

func (o ValidateOptions) parseSuite(file string, data []byte) (*Suite, error) {
	s, err := parse(file, data, KindSuite)
	if err != nil {
		return nil, err
	}
	var st Suite
	if !s.decodeInto(&st) {
		return nil, s.errs.err()
	}
	st.File = file
	st.defaults()
	st.validate(s)
	errs := s.errs
	if len(errs) == 0 {
		for i, entry := range st.Spec.Experiments {
			path := entry.File
			if !filepath.IsAbs(path) {
				path = filepath.Join(filepath.Dir(file), path)
			}
			data, err := readFile(path)
			if err != nil {
				s.errs = nil
				s.errPath(fieldPath{"spec", "experiments", i, "file"}, "%s: %s", path, err.(ErrorList)[0].Msg)
				errs = append(errs, s.errs...)
				continue
			}
			e, err := o.parseExperiment(path, data, st.Spec.Defaults.Target)
			var l ErrorList
			if errors.As(err, &l) {
				errs = append(errs, l...)
				continue
			}
			st.Experiments = append(st.Experiments, e)
		}
	}
	if err := errs.err(); err != nil {
		return nil, err
	}
	return &st, nil
}

// Validate checks an experiment built in code: defaults are applied, then
// every rule of LoadFile. Errors name fields but no file or line.
func (e *Experiment) Validate(opts ValidateOptions) error {
	s := &source{}
	e.defaults(nil)
	e.validate(s, opts)
	return s.errs.err()
}

// Encode writes e as YAML, defaults included; Parse reads it back to an
// equal experiment.
func Encode(e *Experiment) ([]byte, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", e.Metadata.Name, err)
	}
	return yaml.JSONToYAML(b)
}
