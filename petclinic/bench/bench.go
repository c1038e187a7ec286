// Package bench measures PetClinic against a bare net/http handler on the
// same machine, in one run, with the same load tool and settings: the
// Performance sections of issues 2 and 15. Throughput is driven by wrk (the
// anchor tool, a C load generator far cheaper per request than the servers),
// and every run reports wrk's own CPU next to the server's, so that the
// figures show the generator was not the bottleneck. It is a benchmark, not
// a timed test: it prints figures and PASS/FAIL per target, and all load
// goes to 127.0.0.1.
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
	"strings"
	"time"
)

// Targets of issues 2 and 15, section Performance.
const (
	TargetRatio      = 0.40                   // API throughput / hello throughput, at least
	TargetVetsRatio  = 0.30                   // /vets.html throughput / hello throughput, at least
	TargetStartReady = 300 * time.Millisecond // process start to readiness 200, below
	TargetRSS        = 60_000_000             // bytes (decimal MB, the strict reading) after RSSDuration at RSSRate, below
)

// The routes the issue names, and where readiness is read.
const (
	RouteAPI       = "/petclinic/api/owners/1"
	RouteVets      = "/vets.html"
	RouteReadiness = "/actuator/health/readiness"
)

// Config says what to run and how hard. Zero fields take the defaults.
type Config struct {
	Petclinic   string        // path of the petclinic binary (required)
	Hello       []string      // command that serves the hello handler on $PORT (required)
	Wrk         string        // wrk binary (default: wrk on PATH)
	Threads     int           // wrk threads (-t)
	Connections int           // wrk connections (-c)
	Workers     int           // workers of the constant-rate memory run (vegeta)
	Warmup      time.Duration // unmeasured load before each measurement
	Duration    time.Duration // measured load per target and round
	Rounds      int           // interleaved rounds; the median is reported
	Slices      int           // each round's Duration per target, cut into this many interleaved slices
	StartRuns   int           // start-to-ready samples per case (fresh and existing DB)
	RSSRate     int           // requests per second of the memory run
	RSSDuration time.Duration // length of the memory run
}

func (c *Config) defaults() error {
	if c.Petclinic == "" {
		return errors.New("the petclinic binary is required (--petclinic)")
	}
	if len(c.Hello) == 0 {
		return errors.New("the hello server command is required")
	}
	// Children run in their own directories: a relative path would break.
	abs, err := filepath.Abs(c.Petclinic)
	if err != nil {
		return err
	}
	c.Petclinic = abs
	setIfZero(&c.Threads, 2)
	setIfZero(&c.Connections, 32)
	setIfZero(&c.Workers, 16)
	setIfZero(&c.Warmup, time.Second)
	setIfZero(&c.Duration, 8*time.Second)
	setIfZero(&c.Rounds, 5)
	setIfZero(&c.Slices, 4)
	setIfZero(&c.StartRuns, 5)
	setIfZero(&c.RSSRate, 500)
	setIfZero(&c.RSSDuration, 60*time.Second)
	return nil
}

func setIfZero[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}

// Result holds every figure of a run.
type Result struct {
	Config            Config
	Version           string
	Hello, API, Vets  wrkRun    // medians over the rounds, by throughput
	APIRatios         []float64 // API / hello throughput, per round
	VetsRatios        []float64 // vets.html / hello throughput, per round
	StartFresh        []time.Duration
	StartExisting     []time.Duration
	RSSIdle, RSS, HWM int64
	RSSLoad           loadResult
}

// APIRatio is the median over the rounds of API / hello throughput. Each
// round's figures are taken back to back, so pairing them cancels most of
// the drift of a shared machine; the medians of the table would not.
func (r Result) APIRatio() float64 { return medianFloat(r.APIRatios) }

// VetsRatio is APIRatio for /vets.html.
func (r Result) VetsRatio() float64 { return medianFloat(r.VetsRatios) }

// Run runs the whole benchmark; progress goes to log.
func Run(ctx context.Context, cfg Config, log io.Writer) (Result, error) {
	if err := cfg.defaults(); err != nil {
		return Result{}, err
	}
	res := Result{Config: cfg}
	out, err := exec.CommandContext(ctx, cfg.Petclinic, "--version").Output() // #nosec G204 -- the binary under test
	if err != nil {
		return res, fmt.Errorf("%s --version: %w", cfg.Petclinic, err)
	}
	res.Version = strings.TrimSpace(string(out))
	gen := wrkConfig{Bin: cfg.Wrk, Threads: cfg.Threads, Connections: cfg.Connections}
	if _, err := gen.bin(); err != nil {
		return res, err
	}

	dir, err := os.MkdirTemp("", "petbench-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)

	logf := func(format string, a ...any) { fmt.Fprintf(log, "petbench: "+format+"\n", a...) }

	logf("start to ready: %d runs on a fresh database, %d on an existing one", cfg.StartRuns, cfg.StartRuns)
	if res.StartFresh, res.StartExisting, err = startToReady(ctx, cfg, dir); err != nil {
		return res, err
	}

	hello, err := startServer(ctx, "hello", dir, cfg.Hello[0], cfg.Hello[1:], nil)
	if err != nil {
		return res, err
	}
	defer hello.stop()
	if _, err := hello.waitReady(ctx, "/", 10*time.Second); err != nil {
		return res, err
	}
	pc, err := startPetclinic(ctx, cfg, dir, "load")
	if err != nil {
		return res, err
	}
	if err := sanityCheck(ctx, pc.baseURL); err != nil {
		pc.stop()
		return res, err
	}

	logf("throughput: wrk -t%d -c%d, %s warm-up + %s measured (%d slices of %s, interleaved), %d rounds",
		cfg.Threads, cfg.Connections, cfg.Warmup, cfg.Duration, cfg.Slices, cfg.Duration/time.Duration(cfg.Slices), cfg.Rounds)
	targets := []target{
		{"hello", hello, hello.baseURL + "/"},
		{"GET " + RouteAPI, pc, pc.baseURL + RouteAPI},
		{"GET " + RouteVets, pc, pc.baseURL + RouteVets},
	}
	var hellos, apis, vets []wrkRun
	for round := 1; round <= cfg.Rounds; round++ {
		runs, err := interleave(ctx, gen, targets, cfg.Warmup, cfg.Duration, cfg.Slices)
		if err != nil {
			pc.stop()
			return res, err
		}
		for i, l := range runs {
			logf("round %d: %-32s %9.0f req/s  p50 %-9s p99 %-9s wrk %.2f cores, server %.2f cores (%.1f µs/req)",
				round, targets[i].name, l.Throughput, l.P50.Round(time.Microsecond), l.P99.Round(time.Microsecond), l.GenCores(), l.ServerCores(),
				l.ServerMicrosPerRequest())
		}
		hellos, apis, vets = append(hellos, runs[0]), append(apis, runs[1]), append(vets, runs[2])
	}
	pc.stop()
	hello.stop()
	res.Hello, res.API, res.Vets = medianRun(hellos), medianRun(apis), medianRun(vets)
	for i := range hellos {
		res.APIRatios = append(res.APIRatios, apis[i].Throughput/hellos[i].Throughput)
		res.VetsRatios = append(res.VetsRatios, vets[i].Throughput/hellos[i].Throughput)
	}

	logf("memory: fresh petclinic, %d req/s for %s over both routes", cfg.RSSRate, cfg.RSSDuration)
	if err := memory(ctx, cfg, dir, &res); err != nil {
		return res, err
	}
	return res, nil
}

// target is one URL under load, served by srv.
type target struct {
	name string
	srv  *server
	url  string
}

// interleave measures each target for d in slices of d/slices, taking the
// targets in turn slice after slice, so that a change in what else runs on
// the machine falls on all of them alike; each target first gets warmup.
// A target's figures add up its slices: requests, time and CPU summed, the
// median p50 and the highest p99 of the slices.
func interleave(ctx context.Context, gen wrkConfig, targets []target, warmup, d time.Duration, slices int) ([]wrkRun, error) {
	if warmup > 0 {
		for _, t := range targets {
			if _, err := gen.run(ctx, t.url, warmup, t.srv.cmd.Process.Pid); err != nil {
				return nil, fmt.Errorf("warm up %s: %w", t.name, err)
			}
		}
	}
	parts := make([][]wrkRun, len(targets))
	for range slices {
		for i, t := range targets {
			l, err := gen.run(ctx, t.url, d/time.Duration(slices), t.srv.cmd.Process.Pid)
			if err != nil {
				return nil, fmt.Errorf("load %s: %w", t.name, err)
			}
			if l.Bad > 0 {
				return nil, fmt.Errorf("load %s: %d of %d responses were errors or not 2xx/3xx", t.name, l.Bad, l.Requests)
			}
			parts[i] = append(parts[i], l)
		}
	}
	out := make([]wrkRun, len(targets))
	for i, ps := range parts {
		out[i] = sumRuns(ps)
	}
	return out, nil
}

// sumRuns merges the slices of one target's measurement.
func sumRuns(ps []wrkRun) wrkRun {
	var r wrkRun
	p50s := make([]time.Duration, 0, len(ps))
	for _, p := range ps {
		r.Requests += p.Requests
		r.Bad += p.Bad
		r.Wall += p.Wall
		r.GenCPU += p.GenCPU
		r.ServerCPU += p.ServerCPU
		r.P99 = max(r.P99, p.P99)
		p50s = append(p50s, p.P50)
	}
	if len(p50s) > 0 {
		r.P50 = median(p50s)
	}
	if r.Wall > 0 {
		r.Throughput = float64(r.Requests) / r.Wall.Seconds()
	}
	return r
}

func startPetclinic(ctx context.Context, cfg Config, dir, name string) (*server, error) {
	sub := filepath.Join(dir, name)
	if err := os.MkdirAll(sub, 0o750); err != nil {
		return nil, err
	}
	s, err := startServer(ctx, "petclinic-"+name, sub, cfg.Petclinic,
		[]string{"--sqlite-path", filepath.Join(sub, "petclinic.db")},
		[]string{"PETCLINIC_DRAIN_DELAY=0s"}) // the benchmark stops it, no balancer to drain
	if err != nil {
		return nil, err
	}
	if _, err := s.waitReady(ctx, RouteReadiness, 30*time.Second); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// startToReady measures from just before the process is started to the
// first 200 from the readiness endpoint: first on fresh databases (created
// and seeded at start), then again on the same, now existing, databases.
func startToReady(ctx context.Context, cfg Config, dir string) (fresh, existing []time.Duration, err error) {
	once := func(name string) (time.Duration, error) {
		sub := filepath.Join(dir, name)
		if err := os.MkdirAll(sub, 0o750); err != nil {
			return 0, err
		}
		began := time.Now()
		s, err := startServer(ctx, "petclinic-"+name, sub, cfg.Petclinic,
			[]string{"--sqlite-path", filepath.Join(sub, "petclinic.db")}, []string{"PETCLINIC_DRAIN_DELAY=0s"})
		if err != nil {
			return 0, err
		}
		defer s.stop()
		ready, err := s.waitReady(ctx, RouteReadiness, 30*time.Second)
		if err != nil {
			return 0, err
		}
		return ready.Sub(began), nil
	}
	for _, into := range []*[]time.Duration{&fresh, &existing} {
		for i := range cfg.StartRuns {
			d, err := once(fmt.Sprintf("start-%d", i))
			if err != nil {
				return nil, nil, err
			}
			*into = append(*into, d)
		}
	}
	return fresh, existing, nil
}

// sanityCheck makes sure the routes serve what they should before we time
// them: a fast 404 or an error page would flatter the figures.
func sanityCheck(ctx context.Context, base string) error {
	client := &http.Client{Timeout: 5 * time.Second}
	for route, want := range map[string]string{
		RouteAPI:  "Franklin", // George Franklin, owner 1 of the seed data
		RouteVets: "Carter",   // James Carter, the first vet
	} {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+route, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("sanity check %s: %w", route, err)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		_ = resp.Body.Close()
		if err != nil {
			return fmt.Errorf("sanity check %s: %w", route, err)
		}
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
			return fmt.Errorf("sanity check %s: status %d, want 200 with %q in the body", route, resp.StatusCode, want)
		}
	}
	return nil
}

func memory(ctx context.Context, cfg Config, dir string, res *Result) error {
	pc, err := startPetclinic(ctx, cfg, dir, "rss")
	if err != nil {
		return err
	}
	defer pc.stop()
	if res.RSSIdle, _, err = pc.rssBytes(); err != nil {
		return err
	}
	res.RSSLoad, err = constantLoad(ctx, []string{pc.baseURL + RouteAPI, pc.baseURL + RouteVets},
		cfg.RSSRate, cfg.Workers, cfg.RSSDuration)
	if err != nil {
		return err
	}
	res.RSS, res.HWM, err = pc.rssBytes()
	return err
}

func medianRun(ls []wrkRun) wrkRun {
	s := slices.Clone(ls)
	slices.SortFunc(s, func(a, b wrkRun) int {
		switch {
		case a.Throughput < b.Throughput:
			return -1
		case a.Throughput > b.Throughput:
			return 1
		}
		return 0
	})
	return s[len(s)/2]
}

func medianFloat(fs []float64) float64 {
	if len(fs) == 0 {
		return 0
	}
	s := slices.Clone(fs)
	slices.Sort(s)
	return s[len(s)/2]
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// Passed reports whether every target was met.
func (r Result) Passed() bool {
	for _, c := range r.checks() {
		if !c.ok {
			return false
		}
	}
	return true
}

type check struct {
	name, figure, goal string
	ok                 bool
}

func (r Result) checks() []check {
	ratio, vets := r.APIRatio(), r.VetsRatio()
	start := median(r.StartFresh)
	return []check{
		{"API throughput / hello (median)", fmt.Sprintf("%.2f", ratio), fmt.Sprintf(">= %.2f", TargetRatio), ratio >= TargetRatio},
		{"vets.html throughput / hello (median)", fmt.Sprintf("%.2f", vets), fmt.Sprintf(">= %.2f", TargetVetsRatio), vets >= TargetVetsRatio},
		{"start to ready (fresh DB, median)", ms(start), "< " + ms(TargetStartReady), start < TargetStartReady},
		{fmt.Sprintf("RSS after %s at %d req/s", r.Config.RSSDuration, r.Config.RSSRate), mb(r.RSS), "< " + mb(TargetRSS),
			r.RSS < TargetRSS && r.RSSLoad.Success == 1},
	}
}

// Report writes the figures and the verdict table.
func (r Result) Report(w io.Writer) {
	c := r.Config
	fmt.Fprintf(w, "\n%s on SQLite vs a bare net/http hello handler, 127.0.0.1\n", r.Version)
	fmt.Fprintf(w, "load: wrk -t%d -c%d, keep-alive, %s warm-up + %s measured per target and round in %d interleaved slices, median of %d rounds\n\n",
		c.Threads, c.Connections, c.Warmup, c.Duration, c.Slices, c.Rounds)
	fmt.Fprintf(w, "%-34s %8s %9s %9s %6s %7s %7s %7s  %s\n", "throughput (median)", "req/s", "p50", "p99", "wrk", "wrk", "server", "server", "ratio to hello per round")
	fmt.Fprintf(w, "%-34s %8s %9s %9s %6s %7s %7s %7s\n", "", "", "", "", "cores", "µs/req", "cores", "µs/req")
	for _, row := range []struct {
		name   string
		l      wrkRun
		ratios []float64
	}{{"hello (net/http)", r.Hello, nil}, {"GET " + RouteAPI, r.API, r.APIRatios}, {"GET " + RouteVets, r.Vets, r.VetsRatios}} {
		fmt.Fprintf(w, "%-34s %8.0f %9s %9s %6.2f %7.1f %7.2f %7.1f  %s\n", row.name, row.l.Throughput,
			row.l.P50.Round(time.Microsecond), row.l.P99.Round(time.Microsecond),
			row.l.GenCores(), row.l.GenMicrosPerRequest(), row.l.ServerCores(), row.l.ServerMicrosPerRequest(), ratioList(row.ratios))
	}
	fmt.Fprintf(w, "\ngenerator: %s\n", r.generatorVerdict())
	fmt.Fprintf(w, "\nstart to ready, fresh DB (created + seeded): median %s of %s\n", ms(median(r.StartFresh)), msList(r.StartFresh))
	fmt.Fprintf(w, "start to ready, existing DB:                 median %s of %s\n", ms(median(r.StartExisting)), msList(r.StartExisting))
	fmt.Fprintf(w, "memory: RSS %s idle after start, %s after %s at %d req/s (peak %s); %d requests, %.2f%% ok, p99 %s\n\n",
		mb(r.RSSIdle), mb(r.RSS), c.RSSDuration, c.RSSRate, mb(r.HWM), r.RSSLoad.Requests, 100*r.RSSLoad.Success,
		r.RSSLoad.P99.Round(time.Microsecond))
	fmt.Fprintf(w, "%-38s %10s %10s  %s\n", "target", "measured", "goal", "result")
	for _, ck := range r.checks() {
		verdict := "PASS"
		if !ck.ok {
			verdict = "FAIL"
		}
		fmt.Fprintf(w, "%-38s %10s %10s  %s\n", ck.name, ck.figure, ck.goal, verdict)
	}
}

// generatorVerdict says, from the figures, whether wrk could have limited
// the PetClinic rates: the same wrk drove hello several times faster in the
// same run, and spent less CPU on PetClinic's runs than on hello's.
func (r Result) generatorVerdict() string {
	if r.API.Throughput == 0 || r.Vets.Throughput == 0 {
		return "no PetClinic figures"
	}
	return fmt.Sprintf("the same wrk sent %.0f req/s to hello with %.2f cores, %.1fx the API's and %.1fx vets.html's rates, "+
		"and used %.2f and %.2f cores on those: the servers, not wrk, set their rates",
		r.Hello.Throughput, r.Hello.GenCores(), r.Hello.Throughput/r.API.Throughput, r.Hello.Throughput/r.Vets.Throughput,
		r.API.GenCores(), r.Vets.GenCores())
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }

func mb(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/1e6) }

func ratioList(fs []float64) string {
	if fs == nil {
		return "-"
	}
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = fmt.Sprintf("%.2f", f)
	}
	return strings.Join(parts, " ")
}

func msList(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = fmt.Sprintf("%.0f", float64(d)/float64(time.Millisecond))
	}
	return "[" + strings.Join(parts, " ") + "] ms"
}
