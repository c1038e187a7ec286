// Package spectest walks spec types field by field (the Chaos Mesh spec
// of every fault kind, gameday's own load, stop conditions, recovery and
// suites), for the tests that prove every field reaches its runtime object
// or is refused by name, and finds a spec value in a runtime object.
package spectest

import (
	"fmt"
	"reflect"
	"strings"
)

// Field is one leaf of a spec type: a field that is not a struct (a
// scalar, a pointer to one, a slice, a map). Path is its JSON path under
// the fault's spec (delay.latency, selector.labelSelectors).
type Field struct {
	Path  string
	index []int // the Go field indexes from the spec struct
}

// Fields lists the leaves of struct type t (a v1alpha1.XxxChaosSpec), in
// declaration order; inline embedded structs vanish from the path as in
// JSON.
func Fields(t reflect.Type) []Field {
	var out []Field
	var walk func(t reflect.Type, path []string, index []int)
	walk = func(t reflect.Type, path []string, index []int) {
		for i := range t.NumField() {
			sf := t.Field(i)
			if !sf.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			idx := append(index[:len(index):len(index)], i)
			ft := sf.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			p := path
			if !(sf.Anonymous && name == "") {
				if name == "" {
					name = sf.Name
				}
				p = append(path[:len(path):len(path)], name)
			}
			if ft.Kind() == reflect.Struct && !opaque(ft) {
				walk(ft, p, idx)
				continue
			}
			out = append(out, Field{Path: strings.Join(p, "."), index: idx})
		}
	}
	walk(t, nil, nil)
	return out
}

// opaque structs are values of their own (a time, a quantity): set whole.
func opaque(t reflect.Type) bool {
	for i := range t.NumField() {
		if t.Field(i).IsExported() {
			return false
		}
	}
	return true
}

// Set sets field f of spec (a pointer to the spec struct) to v, which must
// be assignable to the field's type or to what its pointer points at; the
// structs on the way are allocated.
func (f Field) Set(spec any, v any) {
	cur := reflect.ValueOf(spec).Elem()
	for _, i := range f.index {
		for cur.Kind() == reflect.Pointer {
			if cur.IsNil() {
				cur.Set(reflect.New(cur.Type().Elem()))
			}
			cur = cur.Elem()
		}
		cur = cur.Field(i)
	}
	val := reflect.ValueOf(v)
	if cur.Kind() == reflect.Pointer && val.Type() != cur.Type() {
		p := reflect.New(cur.Type().Elem())
		p.Elem().Set(val.Convert(cur.Type().Elem()))
		cur.Set(p)
		return
	}
	cur.Set(val.Convert(cur.Type()))
}

// Get is field f of spec, nil when a pointer on the way is nil.
func (f Field) Get(spec any) any {
	cur := reflect.ValueOf(spec).Elem()
	for _, i := range f.index {
		for cur.Kind() == reflect.Pointer {
			if cur.IsNil() {
				return nil
			}
			cur = cur.Elem()
		}
		cur = cur.Field(i)
	}
	return cur.Interface()
}

// Type is the type of the field (a pointer's element for a pointer).
func (f Field) Type(t reflect.Type) reflect.Type {
	for _, i := range f.index {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		t = t.Field(i).Type
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// Example is a value of type t that is not its zero value: s for a string,
// 7 for a number, true, one element or entry filled likewise.
func Example(t reflect.Type, s string) reflect.Value {
	v := reflect.New(t).Elem()
	switch t.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(7)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(7)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(0.5)
	case reflect.Pointer:
		v.Set(Example(t.Elem(), s).Addr())
	case reflect.Slice:
		v.Set(reflect.Append(v, Example(t.Elem(), s)))
	case reflect.Map:
		v.Set(reflect.MakeMap(t))
		v.SetMapIndex(Example(t.Key(), "k"), Example(t.Elem(), s))
	case reflect.Struct:
		for i := range t.NumField() {
			if t.Field(i).IsExported() {
				v.Field(i).Set(Example(t.Field(i).Type, s))
			}
		}
	default:
		panic(fmt.Sprintf("spectest: no example of %s", t))
	}
	return v
}
