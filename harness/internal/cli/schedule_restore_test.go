package cli_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/cli"
	"github.com/gamedayhq/gameday/harness/internal/gitops/gittest"
	"github.com/gamedayhq/gameday/harness/internal/historytest"
)

// get fetches url, failing t unless it answers 200 within 30 s.
func get(t *testing.T, url string) string {
	t.Helper()
	var last string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get(url)
		if err != nil {
			last = err.Error()
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return string(b)
		}
		last = resp.Status + " " + string(b)
	}
	t.Fatalf("GET %s: %s", url, last)
	return ""
}

// A scheduler that publishes starts, on an empty reports tree (a new pod's
// emptyDir), with the history of every run published to the reports
// repository; with the repository out of reach it starts all the same,
// the error logged and counted.
func TestSchedulerHistoryFromTheReportsRepository(t *testing.T) {
	srv := gittest.Start(t, gittest.Options{})
	repo := srv.NewRepo("reports")
	published := t.TempDir()
	day := time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC)
	historytest.Write(t, published, historytest.Run{Suite: "weekly", Experiment: "pod-kill", Target: "sandbox", Start: day, Score: 100})
	historytest.Write(t, published, historytest.Run{Suite: "weekly", Experiment: "zone-outage", Target: "sandbox", Start: day.Add(time.Hour), Status: "failed", Score: 40})
	var out strings.Builder
	if err := cli.Run(t.Context(), []string{"gameday", "publish", "--repo", repo, "--reports-dir", published}, strings.NewReader(""), &out, &out); err != nil {
		t.Fatalf("publish: %v\n%s", err, out.String())
	}

	exp, err := filepath.Abs("../../../experiments/pod-kill.yaml")
	if err != nil {
		t.Fatal(err)
	}
	schedules := filepath.Join(t.TempDir(), "schedules.yaml")
	if err := os.WriteFile(schedules, []byte(`apiVersion: gameday.dev/v1alpha1
kind: Schedules
metadata:
  name: restore
spec:
  schedules:
    - name: yearly
      cron: "0 7 1 1 *"
      experiment: `+exp+`
`), 0o644); err != nil {
		t.Fatal(err)
	}
	noSandbox := filepath.Join(t.TempDir(), "no-sandbox")
	start := func(remote string) (*logLines, string) {
		l := background(t, "schedule", "--addr", "127.0.0.1:0", "--reports-dir", t.TempDir(), "--sandbox-dir", noSandbox,
			"--publish", "--publish-repo", remote, schedules)
		line := l.wait(t, "url=http://")
		return l, strings.Fields(line[strings.Index(line, "url=")+len("url="):])[0]
	}

	t.Run("an empty reports tree lists every published run", func(t *testing.T) {
		l, url := start(repo)
		t.Log(l.wait(t, "history from the reports repository"))
		get(t, url+"readyz")
		var runs struct {
			Runs []struct {
				RunID string `json:"runID"`
			} `json:"runs"`
		}
		body := get(t, url+"runs.json")
		if err := json.Unmarshal([]byte(body), &runs); err != nil {
			t.Fatalf("/runs.json: %v: %.300s", err, body)
		}
		var ids []string
		for _, r := range runs.Runs {
			ids = append(ids, r.RunID)
		}
		slices.Sort(ids)
		if want := []string{"20261201-070000-pod-kill", "20261201-080000-zone-outage"}; !slices.Equal(ids, want) {
			t.Errorf("/runs.json lists %v, want %v:\n%.600s", ids, want, body)
		}
		if line := l.wait(t, "history from the reports repository"); !strings.Contains(line, "restored=2 present=0") {
			t.Errorf("log: %s", line)
		}
	})

	t.Run("an unreachable repository", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		dead := "http://" + ln.Addr().String() + "/reports.git"
		ln.Close()
		l, url := start(dead)
		t.Log(l.wait(t, "history from the reports repository: starting with the local reports tree alone"))
		get(t, url+"readyz")
		if m := get(t, url+"metrics"); !strings.Contains(m, `gameday_history_errors_total{store="repo"} 1`) {
			t.Errorf("/metrics has no repo history error:\n%s", grepLines(m, "gameday_history_errors_total"))
		}
	})
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
