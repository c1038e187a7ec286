package cli_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
)

// recordedLoki answers as the real Loki 3.x recorded in ../loki/testdata
// did: query_instant.json to instant queries, query_range.json to range
// queries; with refuse set, every query gets Loki's 400 and plain-text
// reason (error_empty_compatible_matcher.txt). It keeps the queries.
func recordedLoki(t *testing.T, refuse bool) (*httptest.Server, *[]string) {
	read := func(f string) []byte {
		b, err := os.ReadFile(filepath.Join("..", "loki", "testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	instant, streams, refusal := read("query_instant.json"), read("query_range.json"), read("error_empty_compatible_matcher.txt")
	var queries []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		queries = append(queries, r.URL.Path+"?"+r.URL.RawQuery)
		switch {
		case refuse:
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusBadRequest)
			w.Write(refusal)
		case r.URL.Path == "/loki/api/v1/query":
			w.Write(instant)
		case r.URL.Path == "/loki/api/v1/query_range":
			w.Write(streams)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &queries
}

func TestSLOCommands(t *testing.T) {
	loki, _ := recordedLoki(t, false)
	refusing, _ := recordedLoki(t, true)
	noSandbox := filepath.Join(t.TempDir(), "no-sandbox")
	tests := map[string]struct {
		args     []string
		wantCode int
		wantOut  []string
		wantErr  []string
	}{
		"the repository's specs are valid and their generated files up to date": {
			args: []string{"slo", "check", "--root", "../../.."}, wantCode: exitcode.OK,
			wantOut: []string{"ok       7 SLOs in 7 files: 80 recording rules, 20 alerts, generated files up to date", "loki     petclinic-request-log-errors (Occurrences), petclinic-request-log-latency-p99 (Timeslices): no Prometheus rules"},
		},
		"a malformed spec is invalid input naming file, line, column and field": {
			args: []string{"slo", "check", "--root", "testdata/badslo"}, wantCode: exitcode.Invalid,
			wantErr: []string{
				"testdata/badslo/slo/ui-availability.yaml:32:17: spec.timeWindow[0].duration: unknown window \"30days\"",
				"testdata/badslo/slo/ui-availability.yaml:37:15: spec.objectives[0].target: 99.5: must be above 0 and below 1",
			},
		},
		"generated files missing is a failure that says what to run": {
			args: []string{"slo", "check", "--root", "testdata"}, wantCode: exitcode.Failed,
			wantErr: []string{"3 generated files are not up to date", "run gameday slo generate"},
		},
		"a report in an unknown format is invalid input": {
			args: []string{"slo", "report", "--format", "xml", "--prometheus-url", "http://127.0.0.1:1"}, wantCode: exitcode.Invalid,
			wantErr: []string{`--format "xml": use md, json or html`},
		},
		"a report of an unknown SLO names the known ones": {
			args: []string{"slo", "report", "--slo-dir", "../../../slo", "--slo", "nope", "--prometheus-url", "http://127.0.0.1:1"}, wantCode: exitcode.Invalid,
			wantErr: []string{`--slo "nope": no such SLO`, "api-availability"},
		},
		"a report without Prometheus is an infrastructure error": {
			args: []string{"slo", "report", "--slo-dir", "../../../slo", "--slo", "api-availability", "--prometheus-url", "http://127.0.0.1:1"}, wantCode: exitcode.Infra,
			wantOut: []string{"| petclinic-api-availability | 99.9% over 30d | no data | NO-DATA (prom:"},
			wantErr: []string{"slo report: petclinic-api-availability: prom:"},
		},
		"a LogQL SLO is reported from Loki alone: no Prometheus, no sandbox": {
			args:     []string{"slo", "report", "--slo-dir", "../../../slo", "--slo", "request-log-errors", "--sandbox-dir", noSandbox, "--loki-url", loki.URL},
			wantCode: exitcode.OK,
			wantOut:  []string{"Prometheus none, Loki " + loki.URL, "| petclinic-request-log-errors | 99.5% over 30d | -39900% | PAGE |", "| loki, "},
		},
		"a Loki refusing the query is an infrastructure error with Loki's reason": {
			args:     []string{"slo", "report", "--slo-dir", "../../../slo", "--slo", "request-log-errors", "--sandbox-dir", noSandbox, "--loki-url", refusing.URL},
			wantCode: exitcode.Infra,
			wantErr:  []string{"slo report: petclinic-request-log-errors: loki:", "400 Bad Request: parse error : queries require at least one regexp or equality matcher"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			out, errOut, code := gameday(t, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.wantCode, out, errOut)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
}

// The data span of a LogQL SLO comes from Loki: its oldest line in the
// window (one log query, oldest first, one line), and the report says it.
func TestSLOReportSaysTheLokiDataSpan(t *testing.T) {
	loki, queries := recordedLoki(t, false)
	out, errOut, code := gameday(t, "slo", "report", "--slo-dir", "../../../slo", "--slo", "request-log-errors", "--sandbox-dir", filepath.Join(t.TempDir(), "none"), "--loki-url", loki.URL, "--format", "json")
	if code != exitcode.OK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	span := ""
	for _, q := range *queries {
		if strings.HasPrefix(q, "/loki/api/v1/query_range?") {
			span = q
		}
	}
	// The recorded lines are from 2026-11-27; the span is their age, at
	// most the 30d window.
	if !strings.Contains(span, "direction=forward") || !strings.Contains(span, "limit=1") || !strings.Contains(span, "query=%7Bapp%3D%22petclinic%22%7D+%7C+json+%7C+msg%3D%22request%22") {
		t.Errorf("the span's query: %q, want the total's log query, oldest first, one line", span)
	}
	if !strings.Contains(out, `"dataSpanSeconds": `) || strings.Contains(out, `"dataSpanSeconds": 0,`) {
		t.Errorf("no data span in %s", out)
	}
}
