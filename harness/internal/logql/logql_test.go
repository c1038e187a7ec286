package logql

import (
	"errors"
	"strings"
	"testing"
)

var logqlTests = map[string]struct {
	query  string
	metric bool
	want   string // "" when valid, else the error
}{
	"a log query":                        {query: `{app="petclinic"} |= "ERROR"`},
	"every matcher":                      {query: `{app="petclinic", zone!="a", pod=~"petclinic-.+", ns!~"kube-.*",}`},
	"every line filter":                  {query: `{app="p"} |= "a" != "b" |~ "c+" !~ "d|e"`},
	"a backquoted value":                 {query: "{app=`petclinic`} |~ `\\d+`"},
	"json and label filters":             {query: `{app="petclinic"} | json | msg="request" | level="ERROR"`},
	"logfmt, numbers, durations, and/or": {query: `{app="p"} | logfmt | status >= 500 and duration > 250ms or (path=~"/api/.*", method!="GET")`},
	"regexp, pattern, line_format":       {query: "{app=\"p\"} | regexp `(?P<ip>\\S+)` | pattern `<ip> - <_>` | line_format \"{{.ip}}\""},
	"a metric query":                     {query: `sum(count_over_time({app="petclinic", zone=~"zone-.*"} | json | level="ERROR" [1m]))`, metric: true},
	"by before and after":                {query: `sum by (zone) (rate({app="p"} [5m])) / sum(bytes_over_time({app="p"}[1h])) without (pod)`, metric: true},
	"or vector(0)":                       {query: `sum(count_over_time({app="petclinic"} | json | level="ERROR" [1m])) or vector(0)`, metric: true},
	"the SLO error ratio":                {query: `((sum(count_over_time({app="p"} | json | level="ERROR" [5m]))) or 0 * (sum(count_over_time({app="p"} [5m])))) / (sum(count_over_time({app="p"} [5m])))`, metric: true},
	"topk, bool, offset":                 {query: `topk(3, sum by (pod) (count_over_time({app="p"}[5m] offset 1h))) > bool 10`, metric: true},

	"empty":                    {query: "  ", want: "at offset 2: empty query"},
	"no selector":              {query: `sum(rate(app="x" [1m]))`, want: `at offset 9: rate takes a log query {...} [range], got "app=\"x\" [1m]…"`},
	"an empty selector":        {query: `{} |= "x"`, want: `at offset 0: empty stream selector {}: name at least one label, e.g. {app="petclinic"}`},
	"an unclosed brace":        {query: `{app="petclinic"`, want: `at offset 16: want "," or "}" in the stream selector, got end of query`},
	"a stray parenthesis":      {query: `{app="petclinic"})`, want: `at offset 17: unexpected ")"`},
	"an unterminated string":   {query: `{app="petclinic}`, want: "at offset 5: unterminated string"},
	"an unquoted value":        {query: `{app=petclinic}`, want: `at offset 5: want a quoted string as the value of app, got "petclinic}"`},
	"a bad label name":         {query: `{1app="x"}`, want: `at offset 1: want a label name in the stream selector, got "1app=\"x\"}"`},
	"a PromQL matcher op":      {query: `{app=="x"}`, want: `at offset 5: want a quoted string as the value of app, got "=\"x\"}"`},
	"a bad regex":              {query: `{app=~"(x"}`, want: "at offset 6: invalid regular expression \"(x\": error parsing regexp: missing closing ): `(x`"},
	"a bad line-filter regex":  {query: `{app="x"} |~ "[a"`, want: "at offset 13: invalid regular expression \"[a\": error parsing regexp: missing closing ]: `[a`"},
	"a range without range":    {query: `count_over_time({app="x"})`, want: `at offset 25: count_over_time needs a range after its log query, e.g. [5m]; got ")"`},
	"a bad duration":           {query: `rate({app="x"} [5 minutes])`, want: `at offset 16: "5 minutes" is not a duration for the range of rate (e.g. 5m, 1h, 30d)`},
	"a log query in sum":       {query: `sum({app="x"})`, want: `at offset 4: sum takes a metric query, not a log query: count its lines, e.g. sum(count_over_time({...} [5m]))`},
	"an unknown function":      {query: `quantile_over_time(0.9, {app="x"} | unwrap d [5m])`, want: `at offset 0: unknown function "quantile_over_time" (gameday checks a subset of LogQL: avg, bottomk, count, max, min, stddev, stdvar, sum, topk, vector and the range aggregations absent_over_time, bytes_over_time, bytes_rate, count_over_time, rate)`},
	"an unsupported stage":     {query: `{app="x"} | unpack`, want: `at offset 12: | unpack is LogQL gameday does not check (its own parser of a subset: json, logfmt, regexp, pattern, line_format, label filters)`},
	"a label filter w/o value": {query: `{app="x"} | json | level=`, want: `at offset 25: want a quoted string, a number or a duration as the value of level, got ""`},
	"a binary op on logs":      {query: `{app="x"} or vector(0)`, want: `at offset 10: "or" after a log query: binary operators take metric queries (e.g. sum(count_over_time({app="x"} [5m])))`},
	"trailing garbage":         {query: `sum(rate({app="x"}[1m])) foo`, want: `at offset 25: unexpected "foo"`},
}

func TestParse(t *testing.T) {
	for name, tt := range logqlTests {
		t.Run(name, func(t *testing.T) {
			l, err := Parse(tt.query)
			got := ""
			if err != nil {
				got = err.Error()
				var le *Error
				if !errors.As(err, &le) || le.Pos < 0 || le.Pos > len(tt.query) {
					t.Errorf("%v: not a *Error within the query", err)
				}
			}
			if got != tt.want {
				t.Errorf("Parse(%q)\n got  %s\n want %s", tt.query, got, tt.want)
			}
			if err == nil && l.Metric != tt.metric {
				t.Errorf("Parse(%q).Metric = %t, want %t", tt.query, l.Metric, tt.metric)
			}
		})
	}
}

// The parser does not panic or loop, places its errors inside the query,
// and a valid log query stays valid counted over a range.
func FuzzParse(f *testing.F) {
	for _, tt := range logqlTests {
		f.Add(tt.query)
	}
	f.Fuzz(func(t *testing.T, q string) {
		l, err := Parse(q)
		if err != nil {
			var le *Error
			if !errors.As(err, &le) || le.Pos < 0 || le.Pos > len(q) {
				t.Fatalf("Parse(%q): %v: not a *Error within the query", q, err)
			}
			return
		}
		if !l.Metric && !strings.Contains(q, "[") {
			w := "sum(count_over_time(" + q + " [5m]))"
			if m, err := Parse(w); err != nil || !m.Metric {
				t.Fatalf("%q is a valid log query but %q is not: %v", q, w, err)
			}
		}
	})
}
