package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/sandbox"
	"github.com/gamedayhq/gameday/harness/internal/sandbox/chaos"
)

// sandboxDir is --sandbox-dir or the default directory.
func sandboxDir(c *ucli.Context) (string, error) {
	return runOptions{SandboxDir: c.String(flagSandboxDir)}.sandboxDir()
}

func sandboxCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "sandbox",
		Usage: "start, inspect and stop the local sandbox (PetClinic over three zones)",
		Description: `The sandbox is the embedded target: PetClinic replicas over zones zone-a, zone-b and
zone-c behind a load balancer with health checks, a supervisor that restarts killed
replicas, and a real Prometheus scraping them. Its state lives in one directory.

EXAMPLES:
   gameday sandbox up
   gameday sandbox up --replicas 6
   gameday sandbox status --output json
   gameday sandbox down`,
		Subcommands: []*ucli.Command{
			{
				Name:  "up",
				Usage: "start the sandbox (idempotent) and wait until it is ready",
				Description: `Starts the supervisor daemon, the replicas, the balancer and Prometheus, and waits until
every replica and Prometheus are ready. When a sandbox already runs there, prints its
status and starts nothing. Needs the petclinic binary ($GAMEDAY_PETCLINIC_BIN or on
PATH) and prometheus ($GAMEDAY_PROMETHEUS_BIN or on PATH).

EXAMPLES:
   gameday sandbox up
   GAMEDAY_PETCLINIC_BIN=./bin/petclinic gameday sandbox up --replicas 3
   gameday sandbox up --replicas 6 --replica-rate-limit 30   # a known capacity: 6 × 30 req/s`,
				Flags: []ucli.Flag{sandboxDirFlag(), outputFlag(),
					&ucli.IntFlag{Name: "replicas", Value: sandbox.DefaultReplicas, Usage: "number of PetClinic replicas"},
					&ucli.BoolFlag{Name: "mariadb", Usage: "put the replicas on one MariaDB instead of a shared SQLite file"},
					&ucli.StringFlag{Name: "redis", Value: "auto", Usage: "Redis cache: auto, on or off"},
					&ucli.StringFlag{Name: "log-level", Value: sandbox.DefaultLogLevel, Usage: "the replicas' log level: info writes one JSON access line per request (logs/petclinic-N.log, listed with their labels in logs/" + sandbox.LokiTargetsFile + " for a Loki collector); warn keeps warnings and errors"},
					&ucli.Float64Flag{Name: "replica-rate-limit", Usage: "throttle each replica to this many requests per second (PetClinic --rate-limit; excess answered 429): a known capacity"},
				},
				Action: func(c *ucli.Context) error {
					o, err := output(c)
					if err != nil {
						return err
					}
					dir, err := sandboxDir(c)
					if err != nil {
						return err
					}
					if c.Int("replicas") < 1 {
						return exitcode.Invalidf("--replicas %d: at least 1", c.Int("replicas"))
					}
					if l := c.String("log-level"); !slices.Contains([]string{"debug", "info", "warn", "error"}, l) {
						return exitcode.Invalidf("--log-level %q: use debug, info, warn or error", l)
					}
					if r := c.Float64("replica-rate-limit"); r < 0 || math.IsNaN(r) || math.IsInf(r, 0) {
						return exitcode.Invalidf("--replica-rate-limit %g: 0 (none) or more", r)
					}
					st, err := sandbox.Up(c.Context, sandbox.Config{Dir: dir, Replicas: c.Int("replicas"), MariaDB: c.Bool("mariadb"), Redis: c.String("redis"), LogLevel: c.String("log-level"),
						ReplicaRateLimit: c.Float64("replica-rate-limit")})
					if err != nil {
						return exitcode.Infraf("sandbox up: %w (see the logs in %s; gameday sandbox down cleans up)", err, dir)
					}
					return printState(c.App.Writer, o, st)
				},
			},
			{
				Name:  "down",
				Usage: "stop every process of the sandbox and remove its directory",
				Description: `Stops the supervisor (which drains its replicas), then every process still carrying the
sandbox's marker, and removes the directory. Safe when nothing runs.

EXAMPLES:
   gameday sandbox down`,
				Flags: []ucli.Flag{sandboxDirFlag()},
				Action: func(c *ucli.Context) error {
					dir, err := sandboxDir(c)
					if err != nil {
						return err
					}
					if err := sandbox.Down(c.Context, dir); err != nil {
						return exitcode.Infraf("sandbox down: %w", err)
					}
					fmt.Fprintf(c.App.Writer, "sandbox in %s is down\n", dir)
					return nil
				},
			},
			{
				Name:  "status",
				Usage: "show the sandbox: URLs, replicas per zone, readiness, restarts",
				Description: `Prints the sandbox's state as its supervisor last wrote it. Exit 0 when it runs and is
ready, 3 when it is not running or not ready.

EXAMPLES:
   gameday sandbox status
   gameday sandbox status --output json | jq .url`,
				Flags: []ucli.Flag{sandboxDirFlag(), outputFlag()},
				Action: func(c *ucli.Context) error {
					o, err := output(c)
					if err != nil {
						return err
					}
					dir, err := sandboxDir(c)
					if err != nil {
						return err
					}
					st, err := sandbox.Status(c.Context, dir)
					if err != nil {
						return exitcode.Infraf("sandbox status: %w: start it with gameday sandbox up", err)
					}
					if err := printState(c.App.Writer, o, st); err != nil {
						return err
					}
					if !st.Running {
						return exitcode.Infraf("sandbox in %s is not running (supervisor gone%s): gameday sandbox down, then up", dir, suffix(st.Error))
					}
					if !st.Ready() {
						return exitcode.Infraf("sandbox in %s is not ready yet: wait, or see its logs", dir)
					}
					return nil
				},
			},
			{
				Name:   "supervise",
				Usage:  "run the sandbox's supervisor daemon (started by sandbox up)",
				Hidden: true,
				Flags:  []ucli.Flag{&ucli.StringFlag{Name: "dir", Required: true}},
				Action: func(c *ucli.Context) error {
					dir := c.String("dir")
					if err := sandbox.Supervise(c.Context, dir, sandbox.WithDeadlines(chaos.New(dir, 1).Expire)); err != nil && !errors.Is(err, context.Canceled) {
						return exitcode.Infraf("sandbox supervise: %w", err)
					}
					return nil
				},
			},
		},
	}
}

func suffix(s string) string {
	if s == "" {
		return ""
	}
	return ": " + s
}

func printState(w io.Writer, out string, st *sandbox.State) error {
	if out == "json" {
		return writeJSON(w, st)
	}
	state := "running"
	switch {
	case !st.Running:
		state = "NOT RUNNING"
	case !st.Ready():
		state = "running, NOT READY"
	}
	fmt.Fprintf(w, "sandbox     %s (%s)\n", st.Dir, state)
	fmt.Fprintf(w, "url         %s\n", st.URL)
	fmt.Fprintf(w, "prometheus  %s (ready %t)\n", st.Prometheus.URL, st.Prometheus.Ready)
	fmt.Fprintf(w, "database    %s\n", st.Database)
	byZone := st.ReadyByZone()
	zones := make([]string, 0, len(byZone))
	for z := range byZone {
		zones = append(zones, z)
	}
	sort.Strings(zones)
	var parts []string
	for _, z := range zones {
		parts = append(parts, fmt.Sprintf("%s=%d", z, byZone[z]))
	}
	fmt.Fprintf(w, "ready       %s (desired %d)\n", strings.Join(parts, " "), st.Desired)
	fmt.Fprintf(w, "%-14s %-8s %-7s %-6s %-9s %s\n", "POD", "ZONE", "READY", "PID", "RESTARTS", "BALANCER")
	for _, p := range st.Pods {
		fmt.Fprintf(w, "%-14s %-8s %-7t %-6d %-9d %s\n", p.Name, p.Labels[sandbox.LabelZone], p.Ready, p.PID, p.Restarts, p.Balancer)
	}
	if !st.Updated.IsZero() {
		fmt.Fprintf(w, "updated     %s ago\n", time.Since(st.Updated).Round(time.Second))
	}
	return nil
}
