// Package bench measures PetClinic against a bare net/http handler on the
// same machine, in one run, with the same load tool and settings: the
// Performance section of issue 2. It is a benchmark, not a timed test: it
// prints figures and PASS/FAIL per target, and all load goes to 127.0.0.1.
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

// Targets of issue 2, section Performance.
const (
	TargetRatio      = 0.40                   // API throughput / hello throughput, at least
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
	Workers     int           // fixed worker/connection count of the max-rate attacks
	Warmup      time.Duration // unmeasured load before each measurement
	Duration    time.Duration // measured load per target and round
	Rounds      int           // interleaved rounds; the median is reported
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
	setIfZero(&c.Workers, 16)
	setIfZero(&c.Warmup, time.Second)
	setIfZero(&c.Duration, 5*time.Second)
	setIfZero(&c.Rounds, 3)
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
	Hello, API, Vets  loadResult // medians over the rounds, by throughput
	APIRatios         []float64  // API / hello throughput, per round
	VetsRatios        []float64  // vets.html / hello throughput, per round
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

	logf("throughput: vegeta max rate, %d workers, %s warm-up + %s measured, %d interleaved rounds",
		cfg.Workers, cfg.Warmup, cfg.Duration, cfg.Rounds)
	var hellos, apis, vets []loadResult
	for round := 1; round <= cfg.Rounds; round++ {
		for _, t := range []struct {
			name string
			url  string
			into *[]loadResult
		}{
			{"hello", hello.baseURL + "/", &hellos},
			{"GET " + RouteAPI, pc.baseURL + RouteAPI, &apis},
			{"GET " + RouteVets, pc.baseURL + RouteVets, &vets},
		} {
			l, err := maxThroughput(ctx, t.url, cfg.Workers, cfg.Warmup, cfg.Duration)
			if err != nil {
				pc.stop()
				return res, fmt.Errorf("load %s: %w", t.name, err)
			}
			if l.Success < 1 {
				pc.stop()
				return res, fmt.Errorf("load %s: %.2f%% success, errors: %v", t.name, 100*l.Success, l.Errors)
			}
			logf("round %d: %-32s %9.0f req/s  p50 %-9s p99 %s", round, t.name, l.Throughput, l.P50, l.P99)
			*t.into = append(*t.into, l)
		}
	}
	pc.stop()
	hello.stop()
	res.Hello, res.API, res.Vets = medianLoad(hellos), medianLoad(apis), medianLoad(vets)
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

func medianLoad(ls []loadResult) loadResult {
	s := slices.Clone(ls)
	slices.SortFunc(s, func(a, b loadResult) int {
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
	ratio := r.APIRatio()
	start := median(r.StartFresh)
	return []check{
		{"API throughput / hello (median)", fmt.Sprintf("%.2f", ratio), fmt.Sprintf(">= %.2f", TargetRatio), ratio >= TargetRatio},
		{"start to ready (fresh DB, median)", ms(start), "< " + ms(TargetStartReady), start < TargetStartReady},
		{fmt.Sprintf("RSS after %s at %d req/s", r.Config.RSSDuration, r.Config.RSSRate), mb(r.RSS), "< " + mb(TargetRSS),
			r.RSS < TargetRSS && r.RSSLoad.Success == 1},
	}
}

// Report writes the figures and the verdict table.
func (r Result) Report(w io.Writer) {
	c := r.Config
	fmt.Fprintf(w, "\n%s on SQLite vs a bare net/http hello handler, 127.0.0.1\n", r.Version)
	fmt.Fprintf(w, "load: vegeta max rate, %d workers, keep-alive, %s warm-up + %s measured, median of %d interleaved rounds\n\n",
		c.Workers, c.Warmup, c.Duration, c.Rounds)
	fmt.Fprintf(w, "%-34s %10s %10s %10s  %s\n", "throughput (median)", "req/s", "p50", "p99", "ratio to hello per round")
	for _, row := range []struct {
		name   string
		l      loadResult
		ratios []float64
	}{{"hello (net/http)", r.Hello, nil}, {"GET " + RouteAPI, r.API, r.APIRatios}, {"GET " + RouteVets, r.Vets, r.VetsRatios}} {
		fmt.Fprintf(w, "%-34s %10.0f %10s %10s  %s\n", row.name, row.l.Throughput,
			row.l.P50.Round(time.Microsecond), row.l.P99.Round(time.Microsecond), ratioList(row.ratios))
	}
	fmt.Fprintf(w, "\nstart to ready, fresh DB (created + seeded): median %s of %s\n", ms(median(r.StartFresh)), msList(r.StartFresh))
	fmt.Fprintf(w, "start to ready, existing DB:                 median %s of %s\n", ms(median(r.StartExisting)), msList(r.StartExisting))
	fmt.Fprintf(w, "memory: RSS %s idle after start, %s after %s at %d req/s (peak %s); %d requests, %.2f%% ok, p99 %s\n\n",
		mb(r.RSSIdle), mb(r.RSS), c.RSSDuration, c.RSSRate, mb(r.HWM), r.RSSLoad.Requests, 100*r.RSSLoad.Success,
		r.RSSLoad.P99.Round(time.Microsecond))
	fmt.Fprintf(w, "%-34s %10s %10s  %s\n", "target", "measured", "goal", "result")
	for _, ck := range r.checks() {
		verdict := "PASS"
		if !ck.ok {
			verdict = "FAIL"
		}
		fmt.Fprintf(w, "%-34s %10s %10s  %s\n", ck.name, ck.figure, ck.goal, verdict)
	}
	fmt.Fprintf(w, "%-34s %10.2f %10s  %s\n", "vets.html throughput / hello", r.VetsRatio(), "-", "(informational)")
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
