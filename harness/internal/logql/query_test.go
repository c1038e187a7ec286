package logql

import (
	"fmt"
	"testing"
	"time"
)

// A query's range aggregations, with their log queries as written (the
// SLOs count the lines of the log query of an unwrapped quantile).
func TestRanges(t *testing.T) {
	for q, want := range map[string][]Range{
		`quantile_over_time(0.99, {app="p"} | json | msg="request" | unwrap duration_ms [1m]) by ()`: {
			{Op: "quantile_over_time", Range: time.Minute, Unwrap: "duration_ms", Log: `{app="p"} | json | msg="request"`}},
		`count_over_time({a="b"}[5m] offset 1h |= "x" | json)`: {
			{Op: "count_over_time", Range: 5 * time.Minute, Offset: time.Hour, Log: `{a="b"} |= "x" | json`}},
		`sum(rate(({a="b"} |= "x")[2m])) / sum(rate({a="b"}[2m]))`: {
			{Op: "rate", Range: 2 * time.Minute, Log: `{a="b"} |= "x"`}, {Op: "rate", Range: 2 * time.Minute, Log: `{a="b"}`}},
		`max_over_time({a="b"}[5m] | unwrap bytes(size) | __error__="")`: {
			{Op: "max_over_time", Range: 5 * time.Minute, Unwrap: "size", Conv: "bytes", Log: `{a="b"}`}},
		`{a="b"} | json`: nil,
	} {
		got, err := Parse(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if fmt.Sprintf("%+v", got.Ranges) != fmt.Sprintf("%+v", want) {
			t.Errorf("%s\n got  %+v\n want %+v", q, got.Ranges, want)
		}
	}
}
