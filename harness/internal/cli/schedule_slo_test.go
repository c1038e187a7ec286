package cli_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/cli"
)

// logLines runs a long-running gameday command until the test ends and
// keeps the lines it logs.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func background(t *testing.T, args ...string) *logLines {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	l := &logLines{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = cli.Run(ctx, append([]string{"gameday"}, args...), strings.NewReader(""), io.Discard, pw)
		pw.Close()
	}()
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			l.mu.Lock()
			l.lines = append(l.lines, sc.Text())
			l.mu.Unlock()
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return l
}

// wait returns the first line containing s, failing t after 30 s.
func (l *logLines) wait(t *testing.T, s string) string {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		l.mu.Lock()
		for _, line := range l.lines {
			if strings.Contains(line, s) {
				l.mu.Unlock()
				return line
			}
		}
		l.mu.Unlock()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	t.Fatalf("no line with %q in 30 s:\n%s", s, strings.Join(l.lines, "\n"))
	return ""
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// logqlOnly is an SLO folder with the repository's LogQL error SLO alone
// (and the Service it names).
func logqlOnly(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"petclinic.yaml", "log-errors.yaml"} {
		b, err := os.ReadFile("../../../slo/" + f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// Issue 18: LogQL-only SLOs need a Loki and no Prometheus, in the UI's SLO
// page and in the scheduler's budget policy as in gameday slo report.
func TestLogQLOnlySLOsNeedNoPrometheus(t *testing.T) {
	loki, _ := recordedLoki(t, false)
	noSandbox := filepath.Join(t.TempDir(), "no-sandbox")
	sloDir := logqlOnly(t)

	t.Run("serve's /slo.json", func(t *testing.T) {
		l := background(t, "serve", "--addr", "127.0.0.1:0", "--reports-dir", t.TempDir(), "--sandbox-dir", noSandbox,
			"--slo-dir", sloDir, "--loki-url", loki.URL)
		line := l.wait(t, "url=http://")
		url := strings.Fields(line[strings.Index(line, "url=")+len("url="):])[0]
		resp, err := http.Get(url + "slo.json")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var rep struct {
			Loki string `json:"loki"`
			SLOs []struct {
				SLO struct {
					Name string `json:"name"`
				} `json:"slo"`
				Source string `json:"source"`
				Err    string `json:"error"`
			} `json:"slos"`
		}
		if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &rep) != nil {
			t.Fatalf("GET /slo.json: %d %s", resp.StatusCode, b)
		}
		if len(rep.SLOs) != 1 || rep.SLOs[0].SLO.Name != "request-log-errors" || rep.SLOs[0].Source != "loki" || rep.SLOs[0].Err != "" || rep.Loki != loki.URL {
			t.Errorf("/slo.json: %s", b)
		}
	})

	t.Run("the scheduler's budget policy", func(t *testing.T) {
		dir := t.TempDir()
		exp, err := filepath.Abs("../../../experiments/pod-kill.yaml")
		if err != nil {
			t.Fatal(err)
		}
		schedules := filepath.Join(dir, "schedules.yaml")
		if err := os.WriteFile(schedules, []byte(`apiVersion: gameday.dev/v1alpha1
kind: Schedules
metadata:
  name: logql-budget
spec:
  schedules:
    - name: gated
      cron: "* * * * * *"
      experiment: `+exp+`
      budget:
        minRemaining: 0.01
`), 0o644); err != nil {
			t.Fatal(err)
		}
		l := background(t, "schedule", "--addr", "127.0.0.1:0", "--reports-dir", filepath.Join(dir, "reports"), "--sandbox-dir", noSandbox,
			"--slo-dir", sloDir, "--loki-url", loki.URL, schedules)
		// The budget was read from Loki and judged: the recorded answer
		// gives both queries one count, an error ratio of 200%, so the
		// fire is skipped as below the policy, not as unknown.
		l.wait(t, `reason=error-budget detail="error budget below 1% left: SLO petclinic-request-log-errors has -39900% of its 30d error budget left`)
		if out := l.String(); strings.Contains(out, "error budget unknown") {
			t.Errorf("the budget was not read:\n%s", out)
		}
	})
}
