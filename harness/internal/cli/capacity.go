package cli

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"math"
	"path/filepath"

	ucli "github.com/urfave/cli/v2"

	"github.com/gamedayhq/gameday/harness/internal/capacity"
	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/history"
	"github.com/gamedayhq/gameday/harness/internal/report"
	"github.com/gamedayhq/gameday/harness/internal/runner"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// DefaultCapacityExperiment is the experiment gameday capacity loads
// without an argument.
const DefaultCapacityExperiment = "experiments/capacity.yaml"

func capacityCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "capacity",
		Usage:     "find the highest request rate at which the SLOs hold, with every zone and with one zone lost",
		ArgsUsage: "[EXPERIMENT.yaml] (default " + DefaultCapacityExperiment + ")",
		Description: `A bounded search over the request rate: each step is a short game day of the experiment at one
constant rate (its load.duration; its constant rate is the first step), judged by the SLOs on
the client side over the step's window (error ratio, p95, p99; defaults: the API SLOs of slo/).
The rate doubles until a step breaks, then the search bisects until the highest rate that held
and the lowest that broke are within --resolution. Then again with every replica of --zone
failed (PodChaos pod-failure, as experiments/zone-outage.yaml), measured after --settle.
A step whose load generator could not send the rate stops the search, inconclusive: the
generator, not the target, was the limit.

It reads the production peak (--peak, or the highest request rate over --peak-range from the
Prometheus at --peak-prometheus-url) and answers in one line whether the service survives
losing the zone at that peak, with the headroom, or the replicas (HPA minimum) it would need.
The search is bounded by --max-steps per phase and --max-duration, both shown with its cost.
capacity.json and capacity.md go to --reports-dir/capacity/<id>/ (each step's game day report
under steps/), into the history and the web UI (gameday serve: /capacity).

Exit: 0 answered (survives, or no peak asked about); 1 does not survive the zone loss at the
peak, or the lowest step already broke the SLOs; 2 invalid input; 3 inconclusive (a step the
generator or the target could not run); 4 interrupted.

EXAMPLES:
   gameday sandbox up --replica-rate-limit 30 && gameday capacity --peak 55
   gameday capacity --from 20 --max-rate 2000 --resolution 0.05 --zone zone-b experiments/capacity.yaml
   gameday capacity --peak-prometheus-url http://prometheus.monitoring:9090 --output json
   gameday capacity --target kubernetes --context staging --namespace petclinic --allow-namespace petclinic \
       --target-url https://petclinic.staging.example.com --prometheus-url http://127.0.0.1:9090 \
       --peak-prometheus-url http://prometheus.prod.example.com:9090`,
		Flags: append([]ucli.Flag{
			sandboxDirFlag(), outputFlag(),
			&ucli.StringFlag{Name: flagReportsDir, Value: runner.DefaultReportsDir, Usage: "root of the reports: DIR/capacity/<id>/"},
			&ucli.StringFlag{Name: flagRunID, Usage: "id of the search (default: UTC time and capacity)"},
			&ucli.StringFlag{Name: flagTargetURL, Usage: "base URL of PetClinic (default: the sandbox's balancer, or the target's url)"},
			&ucli.StringFlag{Name: flagPrometheusURL, Usage: "Prometheus of the experiment's promql probes (default: the target's, else the sandbox's)"},
			&ucli.Float64Flag{Name: "from", Usage: "the first and lowest rate, req/s (default: the experiment's constant rate)"},
			&ucli.Float64Flag{Name: "max-rate", Usage: "the highest rate tried, req/s (default 100 × from)"},
			&ucli.Float64Flag{Name: "resolution", Value: capacity.DefaultResolution, Usage: "stop when the lowest rate that broke is within this share above the highest that held"},
			&ucli.IntFlag{Name: "max-steps", Value: capacity.DefaultMaxSteps, Usage: "at most this many steps per phase"},
			&ucli.DurationFlag{Name: "max-duration", Value: capacity.DefaultMaxTime, Usage: "the whole search stops before a step would pass this"},
			&ucli.DurationFlag{Name: "warmup", Value: capacity.DefaultWarmup, Usage: "left out at the start of every step (and the zone is lost then)"},
			&ucli.DurationFlag{Name: "settle", Value: capacity.DefaultSettle, Usage: "after the zone is lost, left out while the survivors take over; zone steps last this much longer"},
			&ucli.DurationFlag{Name: "cooldown", Value: capacity.DefaultCooldown, Usage: "pause between steps"},
			&ucli.StringFlag{Name: "zone", Usage: "the zone lost in the second phase (default: the first, by name, of the zones the target's ready replicas are in: zone-a on the sandbox)"},
			&ucli.BoolFlag{Name: "no-zone-loss", Usage: "search with every zone only"},
			&ucli.Float64Flag{Name: "max-error-ratio", Value: capacity.DefaultCriteria().MaxErrorRatio, Usage: "SLO: at most this share of a step's requests fail"},
			&ucli.DurationFlag{Name: "max-p95", Value: capacity.DefaultCriteria().MaxP95.D(), Usage: "SLO: p95 latency (0: not judged)"},
			&ucli.DurationFlag{Name: "max-p99", Value: capacity.DefaultCriteria().MaxP99.D(), Usage: "SLO: p99 latency (0: not judged)"},
			&ucli.Float64Flag{Name: "peak", Usage: "the production peak, req/s (instead of reading it from Prometheus)"},
			&ucli.StringFlag{Name: "peak-prometheus-url", Usage: "the production Prometheus to read the peak from"},
			&ucli.StringFlag{Name: "peak-query", Value: capacity.DefaultPeakQuery, Usage: "PromQL of the peak; %s is --peak-range"},
			&ucli.StringFlag{Name: "peak-range", Value: capacity.DefaultPeakRange, Usage: "the span the peak is read over"},
			&ucli.BoolFlag{Name: flagNoColor, Usage: "no colour", EnvVars: []string{"NO_COLOR"}},
		}, kubeFlags()...),
		Action: capacityAction,
	}
}

func capacityAction(c *ucli.Context) error {
	o, err := output(c)
	if err != nil {
		return err
	}
	if c.NArg() > 1 {
		return exitcode.Invalidf("capacity: want at most one EXPERIMENT.yaml, got %d arguments", c.NArg())
	}
	path := cmp.Or(c.Args().First(), DefaultCapacityExperiment)
	load := func() (*spec.Experiment, error) {
		s, err := runner.LoadSuite(path, "")
		switch {
		case err != nil:
			return nil, err
		case len(s.Experiments) != 1 || s.Name != runner.DefaultSuite:
			return nil, exitcode.Invalidf("capacity: %s: want one experiment, not a suite", path)
		}
		return s.Experiments[0], nil
	}
	base, err := load()
	if err != nil {
		return err
	}
	opts, err := runOptionsOf(c, false)
	if err != nil {
		return err
	}
	if c.IsSet("peak") && c.IsSet("peak-prometheus-url") {
		return exitcode.Invalidf("capacity: --peak and --peak-prometheus-url: give one")
	}
	if p := c.Float64("peak"); p < 0 || math.IsNaN(p) || math.IsInf(p, 0) {
		return exitcode.Invalidf("capacity: --peak %g: a rate of 0 or more", p)
	}
	zone, first, note := c.String("zone"), c.String("zone") == "", ""
	if c.Bool("no-zone-loss") {
		zone, first, note = "", false, "--no-zone-loss"
	}
	cfg := capacity.Config{
		Experiment: load, ID: c.String(flagRunID), ReportsDir: c.String(flagReportsDir), Zone: zone, FirstZone: first, ZoneNote: note,
		Progress: c.App.ErrWriter,
		Params: capacity.Params{From: c.Float64("from"), MaxRate: c.Float64("max-rate"), Resolution: c.Float64("resolution"),
			MaxSteps: c.Int("max-steps"), MaxSeconds: c.Duration("max-duration").Seconds(), WarmupSeconds: c.Duration("warmup").Seconds(),
			SettleSeconds: c.Duration("settle").Seconds(), CooldownSeconds: c.Duration("cooldown").Seconds()},
		Criteria: capacity.Criteria{MaxErrorRatio: c.Float64("max-error-ratio"), MaxP95: capacity.MillisOf(c.Duration("max-p95")),
			MaxP99: capacity.MillisOf(c.Duration("max-p99")), MinSent: capacity.DefaultCriteria().MinSent},
		Run: func(ctx context.Context, e *spec.Experiment, dir, suite, runID string) (*report.Report, string, error) {
			rc, err := opts.resolveTarget(ctx, e, c.App.ErrWriter)
			if err != nil {
				return nil, "", err
			}
			rc.Experiment, rc.RunID, rc.Suite, rc.ReportsDir = e, runID, suite, dir
			if stderr := c.App.ErrWriter; isTTY(stderr) {
				// The step's live progress on a terminal; in CI the line
				// per step the search prints is enough.
				rc.Progress, rc.TTY, rc.Color = stderr, true, !c.Bool(flagNoColor)
			}
			res, err := runner.Run(ctx, rc)
			if res == nil {
				return nil, "", err
			}
			return res.Report, res.Paths[report.FileJSON], err
		},
	}
	if cfg.CooldownSeconds == 0 {
		cfg.CooldownSeconds = -1 // asked for none
	}
	if err := capacity.Check(cfg, base); err != nil {
		return err
	}
	// The target is resolved once before the search: no sandbox, no
	// cluster, no search (exit 3 at once rather than at the first step).
	rc, err := opts.resolveTarget(c.Context, base, c.App.ErrWriter)
	if err != nil {
		return err
	}
	cfg.Target, cfg.TargetURL = rc.Engine.Name(), rc.TargetURL
	switch {
	case c.IsSet("peak"):
		cfg.Peak = capacity.GivenPeak(c.Float64("peak"))
	case c.String("peak-prometheus-url") != "":
		cfg.Peak = capacity.PromPeak(c.String("peak-prometheus-url"), c.String("peak-query"), c.String("peak-range"), nil)
	}
	res, err := capacity.Run(c.Context, cfg)
	if res != nil {
		recordCapacity(c.App.ErrWriter, cfg.ReportsDir, filepath.Join(cfg.ReportsDir, capacity.Suite, res.ID))
		if o == "json" {
			if jerr := writeJSON(c.App.Writer, res); jerr != nil {
				return jerr
			}
		} else {
			capacity.Text(c.App.Writer, res)
			fmt.Fprintf(c.App.Writer, "report: %s\n", filepath.Join(cfg.ReportsDir, capacity.Suite, res.ID, capacity.FileMD))
		}
	}
	return err
}

// recordCapacity indexes a search in the history of its reports tree; as
// for runs, a history that cannot be written changes nothing of the
// result.
func recordCapacity(w io.Writer, reportsDir, dir string) {
	s, err := history.Open(reportsDir, history.Options{Warn: w})
	if err == nil {
		err = s.RecordCapacity(context.Background(), dir)
		s.Close()
	}
	if err != nil {
		fmt.Fprintf(w, "gameday: history: %v: the result stands (gameday serve indexes it later)\n", err)
	}
}
