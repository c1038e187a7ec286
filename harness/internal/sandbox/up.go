package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Defaults, in one place.
const (
	DefaultReplicas       = 3
	DefaultScrapeInterval = time.Second
	DefaultRestartDelay   = 2 * time.Second
	DefaultReadyTimeout   = 90 * time.Second
	DefaultLogLevel       = "info"
	DefaultLogMaxBytes    = 50 << 20
	// StopGrace is how long Down waits for the supervisor (which drains its
	// replicas) before SIGKILL.
	StopGrace = 20 * time.Second
)

// DefaultZones are the sandbox's zones.
func DefaultZones() []string { return []string{"zone-a", "zone-b", "zone-c"} }

// defaults fills the zero fields of c; it does not pick ports.
func (c *Config) defaults() error {
	if c.Dir == "" {
		d, err := DefaultDir()
		if err != nil {
			return err
		}
		c.Dir = d
	}
	d, err := filepath.Abs(c.Dir)
	if err != nil {
		return fmt.Errorf("sandbox dir: %w", err)
	}
	c.Dir = d
	if c.Replicas == 0 {
		c.Replicas = DefaultReplicas
	}
	if c.Replicas < 1 || c.Replicas > 32 {
		return fmt.Errorf("replicas: %d not in [1, 32]", c.Replicas)
	}
	if len(c.Zones) == 0 {
		c.Zones = DefaultZones()
	}
	if err := c.costDefaults(); err != nil {
		return err
	}
	if c.PetclinicBin == "" {
		c.PetclinicBin = os.Getenv(EnvPetclinicBin)
	}
	if c.PetclinicBin == "" {
		c.PetclinicBin = "petclinic"
	}
	if c.PrometheusBin == "" {
		c.PrometheusBin = os.Getenv(EnvPrometheusBin)
	}
	if c.PrometheusBin == "" {
		c.PrometheusBin = "prometheus"
	}
	for _, b := range []*string{&c.PetclinicBin, &c.PrometheusBin} {
		p, err := exec.LookPath(*b)
		if err != nil {
			return fmt.Errorf("binary: %w", err)
		}
		if *b, err = filepath.Abs(p); err != nil {
			return err
		}
	}
	switch c.Redis {
	case "", "auto":
		c.Redis = "off"
		if _, err := exec.LookPath("redis-server"); err == nil {
			c.Redis = "on"
		}
	case "on", "off":
	default:
		return fmt.Errorf("redis: %q is not auto, on or off", c.Redis)
	}
	if c.MariaDB {
		for _, b := range []string{"mariadbd", "mariadb-install-db"} {
			if _, err := exec.LookPath(b); err != nil {
				return fmt.Errorf("mariadb: %w", err)
			}
		}
	}
	if c.RulesDir == "" {
		c.RulesDir = findRulesDir()
	}
	if c.ScrapeInterval <= 0 {
		c.ScrapeInterval = Duration(DefaultScrapeInterval)
	}
	if c.RestartDelay <= 0 {
		c.RestartDelay = Duration(DefaultRestartDelay)
	}
	if c.ReadyTimeout <= 0 {
		c.ReadyTimeout = Duration(DefaultReadyTimeout)
	}
	switch c.LogLevel {
	case "":
		c.LogLevel = DefaultLogLevel
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log level: %q is not debug, info, warn or error", c.LogLevel)
	}
	if c.LogMaxBytes <= 0 {
		c.LogMaxBytes = DefaultLogMaxBytes
	}
	if len(c.Supervisor) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("supervisor: %w", err)
		}
		c.Supervisor = []string{exe, "sandbox", "supervise", "--dir", c.Dir}
	}
	return nil
}

// findRulesDir looks for monitoring/prometheus/rules from the working
// directory up.
func findRulesDir() string {
	d, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		p := filepath.Join(d, "monitoring", "prometheus", "rules")
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			return p
		}
		if fi, err := os.Stat(filepath.Join(d, "monitoring")); err == nil && fi.IsDir() {
			return p // the repository root: rules may come later
		}
		up := filepath.Dir(d)
		if up == d {
			return ""
		}
		d = up
	}
}

// pickPorts reserves free loopback ports for every listener.
func (c *Config) pickPorts() error {
	n := 3 + c.Replicas*(1+1)
	if c.Redis == "on" {
		n += 1 + c.Replicas
	}
	if c.MariaDB {
		n += 1 + c.Replicas
	}
	ports, err := freePorts(n)
	if err != nil {
		return err
	}
	next := func() int { p := ports[0]; ports = ports[1:]; return p }
	c.Ports = Ports{Balancer: next(), Control: next(), Prometheus: next(), Links: map[string]int{}}
	if c.Redis == "on" {
		c.Ports.Redis = next()
	}
	if c.MariaDB {
		c.Ports.MariaDB = next()
	}
	for i := range c.Replicas {
		pod := podName(i)
		c.Ports.Replicas = append(c.Ports.Replicas, next())
		c.Ports.Links[linkName("balancer", pod)] = next()
		if c.Redis == "on" {
			c.Ports.Links[linkName(pod, "redis-0")] = next()
		}
		if c.MariaDB {
			c.Ports.Links[linkName(pod, "mariadb-0")] = next()
		}
	}
	return nil
}

func podName(i int) string { return fmt.Sprintf("petclinic-%d", i) }

func linkName(client, server string) string { return client + "--" + server }

// freePorts holds n listeners open at once so the ports differ, then frees
// them.
func freePorts(n int) ([]int, error) {
	ls := make([]net.Listener, 0, n)
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// Up starts the sandbox described by c and waits until every replica and
// Prometheus are ready. When a sandbox already runs in the directory it
// returns its status and starts nothing (Up is idempotent), or ErrRunning
// when it runs another number of replicas than c asks; a directory left
// by a dead sandbox is cleaned first.
func Up(ctx context.Context, c Config) (*State, error) {
	asked := c.Replicas
	if err := c.defaults(); err != nil {
		return nil, fmt.Errorf("sandbox up: %w", err)
	}
	if st, err := Status(ctx, c.Dir); err == nil && st.Running {
		if asked != 0 && st.Desired != 0 && asked != st.Desired {
			return nil, fmt.Errorf("sandbox up: %w: %s runs %d replicas, not %d: run down first", ErrRunning, c.Dir, st.Desired, asked)
		}
		if err := waitReady(ctx, c.Dir, c.ReadyTimeout.D()); err != nil {
			return nil, fmt.Errorf("sandbox up: %w", err)
		}
		return readStatus(c.Dir)
	}
	// Leftovers of a dead sandbox: stop them, start afresh.
	if err := Down(ctx, c.Dir); err != nil {
		return nil, fmt.Errorf("sandbox up: clean previous: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(c.Dir, LogsDir), 0o755); err != nil {
		return nil, fmt.Errorf("sandbox up: %w", err)
	}
	if err := c.pickPorts(); err != nil {
		return nil, fmt.Errorf("sandbox up: %w", err)
	}
	if err := writeJSON(filepath.Join(c.Dir, configFile), c); err != nil {
		return nil, fmt.Errorf("sandbox up: %w", err)
	}
	if err := startSupervisor(c); err != nil {
		Down(context.WithoutCancel(ctx), c.Dir)
		return nil, fmt.Errorf("sandbox up: %w", err)
	}
	if err := waitReady(ctx, c.Dir, c.ReadyTimeout.D()); err != nil {
		// Leave it running for inspection? No: Up either works or leaves
		// nothing behind, and the logs are quoted in the error.
		logs := tail(filepath.Join(c.Dir, LogsDir, "supervisor.log"), 2000)
		Down(context.WithoutCancel(ctx), c.Dir)
		return nil, fmt.Errorf("sandbox up: %w\nsupervisor log:\n%s", err, logs)
	}
	return readStatus(c.Dir)
}

func startSupervisor(c Config) error {
	logf, err := os.OpenFile(filepath.Join(c.Dir, LogsDir, "supervisor.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(c.Supervisor[0], c.Supervisor[1:]...)
	cmd.Dir = c.Dir
	cmd.Env = append(append(os.Environ(), c.SupervisorEnv...), EnvMarker+"="+c.Dir)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start supervisor: %w", err)
	}
	// The daemon outlives us; reap it if it dies while we still run.
	go cmd.Wait()
	return writeJSON(filepath.Join(c.Dir, "supervisor.json"), ProcOf(cmd.Process.Pid))
}

func waitReady(ctx context.Context, dir string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last *State
	for {
		st, err := Status(ctx, dir)
		if err == nil {
			last = st
			if st.Error != "" {
				return fmt.Errorf("supervisor: %s", st.Error)
			}
			if st.Ready() {
				return nil
			}
		}
		if err == nil && !st.Running {
			return errors.New("supervisor exited")
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not ready after %s: %s", timeout, describe(last))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func describe(st *State) string {
	if st == nil {
		return "no state written"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "prometheus ready=%t", st.Prometheus.Ready)
	for _, p := range st.Pods {
		fmt.Fprintf(&b, "; %s ready=%t restarts=%d", p.Name, p.Ready, p.Restarts)
	}
	return b.String()
}

// Status reads the sandbox's state; Running tells whether its supervisor
// still runs. It returns ErrNotRunning (wrapped) when there is no sandbox in
// dir.
func Status(ctx context.Context, dir string) (*State, error) {
	st, err := readStatus(dir)
	if err != nil {
		sup, serr := readProc(filepath.Join(dir, "supervisor.json"))
		if serr != nil {
			return nil, fmt.Errorf("sandbox status %s: %w", dir, ErrNotRunning)
		}
		// Started, no state written yet.
		return &State{Dir: dir, Supervisor: sup, Running: sup.Alive()}, nil
	}
	st.Running = st.Supervisor.Alive()
	if st.Prometheus.Ready && !st.Prometheus.Alive() {
		st.Prometheus.Ready = false
	}
	for i := range st.Pods {
		if !st.Running || !st.Pods[i].Alive() {
			st.Pods[i].Ready = false
		}
	}
	return st, nil
}

func readStatus(dir string) (*State, error) {
	var st State
	if err := readJSON(filepath.Join(dir, stateFile), &st); err != nil {
		return nil, err
	}
	return &st, nil
}

func readProc(path string) (Proc, error) {
	var p Proc
	err := readJSON(path, &p)
	return p, err
}

// Down stops the supervisor (which drains and stops its children), then
// every process still carrying the sandbox's marker, and removes dir. It is
// safe to call when nothing runs or dir does not exist.
func Down(ctx context.Context, dir string) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("sandbox down: %w", err)
	}
	if sup, err := readProc(filepath.Join(dir, "supervisor.json")); err == nil {
		if err := sup.Stop(ctx, StopGrace); err != nil {
			return fmt.Errorf("sandbox down: supervisor: %w", err)
		}
	}
	// Orphans: children of a supervisor that was SIGKILLed, stress-ng of a
	// crashed run: every process state.json records (Redis overwrites its
	// environment with its process title, so the marker alone misses it),
	// then every process carrying the marker. Two passes, as a process may
	// start while we kill.
	var errs []error
	for range 2 {
		var procs []Proc
		if st, err := readStatus(dir); err == nil {
			procs = append(procs, st.Prometheus.Proc)
			for _, p := range st.Pods {
				procs = append(procs, p.Proc)
			}
		}
		for _, p := range append(procs, Marked(dir)...) {
			if err := p.Stop(ctx, 5*time.Second); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("sandbox down: %w", errors.Join(errs...))
	}
	if err := os.RemoveAll(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("sandbox down: %w", err)
	}
	return nil
}

// writeJSON writes v to path atomically (temp file, fsync, rename).
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(path, append(b, '\n'))
}

// WriteFileAtomic writes b to path through a temporary file in the same
// directory and a rename, so a reader never sees a half file.
func WriteFileAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// ready reports whether GET url answers 200 within timeout.
func httpOK(ctx context.Context, c *http.Client, url string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
