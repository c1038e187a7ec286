package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Targets of issue 17: the load generator beside Vegeta's CLI.
const (
	// TargetCPURatio bounds gameday's CPU per request over Vegeta's, at
	// every rate up to Vegeta's own knee.
	TargetCPURatio = 1.1
	// TargetSlack is how far gameday's success and achieved ratios may fall
	// below Vegeta's at the same rate (both measured to 4 digits).
	TargetSlack = 0.01
	// TargetRSS bounds gameday's peak RSS at any rate, past the knee too.
	TargetRSS = 100 << 20
	// KneeHeld is what holding a rate means: sent and succeeded at least
	// this share of it.
	KneeHeld = 0.99
)

// CompareConfig is the side-by-side run of gameday's generator and
// Vegeta's CLI. Zero fields take the defaults.
type CompareConfig struct {
	Self   []string // command that runs this program (subcommands hello, attack)
	Vegeta string   // Vegeta's CLI (make bench builds v12.13.0 into the tool cache)
	// Rates are attacked by both, interleaved, Rounds times each (the
	// order of the two alternates from round to round); default 2000,
	// 8000, 12000 and 2 rounds.
	Rates  []float64
	Rounds int
	// Duration of one attack, default 10s.
	Duration time.Duration
	// The knee is searched from KneeFrom up by KneeStep (default 2000/s
	// each) until Vegeta no longer holds the rate, at most KneeMax
	// (default 40000/s): it is the last rate it held.
	KneeFrom, KneeStep, KneeMax float64
}

func (c *CompareConfig) defaults() error {
	if len(c.Self) == 0 || c.Vegeta == "" {
		return errors.New("bench: compare needs this program's command and Vegeta's CLI (--vegeta)")
	}
	p, err := exec.LookPath(c.Vegeta)
	if err != nil {
		return fmt.Errorf("bench: vegeta: %w (make bench builds it: scripts/lib.sh go_tool)", err)
	}
	c.Vegeta = p
	if len(c.Rates) == 0 {
		c.Rates = []float64{2000, 8000, 12000}
	}
	c.Rounds = firstOf(c.Rounds, 2)
	c.Duration = firstOf(c.Duration, 10*time.Second)
	c.KneeStep = firstOf(c.KneeStep, 2000)
	c.KneeFrom = firstOf(c.KneeFrom, slices.Max(c.Rates)+c.KneeStep)
	c.KneeMax = firstOf(c.KneeMax, 40000)
	return nil
}

// Tools compared.
const (
	ToolVegeta  = "vegeta"
	ToolGameday = "gameday"
)

// ToolRun is one attack by one tool, measured from outside its process
// the same way for both: CPU is the child's user + system time, PeakRSS
// its maximum resident set (wait4's rusage).
type ToolRun struct {
	Tool     string        `json:"tool"`
	Rate     float64       `json:"rate"`
	Duration time.Duration `json:"duration"`
	Requests uint64        `json:"requests"` // completed (gameday: and canceled)
	OK       uint64        `json:"ok"`
	P99      time.Duration `json:"p99"` // from the actual send time, as Vegeta measures
	CPU      time.Duration `json:"cpu"`
	PeakRSS  int64         `json:"peakRSS"`
	// Saturation is gameday's own account when it could not hold the rate.
	Saturation string `json:"saturation,omitempty"`
}

// Achieved is the share of the requested requests that were sent.
func (r ToolRun) Achieved() float64 {
	want := r.Rate * r.Duration.Seconds()
	if want <= 0 {
		return 0
	}
	return float64(r.Requests) / want
}

// Success is ok / completed.
func (r ToolRun) Success() float64 {
	if r.Requests == 0 {
		return 0
	}
	return float64(r.OK) / float64(r.Requests)
}

// Held reports whether the run sent and succeeded KneeHeld of the rate.
func (r ToolRun) Held() bool { return r.Achieved() >= KneeHeld && r.Success() >= KneeHeld }

// CPUPerRequest is the tool's CPU time per request sent.
func (r ToolRun) CPUPerRequest() time.Duration {
	if r.Requests == 0 {
		return 0
	}
	return r.CPU / time.Duration(r.Requests)
}

// Pair is both tools at one rate: the mean over the rounds of CPU per
// request, the worst achieved and success ratios, the highest RSS.
type Pair struct {
	Rate            float64
	Vegeta, Gameday []ToolRun
	// Knee marks the rates of the knee search (past the fixed ones).
	Knee string
}

// Comparison is the whole side-by-side run.
type Comparison struct {
	Config CompareConfig
	Pairs  []Pair
	// Knee is the highest rate Vegeta held (0 when it held none searched;
	// KneeMax when it held them all); Past is the first it did not hold.
	Knee, Past float64
	// Baseline is gameday's attack process at 1 request per second: the
	// memory of the harness binary before any load.
	Baseline ToolRun
}

// Compare runs the comparison; progress goes to log.
func Compare(ctx context.Context, cfg CompareConfig, log io.Writer) (cmp Comparison, err error) {
	if err := cfg.defaults(); err != nil {
		return cmp, err
	}
	cmp.Config = cfg
	logf := func(format string, a ...any) { fmt.Fprintf(log, "harnessbench: "+format+"\n", a...) }
	tmp, err := os.MkdirTemp("", "gd-hbench-cmp-")
	if err != nil {
		return cmp, err
	}
	defer os.RemoveAll(tmp)
	hello, err := startHello(ctx, cfg.Self, tmp)
	if err != nil {
		return cmp, err
	}
	defer hello.stop()
	targets := filepath.Join(tmp, "targets.txt")
	if err := os.WriteFile(targets, []byte(vegetaTargets(hello.url)), 0o600); err != nil {
		return cmp, err
	}
	run := func(tool string, rate float64, d time.Duration) (ToolRun, error) {
		if tool == ToolVegeta {
			return vegetaAttack(ctx, cfg.Vegeta, targets, filepath.Join(tmp, "results.bin"), rate, d)
		}
		return gamedayAttack(ctx, cfg.Self, hello.url, rate, d)
	}
	if cmp.Baseline, err = run(ToolGameday, 1, time.Second); err != nil {
		return cmp, err
	}
	pair := func(rate float64, knee string) (Pair, error) {
		p := Pair{Rate: rate, Knee: knee}
		for round := range cfg.Rounds {
			order := []string{ToolVegeta, ToolGameday}
			if round%2 == 1 {
				slices.Reverse(order)
			}
			for _, tool := range order {
				r, err := run(tool, rate, cfg.Duration)
				if err != nil {
					return p, err
				}
				logf("  %s", r)
				if tool == ToolVegeta {
					p.Vegeta = append(p.Vegeta, r)
				} else {
					p.Gameday = append(p.Gameday, r)
				}
			}
		}
		return p, nil
	}
	logf("Vegeta's CLI and gameday's generator, interleaved, %d rounds of %s against hello %s", cfg.Rounds, cfg.Duration, hello.url)
	for _, rate := range cfg.Rates {
		p, err := pair(rate, "")
		if err != nil {
			return cmp, err
		}
		cmp.Pairs = append(cmp.Pairs, p)
	}
	// The knee: the last rate Vegeta holds, searched upward (one Vegeta
	// run a step; the fixed rates count too).
	cmp.Knee = heldUpTo(cmp.Pairs)
	if cmp.Knee == slices.Max(cfg.Rates) {
		logf("searching Vegeta's knee from %g/s by %g/s", cfg.KneeFrom, cfg.KneeStep)
		for rate := cfg.KneeFrom; rate <= cfg.KneeMax; rate += cfg.KneeStep {
			r, err := run(ToolVegeta, rate, cfg.Duration)
			if err != nil {
				return cmp, err
			}
			logf("  %s", r)
			if !r.Held() {
				cmp.Past = rate
				break
			}
			cmp.Knee = rate
		}
	} else {
		cmp.Past = firstNotHeld(cmp.Pairs)
	}
	for _, k := range []struct {
		rate float64
		what string
	}{{cmp.Knee, "knee"}, {cmp.Past, "past the knee"}} {
		if k.rate == 0 || slices.Contains(cfg.Rates, k.rate) {
			continue
		}
		logf("%s: %g/s", k.what, k.rate)
		p, err := pair(k.rate, k.what)
		if err != nil {
			return cmp, err
		}
		cmp.Pairs = append(cmp.Pairs, p)
	}
	return cmp, nil
}

// heldUpTo is the highest rate of pairs up to which every Vegeta run held.
func heldUpTo(pairs []Pair) float64 {
	var knee float64
	for _, p := range pairs {
		if !slices.ContainsFunc(p.Vegeta, func(r ToolRun) bool { return !r.Held() }) && len(p.Vegeta) > 0 {
			knee = p.Rate
			continue
		}
		break
	}
	return knee
}

// firstNotHeld is the first rate of pairs at which a Vegeta run failed.
func firstNotHeld(pairs []Pair) float64 {
	for _, p := range pairs {
		if slices.ContainsFunc(p.Vegeta, func(r ToolRun) bool { return !r.Held() }) {
			return p.Rate
		}
	}
	return 0
}

func (r ToolRun) String() string {
	s := fmt.Sprintf("%-7s %6g/s: sent %.4f, ok %.4f, p99 %s, %s CPU/request, peak RSS %s",
		r.Tool, r.Rate, r.Achieved(), r.Success(), r.P99.Round(10*time.Microsecond), r.CPUPerRequest().Round(100*time.Nanosecond), mb(r.PeakRSS))
	if r.Saturation != "" {
		s += "; " + r.Saturation
	}
	return s
}

// vegetaTargets are the read-only mix's paths, for Vegeta's round robin.
func vegetaTargets(base string) string {
	var b strings.Builder
	for _, p := range []string{"/", "/owners/find", "/owners?lastName=Davis", "/owners/3", "/vets.html", "/vets", "/petclinic/api/owners/3", "/petclinic/api/vets"} {
		fmt.Fprintf(&b, "GET %s%s\n", base, p)
	}
	return b.String()
}

// vegetaReport is the part of `vegeta report -type=json` we read.
type vegetaReport struct {
	Latencies struct {
		P99 time.Duration `json:"99th"`
	} `json:"latencies"`
	Requests    uint64         `json:"requests"`
	Success     float64        `json:"success"`
	StatusCodes map[string]int `json:"status_codes"`
}

// parseVegetaReport reads a JSON report into a ToolRun's counts.
func parseVegetaReport(b []byte, r *ToolRun) error {
	var rep vegetaReport
	if err := json.Unmarshal(b, &rep); err != nil {
		return fmt.Errorf("vegeta report: %w", err)
	}
	if rep.Success < 0 || rep.Success > 1 {
		return fmt.Errorf("vegeta report: success %g is not a ratio", rep.Success)
	}
	r.Requests, r.P99 = rep.Requests, rep.Latencies.P99
	r.OK = uint64(float64(rep.Requests)*rep.Success + 0.5)
	return nil
}

// vegetaAttack runs `vegeta attack` for d at rate (its own defaults but the
// 5 s timeout gameday uses) into results, measures the process, then reads
// `vegeta report -type=json`.
func vegetaAttack(ctx context.Context, vegeta, targets, results string, rate float64, d time.Duration) (ToolRun, error) {
	r := ToolRun{Tool: ToolVegeta, Rate: rate, Duration: d}
	ru, _, err := measured(ctx, vegeta, "attack", "-rate", strconv.FormatFloat(rate, 'f', -1, 64), "-duration", d.String(),
		"-timeout", "5s", "-targets", targets, "-output", results)
	if err != nil {
		return r, err
	}
	r.CPU, r.PeakRSS = cpuOf(ru), ru.Maxrss<<10
	_, out, err := measured(ctx, vegeta, "report", "-type", "json", results)
	if err != nil {
		return r, err
	}
	return r, parseVegetaReport(out, &r)
}

// gamedayAttack runs `harnessbench attack` (load.Attack, the generator of
// a game day) for d at rate and measures the process.
func gamedayAttack(ctx context.Context, self []string, url string, rate float64, d time.Duration) (ToolRun, error) {
	r := ToolRun{Tool: ToolGameday, Rate: rate, Duration: d}
	args := append(append([]string{}, self[1:]...), "attack", "--target", url, "--rate", strconv.FormatFloat(rate, 'f', -1, 64), "--duration", d.String())
	ru, out, err := measured(ctx, self[0], args...)
	if err != nil {
		return r, err
	}
	var f AttackFigures
	if err := json.Unmarshal(out, &f); err != nil {
		return r, fmt.Errorf("attack: output: %w", err)
	}
	r.Requests, r.OK, r.P99 = f.Sent, f.OK, f.P99
	r.CPU, r.PeakRSS = cpuOf(ru), ru.Maxrss<<10
	if s := f.Generator.Saturation; s != nil {
		r.Saturation = s.Message()
	}
	return r, nil
}

// measured runs a command to its end and returns its resource usage and
// stdout.
func measured(ctx context.Context, name string, args ...string) (*syscall.Rusage, []byte, error) {
	cmd := exec.CommandContext(ctx, name, args...) // #nosec G204 -- this program or the pinned Vegeta
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Run(); err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w: %s", filepath.Base(name), args[0], err, strings.TrimSpace(errb.String()))
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return nil, nil, errors.New("no resource usage for " + name)
	}
	return ru, out.Bytes(), nil
}

func cpuOf(ru *syscall.Rusage) time.Duration { return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()) }

// meanCPU is the mean CPU per request of runs.
func meanCPU(runs []ToolRun) time.Duration {
	if len(runs) == 0 {
		return 0
	}
	var sum time.Duration
	for _, r := range runs {
		sum += r.CPUPerRequest()
	}
	return sum / time.Duration(len(runs))
}

// worst is the least of f over runs (0 for none).
func worst(runs []ToolRun, f func(ToolRun) float64) float64 {
	if len(runs) == 0 {
		return 0
	}
	m := f(runs[0])
	for _, r := range runs[1:] {
		m = min(m, f(r))
	}
	return m
}

func peak(runs []ToolRun) int64 {
	var m int64
	for _, r := range runs {
		m = max(m, r.PeakRSS)
	}
	return m
}

// CPURatio is gameday's mean CPU per request over Vegeta's at this rate.
func (p Pair) CPURatio() float64 {
	v := meanCPU(p.Vegeta)
	if v <= 0 {
		return 0
	}
	return float64(meanCPU(p.Gameday)) / float64(v)
}

// Checks compares the figures with the targets: at every rate up to
// Vegeta's knee, gameday's CPU per request, success and achieved rate
// against Vegeta's; at every rate, gameday's memory. Pure.
func (c Comparison) Checks() []Check {
	var out []Check
	for _, p := range c.Pairs {
		r := trimFloat(p.Rate) + "/s"
		if p.Rate <= c.Knee {
			ratio := p.CPURatio()
			out = append(out, Check{"CPU/request gameday ÷ vegeta, " + r, f2(ratio), "<= " + f2(TargetCPURatio), ratio > 0 && ratio <= TargetCPURatio})
			for _, k := range []struct {
				name string
				f    func(ToolRun) float64
			}{{"ok", ToolRun.Success}, {"sent/requested", ToolRun.Achieved}} {
				g, v := worst(p.Gameday, k.f), worst(p.Vegeta, k.f)
				out = append(out, Check{k.name + " gameday vs vegeta, " + r, f4(g) + " vs " + f4(v), ">= vegeta-" + f2(TargetSlack), g > 0 && g >= v-TargetSlack})
			}
		}
		rss := peak(p.Gameday)
		out = append(out, Check{"peak RSS gameday, " + r, mb(rss), fmt.Sprintf("< %d MiB", TargetRSS>>20), rss > 0 && rss < TargetRSS})
	}
	return out
}

// Passed reports whether every target was met.
func (c Comparison) Passed() bool {
	for _, ck := range c.Checks() {
		if !ck.OK {
			return false
		}
	}
	return len(c.Pairs) > 0
}

// Report writes the side-by-side table and the targets.
func (c Comparison) Report(w io.Writer) {
	cfg := c.Config
	fmt.Fprintf(w, "\ngameday's generator (load.Attack, read-only mix) and Vegeta's CLI (%s, its defaults, -timeout 5s, the mix's paths in turn)\n", "v12.13.0")
	fmt.Fprintf(w, "against one hello server on 127.0.0.1, %s per attack, interleaved over %d rounds; CPU and peak RSS of each attacking process (wait4)\n", cfg.Duration, cfg.Rounds)
	knee := "it held every rate searched"
	switch {
	case c.Knee == 0:
		knee = "it held none of them"
	case c.Past > 0:
		knee = fmt.Sprintf("%s/s, not %s/s", trimFloat(c.Knee), trimFloat(c.Past))
	}
	fmt.Fprintf(w, "Vegeta's knee (the last rate it sent and succeeded %.0f%% of): %s; gameday idle: peak RSS %s\n\n", 100*KneeHeld, knee, mb(c.Baseline.PeakRSS))
	fmt.Fprintf(w, "%-9s %-14s %-8s %9s %8s %10s %12s %6s %10s\n", "rate", "", "tool", "sent/req", "ok", "p99", "CPU/request", "ratio", "peak RSS")
	for _, p := range c.Pairs {
		for _, tool := range []struct {
			name string
			runs []ToolRun
		}{{ToolVegeta, p.Vegeta}, {ToolGameday, p.Gameday}} {
			ratio := "-"
			if tool.name == ToolGameday {
				ratio = f2(p.CPURatio())
			}
			var p99 time.Duration
			for _, r := range tool.runs {
				p99 = max(p99, r.P99)
			}
			fmt.Fprintf(w, "%-9s %-14s %-8s %9.4f %7.2f%% %10s %12s %6s %10s\n", trimFloat(p.Rate)+"/s", p.Knee, tool.name,
				worst(tool.runs, ToolRun.Achieved), 100*worst(tool.runs, ToolRun.Success), p99.Round(10*time.Microsecond),
				meanCPU(tool.runs).Round(100*time.Nanosecond), ratio, mb(peak(tool.runs)))
		}
		for _, r := range p.Gameday {
			if r.Saturation != "" {
				fmt.Fprintf(w, "  gameday: %s\n", r.Saturation)
				break
			}
		}
	}
	fmt.Fprintln(w)
	writeChecks(w, "%-40s %22s %16s  %s\n", c.Checks())
}
