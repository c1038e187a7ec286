// Command capacitybench measures `gameday capacity` on the sandbox, as
// the gameday binary an operator runs: a sandbox whose replicas are
// throttled to a known capacity (PetClinic's --rate-limit), the search
// with every zone and with zone-a lost, its wall time and steps. The
// baseline is measured in the same run: one game day of the same
// experiment at the first rate (`gameday run`), what a hand-run step
// costs; and, as the anchor, Vegeta's CLI at 0.9 and 1.2 times the known
// capacity against the same balancer (the throttle seen by another load
// generator). It also says how many steps a linear ramp of the same
// resolution would have taken (counted, not run). See harness/README.md,
// section Performance.
//
//	capacitybench --gameday bin/gameday --petclinic bin/petclinic   # the figures of record (make bench), about 6 minutes
//
// It exits 1 when the search misses the known capacity by more than one
// step, 2 on bad flags.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/capacity"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code, err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "capacitybench: %s\n", err)
	}
	stop()
	os.Exit(code)
}

type options struct {
	gameday, petclinic, experiment, vegeta string
	replicas                               int
	perReplica, peak, resolution           float64
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("capacitybench", flag.ContinueOnError)
	var o options
	fs.StringVar(&o.gameday, "gameday", "bin/gameday", "the gameday binary")
	fs.StringVar(&o.petclinic, "petclinic", "bin/petclinic", "the PetClinic binary of the sandbox")
	fs.StringVar(&o.experiment, "experiment", "experiments/capacity.yaml", "the step's experiment")
	fs.StringVar(&o.vegeta, "vegeta", "", "Vegeta's CLI, the anchor (default: on PATH, else ~/.cache/gameday/bin/vegeta; none: skipped)")
	fs.IntVar(&o.replicas, "replicas", 3, "replicas of the sandbox, one zone in three")
	fs.Float64Var(&o.perReplica, "replica-rate-limit", 30, "req/s each replica serves: the known capacity is replicas × this")
	fs.Float64Var(&o.peak, "peak", 55, "the production peak the answer compares with, req/s")
	fs.Float64Var(&o.resolution, "resolution", capacity.DefaultResolution, "the search's resolution")
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	if o.replicas < 3 || o.replicas%3 != 0 || o.perReplica <= 0 {
		return 2, fmt.Errorf("--replicas %d --replica-rate-limit %g: want a multiple of 3 (a zone is a third) and a rate above 0", o.replicas, o.perReplica)
	}
	for _, p := range []*string{&o.gameday, &o.petclinic, &o.experiment} {
		abs, err := filepath.Abs(*p)
		if err != nil {
			return 2, err
		}
		*p = abs
	}
	work, err := os.MkdirTemp("", "gd-capbench-")
	if err != nil {
		return 1, err
	}
	defer os.RemoveAll(work)
	sbx, reports := filepath.Join(work, "sbx"), filepath.Join(work, "reports")
	log := func(format string, a ...any) { fmt.Fprintf(stderr, "capacitybench: "+format+"\n", a...) }
	gd := func(ctx context.Context, out io.Writer, args ...string) error {
		cmd := exec.CommandContext(ctx, o.gameday, args...)
		cmd.Env = append(os.Environ(), "GAMEDAY_HOME="+work, "GAMEDAY_PETCLINIC_BIN="+o.petclinic)
		var errb strings.Builder
		cmd.Stdout, cmd.Stderr = out, &errb
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("gameday %s: %w: %s", strings.Join(args[:1], " "), err, errb.String())
		}
		return nil
	}

	if err := gd(ctx, io.Discard, "sandbox", "up", "--sandbox-dir", sbx, "--replicas", strconv.Itoa(o.replicas),
		"--replica-rate-limit", strconv.FormatFloat(o.perReplica, 'g', -1, 64)); err != nil {
		return 1, err
	}
	defer func() {
		dctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
		defer cancel()
		if err := gd(dctx, io.Discard, "sandbox", "down", "--sandbox-dir", sbx); err != nil {
			log("%v", err)
		}
	}()
	known := float64(o.replicas) * o.perReplica
	knownZone := known * 2 / 3
	log("sandbox up: %d replicas at %g req/s each, a known capacity of %g req/s (%g with a zone lost)", o.replicas, o.perReplica, known, knownZone)
	url, err := balancerURL(ctx, gd, sbx)
	if err != nil {
		return 1, err
	}

	// The baseline: one game day of the experiment at its rate, by hand.
	t0 := time.Now()
	if err := gd(ctx, io.Discard, "run", "--sandbox-dir", sbx, "--reports-dir", reports, "--run-id", "one-step", "--no-color", o.experiment); err != nil {
		return 1, err
	}
	oneStep := time.Since(t0)
	log("one game day of %s: %s", filepath.Base(o.experiment), oneStep.Round(time.Millisecond))

	var out strings.Builder
	t0 = time.Now()
	err = gd(ctx, &out, "capacity", "--sandbox-dir", sbx, "--reports-dir", reports, "--run-id", "bench", "--no-color", "--output", "json",
		"--peak", strconv.FormatFloat(o.peak, 'g', -1, 64), "--resolution", strconv.FormatFloat(o.resolution, 'g', -1, 64), o.experiment)
	wall := time.Since(t0)
	var res capacity.Result
	if jerr := json.Unmarshal([]byte(out.String()), &res); jerr != nil {
		return 1, errors.Join(err, fmt.Errorf("capacity --output json: %w", jerr))
	}
	if err != nil && res.ExitCode != 1 { // 1: the answer is no, still a result
		return 1, err
	}
	log("search: %s in %s", res.Answer.Line, wall.Round(time.Second))
	for _, s := range res.Steps() {
		log("  step %d %s %g req/s: %s %s", s.N, s.Phase, s.Rate, s.Outcome, strings.Join(s.Reasons, "; "))
	}

	anchors := anchor(ctx, o, url, known, log)

	ok := true
	rows := [][]string{}
	add := func(what, measured, goal string, pass *bool) {
		res := ""
		if pass != nil {
			res = map[bool]string{true: "PASS", false: "FAIL"}[*pass]
			ok = ok && *pass
		}
		rows = append(rows, []string{what, measured, goal, res})
	}
	var load float64
	minSent := math.Inf(1)
	for _, s := range res.Steps() {
		load += s.Seconds
		minSent = math.Min(minSent, s.Sent)
	}
	add("search wall time", wall.Round(time.Second).String(), "-", nil)
	add("  steps (every zone + zone-a lost)", fmt.Sprintf("%d (%d + %d)", res.Cost.Steps, steps(res.AllZones), steps(res.ZoneDown)),
		fmt.Sprintf("<= %d", res.Cost.MaxSteps), ptr(res.Cost.Steps <= res.Cost.MaxSteps))
	add("  over one game day by hand (gameday run)", fmt.Sprintf("%.1fx (%s)", wall.Seconds()/oneStep.Seconds(), oneStep.Round(time.Millisecond)), "-", nil)
	add("  the steps' game days / wall time", fmt.Sprintf("%.2f", load/wall.Seconds()), "-", nil)
	add("  a linear ramp to the same resolution would take", fmt.Sprintf("%d steps", linearSteps(res.Search.From, known, o.resolution)+
		linearSteps(res.Search.From, knownZone, o.resolution)), "-", nil)
	add("  lowest share of the rate sent (generator not the limit)", fmt.Sprintf("%.0f%%", 100*minSent), ">= 95%", ptr(minSent >= 0.95))
	for _, ph := range []struct {
		name  string
		p     *capacity.Phase
		known float64
	}{{"every zone", res.AllZones, known}, {"zone-a lost", res.ZoneDown, knownZone}} {
		if ph.p == nil {
			add("capacity, "+ph.name, "not measured", fmt.Sprintf("%g req/s", ph.known), ptr(false))
			continue
		}
		// Within one step: the known capacity between the highest rate
		// that held and the lowest that broke, give or take the throttle's
		// burst (half a second at the start of a step) and the request a
		// second of the experiment's front-door probe.
		step := res.Search.StepSeconds
		in := ph.p.Outcome == capacity.Found && ph.p.Capacity <= ph.known*(1+0.5/step) && ph.p.Broke >= ph.known-1
		add("capacity, "+ph.name, fmt.Sprintf("%g req/s (broke at %g)", ph.p.Capacity, ph.p.Broke),
			fmt.Sprintf("%g req/s within a step", ph.known), &in)
	}
	for _, a := range anchors {
		add(a[0], a[1], "-", nil)
	}
	fmt.Fprintf(stdout, "\ngameday capacity on the sandbox: %d replicas throttled to %g req/s each, %s\n", o.replicas, o.perReplica, filepath.Base(o.experiment))
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "figure\tmeasured\tgoal\tresult\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", r[0], r[1], r[2], r[3])
	}
	tw.Flush()
	fmt.Fprintln(stdout, res.Answer.Line)
	if !ok {
		return 1, errors.New("a target was missed")
	}
	return 0, nil
}

func ptr(b bool) *bool { return &b }

func steps(p *capacity.Phase) int {
	if p == nil {
		return 0
	}
	return len(p.Steps)
}

// linearSteps is how many steps a ramp from `from` in increments of
// resolution × capacity takes to pass the capacity: the hand-written
// stepped experiment at the same resolution.
func linearSteps(from, capacity, resolution float64) int {
	inc := resolution * capacity
	return int(math.Floor((capacity-from)/inc)) + 2
}

// balancerURL reads the sandbox's URL from gameday sandbox status.
func balancerURL(ctx context.Context, gd func(context.Context, io.Writer, ...string) error, sbx string) (string, error) {
	var out strings.Builder
	if err := gd(ctx, &out, "sandbox", "status", "--sandbox-dir", sbx, "--output", "json"); err != nil {
		return "", err
	}
	var st struct {
		URL string `json:"url"`
	}
	if err := json.Unmarshal([]byte(out.String()), &st); err != nil || st.URL == "" {
		return "", fmt.Errorf("sandbox status: no url (%v): %s", err, out.String())
	}
	return st.URL, nil
}

// anchor runs Vegeta's CLI at 0.9 and 1.2 × the known capacity for 10 s
// against the sandbox's API and says the share answered 429 (rows of
// figure and measurement); no Vegeta: a row saying so.
func anchor(ctx context.Context, o options, url string, known float64, log func(string, ...any)) [][2]string {
	bin := o.vegeta
	if bin == "" {
		if p, err := exec.LookPath("vegeta"); err == nil {
			bin = p
		} else if home, err := os.UserHomeDir(); err == nil {
			if p := filepath.Join(home, ".cache", "gameday", "bin", "vegeta"); fileExists(p) {
				bin = p
			}
		}
	}
	if bin == "" {
		return [][2]string{{"anchor: Vegeta's CLI", "skipped: not found (--vegeta)"}}
	}
	var rows [][2]string
	for _, f := range []float64{0.9, 1.2} {
		rate := math.Round(f * known)
		attack := exec.CommandContext(ctx, bin, "attack", "-rate", strconv.FormatFloat(rate, 'f', 0, 64)+"/s", "-duration", "10s", "-timeout", "2s")
		attack.Stdin = strings.NewReader("GET " + url + "/petclinic/api/vets\n")
		report := exec.CommandContext(ctx, bin, "report", "-type", "json")
		pipe, err := attack.StdoutPipe()
		if err != nil {
			return append(rows, [2]string{"anchor: Vegeta's CLI", err.Error()})
		}
		report.Stdin = pipe
		var out strings.Builder
		report.Stdout = &out
		if err := attack.Start(); err != nil {
			return append(rows, [2]string{"anchor: Vegeta's CLI", err.Error()})
		}
		rerr := report.Run()
		aerr := attack.Wait()
		var m struct {
			Requests    int            `json:"requests"`
			Throughput  float64        `json:"throughput"`
			StatusCodes map[string]int `json:"status_codes"`
		}
		if err := errors.Join(rerr, aerr, json.Unmarshal([]byte(out.String()), &m)); err != nil || m.Requests == 0 {
			return append(rows, [2]string{"anchor: Vegeta's CLI", fmt.Sprintf("failed: %v", err)})
		}
		share := float64(m.StatusCodes["429"]) / float64(m.Requests)
		log("vegeta at %g req/s: %d requests, %.1f%% answered 429", rate, m.Requests, 100*share)
		rows = append(rows, [2]string{fmt.Sprintf("anchor: vegeta attack at %.1f × capacity (%g req/s), 10 s", f, rate),
			fmt.Sprintf("%.1f%% 429, %.0f req/s served", 100*share, m.Throughput)})
		time.Sleep(2 * time.Second) // let the buckets fill again
	}
	return rows
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
