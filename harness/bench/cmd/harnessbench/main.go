// Command harnessbench measures the gameday harness on this machine: the
// load generator beside Vegeta's CLI on one hello server at 2,000, 8,000
// and 12,000/s and at Vegeta's knee, the generator at 2,000 req/s against
// the sandbox and against a bare hello server, its CPU and memory, and its
// memory over a short and a long game day. See harness/README.md, section
// Performance.
//
//	harnessbench --vegeta PATH         # the whole benchmark (make bench), about 12 minutes
//	harnessbench --vegeta PATH --compare-only   # only the side-by-side with Vegeta, about 4 minutes
//	harnessbench --quick               # 10 s attacks, 20 s and 60 s game days
//	harnessbench --access-log          # the cost of the replicas' access log: sandboxes at warn and info, about 3 minutes
//
// Subcommands run the measured pieces in fresh processes: hello, attack,
// maxrate, gameday, and supervise (the sandbox's daemon). It exits 1 when
// a target is missed, 2 on bad flags.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gamedayhq/gameday/harness/bench"
	"github.com/gamedayhq/gameday/harness/internal/sandbox"
	"github.com/gamedayhq/gameday/harness/internal/sandbox/chaos"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code, err := run(ctx, os.Args, os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "harnessbench: %s\n", err)
	}
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	if len(args) > 1 {
		switch args[1] {
		case "hello":
			return exit(bench.ServeHello(ctx, os.Getenv("PORT")))
		case "supervise":
			if len(args) != 3 {
				return 2, errors.New("usage: harnessbench supervise DIR")
			}
			if err := sandbox.Supervise(ctx, args[2], sandbox.WithDeadlines(chaos.New(args[2], 1).Expire)); err != nil && !errors.Is(err, context.Canceled) {
				return 1, err
			}
			return 0, nil
		case "attack", "gameday", "maxrate":
			return measure(ctx, args[1], args[2:], stdout, stderr)
		}
	}
	self, err := os.Executable()
	if err != nil {
		return 1, err
	}
	cfg := bench.Config{Self: []string{self}}
	var quick, accessLog bool
	var rounds int
	fs := flag.NewFlagSet("harnessbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.Petclinic, "petclinic", "", "PetClinic binary (default $GAMEDAY_PETCLINIC_BIN, else bin/petclinic)")
	fs.StringVar(&cfg.Prometheus, "prometheus", "", "Prometheus binary (default $GAMEDAY_PROMETHEUS_BIN, else prometheus)")
	fs.Float64Var(&cfg.Rate, "rate", 2000, "requests per second of the attacks")
	fs.DurationVar(&cfg.Duration, "duration", 60*time.Second, "length of each attack")
	fs.Float64Var(&cfg.MemRate, "mem-rate", 200, "requests per second of the game days")
	fs.DurationVar(&cfg.MemShort, "mem-short", time.Minute, "length of the short game day")
	fs.DurationVar(&cfg.MemLong, "mem-long", 5*time.Minute, "length of the long game day")
	fs.BoolVar(&cfg.Sequential, "sequential", false, "run the game days one after the other instead of side by side")
	fs.BoolVar(&quick, "quick", false, "10s attacks, 20s and 60s game days (a smoke run; the figures of record are the full ones)")
	fs.BoolVar(&accessLog, "access-log", false, "measure the cost of the replicas' access log instead: sandboxes at warn and at info, attacked at their max rate")
	fs.IntVar(&rounds, "rounds", 0, "rounds: with --access-log, of one sandbox at warn and one at info (default 3); else of the side-by-side with Vegeta, the order of the two tools alternating (default 2)")
	cmp := bench.CompareConfig{Self: []string{self}}
	var compareOnly bool
	var rates string
	fs.StringVar(&cmp.Vegeta, "vegeta", "", "Vegeta's CLI: run it beside gameday's generator (make bench builds v12.13.0 into the tool cache)")
	fs.BoolVar(&compareOnly, "compare-only", false, "only the side-by-side with Vegeta (no sandbox, no game day)")
	fs.StringVar(&rates, "compare-rates", "2000,8000,12000", "rates of the side-by-side, before the knee search")
	fs.DurationVar(&cmp.Duration, "compare-duration", 10*time.Second, "length of each side-by-side attack")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, nil
		}
		return 2, err
	}
	if quick {
		cfg.Duration, cfg.MemShort, cfg.MemLong = 10*time.Second, 20*time.Second, time.Minute
	}
	if accessLog {
		if rounds == 0 {
			rounds = 3
		}
		res, err := bench.AccessLog(ctx, bench.AccessLogConfig{Config: cfg, Rounds: rounds}, stderr)
		if err != nil {
			return 1, err
		}
		res.Report(stdout)
		if !res.Passed() {
			return 1, errors.New("a target was missed")
		}
		return 0, nil
	}
	cmp.Rounds = rounds
	if cmp.Rounds == 0 {
		cmp.Rounds = 2
	}
	for _, r := range strings.Split(rates, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(r), 64)
		if err != nil || v <= 0 {
			return 2, fmt.Errorf("--compare-rates: %q is not a rate", r)
		}
		cmp.Rates = append(cmp.Rates, v)
	}
	if compareOnly && cmp.Vegeta == "" {
		return 2, errors.New("--compare-only needs --vegeta PATH (bash -c '. scripts/lib.sh && go_tool vegeta github.com/tsenart/vegeta/v12 v12.13.0')")
	}
	passed := true
	if cmp.Vegeta != "" {
		c, err := bench.Compare(ctx, cmp, stderr)
		if err != nil {
			return 1, err
		}
		c.Report(stdout)
		passed = c.Passed()
	} else {
		fmt.Fprintln(stderr, "harnessbench: no --vegeta: the side-by-side with Vegeta's CLI is skipped (make bench passes it)")
	}
	if !compareOnly {
		res, err := bench.Run(ctx, cfg, stderr)
		if err != nil {
			return 1, err
		}
		res.Report(stdout)
		passed = passed && res.Passed()
	}
	if !passed {
		return 1, errors.New("a target was missed")
	}
	return 0, nil
}

// measure runs one measured piece in this (fresh) process and writes its
// figures as JSON to stdout.
func measure(ctx context.Context, what string, args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("harnessbench "+what, flag.ContinueOnError)
	fs.SetOutput(stderr)
	target := fs.String("target", "", "base URL of the target")
	rate := fs.Float64("rate", 0, "requests per second")
	d := fs.Duration("duration", 0, "length")
	dir := fs.String("sandbox-dir", "", "sandbox directory (gameday)")
	promURL := fs.String("prometheus", "", "Prometheus URL (gameday)")
	reports := fs.String("reports-dir", "", "reports directory (gameday)")
	workers := fs.Int("workers", 32, "connections (maxrate)")
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	var v any
	var err error
	switch what {
	case "attack":
		v, err = bench.MeasureAttack(ctx, *target, *rate, *d)
	case "maxrate":
		v, err = bench.MeasureMaxRate(ctx, *target, *workers, 3*time.Second, *d)
	default:
		v, err = bench.MeasureGameDay(ctx, *dir, *target, *promURL, *reports, *rate, *d)
	}
	if err != nil {
		return 1, err
	}
	return exit(json.NewEncoder(stdout).Encode(v))
}

func exit(err error) (int, error) {
	if err != nil {
		return 1, err
	}
	return 0, nil
}
