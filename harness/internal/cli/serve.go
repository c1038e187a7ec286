package cli

import (
	"context"
	"errors"
	"log/slog"
	"net"

	ucli "github.com/urfave/cli/v2"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/history"
	"github.com/gamedayhq/gameday/harness/internal/runner"
	"github.com/gamedayhq/gameday/harness/internal/serve"
	"github.com/gamedayhq/gameday/harness/internal/slo"
)

const (
	flagSchedules      = "schedules"
	flagKillSwitchFile = "kill-switch-file"
)

func serveCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "serve",
		Usage: "serve the read-only web UI of the run history",
		Description: `Serves the runs of the reports tree (with filters), each run's report, trends per
experiment (score, time to detect and recover, p99 and errors during faults), the schedules
and their skips (from the ledger; next fires from --schedules), the SLO burn report and the
kill switch. Every page has a JSON twin at the same path plus .json; /metrics, /healthz and
/readyz too. It binds 127.0.0.1 by default and has no authentication: in a cluster, keep its
Service internal and put an authenticating proxy in front (docs/scheduler.md).

EXAMPLES:
   gameday serve
   gameday serve --reports-dir reports --addr 127.0.0.1:8089 --schedules experiments/schedules/sandbox.yaml
   curl -s http://127.0.0.1:8089/runs.json?status=failed | jq '.runs[].runID'`,
		Flags: append([]ucli.Flag{
			sandboxDirFlag(),
			&ucli.StringFlag{Name: flagReportsDir, Value: runner.DefaultReportsDir, Usage: "reports tree to serve"},
			&ucli.StringFlag{Name: flagIndex, Usage: "SQLite index (default <reports-dir>/.history/index.db)"},
			&ucli.StringFlag{Name: flagAddr, Value: serve.DefaultAddr, Usage: "address to listen on (port 0: any free port)"},
			&ucli.StringFlag{Name: flagSchedules, Usage: "schedules file whose next fires the schedules page shows"},
			&ucli.StringFlag{Name: flagKillSwitchFile, Usage: "kill switch file to show (default: the schedules file's)"},
			&ucli.StringFlag{Name: flagSLODir, Value: slo.DefaultDir, Usage: "OpenSLO specs of the SLO page"},
			&ucli.StringFlag{Name: flagPrometheusURL, Usage: "Prometheus of the SLO page (default: the sandbox's)"},
			&ucli.StringFlag{Name: flagLokiURL, Usage: "Loki of LogQL SLOs"},
		}, clusterConnFlags()...),
		Action: serveAction,
	}
}

func serveAction(c *ucli.Context) error {
	log := slog.New(slog.NewTextHandler(c.App.ErrWriter, nil))
	store, err := history.Open(c.String(flagReportsDir), history.Options{Index: c.String(flagIndex), Warn: c.App.ErrWriter})
	if err != nil {
		return exitcode.Infraf("serve: %w", err)
	}
	defer store.Close()
	cfg := serve.Config{History: store, Log: log}
	if p := c.String(flagSchedules); p != "" {
		if cfg.File, err = loadSchedules(p); err != nil {
			return err
		}
		if cfg.KillSwitch, err = killSwitchReader(c, cfg.File); err != nil {
			return err
		}
	}
	if p := c.String(flagKillSwitchFile); p != "" {
		cfg.KillSwitch = func(context.Context) (bool, string, error) { return fileKillSwitch(p) }
	}
	sdir, _ := sandboxDir(c)
	cfg.SLO = sloReader(c, sdir)
	if _, err := store.Sync(c.Context); err != nil {
		return exitcode.Infraf("serve: %w", err)
	}
	srv, err := serve.New(cfg)
	if err != nil {
		return exitcode.Infraf("%w", err)
	}
	releaseIdle(log) // a server that mostly waits
	err = srv.ListenAndServe(c.Context, c.String(flagAddr), func(a net.Addr) {
		log.Info("serving the run history", "url", "http://"+a.String()+"/", "reports", store.Root())
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		return exitcode.Infraf("%w (is --addr in use?)", err)
	}
	return nil
}
