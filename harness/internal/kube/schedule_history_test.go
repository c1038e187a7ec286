package kube_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gamedayhq/gameday/harness/internal/cli"
	"github.com/gamedayhq/gameday/harness/internal/gitops/gittest"
	"github.com/gamedayhq/gameday/harness/internal/historytest"
	"github.com/gamedayhq/gameday/harness/internal/kube/kubetest"
)

// TestStandbyReadsThePublishedRunsOnGainingTheLease: each replica's
// reports tree is its own (the chart's emptyDir). The standby copies the
// runs published to the reports repository on start, and again on gaining
// the Lease, so it lists the run its predecessor published meanwhile.
func TestStandbyReadsThePublishedRunsOnGainingTheLease(t *testing.T) {
	t.Parallel() // its own namespace
	kubetest.Need(t)
	const ns = "sched-history"
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	if err := env.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	srv := gittest.Start(t, gittest.Options{})
	repo := srv.NewRepo("reports")
	published := t.TempDir()
	day := time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC)
	publishRun := func(experiment string, start time.Time) {
		t.Helper()
		dir := historytest.Write(t, published, historytest.Run{Suite: "weekly", Experiment: experiment, Target: "kubernetes", Start: start, Score: 100})
		var out strings.Builder
		if err := cli.Run(ctx, []string{"gameday", "publish", "--repo", repo, "--reports-dir", published, dir}, strings.NewReader(""), &out, &out); err != nil {
			t.Fatalf("publish: %v\n%s", err, out.String())
		}
	}
	publishRun("pod-kill", day)

	schedules := schedulesFile(t, ns, "history", "yearly", "0 7 1 1 *")
	flags := []string{"--publish", "--publish-repo", repo}
	a := startScheduler(t, ctx, schedules, ns, "replica-a", flags...)
	a.waitLog(t, ctx, "leading: this replica runs the game days")
	b := startScheduler(t, ctx, schedules, ns, "replica-b", flags...)
	b.waitLog(t, ctx, "standing by: another replica leads")
	b.waitLog(t, ctx, "restored=1 present=0")

	// The leader publishes a run, then goes away: the standby takes the
	// Lease and reads the repository again before its first fire.
	publishRun("zone-outage", day.Add(time.Hour))
	if err := a.stop(); err != nil {
		t.Errorf("replica-a: %v", err)
	}
	b.waitLog(t, ctx, "leading: this replica runs the game days")
	b.waitLog(t, ctx, "restored=1 present=1")
	url := b.url(t, ctx)
	var body string
	for ctx.Err() == nil && !strings.Contains(body, "20261201-080000-zone-outage") {
		if resp, err := http.Get(url + "runs.json"); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body = string(b)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, id := range []string{"20261201-070000-pod-kill", "20261201-080000-zone-outage"} {
		if !strings.Contains(body, `"runID": "`+id+`"`) {
			t.Errorf("the new leader's /runs.json has no %s:\n%.600s", id, body)
		}
	}
	if err := b.stop(); err != nil {
		t.Errorf("replica-b: %v", err)
	}
}
