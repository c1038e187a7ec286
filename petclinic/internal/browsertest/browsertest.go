// Package browsertest starts Debian's headless Chromium for the browser
// end-to-end tests (the UI's in internal/web, the REST API's as a
// single-page client uses it in internal/api) and keeps what they leave
// behind (screenshots, logs) as test artifacts.
//
// Without a browser the tests skip, except under CI (CI set), where they
// fail: make test must run them.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Chromium finds the browser: $CHROME_BIN, else Debian's /usr/bin/chromium.
func Chromium(t testing.TB) string {
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

// Artifacts is where screenshots and logs go: $PETCLINIC_ARTIFACTS, else
// petclinic/testdata/artifacts (git-ignored). root is the path from the
// test's package directory to the module root.
func Artifacts(t testing.TB, root string) string {
	t.Helper()
	dir := os.Getenv("PETCLINIC_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(root, "testdata", "artifacts")
	}
	if err := os.MkdirAll(dir, 0o750); err != nil { // #nosec G703 -- the tests' own artifacts folder, named by whoever runs them
		t.Fatalf("artifacts dir: %v", err)
	}
	return dir
}

// New starts a headless Chromium with a fresh profile (so an empty HTTP
// cache) and returns a tab's context, ended after timeout or at cleanup.
func New(t testing.TB, timeout time.Duration) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(Chromium(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelBrowser := chromedp.NewContext(ctx)
	t.Cleanup(cancelBrowser)
	return ctx
}

// Screenshot saves the whole page as name under dir.
func Screenshot(t testing.TB, ctx context.Context, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o600); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
	t.Logf("screenshot: %s", path)
}
