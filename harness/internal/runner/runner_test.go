package runner_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/engine"
	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/load"
	"github.com/gamedayhq/gameday/harness/internal/prom/promtest"
	"github.com/gamedayhq/gameday/harness/internal/report"
	"github.com/gamedayhq/gameday/harness/internal/runner"
	"github.com/gamedayhq/gameday/harness/internal/schedtest"
	"github.com/gamedayhq/gameday/harness/internal/spec"
	"github.com/gamedayhq/gameday/harness/internal/verdict"
)

// target is a real HTTP server that answers 200, or 500 to everything
// while broken; its /metrics serves the share of 500s for Prometheus.
type target struct {
	*httptest.Server
	broken         atomic.Bool
	total, errored atomic.Int64
	// delay is how long every answer waits (nanoseconds).
	delay atomic.Int64
}

func newTarget(t *testing.T) *target {
	tg := &target{}
	tg.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" {
			w.Header().Set("Content-Type", "text/plain; version=0.0.4")
			_, _ = w.Write([]byte("# TYPE target_broken gauge\ntarget_broken " + map[bool]string{true: "1", false: "0"}[tg.broken.Load()] + "\n"))
			return
		}
		tg.total.Add(1)
		if d := tg.delay.Load(); d > 0 {
			time.Sleep(time.Duration(d))
		}
		if tg.broken.Load() {
			tg.errored.Add(1)
			http.Error(w, "broken", http.StatusInternalServerError)
			return
		}
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(tg.Close)
	return tg
}

// faultEngine is an engine over that target: its one fault really breaks
// it (every answer a 500) until recovered. It records what it did.
type faultEngine struct {
	tg       *target
	harmless bool          // inject without breaking anything
	slows    time.Duration // inject: every answer waits this long instead of a 500
	lingers  time.Duration // recover: the target stays broken this long after
	failOn   string        // the fault whose injection fails
	// blocks: Inject waits until its context ends (Chaos Mesh never
	// confirms), then fails, or lands when landsLate.
	blocks, landsLate bool

	mu        sync.Mutex
	injected  []string
	recovered []time.Time
	active    int
}

var _ engine.Engine = (*faultEngine)(nil)

func (f *faultEngine) Name() string { return "test-target" }
func (f *faultEngine) Prepare(_ context.Context, runID string, _ *spec.Experiment) (engine.Session, engine.Preflight, error) {
	return &faultSession{f: f, runID: runID}, engine.Preflight{Checks: []engine.Check{{Name: "target", OK: true, Detail: f.tg.URL}}}, nil
}
func (f *faultEngine) Validate(*spec.Experiment) error                   { return nil }
func (f *faultEngine) Cleanup(context.Context, string) ([]string, error) { return nil, nil }

// faultSession is a run of faultEngine.
type faultSession struct {
	f     *faultEngine
	runID string
}

func (s *faultSession) Inject(ctx context.Context, fl spec.Fault) (*engine.Injection, error) {
	f := s.f
	if f.blocks {
		<-ctx.Done()
		if !f.landsLate {
			return nil, context.Cause(ctx)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if fl.Name == f.failOn {
		return nil, errors.New("control API: connection refused")
	}
	f.injected = append(f.injected, fl.Name)
	f.active++
	switch {
	case f.slows > 0:
		f.tg.delay.Store(int64(f.slows))
	case !f.harmless:
		f.tg.broken.Store(true)
	}
	return &engine.Injection{RunID: s.runID, Fault: fl.Name, Kind: string(fl.Kind), Targets: []string{"target"}, Injected: time.Now(), Ref: fl.Name}, nil
}
func (s *faultSession) Recover(_ context.Context, in *engine.Injection) error {
	f := s.f
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.lingers > 0 {
		time.AfterFunc(f.lingers, func() { f.tg.broken.Store(false) })
	} else {
		f.tg.broken.Store(false)
	}
	f.tg.delay.Store(0)
	f.active--
	in.Recovered = time.Now()
	f.recovered = append(f.recovered, in.Recovered)
	return nil
}
func (s *faultSession) Abort(ctx context.Context, in *engine.Injection) error {
	return s.Recover(ctx, in)
}
func (s *faultSession) Observe(context.Context) (engine.Observation, error) {
	return engine.Observation{At: time.Now(), ReadyByZone: map[string]int{"zone-a": 1}, Desired: 1}, nil
}
func (s *faultSession) Close(context.Context) error { return nil }

func (f *faultEngine) state() (injected int, active int, recovered []time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.injected), f.active, append([]time.Time(nil), f.recovered...)
}

func experiment(t *testing.T, edit func(e *spec.Experiment)) *spec.Experiment {
	t.Helper()
	e, err := spec.ValidateOptions{Journeys: load.JourneyNames()}.LoadFile("testdata/http-fault.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(e)
		if err := e.Validate(spec.ValidateOptions{Journeys: load.JourneyNames()}); err != nil {
			t.Fatalf("edited experiment: %v", err)
		}
	}
	return e
}

func readReport(t *testing.T, res *runner.Result) map[string]any {
	t.Helper()
	if res == nil || res.Paths == nil {
		t.Fatal("no report written")
	}
	b, err := os.ReadFile(res.Paths[report.FileJSON])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{report.FileMD, report.FileHTML, report.FileJUnit} {
		if fi, err := os.Stat(res.Paths[name]); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	return m
}

func config(t *testing.T, e *spec.Experiment, en *faultEngine) runner.Config {
	return runner.Config{Experiment: e, Engine: en, RunID: "t-" + strings.ReplaceAll(strings.ToLower(t.Name()[len("TestRun"):]), "/", "-"),
		ReportsDir: t.TempDir(), TargetURL: en.tg.URL}
}

func TestRunHarmlessFaultHolds(t *testing.T) {
	t.Parallel()
	en := &faultEngine{tg: newTarget(t), harmless: true}
	res, err := runner.Run(t.Context(), config(t, experiment(t, nil), en))
	if code := exitcode.Of(err); code != exitcode.OK {
		t.Fatalf("exit %d (%v), want 0", code, err)
	}
	m := readReport(t, res)
	v := m["verdict"].(map[string]any)
	if v["status"] != "held" {
		t.Errorf("report status %v, want held", v["status"])
	}
	if n, active, _ := en.state(); n != 1 || active != 0 {
		t.Errorf("%d injections, %d still active; want 1 and 0", n, active)
	}
	// 9 s of load; hits a busy machine delays past the end open one or two more
	if got := len(m["timeline"].([]any)); got < 8 || got > 12 {
		t.Errorf("timeline of %d seconds, want about 9", got)
	}
}

func TestRunBreakingFaultFails(t *testing.T) {
	t.Parallel()
	en := &faultEngine{tg: newTarget(t)}
	sched := schedtest.Watch(t)
	res, err := runner.Run(t.Context(), config(t, experiment(t, nil), en))
	late := sched.Stop()
	if code := exitcode.Of(err); code != exitcode.Failed {
		t.Fatalf("exit %d (%v), want 1", code, err)
	}
	if !strings.Contains(err.Error(), "probe front-door failed") {
		t.Errorf("error %q does not name the failing probe", err)
	}
	md, _ := os.ReadFile(res.Paths[report.FileMD])
	if !strings.Contains(string(md), "| front-door | http | continuous | < 0.5 | **FAIL** |") {
		t.Errorf("report.md does not show front-door failing:\n%s", md)
	}
	// within one probe interval (+ twice the worst wake-up: a busy machine's slack)
	if f := res.Report.Verdict.Faults; len(f) != 1 || f[0].Detect == nil || *f[0].Detect > 1500*time.Millisecond+2*late.Worst {
		t.Errorf("fault results %+v: want the breach detected within one probe interval (scheduler: %s)", f, late)
	} else {
		t.Logf("detected after %s; scheduler: %s", *f[0].Detect, late)
	}
	if _, active, _ := en.state(); active != 0 || en.tg.broken.Load() {
		t.Error("the fault is still active after the run")
	}
}

func TestRunStopConditionAbortsWithinTwoProbeIntervals(t *testing.T) {
	t.Parallel()
	en := &faultEngine{tg: newTarget(t)}
	e := experiment(t, func(e *spec.Experiment) {
		e.Spec.StopConditions = []spec.StopCondition{{Name: "front-door-down", Probe: "front-door", Breaches: 2}}
	})
	sched := schedtest.Watch(t)
	res, err := runner.Run(t.Context(), config(t, e, en))
	late := sched.Stop()
	if code := exitcode.Of(err); code != exitcode.Aborted {
		t.Fatalf("exit %d (%v), want 4", code, err)
	}
	r := res.Report
	if r.Verdict.Status != verdict.Aborted || !strings.Contains(r.StopReason, "front-door-down") {
		t.Errorf("status %s, stop reason %q; want aborted by front-door-down", r.Verdict.Status, r.StopReason)
	}
	// The breach that trips the condition is the 2nd breached sample.
	var breaches []time.Time
	for _, p := range r.Probes {
		for _, s := range p.SampleList {
			if s.Status == "breached" {
				breaches = append(breaches, s.At)
			}
		}
	}
	_, active, recovered := en.state()
	if len(breaches) < 2 || len(recovered) != 1 || active != 0 {
		t.Fatalf("%d breaches, %d recoveries, %d active; want 2+, 1, 0", len(breaches), len(recovered), active)
	}
	latency := recovered[0].Sub(breaches[1])
	t.Logf("abort latency (2nd breach sampled → fault recovered): %s; scheduler: %s", latency, late)
	if latency > 2*time.Second+2*late.Worst {
		t.Errorf("abort landed %s after the breach, want within two probe intervals (2s) + twice the worst wake-up (%s)", latency, late.Worst)
	}
	if r.Timings.ActualSeconds > 8 {
		t.Errorf("the run lasted %.1fs: it was not cut short", r.Timings.ActualSeconds)
	}
}

func TestRunErrorRatioStopCondition(t *testing.T) {
	t.Parallel()
	en := &faultEngine{tg: newTarget(t)}
	e := experiment(t, func(e *spec.Experiment) {
		cap := 0.2
		e.Spec.StopConditions = []spec.StopCondition{{Name: "client-errors", ErrorRatioAbove: &cap, Window: spec.Duration(2 * time.Second)}}
	})
	res, err := runner.Run(t.Context(), config(t, e, en))
	if code := exitcode.Of(err); code != exitcode.Aborted {
		t.Fatalf("exit %d (%v), want 4", code, err)
	}
	if !strings.Contains(res.Report.StopReason, "client error ratio") {
		t.Errorf("stop reason %q", res.Report.StopReason)
	}
	if _, active, _ := en.state(); active != 0 || en.tg.broken.Load() {
		t.Error("the fault is still active after the abort")
	}
}

func TestRunInterruptedRecoversAndReports(t *testing.T) {
	t.Parallel()
	en := &faultEngine{tg: newTarget(t)}
	ctx, cancel := context.WithCancelCause(t.Context())
	go func() {
		time.Sleep(4 * time.Second) // mid-fault
		cancel(errors.New("signal: interrupt"))
	}()
	sched := schedtest.Watch(t)
	began := time.Now()
	res, err := runner.Run(ctx, config(t, experiment(t, nil), en))
	took, late := time.Since(began), sched.Stop()
	if code := exitcode.Of(err); code != exitcode.Aborted {
		t.Fatalf("exit %d (%v), want 4", code, err)
	}
	t.Logf("the run took %s after an interrupt at 4s; scheduler: %s", took, late)
	if took > 6500*time.Millisecond+2*late.Worst {
		t.Errorf("the run took %s after an interrupt at 4s, want under 6.5s + twice the worst wake-up (%s)", took, late.Worst)
	}
	m := readReport(t, res)
	if s := m["verdict"].(map[string]any)["status"]; s != "aborted" {
		t.Errorf("report status %v, want aborted", s)
	}
	if !strings.Contains(res.Report.StopReason, "signal: interrupt") {
		t.Errorf("stop reason %q", res.Report.StopReason)
	}
	if n, active, rec := en.state(); n != 1 || active != 0 || len(rec) != 1 || en.tg.broken.Load() {
		t.Errorf("%d injected, %d active, %d recovered, broken %t: want the fault recovered", n, active, len(rec), en.tg.broken.Load())
	}
}

func TestRunPrometheusGoneIsInconclusive(t *testing.T) {
	t.Parallel()
	tg := newTarget(t)
	ps := promtest.Start(t, promtest.Config{Targets: []string{strings.TrimPrefix(tg.URL, "http://")}})
	ps.WaitFor(t, "target_broken", 10*time.Second)
	en := &faultEngine{tg: tg, harmless: true}
	e := experiment(t, func(e *spec.Experiment) {
		e.Spec.Hypothesis.Probes = append(e.Spec.Hypothesis.Probes, spec.Probe{
			Name: "broken", Type: spec.ProbePromQL, PromQL: &spec.PromQLProbe{Query: "max(target_broken)"},
			Tolerance: &spec.Tolerance{Threshold: &spec.Threshold{Op: spec.OpLT, Value: 1}},
			Mode:      spec.ModeContinuous, Interval: spec.Duration(time.Second), Weight: 1,
		})
	})
	c := config(t, e, en)
	c.PrometheusURL = ps.URL
	go func() {
		time.Sleep(2500 * time.Millisecond)
		ps.Stop()
	}()
	res, err := runner.Run(t.Context(), c)
	if code := exitcode.Of(err); code != exitcode.Infra {
		t.Fatalf("exit %d (%v), want 3", code, err)
	}
	var broken verdict.ProbeResult
	for _, p := range res.Report.Verdict.Probes {
		if p.Name == "broken" {
			broken = p
		}
	}
	if broken.Result != verdict.Error || broken.OK == 0 || broken.Errors == 0 {
		t.Errorf("probe broken: %s with %d ok, %d errors; want error after some ok samples", broken.Result, broken.OK, broken.Errors)
	}
	if _, active, rec := en.state(); active != 0 || len(rec) != 1 {
		t.Errorf("%d active, %d recovered: want the fault recovered", active, len(rec))
	}
}

func TestRunRefusesAnUnreachablePrometheusBeforeAnyFault(t *testing.T) {
	t.Parallel()
	en := &faultEngine{tg: newTarget(t)}
	e := experiment(t, func(e *spec.Experiment) {
		e.Spec.Hypothesis.Probes[0] = spec.Probe{Name: "front-door", Type: spec.ProbePromQL, PromQL: &spec.PromQLProbe{Query: "vector(0)"},
			Tolerance: &spec.Tolerance{Threshold: &spec.Threshold{Op: spec.OpLT, Value: 1}}, Mode: spec.ModeContinuous, Interval: spec.Duration(time.Second), Weight: 1}
	})
	c := config(t, e, en)
	c.PrometheusURL = "http://127.0.0.1:1" // nothing listens there
	res, err := runner.Run(t.Context(), c)
	if code := exitcode.Of(err); code != exitcode.Infra || res != nil {
		t.Fatalf("exit %d (%v), result %v; want 3 and no run", code, err, res)
	}
	if n, _, _ := en.state(); n != 0 {
		t.Errorf("%d faults injected before the check", n)
	}
}

func TestReportsLandInSuiteAndRunID(t *testing.T) {
	t.Parallel()
	en := &faultEngine{tg: newTarget(t), harmless: true}
	e := experiment(t, func(e *spec.Experiment) { e.Spec.Load.Duration = spec.Duration(7 * time.Second) })
	c := config(t, e, en)
	c.Suite, c.RunID = "preprod-gate", "r42"
	res, err := runner.Run(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(c.ReportsDir, "preprod-gate", "r42")
	if res.Dir != want || filepath.Dir(res.Paths[report.FileHTML]) != want {
		t.Errorf("reports in %s (%s), want %s", res.Dir, res.Paths[report.FileHTML], want)
	}
}

func TestRunFailedInjectionRecoversTheOthersAndIsInconclusive(t *testing.T) {
	t.Parallel()
	en := &faultEngine{tg: newTarget(t), failOn: "second"}
	e := experiment(t, func(e *spec.Experiment) {
		second := e.Spec.Faults[0]
		second.Name, second.StartAfter = "second", spec.Duration(4*time.Second)
		e.Spec.Faults = append(e.Spec.Faults, second)
		e.Spec.Recovery = &spec.Recovery{Within: spec.Duration(2 * time.Second), Probes: []string{"front-door"}}
	})
	res, err := runner.Run(t.Context(), config(t, e, en))
	if code := exitcode.Of(err); code != exitcode.Infra {
		t.Fatalf("exit %d (%v), want 3", code, err)
	}
	if !strings.Contains(err.Error(), "inject fault second: control API: connection refused") {
		t.Errorf("error %q does not say which injection failed", err)
	}
	if n, active, rec := en.state(); n != 1 || active != 0 || len(rec) != 1 || en.tg.broken.Load() {
		t.Errorf("%d injected, %d active, %d recovered: want the first fault recovered at once", n, active, len(rec))
	}
	if res.Report.Verdict.Status != verdict.Inconclusive || res.Report.Timings.ActualSeconds > 6 {
		t.Errorf("status %s after %.1fs, want inconclusive and cut short", res.Report.Verdict.Status, res.Report.Timings.ActualSeconds)
	}
}

func TestRunWatchAbortsAndDecisionsAreReported(t *testing.T) {
	t.Parallel()
	en := &faultEngine{tg: newTarget(t), harmless: true}
	c := config(t, experiment(t, nil), en)
	c.ObserveEvery = time.Second
	c.Decisions = []report.Decision{{Name: "error-budget", Outcome: "admitted", Detail: "budget 80% left, policy 25%", At: time.Now()}}
	c.Watches = []runner.Watch{func(ctx context.Context) *verdict.Stop {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(4 * time.Second): // mid-fault
			return &verdict.Stop{Kind: verdict.StopCondition, Condition: "kill-switch", At: time.Now(), Reason: "kill switch set"}
		}
	}}
	res, err := runner.Run(t.Context(), c)
	if code := exitcode.Of(err); code != exitcode.Aborted {
		t.Fatalf("exit %d (%v), want 4", code, err)
	}
	r := res.Report
	if r.StopReason != "kill switch set" || r.Verdict.Status != verdict.Aborted {
		t.Errorf("stop reason %q, status %s; want the watch's", r.StopReason, r.Verdict.Status)
	}
	if _, active, _ := en.state(); active != 0 {
		t.Error("a fault is still active after the watch aborted")
	}
	if len(r.Decisions) != 1 || r.Decisions[0].Outcome != "admitted" {
		t.Errorf("decisions %+v, want the one given", r.Decisions)
	}
	// Observed at the start, about every second for 4 s, and at the end.
	if n := len(r.Observations); n < 4 {
		t.Errorf("%d observations, want one per second of the run", n)
	}
}

// An injection waiting for its confirmation must not deaf the run: a
// watch that trips meanwhile ends it within ~2 s, and an injection that
// lands after the abort is recovered.
func TestRunWatchAbortsAWaitingInjection(t *testing.T) {
	t.Parallel()
	for _, landsLate := range []bool{false, true} {
		t.Run(map[bool]string{false: "fails", true: "lands"}[landsLate], func(t *testing.T) {
			t.Parallel()
			en := &faultEngine{tg: newTarget(t), harmless: true, blocks: true, landsLate: landsLate}
			c := config(t, experiment(t, nil), en)
			var tripped atomic.Int64
			c.Watches = []runner.Watch{func(ctx context.Context) *verdict.Stop {
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(4 * time.Second): // 1 s into the injection's wait (fault at 3s)
					tripped.Store(time.Now().UnixNano())
					return &verdict.Stop{Kind: verdict.StopCondition, Condition: "kill-switch", At: time.Now(), Reason: "kill switch set"}
				}
			}}
			// Without the fix the loop waits in Inject until this deadline.
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			sched := schedtest.Watch(t)
			res, err := runner.Run(ctx, c)
			ended, late := time.Now(), sched.Stop()
			if code := exitcode.Of(err); code != exitcode.Aborted {
				t.Fatalf("exit %d (%v), want 4", code, err)
			}
			t.Logf("the run ended %s after the watch tripped; scheduler: %s", ended.Sub(time.Unix(0, tripped.Load())), late)
			if at := tripped.Load(); at == 0 || ended.Sub(time.Unix(0, at)) > 2*time.Second+2*late.Worst {
				t.Errorf("the run ended %s after the watch tripped, want within 2s + twice the worst wake-up (%s)", ended.Sub(time.Unix(0, at)), late.Worst)
			}
			if res.Report.StopReason != "kill switch set" {
				t.Errorf("stop reason %q, want the watch's", res.Report.StopReason)
			}
			n, active, rec := en.state()
			if active != 0 {
				t.Errorf("%d faults still active", active)
			}
			if landsLate && (n != 1 || len(rec) != 1 || len(res.Report.Verdict.Faults) != 1) {
				t.Errorf("%d injected, %d recovered, faults %+v: want the late injection recorded and recovered", n, len(rec), res.Report.Verdict.Faults)
			}
		})
	}
}

// LogQL to evaluate without a Loki is said in the report's decisions: the
// probe is skipped, so the verdict does not cover it. With a Loki, nothing
// is said and the probe is judged on Loki's answer (the shape a real Loki
// 3.x gave, in ../loki/testdata).
func TestRunWarnsOfLogQLWithoutLoki(t *testing.T) {
	t.Parallel()
	withLogQL := func(e *spec.Experiment) {
		e.Spec.Hypothesis.Probes = append(e.Spec.Hypothesis.Probes, spec.Probe{
			Name: "error-lines", Type: spec.ProbeLogQL, Interval: spec.Duration(time.Second),
			LogQL:     &spec.LogQLProbe{Query: `sum(count_over_time({app="petclinic"} | json | level="ERROR" [1m]))`},
			Tolerance: &spec.Tolerance{Threshold: &spec.Threshold{Op: spec.OpLT, Value: 10}},
		})
		e.Spec.Faults = nil
	}
	answer, err := os.ReadFile("../loki/testdata/query_instant.json")
	if err != nil {
		t.Fatal(err)
	}
	lokiSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(answer) }))
	t.Cleanup(lokiSrv.Close)
	for name, tc := range map[string]struct {
		loki    string
		warns   bool
		skipped bool
	}{
		"without a Loki": {"", true, true},
		"with a Loki":    {lokiSrv.URL, false, false},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			en := &faultEngine{tg: newTarget(t), harmless: true}
			c := config(t, experiment(t, withLogQL), en)
			c.LokiURL = tc.loki
			res, err := runner.Run(t.Context(), c)
			if code := exitcode.Of(err); code != exitcode.OK {
				t.Fatalf("exit %d (%v), want 0", code, err)
			}
			r := res.Report
			warned := len(r.Decisions) == 1 && r.Decisions[0].Name == runner.DecisionNoLoki && r.Decisions[0].Outcome == "warning" &&
				strings.Contains(r.Decisions[0].Detail, "the LogQL probes error-lines are skipped, not judged")
			if warned != tc.warns || (!tc.warns && len(r.Decisions) != 0) {
				t.Errorf("decisions %+v, want the no-Loki warning: %t", r.Decisions, tc.warns)
			}
			for _, p := range r.Probes {
				if p.Name == "error-lines" && (p.Samples == 0 || (p.Skipped == p.Samples) != tc.skipped || (!tc.skipped && p.OK != p.Samples)) {
					t.Errorf("probe %s: %d samples, %d skipped, %d ok; want all skipped: %t, else all ok", p.Name, p.Samples, p.Skipped, p.OK, tc.skipped)
				}
			}
			if md, _ := os.ReadFile(res.Paths[report.FileMD]); tc.warns && !strings.Contains(string(md), "| loki | **warning** | no Loki configured") {
				t.Errorf("report.md lacks the warning:\n%s", md)
			}
		})
	}
}
