package dora_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/dora"
	"github.com/gamedayhq/gameday/harness/internal/dora/doratest"
	"github.com/gamedayhq/gameday/harness/internal/dora/git"
)

// oct is a time in October 2026 (UTC); the window of the scenarios is the
// four weeks from Monday 5 October to Monday 2 November.
func oct(day, hour, minute int) time.Time {
	return time.Date(2026, 10, day, hour, minute, 0, 0, time.UTC)
}

var window = dora.Window{From: oct(5, 0, 0), To: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)}

// want are the figures computed by hand for a scenario (seconds, ratios).
type want struct {
	deployments, changes, failed, recovered, unrecovered, rework, negative int
	perDay, leadSeconds, cfr, recoverySeconds, reworkRate                  *float64
	levels                                                                 map[string]string
	missing                                                                []string
}

func f(x float64) *float64 { return &x }

const hour = 3600.0

type scenario struct {
	// build makes the repository and returns the Application, the alerts
	// and the game days of the scenario.
	build func(g *doratest.Repo) (dora.Application, []dora.Alert, []dora.Run)
	want  want
}

func app(entries ...dora.HistoryEntry) dora.Application {
	for i := range entries {
		entries[i].ID = int64(i)
	}
	return dora.Application{Name: "petclinic-prod", Namespace: "argocd", Environment: "prod", History: entries, HistoryLimit: 100, HealthStatus: "Healthy"}
}

func entry(rev string, at time.Time) dora.HistoryEntry {
	return dora.HistoryEntry{Revision: rev, DeployedAt: at}
}

var scenarios = map[string]scenario{
	"steady weekly deploys": {
		// One commit each Monday 09:00, deployed on Wednesday 12:00: four
		// deployments in 28 days (1/7 per day: high), each lead time 51h
		// (high), no failure (change failure rate 0: elite).
		build: func(g *doratest.Repo) (dora.Application, []dora.Alert, []dora.Run) {
			c0 := g.Commit("petclinic/main.go", "v0", "initial", oct(1, 9, 0))
			es := []dora.HistoryEntry{entry(c0, oct(1, 12, 0))}
			for w := range 4 {
				c := g.Commit("petclinic/main.go", "v"+string(rune('1'+w)), "week", oct(5+7*w, 9, 0))
				es = append(es, entry(c, oct(7+7*w, 12, 0)))
			}
			return app(es...), nil, nil
		},
		want: want{deployments: 4, changes: 4, perDay: f(1.0 / 7), leadSeconds: f(51 * hour), cfr: f(0), reworkRate: f(0),
			levels: map[string]string{"deploymentFrequency": "high", "changeLeadTime": "high", "changeFailureRate": "elite"}},
	},
	"a rollback": {
		// c1 (Mon 10:00) deployed Tue 12:00; c2 (Mon 12th 10:00) deployed
		// Tue 13th 12:00, rolled back to c1 at 14:00 (rework); the fix c3
		// (on top of c2, Wed 09:00) deployed Thu 15th 12:00 ships c2 again
		// (not counted twice) and c3. Leads 26h, 26h, 27h: median 26h.
		// One failed of four: 25 % (low); recovered by the rollback in 2h.
		build: func(g *doratest.Repo) (dora.Application, []dora.Alert, []dora.Run) {
			c0 := g.Commit("petclinic/main.go", "v0", "initial", oct(1, 9, 0))
			c1 := g.Commit("petclinic/main.go", "v1", "feature 1", oct(5, 10, 0))
			c2 := g.Commit("petclinic/main.go", "v2", "feature 2", oct(12, 10, 0))
			c3 := g.Commit("petclinic/main.go", "v3", "fix feature 2", oct(14, 9, 0))
			return app(entry(c0, oct(1, 12, 0)), entry(c1, oct(6, 12, 0)), entry(c2, oct(13, 12, 0)), entry(c1, oct(13, 14, 0)), entry(c3, oct(15, 12, 0))), nil, nil
		},
		want: want{deployments: 4, changes: 3, failed: 1, recovered: 1, rework: 1, perDay: f(4.0 / 28), leadSeconds: f(26 * hour),
			cfr: f(0.25), recoverySeconds: f(2 * hour), reworkRate: f(0.25),
			levels: map[string]string{"deploymentFrequency": "high", "changeLeadTime": "high", "changeFailureRate": "low", "failedDeploymentRecoveryTime": "high"}},
	},
	"a fix-forward": {
		// c1 deployed Tue 12:00; its fast-burn alert fires at 12:20 and
		// resolves at 13:50; the fix c2 (committed 12:40) is deployed at
		// 13:10 while the alert fires: rework, and the recovery (70 min).
		build: func(g *doratest.Repo) (dora.Application, []dora.Alert, []dora.Run) {
			c0 := g.Commit("petclinic/main.go", "v0", "initial", oct(1, 9, 0))
			c1 := g.Commit("petclinic/main.go", "v1", "feature", oct(6, 8, 0))
			c2 := g.Commit("petclinic/main.go", "v2", "fix", oct(6, 12, 40))
			al := dora.Alert{Name: "PetclinicAPIAvailabilityBudgetBurn", Labels: map[string]string{"slo_id": "petclinic-api-availability"}, Start: oct(6, 12, 20), End: oct(6, 13, 50), Resolved: true}
			return app(entry(c0, oct(1, 12, 0)), entry(c1, oct(6, 12, 0)), entry(c2, oct(6, 13, 10))), []dora.Alert{al}, nil
		},
		// Leads: c1 4h, c2 30m: median 2h15m.
		want: want{deployments: 2, changes: 2, failed: 1, recovered: 1, rework: 1, perDay: f(2.0 / 28), leadSeconds: f(2.25 * hour),
			cfr: f(0.5), recoverySeconds: f(70 * 60), reworkRate: f(0.5),
			levels: map[string]string{"deploymentFrequency": "medium", "changeLeadTime": "elite", "changeFailureRate": "low", "failedDeploymentRecoveryTime": "high"}},
	},
	"an alert after a deploy": {
		// c1 deployed Tue 12:00, its alert fires 12:30 and resolves 12:50
		// on its own: failed, recovered in 50 min (elite); an alert that
		// was already firing at a deploy (from 8 Oct 23:00) and one firing
		// 2h after the deployment (outside the 1h window) fail nothing.
		build: func(g *doratest.Repo) (dora.Application, []dora.Alert, []dora.Run) {
			c0 := g.Commit("petclinic/main.go", "v0", "initial", oct(1, 9, 0))
			c1 := g.Commit("petclinic/main.go", "v1", "feature", oct(6, 11, 0))
			c2 := g.Commit("petclinic/main.go", "v2", "feature 2", oct(13, 11, 0))
			als := []dora.Alert{
				{Name: "PetclinicAPIAvailabilityBudgetBurn", Start: oct(6, 12, 30), End: oct(6, 12, 50), Resolved: true},
				{Name: "PetclinicAPIAvailabilityBudgetBurn", Start: oct(13, 11, 0), End: oct(13, 13, 0), Resolved: true},
				{Name: "PetclinicAPILatencyP99BudgetBurn", Start: oct(13, 14, 0), End: oct(13, 14, 30), Resolved: true},
			}
			return app(entry(c0, oct(1, 12, 0)), entry(c1, oct(6, 12, 0)), entry(c2, oct(13, 12, 0))), als, nil
		},
		want: want{deployments: 2, changes: 2, failed: 1, recovered: 1, perDay: f(2.0 / 28), leadSeconds: f(hour), cfr: f(0.5),
			recoverySeconds: f(50 * 60), reworkRate: f(0),
			levels: map[string]string{"changeLeadTime": "elite", "failedDeploymentRecoveryTime": "elite"}},
	},
	"no deploys at all": {
		// Every deployment happened before the window.
		build: func(g *doratest.Repo) (dora.Application, []dora.Alert, []dora.Run) {
			c0 := g.Commit("petclinic/main.go", "v0", "initial", oct(1, 9, 0))
			c1 := g.Commit("petclinic/main.go", "v1", "feature", oct(2, 9, 0))
			return app(entry(c0, oct(1, 12, 0)), entry(c1, oct(2, 12, 0))), nil, nil
		},
		want: want{},
	},
	"a merge commit": {
		// From c0: a branch with f1 (1 Oct 09:00) and f2 (2 Oct 09:00), main
		// gets m1 (3 Oct 09:00), the branch is merged at 5 Oct 10:00 and
		// deployed 6 Oct 12:00. Two changes: m1 (3d3h) and the merge, which
		// starts at f1 (5d3h): median 4d3h. The merge's three commits are one
		// change.
		build: func(g *doratest.Repo) (dora.Application, []dora.Alert, []dora.Run) {
			c0 := g.Commit("petclinic/main.go", "v0", "initial", oct(1, 8, 0))
			g.Branch("feature")
			g.Commit("petclinic/owner.go", "a", "f1", oct(1, 9, 0))
			g.Commit("petclinic/owner.go", "b", "f2", oct(2, 9, 0))
			g.Checkout("main")
			g.Commit("petclinic/main.go", "v1", "m1", oct(3, 9, 0))
			m := g.Merge("feature", "Merge branch feature", oct(5, 10, 0))
			return app(entry(c0, oct(1, 8, 30)), entry(m, oct(6, 12, 0))), nil, nil
		},
		want: want{deployments: 1, changes: 2, perDay: f(1.0 / 28), leadSeconds: f((3*24 + 3 + 5*24 + 3) / 2.0 * hour), cfr: f(0), reworkRate: f(0),
			levels: map[string]string{"deploymentFrequency": "medium", "changeLeadTime": "high"}}, // 1 in 28 days: at least once a month
	},
	"a revision that is not in the history": {
		// c2 was deployed on 13 Oct, then history was rewritten (reset to
		// c1 and pruned, as after a force push) and c3 built on c1 was
		// deployed on 20 Oct. c2 is counted as a deployment and named; c3's
		// changes are delimited by c1, the latest revision still known.
		build: func(g *doratest.Repo) (dora.Application, []dora.Alert, []dora.Run) {
			c0 := g.Commit("petclinic/main.go", "v0", "initial", oct(1, 9, 0))
			c1 := g.Commit("petclinic/main.go", "v1", "feature 1", oct(5, 12, 0))
			c2 := g.Commit("petclinic/main.go", "v2", "feature 2 (force-pushed away)", oct(12, 12, 0))
			g.ResetHard(c1)
			c3 := g.Commit("petclinic/main.go", "v3", "feature 2 again", oct(19, 12, 0))
			return app(entry(c0, oct(1, 12, 0)), entry(c1, oct(6, 12, 0)), entry(c2, oct(13, 12, 0)), entry(c3, oct(20, 12, 0))), nil, nil
		},
		// Leads 24h (c1) and 24h (c3); c2's is unknown.
		want: want{deployments: 3, changes: 2, perDay: f(3.0 / 28), leadSeconds: f(24 * hour), cfr: f(0), reworkRate: f(0), missing: []string{"feature 2"},
			levels: map[string]string{"changeLeadTime": "high"}},
	},
	"clock skew": {
		// A commit stamped an hour after its own deployment: its lead time
		// is -1h, reported as measured and counted.
		build: func(g *doratest.Repo) (dora.Application, []dora.Alert, []dora.Run) {
			c0 := g.Commit("petclinic/main.go", "v0", "initial", oct(1, 9, 0))
			c1 := g.Commit("petclinic/main.go", "v1", "from a fast clock", oct(6, 13, 0))
			return app(entry(c0, oct(1, 12, 0)), entry(c1, oct(6, 12, 0))), nil, nil
		},
		want: want{deployments: 1, changes: 1, negative: 1, perDay: f(1.0 / 28), leadSeconds: f(-hour), cfr: f(0), reworkRate: f(0),
			levels: map[string]string{"changeLeadTime": "elite"}},
	},
	"degraded now": {
		// The latest deployment (20 Oct) and Argo CD reports the
		// Application Degraded now: failed, still failing (no recovery
		// figure), change failure rate 100 %.
		build: func(g *doratest.Repo) (dora.Application, []dora.Alert, []dora.Run) {
			c0 := g.Commit("petclinic/main.go", "v0", "initial", oct(1, 9, 0))
			c1 := g.Commit("petclinic/main.go", "v1", "feature", oct(20, 10, 0))
			a := app(entry(c0, oct(1, 12, 0)), entry(c1, oct(20, 12, 0)))
			a.HealthStatus = "Degraded"
			return a, nil, nil
		},
		want: want{deployments: 1, changes: 1, failed: 1, unrecovered: 1, perDay: f(1.0 / 28), leadSeconds: f(2 * hour), cfr: f(1), reworkRate: f(0),
			levels: map[string]string{"changeFailureRate": "low"}},
	},
	"a failed game day": {
		// c1 deployed 6 Oct; the weekly game day on 7 Oct fails; c2 deployed
		// 8 Oct 12:00 is a rework (the failure was detected, still open),
		// and recovers it: 2 days.
		build: func(g *doratest.Repo) (dora.Application, []dora.Alert, []dora.Run) {
			c0 := g.Commit("petclinic/main.go", "v0", "initial", oct(1, 9, 0))
			c1 := g.Commit("petclinic/main.go", "v1", "feature", oct(6, 10, 0))
			c2 := g.Commit("petclinic/main.go", "v2", "retry budget", oct(8, 10, 0))
			runs := []dora.Run{
				{Suite: "k8s-prod-weekly", ID: "r1", Experiment: "zone-outage", Status: "failed", Start: oct(7, 10, 0), End: oct(7, 10, 30), Path: "reports/k8s-prod-weekly/r1/report.json"},
				{Suite: "k8s-prod-weekly", ID: "r2", Experiment: "pod-kill", Status: "held", Start: oct(7, 11, 0), End: oct(7, 11, 10), Path: "reports/k8s-prod-weekly/r2/report.json"},
			}
			return app(entry(c0, oct(1, 12, 0)), entry(c1, oct(6, 12, 0)), entry(c2, oct(8, 12, 0))), nil, runs
		},
		want: want{deployments: 2, changes: 2, failed: 1, recovered: 1, rework: 1, perDay: f(2.0 / 28), leadSeconds: f(2 * hour), cfr: f(0.5),
			recoverySeconds: f(48 * hour), reworkRate: f(0.5),
			levels: map[string]string{"failedDeploymentRecoveryTime": "low"}},
	},
}

// analyze builds a scenario's repository and analyses its timeline
// (failure window 1h, now at the end of the window).
func analyze(t *testing.T, sc scenario) *dora.Analysis {
	t.Helper()
	g := doratest.NewRepo(t)
	a, alerts, runs := sc.build(g)
	repo, err := git.Open(g.Dir, git.Options{})
	if err != nil {
		t.Fatal(err)
	}
	an, err := dora.Analyze(dora.Input{Service: "petclinic", App: a, Repo: repo, Alerts: alerts, Runs: runs, FailureWindow: time.Hour, Now: window.To})
	if err != nil {
		t.Fatal(err)
	}
	return an
}

func TestScenarios(t *testing.T) {
	lv, err := dora.LoadLevels("")
	if err != nil {
		t.Fatal(err)
	}
	for name, sc := range scenarios {
		t.Run(name, func(t *testing.T) {
			an := analyze(t, sc)
			s := dora.Summarize(an, window, lv)
			w := sc.want
			ints := map[string][2]int{
				"deployments": {s.Deployments, w.deployments}, "changes": {s.Changes, w.changes}, "failed": {s.Failed, w.failed},
				"recovered": {s.Recovered, w.recovered}, "unrecovered": {s.Unrecovered, w.unrecovered}, "rework": {s.Rework, w.rework},
				"negative lead times": {s.NegativeLeadTimes, w.negative},
			}
			for k, v := range ints {
				if v[0] != v[1] {
					t.Errorf("%s: got %d, want %d", k, v[0], v[1])
				}
			}
			floats := map[string][2]*float64{
				"per day": {s.PerDay, w.perDay}, "lead time": {s.LeadTimeSeconds, w.leadSeconds}, "change failure rate": {s.ChangeFailureRate, w.cfr},
				"recovery": {s.RecoverySeconds, w.recoverySeconds}, "rework rate": {s.ReworkRate, w.reworkRate},
			}
			for k, v := range floats {
				if !same(v[0], v[1]) {
					t.Errorf("%s: got %s, want %s", k, show(v[0]), show(v[1]))
				}
			}
			for _, r := range s.Ratings {
				if lvl, ok := w.levels[r.Metric]; ok && r.Level != lvl {
					t.Errorf("level of %s: got %q (%s), want %q", r.Metric, r.Level, r.Note, lvl)
				}
				if s.NoDeployments() && (r.Level != "" || r.Note != "no deployments") {
					t.Errorf("no deployments: %s rated %q (%s), want no level and the note \"no deployments\"", r.Metric, r.Level, r.Note)
				}
				if r.Metric == dora.MetricReworkRate && !strings.Contains(r.Note, "2024 report publishes no levels") && !s.NoDeployments() {
					t.Errorf("rework rate: got note %q, want the 2024 report's lack of levels said", r.Note)
				}
			}
			var missing []string
			for _, m := range an.Missing {
				missing = append(missing, m.Revision)
			}
			if len(missing) != len(w.missing) {
				t.Errorf("missing revisions: got %v, want %d (%v)", missing, len(w.missing), w.missing)
			}
		})
	}
}

func same(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	d := *a - *b
	return d < 1e-9 && d > -1e-9
}

func show(p *float64) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprintf("%g", *p)
}

// A history as long as spec.revisionHistoryLimit has lost older entries:
// the analysis says so.
func TestHistoryFull(t *testing.T) {
	g := doratest.NewRepo(t)
	c0 := g.Commit("a", "0", "zero", oct(1, 9, 0))
	c1 := g.Commit("a", "1", "one", oct(2, 9, 0))
	repo, err := git.Open(g.Dir, git.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a := app(entry(c0, oct(1, 12, 0)), entry(c1, oct(6, 12, 0)))
	a.HistoryLimit = 2
	an, err := dora.Analyze(dora.Input{Service: "petclinic", App: a, Repo: repo, Now: window.To})
	if err != nil {
		t.Fatal(err)
	}
	if len(an.Notes) != 1 || !strings.Contains(an.Notes[0], "keeps the last 2 syncs of petclinic-prod (spec.revisionHistoryLimit)") {
		t.Errorf("notes: got %q", an.Notes)
	}
}
