package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/rs/zerolog"
)

// Supervise is the sandbox's daemon (`gameday sandbox supervise --dir D`,
// started detached by Up): it runs every process of the sandbox, keeps the
// replicas alive, serves the balancer and the control API, enforces the
// faults' deadlines (WithDeadlines), and writes state.json until ctx ends
// or SIGTERM/SIGINT arrives; then it stops its children gracefully and
// returns.
func Supervise(ctx context.Context, dir string, opts ...SuperviseOption) error {
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	var c Config
	if err := readJSON(filepath.Join(dir, configFile), &c); err != nil {
		return fmt.Errorf("supervise: %w", err)
	}
	s := newSupervisor(c)
	for _, o := range opts {
		o(s)
	}
	err := s.run(ctx)
	if err != nil {
		s.fatal = err.Error()
		s.writeState()
		return fmt.Errorf("supervise: %w", err)
	}
	return nil
}

// A SuperviseOption configures the supervisor.
type SuperviseOption func(*supervisor)

// Expirer ends the faults whose deadline passed by now and reports what
// it did (chaos.Engine.Expire on the sandbox's directory).
type Expirer func(ctx context.Context, now time.Time) ([]string, error)

// DeadlineEvery is how often the supervisor enforces the faults' deadlines.
const DeadlineEvery = 250 * time.Millisecond

// WithDeadlines makes the supervisor call expire every DeadlineEvery once
// the sandbox is up: every fault ends by its deadline (written in its run
// file before it was injected), whether the harness that injected it is
// alive or not. Without it, faults end only when the harness recovers
// them, or by gameday cleanup.
func WithDeadlines(expire Expirer) SuperviseOption {
	return func(s *supervisor) { s.expire = expire }
}

type supervisor struct {
	c      Config
	expire Expirer
	reg    *prometheus.Registry
	tp     *toxiproxy.ApiServer
	lb     *balancer
	pods   []*podRunner
	links  []Link

	readyGauge *prometheus.GaugeVec
	restarts   *prometheus.CounterVec
	// costReg holds the OpenCost-named metrics (opencost.go).
	costReg *prometheus.Registry

	mu    sync.Mutex
	prom  Prometheus
	fatal string
	self  Proc
	dirty chan struct{}
}

func newSupervisor(c Config) *supervisor {
	s := &supervisor{c: c, reg: prometheus.NewRegistry(), dirty: make(chan struct{}, 1), self: ProcOf(os.Getpid())}
	s.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.readyGauge = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "gameday_sandbox_replicas_ready",
		Help: "PetClinic replicas whose readiness answers 200, by zone.",
	}, []string{"zone"})
	s.restarts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gameday_sandbox_restarts_total",
		Help: "Restarts of a sandbox pod's process by the supervisor.",
	}, []string{"pod", "zone"})
	s.reg.MustRegister(s.readyGauge, s.restarts)
	s.lb = newBalancer(s.reg, s.markDirty)
	s.tp = toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	return s
}

func (s *supervisor) markDirty() {
	select {
	case s.dirty <- struct{}{}:
	default:
	}
}

func loop(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }

func (s *supervisor) run(ctx context.Context) error {
	c := s.c
	logs := filepath.Join(c.Dir, LogsDir)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait() // every pod stopped before we return
	defer cancel()

	// The state writer.
	wg.Go(func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			s.writeState()
			select {
			case <-ctx.Done():
				return
			case <-s.dirty:
			case <-t.C:
			}
		}
	})

	// Dependencies first.
	var deps []*podRunner
	if c.Redis == "on" {
		rd := filepath.Join(c.Dir, "redis")
		if err := os.MkdirAll(rd, 0o755); err != nil {
			return err
		}
		deps = append(deps, s.newPod("redis-0", map[string]string{LabelApp: AppRedis, LabelPod: "redis-0", LabelZone: c.Zones[0]},
			[]string{"redis-server", "--port", strconv.Itoa(c.Ports.Redis), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", rd, "--protected-mode", "no"},
			loop(c.Ports.Redis), "", filepath.Join(logs, "redis-0.log")))
	}
	if c.MariaDB {
		p, err := s.mariadbPod(logs)
		if err != nil {
			return err
		}
		deps = append(deps, p)
	}
	for _, p := range deps {
		s.pods = append(s.pods, p)
		wg.Go(func() { p.run(ctx) })
	}
	for _, p := range deps {
		if err := p.waitReady(ctx, 60*time.Second); err != nil {
			return err
		}
	}

	// Links: balancer → replica, replica → each dependency.
	for i := range c.Replicas {
		pod := podName(i)
		s.addLink("balancer", pod, loop(c.Ports.Replicas[i]))
		for _, d := range deps {
			s.addLink(pod, d.name, d.addr)
		}
	}
	for _, l := range s.links {
		p := toxiproxy.NewProxy(s.tp, l.Name, l.Listen, l.Upstream)
		if err := s.tp.Collection.Add(p, true); err != nil {
			return fmt.Errorf("proxy %s: %w", l.Name, err)
		}
	}
	defer s.tp.Collection.Clear()
	if err := s.startOpenCost(); err != nil {
		return err
	}

	// Replicas.
	db := filepath.Join(c.Dir, "petclinic.db")
	for i := range c.Replicas {
		pod, zone := podName(i), c.Zones[i%len(c.Zones)]
		args := []string{c.PetclinicBin, "--port", strconv.Itoa(c.Ports.Replicas[i]), "--bind-address", "127.0.0.1",
			"--drain-delay", "1s", "--shutdown-timeout", "5s", "--log-level", c.LogLevel}
		if c.MariaDB {
			args = append(args, "--db", "mysql", "--mysql-dsn", "root@tcp("+s.linkListen(pod, "mariadb-0")+")/petclinic")
		} else {
			args = append(args, "--sqlite-path", db)
		}
		if c.Redis == "on" {
			args = append(args, "--redis-url", "redis://"+s.linkListen(pod, "redis-0")+"/0")
		}
		if c.ReplicaRateLimit > 0 {
			args = append(args, "--rate-limit", strconv.FormatFloat(c.ReplicaRateLimit, 'g', -1, 64))
		}
		addr := loop(c.Ports.Replicas[i])
		p := s.newPod(pod, map[string]string{LabelApp: AppPetclinic, LabelPod: pod, LabelZone: zone},
			args, addr, "http://"+addr+"/actuator/health/readiness", filepath.Join(logs, pod+".log"))
		p.url = "http://" + addr
		s.lb.add(pod, zone, s.linkListen("balancer", pod))
		s.pods = append(s.pods, p)
	}
	if err := writeJSON(filepath.Join(logs, LokiTargetsFile), s.lokiTargets()); err != nil {
		return fmt.Errorf("loki targets: %w", err)
	}
	wg.Go(func() { s.rotateLogs(ctx, 5*time.Second) })
	for i, p := range s.pods[len(deps):] {
		wg.Go(func() { p.run(ctx) })
		if i == 0 {
			// The first replica creates and seeds the database alone.
			if err := p.waitReady(ctx, 60*time.Second); err != nil {
				return err
			}
		}
	}

	// Control API (metrics, faults) and the balancer.
	ctl, err := net.Listen("tcp", loop(c.Ports.Control))
	if err != nil {
		return fmt.Errorf("control: %w", err)
	}
	lbl, err := net.Listen("tcp", loop(c.Ports.Balancer))
	if err != nil {
		ctl.Close()
		return fmt.Errorf("balancer: %w", err)
	}
	ctlSrv := &http.Server{Handler: s.controlHandler(), ReadHeaderTimeout: 5 * time.Second}
	lbSrv := &http.Server{Handler: s.lb, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 60 * time.Second}
	go ctlSrv.Serve(ctl)
	go lbSrv.Serve(lbl)
	defer ctlSrv.Close()
	defer func() {
		sctx, c := context.WithTimeout(context.Background(), 3*time.Second)
		defer c()
		lbSrv.Shutdown(sctx)
	}()
	wg.Go(func() { s.lb.healthLoop(ctx) })
	if s.expire != nil {
		wg.Go(func() { s.enforceDeadlines(ctx) })
	}

	// Prometheus last: every target exists.
	promDone, err := s.startPrometheus(ctx)
	if err != nil {
		return err
	}
	<-ctx.Done()
	<-promDone
	return nil
}

// enforceDeadlines ends every fault past its deadline, every DeadlineEvery,
// and logs what it did (the supervisor's log).
func (s *supervisor) enforceDeadlines(ctx context.Context) {
	t := time.NewTicker(DeadlineEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			did, err := s.expire(ctx, now)
			for _, d := range did {
				fmt.Fprintf(os.Stderr, "%s supervisor: %s\n", now.UTC().Format(time.RFC3339Nano), d)
			}
			if err != nil && ctx.Err() == nil {
				fmt.Fprintf(os.Stderr, "%s supervisor: %v\n", now.UTC().Format(time.RFC3339Nano), err)
			}
		}
	}
}

func (s *supervisor) addLink(client, server, upstream string) {
	name := linkName(client, server)
	s.links = append(s.links, Link{Name: name, Client: client, Server: server, Listen: loop(s.c.Ports.Links[name]), Upstream: upstream})
}

func (s *supervisor) linkListen(client, server string) string {
	return loop(s.c.Ports.Links[linkName(client, server)])
}

func (s *supervisor) mariadbPod(logs string) (*podRunner, error) {
	c := s.c
	data := filepath.Join(c.Dir, "mariadb")
	if _, err := os.Stat(data); errors.Is(err, fs.ErrNotExist) {
		args := []string{"--no-defaults", "--datadir=" + data, "--auth-root-authentication-method=normal", "--skip-test-db"}
		if os.Geteuid() == 0 {
			args = append(args, "--user=root")
		}
		cmd := exec.Command("mariadb-install-db", args...)
		cmd.Env = append(os.Environ(), EnvMarker+"="+c.Dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("mariadb-install-db: %w: %s", err, out)
		}
	}
	initSQL := filepath.Join(c.Dir, "mariadb-init.sql")
	if err := os.WriteFile(initSQL, []byte("CREATE DATABASE IF NOT EXISTS petclinic;\n"), 0o644); err != nil {
		return nil, err
	}
	args := []string{"mariadbd", "--no-defaults", "--datadir=" + data, "--port=" + strconv.Itoa(c.Ports.MariaDB),
		"--bind-address=127.0.0.1", "--socket=" + filepath.Join(c.Dir, "mariadb.sock"), "--skip-grant-tables",
		"--init-file=" + initSQL, "--pid-file=" + filepath.Join(c.Dir, "mariadb.pid")}
	if os.Geteuid() == 0 {
		args = append(args, "--user=root")
	}
	return s.newPod("mariadb-0", map[string]string{LabelApp: AppMariaDB, LabelPod: "mariadb-0", LabelZone: c.Zones[0]},
		args, loop(c.Ports.MariaDB), "", filepath.Join(logs, "mariadb-0.log")), nil
}

func (s *supervisor) newPod(name string, labels map[string]string, argv []string, addr, readyURL, log string) *podRunner {
	return &podRunner{s: s, name: name, labels: labels, argv: argv, addr: addr, readyURL: readyURL, log: log}
}

// writeState writes state.json atomically.
func (s *supervisor) writeState() {
	st := s.status()
	if err := writeJSON(filepath.Join(s.c.Dir, stateFile), st); err != nil {
		fmt.Fprintf(os.Stderr, "write state: %v\n", err)
	}
	byZone := st.ReadyByZone()
	for z, n := range byZone {
		s.readyGauge.WithLabelValues(z).Set(float64(n))
	}
}

func (s *supervisor) status() *State {
	s.mu.Lock()
	prom, fatal := s.prom, s.fatal
	s.mu.Unlock()
	st := &State{
		Dir: s.c.Dir, Running: true, Updated: time.Now().UTC(), Supervisor: s.self,
		URL: "http://" + loop(s.c.Ports.Balancer), ControlURL: "http://" + loop(s.c.Ports.Control),
		Prometheus: prom, Zones: slices.Clone(s.c.Zones), Desired: s.c.Replicas, Links: s.links, Error: fatal,
		Database: "sqlite:" + filepath.Join(s.c.Dir, "petclinic.db"),
	}
	if s.c.MariaDB {
		st.Database = "mariadb:" + loop(s.c.Ports.MariaDB)
	}
	now := time.Now()
	for _, p := range s.pods {
		pod := p.snapshot()
		if b := s.lb.backend(p.name); b != nil {
			pod.Balancer = b.view(now)
		}
		st.Pods = append(st.Pods, pod)
	}
	return st
}

// podRunner keeps one pod's process alive, as a ReplicaSet and a kubelet.
type podRunner struct {
	s        *supervisor
	name     string
	labels   map[string]string
	argv     []string
	addr     string
	url      string
	readyURL string // empty: a TCP connect is the readiness check
	log      string

	mu       sync.Mutex
	proc     Proc
	ready    bool
	everUp   bool
	exits    int
	restarts int
	since    time.Time
}

func (p *podRunner) snapshot() Pod {
	p.mu.Lock()
	defer p.mu.Unlock()
	return Pod{Name: p.name, Labels: p.labels, Proc: p.proc, Addr: p.addr, URL: p.url, Ready: p.ready, Restarts: p.restarts, Since: p.since}
}

func (p *podRunner) setReady(ready bool) {
	p.mu.Lock()
	changed := p.ready != ready
	p.ready = ready
	p.everUp = p.everUp || ready
	if changed {
		p.since = time.Now().UTC()
	}
	p.mu.Unlock()
	if changed {
		p.s.lb.setReady(p.name, ready)
		p.s.markDirty()
	}
}

func (p *podRunner) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		p.mu.Lock()
		r, crashing := p.ready, !p.everUp && p.exits >= 3
		p.mu.Unlock()
		if r {
			return nil
		}
		if crashing {
			return fmt.Errorf("%s exited 3 times before it was ready (log %s):\n%s", p.name, p.log, tail(p.log, 1500))
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
	return fmt.Errorf("%s not ready after %s (log %s):\n%s", p.name, timeout, p.log, tail(p.log, 1500))
}

// run starts the process, restarts it after a back-off whenever it dies,
// and stops it (SIGTERM, then SIGKILL) when ctx ends.
func (p *podRunner) run(ctx context.Context) {
	delay := p.s.c.RestartDelay.D()
	for {
		started := time.Now()
		p.once(ctx)
		if ctx.Err() != nil {
			return
		}
		// Back-off: doubled while the pod dies young, as CrashLoopBackOff.
		if time.Since(started) < 10*time.Second {
			if err := sleep(ctx, delay); err != nil {
				return
			}
			delay = min(2*delay, 30*time.Second)
		} else {
			delay = p.s.c.RestartDelay.D()
			if err := sleep(ctx, delay); err != nil {
				return
			}
		}
		p.mu.Lock()
		p.restarts++
		p.mu.Unlock()
		p.s.restarts.WithLabelValues(p.name, p.labels[LabelZone]).Inc()
	}
}

func (p *podRunner) once(ctx context.Context) {
	logf, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", p.name, err)
		sleep(ctx, time.Second)
		return
	}
	defer logf.Close()
	cmd := exec.Command(p.argv[0], p.argv[1:]...)
	cmd.Dir = p.s.c.Dir
	cmd.Env = append(os.Environ(), EnvMarker+"="+p.s.c.Dir)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: start: %v\n", p.name, err)
		sleep(ctx, time.Second)
		return
	}
	p.mu.Lock()
	p.proc = ProcOf(cmd.Process.Pid)
	p.mu.Unlock()
	p.s.markDirty()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	probe := time.NewTicker(250 * time.Millisecond)
	defer probe.Stop()
	client := &http.Client{Timeout: time.Second}
	for {
		select {
		case err := <-exited:
			p.mu.Lock()
			p.exits++
			p.mu.Unlock()
			p.setReady(false)
			fmt.Fprintf(os.Stderr, "%s: exited: %v\n", p.name, err)
			return
		case <-ctx.Done():
			p.setReady(false)
			// SIGCONT first (a frozen pod must hear SIGTERM), SIGKILL after
			// the grace.
			_ = ProcOf(cmd.Process.Pid).Stop(context.WithoutCancel(ctx), ChildGrace) // errs only when SIGKILL did not end it
			<-exited
			return
		case <-probe.C:
			p.setReady(p.probe(ctx, client))
		}
	}
}

func (p *podRunner) probe(ctx context.Context, c *http.Client) bool {
	if p.readyURL != "" {
		return httpOK(ctx, c, p.readyURL)
	}
	conn, err := net.DialTimeout("tcp", p.addr, time.Second)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

// ruleFiles lists the *.yml and *.yaml files under dir, recursively.
func ruleFiles(dir string) []string {
	if dir == "" {
		return nil
	}
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".yml") || strings.HasSuffix(p, ".yaml")) {
			out = append(out, p)
		}
		return nil
	})
	slices.Sort(out)
	return out
}
