package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	ucli "github.com/urfave/cli/v2"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/notify"
	"github.com/gamedayhq/gameday/harness/internal/report"
	"github.com/gamedayhq/gameday/harness/internal/runner"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

const (
	flagSubject = "subject"
	flagName    = "name"
	flagReason  = "reason"
	flagLink    = "link"
)

func notifyCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "notify",
		Usage:     "send a run's verdict, or a CI job's outcome, to the receivers of a notifications file",
		ArgsUsage: "[RUN-DIR]",
		Description: `Sends what run, gate and schedule send after each run with --notify (docs/notifications.md):
with RUN-DIR (a <suite>/<run-id> folder of the reports tree), that run's verdict, with the
previous run's from the history of its reports tree (receivers with when: change skip an
unchanged verdict); without it, an event of the flags: --status, --name and --reason, e.g.
a CI job that failed. It prints what became of the event at each receiver. A receiver that
fails is retried with back-off; the exit code is 3 only when a receiver could not be
reached in the end (run and gate never change theirs for a notification).

EXAMPLES:
   gameday notify --notify notifications.yaml reports/k8s-preprod-gate/20261207-070000-pod-kill
   gameday notify --notify .github/gameday/notifications.yaml --subject Pipeline --name delivery/promote-prod \
       --status failed --reason "the resilience gate did not hold" --link "$RUN_URL"`,
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: flagNotify, Required: true, Usage: "notifications file (docs/notifications.md)"},
			&ucli.StringSliceFlag{Name: flagNotifyLabel, Usage: "NAME=VALUE in every notification (environment=staging); repeatable"},
			&ucli.StringFlag{Name: flagStatus, Usage: "without RUN-DIR: the outcome (held, failed, aborted, inconclusive ...)"},
			&ucli.StringFlag{Name: flagSubject, Value: "Game day", Usage: "without RUN-DIR: what the message is about"},
			&ucli.StringFlag{Name: flagName, Usage: "without RUN-DIR: the name of what ran (a job, a workflow)"},
			&ucli.StringFlag{Name: flagSuite, Value: "ci", Usage: "without RUN-DIR: its group"},
			&ucli.StringFlag{Name: flagRunID, Usage: "without RUN-DIR: its id (a workflow run's)"},
			&ucli.StringSliceFlag{Name: flagReason, Usage: "without RUN-DIR: a reason; repeatable"},
			&ucli.StringFlag{Name: flagLink, Usage: "without RUN-DIR: a link to it"},
			outputFlag(),
		},
		Action: notifyAction,
	}
}

func notifyAction(c *ucli.Context) error {
	o, err := output(c)
	if err != nil {
		return err
	}
	f, err := notify.Load(c.String(flagNotify))
	if err != nil {
		return exitcode.Wrap(exitcode.Invalid, err)
	}
	labels, err := labelsOf(c.StringSlice(flagNotifyLabel))
	if err != nil {
		return err
	}
	var ev notify.Event
	switch c.NArg() {
	case 0:
		if c.String(flagStatus) == "" || c.String(flagName) == "" {
			return exitcode.Invalidf("notify: give a RUN-DIR, or --%s and --%s", flagStatus, flagName)
		}
		ev = notify.Event{Subject: c.String(flagSubject), Experiment: c.String(flagName), Suite: c.String(flagSuite), RunID: c.String(flagRunID),
			Status: c.String(flagStatus), ExitCode: -1, Reasons: c.StringSlice(flagReason), Report: c.String(flagLink), Labels: labels}
	case 1:
		if ev, err = runEvent(c, c.Args().First(), labels); err != nil {
			return err
		}
	default:
		return exitcode.Invalidf("notify: want at most one RUN-DIR, got %d", c.NArg())
	}
	var failed int
	ds := notify.New(f).Notify(c.Context, ev)
	var out []notifySummary
	for _, d := range ds {
		s := notifySummary{Receiver: d.Receiver, Kind: d.Kind, Sent: d.Err == nil && d.Skipped == "", Skipped: d.Skipped, Attempts: d.Attempts}
		if d.Err != nil {
			s.Error = d.Err.Error()
			failed++
		}
		out = append(out, s)
		if o == "text" {
			fmt.Fprintln(c.App.Writer, d)
		}
	}
	if o == "json" {
		if err := writeJSON(c.App.Writer, out); err != nil {
			return err
		}
	}
	if failed > 0 {
		return exitcode.Infraf("notify: %d of %d receivers failed", failed, len(ds))
	}
	return nil
}

// runEvent is the event of the run in dir, as run would have sent it.
func runEvent(c *ucli.Context, dir string, labels map[string]string) (notify.Event, error) {
	b, err := os.ReadFile(filepath.Join(dir, report.FileJSON)) // #nosec G304 -- the run folder the user names
	if err != nil {
		return notify.Event{}, exitcode.Invalidf("notify: %v (RUN-DIR is a <suite>/<run-id> folder of the reports tree)", err)
	}
	var r report.Report
	if err := json.Unmarshal(b, &r); err != nil || r.SchemaVersion != report.SchemaVersion {
		return notify.Event{}, exitcode.Invalidf("notify: %s: not a game day's report.json (%s)", filepath.Join(dir, report.FileJSON), report.SchemaVersion)
	}
	var runErr error
	if r.ExitCode != exitcode.OK {
		runErr = &exitcode.Error{Code: r.ExitCode}
	}
	paths := map[string]string{}
	for _, name := range []string{report.FileJSON, report.FileMD, report.FileHTML, report.FileJUnit} {
		paths[name] = filepath.Join(dir, name)
	}
	out := runner.Outcome{Suite: r.Suite, Experiment: &spec.Experiment{Metadata: spec.Metadata{Name: r.Experiment.Name}},
		Result: &runner.Result{Report: &r, Dir: dir, Paths: paths}, Err: runErr}
	d := &delivery{reportsDir: filepath.Dir(filepath.Dir(dir)), labels: labels, errs: c.App.ErrWriter}
	return d.event(c.Context, out, nil), nil
}
