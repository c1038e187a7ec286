package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/alertmanagertest"
	"github.com/gamedayhq/gameday/harness/internal/notify"
	"github.com/gamedayhq/gameday/harness/internal/repotest"
)

type gotAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	EndsAt      time.Time         `json:"endsAt"`
	Receivers   []struct {
		Name string `json:"name"`
	} `json:"receivers"`
	Status struct {
		State      string   `json:"state"`
		SilencedBy []string `json:"silencedBy"`
	} `json:"status"`
}

// alerts is GET /api/v2/alerts filtered to GamedayFailed.
func alerts(t *testing.T, base string) []gotAlert {
	t.Helper()
	r, err := http.Get(base + "/alerts?filter=" + url.QueryEscape(`alertname="GamedayFailed"`))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	var out []gotAlert
	if err := json.NewDecoder(r.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// waitFor polls the alerts until ok, within 10 s.
func waitFor(t *testing.T, base, what string, ok func([]gotAlert) bool) []gotAlert {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		a := alerts(t, base)
		if ok(a) {
			return a
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: alerts %+v", what, a)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// GamedayFailed reaches a real Alertmanager running the platform's own
// configuration (monitoring/alertmanager/alertmanager.yml): routed to the
// platform team's channel, silenced by a silence on its experiment, and
// resolved by the next run that holds.
func TestGamedayFailedOnARealAlertmanager(t *testing.T) {
	base := alertmanagertest.Start(t, filepath.Join(repotest.Root(t), "monitoring", "alertmanager", "alertmanager.yml"))
	f := file(t, `spec:
  when: change
  retry: {attempts: 3, backoff: 50ms}
  receivers:
    - name: alertmanager
      alertmanager:
        urls: ["`+base[:len(base)-len("/api/v2")]+`"]
        labels: {team: platform, severity: warning}
`)
	n := notify.New(f)
	ctx := context.Background()
	send := func(ev notify.Event) {
		t.Helper()
		for _, d := range n.Notify(ctx, ev) {
			if d.Err != nil || d.Skipped != "" {
				t.Fatalf("%s", d)
			}
		}
	}

	send(failed)
	a := waitFor(t, base, "firing", func(a []gotAlert) bool { return len(a) == 1 && a[0].Status.State == "active" })[0]
	var recv []string
	for _, r := range a.Receivers {
		recv = append(recv, r.Name)
	}
	if !slices.Equal(recv, []string{"slack-platform"}) {
		t.Errorf("routed to %v, want the platform team's channel [slack-platform]", recv)
	}
	want := map[string]string{"alertname": "GamedayFailed", "experiment": "pod-kill", "suite": "k8s-preprod-gate", "target": "kubernetes",
		"team": "platform", "severity": "warning", "environment": "staging"}
	for k, v := range want {
		if a.Labels[k] != v {
			t.Errorf("label %s = %q, want %q (labels %v)", k, a.Labels[k], v, a.Labels)
		}
	}
	if a.Annotations["runbook_url"] != notify.DefaultRunbookURL || a.Annotations["run_id"] != failed.RunID || a.Annotations["status"] != "failed" {
		t.Errorf("annotations %v", a.Annotations)
	}
	if d := time.Until(a.EndsAt); d < 6*24*time.Hour {
		t.Errorf("endsAt in %s, want about resolveAfter (168h)", d)
	}

	// A silence on the experiment (what an SRE does during a known
	// outage) mutes the next failed run's alert.
	silence, _ := json.Marshal(map[string]any{
		"matchers":  []map[string]any{{"name": "alertname", "value": "GamedayFailed", "isRegex": false}, {"name": "experiment", "value": "pod-kill", "isRegex": false}},
		"startsAt":  time.Now().UTC(),
		"endsAt":    time.Now().Add(time.Hour).UTC(),
		"createdBy": "test", "comment": "known outage",
	})
	r, err := http.Post(base+"/silences", "application/json", bytes.NewReader(silence))
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusOK {
		t.Fatalf("post silence: %s", r.Status)
	}
	next := failed
	next.RunID, next.End, next.Previous = "20261208-070000-pod-kill", failed.End.Add(24*time.Hour), &notify.Previous{RunID: failed.RunID, Status: "failed"}
	send(next) // when: every by default for Alertmanager, although spec.when says change
	waitFor(t, base, "silenced", func(a []gotAlert) bool {
		return len(a) == 1 && a[0].Status.State == "suppressed" && len(a[0].Status.SilencedBy) == 1 && a[0].Annotations["run_id"] == next.RunID
	})

	// The next run holds: the alert is resolved (gone from the active ones).
	held := next
	held.RunID, held.Status, held.ExitCode, held.Reasons = "20261209-070000-pod-kill", "held", 0, nil
	held.Previous = &notify.Previous{RunID: next.RunID, Status: "failed"}
	send(held)
	waitFor(t, base, "resolved", func(a []gotAlert) bool { return len(a) == 0 })
}

// The alert's default runbook is a file of the repository.
func TestRunbookExists(t *testing.T) {
	const base = "https://github.com/gamedayhq/gameday/blob/main/"
	rel, ok := strings.CutPrefix(notify.DefaultRunbookURL, base)
	if !ok {
		t.Fatalf("runbook %s is not under %s", notify.DefaultRunbookURL, base)
	}
	if _, err := os.Stat(filepath.Join(repotest.Root(t), rel)); err != nil {
		t.Error(err)
	}
}
