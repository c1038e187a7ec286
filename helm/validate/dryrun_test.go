package validate

import (
	"context"
	"os"
	"testing"
	"time"
)

// startAPIServer starts envtest for a test; without the environment it
// skips locally and fails under CI=true (a skip would hide a broken setup).
func startAPIServer(t *testing.T) *APIServer {
	t.Helper()
	s, err := StartAPIServer()
	if err == ErrNoAPIServer && os.Getenv("CI") != "true" {
		t.Skipf("%v; skipped outside CI", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stop envtest: %v", err)
		}
	})
	return s
}

func TestDryRunCharts(t *testing.T) {
	s := startAPIServer(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	for _, r := range chartReleases(t) {
		objs, err := Render(r)
		if err != nil {
			t.Fatal(err)
		}
		for _, err := range s.DryRun(ctx, objs) {
			t.Errorf("%s %s: %v", r.Chart, r.Values[len(r.Values)-1], err)
		}
		t.Logf("%s %s: %d objects accepted: %s", r.Chart, r.Values[len(r.Values)-1], len(objs), Summary(objs))
	}
}
