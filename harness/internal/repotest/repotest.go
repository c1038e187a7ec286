// Package repotest finds the repository for tests that read its files
// (monitoring/, docs/, slo/ ...): the directory of the go.work above the
// package.
package repotest

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Root is the repository root: the directory of the workspace's go.work.
// It fails t outside a workspace (GOWORK=off).
func Root(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOWORK").Output()
	gw := strings.TrimSpace(string(out))
	if err != nil || gw == "" || gw == "off" {
		t.Fatalf("no go.work above the package: %v", err)
	}
	return filepath.Dir(gw)
}
