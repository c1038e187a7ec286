package api

import (
	"net/http"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// The Java server answers GET of a single entity with an ETag computed as
// "\"" + Objects.hash(fields...) + "\"" and a 304 when If-None-Match equals
// it exactly. These functions reproduce Java's hashCode arithmetic so that
// tags match the Java server's byte for byte; like there, the tag covers
// only the entity's own fields (an owner's tag ignores its pets).

// javaHash is java.util.Objects.hash over already hashed values.
func javaHash(hashes ...int32) int32 {
	h := int32(1)
	for _, x := range hashes {
		h = 31*h + x
	}
	return h
}

// stringHash is String.hashCode over UTF-16 code units.
func stringHash(s string) int32 {
	var h int32
	for _, r := range s { // invalid UTF-8 is U+FFFD, as []rune(s) makes it
		if r1, r2 := utf16.EncodeRune(r); r1 != utf8.RuneError {
			h = 31*(31*h+r1) + r2 // a surrogate pair: two UTF-16 units
			continue
		}
		h = 31*h + r
	}
	return h
}

// dateHash is LocalDate.hashCode; a zero time is Java's null (0).
func dateHash(t time.Time) int32 {
	if t.IsZero() {
		return 0
	}
	y, m, d := javaInt(t.Year()), javaInt(int(t.Month())), javaInt(t.Day())
	return (y & -2048) ^ ((y << 11) + (m << 6) + d)
}

// javaInt is Java's (int) of a value: ids are INT columns and dates fit, and
// where they would not, Java wraps to 32 bits too, which is what the ETag
// must reproduce.
func javaInt(n int) int32 {
	return int32(n) // #nosec G115 -- wrapping at 32 bits is Java's int semantics, reproduced on purpose
}

func etagOf(h int32) string { return `"` + strconv.Itoa(int(h)) + `"` }

// notModified sets the ETag and, when the client already holds that version,
// answers 304 and reports true.
func notModified(w http.ResponseWriter, r *http.Request, tag string) bool {
	w.Header().Set("ETag", tag)
	if r.Header.Get("If-None-Match") == tag {
		w.WriteHeader(http.StatusNotModified)
		return true
	}
	return false
}
