package spec

import (
	"regexp"
	"strconv"
	"strings"
)

// fieldPath is the path of a field in a document: keys (string) and
// sequence indexes (int), rendered as spec.faults[0].spec.mode.
type fieldPath []any

func (p fieldPath) key(k string) fieldPath { return append(p[:len(p):len(p)], k) }
func (p fieldPath) index(i int) fieldPath  { return append(p[:len(p):len(p)], i) }

var plainKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

func (p fieldPath) String() string {
	var b strings.Builder
	for _, s := range p {
		switch s := s.(type) {
		case int:
			b.WriteString("[" + strconv.Itoa(s) + "]")
		case string:
			if !plainKey.MatchString(s) {
				b.WriteString("[" + strconv.Quote(s) + "]")
				continue
			}
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s)
		}
	}
	return b.String()
}
