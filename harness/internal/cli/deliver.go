package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/gitops"
	"github.com/gamedayhq/gameday/harness/internal/history"
	"github.com/gamedayhq/gameday/harness/internal/notify"
	"github.com/gamedayhq/gameday/harness/internal/publish"
	"github.com/gamedayhq/gameday/harness/internal/runner"
)

// Flags of publishing and notifying (run, gate, schedule).
const (
	flagPublish        = "publish"
	flagPublishRepo    = "publish-repo"
	flagPublishBranch  = "publish-branch"
	flagPublishPath    = "publish-path"
	flagGitCredentials = "git-credentials"
	flagNotify         = "notify"
	flagNotifyLabel    = "notify-label"
)

// How long publishing and notifying may take after a run (they run even
// when the run was interrupted: its report is the evidence).
const (
	publishTimeout = 3 * time.Minute
	notifyTimeout  = 3 * time.Minute
)

// gitFlags name the repository a command writes to (publish, deploy
// promote): PREFIXrepo, PREFIXbranch and --git-credentials.
func gitFlags(prefix, what string) []ucli.Flag {
	return []ucli.Flag{
		&ucli.StringFlag{Name: prefix + "repo", Usage: "the repository " + what + " (https://, file:// or a path; never a token in it)"},
		&ucli.StringFlag{Name: prefix + "branch", Value: gitops.DefaultBranch, Usage: "the branch committed to"},
		&ucli.StringFlag{Name: flagGitCredentials, Usage: "file with the git token (or JSON {\"username\":...,\"token\":...}); default $GIT_USERNAME and $GIT_TOKEN"},
	}
}

// pathFlag is the folder of the repository reports are published under.
func pathFlag(name string) ucli.Flag {
	return &ucli.StringFlag{Name: name, Value: publish.DefaultPath, Usage: "the folder of the repository the reports go under"}
}

// gitError is err of a commit to a repository, with its exit code: a
// change that cannot be made is invalid input (2), the repository out of
// reach or refusing is infrastructure (3).
func gitError(what string, err error) error {
	if what != "" {
		err = fmt.Errorf("%s: %w", what, err)
	}
	var ce *gitops.ChangeError
	if errors.As(err, &ce) {
		return exitcode.Wrap(exitcode.Invalid, err)
	}
	return exitcode.Wrap(exitcode.Infra, err)
}

// deliveryFlags are run's and gate's publish and notify flags.
func deliveryFlags() []ucli.Flag {
	return append(append([]ucli.Flag{
		&ucli.BoolFlag{Name: flagPublish, Usage: "commit each run's reports to --publish-repo (the Argo CD reports application's repository)"},
	}, append(gitFlags("publish-", "the reports are published to"), pathFlag(flagPublishPath))...),
		&ucli.StringFlag{Name: flagNotify, Usage: "notifications file: where each verdict goes (Slack, a webhook, Alertmanager; docs/notifications.md)"},
		&ucli.StringSliceFlag{Name: flagNotifyLabel, Usage: "NAME=VALUE describing where the run happened, in every notification (environment=staging); repeatable"},
	)
}

// delivery publishes and notifies after each run, as the flags say.
type delivery struct {
	reportsDir string
	remote     *gitops.Remote // nil: no publishing
	path       string
	notifier   *notify.Notifier // nil: no notifications
	labels     map[string]string
	errs       io.Writer
}

// newDelivery reads the flags; a bad one is invalid input (exit 2) before
// anything runs, a notifications file included.
func newDelivery(c *ucli.Context, reportsDir string) (*delivery, error) {
	d := &delivery{reportsDir: reportsDir, errs: c.App.ErrWriter, path: c.String(flagPublishPath)}
	if c.Bool(flagPublish) {
		r, err := remoteOf(c, flagPublishRepo, flagPublishBranch)
		if err != nil {
			return nil, err
		}
		d.remote = r
	} else if c.IsSet(flagPublishRepo) {
		return nil, exitcode.Invalidf("--%s without --%s: add --%s to publish", flagPublishRepo, flagPublish, flagPublish)
	}
	if p := c.String(flagNotify); p != "" {
		f, err := notify.Load(p)
		if err != nil {
			return nil, exitcode.Wrap(exitcode.Invalid, err)
		}
		d.notifier = notify.New(f)
	}
	labels, err := labelsOf(c.StringSlice(flagNotifyLabel))
	if err != nil {
		return nil, err
	}
	d.labels = labels
	return d, nil
}

// remoteOf is the repository of the flags repo and branch, with the
// credentials of --git-credentials (or the environment).
func remoteOf(c *ucli.Context, repo, branch string) (*gitops.Remote, error) {
	url := c.String(repo)
	if url == "" {
		return nil, exitcode.Invalidf("--%s: the repository to write to", repo)
	}
	if err := gitops.CheckURL(url); err != nil {
		return nil, exitcode.Invalidf("--%s: %v", repo, err)
	}
	cred, err := gitops.LoadCredentials(c.String(flagGitCredentials))
	if err != nil {
		return nil, exitcode.Invalidf("--%s: %v", flagGitCredentials, err)
	}
	return &gitops.Remote{URL: url, Branch: c.String(branch), Auth: cred, Timeout: publishTimeout, Log: c.App.ErrWriter}, nil
}

func labelsOf(kvs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, exitcode.Invalidf("--%s %q: want NAME=VALUE", flagNotifyLabel, kv)
		}
		out[k] = v
	}
	return out, nil
}

// delivered is what became of a run's publishing and notifications, in
// the run's summary (--output json).
type delivered struct {
	Published     *published      `json:"published,omitempty"`
	PublishError  string          `json:"publishError,omitempty"`
	Notifications []notifySummary `json:"notifications,omitempty"`
}

type published struct {
	Repository string `json:"repository"`
	Path       string `json:"path"`
	Commit     string `json:"commit"`
	// Changed is false when the report was already there.
	Changed bool `json:"changed"`
}

type notifySummary struct {
	Receiver string `json:"receiver"`
	Kind     string `json:"kind"`
	Sent     bool   `json:"sent"`
	Skipped  string `json:"skipped,omitempty"`
	Attempts int    `json:"attempts,omitempty"`
	Error    string `json:"error,omitempty"`
}

// after publishes out's reports, then notifies (so a notification can
// link the published report). A publishing failure is returned (the
// caller decides what it does to the exit code); a notifier's never is.
func (d *delivery) after(ctx context.Context, out runner.Outcome) (delivered, error) {
	var res delivered
	if d == nil {
		return res, nil
	}
	ctx = context.WithoutCancel(ctx) // an interrupted run's report is evidence too
	var pub *publish.Result
	var perr error
	if d.remote != nil && out.Result != nil && out.Result.Dir != "" {
		pctx, cancel := context.WithTimeout(ctx, publishTimeout)
		r, err := publish.Publish(pctx, publish.Options{Remote: *d.remote, Path: d.path, ReportsDir: d.reportsDir, Dirs: []string{out.Result.Dir}})
		cancel()
		if err != nil {
			perr = err
			res.PublishError = err.Error()
		} else {
			pub = &r
			res.Published = &published{Repository: d.remote.URL, Path: d.path + "/" + r.Published[0].Path, Commit: r.Commit, Changed: r.Changed}
		}
	}
	if d.notifier != nil {
		ev := d.event(ctx, out, pub)
		nctx, cancel := context.WithTimeout(ctx, notifyTimeout)
		for _, dl := range d.notifier.Notify(nctx, ev) {
			s := notifySummary{Receiver: dl.Receiver, Kind: dl.Kind, Sent: dl.Err == nil && dl.Skipped == "", Skipped: dl.Skipped, Attempts: dl.Attempts}
			if dl.Err != nil {
				s.Error = dl.Err.Error()
				fmt.Fprintf(d.errs, "gameday: notify %s: the verdict stands\n", dl)
			}
			res.Notifications = append(res.Notifications, s)
		}
		cancel()
	}
	return res, perr
}

// event is out as a notification, with the verdict of the run before it.
func (d *delivery) event(ctx context.Context, out runner.Outcome, pub *publish.Result) notify.Event {
	code := exitcode.Of(out.Err)
	ev := notify.Event{Experiment: out.Experiment.Metadata.Name, Suite: out.Suite, Status: exitcode.Name(code), ExitCode: code, Labels: d.labels}
	if out.Err != nil {
		ev.Reasons = []string{out.Err.Error()}
	}
	if res := out.Result; res != nil && res.Report != nil {
		r := res.Report
		ev.RunID, ev.Target, ev.Status, ev.ExitCode = r.RunID, r.Target.Kind, string(r.Verdict.Status), r.ExitCode
		ev.Score, ev.BudgetConsumed, ev.Reasons, ev.Start, ev.End = r.Verdict.Score.Percent, r.Verdict.Budget.Consumed, r.Verdict.Reasons, r.Timings.Start, r.Timings.End
		ev.Dir, ev.Report = r.Suite+"/"+r.RunID, res.Paths["report.html"]
	}
	if pub != nil {
		ev.Commit = pub.Commit
	}
	ev.Previous = d.previous(ctx, ev)
	if ev.Previous == nil && pub != nil && len(pub.Published) == 1 {
		if p := pub.Index.Previous(pub.Published[0]); p != nil {
			ev.Previous = &notify.Previous{RunID: p.RunID, Status: p.Status, Start: *p.Start}
		}
	}
	return ev
}

// previous is the newest earlier run of ev's experiment, suite and target
// in the history of the reports tree (nil: none, or no history).
func (d *delivery) previous(ctx context.Context, ev notify.Event) *notify.Previous {
	s, err := history.Open(d.reportsDir, history.Options{})
	if err != nil {
		return nil
	}
	defer s.Close()
	if _, err := s.Sync(ctx); err != nil {
		fmt.Fprintf(d.errs, "gameday: history: %v: the previous verdict is unknown\n", err)
		return nil
	}
	until := cmp.Or(ev.Start, time.Now())
	runs, _, err := s.List(ctx, history.Filter{Experiment: ev.Experiment, Suite: ev.Suite, Target: ev.Target, Until: until, Limit: 2})
	if err != nil {
		return nil
	}
	for _, r := range runs {
		if r.Dir != ev.Dir {
			return &notify.Previous{RunID: r.RunID, Status: r.Status, Start: r.Start}
		}
	}
	return nil
}

// print writes what was published and notified under a run's summary.
func (dl delivered) print(w io.Writer) {
	if p := dl.Published; p != nil {
		what := "published"
		if !p.Changed {
			what = "already published"
		}
		fmt.Fprintf(w, "  %s: %s/ at %s of %s\n", what, p.Path, shortHash(p.Commit), p.Repository)
	}
	if dl.PublishError != "" {
		fmt.Fprintf(w, "  publish FAILED: %s\n", dl.PublishError)
	}
	for _, n := range dl.Notifications {
		switch {
		case n.Skipped != "":
			fmt.Fprintf(w, "  notify %s: skipped, %s\n", n.Receiver, n.Skipped)
		case n.Error != "":
			fmt.Fprintf(w, "  notify %s: FAILED after %d attempt(s): %s\n", n.Receiver, n.Attempts, n.Error)
		case n.Attempts > 1:
			fmt.Fprintf(w, "  notify %s: sent after %d attempts\n", n.Receiver, n.Attempts)
		default:
			fmt.Fprintf(w, "  notify %s: sent\n", n.Receiver)
		}
	}
}

func shortHash(h string) string { return h[:min(len(h), 12)] }

// publishFailed is the error of a run whose publishing failed: infra
// (exit 3) when the run held, so a gate is not green without its evidence;
// nothing when the run did not hold, whose own exit code says more.
func publishFailed(out runner.Outcome, err error) error {
	if err == nil || out.Err != nil {
		return nil
	}
	dir := ""
	if out.Result != nil {
		dir = filepath.ToSlash(out.Result.Dir)
	}
	return exitcode.Infraf("%s held, but its report was not published: %w (publish it again: gameday publish %s)", out.Experiment.Metadata.Name, err, dir)
}
