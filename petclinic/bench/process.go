package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// server is a process under load, listening on 127.0.0.1.
type server struct {
	name    string
	cmd     *exec.Cmd
	baseURL string
	logPath string
	exited  chan struct{}
	waitErr error
}

// startServer starts bin with args and env plus PORT, bound to loopback only.
// stdout is discarded (PetClinic's JSON access log); stderr goes to a file in
// dir so that a failure can be explained.
func startServer(ctx context.Context, name, dir, bin string, args, env []string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, name+".stderr")
	logFile, err := os.Create(logPath) // #nosec G304 -- dir is our own temp directory
	if err != nil {
		return nil, err
	}
	defer logFile.Close()

	cmd := exec.CommandContext(ctx, bin, args...) // #nosec G204 -- the binaries under test are chosen by whoever runs the benchmark
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Env = append(cmd.Env, "PORT="+strconv.Itoa(port), "PETCLINIC_BIND_ADDRESS=127.0.0.1")
	cmd.Stderr = logFile
	// Children must not outlive the benchmark, whatever happens to it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	s := &server{
		name:    name,
		cmd:     cmd,
		baseURL: fmt.Sprintf("http://127.0.0.1:%d", port),
		logPath: logPath,
		exited:  make(chan struct{}),
	}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	return s, nil
}

// waitReady polls path until it answers 200, the process exits, or timeout
// passes. It returns when the first 200 arrived.
func (s *server) waitReady(ctx context.Context, path string, timeout time.Duration) (time.Time, error) {
	client := &http.Client{Timeout: 200 * time.Millisecond}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return time.Time{}, fmt.Errorf("%s exited before ready: %v; stderr: %s", s.name, s.waitErr, s.stderrTail())
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		default:
		}
		if code, err := get(ctx, client, s.baseURL+path); err == nil && code == http.StatusOK {
			return time.Now(), nil
		}
		time.Sleep(time.Millisecond)
	}
	return time.Time{}, fmt.Errorf("%s not ready on %s within %s; stderr: %s", s.name, path, timeout, s.stderrTail())
}

// stop sends SIGTERM and waits for the exit, SIGKILL after a grace period.
func (s *server) stop() {
	select {
	case <-s.exited:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// rssBytes reads the resident set size (VmRSS) and its peak (VmHWM).
func (s *server) rssBytes() (rss, peak int64, err error) {
	path := fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid)
	b, err := os.ReadFile(path) // #nosec G304 -- a /proc path built from our child's pid
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		f := strings.Fields(v)
		if len(f) != 2 || f[1] != "kB" {
			return 0, 0, fmt.Errorf("%s: unexpected %s line %q", path, k, line)
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("%s: %s: %w", path, k, err)
		}
		if k == "VmRSS" {
			rss = n * 1024
		} else {
			peak = n * 1024
		}
	}
	if rss == 0 {
		return 0, 0, fmt.Errorf("%s: no VmRSS line", path)
	}
	return rss, peak, nil
}

func (s *server) stderrTail() string {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return err.Error()
	}
	const max = 2000
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return strings.TrimSpace(string(b))
}

func get(ctx context.Context, client *http.Client, url string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

// freePort asks the kernel for a free loopback port. Another process could
// take it before our child binds it; the child then fails loudly.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	addr, ok := l.Addr().(*net.TCPAddr)
	if !ok {
		return 0, errors.New("listener has no TCP address")
	}
	return addr.Port, nil
}
