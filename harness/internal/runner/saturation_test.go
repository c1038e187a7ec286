package runner_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/load"
	"github.com/gamedayhq/gameday/harness/internal/report"
	"github.com/gamedayhq/gameday/harness/internal/runner"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// envSaturate makes the test binary run one game day (saturatedRun)
// instead of the tests, so that the harness's memory is measured alone.
const envSaturate = "GAMEDAY_RUNNER_TEST_SATURATE"

func TestMain(m *testing.M) {
	if v := os.Getenv(envSaturate); v != "" {
		if err := saturatedRun(v); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// saturatedOutcome is what the child's game day ended with.
type saturatedOutcome struct {
	Code int
	Err  string
	Dir  string
}

// saturatedRun runs "URL REPORTS-DIR": the http-fault game day (its fault
// harmless) asking a million requests per second of the target for 6 s,
// then writes a saturatedOutcome to stdout.
func saturatedRun(v string) error {
	url, reports, _ := strings.Cut(v, " ")
	e, err := spec.ValidateOptions{Journeys: load.JourneyNames()}.LoadFile("testdata/http-fault.yaml")
	if err != nil {
		return err
	}
	e.Spec.Load.Duration = spec.Duration(6 * time.Second)
	e.Spec.Load.Profile.Constant.Rate = spec.MaxRate
	if err := e.Validate(spec.ValidateOptions{}); err != nil {
		return err
	}
	en := &faultEngine{tg: &target{Server: &httptest.Server{URL: url}}, harmless: true}
	res, err := runner.Run(context.Background(), runner.Config{Experiment: e, Engine: en, RunID: "saturated", ReportsDir: reports, TargetURL: url})
	out := saturatedOutcome{Code: exitcode.Of(err)}
	if err != nil {
		out.Err = err.Error()
	}
	if res != nil {
		out.Dir = res.Dir
	}
	return json.NewEncoder(os.Stdout).Encode(out)
}

// A game day asking more than this machine can send: the harness stays
// small, says the generator saturated, and does not blame the target
// (exit 3, inconclusive), in the error and in every report.
func TestRunOfAGeneratorAskedForMoreThanTheMachineCanSendIsInconclusive(t *testing.T) {
	tg := newTarget(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	reports := t.TempDir()
	cmd := exec.CommandContext(t.Context(), exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), envSaturate+"="+tg.URL+" "+reports)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child game day: %v\n%s", err, stderr.String())
	}
	var o saturatedOutcome
	if err := json.Unmarshal(out, &o); err != nil {
		t.Fatalf("child output %q: %v", out, err)
	}
	rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10
	t.Logf("exit %d, peak RSS %.1f MB: %s", o.Code, float64(rss)/1e6, o.Err)
	const msg = "load generator saturated at "
	if o.Code != exitcode.Infra || !strings.Contains(o.Err, "hypothesis inconclusive: "+msg) {
		t.Errorf("exit %d (%s), want 3 with the saturation message", o.Code, o.Err)
	}
	if rss <= 0 || rss > maxRSS {
		t.Errorf("peak RSS of the harness %d bytes, want under %d MiB", rss, maxRSS>>20)
	}
	for _, name := range []string{report.FileJSON, report.FileMD, report.FileHTML, report.FileJUnit} {
		b, err := os.ReadFile(o.Dir + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), msg) {
			t.Errorf("%s does not say the generator saturated", name)
		}
	}
}

// A target slower than the latency budget holds every worker: the
// generator sends late (never piles up), says the target held it back,
// and the client-side p99 probe, measured from the intended send time,
// fails the hypothesis: exit 1, the target's doing, not inconclusive.
func TestRunOfATargetSlowerThanTheBudgetFailsTheCorrectedLatencyProbe(t *testing.T) {
	t.Parallel()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		time.Sleep(300 * time.Millisecond)
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(slow.Close)
	e := experiment(t, func(e *spec.Experiment) {
		e.Spec.Load.Profile.Constant.Rate = 100
		e.Spec.Load.LatencyBudget = spec.Duration(100 * time.Millisecond) // 100/s × 100ms + 10 = 20 workers: 66/s at 300 ms
		e.Spec.Hypothesis.Probes = append(e.Spec.Hypothesis.Probes, spec.Probe{Name: "client-p99", Type: spec.ProbeLoad,
			Load: &spec.LoadProbe{Metric: spec.LoadP99, Window: spec.Duration(3 * time.Second)}, Interval: spec.Duration(time.Second),
			Tolerance: &spec.Tolerance{Threshold: &spec.Threshold{Op: spec.OpLT, Value: 1}}})
	})
	en := &faultEngine{tg: &target{Server: slow}, harmless: true}
	res, err := runner.Run(t.Context(), runner.Config{Experiment: e, Engine: en, RunID: "slow-target", ReportsDir: t.TempDir(), TargetURL: slow.URL})
	if code := exitcode.Of(err); code != exitcode.Failed || !strings.Contains(err.Error(), "probe client-p99 failed") {
		t.Fatalf("exit %d (%v), want 1 naming client-p99", code, err)
	}
	g, total := res.Report.Load.Generator, res.Report.Load.Total
	if g.Saturation != nil || g.HeldBackSeconds == 0 || g.MaxInFlight != 20 {
		t.Errorf("generator %+v: want it held back by the target (cap 20), not saturated", g)
	}
	if total.P99 > time.Second || total.CorrectedP99 < time.Second {
		t.Errorf("p99 %s from the send, %s from the intended time: want the service time under 1s and the corrected one above", total.P99, total.CorrectedP99)
	}
	var probe report.Probe
	for _, p := range res.Report.Probes {
		if p.Name == "client-p99" {
			probe = p
		}
	}
	if probe.Result != "fail" || !strings.Contains(probe.Query, "latency from the intended send time") {
		t.Errorf("client-p99 probe: %s (%s), want a failure on the corrected latency", probe.Result, probe.Query)
	}
}
