package validate

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// files/publish.sh of the gameday chart, run for real with sh and git: it
// waits for a process named gameday to end, then pushes the reports and a
// ConfigMap per run to a git repository (a local bare one here).
func TestPublishScript(t *testing.T) {
	for _, tool := range []string{"sh", "git", "sleep"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed: %v", tool, err)
		}
	}
	dir := t.TempDir()
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Env = append(os.Environ(), "HOME="+dir, "GIT_CONFIG_NOSYSTEM=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	remote := filepath.Join(dir, "reports.git")
	git("init", "--quiet", "--bare", "--initial-branch=main", remote)
	seed := filepath.Join(dir, "seed")
	git("clone", "--quiet", remote, seed)
	git("-C", seed, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "--allow-empty", "-m", "init")
	git("-C", seed, "push", "--quiet", "origin", "HEAD:main")

	reports := filepath.Join(dir, "reports")
	run := filepath.Join(reports, "weekly-gameday", "20261127-100000-pod-kill")
	if err := os.MkdirAll(run, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{
		"report.json": `{"status":"held","score":0.97}` + "\n",
		"report.md":   "# pod-kill: held\n\n| SLI | value |\n|---|---|\n",
		"report.html": "<html></html>\n",
	} {
		if err := os.WriteFile(filepath.Join(run, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// The SLO report (gameday slo report --format html): a folder with a
	// report.html only, published without a ConfigMap.
	sloDir := filepath.Join(reports, "slo", "latest")
	if err := os.MkdirAll(sloDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sloDir, "report.html"), []byte("<html>budgets</html>\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	// A process named gameday, as in the pod (shareProcessNamespace).
	fake := filepath.Join(dir, "gameday")
	sleep, _ := exec.LookPath("sleep")
	data, err := os.ReadFile(sleep)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fake, data, 0o755); err != nil {
		t.Fatal(err)
	}
	gd := exec.Command(fake, "2")
	if err := gd.Start(); err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	done := make(chan error, 1)
	go func() { done <- gd.Wait() }()
	defer func() { _ = gd.Process.Kill(); <-done }()

	var stderr bytes.Buffer
	cmd := exec.Command("sh", chartPath("gameday")+"/files/publish.sh")
	cmd.Env = append(os.Environ(), "GIT_REPO="+remote, "GIT_BRANCH=main", "GIT_PATH=reports",
		"REPORTS="+reports, "WORK="+filepath.Join(dir, "work"), "WAIT_START=10", "GIT_CONFIG_NOSYSTEM=1")
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("publish.sh: %v\n%s", err, stderr.String())
	}
	if waited := time.Since(started); waited < 2*time.Second {
		t.Errorf("publish.sh finished after %s, before the gameday process (2 s)", waited)
	}

	check := filepath.Join(dir, "check")
	git("clone", "--quiet", remote, check)
	base := filepath.Join(check, "reports", "weekly-gameday", "20261127-100000-pod-kill")
	for _, f := range []string{"report.json", "report.md", "report.html", "run.yaml"} {
		if _, err := os.Stat(filepath.Join(base, f)); err != nil {
			t.Errorf("published %s: %v\n%s", f, err, stderr.String())
		}
	}
	if b, err := os.ReadFile(filepath.Join(check, "reports", "slo", "latest", "report.html")); err != nil || string(b) != "<html>budgets</html>\n" {
		t.Errorf("published SLO report = %q, %v\n%s", b, err, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(check, "reports", "slo", "latest", "run.yaml")); err == nil {
		t.Error("the SLO report got a run.yaml: the reports Application would sync a ConfigMap without report.json")
	}
	manifest, err := os.ReadFile(filepath.Join(base, "run.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	objs, err := Decode("run.yaml", manifest)
	if err != nil || len(objs) != 1 || objs[0].GetKind() != "ConfigMap" {
		t.Fatalf("run.yaml = %v, %v; want one ConfigMap\n%s", objs, err, manifest)
	}
	cm := objs[0]
	if cm.GetName() != "gameday-weekly-gameday-20261127-100000-pod-kill" || cm.GetLabels()["gameday.dev/report"] != "true" {
		t.Errorf("ConfigMap %s labels %v", cm.GetName(), cm.GetLabels())
	}
	data2, _, _ := nestedString(cm.Object, "data", "report.json")
	if strings.TrimSpace(data2) != `{"status":"held","score":0.97}` {
		t.Errorf("report.json in the ConfigMap = %q", data2)
	}
	if log := git("-C", check, "log", "--oneline"); !strings.Contains(log, "reports: 2 report(s)") {
		t.Errorf("git log:\n%s", log)
	}

	// A second run with nothing new pushes nothing.
	stderr.Reset()
	cmd = exec.Command("sh", chartPath("gameday")+"/files/publish.sh")
	cmd.Env = append(os.Environ(), "GIT_REPO="+remote, "GIT_BRANCH=main", "GIT_PATH=reports",
		"REPORTS="+reports, "WORK="+filepath.Join(dir, "work2"), "WAIT_START=0", "GIT_CONFIG_NOSYSTEM=1")
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("publish.sh again: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "reports already published") {
		t.Errorf("second publish said:\n%s", stderr.String())
	}
}
