package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"slices"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/history"
	"github.com/gamedayhq/gameday/harness/internal/idle"
	"github.com/gamedayhq/gameday/harness/internal/kube"
	"github.com/gamedayhq/gameday/harness/internal/load"
	"github.com/gamedayhq/gameday/harness/internal/runner"
	"github.com/gamedayhq/gameday/harness/internal/sandbox"
	"github.com/gamedayhq/gameday/harness/internal/schedule"
	"github.com/gamedayhq/gameday/harness/internal/serve"
	"github.com/gamedayhq/gameday/harness/internal/slo"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

const (
	flagAddr        = "addr"
	flagLeaderElect = "leader-elect"
	flagLeaseNS     = "lease-namespace"
	flagLeaseName   = "lease-name"
	flagNext        = "next"
	flagIdentity    = "identity"
)

// loadSchedules reads a schedules file with the run command's flags and
// every suite or experiment it names validated.
func loadSchedules(path string) (*schedule.File, error) {
	opts := spec.ValidateOptions{Journeys: load.JourneyNames()}
	f, err := schedule.Load(path, schedule.Options{CheckFlags: checkScheduleFlags, LoadRunnable: func(p string) error {
		_, err := opts.LoadPath(p)
		return err
	}})
	if err != nil {
		return nil, exitcode.Wrap(exitcode.Invalid, err)
	}
	return f, nil
}

func scheduleCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "schedule",
		Usage:     "run game days on a schedule (cron, blackouts, budget, leader election) and serve the web UI",
		ArgsUsage: "SCHEDULES.yaml",
		Description: `Runs the game days of a schedules file (docs/scheduler.md) until SIGINT/SIGTERM: each fire
is decided (suspended, blackout, change freeze, daily cap, kill switch, another run in
progress, error budget) and either runs through gameday run or is skipped, with its reason,
in the ledger of the reports tree. Fires missed while the scheduler was down run once (or
are skipped) within their starting deadline; a clock set back never runs a fire twice.
SIGTERM aborts the run in progress (faults recovered, report written) and exits.

--publish and --notify (and their flags) apply to every run it starts: after each run its
reports are committed to the GitOps repository and its verdict notified, as gameday run does.
With --publish it also reads the runs published there, on start and on gaining the Lease,
and copies those --reports-dir lacks into it (within 1 min; an unreachable repository is
logged and counted, and the scheduler starts on its local tree): a new pod's empty reports
tree gets the history back. --history-from-repo=false turns that off.

It serves the web UI, /metrics, /healthz and /readyz on --addr. With --leader-elect, replicas
compete for a Lease and only its holder runs game days (the others serve the UI).
On start, or on gaining the Lease, it recovers what a crashed game day of these schedules
left behind before any fire: the sandbox's faults, and the Chaos Mesh objects and load
Jobs of its runs in the kubernetes schedules' namespaces (as gameday cleanup does). While
that fails, each fire is skipped (leftover-chaos) and retries it.

EXAMPLES:
   gameday schedule experiments/schedules/sandbox.yaml
   gameday schedule --next 5 experiments/schedules/sandbox.yaml     (print the next fires, then exit)
   gameday schedule --leader-elect --lease-namespace gameday --addr :8089 /etc/gameday/experiments/schedules/k8s-staging.yaml
   gameday schedule --publish --publish-repo https://github.com/gamedayhq/gameday-reports.git --notify notifications.yaml \
       experiments/schedules/sandbox.yaml   (every run published and notified, as gameday run --publish --notify does)`,
		Flags: append([]ucli.Flag{
			sandboxDirFlag(),
			&ucli.StringFlag{Name: flagReportsDir, Value: "reports", Usage: "reports tree: every run's report, the history index and the ledger"},
			&ucli.StringFlag{Name: flagAddr, Value: serve.DefaultAddr, Usage: "address of the web UI and /metrics (loopback by default: it has no authentication)"},
			&ucli.IntFlag{Name: flagNext, Usage: "print the next N fires of every schedule (and what would skip them) and exit"},
			&ucli.BoolFlag{Name: flagLeaderElect, Usage: "compete for a Lease: only its holder runs game days"},
			&ucli.StringFlag{Name: flagLeaseNS, Usage: "namespace of the Lease (default: the pod's, from POD_NAMESPACE)", EnvVars: []string{"POD_NAMESPACE"}},
			&ucli.StringFlag{Name: flagLeaseName, Value: schedule.DefaultLeaseName, Usage: "name of the Lease"},
			&ucli.StringFlag{Name: flagIdentity, Usage: "this replica's identity (default: the host name)", EnvVars: []string{"POD_NAME"}},
			&ucli.StringFlag{Name: flagLeaderLabelPod, Usage: "with --leader-elect: this replica's pod (in --lease-namespace), labelled " + LabelLeader + "=true while it leads, for a Service that routes to the leader only"},
			&ucli.StringFlag{Name: flagSLODir, Value: slo.DefaultDir, Usage: "OpenSLO specs of the budget policies and the SLO page"},
			&ucli.StringFlag{Name: flagPrometheusURL, Usage: "Prometheus of the budget policies and the SLO page (default: the sandbox's)"},
			&ucli.StringFlag{Name: flagLokiURL, Usage: "Loki of LogQL SLOs"},
			historyFromRepoFlag(),
		}, append(clusterConnFlags(), deliveryFlags()...)...),
		Action: scheduleAction,
	}
}

// clusterConnFlags connect to a cluster (the Lease, a ConfigMap kill switch).
func clusterConnFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.StringFlag{Name: flagKubeconfig, Usage: "kubeconfig file (default $KUBECONFIG, ~/.kube/config, else the in-cluster service account)"},
		&ucli.StringFlag{Name: flagContext, Usage: "kubeconfig context"},
	}
}

func scheduleAction(c *ucli.Context) error {
	if c.NArg() != 1 {
		return exitcode.Invalidf("schedule: want one SCHEDULES.yaml, got %d arguments", c.NArg())
	}
	f, err := loadSchedules(c.Args().First())
	if err != nil {
		return err
	}
	if n := c.Int(flagNext); n > 0 {
		return printNext(c.App.Writer, f, n, time.Now())
	}
	log := slog.New(slog.NewTextHandler(c.App.ErrWriter, nil))
	reports := c.String(flagReportsDir)
	store, err := history.Open(reports, history.Options{Warn: c.App.ErrWriter})
	if err != nil {
		return exitcode.Infraf("schedule: %w", err)
	}
	defer store.Close()
	reg := serve.NewRegistry()
	metrics := schedule.NewMetrics(reg)
	sdir, _ := sandboxDir(c)
	ks, err := killSwitchReader(c, f)
	if err != nil {
		return err
	}
	// The delivery flags are checked now (a bad notifications file stops
	// the scheduler, not each fire), then applied after every run.
	d, err := newDelivery(c, reports)
	if err != nil {
		return err
	}
	runs := fires(c, reports, d)
	cfg := schedule.Config{File: f, History: store, Metrics: metrics, Log: log, Instance: c.String(flagIdentity), KillSwitch: ks,
		Run: func(ctx context.Context, r schedule.Request) schedule.Outcome {
			defer releaseIdle(log) // what the game day touched, until the next fire
			return runs.Run(ctx, r)
		}, Budget: budgetReader(c, sdir)}
	// A crash may have left faults injected: the leader recovers them
	// before its first fire (schedule_cleanup.go).
	cfg.Recover = crashRecovery(c, f, sdir, log)
	restore := historyRestorer(c, d, reports, store, metrics, log)
	if restore != nil && c.Bool(flagLeaderElect) {
		// The Lease's last holder published runs since this replica
		// started: bring them in before its first fire.
		crash := cfg.Recover
		cfg.Recover = func(ctx context.Context) error {
			restore(ctx)
			if crash == nil {
				return nil
			}
			return crash(ctx)
		}
	}
	ctx := c.Context
	if c.Bool(flagLeaderElect) {
		ns := c.String(flagLeaseNS)
		if ns == "" {
			return exitcode.Invalidf("schedule: --%s needs --%s (or POD_NAMESPACE)", flagLeaderElect, flagLeaseNS)
		}
		rc, err := kube.RESTConfig(c.String(flagKubeconfig), c.String(flagContext))
		if err != nil {
			return exitcode.Infraf("schedule: %w", err)
		}
		id := cmp.Or(c.String(flagIdentity), hostname())
		cfg.Instance = id
		cfg.Leading, cfg.Lost, err = schedule.Elect(ctx, schedule.LeaderConfig{Config: rc, Namespace: ns, Name: c.String(flagLeaseName), Identity: id, Log: log})
		if err != nil {
			return exitcode.Infraf("%w", err)
		}
		if pod := c.String(flagLeaderLabelPod); pod != "" {
			lctx, stopLabel := context.WithCancel(ctx)
			wait, err := labelLeaderPod(lctx, rc, ns, pod, cfg.Leading, cfg.Lost, log)
			if err != nil {
				stopLabel()
				return exitcode.Infraf("schedule: %w", err)
			}
			defer wait()
			defer stopLabel()
		}
	}
	s, err := schedule.New(cfg)
	if err != nil {
		return exitcode.Infraf("%w", err)
	}
	ready := &schedulerReady{store: store, sched: s}
	srv, err := serve.New(serve.Config{History: store, File: f, Schedules: s.Statuses, Registry: reg, Log: log,
		KillSwitch: ks, SLO: sloReader(c, sdir), Ready: ready.check})
	if err != nil {
		return exitcode.Infraf("%w", err)
	}
	serveErr := make(chan error, 1)
	sctx, stopServe := context.WithCancel(context.WithoutCancel(ctx))
	defer stopServe()
	go func() {
		serveErr <- srv.ListenAndServe(sctx, c.String(flagAddr), func(a net.Addr) {
			log.Info("web UI and /metrics", "url", "http://"+a.String()+"/")
		})
	}()
	// /healthz answers while a large tree is indexed; /readyz once it is.
	if restore != nil {
		restore(ctx)
	}
	if _, err := store.Sync(ctx); err != nil {
		log.Error("history sync", "err", err)
	}
	ready.synced.Store(true)
	// Idle for hours between fires: give back the garbage of indexing a
	// large tree and the binary's pages that start-up touched once.
	releaseIdle(log)
	runErr := s.Run(ctx)
	stopServe()
	if err := <-serveErr; err != nil && !errors.Is(err, context.Canceled) {
		return exitcode.Infraf("%w", err)
	}
	if runErr != nil {
		return exitcode.Infraf("%w", runErr)
	}
	log.Info("scheduler stopped")
	return nil
}

// releaseIdle gives memory back before a long wait (package idle).
func releaseIdle(log *slog.Logger) {
	if _, err := idle.Release(); err != nil {
		log.Warn("giving back memory before idling", "err", err)
	}
}

func hostname() string {
	h, _ := os.Hostname()
	return h
}

// printNext prints the next n fires of every schedule and what would
// skip each, knowing nothing of runs (no kill switch, no budget read).
func printNext(w io.Writer, f *schedule.File, n int, now time.Time) error {
	fmt.Fprintf(w, "%-24s %-26s %-26s %s\n", "SCHEDULE", "FIRE", "STARTS (JITTER)", "DECISION")
	for _, p := range f.Plans {
		t := now
		for range n {
			nominal := p.Next(t)
			if nominal.IsZero() {
				break
			}
			fire := p.FireAt(nominal)
			d := p.Decide(fire, schedule.Facts{Now: fire.Start})
			what := string(d.Action)
			if d.Action == schedule.Skip {
				what = fmt.Sprintf("skip (%s: %s)", d.Reason, d.Detail)
			}
			fmt.Fprintf(w, "%-24s %-26s %-26s %s\n", p.Name, nominal.In(p.Loc).Format(time.RFC3339), fire.Start.In(p.Loc).Format(time.RFC3339), what)
			t = nominal
		}
	}
	return nil
}

// killSwitchReader reads the kill switch of the schedules file: a file
// (engaged while it exists and does not say false), or a ConfigMap.
func killSwitchReader(c *ucli.Context, f *schedule.File) (func(context.Context) (bool, string, error), error) {
	ks := f.Spec.KillSwitch
	switch {
	case ks == nil:
		return nil, nil
	case ks.File != "":
		path := ks.File
		return func(context.Context) (bool, string, error) { return fileKillSwitch(path) }, nil
	}
	rc, err := kube.RESTConfig(c.String(flagKubeconfig), c.String(flagContext))
	if err != nil {
		return nil, exitcode.Infraf("kill switch %s: %w", ks.ConfigMap, err)
	}
	cl, err := kube.NewClient(rc)
	if err != nil {
		return nil, exitcode.Infraf("kill switch %s: %w", ks.ConfigMap, err)
	}
	ref := ks.ConfigMap
	return func(ctx context.Context) (bool, string, error) {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		return kube.ReadKillSwitch(ctx, cl, ref)
	}, nil
}

// fileKillSwitch is engaged while path exists, unless it says "false".
func fileKillSwitch(path string) (bool, string, error) {
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return false, fmt.Sprintf("file %s absent", path), nil
	case err != nil:
		return false, "", err
	case strings.TrimSpace(string(b)) == "false":
		return false, fmt.Sprintf("file %s says false", path), nil
	}
	return true, fmt.Sprintf("file %s present", path), nil
}

// promFor is --prometheus-url, else the running sandbox's Prometheus.
func promFor(c *ucli.Context, sdir string) (string, error) {
	if u := c.String(flagPrometheusURL); u != "" {
		return u, nil
	}
	st, err := sandbox.Status(c.Context, sdir)
	if err != nil || !st.Running {
		return "", fmt.Errorf("no --%s and no sandbox running in %s", flagPrometheusURL, sdir)
	}
	return st.Prometheus.URL, nil
}

// sloSources reads the SLO specs of dir and the clients that read their
// budgets (--prometheus-url, else the sandbox's; --loki-url). Prometheus
// is needed only for SLOs over Prometheus: LogQL SLOs need a Loki alone.
func sloSources(c *ucli.Context, dir, sdir string) (*slo.Set, slo.Clients, string, error) {
	set, err := loadSLOs(dir)
	if err != nil {
		return nil, slo.Clients{}, "", err
	}
	promURL := ""
	if slices.ContainsFunc(set.SLOs, func(s *slo.SLO) bool { return s.Source == slo.SourcePrometheus }) {
		if promURL, err = promFor(c, sdir); err != nil {
			return nil, slo.Clients{}, "", err
		}
	}
	clients, err := slo.NewClients(promURL, c.String(flagLokiURL))
	return set, clients, promURL, err
}

// budgetReader reads every SLO's budget left for a schedule's budget
// policy and returns those under its minimum.
func budgetReader(c *ucli.Context, sdir string) func(context.Context, *schedule.Plan) ([]string, error) {
	return func(ctx context.Context, p *schedule.Plan) ([]string, error) {
		set, clients, _, err := sloSources(c, cmp.Or(p.Budget.SLODir, c.String(flagSLODir)), sdir)
		if err != nil {
			return nil, err
		}
		policy := slo.Policy{MinRemaining: p.Budget.MinRemaining, Strict: true}
		var low []string
		for _, s := range set.SLOs {
			rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			st, err := slo.ReadStatus(rctx, clients, s, time.Now())
			cancel()
			if a := policy.Admit(st, err); a.Refuses() {
				low = append(low, a.Detail)
			}
		}
		return low, nil
	}
}

// sloReader builds the SLO burn report of the UI (nil without SLO specs).
func sloReader(c *ucli.Context, sdir string) func(context.Context) (*slo.Report, error) {
	dir := c.String(flagSLODir)
	if _, err := os.Stat(dir); err != nil {
		return nil
	}
	return func(ctx context.Context) (*slo.Report, error) {
		set, clients, promURL, err := sloSources(c, dir, sdir)
		if err != nil {
			return nil, err
		}
		now := time.Now()
		rep := &slo.Report{SchemaVersion: slo.ReportSchema, At: now.UTC(), Prometheus: promURL, Loki: c.String(flagLokiURL), MinRemaining: slo.DefaultMinRemaining}
		for _, s := range set.SLOs {
			st, _ := slo.ReadStatus(ctx, clients, s, now)
			rep.SLOs = append(rep.SLOs, st)
		}
		return rep, nil
	}
}

// fires runs the scheduler's fires with runner.RunSuite: each run's
// options are the schedule's target and flags read as gameday run reads
// its own (fireOptions), its live progress goes to stderr beside the
// scheduler's log. After each run, d publishes its reports and notifies
// its verdict (--publish, --notify), as after gameday run's: what became
// of them goes to the log, and a run that held but could not be published
// counts as infrastructure in the fire's outcome.
func fires(c *ucli.Context, reports string, d *delivery) schedule.Suites {
	progress := c.App.ErrWriter
	sandboxDir := c.String(flagSandboxDir)
	return schedule.Suites{
		ReportsDir: reports,
		Done: func(out runner.Outcome) error {
			dl, perr := d.after(c.Context, out)
			dl.print(progress)
			return publishFailed(out, perr)
		},
		Config: func(s *schedule.Schedule) (func(context.Context, *spec.Experiment) (runner.Config, error), error) {
			o, err := fireOptions(s, sandboxDir)
			if err != nil {
				return nil, err
			}
			g, err := slo.NewGuard(o.Guard)
			if err != nil {
				return nil, err
			}
			return o.runConfig(g, progress, progress), nil
		},
	}
}
