package logql

import (
	"errors"
	"strings"
	"testing"
)

// The parser neither panics nor loops, places every error inside the query
// as an *Error, answers the same twice, ignores surrounding white space,
// and a log query it accepts stays accepted counted over a range (as
// gameday counts the lines of an SLO's log queries). Seeds: the acceptance
// table and testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	for _, c := range readAcceptance(f) {
		f.Add(c.query)
	}
	f.Fuzz(func(t *testing.T, q string) {
		got, err := Parse(q)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Pos < 0 || e.Pos > len(q) || e.Line < 1 || e.Col < 1 {
				t.Fatalf("Parse(%q): %v: not an *Error inside the query", q, err)
			}
			if _, again := Parse(q); again == nil || again.Error() != err.Error() {
				t.Fatalf("Parse(%q) twice: %v, then %v", q, err, again)
			}
			return
		}
		if _, err := Parse(" \n" + q + "\n "); err != nil {
			t.Fatalf("%q is valid but not within white space: %v", q, err)
		}
		if got.Metric || strings.ContainsAny(q, "#/") || strings.HasPrefix(strings.TrimSpace(q), "(") {
			return
		}
		w := "sum(count_over_time(" + q + " [5m]))"
		if m, err := Parse(w); err != nil || !m.Metric || len(m.Ranges) != 1 || m.Ranges[0].Range.Minutes() != 5 {
			t.Fatalf("%q is a valid log query but %q is not a count of its lines: %v", q, w, err)
		}
	})
}
