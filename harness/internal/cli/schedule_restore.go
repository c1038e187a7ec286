package cli

import (
	"context"
	"log/slog"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/gamedayhq/gameday/harness/internal/history"
	"github.com/gamedayhq/gameday/harness/internal/publish"
	"github.com/gamedayhq/gameday/harness/internal/schedule"
)

const flagHistoryFromRepo = "history-from-repo"

// historyRestoreTimeout bounds one read of the reports repository: the
// scheduler starts (and its leader fires) without the published runs
// rather than wait on a remote out of reach.
const historyRestoreTimeout = time.Minute

func historyFromRepoFlag() ucli.Flag {
	return &ucli.BoolFlag{Name: flagHistoryFromRepo, Value: true,
		Usage: "with --publish: on start and on gaining the Lease, copy the runs published to --publish-repo that --reports-dir lacks into it, so the history and the UI list them (--history-from-repo=false: the local tree alone)"}
}

// historyRestorer is what brings the published runs back into the reports
// tree of a scheduler that publishes (a pod's emptyDir starts empty): nil
// when it does not publish or --history-from-repo=false. A failure is
// logged and counted (gameday_history_errors_total{store="repo"}), never
// returned: the scheduler runs on the history it has.
func historyRestorer(c *ucli.Context, d *delivery, reports string, store *history.Store, m *schedule.Metrics, log *slog.Logger) func(ctx context.Context) {
	if d == nil || d.remote == nil || !c.Bool(flagHistoryFromRepo) {
		return nil
	}
	remote := *d.remote
	remote.Timeout = historyRestoreTimeout
	remote.Log = nil
	return func(ctx context.Context) {
		began := time.Now()
		res, err := publish.Restore(ctx, publish.RestoreOptions{Remote: remote, Path: d.path, ReportsDir: reports})
		if err != nil {
			m.HistoryErrors.WithLabelValues("repo").Inc()
			log.Error("history from the reports repository: starting with the local reports tree alone", "repo", remote.URL, "branch", remote.Branch, "err", err)
			return
		}
		log.Info("history from the reports repository", "repo", remote.URL, "branch", remote.Branch, "commit", shortHash(res.Commit),
			"restored", len(res.Runs), "present", res.Present, "took", time.Since(began).Round(time.Millisecond))
		if len(res.Runs) == 0 {
			return
		}
		if _, err := store.Sync(ctx); err != nil {
			log.Error("history sync", "err", err)
		}
	}
}
