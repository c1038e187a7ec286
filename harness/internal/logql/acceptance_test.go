package logql

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// The acceptance table: testdata/acceptance.txt lists queries Loki accepts
// and queries it refuses, with the reason and the place, each under the
// source it comes from (Loki's grammar syntax.y, its lexer lex.go, the
// checks of parser.go, ast.go and pkg/logql/log, Loki's documentation, or
// an answer of a real Loki 3.x recorded in contracts/loki). Format:
//
//	source: where the cases below come from
//	accept: QUERY              a log query Loki accepts
//	accept metric: QUERY       a metric query Loki accepts
//	refuse: QUERY              Loki refuses it ...
//	  => LINE:COL MESSAGE      ... with this reason, the offending token there
//	refuse prefix: QUERY       ... with a reason starting with MESSAGE
//	unsupported: QUERY         Loki accepts it; gameday refuses it, naming it
//	  => LINE:COL MESSAGE
//
// A QUERY written go:"..." is a Go string literal (for newlines and odd
// bytes).
type acceptanceCase struct {
	source, query, verdict string
	metric, prefix         bool
	line, col              int
	msg                    string
	at                     int // line of the file
}

func readAcceptance(t testing.TB) []acceptanceCase {
	t.Helper()
	f, err := os.Open("testdata/acceptance.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []acceptanceCase
	source := ""
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if rest, ok := strings.CutPrefix(trimmed, "=> "); ok {
			if len(out) == 0 || out[len(out)-1].verdict == "accept" {
				t.Fatalf("acceptance.txt:%d: a reason without a refused query", n)
			}
			c := &out[len(out)-1]
			place, msg, _ := strings.Cut(rest, " ")
			l, col, ok := strings.Cut(place, ":")
			var err1, err2 error
			c.line, err1 = strconv.Atoi(l)
			c.col, err2 = strconv.Atoi(col)
			if !ok || err1 != nil || err2 != nil {
				t.Fatalf("acceptance.txt:%d: want => LINE:COL MESSAGE", n)
			}
			c.msg = msg
			continue
		}
		key, q, ok := strings.Cut(trimmed, ": ")
		if !ok {
			t.Fatalf("acceptance.txt:%d: not a case: %q", n, line)
		}
		if key == "source" {
			source = q
			continue
		}
		if s, ok := strings.CutPrefix(q, "go:"); ok {
			if q, err = strconv.Unquote(s); err != nil {
				t.Fatalf("acceptance.txt:%d: %v", n, err)
			}
		}
		c := acceptanceCase{source: source, query: q, at: n}
		switch key {
		case "accept":
			c.verdict = "accept"
		case "accept metric":
			c.verdict, c.metric = "accept", true
		case "refuse":
			c.verdict = "refuse"
		case "refuse prefix":
			c.verdict, c.prefix = "refuse", true
		case "unsupported":
			c.verdict = "unsupported"
		default:
			t.Fatalf("acceptance.txt:%d: unknown key %q", n, key)
		}
		if source == "" {
			t.Fatalf("acceptance.txt:%d: a case without a source", n)
		}
		out = append(out, c)
	}
	for _, c := range out {
		if c.verdict != "accept" && c.msg == "" {
			t.Fatalf("acceptance.txt:%d: a refused query without its reason (=> LINE:COL MESSAGE)", c.at)
		}
	}
	return out
}

// Both directions of the table: what Loki accepts is accepted, of the
// kind it is (log or metric); what Loki refuses is refused at the
// offending token with Loki's reason.
func TestAcceptance(t *testing.T) {
	cases := readAcceptance(t)
	counts := map[string]int{}
	for _, c := range cases {
		counts[c.verdict]++
		t.Run(fmt.Sprintf("%d %s", c.at, c.source), func(t *testing.T) {
			q, err := Parse(c.query)
			if c.verdict == "accept" {
				if err != nil {
					t.Fatalf("Loki accepts %q (%s); got %v", c.query, c.source, err)
				}
				if q.Metric != c.metric {
					t.Errorf("%q: metric %t, want %t", c.query, q.Metric, c.metric)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Loki refuses %q (%s): %s; got %v", c.query, c.source, c.msg, err)
			}
			msgOK := e.Msg == c.msg || (c.prefix && strings.HasPrefix(e.Msg, c.msg))
			if !msgOK || e.Line != c.line || e.Col != c.col {
				t.Errorf("%q (%s)\n got  %d:%d %s\n want %d:%d %s", c.query, c.source, e.Line, e.Col, e.Msg, c.line, c.col, c.msg)
			}
			if e.Pos < 0 || e.Pos > len(c.query) {
				t.Errorf("offset %d outside the query", e.Pos)
			}
		})
	}
	if counts["accept"] < 50 || counts["refuse"] < 50 {
		t.Errorf("the table has %d accepted and %d refused queries: keep both directions covered", counts["accept"], counts["refuse"])
	}
	t.Logf("%d accepted, %d refused, %d Loki-valid but not checked by gameday", counts["accept"], counts["refuse"], counts["unsupported"])
}
