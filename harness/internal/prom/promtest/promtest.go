// Package promtest starts a real Prometheus binary for tests: on
// 127.0.0.1, with a temporary configuration and storage, scraping the
// targets a test names, and stopped when the test ends.
//
// The binary is $GAMEDAY_PROMETHEUS_BIN, else `prometheus` on PATH (Debian's
// apt package `prometheus`, 2.42, is enough). Without one the test is
// skipped, unless $CI is set: then it fails, so CI never passes by skipping.
package promtest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// EnvBinary names the Prometheus binary to run.
const EnvBinary = "GAMEDAY_PROMETHEUS_BIN"

// A Config is what the test Prometheus scrapes.
type Config struct {
	// Targets are host:port addresses serving /metrics, scraped as job
	// "gameday-test".
	Targets []string
	// ScrapeInterval defaults to 1 s.
	ScrapeInterval time.Duration
	// Backfill is OpenMetrics text written into the storage by `promtool
	// tsdb create-blocks-from openmetrics` before Prometheus starts (past
	// series such as ALERTS); retention is then 10 years, so that the
	// blocks are kept whatever their age.
	Backfill string
}

// A Server is a running Prometheus.
type Server struct {
	URL  string // http://127.0.0.1:port
	Dir  string // configuration and storage
	cmd  *exec.Cmd
	logs *syncBuffer
}

// Binary returns the Prometheus binary to use, or "" when there is none.
func Binary() string {
	if b := os.Getenv(EnvBinary); b != "" {
		return b
	}
	b, err := exec.LookPath("prometheus")
	if err != nil {
		return ""
	}
	return b
}

// Start runs Prometheus until the test ends and waits (at most 15 s) until
// it is ready.
func Start(t testing.TB, c Config) *Server {
	t.Helper()
	bin := Binary()
	if bin == "" {
		msg := fmt.Sprintf("no prometheus binary: set %s or install one on PATH (apt-get install prometheus)", EnvBinary)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	if c.ScrapeInterval <= 0 {
		c.ScrapeInterval = time.Second
	}
	dir := t.TempDir()
	cfg := fmt.Sprintf("global:\n  scrape_interval: %s\n  evaluation_interval: %s\nscrape_configs:\n  - job_name: gameday-test\n    static_configs:\n      - targets: [%s]\n",
		c.ScrapeInterval, c.ScrapeInterval, quoteAll(c.Targets))
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	s := &Server{URL: "http://" + addr, Dir: dir, logs: &syncBuffer{}}
	args := []string{
		"--config.file=" + filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path=" + filepath.Join(dir, "data"),
		"--web.listen-address=" + addr,
		"--log.level=warn",
	}
	if c.Backfill != "" {
		backfill(t, bin, dir, c.Backfill)
		args = append(args, "--storage.tsdb.retention.time=10y")
	}
	s.cmd = exec.Command(bin, args...)
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	exited := make(chan struct{})
	go func() { s.cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		<-exited
	})

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for {
		if ready(ctx, s.URL) {
			return s
		}
		select {
		case <-exited:
			t.Fatalf("prometheus exited before it was ready:\n%s", s.logs)
		case <-ctx.Done():
			t.Fatalf("prometheus not ready after 15 s:\n%s", s.logs)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// backfill writes the OpenMetrics text om into dir/data with the promtool
// beside the Prometheus binary (or on PATH).
func backfill(t testing.TB, bin, dir, om string) {
	t.Helper()
	tool := filepath.Join(filepath.Dir(bin), "promtool")
	if _, err := os.Stat(tool); err != nil {
		if tool, err = exec.LookPath("promtool"); err != nil {
			t.Fatalf("backfill: no promtool beside %s or on PATH", bin)
		}
	}
	in := filepath.Join(dir, "backfill.om")
	if err := os.WriteFile(in, []byte(om), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, "tsdb", "create-blocks-from", "openmetrics", in, filepath.Join(dir, "data")).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool tsdb create-blocks-from openmetrics: %v\n%s", err, out)
	}
}

// Stop kills Prometheus now, to test what happens when it goes away.
func (s *Server) Stop() { s.cmd.Process.Kill() }

// WaitFor polls the instant query q until it returns a sample or timeout
// passes, so a test starts once the first scrapes are in.
func (s *Server) WaitFor(t testing.TB, q string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		resp, err := http.Get(s.URL + "/api/v1/query?query=" + url.QueryEscape(q))
		if err == nil {
			var b bytes.Buffer
			b.ReadFrom(resp.Body)
			resp.Body.Close()
			if strings.Contains(b.String(), `"value":[`) {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("no sample for %s after %s:\n%s", q, timeout, s.logs)
}

func ready(ctx context.Context, base string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/-/ready", nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// freeAddr reserves a loopback port and releases it for Prometheus.
func freeAddr(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = `"` + s + `"`
	}
	return strings.Join(q, ", ")
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
