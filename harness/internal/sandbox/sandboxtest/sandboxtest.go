// Package sandboxtest runs a real sandbox in tests: the test binary itself
// is re-executed as the supervisor daemon, PetClinic is built once per test
// binary (or taken from $GAMEDAY_PETCLINIC_BIN), and Prometheus is the real
// binary. A missing binary skips the test, or fails it when $CI is set.
//
//	func TestMain(m *testing.M) { sandboxtest.Main(m) }
//
//	func TestX(t *testing.T) {
//		st := sandboxtest.Up(t, sandbox.Config{Replicas: 3})
//		...
//	}
package sandboxtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/sandbox"
	"github.com/gamedayhq/gameday/harness/internal/sandbox/chaos"
)

const envSupervise = "GAMEDAY_SANDBOXTEST_SUPERVISE"

var (
	petclinic string
	buildErr  error
)

// Main runs the tests, or the supervisor when the binary was re-executed
// as one.
func Main(m *testing.M) {
	if dir := os.Getenv(envSupervise); dir != "" {
		if err := sandbox.Supervise(context.Background(), dir, sandbox.WithDeadlines(chaos.New(dir, 1).Expire)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	tmp, err := os.MkdirTemp("", "sandboxtest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	petclinic, buildErr = build(tmp)
	code := m.Run()
	os.RemoveAll(tmp)
	os.Exit(code)
}

// build compiles ../petclinic/cmd/petclinic of the workspace, unless
// $GAMEDAY_PETCLINIC_BIN names a binary.
func build(tmp string) (string, error) {
	if b := os.Getenv(sandbox.EnvPetclinicBin); b != "" {
		return b, nil
	}
	root, err := exec.Command("go", "env", "GOWORK").Output()
	if err != nil || len(root) <= 1 {
		return "", fmt.Errorf("no go.work to find petclinic: set %s", sandbox.EnvPetclinicBin)
	}
	ws := filepath.Dir(string(root[:len(root)-1]))
	out := filepath.Join(tmp, "petclinic")
	cmd := exec.Command("go", "build", "-o", out, "./petclinic/cmd/petclinic")
	cmd.Dir = ws
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build petclinic: %w: %s", err, b)
	}
	return out, nil
}

// need skips (or, under CI, fails) t when bin is missing.
func need(t testing.TB, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	msg := fmt.Sprintf("%s: %v", what, err)
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// Need skips (or fails under CI) when bin is not on PATH.
func Need(t testing.TB, bin string) {
	t.Helper()
	_, err := exec.LookPath(bin)
	need(t, bin, err)
}

// Up starts a sandbox in a temporary directory and brings it down (Down)
// when the test ends. Zero fields of c get test defaults: a 0.5 s restart
// delay is not used; the sandbox's own defaults apply.
func Up(t testing.TB, c sandbox.Config) *sandbox.State {
	t.Helper()
	need(t, "petclinic", buildErr)
	prom := os.Getenv(sandbox.EnvPrometheusBin)
	if prom == "" {
		prom = "prometheus"
	}
	Need(t, prom)
	if c.Dir == "" {
		// Not t.TempDir: Down removes the directory itself, and the path
		// must stay short for MariaDB's socket.
		d, err := os.MkdirTemp("", "gd-sbx-")
		if err != nil {
			t.Fatal(err)
		}
		c.Dir = d
	}
	c.PetclinicBin = petclinic
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	c.Supervisor = []string{exe, "-test.run=^$"}
	c.SupervisorEnv = append(c.SupervisorEnv, envSupervise+"="+c.Dir)
	if c.RulesDir == "" {
		c.RulesDir = filepath.Join(c.Dir, "no-rules")
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
		defer cancel()
		if err := sandbox.Down(ctx, c.Dir); err != nil {
			t.Errorf("sandbox down: %v", err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	st, err := sandbox.Up(ctx, c)
	if err != nil {
		t.Fatalf("sandbox up: %v", err)
	}
	return st
}

// UpAgain calls Up on a running sandbox's directory (Up is idempotent).
func UpAgain(t testing.TB, dir string) *sandbox.State {
	t.Helper()
	exe, _ := os.Executable()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := sandbox.Up(ctx, sandbox.Config{Dir: dir, PetclinicBin: petclinic,
		Supervisor: []string{exe, "-test.run=^$"}, SupervisorEnv: []string{envSupervise + "=" + dir}})
	if err != nil {
		t.Fatalf("sandbox up again: %v", err)
	}
	return st
}
