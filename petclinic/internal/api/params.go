package api

import (
	"net/http"
	"strconv"
	"strings"
)

// pathInt converts a path variable to an Integer like Spring's conversion
// service: an optional sign and decimal digits within int32, else
// MethodArgumentTypeMismatchException (400).
func pathInt(r *http.Request, name string) (int, *problem) {
	n, err := strconv.ParseInt(r.PathValue(name), 10, 32)
	if err != nil {
		return 0, typeMismatch()
	}
	return int(n), nil
}

// queryInt reads an optional integer query parameter; absent or empty means
// def, as @RequestParam(defaultValue) does.
func queryInt(r *http.Request, name string, def int) (int, *problem) {
	v := strings.TrimSpace(r.URL.Query().Get(name))
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return 0, typeMismatch()
	}
	return int(n), nil
}

// bounds is the @Min/@Max method validation of the generated API interfaces,
// which runs after the arguments are bound: ConstraintViolationException.
type bounds struct {
	msgs []string
}

func (b *bounds) min(n, min int) *bounds {
	if n < min {
		b.msgs = append(b.msgs, "must be greater than or equal to "+strconv.Itoa(min))
	}
	return b
}

func (b *bounds) max(n, max int) *bounds {
	if n > max {
		b.msgs = append(b.msgs, "must be less than or equal to "+strconv.Itoa(max))
	}
	return b
}

func (b *bounds) problem() *problem {
	if len(b.msgs) == 0 {
		return nil
	}
	return constraintViolation(b.msgs...)
}

// ids reads the named path variables; all of them are @Min(0).
func ids(r *http.Request, names ...string) ([]int, *problem) {
	out := make([]int, len(names))
	for i, name := range names {
		n, p := pathInt(r, name)
		if p != nil {
			return nil, p
		}
		out[i] = n
	}
	return out, nil
}

func nonNegative(ns ...int) *problem {
	b := &bounds{}
	for _, n := range ns {
		b.min(n, 0)
	}
	return b.problem()
}
