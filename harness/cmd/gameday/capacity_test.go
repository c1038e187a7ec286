package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/capacity"
	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/history"
	"github.com/gamedayhq/gameday/harness/internal/sandbox"
	"github.com/gamedayhq/gameday/harness/internal/sandbox/sandboxtest"
)

// TestCapacityOnTheSandbox searches the capacity of a sandbox whose
// replicas are throttled to a known capacity (PetClinic's --rate-limit:
// the excess answered 429) and finds it within one search step, with every
// zone and with zone-a lost (its replica failed, as the zone-outage
// experiment does).
func TestCapacityOnTheSandbox(t *testing.T) {
	if testing.Short() {
		t.Skip("a capacity search on the sandbox takes about two and a half minutes")
	}
	sandboxtest.Need(t, "prometheus")
	const (
		replicas = 3
		perPod   = 11.0 // req/s a replica serves
		// A step of 8 s starts with every token bucket full (PetClinic's
		// burst: half a second of its rate), so a step above the capacity
		// by less than burst/8 s loses no request: the capacity a step can
		// see is up to 1/16 above the throttle's.
		burstShare = 0.5 / 8
		resolution = 0.1
	)
	st := sandboxtest.Up(t, sandbox.Config{Replicas: replicas, ReplicaRateLimit: perPod})
	reports := t.TempDir()
	waitReady(t, st.Dir, time.Minute)
	// Latency is not judged (--max-p95 0, --max-p99 0): on shared cores it
	// moves with the machine's load, not with the throttle this test
	// measures; the error ratio (the 429s) finds the capacity.
	g, code := run(t, "capacity", "--sandbox-dir", st.Dir, "--reports-dir", reports, "--run-id", "throttled", "--no-color",
		"--from", "12", "--resolution", "0.1", "--max-p95", "0", "--max-p99", "0", "--peak", "18", "--output", "json",
		"testdata/capacity-short.yaml")
	if code != exitcode.OK {
		t.Fatalf("exit %d, want 0 (survives at the peak of 18 req/s)\n%s", code, g)
	}
	t.Logf("progress:\n%s", g.err.String())
	var res capacity.Result
	if err := json.Unmarshal(g.out.Bytes(), &res); err != nil {
		t.Fatalf("stdout is not the result's JSON: %v\n%s", err, g)
	}
	for name, tc := range map[string]struct {
		phase *capacity.Phase
		known float64
	}{
		"every zone":  {res.AllZones, replicas * perPod},
		"zone-a lost": {res.ZoneDown, (replicas - 1) * perPod},
	} {
		p := tc.phase
		if p == nil {
			t.Errorf("%s: not measured", name)
			continue
		}
		t.Logf("%s: held %g, broke %g, known %g, %d steps", name, p.Capacity, p.Broke, tc.known, len(p.Steps))
		switch {
		case p.Outcome != capacity.Found:
			t.Errorf("%s: outcome %q, want found", name, p.Outcome)
		case p.Broke > p.Capacity*(1+resolution)+1e-9:
			t.Errorf("%s: held %g and broke %g are more than a step apart", name, p.Capacity, p.Broke)
		case p.Capacity > tc.known*(1+burstShare) || p.Broke < tc.known:
			t.Errorf("%s: the known capacity %g is not within the last step [%g, %g] (held may pass it by the burst, %g)",
				name, tc.known, p.Capacity, p.Broke, tc.known*(1+burstShare))
		}
		for _, s := range p.Steps {
			if s.Outcome == capacity.StepBroke && !strings.Contains(strings.Join(s.Reasons, "; "), "http_429") {
				t.Errorf("%s: step %d at %g broke for another reason than the throttle: %q", name, s.N, s.Rate, s.Reasons)
			}
		}
	}
	if res.Replicas != replicas || res.LostReplicas != 1 {
		t.Errorf("replicas %d, lost %d: want %d and 1", res.Replicas, res.LostReplicas, replicas)
	}
	if a := res.Answer; a.Survives == nil || !*a.Survives || !strings.HasPrefix(a.Line, "survives losing zone-a at today's peak: yes, ") {
		t.Errorf("answer %q, want survives: yes", a.Line)
	}
	if res.Cost.Steps != len(res.Steps()) || res.Cost.Steps > res.Cost.MaxSteps || res.Cost.Seconds <= 0 {
		t.Errorf("cost %+v: want the steps counted within their bound", res.Cost)
	}
	dir := filepath.Join(reports, capacity.Suite, "throttled")
	md, err := os.ReadFile(filepath.Join(dir, capacity.FileMD))
	if err != nil || !strings.Contains(string(md), res.Answer.Line) {
		t.Errorf("capacity.md does not carry the answer (%v):\n%s", err, md)
	}
	for _, s := range res.Steps() {
		if _, err := os.Stat(filepath.Join(reports, filepath.FromSlash(s.Report))); err != nil {
			t.Errorf("step %d: its game day's report: %v", s.N, err)
		}
	}
	// The search is in the history (and so in gameday serve's /capacity);
	// its steps' game days are not runs of the history.
	h, err := history.Open(reports, history.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	list, total, err := h.Capacities(t.Context(), "", 0)
	if err != nil || total != 1 || list[0].ID != "throttled" || list[0].ZoneDown == nil || *list[0].ZoneDown != res.ZoneDown.Capacity {
		t.Errorf("history: %d searches %+v (%v), want this one", total, list, err)
	}
}
