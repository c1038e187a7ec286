package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/gamedayhq/gameday/harness/internal/sandbox"
)

// The cost of the sandbox's access log: the replicas log one JSON line per
// request at info level (as in a cluster, so a Loki can be fed), where
// they used to log warnings only. This measures the sandbox's throughput
// both ways, side by side in one run: rounds of a sandbox at warn and one
// at info, alternating which goes first, each attacked at the highest rate
// a fixed pool of workers reaches (vegeta's max-rate mode, in a fresh
// process) on read-only pages; the same attack on a bare hello server
// shows the generator's own ceiling, and wrk (when on PATH) attacks the
// same sandboxes as an anchor.
//
// The throughput of a sandbox sharing its cores with a loaded machine
// swings by tens of percent from one attack to the next, so the target is
// on what the sandbox spends per request: the CPU time of the replicas and
// of the supervisor (the balancer) over the requests sent. When the
// sandbox is CPU-bound its throughput is the inverse of that cost, so
// warn's CPU per request over info's is the share of throughput the access
// log keeps, without the noise of what else runs on the machine.

// TargetAccessLog: the sandbox at info keeps at least this share of its
// throughput at warn, as its CPU per request says (medians over the
// rounds): warn's CPU per request / info's >= 0.90.
const TargetAccessLog = 0.90

// AccessLogConfig says how to measure. Zero fields take the defaults.
type AccessLogConfig struct {
	Config
	Rounds  int           // default 3
	Workers int           // connections of the max-rate attack, default 32
	Attack  time.Duration // measured span of each attack, default 15s (after 3s of warm-up)
}

// accessLogPaths are the read-only pages attacked: each answer is one
// access line.
var accessLogPaths = []string{"/", "/owners?lastName=", "/owners/1", "/vets.html", "/petclinic/api/owners/1", "/petclinic/api/vets", "/petclinic/api/pettypes"}

// MaxRate is one max-rate attack as the harness process measured it.
type MaxRate struct {
	OKPerSec float64       `json:"okPerSec"`
	Requests uint64        `json:"requests"` // measured (after the warm-up)
	Sent     uint64        `json:"sent"`     // all answered, warm-up included
	Success  float64       `json:"success"`
	P99      time.Duration `json:"p99"`
	Cores    float64       `json:"cores"` // CPU of the attacking process
}

// MeasureMaxRate attacks target's read-only pages as fast as workers can
// for warmup then d, and measures the span after the warm-up. Run it in a
// fresh process (harnessbench maxrate).
func MeasureMaxRate(ctx context.Context, target string, workers int, warmup, d time.Duration) (MaxRate, error) {
	targets := make([]vegeta.Target, len(accessLogPaths))
	for i, p := range accessLogPaths {
		targets[i] = vegeta.Target{Method: http.MethodGet, URL: target + p}
	}
	w := uint64(max(workers, 1)) // #nosec G115 -- positive by max
	run := func(d time.Duration) vegeta.Metrics {
		a := vegeta.NewAttacker(vegeta.Workers(w), vegeta.MaxWorkers(w), vegeta.Connections(workers),
			vegeta.KeepAlive(true), vegeta.Timeout(5*time.Second), vegeta.MaxBody(0))
		stop := context.AfterFunc(ctx, func() { a.Stop() })
		defer stop()
		var m vegeta.Metrics
		for res := range a.Attack(vegeta.NewStaticTargeter(targets...), vegeta.Rate{}, d, "harnessbench") {
			m.Add(res)
		}
		m.Close()
		return m
	}
	warm := run(warmup)
	meter := startMeter()
	m := run(d)
	p, err := meter.stop(nil)
	if err != nil {
		return MaxRate{}, err
	}
	if err := ctx.Err(); err != nil {
		return MaxRate{}, err
	}
	return MaxRate{OKPerSec: m.Throughput, Requests: m.Requests, Sent: warm.Requests + m.Requests, Success: m.Success, P99: m.Latencies.P99, Cores: p.Cores()}, nil
}

// AccessLogRound is one sandbox's figures.
type AccessLogRound struct {
	Level string
	Round int
	Load  MaxRate
	// WrkPerSec is wrk's requests per second on the same sandbox (0: no
	// wrk on PATH).
	WrkPerSec float64
	// LogBytes is what the replicas logged during the attacks, LinesPerReq
	// the access lines per request (1 at info, 0 at warn).
	LogBytes    int64
	LinesPerReq float64
	// CPUPerReq is the CPU time of the replicas and the supervisor (the
	// balancer) during the attack, warm-up included, per request sent;
	// ReplicaCPUPerReq the replicas' part.
	CPUPerReq, ReplicaCPUPerReq time.Duration
}

// AccessLogResult is the whole measurement.
type AccessLogResult struct {
	Config AccessLogConfig
	Hello  MaxRate
	Rounds []AccessLogRound
}

// AccessLog measures the access log's cost; progress goes to log.
func AccessLog(ctx context.Context, cfg AccessLogConfig, log io.Writer) (res AccessLogResult, err error) {
	if err := cfg.defaults(); err != nil {
		return res, err
	}
	cfg.Rounds = firstOf(cfg.Rounds, 3)
	cfg.Workers = firstOf(cfg.Workers, 32)
	cfg.Attack = firstOf(cfg.Attack, 15*time.Second)
	res.Config = cfg
	logf := func(format string, a ...any) { fmt.Fprintf(log, "harnessbench: "+format+"\n", a...) }
	tmp, err := os.MkdirTemp("", "gd-hbench-log-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(tmp)

	hello, err := startHello(ctx, cfg.Self, tmp)
	if err != nil {
		return res, err
	}
	res.Hello, err = maxRateChild(ctx, cfg, hello.url)
	hello.stop()
	if err != nil {
		return res, err
	}
	logf("hello (net/http), the generator's ceiling: %.0f ok/s at %.2f cores", res.Hello.OKPerSec, res.Hello.Cores)
	for round := range cfg.Rounds {
		levels := []string{"warn", "info"}
		if round%2 == 1 {
			slices.Reverse(levels)
		}
		for _, level := range levels {
			r, err := accessLogRound(ctx, cfg, filepath.Join(tmp, fmt.Sprintf("sbx-%d-%s", round, level)), level)
			if err != nil {
				return res, err
			}
			r.Round = round + 1
			res.Rounds = append(res.Rounds, r)
			logf("round %d, log level %s: %.0f ok/s (%.2f%% ok, p99 %s, harness %.2f cores), wrk %.0f req/s, %.2f log lines and %.0f bytes per request, CPU %s per request (replicas %s)",
				r.Round, level, r.Load.OKPerSec, 100*r.Load.Success, r.Load.P99.Round(time.Millisecond), r.Load.Cores, r.WrkPerSec, r.LinesPerReq, float64(r.LogBytes)/float64(max(r.Load.Sent, 1)),
				r.CPUPerReq.Round(time.Microsecond/10), r.ReplicaCPUPerReq.Round(time.Microsecond/10))
		}
	}
	return res, nil
}

// accessLogRound brings a sandbox up at level, attacks it (and runs wrk on
// it when there is one), and brings it down.
func accessLogRound(ctx context.Context, cfg AccessLogConfig, dir, level string) (r AccessLogRound, err error) {
	r.Level = level
	st, err := sandbox.Up(ctx, sandbox.Config{
		Dir: dir, Replicas: cfg.Replicas, PetclinicBin: cfg.Petclinic, PrometheusBin: cfg.Prometheus,
		RulesDir: filepath.Join(dir, "no-rules"), LogLevel: level,
		Supervisor: append(append([]string{}, cfg.Self...), "supervise", dir),
	})
	defer func() {
		down, cancel := context.WithTimeout(context.WithoutCancel(ctx), 60*time.Second)
		defer cancel()
		err = errors.Join(err, sandbox.Down(down, dir))
	}()
	if err != nil {
		return r, err
	}
	// The access lines and bytes of the attack (warm-up included), per
	// request sent; the scrapes and probes of those seconds count too.
	bytes, lines := replicaLog(dir), accessLines(dir)
	replicas, all := sandboxCPU(st)
	if r.Load, err = maxRateChild(ctx, cfg, st.URL); err != nil {
		return r, err
	}
	replicas2, all2 := sandboxCPU(st)
	sent := float64(max(r.Load.Sent, 1))
	r.ReplicaCPUPerReq = time.Duration((replicas2 - replicas) / sent * float64(time.Second))
	r.CPUPerReq = time.Duration((all2 - all) / sent * float64(time.Second))
	r.LogBytes = replicaLog(dir) - bytes
	r.LinesPerReq = float64(accessLines(dir)-lines) / sent
	r.WrkPerSec, err = wrk(ctx, st.URL, cfg.Workers, cfg.Attack)
	return r, err
}

func maxRateChild(ctx context.Context, cfg AccessLogConfig, url string) (MaxRate, error) {
	var m MaxRate
	err := child(ctx, cfg.Config, &m, "maxrate", "--target", url, "--workers", strconv.Itoa(cfg.Workers), "--duration", cfg.Attack.String())
	return m, err
}

// sandboxCPU is the CPU seconds the PetClinic replicas and the supervisor
// (the balancer runs in it) have used so far.
func sandboxCPU(st *sandbox.State) (replicas, all float64) {
	for _, p := range st.Pods {
		if p.Labels[sandbox.LabelApp] == sandbox.AppPetclinic {
			c, _ := sandbox.ProcCPUSeconds(p.PID)
			replicas += c
		}
	}
	s, _ := sandbox.ProcCPUSeconds(st.Supervisor.PID)
	return replicas, replicas + s
}

// replicaLog is the size of the replicas' logs in the sandbox dir.
func replicaLog(dir string) int64 {
	var n int64
	files, _ := filepath.Glob(filepath.Join(dir, sandbox.LogsDir, "petclinic-*.log"))
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// accessLines counts the access lines ("msg":"request") of the replicas.
func accessLines(dir string) int {
	n := 0
	files, _ := filepath.Glob(filepath.Join(dir, sandbox.LogsDir, "petclinic-*.log"))
	for _, f := range files {
		b, _ := os.ReadFile(f) // #nosec G304 -- the sandbox's own log
		n += strings.Count(string(b), `"msg":"request"`)
	}
	return n
}

// wrk runs wrk on the first page for d with workers connections and
// returns its requests per second; 0 without wrk.
func wrk(ctx context.Context, url string, workers int, d time.Duration) (float64, error) {
	bin, err := exec.LookPath("wrk")
	if err != nil {
		return 0, nil
	}
	out, err := exec.CommandContext(ctx, bin, "-t", "2", "-c", strconv.Itoa(workers), "-d", fmt.Sprintf("%ds", int(d.Seconds())), url+"/petclinic/api/vets").Output() // #nosec G204 -- wrk on loopback
	if err != nil {
		return 0, fmt.Errorf("wrk: %w", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "Requests/sec:"); ok {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	return 0, fmt.Errorf("wrk: no Requests/sec in %s", out)
}

// Ratio is the median ok/s at info over the median at warn.
func (r AccessLogResult) Ratio() float64 {
	return median(r.figure("info", okPerSec)) / median(r.figure("warn", okPerSec))
}

// CPURatio is the share of throughput the access log keeps as the CPU per
// request says: warn's median CPU per request over info's.
func (r AccessLogResult) CPURatio() float64 {
	return median(r.figure("warn", cpuPerReq)) / median(r.figure("info", cpuPerReq))
}

func okPerSec(x AccessLogRound) float64  { return x.Load.OKPerSec }
func cpuPerReq(x AccessLogRound) float64 { return x.CPUPerReq.Seconds() }

func (r AccessLogResult) figure(level string, f func(AccessLogRound) float64) []float64 {
	var v []float64
	for _, x := range r.Rounds {
		if x.Level == level {
			v = append(v, f(x))
		}
	}
	return v
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(v))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// Report prints the figures and the verdict.
func (r AccessLogResult) Report(w io.Writer) {
	fmt.Fprintf(w, "\nthe sandbox's access log: %d replicas, %d rounds, max rate with %d connections for %s on read-only pages\n\n",
		r.Config.Replicas, r.Config.Rounds, r.Config.Workers, r.Config.Attack)
	fmt.Fprintf(w, "%-6s %5s %10s %8s %9s %12s %10s %10s %12s %12s\n", "level", "round", "ok/s", "ok", "p99", "harness", "wrk req/s", "lines/req", "CPU/req", "replicas")
	for _, x := range r.Rounds {
		fmt.Fprintf(w, "%-6s %5d %10.0f %7.2f%% %9s %7.2f cores %10.0f %10.2f %12s %12s\n", x.Level, x.Round, x.Load.OKPerSec, 100*x.Load.Success,
			x.Load.P99.Round(time.Millisecond), x.Load.Cores, x.WrkPerSec, x.LinesPerReq, x.CPUPerReq.Round(time.Microsecond/10), x.ReplicaCPUPerReq.Round(time.Microsecond/10))
	}
	fmt.Fprintf(w, "hello  %5s %10.0f %7.2f%% %9s %7.2f cores  (the generator's ceiling)\n\n", "-", r.Hello.OKPerSec, 100*r.Hello.Success, r.Hello.P99.Round(time.Millisecond), r.Hello.Cores)
	verdict := "PASS"
	if !r.Passed() {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "%-44s %10s %10s  %s\n", "target", "measured", "goal", "result")
	fmt.Fprintf(w, "%-44s %10.3f %10s  %s\n", "CPU/req at warn / CPU/req at info (medians)", r.CPURatio(), fmt.Sprintf(">= %.2f", TargetAccessLog), verdict)
	fmt.Fprintf(w, "%-44s %10.3f %10s  %s\n", "ok/s at info / ok/s at warn (medians)", r.Ratio(), "-", "(informational: the machine's load)")
}

// Passed reports whether the access log keeps the target share of the
// throughput, as the CPU per request says.
func (r AccessLogResult) Passed() bool { return r.CPURatio() >= TargetAccessLog }
