package main

// Publishing and notifications of real game days: the reports go to a bare
// repository served by git-http-backend on loopback (with a token), the
// verdicts to a local Slack-compatible receiver, a webhook that answers 500
// three times, and a real Alertmanager running the platform's
// configuration.

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/alertmanagertest"
	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/gitops/gittest"
	"github.com/gamedayhq/gameday/harness/internal/publish"
	"github.com/gamedayhq/gameday/harness/internal/repotest"
)

const e2eToken = "ghp_e2eTOKENneverPrinted42"

type publishWorld struct {
	git          *gittest.Server
	repo, dead   string
	cred, notify string
	am           string
	mu           sync.Mutex
	slack, hook  []string // bodies received
	hookAnswers  []int
	hookRequests int
}

func newPublishWorld(t *testing.T) *publishWorld {
	w := &publishWorld{hookAnswers: []int{500, 500, 500}}
	w.git = gittest.Start(t, gittest.Options{Username: "gameday-bot", Token: e2eToken})
	w.repo = w.git.NewRepo("reports")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	w.dead = "http://" + l.Addr().String() + "/reports.git"
	l.Close()
	w.cred = filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(w.cred, []byte(e2eToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GIT_USERNAME", "gameday-bot")
	w.am = alertmanagertest.Start(t, filepath.Join(repotest.Root(t), "monitoring", "alertmanager", "alertmanager.yml"))
	slack := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.mu.Lock()
		w.slack = append(w.slack, string(b))
		w.mu.Unlock()
	}))
	t.Cleanup(slack.Close)
	hook := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.mu.Lock()
		defer w.mu.Unlock()
		w.hookRequests++
		if len(w.hookAnswers) > 0 {
			code := w.hookAnswers[0]
			w.hookAnswers = w.hookAnswers[1:]
			rw.WriteHeader(code)
			return
		}
		w.hook = append(w.hook, string(b))
	}))
	t.Cleanup(hook.Close)
	t.Setenv("GAMEDAY_E2E_SLACK_URL", slack.URL+"/services/T0/B0/e2eSlackSecret")
	w.notify = filepath.Join(t.TempDir(), "notifications.yaml")
	err = os.WriteFile(w.notify, []byte(`apiVersion: gameday.dev/v1alpha1
kind: Notifications
metadata:
  name: e2e
spec:
  when: every
  retry: {attempts: 4, backoff: 100ms}
  receivers:
    - name: sre-slack
      slack: {url: {env: GAMEDAY_E2E_SLACK_URL}}
    - name: incidents
      webhook: {url: "`+hook.URL+`/gameday"}
    - name: alertmanager
      alertmanager:
        urls: ["`+strings.TrimSuffix(w.am, "/api/v2")+`"]
        labels: {team: platform}
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// args are run's delivery flags publishing to repo.
func (w *publishWorld) args(repo string) []string {
	return []string{"--publish", "--publish-repo", repo, "--git-credentials", w.cred, "--notify", w.notify, "--notify-label", "environment=e2e"}
}

// gamedayFailed is the GamedayFailed alert of experiment in Alertmanager.
func (w *publishWorld) gamedayFailed(t *testing.T, experiment string) (state string, receivers []string) {
	t.Helper()
	r, err := http.Get(w.am + "/alerts?filter=" + url.QueryEscape(`alertname="GamedayFailed"`) + "&filter=" + url.QueryEscape(`experiment="`+experiment+`"`))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	var as []struct {
		Receivers []struct{ Name string } `json:"receivers"`
		Status    struct{ State string }  `json:"status"`
	}
	if err := json.NewDecoder(r.Body).Decode(&as); err != nil {
		t.Fatal(err)
	}
	if len(as) == 0 {
		return "", nil
	}
	for _, rc := range as[0].Receivers {
		receivers = append(receivers, rc.Name)
	}
	return as[0].Status.State, receivers
}

// checkPublished: the run's folder is in the repository with its index
// entry, the summary says where, Slack heard the verdict.
func (w *publishWorld) checkPublished(t *testing.T, g *gameday, folder, status string) {
	t.Helper()
	if strings.Contains(g.String(), e2eToken) {
		t.Errorf("the token is in the output:\n%s", g)
	}
	t.Logf("stdout:\n%s", g.out.String())
	files := w.git.Files("reports", "")
	for _, f := range []string{"report.json", "report.html", "report.md", "junit.xml", publish.RunManifest} {
		if !slices.Contains(files, "reports/"+folder+"/"+f) {
			t.Errorf("reports/%s/%s not published: %v", folder, f, files)
		}
	}
	var idx publish.Index
	if err := json.Unmarshal([]byte(w.git.Show("reports", "main", "reports/index.json")), &idx); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range idx.Reports {
		found = found || e.Path == folder && e.Status == status
	}
	if !found {
		t.Errorf("index.json lacks %s %s: %+v", folder, status, idx.Reports)
	}
	if !strings.Contains(g.out.String(), "published: reports/"+folder+"/ at ") || !strings.Contains(g.out.String(), "notify sre-slack: sent") ||
		!strings.Contains(g.out.String(), "notify incidents: sent after 4 attempts") {
		t.Errorf("the summary does not say where it was published and notified:\n%s", g)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.slack) == 0 || !strings.Contains(w.slack[len(w.slack)-1], strings.ToUpper(status)) {
		t.Errorf("slack got %v, want the verdict %s", w.slack, status)
	}
}

// checkUnpublishedFailure: publishing failed (said on stdout, with the
// reason), the webhook got the verdict on its fourth attempt, and
// GamedayFailed fires in Alertmanager, routed to the platform team.
func (w *publishWorld) checkUnpublishedFailure(t *testing.T, g *gameday) {
	t.Helper()
	if strings.Contains(g.String(), e2eToken) {
		t.Errorf("the token is in the output:\n%s", g)
	}
	out := g.out.String()
	t.Logf("stdout:\n%s", out)
	if !strings.Contains(out, "publish FAILED: ") || !strings.Contains(out, "connection refused") {
		t.Errorf("the publish failure is not reported:\n%s", g)
	}
	if !strings.Contains(out, "notify incidents: sent") { // after 4 attempts for the first run; at once for this one
		t.Errorf("the webhook (500 three times) did not get the event:\n%s", g)
	}
	w.mu.Lock()
	hook, reqs := w.hook, w.hookRequests
	w.mu.Unlock()
	if len(hook) != 2 || reqs != 5 || !strings.Contains(hook[1], `"status":"failed"`) {
		t.Errorf("webhook: %d requests, bodies %v; want the held run's after three 500s, then the failed run's", reqs, hook)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		state, recv := w.gamedayFailed(t, "pod-kill-all")
		if state == "active" && len(recv) == 1 && recv[0] == "slack-platform" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GamedayFailed of pod-kill-all: state %q, receivers %v", state, recv)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// publishAgainAndRace: `gameday publish` of a published run makes no
// commit; two publishers at once both land; no token in any output, in
// the reports or in the repository.
func (w *publishWorld) publishAgainAndRace(t *testing.T, reports string) {
	commits := w.git.Commits("reports", "")
	base := []string{"publish", "--repo", w.repo, "--git-credentials", w.cred, "--reports-dir", reports}
	g, code := run(t, append(base, filepath.Join(reports, "adhoc", "kill-one"))...)
	if code != exitcode.OK || !strings.Contains(g.out.String(), "already published") || w.git.Commits("reports", "") != commits {
		t.Fatalf("publish again: exit %d, %d commits (was %d)\n%s", code, w.git.Commits("reports", ""), commits, g)
	}
	var racers []*gameday
	for _, run := range []string{"kill-all", "interrupted"} {
		r := command(t, append(base, filepath.Join(reports, "adhoc", run))...)
		if err := r.Start(); err != nil {
			t.Fatal(err)
		}
		racers = append(racers, r)
	}
	var outputs strings.Builder
	outputs.WriteString(g.out.String() + g.err.String())
	for _, r := range racers {
		if code := r.code(t); code != exitcode.OK {
			t.Errorf("racer: exit %d\n%s", code, r)
		}
		outputs.WriteString(r.out.String() + r.err.String())
	}
	files := w.git.Files("reports", "")
	for _, run := range []string{"kill-one", "kill-all", "interrupted"} {
		if !slices.Contains(files, "reports/adhoc/"+run+"/report.json") {
			t.Errorf("adhoc/%s lost: %v", run, files)
		}
	}
	t.Logf("racers:\n%s", outputs.String())
	if strings.Contains(outputs.String(), e2eToken) || strings.Contains(w.git.AllObjects("reports"), e2eToken) {
		t.Error("the token is in an output or in the repository")
	}
	_ = filepath.WalkDir(reports, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, _ := os.ReadFile(p); strings.Contains(string(b), e2eToken) {
				t.Errorf("the token is in %s", p)
			}
		}
		return nil
	})
}
