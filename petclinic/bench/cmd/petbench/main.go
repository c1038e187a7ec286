// Command petbench compares PetClinic with a bare net/http handler on this
// machine: throughput ratio, start to ready, and memory under steady load.
//
//	petbench --petclinic bin/petclinic           # the whole benchmark (make bench)
//	petbench hello                               # the baseline server, on $PORT
//
// It exits 1 when a target is missed, 2 on bad flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/gamedayhq/gameday/petclinic/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code, err := run(ctx, os.Args, os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "petbench: %s\n", err)
	}
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	if len(args) > 1 && args[1] == "hello" {
		if err := bench.ServeHello(ctx, os.Getenv("PORT")); err != nil {
			return 1, err
		}
		return 0, nil
	}
	self, err := os.Executable()
	if err != nil {
		return 1, err
	}
	cfg := bench.Config{Hello: []string{self, "hello"}}
	fs := flag.NewFlagSet("petbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.Petclinic, "petclinic", "", "path of the petclinic binary (required)")
	fs.StringVar(&cfg.Wrk, "wrk", "wrk", "the wrk binary that drives the throughput runs")
	fs.IntVar(&cfg.Threads, "threads", 2, "wrk threads (-t)")
	fs.IntVar(&cfg.Connections, "connections", 32, "wrk connections (-c)")
	fs.IntVar(&cfg.Workers, "workers", 16, "workers and connections of the constant-rate memory run (vegeta)")
	fs.DurationVar(&cfg.Warmup, "warmup", 1e9, "unmeasured load before each measurement")
	fs.DurationVar(&cfg.Duration, "duration", 8e9, "measured load per target and round (whole seconds)")
	fs.IntVar(&cfg.Rounds, "rounds", 5, "interleaved rounds (the median is reported)")
	fs.IntVar(&cfg.Slices, "slices", 4, "slices each round's measurement is cut into, the targets taking turns")
	fs.IntVar(&cfg.StartRuns, "start-runs", 5, "start-to-ready samples, on fresh and on existing databases")
	fs.IntVar(&cfg.RSSRate, "rss-rate", 500, "requests per second of the memory run")
	fs.DurationVar(&cfg.RSSDuration, "rss-duration", 60e9, "length of the memory run")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, nil
		}
		return 2, err
	}
	res, err := bench.Run(ctx, cfg, stderr)
	if err != nil {
		return 1, err
	}
	res.Report(stdout)
	if !res.Passed() {
		return 1, errors.New("a target was missed")
	}
	return 0, nil
}
