package serve_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// chromium finds the browser: $CHROME_BIN, else Debian's chromium. Without
// one the browser test skips, except under CI where it must run.
func chromium(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("CHROME_BIN")
	if bin == "" {
		bin = "/usr/bin/chromium"
	}
	if _, err := exec.LookPath(bin); err != nil {
		msg := fmt.Sprintf("no chromium at %s (set CHROME_BIN): %v", bin, err)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return bin
}

// artifacts is where the screenshots go: $GAMEDAY_ARTIFACTS, else
// testdata/artifacts (git-ignored).
func artifacts(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("GAMEDAY_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("testdata", "artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func browser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelBrowser := chromedp.NewContext(ctx)
	t.Cleanup(cancelBrowser)
	// The UI must work without JavaScript: the browser runs none.
	noScript := func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return chromedp.Void{}, err
	}
	if err := chromedp.Do(ctx, noScript); err != nil {
		t.Fatal(err)
	}
	return ctx
}

func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(artifacts(t), name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

func must[T any](t *testing.T, what string) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
}

// count is the number of elements matching a CSS selector, read from the
// DOM (chromedp.Nodes: no page script runs).
func count(t *testing.T, ctx context.Context, sel string) int {
	t.Helper()
	nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll(sel), chromedp.AtLeast(0)))
	if err != nil {
		t.Fatalf("count %s: %v", sel, err)
	}
	return len(nodes)
}

func TestPagesInChromium(t *testing.T) {
	f := newFixture(t, nil)
	ctx := browser(t)
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		return must[string](t, "text of "+sel)(chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel))))
	}

	// Runs list: 12 runs, the corrupt report named, then a filter through the form.
	do("runs", chromedp.Navigate(f.url+"/runs"), chromedp.WaitVisible(chromedp.CSS("table")))
	if n := count(t, ctx, "tbody tr"); n != 12 {
		t.Errorf("runs list: %d rows, want 12", n)
	}
	if w := text("p.warn"); !strings.Contains(w, "nightly/torn") {
		t.Errorf("runs list warning: %q, want it to name nightly/torn", w)
	}
	shot(t, ctx, "runs.png")
	do("filter", chromedp.SetValue(chromedp.CSS(`select[name="status"]`), "failed"), chromedp.Click(chromedp.CSS("form.filters button")))
	// The old page's table stays visible until the form's navigation
	// commits: wait for the new location first, then for its table.
	loc, deadline := "", time.Now().Add(20*time.Second)
	for !strings.Contains(loc, "status=failed") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		loc, _ = chromedp.Run(ctx, chromedp.Location()) // errors while the page navigates
	}
	if !strings.Contains(loc, "status=failed") {
		t.Fatalf("after the filter form: %s, want status=failed in it within 20s", loc)
	}
	do("filtered runs", chromedp.WaitVisible(chromedp.CSS("table")))
	if n := count(t, ctx, "tbody tr"); n != 2 {
		t.Errorf("failed runs: %d rows, want 2", n)
	}
	if n := count(t, ctx, "tbody td.failed"); n != 2 {
		t.Errorf("failed runs: %d rows marked failed, want 2", n)
	}

	// Run detail: follow the first run's link; the report is embedded.
	do("run detail", chromedp.Click(chromedp.CSS("tbody tr td.failed a")), chromedp.WaitVisible(chromedp.CSS("iframe")))
	if h := text("h1"); !strings.Contains(h, " · ") {
		t.Errorf("run detail title %q", h)
	}
	if v := text("td.failed"); !strings.Contains(v, "failed (exit 1)") {
		t.Errorf("verdict cell %q", v)
	}
	shot(t, ctx, "run.png")

	// Trends: five charts for pod-kill, a dot per run.
	do("trends", chromedp.Navigate(f.url+"/trends"), chromedp.WaitVisible(chromedp.CSS("table")))
	if n := count(t, ctx, "svg.spark"); n != 2 {
		t.Errorf("trends: %d sparklines, want 2", n)
	}
	do("trend", chromedp.Click(chromedp.CSS(`a[href="/trends/pod-kill"]`)), chromedp.WaitVisible(chromedp.CSS("svg.chart")))
	if n := count(t, ctx, "svg.chart"); n != 5 {
		t.Errorf("trend: %d charts, want 5", n)
	}
	if n := count(t, ctx, "svg.chart circle"); n != 5*6 {
		t.Errorf("trend: %d dots, want 30 (6 runs × 5 charts)", n)
	}
	shot(t, ctx, "trends.png")

	// Schedules: next fires, the last verdict, the skip with its reason.
	do("schedules", chromedp.Navigate(f.url+"/schedules"), chromedp.WaitVisible(chromedp.CSS("table")))
	body := text("main")
	for _, want := range []string{"nightly-pod-kill", "weekly-suite", "0 3 * * *", "blackout: inside blackout business-hours", "held"} {
		if !strings.Contains(body, want) {
			t.Errorf("schedules page lacks %q", want)
		}
	}
	shot(t, ctx, "schedules.png")

	do("kill switch", chromedp.Navigate(f.url+"/kill-switch"), chromedp.WaitVisible(chromedp.CSS("main")))
	if s := text("main"); !strings.Contains(s, "Released") {
		t.Errorf("kill switch page: %q", s)
	}
}
