package kube_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/kube"
	"github.com/gamedayhq/gameday/harness/internal/kube/kubetest"
)

// TestKillSwitchUnreadableStopsTheRun: a kill switch the harness may not
// read stops the run after KillSwitchFailures reads in a row, naming the
// error; each failure is logged.
func TestKillSwitchUnreadableStopsTheRun(t *testing.T) {
	t.Parallel()
	kubetest.Need(t)
	cfg, err := env.User("no-rights") // no RBAC binding: every read is forbidden
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kube.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	e, err := kube.New(kube.Config{Client: cl, RESTConfig: cfg, Namespace: "default", KillSwitch: "gameday/gameday-kill-switch", Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	t0 := time.Now()
	st := e.KillSwitchWatch(50 * time.Millisecond)(ctx)
	if st == nil {
		t.Fatal("the watch ran until its context ended: an unreadable kill switch did not stop the run")
	}
	t.Logf("stopped after %s: %s\nlog:\n%s", time.Since(t0).Round(time.Millisecond), st.Reason, log.String())
	if d := time.Since(t0); d > 5*time.Second {
		t.Errorf("stopped after %s, want about %d reads of 50ms", d, kube.KillSwitchFailures)
	}
	for _, want := range []string{"gameday/gameday-kill-switch unreadable 5 times in a row", "forbidden", "no kill switch"} {
		if !strings.Contains(st.Reason, want) {
			t.Errorf("stop reason %q does not say %q", st.Reason, want)
		}
	}
	if n := strings.Count(log.String(), "gameday: kill switch: "); n != kube.KillSwitchFailures {
		t.Errorf("%d failures logged, want %d:\n%s", n, kube.KillSwitchFailures, log.String())
	}
}
