package spectest

import (
	"reflect"
	"strings"
)

// Scalars are the scalar values held by v, through pointers, interfaces,
// structs (their unexported fields too), slices, arrays and maps: what a
// test looks for a spec value in, in a runtime object.
func Scalars(v reflect.Value) []reflect.Value { return scalars(v, map[uintptr]bool{}) }

func scalars(v reflect.Value, seen map[uintptr]bool) []reflect.Value {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() || seen[v.Pointer()] {
			return nil
		}
		seen[v.Pointer()] = true
		return scalars(v.Elem(), seen)
	case reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return scalars(v.Elem(), seen)
	case reflect.Struct:
		var out []reflect.Value
		for i := range v.NumField() {
			out = append(out, scalars(v.Field(i), seen)...)
		}
		return out
	case reflect.Slice, reflect.Array:
		var out []reflect.Value
		for i := range v.Len() {
			out = append(out, scalars(v.Index(i), seen)...)
		}
		return out
	case reflect.Map:
		var out []reflect.Value
		for it := v.MapRange(); it.Next(); {
			out = append(append(out, scalars(it.Key(), seen)...), scalars(it.Value(), seen)...)
		}
		return out
	case reflect.Func, reflect.Chan, reflect.UnsafePointer, reflect.Invalid:
		return nil
	}
	return []reflect.Value{v}
}

// Found reports whether the scalar w is among have: the same number
// whatever its type (an int arrives as a uint64, a spec.Duration as a
// time.Duration), the same boolean, or a string within a string (a path
// within a URL).
func Found(have []reflect.Value, w reflect.Value) bool {
	wn, wok := number(w)
	for _, h := range have {
		hn, hok := number(h)
		switch {
		case wok && hok && wn == hn,
			w.Kind() == reflect.Bool && h.Kind() == reflect.Bool && w.Bool() == h.Bool(),
			w.Kind() == reflect.String && h.Kind() == reflect.String && strings.Contains(h.String(), w.String()):
			return true
		}
	}
	return false
}

func number(v reflect.Value) (float64, bool) {
	switch {
	case v.CanInt():
		return float64(v.Int()), true
	case v.CanUint():
		return float64(v.Uint()), true
	case v.CanFloat():
		return v.Float(), true
	}
	return 0, false
}
