package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/history"
	"github.com/gamedayhq/gameday/harness/internal/report"
	"github.com/gamedayhq/gameday/harness/internal/runner"
	"github.com/gamedayhq/gameday/harness/internal/serve"
)

const (
	flagExperiment = "experiment"
	flagStatus     = "status"
	flagSince      = "since"
	flagUntil      = "until"
	flagLimit      = "limit"
	flagSchedule   = "schedule"
	flagOlderThan  = "older-than"
	flagKeep       = "keep"
	flagDryRun     = "dry-run"
	flagIndex      = "index"
	flagRescan     = "rescan"
)

func historyCommand() *ucli.Command {
	reports := func() []ucli.Flag {
		return []ucli.Flag{
			&ucli.StringFlag{Name: flagReportsDir, Value: runner.DefaultReportsDir, Usage: "reports tree (local, or a checkout of the reports repository): the source of truth"},
			&ucli.StringFlag{Name: flagIndex, Usage: "SQLite index (default <reports-dir>/.history/index.db; rebuilt when missing)"},
			&ucli.BoolFlag{Name: flagRescan, Usage: "stat every report.json (done every 10 minutes anyway): after report.json files were changed in place, e.g. by a git pull"},
			outputFlag(),
		}
	}
	return &ucli.Command{
		Name:  "history",
		Usage: "list, show and compare past runs (the reports tree, indexed in SQLite)",
		Description: `Every run — gameday run, gate and schedule — writes its report.json into the reports tree;
that tree is the history. An SQLite index beside it (.history/index.db) is brought up to date
from the tree by every command (new and removed runs at once; report.json files changed in
place every 10 minutes, or with --rescan), and rebuilt from scratch when deleted: nothing is
lost. A report.json that cannot be read is skipped with a warning naming it.

EXAMPLES:
   gameday history list
   gameday history list --experiment pod-kill --status failed --since 7d
   gameday history list --output json | jq '.runs[0]'
   gameday history show 20261206-141230-pod-kill
   gameday history compare adhoc/20261205-101500-pod-kill adhoc/20261206-141230-pod-kill
   gameday history prune --older-than 90d --keep 500 --dry-run`,
		Subcommands: []*ucli.Command{
			{
				Name: "list", Usage: "list runs, newest first",
				Flags: append(reports(),
					&ucli.StringFlag{Name: flagExperiment, Usage: "only this experiment"},
					&ucli.StringFlag{Name: flagTarget, Usage: "only this target: sandbox or kubernetes"},
					&ucli.StringFlag{Name: flagStatus, Usage: "only this verdict: held, failed, aborted, inconclusive"},
					&ucli.StringFlag{Name: flagSuite, Usage: "only this suite"},
					&ucli.StringFlag{Name: flagSchedule, Usage: "only runs of this schedule"},
					&ucli.StringFlag{Name: flagSince, Usage: "started at or after: RFC 3339, a date, or a time back from now (24h, 7d)"},
					&ucli.StringFlag{Name: flagUntil, Usage: "started before (same forms)"},
					&ucli.IntFlag{Name: flagLimit, Value: 50, Usage: "at most this many runs (0: all)"},
				),
				Action: historyList,
			},
			{Name: "show", Usage: "show one run", ArgsUsage: "RUN-ID|SUITE/RUN-ID", Flags: reports(), Action: historyShow},
			{Name: "compare", Usage: "compare two runs side by side", ArgsUsage: "RUN A  RUN B", Flags: reports(), Action: historyCompare},
			{
				Name: "prune", Usage: "delete old runs from the reports tree (retention)",
				Flags: append(reports(),
					&ucli.StringFlag{Name: flagOlderThan, Usage: "delete runs that started longer ago (e.g. 90d, 720h)"},
					&ucli.IntFlag{Name: flagKeep, Usage: "keep only the newest N runs"},
					&ucli.BoolFlag{Name: flagDryRun, Usage: "print what would be deleted"},
				),
				Action: historyPrune,
			},
		},
	}
}

// openHistory opens and syncs the history of --reports-dir.
func openHistory(c *ucli.Context) (*history.Store, error) {
	s, err := history.Open(c.String(flagReportsDir), history.Options{Index: c.String(flagIndex), Warn: c.App.ErrWriter})
	if err != nil {
		return nil, exitcode.Infraf("%w", err)
	}
	sync := s.Sync
	if c.Bool(flagRescan) {
		sync = s.SyncFull
	}
	if _, err := sync(c.Context); err != nil {
		s.Close()
		return nil, exitcode.Infraf("%w", err)
	}
	return s, nil
}

func historyList(c *ucli.Context) error {
	o, err := output(c)
	if err != nil {
		return err
	}
	now := time.Now()
	f := history.Filter{Experiment: c.String(flagExperiment), Target: c.String(flagTarget), Status: c.String(flagStatus),
		Suite: c.String(flagSuite), Schedule: c.String(flagSchedule), Limit: c.Int(flagLimit)}
	if f.Since, err = serve.ParseTime(c.String(flagSince), now); err != nil {
		return exitcode.Invalidf("--%s %v", flagSince, err)
	}
	if f.Until, err = serve.ParseTime(c.String(flagUntil), now); err != nil {
		return exitcode.Invalidf("--%s %v", flagUntil, err)
	}
	s, err := openHistory(c)
	if err != nil {
		return err
	}
	defer s.Close()
	runs, total, err := s.List(c.Context, f)
	if err != nil {
		return exitcode.Infraf("%w", err)
	}
	if o == "json" {
		return writeJSON(c.App.Writer, map[string]any{"total": total, "runs": orEmptyRuns(runs)})
	}
	tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STARTED (UTC)\tEXPERIMENT\tVERDICT\tSCORE\tBUDGET\tTTD\tTTR\tTARGET\tSCHEDULE\tRUN")
	for _, r := range runs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.1f%%\t%.1f%%\t%s\t%s\t%s\t%s\t%s\n", r.Start.Format("2006-01-02 15:04:05"), r.Experiment, r.Status,
			r.Score, 100*r.BudgetConsumed, secs(r.DetectSeconds), secs(r.RecoverSeconds), r.Target, dash(r.Schedule), r.Dir)
	}
	tw.Flush()
	fmt.Fprintf(c.App.Writer, "%d of %d runs in %s\n", len(runs), total, s.Root())
	return nil
}

func orEmptyRuns(r []history.Run) []history.Run {
	if r == nil {
		return []history.Run{}
	}
	return r
}

func secs(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.1fs", *p)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func getRun(ctx context.Context, s *history.Store, id string) (*history.Run, error) {
	r, err := s.Get(ctx, id)
	if errors.Is(err, history.ErrNotFound) {
		return nil, exitcode.Invalidf("%w", err)
	}
	if err != nil {
		return nil, exitcode.Invalidf("%w", err)
	}
	return r, nil
}

func historyShow(c *ucli.Context) error {
	o, err := output(c)
	if err != nil {
		return err
	}
	if c.NArg() != 1 {
		return exitcode.Invalidf("history show: want one RUN-ID, got %d arguments (gameday history list shows them)", c.NArg())
	}
	s, err := openHistory(c)
	if err != nil {
		return err
	}
	defer s.Close()
	r, err := getRun(c.Context, s, c.Args().First())
	if err != nil {
		return err
	}
	rep, err := s.Report(r)
	if err != nil {
		return exitcode.Infraf("%w", err)
	}
	if o == "json" {
		return writeJSON(c.App.Writer, map[string]any{"run": r, "report": rep})
	}
	w := c.App.Writer
	fmt.Fprintf(w, "run         %s\nexperiment  %s (suite %s%s)\nverdict     %s (exit %d), score %.1f%%, error budget consumed %.1f%%\n",
		r.Dir, r.Experiment, r.Suite, scheduleNote(r.Schedule), strings.ToUpper(r.Status), r.ExitCode, r.Score, 100*r.BudgetConsumed)
	fmt.Fprintf(w, "started     %s, lasted %s\ntarget      %s (%s) %s\nrequests    %d, %.2f%% failed\n",
		r.Start.Format(time.RFC3339), time.Duration(r.DurationSeconds*float64(time.Second)).Round(time.Second), r.Target, r.Engine, rep.Target.URL, r.Requests, 100*r.ErrorRatio)
	fmt.Fprintf(w, "faults      %d; time to detect %s, to recover %s; during faults: p99 %s, errors %s\n",
		r.Faults, secs(r.DetectSeconds), secs(r.RecoverSeconds), msText(r.FaultP99Ms), pctText(r.FaultErrorRatio))
	for _, reason := range r.Reasons {
		fmt.Fprintf(w, "  - %s\n", reason)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PROBE\tRESULT\tSAMPLES\tBREACHED\tTOLERANCE")
	for _, p := range rep.Probes {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\n", p.Name, p.Result, p.Samples, p.Breached, p.Tolerance)
	}
	tw.Flush()
	fmt.Fprintf(w, "report: %s\n", s.Path(r, report.FileHTML))
	return nil
}

func scheduleNote(s string) string {
	if s == "" {
		return ""
	}
	return ", schedule " + s
}

func msText(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.0fms", *p)
}

func pctText(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.2f%%", 100**p)
}

func historyCompare(c *ucli.Context) error {
	o, err := output(c)
	if err != nil {
		return err
	}
	if c.NArg() != 2 {
		return exitcode.Invalidf("history compare: want two runs, got %d arguments", c.NArg())
	}
	s, err := openHistory(c)
	if err != nil {
		return err
	}
	defer s.Close()
	a, err := getRun(c.Context, s, c.Args().Get(0))
	if err != nil {
		return err
	}
	b, err := getRun(c.Context, s, c.Args().Get(1))
	if err != nil {
		return err
	}
	ra, err := s.Report(a)
	if err != nil {
		return exitcode.Infraf("%w", err)
	}
	rb, err := s.Report(b)
	if err != nil {
		return exitcode.Infraf("%w", err)
	}
	rows := compareRows(a, b, ra, rb)
	if o == "json" {
		return writeJSON(c.App.Writer, map[string]any{"a": a, "b": b, "rows": rows})
	}
	tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "\tA %s\tB %s\tCHANGE\n", a.Dir, b.Dir)
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Figure, r.A, r.B, r.Change)
	}
	tw.Flush()
	if a.Experiment != b.Experiment {
		fmt.Fprintf(c.App.ErrWriter, "note: the runs are of different experiments (%s, %s)\n", a.Experiment, b.Experiment)
	}
	return nil
}

// compareRow is one figure of two runs.
type compareRow struct {
	Figure string `json:"figure"`
	A      string `json:"a"`
	B      string `json:"b"`
	Change string `json:"change"`
}

func compareRows(a, b *history.Run, ra, rb *report.Report) []compareRow {
	num := func(name, unit string, x, y *float64, scale float64, lowerBetter bool) compareRow {
		f := func(p *float64) string {
			if p == nil {
				return "-"
			}
			return fmt.Sprintf("%.2f%s", *p*scale, unit)
		}
		row := compareRow{Figure: name, A: f(x), B: f(y), Change: "-"}
		if x != nil && y != nil {
			d := (*y - *x) * scale
			word := "same"
			switch {
			case d > 0 && lowerBetter, d < 0 && !lowerBetter:
				word = "worse"
			case d != 0:
				word = "better"
			}
			row.Change = fmt.Sprintf("%+.2f%s (%s)", d, unit, word)
		}
		return row
	}
	p := func(v float64) *float64 { return &v }
	rows := []compareRow{
		{Figure: "verdict", A: a.Status, B: b.Status, Change: map[bool]string{true: "same", false: a.Status + " → " + b.Status}[a.Status == b.Status]},
		num("score", "%", p(a.Score), p(b.Score), 1, false),
		num("error budget consumed", "%", p(a.BudgetConsumed), p(b.BudgetConsumed), 100, true),
		num("time to detect", "s", a.DetectSeconds, b.DetectSeconds, 1, true),
		num("time to recover", "s", a.RecoverSeconds, b.RecoverSeconds, 1, true),
		num("p99 during faults", "ms", a.FaultP99Ms, b.FaultP99Ms, 1, true),
		num("errors during faults", "%", a.FaultErrorRatio, b.FaultErrorRatio, 100, true),
		num("errors, whole run", "%", p(a.ErrorRatio), p(b.ErrorRatio), 100, true),
	}
	probes := map[string][2]string{}
	var order []string
	for i, rep := range []*report.Report{ra, rb} {
		for _, pr := range rep.Probes {
			v, ok := probes[pr.Name]
			if !ok {
				order = append(order, pr.Name)
				v = [2]string{"-", "-"}
			}
			v[i] = string(pr.Result)
			probes[pr.Name] = v
		}
	}
	for _, name := range order {
		v := probes[name]
		ch := "same"
		if v[0] != v[1] {
			ch = v[0] + " → " + v[1]
		}
		rows = append(rows, compareRow{Figure: "probe " + name, A: v[0], B: v[1], Change: ch})
	}
	return rows
}

func historyPrune(c *ucli.Context) error {
	o, err := output(c)
	if err != nil {
		return err
	}
	ret := history.Retention{MaxRuns: c.Int(flagKeep)}
	if s := c.String(flagOlderThan); s != "" {
		t, err := serve.ParseTime(s, time.Now())
		if err != nil || strings.ContainsAny(s, "-:T") {
			return exitcode.Invalidf("--%s %q: want a duration such as 90d or 720h", flagOlderThan, s)
		}
		ret.MaxAge = time.Since(t)
	}
	if ret.MaxAge <= 0 && ret.MaxRuns <= 0 {
		return exitcode.Invalidf("history prune: set --%s or --%s", flagOlderThan, flagKeep)
	}
	s, err := openHistory(c)
	if err != nil {
		return err
	}
	defer s.Close()
	gone, err := s.Prune(c.Context, ret, time.Now(), c.Bool(flagDryRun))
	if o == "json" {
		if werr := writeJSON(c.App.Writer, map[string]any{"dryRun": c.Bool(flagDryRun), "runs": orEmptyRuns(gone)}); werr != nil {
			return werr
		}
	} else {
		verb := "deleted"
		if c.Bool(flagDryRun) {
			verb = "would delete"
		}
		for _, r := range gone {
			fmt.Fprintf(c.App.Writer, "%s  %s (%s)\n", verb, r.Dir, r.Start.Format(time.RFC3339))
		}
		fmt.Fprintf(c.App.Writer, "%s %d runs\n", verb, len(gone))
	}
	if err != nil {
		return exitcode.Infraf("%w", err)
	}
	return nil
}

// recordRun indexes a run's report in the history of its reports tree,
// at once. A failure (a full disk, a read-only tree) is reported on w and
// never changes the run's verdict or exit code: the report.json written is
// the truth, and the next history command indexes it.
func recordRun(w io.Writer, reportsDir string, res *runner.Result) {
	if res == nil || res.Paths == nil {
		return
	}
	dir := res.Dir
	s, err := history.Open(reportsDir, history.Options{Warn: w})
	if err == nil {
		err = s.Record(context.Background(), dir)
		s.Close()
	}
	if err != nil {
		fmt.Fprintf(w, "gameday: history: %v: the verdict stands (gameday history list indexes it later)\n", err)
	}
}
