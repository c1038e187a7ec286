package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gamedayhq/gameday/petclinic"
)

// This file binds request bodies the way Spring Boot's Jackson ObjectMapper
// does: unknown properties are ignored, scalars are coerced where Jackson
// coerces them ("1" → 1, 1 → "1", 1.9 → 1, "" → null), dates are ISO
// yyyy-MM-dd, and anything Jackson refuses is an error that the handlers
// answer with HttpMessageNotReadableException (400).

// errBind is any body that Jackson would refuse.
var errBind = errors.New("unreadable body")

// object is a JSON object whose members are bound one by one.
type object map[string]json.RawMessage

// readObject reads the request body as one JSON object. Like Jackson, it
// reads the first JSON value only and ignores what follows.
func readObject(r *http.Request) (object, *problem) {
	if ct := r.Header.Get("Content-Type"); !isJSON(ct) {
		return nil, &problem{status: http.StatusBadRequest, title: "HttpMediaTypeNotSupportedException", detail: detailInvalid}
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, unreadable()
	}
	o, err := parseObject(body)
	if err != nil {
		return nil, unreadable()
	}
	return o, nil
}

// isJSON reports whether a Content-Type is one Spring's Jackson converter
// reads: application/json or application/*+json.
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

func parseObject(body []byte) (object, error) {
	if !utf8.Valid(body) {
		return nil, fmt.Errorf("%w: invalid UTF-8", errBind)
	}
	// Jackson skips a UTF-8 byte order mark.
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	dec := json.NewDecoder(bytes.NewReader(body))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("%w: %w", errBind, err)
	}
	return asObject(raw)
}

func asObject(raw json.RawMessage) (object, error) {
	if kind(raw) != '{' {
		return nil, fmt.Errorf("%w: not an object", errBind)
	}
	var o object
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, fmt.Errorf("%w: %w", errBind, err)
	}
	return o, nil
}

// kind is the first byte of a JSON value: '{', '[', '"', 'n', 't', 'f', or a
// digit or '-' for numbers; 0 when absent.
func kind(raw json.RawMessage) byte {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return 0
	}
	return raw[0]
}

func isNumber(k byte) bool { return k == '-' || (k >= '0' && k <= '9') }

// str binds a String property. Numbers and booleans become their text, as
// Jackson's StringDeserializer does; objects and arrays are refused.
func (o object) str(key string) (*string, error) {
	raw, ok := o[key]
	switch k := kind(raw); {
	case !ok || k == 'n':
		return nil, nil
	case k == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", errBind, key, err)
		}
		return &s, nil
	case isNumber(k) || k == 't' || k == 'f':
		s := string(bytes.TrimSpace(raw))
		return &s, nil
	default:
		return nil, fmt.Errorf("%w: %s: cannot deserialize String from %c", errBind, key, k)
	}
}

// int32 binds an Integer property: integral numbers in range, floats
// truncated (ACCEPT_FLOAT_AS_INT), and strings holding an integer; "" is
// null.
func (o object) int32(key string) (*int, error) {
	raw, ok := o[key]
	k := kind(raw)
	if !ok || k == 'n' {
		return nil, nil
	}
	bad := fmt.Errorf("%w: %s: not a valid Integer value", errBind, key)
	switch {
	case isNumber(k):
		text := string(bytes.TrimSpace(raw))
		if n, err := strconv.ParseInt(text, 10, 32); err == nil {
			v := int(n)
			return &v, nil
		}
		f, err := strconv.ParseFloat(text, 64)
		if err != nil || !strings.ContainsAny(text, ".eE") || f != f || math.Trunc(f) > math.MaxInt32 || math.Trunc(f) < math.MinInt32 {
			return nil, bad
		}
		v := int(math.Trunc(f))
		return &v, nil
	case k == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, bad
		}
		s = strings.TrimSpace(s)
		if s == "" {
			return nil, nil
		}
		n, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			return nil, bad
		}
		v := int(n)
		return &v, nil
	default:
		return nil, bad
	}
}

// boolean binds a Boolean property: true/false, their text in any of the
// cases Jackson accepts, and integers (0 is false).
func (o object) boolean(key string) (*bool, error) {
	raw, ok := o[key]
	k := kind(raw)
	if !ok || k == 'n' {
		return nil, nil
	}
	bad := fmt.Errorf("%w: %s: not a valid Boolean value", errBind, key)
	var v bool
	switch {
	case k == 't' || k == 'f':
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, bad
		}
	case k == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, bad
		}
		switch strings.TrimSpace(s) {
		case "true", "True", "TRUE":
			v = true
		case "false", "False", "FALSE":
			v = false
		case "":
			return nil, nil
		default:
			return nil, bad
		}
	case isNumber(k):
		n, err := strconv.ParseInt(string(bytes.TrimSpace(raw)), 10, 64)
		if err != nil {
			return nil, bad
		}
		v = n != 0
	default:
		return nil, bad
	}
	return &v, nil
}

// date binds a LocalDate property like jackson-datatype-jsr310: an ISO
// yyyy-MM-dd string (a date-time string keeps its date), an [y, m, d] array,
// or an epoch-day integer; "" is null.
func (o object) date(key string) (*time.Time, error) {
	raw, ok := o[key]
	k := kind(raw)
	if !ok || k == 'n' {
		return nil, nil
	}
	bad := fmt.Errorf("%w: %s: not a valid LocalDate value", errBind, key)
	switch {
	case k == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, bad
		}
		s = strings.TrimSpace(s)
		if s == "" {
			return nil, nil
		}
		if len(s) > 10 && s[10] == 'T' {
			layout := "2006-01-02T15:04:05.999999999"
			if strings.HasSuffix(s, "Z") {
				layout = time.RFC3339Nano
			}
			t, err := time.Parse(layout, s)
			if err != nil {
				return nil, bad
			}
			d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
			return &d, nil
		}
		t, err := time.Parse(petclinic.DateLayout, s)
		if err != nil {
			return nil, bad
		}
		return &t, nil
	case k == '[':
		var parts []int
		if err := json.Unmarshal(raw, &parts); err != nil || len(parts) != 3 {
			return nil, bad
		}
		d := time.Date(parts[0], time.Month(parts[1]), parts[2], 0, 0, 0, 0, time.UTC)
		if d.Year() != parts[0] || int(d.Month()) != parts[1] || d.Day() != parts[2] {
			return nil, bad
		}
		return &d, nil
	case isNumber(k):
		n, err := strconv.ParseInt(string(bytes.TrimSpace(raw)), 10, 32)
		if err != nil {
			return nil, bad
		}
		d := time.Unix(0, 0).UTC().AddDate(0, 0, int(n))
		return &d, nil
	default:
		return nil, bad
	}
}

// object binds a nested object property; null or absent is nil.
func (o object) object(key string) (object, error) {
	raw, ok := o[key]
	k := kind(raw)
	if !ok || k == 'n' {
		return nil, nil
	}
	return asObject(raw)
}

// array binds a list property; null or absent is nil, a non-array is
// refused (ACCEPT_SINGLE_VALUE_AS_ARRAY is off).
func (o object) array(key string) ([]json.RawMessage, bool, error) {
	raw, ok := o[key]
	k := kind(raw)
	if !ok || k == 'n' {
		return nil, false, nil
	}
	if k != '[' {
		return nil, false, fmt.Errorf("%w: %s: not an array", errBind, key)
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, false, fmt.Errorf("%w: %s: %w", errBind, key, err)
	}
	return items, true, nil
}
