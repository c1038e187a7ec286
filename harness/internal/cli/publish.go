package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/publish"
)

func publishCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "publish",
		Usage:     "commit reports to the GitOps repository the Argo CD reports application syncs",
		ArgsUsage: "[DIR...]",
		Description: `Commits folders of the reports tree to --repo, under --path, in one commit: a game day's
<suite>/<run-id>/ (its reports and a run.yaml ConfigMap that Argo CD applies), the SLO,
cost and DORA reports' <kind>/<environment>/, with index.json and README.md listing everything
published. Without DIR, every folder of --reports-dir. Publishing the same reports again
makes no commit; a publisher that loses a race with another fetches the new tip and
commits again on top of it (5 attempts), so no report is lost. The token comes from
--git-credentials or $GIT_TOKEN, never from the URL; it is never printed.
run, gate and schedule publish each run themselves with --publish (docs/publishing.md).

EXIT CODES: 0 published (or already there), 2 invalid folder or flag, 3 the repository
could not be reached or refused the push.

EXAMPLES:
   gameday publish --repo https://github.com/gamedayhq/gameday-reports.git reports/adhoc/20261207-070000-pod-kill
   GIT_TOKEN=$(cat token) gameday publish --repo https://github.com/gamedayhq/gameday-reports.git --reports-dir /reports /reports/slo/staging
   gameday publish --repo file:///srv/git/reports.git --reports-dir reports          (every folder of reports/)`,
		Flags: append([]ucli.Flag{
			&ucli.StringFlag{Name: flagReportsDir, Value: "reports", Usage: "root of the reports tree: each folder is published at its path relative to it"},
			outputFlag(),
		}, append(gitFlags("", "the reports are published to"), pathFlag("path"))...),
		Action: publishAction,
	}
}

func publishAction(c *ucli.Context) error {
	o, err := output(c)
	if err != nil {
		return err
	}
	remote, err := remoteOf(c, "repo", "branch")
	if err != nil {
		return err
	}
	root := c.String(flagReportsDir)
	dirs := c.Args().Slice()
	if len(dirs) == 0 {
		if dirs, err = reportFolders(root); err != nil {
			return err
		}
	}
	for _, d := range dirs {
		if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
			return exitcode.Invalidf("publish: %s: not a folder of the reports tree %s", d, root)
		}
	}
	res, err := publish.Publish(c.Context, publish.Options{Remote: *remote, Path: c.String("path"), ReportsDir: root, Dirs: dirs})
	if err != nil {
		if res.Attempts == 0 { // a folder that cannot be published
			return exitcode.Wrap(exitcode.Invalid, err)
		}
		return gitError("", err) // publish's errors name it
	}
	if o == "json" {
		return writeJSON(c.App.Writer, map[string]any{"repository": remote.URL, "branch": remote.Branch, "path": c.String("path"),
			"commit": res.Commit, "changed": res.Changed, "attempts": res.Attempts, "published": res.Published})
	}
	for _, e := range res.Published {
		what := e.Kind
		if e.Kind == publish.KindRun {
			what = fmt.Sprintf("%s %s", e.Experiment, strings.ToUpper(e.Status))
		}
		fmt.Fprintf(c.App.Writer, "%-50s %s\n", c.String("path")+"/"+e.Path+"/", what)
	}
	if res.Changed {
		fmt.Fprintf(c.App.Writer, "committed %s to %s of %s (%d attempt(s))\n", shortHash(res.Commit), remote.Branch, remote.URL, res.Attempts)
	} else {
		fmt.Fprintf(c.App.Writer, "already published: %s of %s is at %s, nothing to commit\n", remote.Branch, remote.URL, shortHash(res.Commit))
	}
	return nil
}

// reportFolders lists every folder two levels below root (<suite>/<run-id>,
// <kind>/<name>), leaving out those starting with a dot (the history's
// index, half-written reports).
func reportFolders(root string) ([]string, error) {
	var out []string
	groups, err := os.ReadDir(root)
	if err != nil {
		return nil, exitcode.Invalidf("publish: %v", err)
	}
	for _, g := range groups {
		if !g.IsDir() || strings.HasPrefix(g.Name(), ".") {
			continue
		}
		items, err := os.ReadDir(filepath.Join(root, g.Name()))
		if err != nil {
			return nil, exitcode.Infraf("publish: %w", err)
		}
		for _, it := range items {
			if it.IsDir() && !strings.HasPrefix(it.Name(), ".") {
				out = append(out, filepath.Join(root, g.Name(), it.Name()))
			}
		}
	}
	if len(out) == 0 {
		return nil, exitcode.Invalidf("publish: %s holds no report folder (<suite>/<run-id>)", root)
	}
	return out, nil
}
