package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
)

// A bad --levels file stops `gameday dora` before any source is read,
// with exit 2 and its errors at file:line:col and field.
func TestDoraRefusesBadLevelsAtTheirLine(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repo, "harness/internal/dora/levels/dora-2024.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "dora-2099.yaml")
	src := strings.Replace(strings.Replace(string(b), "year: 2024", "year: 0", 1), "atLeast: 1/7d", "atLeast: weekly", 1)
	if err := os.WriteFile(bad, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := gameday(t, "dora", "--levels", bad)
	if code != exitcode.Invalid {
		t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, exitcode.Invalid, out, errOut)
	}
	want := "gameday: " + bad + ":21:7: year: 0: the year of the report (DORA's first was 2014)\n" +
		bad + `:29:69: metrics.deploymentFrequency.high.atLeast: "weekly": want deployments per period, like 1/7d` + "\n"
	if errOut != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", errOut, want)
	}
}
