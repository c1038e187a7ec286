// Package alertmanagertest starts a real Alertmanager for tests: Debian's
// prometheus-alertmanager (the package scripts/tools.sh installs for
// amtool), on a free loopback port, with a configuration file of the test's
// choosing, until the test ends.
package alertmanagertest

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"testing"
	"time"
)

// Binary is Debian's Alertmanager.
const Binary = "prometheus-alertmanager"

// Start runs Alertmanager with the configuration file config and returns
// the base URL of its API (http://127.0.0.1:PORT/api/v2) once it answers.
// Without the binary it skips t, or fails it under $CI.
func Start(t testing.TB, config string) string {
	t.Helper()
	bin, err := exec.LookPath(Binary)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s: %v (scripts/tools.sh apt installs prometheus-alertmanager)", Binary, err)
		}
		t.Skipf("%s not installed: run scripts/tools.sh apt", Binary)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close() // free for Alertmanager
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var logs bytes.Buffer
	// #nosec G204 -- Debian's Alertmanager with a test's configuration file
	cmd := exec.Command(bin, "--config.file="+config, "--storage.path="+t.TempDir(),
		"--web.listen-address="+addr, "--cluster.listen-address=", "--log.level=warn")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	base := "http://" + addr + "/api/v2"
	for {
		if r, err := http.Get(base + "/status"); err == nil {
			_ = r.Body.Close()
			if r.StatusCode == http.StatusOK {
				return base
			}
		}
		if ctx.Err() != nil {
			t.Fatalf("alertmanager not ready: %s", logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
