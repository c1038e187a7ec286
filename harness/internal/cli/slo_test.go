package cli_test

import (
	"strings"
	"testing"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
)

func TestSLOCommands(t *testing.T) {
	tests := map[string]struct {
		args     []string
		wantCode int
		wantOut  []string
		wantErr  []string
	}{
		"the repository's specs are valid and their generated files up to date": {
			args: []string{"slo", "check", "--root", "../../.."}, wantCode: exitcode.OK,
			wantOut: []string{"ok       6 SLOs in 6 files: 80 recording rules, 20 alerts, generated files up to date"},
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
