package notify_test

import (
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

	"github.com/gamedayhq/gameday/harness/internal/notify"
)

// receiver is a local HTTP receiver that answers the statuses of answers in
// turn (then 200) and keeps every request.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	answers  []int
	requests []*http.Request
	bodies   [][]byte
}

func newReceiver(t *testing.T, answers ...int) *receiver {
	r := &receiver{answers: answers}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.requests, r.bodies = append(r.requests, req), append(r.bodies, b)
		code := http.StatusOK
		if len(r.answers) > 0 {
			code, r.answers = r.answers[0], r.answers[1:]
		}
		if code == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "1")
		}
		w.WriteHeader(code)
		io.WriteString(w, http.StatusText(code))
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.requests)
}

// file writes a notifications file and loads it.
func file(t *testing.T, body string) *notify.File {
	t.Helper()
	p := filepath.Join(t.TempDir(), "notifications.yaml")
	if err := os.WriteFile(p, []byte("apiVersion: gameday.dev/v1alpha1\nkind: Notifications\nmetadata:\n  name: test\n"+body), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := notify.Load(p)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return f
}

var (
	t0     = time.Date(2026, 12, 7, 7, 0, 0, 0, time.UTC)
	failed = notify.Event{Experiment: "pod-kill", Suite: "k8s-preprod-gate", RunID: "20261207-070000-pod-kill", Target: "kubernetes",
		Status: "failed", ExitCode: 1, Score: 50, BudgetConsumed: 2.5, Reasons: []string{"front-door: 7 of 60 samples breached status == 200"},
		Start: t0, End: t0.Add(90 * time.Second), Dir: "k8s-preprod-gate/20261207-070000-pod-kill", Report: "reports/k8s-preprod-gate/20261207-070000-pod-kill/report.html",
		Commit: "abc123", Labels: map[string]string{"environment": "staging"}}
)

// TestSlackPipelineEvent: a CI job's outcome (gameday notify --status,
// no run behind it) shows its reason and link, not a game day's score,
// budget and target it does not have.
func TestSlackPipelineEvent(t *testing.T) {
	slack := newReceiver(t)
	t.Setenv("TEST_SLACK_URL", slack.URL+"/services/T000/B000/XXXXsecretXXXX")
	f := file(t, "spec:\n  receivers:\n    - name: delivery\n      slack: {url: {env: TEST_SLACK_URL}}\n")
	ev := notify.Event{Subject: "Pipeline", Experiment: "delivery/promote-prod", Suite: "ci", Status: "failed", ExitCode: -1,
		Reasons: []string{"the resilience gate did not hold"}, Report: "https://github.com/gamedayhq/gameday/actions/runs/42"}
	for _, d := range notify.New(f).Notify(context.Background(), ev) {
		if d.Err != nil || d.Skipped != "" {
			t.Fatalf("%s", d)
		}
	}
	var msg struct {
		Text        string `json:"text"`
		Attachments []struct {
			Title     string `json:"title"`
			TitleLink string `json:"title_link"`
			Text      string `json:"text"`
			Fields    []struct{ Title, Value string }
		} `json:"attachments"`
	}
	if err := json.Unmarshal(slack.bodies[0], &msg); err != nil {
		t.Fatal(err)
	}
	a := msg.Attachments[0]
	if msg.Text != "Pipeline *delivery/promote-prod* (suite ci): *FAILED*" || a.Title != "delivery/promote-prod: FAILED" ||
		a.TitleLink != ev.Report || a.Text != "• the resilience gate did not hold" || len(a.Fields) != 0 {
		t.Errorf("slack message %s", slack.bodies[0])
	}
}

func TestSlackAndWebhookReceivers(t *testing.T) {
	slack, hook := newReceiver(t), newReceiver(t)
	t.Setenv("TEST_SLACK_URL", slack.URL+"/services/T000/B000/XXXXsecretXXXX")
	t.Setenv("TEST_HOOK_TOKEN", "hook-token-value")
	t.Setenv("TEST_SIGNING", "signing-key")
	f := file(t, `spec:
  reportURL: "https://github.com/gamedayhq/gameday-reports/blob/{{.Commit}}/reports/{{.Path}}/report.md"
  receivers:
    - name: sre-slack
      slack: {url: {env: TEST_SLACK_URL}, channel: "#gamedays"}
    - name: incidents
      when: every
      webhook:
        url: `+hook.URL+`/gameday
        bearerToken: {env: TEST_HOOK_TOKEN}
        signingSecret: {env: TEST_SIGNING}
        headers: {X-Team: sre}
`)
	n := notify.New(f)
	ds := notify.New(f).Notify(context.Background(), failed)
	for _, d := range ds {
		if d.Err != nil || d.Skipped != "" || d.Attempts != 1 {
			t.Errorf("%s", d)
		}
	}
	link := "https://github.com/gamedayhq/gameday-reports/blob/abc123/reports/k8s-preprod-gate/20261207-070000-pod-kill/report.md"
	if got := n.ReportLink(failed); got != link {
		t.Errorf("link %s, want %s", got, link)
	}
	unpublished := failed
	unpublished.Commit = ""
	if got := n.ReportLink(unpublished); got != failed.Report {
		t.Errorf("link of an unpublished run %s, want its report's path %s", got, failed.Report)
	}

	var msg struct {
		Text        string `json:"text"`
		Channel     string `json:"channel"`
		Attachments []struct {
			Color, Title, TitleLink, Text string
			Fields                        []struct{ Title, Value string }
		} `json:"attachments"`
	}
	if err := json.Unmarshal(slack.bodies[0], &msg); err != nil {
		t.Fatal(err)
	}
	if slack.requests[0].URL.Path != "/services/T000/B000/XXXXsecretXXXX" || msg.Channel != "#gamedays" ||
		msg.Text != "Game day *pod-kill* (suite k8s-preprod-gate): *FAILED*" || len(msg.Attachments) != 1 ||
		msg.Attachments[0].Color != "#cf222e" || !strings.Contains(msg.Attachments[0].Text, "front-door: 7 of 60") {
		t.Errorf("slack message %s", slack.bodies[0])
	}

	var body notify.WebhookBody
	if err := json.Unmarshal(hook.bodies[0], &body); err != nil {
		t.Fatal(err)
	}
	req := hook.requests[0]
	if body.SchemaVersion != notify.WebhookSchema || body.Run.Status != "failed" || !body.Changed || body.ReportURL != link ||
		body.Run.Commit != "abc123" || body.Labels["environment"] != "staging" {
		t.Errorf("webhook body %s", hook.bodies[0])
	}
	if req.Header.Get("Authorization") != "Bearer hook-token-value" || req.Header.Get("X-Team") != "sre" ||
		req.Header.Get(notify.SignatureHeader) != notify.Sign([]byte("signing-key"), hook.bodies[0]) {
		t.Errorf("webhook headers %v", req.Header)
	}
}

// A receiver that answers 500 three times gets the event on the fourth
// attempt; one that always fails is reported with its last error, its URL
// (the secret) hidden; a 4xx is not retried; a 429's Retry-After is obeyed.
func TestRetries(t *testing.T) {
	cases := map[string]struct {
		answers      []int
		attempts     int
		wantAttempts int
		wantErr      string
		minWait      time.Duration
	}{
		"500 three times, then delivered": {answers: []int{500, 500, 500}, attempts: 4, wantAttempts: 4},
		"500 every time, given up":        {answers: []int{500, 502, 503, 500, 500}, attempts: 4, wantAttempts: 4, wantErr: "500 Internal Server Error"},
		"400 is final":                    {answers: []int{400}, attempts: 4, wantAttempts: 1, wantErr: "400 Bad Request"},
		"429 waits its Retry-After":       {answers: []int{429}, attempts: 2, wantAttempts: 2, minWait: time.Second},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r := newReceiver(t, c.answers...)
			t.Setenv("TEST_SLACK_URL", r.URL+"/services/T1/B1/s3cr3tpath")
			f := file(t, `spec:
  when: every
  retry: {attempts: `+itoa(c.attempts)+`, backoff: 10ms, maxBackoff: 2s}
  receivers:
    - name: slack
      slack: {url: {env: TEST_SLACK_URL}}
`)
			start := time.Now()
			d := notify.New(f).Notify(context.Background(), failed)[0]
			if d.Attempts != c.wantAttempts || r.count() != c.wantAttempts {
				t.Errorf("%s; the receiver saw %d requests, want %d", d, r.count(), c.wantAttempts)
			}
			switch {
			case c.wantErr == "" && d.Err != nil:
				t.Errorf("err %v", d.Err)
			case c.wantErr != "" && (d.Err == nil || !strings.Contains(d.Err.Error(), c.wantErr)):
				t.Errorf("err %v, want %q", d.Err, c.wantErr)
			case d.Err != nil && strings.Contains(d.Err.Error(), "s3cr3tpath"):
				t.Errorf("the error shows the webhook URL: %v", d.Err)
			}
			if waited := time.Since(start); waited < c.minWait {
				t.Errorf("done after %s, want at least the Retry-After of %s", waited, c.minWait)
			}
		})
	}
}

func itoa(i int) string { return string(rune('0' + i)) }

// An unreachable receiver: the error names the host, never the URL's path
// (a Slack webhook's secret); the notifier returns, it does not panic.
func TestUnreachableReceiverHidesTheURL(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	t.Setenv("TEST_SLACK_URL", "http://"+addr+"/services/T1/B1/veryS3cret")
	f := file(t, `spec:
  retry: {attempts: 2, backoff: 10ms}
  receivers:
    - name: slack
      slack: {url: {env: TEST_SLACK_URL}}
`)
	d := notify.New(f).Notify(context.Background(), failed)[0]
	if d.Err == nil || !strings.Contains(d.Err.Error(), "connection refused") || strings.Contains(d.String(), "veryS3cret") ||
		!strings.Contains(d.String(), "http://"+addr+"/services/...") {
		t.Errorf("delivery: %s", d)
	}
}

func TestOnChange(t *testing.T) {
	held := failed
	held.Status, held.ExitCode, held.Reasons = "held", 0, nil
	prev := func(s string) *notify.Previous {
		return &notify.Previous{RunID: "r0", Status: s, Start: t0.Add(-24 * time.Hour)}
	}
	cases := map[string]struct {
		ev   notify.Event
		prev *notify.Previous
		sent bool
	}{
		"failed after held":            {failed, prev("held"), true},
		"failed again":                 {failed, prev("failed"), false},
		"held after failed":            {held, prev("failed"), true},
		"held again":                   {held, prev("held"), false},
		"a first run that failed":      {failed, nil, true},
		"a first run that held":        {held, nil, false},
		"aborted after failed":         {func() notify.Event { e := failed; e.Status = "aborted"; return e }(), prev("failed"), true},
		"inconclusive, unknown before": {func() notify.Event { e := failed; e.Status = "inconclusive"; return e }(), nil, true},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r := newReceiver(t)
			t.Setenv("TEST_SLACK_URL", r.URL+"/x")
			f := file(t, "spec:\n  receivers:\n    - name: slack\n      slack: {url: {env: TEST_SLACK_URL}}\n")
			ev := c.ev
			ev.Previous = c.prev
			d := notify.New(f).Notify(context.Background(), ev)[0]
			if sent := r.count() == 1; sent != c.sent || (d.Skipped != "") == c.sent {
				t.Errorf("%s: sent %v, want %v", d, sent, c.sent)
			}
		})
	}
}

func TestBadFiles(t *testing.T) {
	t.Setenv("TEST_EMPTY", "")
	cases := map[string]struct {
		body, want string
	}{
		"no receiver": {"spec:\n  receivers: []\n", ":6:14: spec.receivers: at least one receiver"},
		"two kinds": {"spec:\n  receivers:\n    - name: x\n      slack: {url: {env: HOME}}\n      webhook: {url: http://a/}\n",
			":7:7: spec.receivers[0]: set exactly one of slack, webhook, alertmanager (found 2)"},
		"unknown field": {"spec:\n  receivers:\n    - name: x\n      slak: {}\n", ":8:7: spec.receivers[0].slak: unknown field"},
		"bad when":      {"spec:\n  when: sometimes\n  receivers:\n    - name: x\n      slack: {url: {env: HOME}}\n", ":6:9: spec.when: \"sometimes\": use every or change"},
		"an empty secret": {"spec:\n  receivers:\n    - name: x\n      slack: {url: {env: TEST_EMPTY}}\n",
			":8:20: spec.receivers[0].slack.url: secret: $TEST_EMPTY: empty"},
		"a missing secret file": {"spec:\n  receivers:\n    - name: x\n      slack: {url: {file: /nonexistent/slack-url}}\n",
			"spec.receivers[0].slack.url: secret: open /nonexistent/slack-url: no such file or directory"},
		"a token in a header": {"spec:\n  receivers:\n    - name: x\n      webhook: {url: http://a/, headers: {authorization: Bearer x}}\n",
			"spec.receivers[0].webhook.headers.authorization: a credential is never written in the file: use bearerToken"},
		"a password in a URL": {"spec:\n  receivers:\n    - name: x\n      webhook: {url: \"https://u:pw@a/\"}\n",
			"spec.receivers[0].webhook.url: the URL holds a password"},
		"a label gameday sets": {"spec:\n  receivers:\n    - name: x\n      alertmanager: {urls: [\"http://am:9093\"], labels: {alertname: X}}\n",
			"spec.receivers[0].alertmanager.labels.alertname: gameday sets alertname itself"},
		"a bad template": {"spec:\n  reportURL: \"https://x/{{.Nope}}\"\n  receivers:\n    - name: x\n      slack: {url: {env: HOME}}\n",
			"spec.reportURL: template: reportURL:1:12: executing \"reportURL\" at <.Nope>: can't evaluate field Nope"},
		"duplicate names": {"spec:\n  receivers:\n    - name: x\n      slack: {url: {env: HOME}}\n    - name: x\n      slack: {url: {env: HOME}}\n",
			"spec.receivers[1].name: duplicate receiver name \"x\" (also spec.receivers[0])"},
		"too many attempts": {"spec:\n  retry: {attempts: 11}\n  receivers:\n    - name: x\n      slack: {url: {env: HOME}}\n",
			"spec.retry.attempts: 11: use 1 to 10"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "n.yaml")
			if err := os.WriteFile(p, []byte("apiVersion: gameday.dev/v1alpha1\nkind: Notifications\nmetadata:\n  name: test\n"+c.body), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := notify.Load(p)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v\nwant it to contain %q", err, c.want)
			}
			if err != nil && !strings.HasPrefix(err.Error(), p+":") {
				t.Errorf("err %q does not start with the file name", err)
			}
		})
	}
}
