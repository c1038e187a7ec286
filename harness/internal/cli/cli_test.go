package cli_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/gamedayhq/gameday/harness/internal/cli"
	"github.com/gamedayhq/gameday/harness/internal/exitcode"
)

// gameday runs the command line in process and returns stdout, stderr and
// the exit code main would use.
func gameday(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errw bytes.Buffer
	err := cli.Run(t.Context(), append([]string{"gameday"}, args...), strings.NewReader(""), &out, &errw)
	if err != nil {
		errw.WriteString("gameday: " + err.Error() + "\n")
	}
	return out.String(), errw.String(), exitcode.Of(err)
}

func TestValidate(t *testing.T) {
	t.Setenv("GAMEDAY_TEST_SLACK_URL", "https://hooks.slack.com/services/T/B/x")
	t.Setenv("SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T/B/y")
	tests := map[string]struct {
		args     []string
		wantCode int
		wantOut  []string
		wantErr  string
	}{
		"a valid experiment is ok": {
			args: []string{"validate", "testdata/good.yaml"}, wantCode: exitcode.OK,
			wantOut: []string{"ok       testdata/good.yaml (Experiment http-fault)"},
		},
		"every experiment shipped in experiments/ is valid": {
			args: []string{"validate", "../../../experiments"}, wantCode: exitcode.OK,
			wantOut: []string{"ok       ../../../experiments/pod-kill.yaml (Experiment pod-kill)", "(Suite preprod-gate)"},
		},
		"a bad experiment names file, line, field and problem": {
			args: []string{"validate", "testdata/bad.yaml"}, wantCode: exitcode.Invalid,
			wantOut: []string{
				"invalid  testdata/bad.yaml",
				`testdata/bad.yaml:12:16: spec.load.journeys[0].name: unknown journey "no-such-journey"`,
				"testdata/bad.yaml:18:66: spec.hypothesis.probes[0].promql.query: invalid PromQL: unclosed left parenthesis",
			},
			wantErr: "1 of 1 files invalid",
		},
		"good and bad files together report both and fail": {
			args: []string{"validate", "testdata/good.yaml", "testdata/bad.yaml"}, wantCode: exitcode.Invalid,
			wantOut: []string{"ok       testdata/good.yaml", "invalid  testdata/bad.yaml"},
			wantErr: "1 of 2 files invalid",
		},
		"a missing file is invalid input": {
			args: []string{"validate", "testdata/nope.yaml"}, wantCode: exitcode.Invalid,
			wantOut: []string{"testdata/nope.yaml"},
		},
		"notifications files: their secrets readable here, their fields": {
			args: []string{"validate", "testdata/notify/good.yaml", "testdata/notify/bad.yaml", "../../../.github/gameday/notifications.yaml"}, wantCode: exitcode.Invalid,
			wantOut: []string{
				"ok       testdata/notify/good.yaml (Notifications good)",
				"ok       ../../../.github/gameday/notifications.yaml (Notifications github-actions)",
				"invalid  testdata/notify/bad.yaml",
				`testdata/notify/bad.yaml:6:9: spec.when: "always": use every or change`,
				"testdata/notify/bad.yaml:10:14: spec.receivers[0].slack.url: secret: open /nonexistent/slack-webhook-url: no such file or directory",
			},
			wantErr: "1 of 3 files invalid",
		},
		"no path is invalid input that says what to do": {
			args: []string{"validate"}, wantCode: exitcode.Invalid, wantErr: "try gameday validate experiments/",
		},
		"an unknown output format is invalid input": {
			args: []string{"validate", "--output", "yaml", "testdata/good.yaml"}, wantCode: exitcode.Invalid, wantErr: "use text or json",
		},
		"an unknown flag is invalid input": {
			args: []string{"validate", "--frobnicate", "testdata/good.yaml"}, wantCode: exitcode.Invalid, wantErr: "see gameday validate --help",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			out, errOut, code := gameday(t, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, out, errOut)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("stdout does not contain %q:\n%s", w, out)
				}
			}
			if !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("stderr does not contain %q:\n%s", tt.wantErr, errOut)
			}
		})
	}
}

func TestValidateJSON(t *testing.T) {
	out, _, code := gameday(t, "validate", "--output", "json", "testdata/good.yaml", "testdata/bad.yaml")
	var got struct {
		OK    bool `json:"ok"`
		Files []struct {
			File   string   `json:"file"`
			OK     bool     `json:"ok"`
			Errors []string `json:"errors"`
		} `json:"files"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if code != exitcode.Invalid || got.OK || len(got.Files) != 2 || got.Files[0].OK || len(got.Files[0].Errors) != 2 || !got.Files[1].OK {
		t.Errorf("exit %d, %+v: want bad.yaml with 2 errors then good.yaml ok", code, got)
	}
}

func TestHelpHasExamples(t *testing.T) {
	tests := map[string][]string{
		"the root help":  {"--help"},
		"run":            {"run", "--help"},
		"gate":           {"gate", "--help"},
		"validate":       {"validate", "--help"},
		"sandbox":        {"sandbox", "--help"},
		"sandbox up":     {"sandbox", "up", "--help"},
		"sandbox down":   {"sandbox", "down", "--help"},
		"sandbox status": {"sandbox", "status", "--help"},
		"cleanup":        {"cleanup", "--help"},
		"version":        {"version", "--help"},
		"publish":        {"publish", "--help"},
		"notify":         {"notify", "--help"},
		"deploy":         {"deploy", "--help"},
		"deploy show":    {"deploy", "show", "--help"},
		"deploy promote": {"deploy", "promote", "--help"},
		"deploy wait":    {"deploy", "wait", "--help"},
	}
	for name, args := range tests {
		t.Run(name, func(t *testing.T) {
			out, _, code := gameday(t, args...)
			if code != exitcode.OK || !strings.Contains(out, "EXAMPLES:") || !strings.Contains(out, "gameday ") {
				t.Errorf("exit %d, help without examples:\n%s", code, out)
			}
		})
	}
	out, _, _ := gameday(t, "run", "--help")
	for _, want := range []string{"--reports-dir", "--run-id", "--prometheus-url", "--loki-url", "--no-color", "--sandbox-dir", "--output", "4  aborted",
		"--publish", "--publish-repo", "--git-credentials", "--notify", "--notify-label"} {
		if !strings.Contains(out, want) {
			t.Errorf("run --help does not mention %q", want)
		}
	}
}

func TestRunWithoutSandboxSaysWhatToDo(t *testing.T) {
	_, errOut, code := gameday(t, "run", "--sandbox-dir", t.TempDir(), "testdata/good.yaml")
	if code != exitcode.Infra || !strings.Contains(errOut, "gameday sandbox up") {
		t.Errorf("exit %d, stderr %q: want 3 and a hint to start the sandbox", code, errOut)
	}
}

func TestRunRejectsABadExperimentBeforeAnything(t *testing.T) {
	_, errOut, code := gameday(t, "run", "--sandbox-dir", t.TempDir(), "testdata/bad.yaml")
	if code != exitcode.Invalid || !strings.Contains(errOut, "gameday validate testdata/bad.yaml") {
		t.Errorf("exit %d, stderr %q: want 2 and a hint to validate", code, errOut)
	}
}

func TestSandboxStatusWithoutSandbox(t *testing.T) {
	_, errOut, code := gameday(t, "sandbox", "status", "--sandbox-dir", t.TempDir())
	if code != exitcode.Infra || !strings.Contains(errOut, "gameday sandbox up") {
		t.Errorf("exit %d, stderr %q: want 3 and a hint", code, errOut)
	}
}

func TestVersion(t *testing.T) {
	out, _, code := gameday(t, "version", "--output", "json")
	var v map[string]string
	if err := json.Unmarshal([]byte(out), &v); err != nil || code != 0 || v["version"] == "" || !strings.HasPrefix(v["go"], "go") {
		t.Errorf("exit %d, %q (%v)", code, out, err)
	}
}

func TestUnknownCommand(t *testing.T) {
	_, errOut, code := gameday(t, "frobnicate")
	if code == exitcode.OK {
		t.Errorf("exit 0 for an unknown command; stderr %q", errOut)
	}
}
