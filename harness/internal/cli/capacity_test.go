package cli_test

import (
	"strings"
	"testing"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
)

// TestCapacityBadInput: what gameday capacity refuses, before it looks for
// a sandbox or a cluster (exit 2), and the missing target (exit 3).
func TestCapacityBadInput(t *testing.T) {
	exp := "../../../experiments/capacity.yaml"
	for name, tc := range map[string]struct {
		args []string
		code int
		err  string
	}{
		"a suite is not a step": {[]string{"../../../experiments/suites/preprod-gate.yaml"}, exitcode.Invalid, "want one experiment, not a suite"},
		"an experiment with faults of its own": {[]string{"../../../experiments/pod-kill.yaml"}, exitcode.Invalid,
			"pod-kill.yaml has faults: the search adds the zone's own; remove them"},
		"a ramp is no step":         {[]string{"../../../experiments/cpu-stress.yaml"}, exitcode.Invalid, "load.profile must be constant"},
		"two peaks":                 {[]string{"--peak", "50", "--peak-prometheus-url", "http://127.0.0.1:9", exp}, exitcode.Invalid, "--peak and --peak-prometheus-url: give one"},
		"a negative peak":           {[]string{"--peak", "-1", exp}, exitcode.Invalid, "--peak -1: a rate of 0 or more"},
		"a resolution above 1":      {[]string{"--resolution", "2", exp}, exitcode.Invalid, "--resolution 2: want above 0 and at most 1"},
		"max-rate below from":       {[]string{"--from", "50", "--max-rate", "20", exp}, exitcode.Invalid, "want 0 < from <= max-rate"},
		"too many steps":            {[]string{"--max-steps", "99", exp}, exitcode.Invalid, "--max-steps 99: want 1 to 50"},
		"a warm-up eating the step": {[]string{"--warmup", "14s", exp}, exitcode.Invalid, "leaves nothing to measure after the warm-up"},
		"no sandbox running":        {[]string{"--sandbox-dir", "/nonexistent/gd-sandbox", exp}, exitcode.Infra, "start it with gameday sandbox up"},
	} {
		t.Run(name, func(t *testing.T) {
			_, errOut, code := gameday(t, append([]string{"capacity", "--reports-dir", t.TempDir()}, tc.args...)...)
			if code != tc.code || !strings.Contains(errOut, tc.err) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d saying %q", code, errOut, tc.code, tc.err)
			}
		})
	}
}
