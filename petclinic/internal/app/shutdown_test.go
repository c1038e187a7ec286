package app

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary act as the petclinic process itself, so the
// lifecycle tests signal a real, separate process without a go build.
func TestMain(m *testing.M) {
	if os.Getenv("PETCLINIC_TEST_CHILD") == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
		err := Run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr, func(addr string) {
			fmt.Fprintf(os.Stderr, "READY %s\n", addr)
		})
		stop()
		if err != nil {
			fmt.Fprintf(os.Stderr, "petclinic: %s\n", err)
			var cerr *ConfigError
			if errors.As(err, &cerr) {
				os.Exit(2)
			}
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// child is a petclinic process started from the test binary.
type child struct {
	cmd  *exec.Cmd
	addr string
	out  *lockedBuffer
	done chan error
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func startChild(t *testing.T, args ...string) *child {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	base := []string{"--port", "0", "--bind-address", "127.0.0.1", "--sqlite-path", filepath.Join(t.TempDir(), "petclinic.db")}
	cmd := exec.Command(exe, append(base, args...)...)
	cmd.Env = append(os.Environ(), "PETCLINIC_TEST_CHILD=1", "PORT=")
	c := &child{cmd: cmd, out: &lockedBuffer{}, done: make(chan error, 1)}
	cmd.Stdout = c.out
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-c.done
	})
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(c.out, line)
			if a, ok := strings.CutPrefix(line, "READY "); ok {
				addrc <- a
			}
		}
		c.done <- cmd.Wait()
	}()
	select {
	case c.addr = <-addrc:
	case err := <-c.done:
		c.done <- err
		t.Fatalf("petclinic exited before it was ready: %v\n%s", err, c.out)
	case <-time.After(20 * time.Second):
		t.Fatalf("petclinic not ready after 20s\n%s", c.out)
	}
	return c
}

func (c *child) wait(t *testing.T, limit time.Duration) error {
	t.Helper()
	select {
	case err := <-c.done:
		c.done <- err
		return err
	case <-time.After(limit):
		t.Fatalf("petclinic did not exit within %s\n%s", limit, c.out)
		return nil
	}
}

// TestGracefulShutdownUnderLoad sends SIGTERM while clients keep a steady load
// on the UI, the API and the actuator, and checks that every request sent
// succeeded. The clients behave like a Service or load balancer: they stop
// sending new requests once a readiness probe (every 50 ms, as a fast
// kubelet) has seen 503. Requests sent after SIGTERM but before that, and
// those in flight, must all succeed. (A client that kept opening connections
// after the drain delay would see its connections refused, or reset while in
// the kernel's accept queue when the listener closes: no server can accept
// those, which is what the drain delay is for.)
func TestGracefulShutdownUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real server process")
	}
	c := startChild(t, "--drain-delay", "1s", "--shutdown-timeout", "5s")
	base := "http://" + c.addr
	paths := []string{"/petclinic/api/owners/1", "/vets.html", "/owners/1", "/petclinic/api/pettypes"}

	var (
		ok, refused, failed atomic.Int64
		okAfterTerm         atomic.Int64
		terminated          atomic.Bool
		removed             atomic.Bool // the balancer saw readiness down
		sawNotReady         atomic.Bool
		firstFailure        atomic.Value
	)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if removed.Load() {
					time.Sleep(5 * time.Millisecond)
					continue
				}
				resp, err := client.Get(base + paths[(w+i)%len(paths)])
				switch {
				case err != nil && isRefused(err) && terminated.Load():
					refused.Add(1)
					time.Sleep(5 * time.Millisecond)
				case err != nil:
					failed.Add(1)
					firstFailure.CompareAndSwap(nil, err.Error())
				default:
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						failed.Add(1)
						firstFailure.CompareAndSwap(nil, fmt.Sprintf("%s: status %d", resp.Request.URL.Path, resp.StatusCode))
						continue
					}
					ok.Add(1)
					if terminated.Load() {
						okAfterTerm.Add(1)
					}
				}
			}
		}()
	}
	wg.Add(1)
	go func() { // a kubelet-like readiness probe
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			resp, err := client.Get(base + "/actuator/health/readiness")
			if err != nil {
				continue
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusServiceUnavailable && terminated.Load() {
				sawNotReady.Store(true)
				removed.Store(true)
			}
		}
	}()

	time.Sleep(1500 * time.Millisecond)
	terminated.Store(true)
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := c.wait(t, 15*time.Second)
	time.Sleep(200 * time.Millisecond) // let clients observe refused connections
	close(stop)
	wg.Wait()

	if err != nil {
		t.Errorf("petclinic exit = %v, want exit status 0\n%s", err, c.out)
	}
	t.Logf("requests: %d ok (%d after SIGTERM), %d refused after the listener closed, %d failed", ok.Load(), okAfterTerm.Load(), refused.Load(), failed.Load())
	if failed.Load() != 0 {
		t.Errorf("%d accepted requests failed during shutdown; first: %v", failed.Load(), firstFailure.Load())
	}
	if okAfterTerm.Load() == 0 {
		t.Errorf("no request succeeded after SIGTERM: the drain delay did not keep serving")
	}
	if !sawNotReady.Load() {
		t.Errorf("readiness never answered 503 after SIGTERM")
	}
	if !strings.Contains(c.out.String(), "petclinic stopped") {
		t.Errorf("no 'petclinic stopped' log line:\n%s", c.out)
	}
}

// isRefused reports a connection the server never accepted: refused, or
// reset while still in the kernel's accept queue when the listener closed.
// Either way the request was never sent.
func isRefused(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial" &&
		(errors.Is(op.Err, syscall.ECONNREFUSED) || errors.Is(op.Err, syscall.ECONNRESET))
}

func TestInvalidConfigExitsTwoWithOneLine(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "--db", "oracle")
	cmd.Env = append(os.Environ(), "PETCLINIC_TEST_CHILD=1")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Fatalf("exit = %v, want exit status 2; output:\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != `petclinic: --db [PETCLINIC_DB]: "oracle" is not sqlite or mysql` {
		t.Errorf("output = %q, want one line naming --db", got)
	}
}
