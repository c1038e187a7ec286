package cli_test

import (
	"strings"
	"testing"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
)

// TestValidateRefusesAKindTheSandboxCannotInject: a DNSChaos aimed at the
// sandbox is invalid input naming the file, the line and column of the
// fault's kind and what to do; the same kinds in experiments/ (target
// kubernetes) are valid.
func TestValidateRefusesAKindTheSandboxCannotInject(t *testing.T) {
	out, errOut, code := gameday(t, "validate", "testdata/dns-on-sandbox.yaml")
	want := "testdata/dns-on-sandbox.yaml:53:13: spec.faults[0].kind: DNSChaos is not supported by the sandbox engine; use --target kubernetes"
	if code != exitcode.Invalid || !strings.Contains(out, want) {
		t.Errorf("got exit %d\n%s%s\nwant exit 2 and %q", code, out, errOut, want)
	}
	out, errOut, code = gameday(t, "validate", "../../../experiments/dns-failure.yaml", "../../../experiments/clock-skew.yaml")
	if code != exitcode.OK {
		t.Errorf("got exit %d for the committed Kubernetes experiments\n%s%s", code, out, errOut)
	}
}
