package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/gitops/gittest"
	"github.com/gamedayhq/gameday/harness/internal/historytest"
	"github.com/gamedayhq/gameday/harness/internal/report"
	"github.com/gamedayhq/gameday/harness/internal/runner"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// deliveryOf builds the delivery of run's flags, as run does.
func deliveryOf(t *testing.T, reports string, stderr io.Writer, args ...string) *delivery {
	t.Helper()
	var d *delivery
	app := &ucli.App{Name: "gameday", ErrWriter: stderr, Commands: []*ucli.Command{{
		Name:  "run",
		Flags: deliveryFlags(),
		Action: func(c *ucli.Context) error {
			var err error
			d, err = newDelivery(c, reports)
			return err
		},
	}}, ExitErrHandler: func(*ucli.Context, error) {}}
	if err := app.RunContext(t.Context(), append([]string{"gameday", "run"}, args...)); err != nil {
		t.Fatal(err)
	}
	return d
}

// outcomeOf is the outcome runner.RunSuite gives for the run in dir.
func outcomeOf(t *testing.T, dir string) runner.Outcome {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, report.FileJSON))
	if err != nil {
		t.Fatal(err)
	}
	var r report.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	var runErr error
	if r.ExitCode != 0 {
		runErr = &exitcode.Error{Code: r.ExitCode}
	}
	return runner.Outcome{Suite: r.Suite, Experiment: &spec.Experiment{Metadata: spec.Metadata{Name: r.Experiment.Name}},
		Result: &runner.Result{Report: &r, Dir: dir, Paths: map[string]string{report.FileHTML: filepath.Join(dir, report.FileHTML)}}, Err: runErr}
}

// slackReceiver keeps the text of every message.
type slackReceiver struct {
	*httptest.Server
	mu    sync.Mutex
	texts []string
}

func newSlack(t *testing.T) *slackReceiver {
	s := &slackReceiver{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m struct{ Text string }
		json.NewDecoder(r.Body).Decode(&m)
		s.mu.Lock()
		s.texts = append(s.texts, m.Text)
		s.mu.Unlock()
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *slackReceiver) last() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.texts) == 0 {
		return ""
	}
	return s.texts[len(s.texts)-1]
}

// After a run: its reports published to a real git server, the previous
// verdict read from the history (or, in a fresh reports tree, from the
// published index), the verdict notified on a change; a publish that fails
// makes a held run exit 3 and leaves a failed run's exit code alone; the
// token never shows.
func TestDeliver(t *testing.T) {
	const token = "ghp_deliverTestTOKEN0123"
	srv := gittest.Start(t, gittest.Options{Username: "gameday-bot", Token: token})
	repo := srv.NewRepo("reports")
	cred := filepath.Join(t.TempDir(), "git-credentials")
	if err := os.WriteFile(cred, []byte(`{"username": "gameday-bot", "token": "`+token+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	slack := newSlack(t)
	t.Setenv("TEST_DELIVER_SLACK", slack.URL+"/services/T/B/slacksecret")
	notifications := filepath.Join(t.TempDir(), "notifications.yaml")
	os.WriteFile(notifications, []byte(`apiVersion: gameday.dev/v1alpha1
kind: Notifications
metadata: {name: test}
spec:
  retry: {attempts: 2, backoff: 10ms}
  receivers:
    - name: slack
      slack: {url: {env: TEST_DELIVER_SLACK}}
`), 0o600)
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + l.Addr().String() + "/reports.git"
	l.Close()

	day := time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC)
	reports := t.TempDir()
	run := func(d time.Duration, status string) string {
		return historytest.Write(t, reports, historytest.Run{Suite: "k8s-preprod-gate", Experiment: "pod-kill", Target: "kubernetes", Start: day.Add(d), Status: status, Score: 100})
	}
	var logs bytes.Buffer
	publishTo := func(url string) []string {
		return []string{"--publish", "--publish-repo", url, "--git-credentials", cred, "--notify", notifications, "--notify-label", "environment=staging"}
	}

	t.Run("a failed run after a held one: published, notified as a change", func(t *testing.T) {
		run(0, "held")
		dir := run(24*time.Hour, "failed")
		d := deliveryOf(t, reports, &logs, publishTo(repo)...)
		out := outcomeOf(t, dir)
		dl, err := d.after(context.Background(), out)
		if err != nil || dl.Published == nil || !dl.Published.Changed {
			t.Fatalf("published %+v, %v", dl.Published, err)
		}
		if got := srv.Show("reports", "main", "reports/k8s-preprod-gate/20261202-070000-pod-kill/report.json"); got == "" {
			t.Error("report.json not in the repository")
		}
		if want := "Game day *pod-kill* (suite k8s-preprod-gate): *FAILED*, was held"; slack.last() != want {
			t.Errorf("slack %q, want %q", slack.last(), want)
		}
		if publishFailed(out, err) != nil {
			t.Error("a published run has an error")
		}
		dl.print(&logs)
	})

	t.Run("a held run whose remote is unreachable exits 3; it is notified all the same", func(t *testing.T) {
		dir := run(48*time.Hour, "held")
		d := deliveryOf(t, reports, &logs, publishTo(dead)...)
		out := outcomeOf(t, dir)
		dl, perr := d.after(context.Background(), out)
		err := publishFailed(out, perr)
		if exitcode.Of(err) != exitcode.Infra || !strings.Contains(err.Error(), "pod-kill held, but its report was not published") ||
			!strings.Contains(dl.PublishError, "connection refused") {
			t.Errorf("error %v, publishError %q", err, dl.PublishError)
		}
		if want := "Game day *pod-kill* (suite k8s-preprod-gate): *HELD*, was failed"; slack.last() != want {
			t.Errorf("slack %q, want %q", slack.last(), want)
		}
		dl.print(&logs)
	})

	t.Run("a failed run whose remote is unreachable keeps exit 1", func(t *testing.T) {
		dir := run(72*time.Hour, "failed")
		d := deliveryOf(t, reports, &logs, publishTo(dead)...)
		out := outcomeOf(t, dir)
		_, perr := d.after(context.Background(), out)
		if perr == nil || publishFailed(out, perr) != nil || exitcode.Of(out.Err) != exitcode.Failed {
			t.Errorf("publish error %v, run error %v", perr, out.Err)
		}
	})

	t.Run("in a fresh reports tree the previous verdict comes from the published index", func(t *testing.T) {
		fresh := t.TempDir()
		dir := historytest.Write(t, fresh, historytest.Run{Suite: "k8s-preprod-gate", Experiment: "pod-kill", Target: "kubernetes", Start: day.Add(96 * time.Hour), Status: "failed", Score: 10})
		d := deliveryOf(t, fresh, &logs, publishTo(repo)...)
		dl, err := d.after(context.Background(), outcomeOf(t, dir))
		if err != nil || len(dl.Notifications) != 1 {
			t.Fatalf("%+v, %v", dl, err)
		}
		// The last published run (2 Dec) failed: no change, nothing sent.
		if n := dl.Notifications[0]; n.Sent || n.Skipped != "verdict unchanged (failed)" {
			t.Errorf("notification %+v: want it skipped, the published run before it failed too", n)
		}
	})

	if strings.Contains(logs.String(), token) || strings.Contains(logs.String(), "slacksecret") {
		t.Errorf("a secret is in the output:\n%s", logs.String())
	}
	if strings.Contains(srv.AllObjects("reports"), token) {
		t.Error("the token is in the repository")
	}
	t.Logf("output:\n%s", logs.String())
}

// The scheduler publishes and notifies every run of a fire after it ends
// (Suites.Done), with its own delivery flags: what became of them in its
// log, a held run it could not publish an infrastructure error of the fire.
func TestSchedulerDelivers(t *testing.T) {
	const token = "ghp_schedulerTestTOKEN42"
	srv := gittest.Start(t, gittest.Options{Username: "gameday-bot", Token: token})
	repo := srv.NewRepo("reports")
	t.Setenv("GIT_USERNAME", "gameday-bot")
	t.Setenv("GIT_TOKEN", token)
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + l.Addr().String() + "/reports.git"
	l.Close()
	reports := t.TempDir()
	day := time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC)
	held := historytest.Write(t, reports, historytest.Run{Suite: "weekly", Experiment: "pod-kill", Start: day, Status: "held", Score: 100})
	done := func(remote string) (string, error) {
		var log bytes.Buffer
		var err error
		app := &ucli.App{Name: "gameday", ErrWriter: &log, Commands: []*ucli.Command{{
			Name: "schedule", Flags: deliveryFlags(),
			Action: func(c *ucli.Context) error {
				d, derr := newDelivery(c, reports)
				if derr != nil {
					return derr
				}
				err = fires(c, reports, d).Done(outcomeOf(t, held))
				return nil
			},
		}}, ExitErrHandler: func(*ucli.Context, error) {}}
		if rerr := app.RunContext(t.Context(), []string{"gameday", "schedule", "--publish", "--publish-repo", remote}); rerr != nil {
			t.Fatal(rerr)
		}
		return log.String(), err
	}
	log, err := done(repo)
	if err != nil || !strings.Contains(log, "published: reports/weekly/20261201-070000-pod-kill/ at ") {
		t.Errorf("error %v, log:\n%s", err, log)
	}
	if srv.Show("reports", "main", "reports/weekly/20261201-070000-pod-kill/report.json") == "" {
		t.Error("the run's report.json is not in the repository")
	}
	log, err = done(dead)
	if exitcode.Of(err) != exitcode.Infra || !strings.Contains(log, "publish FAILED: ") || strings.Contains(log, token) {
		t.Errorf("unreachable remote: error %v, log:\n%s", err, log)
	}
}
