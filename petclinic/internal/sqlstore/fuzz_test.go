package sqlstore

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzLikePrefix checks with SQLite itself that likePrefix's pattern
// matches exactly the names that start with the prefix, ignoring ASCII case.
func FuzzLikePrefix(f *testing.F) {
	for _, s := range [][2]string{{"Dav", "Davis"}, {"dav", "Davis"}, {"%", "Davis"}, {"_avis", "Davis"}, {"!", "!bang"}, {"a!%_", "A!%_b"}, {"O'", "O'Neil"}, {"", ""}} {
		f.Add(s[0], s[1])
	}
	db, err := Open(f.Context(), Config{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	like := stmt{"SELECT", "", `SELECT ? LIKE ? ESCAPE '!'`}
	f.Fuzz(func(t *testing.T, prefix, name string) {
		if !utf8.ValidString(prefix) || !utf8.ValidString(name) || strings.ContainsRune(prefix+name, 0) {
			t.Skip()
		}
		var got bool
		if err := db.run().get(t.Context(), like, []any{name, likePrefix(prefix)}, &got); err != nil {
			t.Fatal(err)
		}
		want := len(name) >= len(prefix) && asciiFold(name[:len(prefix)]) == asciiFold(prefix)
		if got != want {
			t.Errorf("%q LIKE likePrefix(%q) = %v, want %v", name, prefix, got, want)
		}
	})
}

func asciiFold(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// FuzzDateColumn checks that any text a DATE column could hold either
// fails to scan or becomes a UTC midnight that formats back to its first
// ten characters.
func FuzzDateColumn(f *testing.F) {
	for _, s := range []string{"2000-09-07", "2020-02-29", "2021-02-29", "2010-03-04 00:00:00", "2010-03-04T00:00:00Z", "", "0000-00-00", "9999-12-31"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var got time.Time
		for _, v := range []any{s, []byte(s)} {
			if err := (dateCol{&got}).Scan(v); err != nil {
				return
			}
			if got.Location() != time.UTC || got.Hour()+got.Minute()+got.Second()+got.Nanosecond() != 0 {
				t.Fatalf("scan %q: got %v, want a UTC midnight", s, got)
			}
			if back := got.Format("2006-01-02"); back != s[:10] {
				t.Fatalf("scan %q: got %s", s, back)
			}
		}
	})
}
