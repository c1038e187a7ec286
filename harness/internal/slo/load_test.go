package slo_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/slo"
)

func TestLoadTheRepositorysSLOs(t *testing.T) {
	set, err := slo.Load("../../../slo")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range set.SLOs {
		got = append(got, s.ID()+" "+s.Source+" "+slo.Pct(s.Objective)+" "+s.Window.Text)
	}
	want := []string{
		"petclinic-api-availability Prometheus 99.9% 30d",
		"petclinic-api-latency-p95 Prometheus 95% 30d",
		"petclinic-api-latency-p99 Prometheus 99% 30d",
		"petclinic-request-log-errors Loki 99.5% 30d",
		"petclinic-request-log-latency-p99 Loki 99% 30d",
		"petclinic-ui-availability Prometheus 99.5% 30d",
		"petclinic-write-success Prometheus 99.5% 30d",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got SLOs\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// Every malformed spec is invalid input (exit 2) naming file, line,
// column and field.
func TestLoadRejectsMalformedSpecs(t *testing.T) {
	tests := map[string]string{
		"bad-logql.yaml":           "testdata/bad/bad-logql.yaml:17:57: spec.indicator.spec.ratioMetric.bad.metricSource.spec.query: invalid LogQL: error parsing regexp: missing closing ): `ERROR(`",
		"bad-promql.yaml":          `testdata/bad/bad-promql.yaml:17:101: spec.indicator.spec.ratioMetric.bad.metricSource.spec.query: invalid PromQL: unclosed left parenthesis`,
		"calendar-window.yaml":     `testdata/bad/calendar-window.yaml:24:17: spec.timeWindow[0].duration: unknown window "1M": months, quarters and years are calendar units; write the rolling window in days, e.g. 30d`,
		"objective-above-one.yaml": `testdata/bad/objective-above-one.yaml:28:15: spec.objectives[0].target: 1.5: must be above 0 and below 1 (e.g. 0.999 for 99.9%)`,
		"objective-zero.yaml":      `testdata/bad/objective-zero.yaml:28:15: spec.objectives[0].target: 0: must be above 0 and below 1 (e.g. 0.999 for 99.9%)`,
		"objective-too-low.yaml":   `testdata/bad/objective-too-low.yaml:28:7: spec.objectives[0]: 0.9 is too low for the 14.4× page alert (it would need an error ratio of 144%): use an objective above 0.9306`,
		"range-in-query.yaml":      `testdata/bad/range-in-query.yaml:22:31: spec.indicator.spec.ratioMetric.total.metricSource.spec.query: write the counter itself, e.g. sum(x_total{...}): gameday applies rate() over each window (5m ... 30d); no range [...] here`,
		"source-type.yaml": `testdata/bad/source-type.yaml:15:19: spec.indicator.spec.ratioMetric.bad.metricSource.type: must be Prometheus or Loki, not "Datadog"` + "\n" +
			`testdata/bad/source-type.yaml:20:19: spec.indicator.spec.ratioMetric.total.metricSource.type: must be Prometheus or Loki, not "Datadog"`,
		"timeslices.yaml":           `testdata/bad/timeslices.yaml:26:20: spec.budgetingMethod: Timeslices goes with a thresholdMetric (one value per slice, e.g. a quantile of unwrapped durations from Loki); a ratioMetric is budgeted by Occurrences`,
		"threshold-prometheus.yaml": `testdata/bad/threshold-prometheus.yaml:13:17: spec.indicator.spec.thresholdMetric.metricSource.type: threshold metrics over Prometheus are not supported: write a ratioMetric of histogram buckets (good: the requests within the bound, total: all requests)`,
		"threshold-slice.yaml": `testdata/bad/threshold-slice.yaml:21:11: spec.objectives[0].op: must be one of lte, lt, gte, gt, not "below"` + "\n" +
			`testdata/bad/threshold-slice.yaml:24:24: spec.objectives[0].timeSliceTarget: 0.9: each slice has one value (the query over the slice) and is good when it meets op value; leave timeSliceTarget out, or set 1` + "\n" +
			`testdata/bad/threshold-slice.yaml:25:24: spec.objectives[0].timeSliceWindow: 1m: the indicator's query ranges over [5m]; evaluated once per slice, it must range over the slice: write [1m]`,
		"threshold-occurrences.yaml": `testdata/bad/threshold-occurrences.yaml:19:20: spec.budgetingMethod: a thresholdMetric is budgeted by Timeslices: the share of time slices whose value meets the objective`,
		"threshold-two-ranges.yaml":  `testdata/bad/threshold-two-ranges.yaml:15:20: spec.indicator.spec.thresholdMetric.metricSource.spec.query: want one range aggregation (the value of a slice, over the slice), got 2`,
		"unknown-field.yaml":         `testdata/bad/unknown-field.yaml:13:9: spec.indicator.spec.ratioMetric.extra: unknown field "extra"`,
		"unknown-service.yaml":       `testdata/bad/unknown-service.yaml:6:12: spec.service: unknown service "vets": define it (kind: Service) in a file of the same directory; known: petclinic`,
		"unknown-window.yaml":        `testdata/bad/unknown-window.yaml:24:17: spec.timeWindow[0].duration: unknown window "30x": want a number and a unit m, h, d or w, e.g. 30d or 4w`,
		"version.yaml":               `testdata/bad/version.yaml:1:13: apiVersion: must be "openslo/v1", not "openslo/v1alpha"`,
	}
	for file, want := range tests {
		t.Run(file, func(t *testing.T) {
			_, err := slo.Load("testdata/service.yaml", filepath.Join("testdata/bad", file))
			if code := exitcode.Of(err); code != exitcode.Invalid {
				t.Fatalf("exit %d (%v), want 2", code, err)
			}
			if got := err.Error(); got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
	entries, _ := os.ReadDir("testdata/bad")
	if len(entries) != len(tests) {
		t.Errorf("%d files in testdata/bad, %d tested", len(entries), len(tests))
	}
}
