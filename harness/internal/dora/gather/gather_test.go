package gather_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gamedayhq/gameday/harness/internal/cli"
	"github.com/gamedayhq/gameday/harness/internal/dora"
	"github.com/gamedayhq/gameday/harness/internal/dora/doratest"
	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/kube/kubetest"
	"github.com/gamedayhq/gameday/harness/internal/prom/promtest"
	"github.com/gamedayhq/gameday/harness/internal/report"
	"github.com/gamedayhq/gameday/harness/internal/repotest"
	"github.com/gamedayhq/gameday/harness/internal/verdict"
)

func oct(day, hour, minute int) time.Time {
	return time.Date(2026, 10, day, hour, minute, 0, 0, time.UTC)
}

// world is every source of the end-to-end test: a git repository, Argo CD
// Applications on a real kube-apiserver, a real Prometheus backfilled with
// ALERTS and request counters, a reports tree.
type world struct {
	git, kubeconfig, denied, prometheus, reports, slo string
	// reportsGit holds the same reports under reports/, committed: the
	// published reports repository.
	reportsGit string
}

// The prod timeline (window 5 Oct to 2 Nov), by hand:
//
//	D0 c0  1 Oct 12:00  baseline (before the window)
//	D1 c1  6 Oct 12:00  c1 5 Oct 10:00 (26h); fast burn 12:20-13:50: failed
//	D2 c2  6 Oct 13:10  fix c2 12:40 (30m); rework for D1, recovers it in 70m
//	D3 c3 13 Oct 12:00  c3 12 Oct 10:00 (26h); rolled back: failed
//	D4 c2 13 Oct 14:00  rollback: rework for D3, recovers it in 2h
//	D5 c4 20 Oct 12:00  c4 19 Oct 10:00 (26h), c3 shipped before, h1 (harness/) not petclinic's;
//	                    the zone-outage game day of 21 Oct fails it
//	D6 ?? 27 Oct 12:00  a revision not in the repository; rework for D5, recovers it in 7d
//
// Six deployments (6/28 a day: high), leads 26h 30m 26h 26h (median 26h:
// high), three failed (50 %: low), recoveries 70m 2h 7d (median 2h: high),
// three rework (50 %). Staging deployed only before the window: no
// deployments.
func setup(t *testing.T) world {
	t.Helper()
	kubetest.Need(t)
	var w world
	g := doratest.NewRepo(t)
	w.git = g.Dir
	c0 := g.Commit("petclinic/main.go", "v0", "initial", oct(1, 9, 0))
	c1 := g.Commit("petclinic/main.go", "v1", "owners: search by city", oct(5, 10, 0))
	c2 := g.Commit("petclinic/main.go", "v2", "owners: index the city column", oct(6, 12, 40))
	c3 := g.Commit("petclinic/vets.go", "v3", "vets: cache the list", oct(12, 10, 0))
	g.Commit("harness/cli.go", "x", "harness: a flag", oct(14, 9, 0))
	c4 := g.Commit("petclinic/vets.go", "v4", "vets: cache with a TTL", oct(19, 10, 0))
	g.Tag("v1.4.2", c4)
	missing := "deadbeefdeadbeefdeadbeefdeadbeefdeadbeef"

	env, err := kubetest.StartWith(kubetest.CRDs("argo-cd/application-crd.yaml")...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.Stop() })
	ctx := context.Background()
	for _, ns := range []string{"argocd", "gameday"} {
		if err := env.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			t.Fatal(err)
		}
	}
	e := func(rev string, at time.Time) dora.HistoryEntry {
		return dora.HistoryEntry{Revision: rev, DeployedAt: at, InitiatedBy: "automated"}
	}
	prod := []dora.HistoryEntry{e(c0, oct(1, 12, 0)), e(c1, oct(6, 12, 0)), e(c2, oct(6, 13, 10)), e(c3, oct(13, 12, 0)), e(c2, oct(13, 14, 0)), e(c4, oct(20, 12, 0)), e(missing, oct(27, 12, 0))}
	for _, a := range []*struct {
		name, env string
		h         []dora.HistoryEntry
	}{{"petclinic-prod", "prod", prod}, {"petclinic-staging", "staging", prod[:2]}, {"petclinic-preprod", "preprod", []dora.HistoryEntry{e(c3, oct(12, 12, 0)), e(c4, oct(19, 12, 0))}}} {
		if a.env == "staging" {
			a.h = []dora.HistoryEntry{e(c0, oct(1, 12, 0)), e(c1, oct(2, 12, 0))}
		}
		if err := env.Client.Create(ctx, doratest.Application("argocd", a.name, a.env, a.h, "Healthy")); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	w.kubeconfig = filepath.Join(dir, "kubeconfig")
	if err := kubetest.WriteKubeconfig(env.Config, "hub", w.kubeconfig); err != nil {
		t.Fatal(err)
	}
	sa, err := env.ServiceAccount("gameday", "gameday-harness")
	if err != nil {
		t.Fatal(err)
	}
	w.denied = filepath.Join(dir, "denied")
	if err := kubetest.WriteKubeconfig(sa, "hub", w.denied); err != nil {
		t.Fatal(err)
	}

	var om doratest.OpenMetrics
	om.Firing(`alertname="PetclinicAPIAvailabilityBudgetBurn",long_window="1h",severity="page",slo_id="petclinic-api-availability",slo_service="petclinic"`, oct(6, 12, 20), oct(6, 13, 50))
	start := oct(5, 0, 0)
	om.Add("http_server_requests_seconds_count", `job="petclinic",uri="/petclinic/api/owners",outcome="SUCCESS"`, start, oct(7, 0, 0), time.Minute,
		func(t time.Time) float64 { return 10 * t.Sub(start).Seconds() })
	om.Add("http_server_requests_seconds_count", `job="petclinic",uri="/petclinic/api/owners",outcome="SERVER_ERROR"`, start, oct(7, 0, 0), time.Minute,
		func(t time.Time) float64 { return 0.1 * math.Max(0, math.Min(t.Sub(oct(6, 12, 0)).Seconds(), 3600)) })
	// Every request is fast: the latency SLOs' good buckets equal the counts.
	for _, le := range []string{"0.25", "1.0"} {
		om.Add("http_server_requests_seconds_bucket", `job="petclinic",uri="/petclinic/api/owners",outcome="SUCCESS",le="`+le+`"`, start, oct(7, 0, 0), time.Minute,
			func(t time.Time) float64 { return 10 * t.Sub(start).Seconds() })
		om.Add("http_server_requests_seconds_bucket", `job="petclinic",uri="/petclinic/api/owners",outcome="SERVER_ERROR",le="`+le+`"`, start, oct(7, 0, 0), time.Minute,
			func(t time.Time) float64 { return 0.1 * math.Max(0, math.Min(t.Sub(oct(6, 12, 0)).Seconds(), 3600)) })
	}
	w.prometheus = promtest.Start(t, promtest.Config{Backfill: om.String()}).URL

	w.reports = filepath.Join(dir, "reports")
	for _, r := range []struct {
		suite, exp string
		status     verdict.Status
		at         time.Time
	}{
		{"k8s-prod-weekly", "pod-kill", verdict.Held, oct(14, 10, 0)},
		{"k8s-prod-weekly", "zone-outage", verdict.Failed, oct(21, 10, 0)},
		{"adhoc", "pod-kill", verdict.Failed, oct(22, 10, 0)},
		// The gate in preprod against v1.4.2, the day before prod got it.
		{"k8s-preprod-gate", "pod-kill", verdict.Held, oct(19, 15, 0)},
	} {
		id := r.at.Format("20060102-150405") + "-" + r.exp
		d, err := report.Dir(w.reports, r.suite, id)
		if err != nil {
			t.Fatal(err)
		}
		rep := &report.Report{SchemaVersion: report.SchemaVersion, RunID: id, Suite: r.suite, Experiment: report.Experiment{Name: r.exp},
			Timings: report.Timings{Start: r.at, End: r.at.Add(30 * time.Minute)}, Verdict: verdict.Verdict{Status: r.status}}
		if _, err := report.Write(d, rep); err != nil {
			t.Fatal(err)
		}
	}
	pub := doratest.NewRepo(t)
	if err := os.CopyFS(filepath.Join(pub.Dir, "reports"), os.DirFS(w.reports)); err != nil {
		t.Fatal(err)
	}
	pub.CommitAll("reports: 3 report(s)", oct(22, 11, 0))
	w.reportsGit = pub.Dir
	w.slo = filepath.Join(repotest.Root(t), "slo")
	return w
}

func (w world) args(extra ...string) []string {
	return append([]string{"gameday", "dora", "--git", w.git, "--kubeconfig", w.kubeconfig, "--prometheus-url", w.prometheus,
		"--slo-dir", w.slo, "--reports-dir", w.reports, "--until", "2026-11-02T00:00:00Z", "--window", "28d",
		"--run-environment", "k8s-prod-weekly=prod", "--run-environment", "k8s-preprod-gate=preprod"}, extra...)
}

func run(args ...string) (string, string, error) {
	var out, errb bytes.Buffer
	err := cli.Run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), err
}

// TestDora runs gameday dora on one world (one API server, one Prometheus):
// the report end to end, then the bad inputs.
func TestDora(t *testing.T) {
	w := setup(t)
	t.Run("end to end", func(t *testing.T) { endToEnd(t, w) })
	t.Run("bad input", func(t *testing.T) { badInput(t, w) })
}

func endToEnd(t *testing.T, w world) {
	out, stderr, err := run(w.args("--environment", "prod", "--environment", "staging", "--format", "json")...)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	var rep struct {
		Levels struct {
			Report string `json:"report"`
			Year   int    `json:"year"`
		} `json:"levels"`
		Services []struct {
			Environment string            `json:"environment"`
			Summary     dora.Summary      `json:"summary"`
			Deployments []dora.Deployment `json:"deployments"`
			Missing     []dora.Missing    `json:"missingRevisions"`
		} `json:"services"`
		Warnings []string `json:"warnings"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Levels.Report != "Accelerate State of DevOps Report" || rep.Levels.Year != 2024 || len(rep.Services) != 2 {
		t.Fatalf("got levels %+v and %d entries", rep.Levels, len(rep.Services))
	}
	p, s := rep.Services[0].Summary, rep.Services[1].Summary
	h := 3600.0
	checks := map[string][2]float64{
		"deployments":         {float64(p.Deployments), 6},
		"per day":             {val(p.PerDay), 6.0 / 28},
		"changes":             {float64(p.Changes), 4},
		"lead time":           {val(p.LeadTimeSeconds), 26 * h},
		"failed":              {float64(p.Failed), 3},
		"change failure rate": {val(p.ChangeFailureRate), 0.5},
		"recovery":            {val(p.RecoverySeconds), 2 * h},
		"rework rate":         {val(p.ReworkRate), 0.5},
		"unrecovered":         {float64(p.Unrecovered), 0},
	}
	for k, v := range checks {
		if math.Abs(v[0]-v[1]) > 1e-9 {
			t.Errorf("prod %s: got %g, want %g", k, v[0], v[1])
		}
	}
	levels := map[string]string{}
	for _, r := range p.Ratings {
		levels[r.Metric] = r.Level
	}
	if levels["deploymentFrequency"] != "high" || levels["changeLeadTime"] != "high" || levels["changeFailureRate"] != "low" || levels["failedDeploymentRecoveryTime"] != "high" || levels["reworkRate"] != "" {
		t.Errorf("prod levels: got %v", levels)
	}
	if len(rep.Services[0].Missing) != 1 || rep.Services[0].Missing[0].Revision != "deadbeefdeadbeefdeadbeefdeadbeefdeadbeef" {
		t.Errorf("missing revisions: got %+v", rep.Services[0].Missing)
	}
	// Newest first: D6 … D1. D1 burned budget (its alert's errors), D2 none;
	// D5 (v1.4.2) ran the failed zone-outage game day.
	deps := rep.Services[0].Deployments
	d1, d2, d5 := deps[5], deps[4], deps[1]
	if b := d1.Budget; len(b) == 0 || b[0].SLO != "petclinic-api-availability" || b[0].Budget == nil || *b[0].Budget <= 0.1 {
		t.Errorf("D1 budget: got %+v, want api-availability burned", b)
	}
	if b := d2.Budget; len(b) == 0 || b[0].Budget == nil || *b[0].Budget != 0 {
		t.Errorf("D2 budget: got %+v, want 0", b)
	}
	for _, b := range d1.Budget {
		if strings.HasPrefix(b.SLO, "petclinic-api-latency") && (b.Budget == nil || *b.Budget != 0) {
			t.Errorf("D1 %s: got %v (%s), want 0: every request was fast", b.SLO, b.Budget, b.Error)
		}
	}
	if len(d5.Tags) != 1 || d5.Tags[0] != "v1.4.2" || d5.Failure == nil || d5.Failure.Evidence[0].Kind != dora.EvidenceGate || !strings.HasSuffix(d5.Failure.Evidence[0].Ref, "report.json") || len(d5.Runs) != 1 {
		t.Errorf("D5: got %+v, want v1.4.2 failed by the zone-outage game day", d5)
	}
	if len(d5.VersionRuns) != 1 || d5.VersionRuns[0].Environment != "preprod" || d5.VersionRuns[0].Status != "held" {
		t.Errorf("D5 (v1.4.2): game days elsewhere %+v, want preprod's held gate", d5.VersionRuns)
	}
	if len(deps[2].VersionRuns) != 0 {
		t.Errorf("D4: game days elsewhere %+v, want none (preprod never ran c2)", deps[2].VersionRuns)
	}
	if d5.Redeployed != 1 || len(d5.Changes) != 1 || d5.Changes[0].Subject != "vets: cache with a TTL" {
		t.Errorf("D5 changes: got %+v (redeployed %d), want only c4 (c3 shipped before, h1 is harness's)", d5.Changes, d5.Redeployed)
	}
	if s.Deployments != 0 || s.PerDay != nil || s.ChangeFailureRate != nil || s.LeadTimeSeconds != nil {
		t.Errorf("staging: got %+v, want no deployments and no figures", s)
	}
	if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "adhoc (1)") {
		t.Errorf("warnings: got %v, want the adhoc run named as without an environment", rep.Warnings)
	}

	md, _, err := run(w.args("--environment", "prod", "--environment", "staging")...)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Levels: Accelerate State of DevOps Report 2024 (DORA (Google Cloud)), Software delivery performance levels (p. 13)",
		"**No deployments** in the window.", "| Change failure rate | 50 % (3 of 6) | **low** (40%; rule the rest) |",
		"rollback: rolled back to", "gate: game day zone-outage", "alert: PetclinicAPIAvailabilityBudgetBurn firing 20m after the deployment",
		"`deadbeefdeadbeefdeadbeefdeadbeefdeadbeef` (deployment 6", "v1.4.2 (", "zone-outage failed, preprod: pod-kill held"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	html := filepath.Join(t.TempDir(), "dora", "report.html")
	if _, stderr, err := run(w.args("--environment", "prod", "--format", "html", "--out", html)...); err != nil || !strings.Contains(stderr, "wrote "+html) {
		t.Fatalf("html: %v %s", err, stderr)
	}
	b, err := os.ReadFile(html)
	if err != nil || bytes.Count(b, []byte("<svg")) != 5 || bytes.Contains(b, []byte("<script")) {
		t.Errorf("html: %d charts, script %v (%v), want 5 inline SVG charts and no script", bytes.Count(b, []byte("<svg")), bytes.Contains(b, []byte("<script")), err)
	}
	if dir := os.Getenv("GAMEDAY_DORA_CAPTURE"); dir != "" { // docs/dora.md's real output
		_ = os.WriteFile(filepath.Join(dir, "report.md"), []byte(md), 0o644)
		_ = os.WriteFile(filepath.Join(dir, "report.json"), []byte(out), 0o644)
		_ = os.WriteFile(filepath.Join(dir, "report.html"), b, 0o644)
	}

	// --serve, the repositories cloned by URL as in the cluster (file://
	// here, https:// there) and refreshed every second: the gauges of the
	// same report.
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var logs lockedBuffer
	go func() {
		args := append(w.args("--environment", "prod", "--environment", "staging", "--serve", addr, "--interval", "1s"),
			"--git", "file://"+w.git, "--reports-git", "file://"+w.reportsGit, "--reports-path", "reports")
		done <- cli.Run(ctx, args, strings.NewReader(""), io.Discard, &logs)
	}()
	metrics := get(t, "http://"+addr+"/metrics", 30*time.Second, done, &logs)
	for deadline := time.Now().Add(20 * time.Second); strings.Count(logs.String(), " ready\n") < 2 && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("--serve: %v", err)
	}
	if n := strings.Count(logs.String(), " ready\n"); n < 2 || strings.Count(logs.String(), "cloning file://") < 2*n || strings.Contains(logs.String(), "refresh failed") {
		t.Errorf("--serve: %d reports, want at least two, each with its two clones, none failed:\n%s", n, logs.String())
	}
	for _, want := range []string{`gameday_dora_change_failure_rate{environment="prod",service="petclinic"} 0.5`,
		`gameday_dora_deployments{environment="staging",service="petclinic"} 0`,
		`gameday_dora_level{environment="prod",level="low",metric="changeFailureRate",report="Accelerate State of DevOps Report 2024",service="petclinic"} 1`,
		`gameday_dora_missing_revisions{environment="prod",service="petclinic"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(metrics, `gameday_dora_change_failure_rate{environment="staging"`) {
		t.Error("/metrics: staging has no deployments, yet a change failure rate")
	}
}

func badInput(t *testing.T, w world) {
	notRepo := t.TempDir()
	cases := map[string]struct {
		args []string
		code int
		want string
	}{
		"not a git repository": {append(w.args("--environment", "prod"), "--git", notRepo), exitcode.Invalid, notRepo + ": not a git repository"},
		"unknown environment":  {w.args("--environment", "qa"), exitcode.Invalid, `unknown environment "qa": no Application in argocd carries the label gameday.dev/environment=qa (environments: preprod, prod, staging)`},
		"no Argo CD access":    {append(w.args("--environment", "prod"), "--kubeconfig", w.denied), exitcode.Infra, "no Argo CD access: system:serviceaccount:gameday:gameday-harness may not get, list applications.argoproj.io in namespace argocd"},
		"a bad window":         {w.args("--window", "soon"), exitcode.Invalid, `--window "soon"`},
		"a bad format":         {w.args("--format", "pdf"), exitcode.Invalid, `--format "pdf"`},
	}
	for name, c := range cases {
		_, _, err := run(c.args...)
		if exitcode.Of(err) != c.code || err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got exit %d: %v, want exit %d containing %q", name, exitcode.Of(err), err, c.code, c.want)
		}
	}
}

func val(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// get polls url until it answers 200 (bounded by timeout), failing with
// the server's logs when it ends first.
func get(t *testing.T, url string, timeout time.Duration, done chan error, logs *lockedBuffer) string {
	t.Helper()
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		select {
		case err := <-done:
			t.Fatalf("the server ended: %v\n%s", err, logs)
		default:
		}
		resp, err := http.Get(url)
		if err != nil {
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return string(b)
		}
	}
	t.Fatalf("%s did not answer within %s:\n%s", url, timeout, logs)
	return ""
}

// lockedBuffer is a bytes.Buffer safe for the server's goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
