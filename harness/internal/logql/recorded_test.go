package logql

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Our checker agrees with a real Loki 3.x on every query recorded from it
// (../loki/testdata, copied from the shared contracts): it accepts those
// Loki answered, and refuses those Loki refused with Loki's reason, and
// with Loki's place where Loki gave one.
func TestRecordedLokiAgrees(t *testing.T) {
	for _, q := range []string{
		`{app="petclinic"}`,
		`sum(count_over_time({app="petclinic"}[5m]))`,
		`quantile_over_time(0.99, {app="petclinic"} | json | unwrap duration_ms [3h]) by (route)`,
		`sum(count_over_time({app="petclinic"} |= "oups" or "nope" [3h]))`,
	} {
		if err := Check(q); err != nil {
			t.Errorf("a real Loki answered %q; we refuse it: %v", q, err)
		}
	}
	for q, file := range map[string]string{
		`sum(count_over_time({app="petclinic",}[3h]))`: "error_trailing_comma.txt",
		`sum(count_over_time({app=~".*"}[3h]))`:        "error_empty_compatible_matcher.txt",
	} {
		b, err := os.ReadFile(filepath.Join("..", "loki", "testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		loki := strings.TrimSpace(string(b))
		err = Check(q)
		e, ok := err.(*Error)
		if !ok {
			t.Errorf("a real Loki refused %q (%s); we accept it", q, loki)
			continue
		}
		// "parse error at line L, col C: reason" when Loki places it, else
		// "parse error : reason".
		if reason, unplaced := strings.CutPrefix(loki, "parse error : "); unplaced {
			if e.Msg != reason {
				t.Errorf("%q: we say %q, Loki says %q", q, e.Msg, reason)
			}
		} else if err.Error() != loki {
			t.Errorf("%q: we say %q, Loki says %q", q, err, loki)
		}
	}
}
