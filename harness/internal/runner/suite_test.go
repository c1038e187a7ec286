package runner_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/report"
	"github.com/gamedayhq/gameday/harness/internal/runner"
	"github.com/gamedayhq/gameday/harness/internal/slo"
	"github.com/gamedayhq/gameday/harness/internal/spec"
	"github.com/gamedayhq/gameday/harness/internal/verdict"
)

// short is the test experiment named name, 7 s long (its fault from 3 s
// to 6 s).
func short(t *testing.T, name string) *spec.Experiment {
	return experiment(t, func(e *spec.Experiment) {
		e.Metadata.Name = name
		e.Spec.Load.Duration = spec.Duration(7 * time.Second)
	})
}

func TestLoadSuite(t *testing.T) {
	tests := map[string]struct {
		path, name      string
		wantName        string
		wantExperiments int
		wantFailFast    bool
		wantErr         string
	}{
		"one experiment is a suite of one, adhoc": {"testdata/http-fault.yaml", "", "adhoc", 1, false, ""},
		"--suite names a lone experiment's suite": {"testdata/http-fault.yaml", "nightly", "nightly", 1, false, ""},
		"a suite file keeps its name and policy":  {"../../../experiments/suites/preprod-gate.yaml", "", "preprod-gate", 4, true, ""},
		"a folder of experiments is one suite":    {"../../../experiments/suites", "", "", 0, false, "want one experiment or one suite file"},
		"a bad file says how to find out":         {"../cli/testdata/bad.yaml", "", "", 0, false, "fix the file (gameday validate ../cli/testdata/bad.yaml)"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s, err := runner.LoadSuite(tc.path, tc.name)
			if tc.wantErr != "" {
				if exitcode.Of(err) != exitcode.Invalid || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want invalid input saying %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || s.Name != tc.wantName || len(s.Experiments) != tc.wantExperiments || s.FailFast != tc.wantFailFast {
				t.Errorf("suite %s of %d, failFast %t (%v); want %s of %d, %t", s.Name, len(s.Experiments), s.FailFast, err, tc.wantName, tc.wantExperiments, tc.wantFailFast)
			}
		})
	}
}

// suiteRun runs s on faultEngines over real targets; the second
// experiment's target cannot be reached (exit 3, no run).
func suiteRun(t *testing.T, ctx context.Context, s runner.Suite) ([]runner.Outcome, []time.Time, error) {
	t.Helper()
	var mu sync.Mutex
	var done []time.Time
	reports := t.TempDir()
	out, err := runner.RunSuite(ctx, s, runner.SuiteOptions{
		RunID: "s1", ReportsDir: reports,
		Config: func(_ context.Context, e *spec.Experiment) (runner.Config, error) {
			if e.Metadata.Name == "unreachable" {
				return runner.Config{}, exitcode.Infraf("experiment %s targets the sandbox, but no sandbox runs", e.Metadata.Name)
			}
			en := &faultEngine{tg: newTarget(t)}
			return runner.Config{Engine: en, TargetURL: en.tg.URL}, nil
		},
		Done: func(o runner.Outcome) error {
			mu.Lock()
			defer mu.Unlock()
			done = append(done, time.Now())
			if o.Result != nil && filepath.Dir(o.Result.Dir) != filepath.Join(reports, o.Suite) {
				t.Errorf("reports of %s in %s, want them under %s", o.Experiment.Metadata.Name, o.Result.Dir, filepath.Join(reports, o.Suite))
			}
			return nil
		},
	})
	return out, done, err
}

func TestRunSuite(t *testing.T) {
	t.Parallel()
	t.Run("the worst exit wins: infra over failed, and every run runs", func(t *testing.T) {
		t.Parallel()
		s := runner.Suite{Name: "gate", Experiments: []*spec.Experiment{short(t, "breaks"), short(t, "unreachable")}, Cooldown: time.Second}
		out, done, err := suiteRun(t, t.Context(), s)
		if exitcode.Of(err) != exitcode.Infra || len(out) != 2 {
			t.Fatalf("exit %d (%v), %d runs; want 3 of two runs", exitcode.Of(err), err, len(out))
		}
		if exitcode.Of(out[0].Err) != exitcode.Failed || out[0].Result.Report.RunID != "s1-breaks" || out[1].Result != nil {
			t.Errorf("outcomes %+v %+v: want breaks failed as run s1-breaks, unreachable without a report", out[0], out[1])
		}
		if gap := done[1].Sub(done[0]); gap < time.Second {
			t.Errorf("%s between the runs, want the 1s cooldown", gap)
		}
	})
	t.Run("fail-fast stops at the first run that does not hold", func(t *testing.T) {
		t.Parallel()
		s := runner.Suite{Name: "gate", Experiments: []*spec.Experiment{short(t, "breaks"), short(t, "unreachable")}, FailFast: true}
		out, _, err := suiteRun(t, t.Context(), s)
		if exitcode.Of(err) != exitcode.Failed || len(out) != 1 {
			t.Fatalf("exit %d (%v), %d runs; want 1 of one run", exitcode.Of(err), err, len(out))
		}
	})
	t.Run("an interrupt in the cooldown starts no other run and aborts", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(t.Context())
		s := runner.Suite{Name: "weekly", Experiments: []*spec.Experiment{short(t, "breaks"), short(t, "unreachable")}, Cooldown: time.Minute}
		go func() {
			time.Sleep(10 * time.Second) // the first run lasts 7 s
			cancel()
		}()
		began := time.Now()
		out, _, err := suiteRun(t, ctx, s)
		if exitcode.Of(err) != exitcode.Aborted || len(out) != 1 || !strings.Contains(err.Error(), "suite weekly interrupted before experiment unreachable") {
			t.Fatalf("exit %d (%v), %d runs; want 4 after one run", exitcode.Of(err), err, len(out))
		}
		if d := time.Since(began); d > 30*time.Second {
			t.Errorf("the suite took %s: the cooldown was not cut short", d)
		}
	})
	t.Run("a lone experiment's run id is the one given", func(t *testing.T) {
		t.Parallel()
		out, _, err := suiteRun(t, t.Context(), runner.Suite{Experiments: []*spec.Experiment{short(t, "breaks")}})
		if exitcode.Of(err) != exitcode.Failed || len(out) != 1 || out[0].Result.Report.RunID != "s1" || out[0].Suite != runner.DefaultSuite {
			t.Fatalf("exit %d (%v), %+v; want one failed run s1 in adhoc", exitcode.Of(err), err, out)
		}
	})
}

// A run the error-budget guard refuses never reaches the target: exit 4,
// and a report like any run's (the decisions, the reason, every probe
// skipped, the planned fault not injected).
func TestRunRefusedByTheGuardIsReported(t *testing.T) {
	t.Parallel()
	en := &faultEngine{tg: newTarget(t)}
	g, err := slo.NewGuard(slo.GuardConfig{Dir: "../cli/testdata/slo", Required: true, Policy: slo.Policy{MinRemaining: 0.25, BurnRateCap: 14.4, Strict: true}})
	if err != nil {
		t.Fatal(err)
	}
	c := config(t, experiment(t, nil), en)
	c.Guard, c.PrometheusURL = g, "http://127.0.0.1:1" // nothing listens: no budget data, refused when strict
	res, err := runner.Run(t.Context(), c)
	if exitcode.Of(err) != exitcode.Aborted || !strings.Contains(err.Error(), "error-budget guard refused to start http-fault") {
		t.Fatalf("exit %d (%v), want 4 naming the guard", exitcode.Of(err), err)
	}
	r := readReport(t, res)
	if v := r["verdict"].(map[string]any); v["status"] != "aborted" || !strings.Contains(r["stopReason"].(string), "refused without budget data") {
		t.Errorf("verdict %v, stop reason %v", v["status"], r["stopReason"])
	}
	rep := res.Report
	if len(rep.Decisions) != 1 || rep.Decisions[0].Name != "error-budget/petclinic-ui-availability" || rep.Decisions[0].Outcome != slo.Refused {
		t.Errorf("decisions %+v, want the refusal", rep.Decisions)
	}
	if len(rep.Probes) != 1 || rep.Probes[0].Result != verdict.Skipped || len(rep.Faults) != 1 || rep.Faults[0].Result != nil || len(rep.Timeline) != 0 {
		t.Errorf("probes %+v, faults %+v, %d seconds: want the probe skipped, the fault planned and not injected, no load", rep.Probes, rep.Faults, len(rep.Timeline))
	}
	if n, _, _ := en.state(); n != 0 || en.tg.total.Load() != 0 {
		t.Errorf("%d injections, %d requests: the target was touched", n, en.tg.total.Load())
	}
	junit, _ := os.ReadFile(res.Paths[report.FileJUnit])
	if !strings.Contains(string(junit), `<testcase name="decision error-budget/petclinic-ui-availability"`) {
		t.Errorf("junit.xml has no testcase of the refusal:\n%s", junit)
	}
}
