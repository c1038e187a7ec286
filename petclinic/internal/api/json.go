package api

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// The owner, pet and visit DTOs are the bodies of the busiest routes
// (GET /owners/{ownerId} above all), and encoding/json spends most of its
// time there on reflection. These appenders write the same bytes
// json.Marshal writes for them (field order, nulls, HTML-safe escaping),
// which TestAppendJSONEqualsMarshal and FuzzAppendJSONString check; every
// other body goes through json.Marshal.

// jsonAppender is a DTO that appends its own JSON.
type jsonAppender interface {
	appendJSON(b []byte) []byte
}

var (
	_ jsonAppender = ownerJSON{}
	_ jsonAppender = petJSON{}
	_ jsonAppender = visitJSON{}
	_ jsonAppender = jsonList[ownerJSON](nil)
)

// marshalJSON is json.Marshal, by hand for the DTOs that append themselves.
func marshalJSON(v any) ([]byte, error) {
	switch x := v.(type) {
	case jsonAppender:
		return x.appendJSON(make([]byte, 0, 512)), nil
	case []ownerJSON:
		return jsonList[ownerJSON](x).appendJSON(make([]byte, 0, 512*len(x)+2)), nil
	case []petJSON:
		return jsonList[petJSON](x).appendJSON(make([]byte, 0, 256*len(x)+2)), nil
	case []visitJSON:
		return jsonList[visitJSON](x).appendJSON(make([]byte, 0, 128*len(x)+2)), nil
	}
	return json.Marshal(v)
}

// jsonList is a JSON array of DTOs; nil is null, as json.Marshal writes it.
type jsonList[T jsonAppender] []T

func (l jsonList[T]) appendJSON(b []byte) []byte {
	if l == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, v := range l {
		if i > 0 {
			b = append(b, ',')
		}
		b = v.appendJSON(b)
	}
	return append(b, ']')
}

func (o ownerJSON) appendJSON(b []byte) []byte {
	b = append(b, `{"firstName":`...)
	b = appendJSONString(b, o.FirstName)
	b = append(b, `,"lastName":`...)
	b = appendJSONString(b, o.LastName)
	b = append(b, `,"address":`...)
	b = appendJSONString(b, o.Address)
	b = append(b, `,"city":`...)
	b = appendJSONString(b, o.City)
	b = append(b, `,"telephone":`...)
	b = appendJSONString(b, o.Telephone)
	b = append(b, `,"id":`...)
	b = strconv.AppendInt(b, int64(o.ID), 10)
	b = append(b, `,"pets":`...)
	b = jsonList[petJSON](o.Pets).appendJSON(b)
	return append(b, '}')
}

func (p petJSON) appendJSON(b []byte) []byte {
	b = append(b, `{"name":`...)
	b = appendJSONString(b, p.Name)
	b = append(b, `,"birthDate":`...)
	b = appendJSONStringPtr(b, p.BirthDate)
	b = append(b, `,"type":{"name":`...)
	b = appendJSONString(b, p.Type.Name)
	b = append(b, `,"id":`...)
	b = strconv.AppendInt(b, int64(p.Type.ID), 10)
	b = append(b, `},"id":`...)
	b = strconv.AppendInt(b, int64(p.ID), 10)
	b = append(b, `,"ownerId":`...)
	if p.OwnerID == nil {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendInt(b, int64(*p.OwnerID), 10)
	}
	b = append(b, `,"visits":`...)
	b = jsonList[visitJSON](p.Visits).appendJSON(b)
	return append(b, '}')
}

func (v visitJSON) appendJSON(b []byte) []byte {
	b = append(b, `{"date":`...)
	b = appendJSONStringPtr(b, v.Date)
	b = append(b, `,"description":`...)
	b = appendJSONString(b, v.Description)
	b = append(b, `,"id":`...)
	b = strconv.AppendInt(b, int64(v.ID), 10)
	b = append(b, `,"petId":`...)
	b = strconv.AppendInt(b, int64(v.PetID), 10)
	return append(b, '}')
}

func appendJSONStringPtr(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return appendJSONString(b, *s)
}

// appendJSONString appends s quoted. Strings that need no escape under
// json.Marshal's rules (printable ASCII other than " \ < > &, valid UTF-8
// other than U+2028 and U+2029) are copied; any other goes through
// json.Marshal itself, so escaping is never reimplemented.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
				return appendMarshalled(b, s)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || r == '\u2028' || r == '\u2029' {
			return appendMarshalled(b, s)
		}
		i += size
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

func appendMarshalled(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always marshals
	return append(b, q...)
}
