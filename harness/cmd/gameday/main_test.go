package main

// End-to-end game days: the gameday binary (this test binary, re-executed
// as main) against a REAL sandbox (PetClinic replicas, balancer,
// supervisor, Prometheus) with the real local chaos engine. Each game day
// lasts at most 24 s.

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/report"
	"github.com/gamedayhq/gameday/harness/internal/sandbox"
	"github.com/gamedayhq/gameday/harness/internal/sandbox/chaos"
	"github.com/gamedayhq/gameday/harness/internal/sandbox/sandboxtest"
	"github.com/gamedayhq/gameday/harness/internal/schedtest"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// envAsMain makes the test binary run main() instead of the tests.
const envAsMain = "GAMEDAY_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(envAsMain) != "" {
		main()
		return
	}
	sandboxtest.Main(m)
}

// gameday is the command `gameday args...`, not yet started.
type gameday struct {
	*exec.Cmd
	out, err bytes.Buffer
}

func command(t *testing.T, args ...string) *gameday {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	g := &gameday{Cmd: exec.Command(exe, args...)}
	g.Env = append(os.Environ(), envAsMain+"=1")
	g.Stdout, g.Stderr = &g.out, &g.err
	return g
}

// code waits for the command and returns its exit code.
func (g *gameday) code(t *testing.T) int {
	t.Helper()
	err := g.Wait()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0
}

func (g *gameday) String() string {
	return "stdout:\n" + g.out.String() + "\nstderr:\n" + g.err.String()
}

func run(t *testing.T, args ...string) (*gameday, int) {
	t.Helper()
	g := command(t, args...)
	if err := g.Start(); err != nil {
		t.Fatal(err)
	}
	return g, g.code(t)
}

// replicas lists the PetClinic pods of the sandbox now.
func replicas(t *testing.T, dir string) []sandbox.Pod {
	t.Helper()
	st, err := sandbox.Status(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []sandbox.Pod
	for _, p := range st.Pods {
		if p.Labels[sandbox.LabelApp] == sandbox.AppPetclinic {
			out = append(out, p)
		}
	}
	return out
}

func frozen(t *testing.T, dir string) []string {
	var out []string
	for _, p := range replicas(t, dir) {
		if sandbox.ProcState(p.PID) == "T" {
			out = append(out, p.Name)
		}
	}
	return out
}

// waitReady waits until every replica runs, unfrozen and ready.
func waitReady(t *testing.T, dir string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		st, err := sandbox.Status(t.Context(), dir)
		if err == nil && st.Ready() && len(frozen(t, dir)) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("sandbox not ready after %s (frozen: %v, err %v)", timeout, frozen(t, dir), err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func readJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func status(m map[string]any) any { return m["verdict"].(map[string]any)["status"] }

// gameDayCost checks the cost section of a real game day on the sandbox:
// read through OpenCost's metric names, each zone's node at the catalog's
// 0.11235 $/h (m7i.large) over the run's seconds, the load generator's CPU
// time priced, the section in report.md.
func gameDayCost(t *testing.T, jsonPath, mdPath string) {
	t.Helper()
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var r report.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	c := r.Cost
	if c == nil || c.Error != "" || c.Source != "opencost" {
		t.Fatalf("cost section %+v: want one from OpenCost's metric names", c)
	}
	// A fresh sandbox's Prometheus scrapes its first seconds late.
	if run := r.Timings.End.Sub(r.Timings.Start).Seconds(); c.DataSeconds < run-8 || c.DataSeconds > c.WindowSeconds || c.WindowSeconds > run+2 {
		t.Errorf("cost over %v s of data in a %v s window, for a %.1f s run", c.DataSeconds, c.WindowSeconds, run)
	}
	nodes := 0
	for _, row := range c.Rows {
		if strings.HasPrefix(row.Item, "nodes in zone-") {
			nodes++
			if want := 0.11235 * c.DataSeconds / 3600; math.Abs(row.USD-want) > 1e-12 {
				t.Errorf("%s: %s, want 0.11235 $/h x %v s = %s", row.Item, costText(row.USD), c.DataSeconds, costText(want))
			}
		}
	}
	if nodes != 3 || c.LoadGeneratorUSD <= 0 || c.GameDayUSD != c.LoadGeneratorUSD+c.ExtraCapacityUSD || c.PlatformUSD <= 0 || c.Per1000RequestsUSD == nil {
		t.Errorf("cost section: %d zones of nodes, load generator %v, game day %v, platform %v, per 1000 %v", nodes, c.LoadGeneratorUSD, c.GameDayUSD, c.PlatformUSD, c.Per1000RequestsUSD)
	}
	md, _ := os.ReadFile(mdPath)
	if !strings.Contains(string(md), "### Cost\n\nThe game day cost **$") {
		t.Errorf("report.md has no cost section:\n%s", md)
	}
}

func costText(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }

// allRecovered checks the chaos engine's run file: every fault recorded
// there is marked recovered.
func allRecovered(t *testing.T, dir, runID string) {
	t.Helper()
	r, err := chaos.New(dir, 0).Run(runID)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Faults) == 0 {
		t.Errorf("run %s recorded no fault", runID)
	}
	for _, f := range r.Faults {
		if f.Recovered.IsZero() {
			t.Errorf("run %s: fault %s (%v) is not recovered", runID, f.Fault, f.Targets)
		}
	}
}

// awaitInjected waits until run runID has n faults injected, and returns
// its run file.
func awaitInjected(t *testing.T, dir, runID string, n int, timeout time.Duration) *chaos.Run {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		r, err := chaos.New(dir, 0).Run(runID)
		if err != nil {
			t.Fatal(err)
		}
		injected := 0
		for _, f := range r.Faults {
			if !f.Injected.IsZero() {
				injected++
			}
		}
		if injected == n {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %s: %d of %d faults injected after %s", runID, injected, n, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// faultsLeft lists what the faults of run are still doing to the sandbox,
// read from the sandbox itself (processes, its control API), not from the
// run file: a frozen process, a toxic, a stress-ng process, an HTTP fault.
func faultsLeft(t *testing.T, dir string, run *chaos.Run) []string {
	t.Helper()
	st, err := sandbox.Status(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	ctl := sandbox.NewControl(st)
	var left []string
	for _, f := range run.Faults {
		for _, a := range f.Actions {
			switch a.Type {
			case chaos.ActStop:
				if sandbox.ProcState(a.Proc.PID) == "T" && a.Proc.Alive() {
					left = append(left, f.Fault+": "+a.Pod+" frozen")
				}
			case chaos.ActKill:
				if a.Proc.Alive() {
					left = append(left, f.Fault+": "+a.Pod+" not killed")
				}
			case chaos.ActToxic:
				toxics, err := ctl.Toxics(t.Context(), a.Link)
				if err != nil {
					t.Fatal(err)
				}
				for _, x := range toxics {
					if x.Name == a.Toxic.Name {
						left = append(left, f.Fault+": toxic "+x.Name)
					}
				}
			case chaos.ActStress:
				if a.Proc.Alive() || len(sandbox.MarkedBy(a.Marker)) > 0 {
					left = append(left, f.Fault+": stress-ng beside "+a.Pod)
				}
			case chaos.ActHTTPFault:
				hfs, err := ctl.HTTPFaults(t.Context(), a.Pod)
				if err != nil {
					t.Fatal(err)
				}
				for _, h := range hfs {
					if h.Name == a.HTTP.Name {
						left = append(left, f.Fault+": http fault on "+a.Pod)
					}
				}
			}
		}
	}
	return left
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func TestGameDaysOnTheSandbox(t *testing.T) {
	if testing.Short() {
		t.Skip("real game days on the sandbox take about two minutes")
	}
	sandboxtest.Need(t, "prometheus")
	st := sandboxtest.Up(t, sandbox.Config{Replicas: 3})
	dir, reports := st.Dir, t.TempDir()
	base := []string{"--sandbox-dir", dir, "--reports-dir", reports, "--no-color"}
	args := func(cmd, runID, file string) []string {
		return append(append([]string{cmd}, base...), "--run-id", runID, "testdata/"+file)
	}
	path := func(runID, name string) string { return filepath.Join(reports, "adhoc", runID, name) }
	pub := newPublishWorld(t)

	t.Run("killing one of three replicas holds the hypothesis", func(t *testing.T) {
		waitReady(t, dir, time.Minute)
		// With the repository's SLOs: the error-budget guard admits the run
		// and its decisions land in the report. Published to a git server,
		// notified to Slack and Alertmanager.
		g, code := run(t, append(append([]string{"run", "--slo-dir", "../../../slo"}, pub.args(pub.repo)...), args("", "kill-one", "pod-kill-one.yaml")[1:]...)...)
		if code != exitcode.OK {
			t.Fatalf("exit %d, want 0\n%s", code, g)
		}
		pub.checkPublished(t, g, "adhoc/kill-one", "held")
		m := readJSON(t, path("kill-one", report.FileJSON))
		if s := status(m); s != "held" {
			t.Errorf("report status %v, want held", s)
		}
		decisions, _ := m["decisions"].([]any)
		if len(decisions) < 2 {
			t.Errorf("report decisions %v: want the error-budget guard's (one per SLO and the burn cap)", decisions)
		}
		gameDayCost(t, path("kill-one", report.FileJSON), path("kill-one", report.FileMD))
		if !strings.Contains(g.out.String(), "  cost: game day $") {
			t.Errorf("the summary has no cost line:\n%s", g)
		}
		allRecovered(t, dir, "kill-one")
	})

	t.Run("killing every replica fails and the report names the failing probe", func(t *testing.T) {
		waitReady(t, dir, time.Minute)
		// Its repository unreachable: the verdict and the exit code stand,
		// the error is reported; the notifications go out all the same.
		g, code := run(t, append(append([]string{"run"}, pub.args(pub.dead)...), args("", "kill-all", "pod-kill-all.yaml")[1:]...)...)
		if code != exitcode.Failed {
			t.Fatalf("exit %d, want 1\n%s", code, g)
		}
		pub.checkUnpublishedFailure(t, g)
		if !strings.Contains(g.err.String(), "probe front-door failed") {
			t.Errorf("stderr does not name the failing probe:\n%s", g)
		}
		md, err := os.ReadFile(path("kill-all", report.FileMD))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(md), "| front-door | http | continuous | < 0.5 | **FAIL** |") {
			t.Errorf("report.md does not show front-door failing:\n%s", md)
		}
		junit, _ := os.ReadFile(path("kill-all", report.FileJUnit))
		if !strings.Contains(string(junit), `<testcase name="probe front-door"`) || !strings.Contains(string(junit), "<failure") {
			t.Errorf("junit.xml has no failing front-door testcase:\n%s", junit)
		}
		allRecovered(t, dir, "kill-all")
	})

	t.Run("SIGINT mid-fault aborts, resumes every replica and reports aborted", func(t *testing.T) {
		waitReady(t, dir, time.Minute)
		g := command(t, args("run", "interrupted", "pod-failure-all.yaml")...)
		if err := g.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(8 * time.Second) // the replicas are frozen from 4s
		if f := frozen(t, dir); len(f) != 3 {
			t.Errorf("frozen before the interrupt: %v, want every replica", f)
		}
		sent := time.Now()
		if err := g.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		code := g.code(t)
		t.Logf("SIGINT to exit: %s", time.Since(sent).Round(time.Millisecond))
		if code != exitcode.Aborted {
			t.Fatalf("exit %d, want 4\n%s", code, g)
		}
		if f := frozen(t, dir); len(f) != 0 {
			t.Errorf("still frozen after the abort: %v", f)
		}
		m := readJSON(t, path("interrupted", report.FileJSON))
		if s := status(m); s != "aborted" || !strings.Contains(m["stopReason"].(string), "interrupt") {
			t.Errorf("report status %v, stop reason %v; want aborted by the interrupt", s, m["stopReason"])
		}
		allRecovered(t, dir, "interrupted")
	})

	t.Run("a stop condition aborts within two probe intervals and resumes every replica", func(t *testing.T) {
		waitReady(t, dir, time.Minute)
		sched := schedtest.Watch(t)
		g, code := run(t, args("run", "stopped", "pod-failure-stop.yaml")...)
		late := sched.Stop()
		if code != exitcode.Aborted {
			t.Fatalf("exit %d, want 4\n%s", code, g)
		}
		if f := frozen(t, dir); len(f) != 0 {
			t.Errorf("still frozen after the abort: %v", f)
		}
		var rep report.Report
		b, err := os.ReadFile(path("stopped", report.FileJSON))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &rep); err != nil {
			t.Fatal(err)
		}
		var breaches []time.Time
		for _, p := range rep.Probes {
			for _, s := range p.SampleList {
				if s.Status == "breached" {
					breaches = append(breaches, s.At)
				}
			}
		}
		r, err := chaos.New(dir, 0).Run("stopped")
		if err != nil || len(r.Faults) != 1 || len(breaches) < 2 {
			t.Fatalf("run file %+v (%v), %d breaches", r, err, len(breaches))
		}
		latency := r.Faults[0].Recovered.Sub(breaches[1])
		t.Logf("abort latency on the sandbox (2nd breached sample → replicas resumed): %s; this test's scheduler: %s", latency.Round(time.Millisecond), late)
		// Two probe intervals of 1s, plus a busy machine's slack: 1s or twice the
		// worst wake-up this process saw meanwhile. Without the stop the fault
		// would last 14 s more.
		if slack := max(time.Second, 2*late.Worst); latency > 2*time.Second+slack {
			t.Errorf("abort landed %s after the breach, want within 2s + %s", latency, slack)
		}
		if !strings.Contains(rep.StopReason, "front-door-down") || rep.Verdict.Status != "aborted" {
			t.Errorf("status %s, stop reason %q", rep.Verdict.Status, rep.StopReason)
		}
	})

	t.Run("a gate over a fail-fast suite stops at the first abort and writes the job summary", func(t *testing.T) {
		waitReady(t, dir, time.Minute)
		summary := filepath.Join(t.TempDir(), "summary.md")
		g := command(t, append(append([]string{"gate"}, base...), "--run-id", "s1", "testdata/suite-failfast.yaml")...)
		g.Env = append(g.Env, "GITHUB_STEP_SUMMARY="+summary)
		if err := g.Start(); err != nil {
			t.Fatal(err)
		}
		if code := g.code(t); code != exitcode.Aborted {
			t.Fatalf("exit %d, want 4\n%s", code, g)
		}
		suiteDir := filepath.Join(reports, "e2e-suite")
		if _, err := os.Stat(filepath.Join(suiteDir, "s1-pod-failure-stop", report.FileJUnit)); err != nil {
			t.Errorf("no junit.xml of the first experiment: %v", err)
		}
		if _, err := os.Stat(filepath.Join(suiteDir, "s1-pod-kill-one")); err == nil {
			t.Error("the second experiment ran after a fail-fast abort")
		}
		md, err := os.ReadFile(summary)
		if err != nil || !strings.Contains(string(md), "## Game day `pod-failure-stop`: ABORTED") {
			t.Errorf("step summary %q (%v)", md, err)
		}
		if !strings.Contains(g.out.String(), "junit: "+filepath.Join(suiteDir, "s1-pod-failure-stop", report.FileJUnit)) {
			t.Errorf("gate does not print the junit path:\n%s", g)
		}
	})

	t.Run("publishing again makes no commit, racing publishers lose nothing, the token shows nowhere", func(t *testing.T) {
		pub.publishAgainAndRace(t, reports)
	})

	t.Run("kill -9 mid-fault, then cleanup restores every replica", func(t *testing.T) {
		waitReady(t, dir, time.Minute)
		g := command(t, args("run", "killed", "pod-failure-all.yaml")...)
		if err := g.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(8 * time.Second)
		if err := g.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = g.Wait()
		if f := frozen(t, dir); len(f) != 3 {
			t.Fatalf("frozen after kill -9: %v, want every replica (nothing recovered them)", f)
		}
		c, code := run(t, "cleanup", "--sandbox-dir", dir)
		if code != exitcode.OK || !strings.Contains(c.out.String(), "recovered") {
			t.Fatalf("cleanup exit %d, want 0 and what it recovered\n%s", code, c)
		}
		t.Logf("cleanup:\n%s", c.out.String())
		if f := frozen(t, dir); len(f) != 0 {
			t.Errorf("still frozen after cleanup: %v", f)
		}
		waitReady(t, dir, 30*time.Second)
		allRecovered(t, dir, "killed")
		if _, err := os.Stat(path("killed", report.FileJSON)); err == nil {
			t.Error("a report was written by a process killed with -9")
		}
	})

	t.Run("kill -9 during every fault kind: the supervisor ends each by its deadline, without cleanup", func(t *testing.T) {
		x, err := spec.LoadFile("testdata/every-fault-kind.yaml")
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range spec.Kinds() { // a kind the sandbox learns is tested here too
			if k.Supports(spec.TargetSandbox) && !slices.ContainsFunc(x.Spec.Faults, func(f spec.Fault) bool { return f.Kind == k.Name }) {
				t.Errorf("testdata/every-fault-kind.yaml has no %s: add one", k.Name)
			}
		}
		waitReady(t, dir, time.Minute)
		g := command(t, args("run", "deadlines", "every-fault-kind.yaml")...)
		if err := g.Start(); err != nil {
			t.Fatal(err)
		}
		run := awaitInjected(t, dir, "deadlines", 5, 30*time.Second)
		if err := g.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = g.Wait()
		killed := time.Now()
		left := faultsLeft(t, dir, run)
		if len(left) < 4 { // the kill is over once the process died: the other four are in place
			t.Fatalf("right after kill -9, in place: %v; want the freeze, delay, stressor and abort", left)
		}
		var deadline time.Time
		for _, f := range run.Faults {
			if f.Deadline.IsZero() || f.Deadline.Sub(f.Planned) != 6*time.Second+chaos.DeadlineGrace {
				t.Errorf("fault %s: deadline %s for planned %s, want planned + 6s + %s", f.Fault, f.Deadline, f.Planned, chaos.DeadlineGrace)
			}
			deadline = later(deadline, f.Deadline)
		}
		t.Logf("killed %s before the last deadline, with in place: %v", deadline.Sub(killed).Round(time.Millisecond), left)
		// Nothing runs gameday or gameday cleanup from here on.
		for time.Now().Before(deadline.Add(15*time.Second)) && (len(faultsLeft(t, dir, run)) > 0 || len(frozen(t, dir)) > 0) {
			time.Sleep(200 * time.Millisecond)
		}
		if left := faultsLeft(t, dir, run); len(left) > 0 || len(frozen(t, dir)) > 0 {
			t.Fatalf("15 s past the last deadline, still in place: %v (frozen %v)", left, frozen(t, dir))
		}
		ended := time.Now()
		r, err := chaos.New(dir, 0).Run("deadlines")
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range r.Faults {
			switch {
			case f.RecoveredBy != chaos.ByDeadline:
				t.Errorf("fault %s recovered by %q, want %q", f.Fault, f.RecoveredBy, chaos.ByDeadline)
			case f.Recovered.Before(f.Deadline):
				t.Errorf("fault %s ended at %s, before its deadline %s", f.Fault, f.Recovered, f.Deadline)
			case f.Recovered.After(f.Deadline.Add(5 * time.Second)):
				t.Errorf("fault %s ended %s after its deadline", f.Fault, f.Recovered.Sub(f.Deadline))
			}
		}
		t.Logf("everything recovered %s after the last deadline", ended.Sub(deadline).Round(time.Millisecond))
		waitReady(t, dir, 30*time.Second)
		allRecovered(t, dir, "deadlines")
	})

	t.Run("Prometheus stopped mid-run is inconclusive and chaos is recovered", func(t *testing.T) {
		waitReady(t, dir, time.Minute)
		st, err := sandbox.Status(t.Context(), dir)
		if err != nil {
			t.Fatal(err)
		}
		prom := st.Prometheus.Proc
		t.Cleanup(func() { _ = prom.Signal(syscall.SIGCONT) })
		g := command(t, args("run", "no-prometheus", "pod-kill-one.yaml")...)
		if err := g.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(4 * time.Second)
		if err := prom.Signal(syscall.SIGSTOP); err != nil { // stopped, as a hung server
			t.Fatal(err)
		}
		code := g.code(t)
		_ = prom.Signal(syscall.SIGCONT)
		if code != exitcode.Infra {
			t.Fatalf("exit %d, want 3\n%s", code, g)
		}
		m := readJSON(t, path("no-prometheus", report.FileJSON))
		if s := status(m); s != "inconclusive" {
			t.Errorf("report status %v, want inconclusive", s)
		}
		allRecovered(t, dir, "no-prometheus")
	})
}
