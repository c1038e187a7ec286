// Package extract rebuilds Terraform provider schemas from the JavaScript that
// cdktf generates for a provider (the npm package @cdktf/provider-aws).
//
// cdktf generates one file per resource type, lib/<name>/index.js, from the
// provider's own `terraform providers schema -json`. The schema can be read
// back from that code:
//
//   - every attribute has a getter whose body names it in snake case and gives
//     its type (getStringAttribute('arn'), Fn.tolist(getListAttribute(..)) for
//     sets, a ComplexList/OutputReference field for nested objects);
//   - an attribute with a setter is an argument; without a reset method it is
//     required; without a setter it is computed (read-only);
//   - synthesizeHclAttributes / <struct>ToHclTerraform say whether a nested
//     object is a block or an attribute and whether it is a list, set or single;
//   - a nested block held by an OutputReference (not a List) has max_items 1.
//
// What cannot be read back: descriptions, optional+computed arguments (reported
// as optional), provider-side validation (ranges, formats, enums).
package extract

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Attribute is one attribute in `terraform providers schema -json` form.
type Attribute struct {
	Type     json.RawMessage `json:"type"`
	Required bool            `json:"required,omitempty"`
	Optional bool            `json:"optional,omitempty"`
	Computed bool            `json:"computed,omitempty"`
}

// BlockType is a nested block type.
type BlockType struct {
	NestingMode string `json:"nesting_mode"`
	Block       *Block `json:"block"`
	MinItems    int    `json:"min_items,omitempty"`
	MaxItems    int    `json:"max_items,omitempty"`
}

// Block is a schema block.
type Block struct {
	Attributes map[string]*Attribute `json:"attributes,omitempty"`
	BlockTypes map[string]*BlockType `json:"block_types,omitempty"`
}

// Schema is a versioned block.
type Schema struct {
	Version int    `json:"version"`
	Block   *Block `json:"block"`
}

// ProviderSchema is one provider's entry of `terraform providers schema -json`.
type ProviderSchema struct {
	Provider          *Schema            `json:"provider"`
	ResourceSchemas   map[string]*Schema `json:"resource_schemas"`
	DataSourceSchemas map[string]*Schema `json:"data_source_schemas"`
}

// Document is the whole `terraform providers schema -json` document.
type Document struct {
	FormatVersion   string                     `json:"format_version"`
	ProviderSchemas map[string]*ProviderSchema `json:"provider_schemas"`
}

var (
	reClass      = regexp.MustCompile(`(?m)^class (\w+) extends ([\w.]+) \{$`)
	reHclFunc    = regexp.MustCompile(`(?m)^function (\w+)ToHclTerraform\(struct\) \{$`)
	reTFType     = regexp.MustCompile(`terraformResourceType: '(\w+)'`)
	reGetter     = regexp.MustCompile(`(?ms)^    get (\w+)\(\) \{\n\s*return (.*?);\n    \}`)
	reSetter     = regexp.MustCompile(`(?m)^    set (\w+)\(value\) \{`)
	rePut        = regexp.MustCompile(`(?m)^    put(\w+)\(value\) \{`)
	reReset      = regexp.MustCompile(`(?m)^    reset(\w+)\(\) \{`)
	reField      = regexp.MustCompile(`this\._(\w+) = new ([\w.]+)\(this, "(\w+)"(?:, (true|false))?\);`)
	reFieldRef   = regexp.MustCompile(`^this\._(\w+)$`)
	reSimpleAttr = regexp.MustCompile(`^(?:cdktf\.Token\.as(?:NumberList|Any)\()?(cdktf\.Fn\.tolist\()?this\.(\w+)Attribute\('(\w+)'\)`)
	reHclEntry   = regexp.MustCompile(`(?s)\n\s*(\w+): \{\n\s*value: [^\n]*\n\s*isBlock: (true|false),\n\s*type: "(\w+)",\n\s*storageClassType: "(\w+)",`)
	reListElem   = regexp.MustCompile(`get\((?:index|key)\) \{\n\s*return new (?:\w+\.)?(\w+)\(`)
)

// file is one parsed lib/<name>/index.js.
type file struct {
	classes map[string]string // class name -> body
	bases   map[string]string // class name -> base class
	hcl     map[string]string // lowerFirst(struct name) -> ToHclTerraform body
}

func parseFile(src string) *file {
	f := &file{classes: map[string]string{}, bases: map[string]string{}, hcl: map[string]string{}}
	for _, m := range reClass.FindAllStringSubmatchIndex(src, -1) {
		name, base := src[m[2]:m[3]], src[m[4]:m[5]]
		f.classes[name] = body(src, m[1])
		f.bases[name] = base
	}
	for _, m := range reHclFunc.FindAllStringSubmatchIndex(src, -1) {
		f.hcl[src[m[2]:m[3]]] = body(src, m[1])
	}
	return f
}

// body returns the text from start to the first closing brace at column 0.
func body(src string, start int) string {
	end := strings.Index(src[start:], "\n}\n")
	if end < 0 {
		return src[start:]
	}
	return src[start : start+end]
}

type hclEntry struct {
	isBlock bool
	kind    string // simple, list, set, map, struct
	storage string
}

func hclEntries(text string) map[string]hclEntry {
	out := map[string]hclEntry{}
	for _, m := range reHclEntry.FindAllStringSubmatch(text, -1) {
		out[m[1]] = hclEntry{isBlock: m[2] == "true", kind: m[3], storage: m[4]}
	}
	return out
}

func lowerFirst(s string) string { return strings.ToLower(s[:1]) + s[1:] }

func typeJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// member is one attribute found through a getter.
type member struct {
	tfName   string
	typ      any    // cty type in JSON form, for attributes
	nested   string // OutputReference class for nested objects
	wrapper  string // list, set, map, single for nested objects
	settable bool
	optional bool
}

func (f *file) members(class string) ([]member, error) {
	src := f.classes[class]
	setters, resets := map[string]bool{}, map[string]bool{}
	for _, m := range reSetter.FindAllStringSubmatch(src, -1) {
		setters[m[1]] = true
	}
	for _, m := range rePut.FindAllStringSubmatch(src, -1) {
		setters[lowerFirst(m[1])] = true
	}
	for _, m := range reReset.FindAllStringSubmatch(src, -1) {
		resets[lowerFirst(m[1])] = true
	}
	fields := map[string][]string{}
	for _, m := range reField.FindAllStringSubmatch(src, -1) {
		fields[m[1]] = m[2:]
	}
	var out []member
	for _, g := range reGetter.FindAllStringSubmatch(src, -1) {
		js, ret := g[1], g[2]
		if js == "internalValue" || strings.HasSuffix(js, "Input") {
			continue
		}
		mb := member{settable: setters[js], optional: resets[js]}
		if m := reSimpleAttr.FindStringSubmatch(ret); m != nil {
			set := m[1] != ""
			mb.tfName = m[3]
			switch m[2] {
			case "getString":
				mb.typ = "string"
			case "getNumber":
				mb.typ = "number"
			case "getBoolean":
				mb.typ = "bool"
			case "getList":
				mb.typ = []any{"list", "string"}
			case "getNumberList":
				mb.typ = []any{"list", "number"}
			case "getStringMap":
				mb.typ = []any{"map", "string"}
			case "getNumberMap":
				mb.typ = []any{"map", "number"}
			case "getBooleanMap":
				mb.typ = []any{"map", "bool"}
			case "interpolationFor":
				mb.typ = "dynamic"
			default:
				return nil, fmt.Errorf("%s.%s: unknown getter %s", class, js, m[2])
			}
			if set {
				if list, ok := mb.typ.([]any); ok {
					mb.typ = []any{"set", list[1]}
				} else {
					mb.typ = []any{"set", mb.typ}
				}
			}
			out = append(out, mb)
			continue
		}
		// Usually this._<getter>; names clashing with JavaScript or cdktf
		// members get a suffix on the getter only (nodeAttribute -> this._node).
		ref := reFieldRef.FindStringSubmatch(ret)
		if ref == nil {
			return nil, fmt.Errorf("%s.%s: unknown getter body %q", class, js, ret)
		}
		fd, ok := fields[ref[1]]
		if !ok {
			return nil, fmt.Errorf("%s.%s: no field for complex getter", class, js)
		}
		ctor, tfName, wrapsSet := fd[0], fd[1], fd[2] == "true"
		if i := strings.LastIndex(ctor, "."); i >= 0 && !strings.HasPrefix(ctor, "cdktf.") {
			ctor = ctor[i+1:] // a class of another generated file (index_structs_1.X)
		}
		mb.tfName = tfName
		switch {
		case ctor == "cdktf.StringMap":
			mb.typ = []any{"map", "string"}
		case ctor == "cdktf.NumberMap":
			mb.typ = []any{"map", "number"}
		case ctor == "cdktf.BooleanMap":
			mb.typ = []any{"map", "bool"}
		case ctor == "cdktf.AnyMap":
			mb.typ = []any{"map", "dynamic"}
		case ctor == "cdktf.StringMapList":
			mb.typ = []any{"list", []any{"map", "string"}}
		case strings.HasPrefix(ctor, "cdktf."):
			return nil, fmt.Errorf("%s.%s: unknown cdktf class %s", class, js, ctor)
		case strings.HasSuffix(ctor, "OutputReference"):
			mb.nested, mb.wrapper = ctor, "single"
		case strings.HasSuffix(ctor, "List"), strings.HasSuffix(ctor, "Map"):
			em := reListElem.FindStringSubmatch(f.classes[ctor])
			if em == nil {
				return nil, fmt.Errorf("%s.%s: no element class in %s", class, js, ctor)
			}
			mb.nested = em[1]
			switch {
			case strings.HasSuffix(ctor, "Map"):
				mb.wrapper = "map"
			case wrapsSet:
				mb.wrapper = "set"
			default:
				mb.wrapper = "list"
			}
		default:
			return nil, fmt.Errorf("%s.%s: unknown class %s", class, js, ctor)
		}
		out = append(out, mb)
	}
	return out, nil
}

// objectType is the cty object type of a nested class, for attributes.
func (f *file) objectType(class string) (any, error) {
	ms, err := f.members(class)
	if err != nil {
		return nil, err
	}
	attrs := map[string]any{}
	for _, m := range ms {
		t, err := f.memberType(m)
		if err != nil {
			return nil, err
		}
		attrs[m.tfName] = t
	}
	return []any{"object", attrs}, nil
}

func (f *file) memberType(m member) (any, error) {
	if m.nested == "" {
		return m.typ, nil
	}
	obj, err := f.objectType(m.nested)
	if err != nil {
		return nil, err
	}
	if m.wrapper == "single" {
		return obj, nil
	}
	return []any{m.wrapper, obj}, nil
}

// block builds the schema block of a class; hcl describes its arguments.
func (f *file) block(class string, hcl map[string]hclEntry) (*Block, error) {
	ms, err := f.members(class)
	if err != nil {
		return nil, err
	}
	b := &Block{Attributes: map[string]*Attribute{}, BlockTypes: map[string]*BlockType{}}
	for _, m := range ms {
		entry, isArg := hcl[m.tfName]
		if !m.settable || !isArg {
			t, err := f.memberType(m)
			if err != nil {
				return nil, err
			}
			b.Attributes[m.tfName] = &Attribute{Type: typeJSON(t), Computed: true}
			continue
		}
		if m.nested == "" || !entry.isBlock {
			t, err := f.memberType(m)
			if err != nil {
				return nil, err
			}
			b.Attributes[m.tfName] = &Attribute{Type: typeJSON(t), Required: !m.optional, Optional: m.optional}
			continue
		}
		structName := strings.TrimSuffix(m.nested, "OutputReference")
		inner, err := f.block(m.nested, hclEntries(f.hcl[lowerFirst(structName)]))
		if err != nil {
			return nil, err
		}
		bt := &BlockType{Block: inner}
		switch {
		case entry.kind == "struct":
			bt.NestingMode = "single"
		case m.wrapper == "single":
			bt.NestingMode, bt.MaxItems = "list", 1
			if entry.kind == "set" {
				bt.NestingMode = "set"
			}
		default:
			bt.NestingMode = m.wrapper
		}
		if !m.optional && bt.NestingMode != "single" {
			bt.MinItems = 1
		}
		b.BlockTypes[m.tfName] = bt
	}
	return b, nil
}

// providerBlock builds the provider configuration block from HCL entries
// only: provider classes have no attribute getters. All arguments are
// optional, as they are in the AWS provider.
func (f *file) providerBlock(hcl map[string]hclEntry) (*Block, error) {
	b := &Block{Attributes: map[string]*Attribute{}, BlockTypes: map[string]*BlockType{}}
	prim := map[string]any{
		"string": "string", "number": "number", "boolean": "bool", "any": "dynamic",
		"stringList": []any{"list", "string"}, "numberList": []any{"list", "number"},
		"stringMap": []any{"map", "string"}, "numberMap": []any{"map", "number"}, "booleanMap": []any{"map", "bool"},
	}
	for name, e := range hcl {
		if t, ok := prim[e.storage]; ok {
			if e.kind == "set" {
				t = []any{"set", t.([]any)[1]}
			}
			b.Attributes[name] = &Attribute{Type: typeJSON(t), Optional: true}
			continue
		}
		if !e.isBlock {
			return nil, fmt.Errorf("provider.%s: unsupported %s", name, e.storage)
		}
		structName := strings.TrimSuffix(e.storage, "List")
		inner, err := f.providerBlock(hclEntries(f.hcl[lowerFirst(structName)]))
		if err != nil {
			return nil, err
		}
		b.BlockTypes[name] = &BlockType{NestingMode: "list", Block: inner}
	}
	return b, nil
}

// Index maps Terraform type names (aws_vpc, data.aws_iam_policy_document,
// provider) to their lib/<dir>/index.js.
func Index(lib string) (map[string]string, error) {
	dirs, err := os.ReadDir(lib)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		path := filepath.Join(lib, d.Name(), "index.js")
		src, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		m := reTFType.FindSubmatch(src)
		if m == nil {
			continue
		}
		name := string(m[1])
		switch {
		case name == "aws":
			name = "provider"
		case strings.HasPrefix(d.Name(), "data-aws-"):
			name = "data." + name
		}
		out[name] = path
	}
	return out, nil
}

// Extract builds the schema of the provider and of the given resource and
// data source types ("aws_vpc", "data.aws_iam_policy_document").
func Extract(lib string, types []string) (*Document, error) {
	idx, err := Index(lib)
	if err != nil {
		return nil, err
	}
	ps := &ProviderSchema{ResourceSchemas: map[string]*Schema{}, DataSourceSchemas: map[string]*Schema{}}
	prov, err := load(idx, "provider")
	if err != nil {
		return nil, err
	}
	for class, base := range prov.bases {
		if base == "cdktf.TerraformProvider" {
			b, err := prov.providerBlock(hclEntries(prov.classes[class]))
			if err != nil {
				return nil, err
			}
			ps.Provider = &Schema{Block: b}
		}
	}
	sort.Strings(types)
	for _, t := range types {
		f, err := load(idx, t)
		if err != nil {
			return nil, err
		}
		want := "cdktf.TerraformResource"
		if strings.HasPrefix(t, "data.") {
			want = "cdktf.TerraformDataSource"
		}
		var s *Schema
		for class, base := range f.bases {
			if base != want {
				continue
			}
			b, err := f.block(class, hclEntries(f.classes[class]))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", t, err)
			}
			s = &Schema{Block: b}
		}
		if s == nil {
			return nil, fmt.Errorf("%s: no %s class", t, want)
		}
		if name, ok := strings.CutPrefix(t, "data."); ok {
			ps.DataSourceSchemas[name] = s
		} else {
			ps.ResourceSchemas[t] = s
		}
	}
	return &Document{
		FormatVersion:   "1.0",
		ProviderSchemas: map[string]*ProviderSchema{"registry.terraform.io/hashicorp/aws": ps},
	}, nil
}

// load parses the index.js of a type together with the other .js files of its
// folder: large types keep their structs in index-structs/structs<N>.js.
func load(idx map[string]string, t string) (*file, error) {
	path, ok := idx[t]
	if !ok {
		return nil, fmt.Errorf("%s: not in the package", t)
	}
	var src strings.Builder
	err := filepath.WalkDir(filepath.Dir(path), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".js") {
			return err
		}
		b, err := os.ReadFile(p)
		src.Write(b)
		src.WriteString("\n")
		return err
	})
	if err != nil {
		return nil, err
	}
	return parseFile(src.String()), nil
}
