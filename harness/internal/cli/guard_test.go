package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/prom"
	"github.com/gamedayhq/gameday/harness/internal/prom/promtest"
	"github.com/gamedayhq/gameday/harness/internal/report"
	"github.com/gamedayhq/gameday/harness/internal/runner"
	"github.com/gamedayhq/gameday/harness/internal/slo"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// petclinic starts the PetClinic binary ($GAMEDAY_PETCLINIC_BIN, else one
// built from the work tree) on a free loopback port and returns its URL.
func petclinic(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("GAMEDAY_PETCLINIC_BIN")
	if bin == "" {
		// Built from the work tree, as sandboxtest does.
		bin = filepath.Join(t.TempDir(), "petclinic")
		cmd := exec.Command("go", "build", "-o", bin, "./petclinic/cmd/petclinic")
		cmd.Dir = "../../.."
		if out, err := cmd.CombinedOutput(); err != nil {
			msg := fmt.Sprintf("build petclinic: %v: %s (or set GAMEDAY_PETCLINIC_BIN)", err, out)
			if os.Getenv("CI") != "" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(bin, "--port", fmt.Sprint(port), "--bind-address", "127.0.0.1", "--sqlite-path", filepath.Join(t.TempDir(), "petclinic.db"))
	cmd.Env = append(os.Environ(), "LOG_LEVEL=error")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	u := fmt.Sprintf("http://127.0.0.1:%d", port)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if resp, err := http.Get(u + "/actuator/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return u
			}
		}
	}
	t.Fatal("petclinic not healthy after 20 s")
	return ""
}

func get(t *testing.T, u string, n int) {
	for range n {
		resp, err := http.Get(u)
		if err != nil {
			t.Error(err)
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// guardApp runs budgetGuard as run will, with args as flags.
func guardApp(t *testing.T, e *spec.Experiment, promURL string, args ...string) ([]report.Decision, []runner.Watch, *runner.Result, error) {
	t.Helper()
	return guardCmd(t, "run", e, promURL, args...)
}

// guardCmd runs budgetGuard as the command cmd (run or gate) will.
func guardCmd(t *testing.T, cmd string, e *spec.Experiment, promURL string, args ...string) ([]report.Decision, []runner.Watch, *runner.Result, error) {
	t.Helper()
	var decisions []report.Decision
	var watches []runner.Watch
	var res *runner.Result
	var gerr error
	app := &ucli.App{Name: "gameday", Commands: []*ucli.Command{{
		Name:  cmd,
		Flags: append(runFlags(), guardFlags()...),
		Action: func(c *ucli.Context) error {
			now := time.Now()
			decisions, watches, gerr = budgetGuard(c, e, promURL, now)
			if gerr != nil {
				res, gerr = refusedRun(c, e, "adhoc", "guard-test", promURL, decisions, gerr, now)
			}
			return nil
		},
	}}, ExitErrHandler: func(*ucli.Context, error) {}}
	if err := app.RunContext(t.Context(), append([]string{"gameday", cmd, "--reports-dir", t.TempDir()}, args...)); err != nil {
		t.Fatal(err)
	}
	return decisions, watches, res, gerr
}

// The guard of run and gate against a real Prometheus scraping a real
// PetClinic: it admits while the budget is whole, refuses (exit 4, the SLO
// and its figures named, a report with the decisions written) once real 500s
// burnt it, and its watch stops a run burning above the cap.
func TestBudgetGuard(t *testing.T) {
	pc := petclinic(t)
	// promtest scrapes /metrics; PetClinic serves /actuator/prometheus.
	target, _ := url.Parse(pc)
	proxy := httputil.NewSingleHostReverseProxy(target)
	director := proxy.Director
	proxy.Director = func(r *http.Request) { director(r); r.URL.Path = "/actuator/prometheus" }
	metrics := httptest.NewServer(proxy)
	t.Cleanup(metrics.Close)
	ps := promtest.Start(t, promtest.Config{Targets: []string{strings.TrimPrefix(metrics.URL, "http://")}})
	e, err := spec.LoadFile("testdata/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	get(t, pc+"/oups", 1) // the series exists before the burst (see slo/e2e)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
				get(t, pc+"/", 1)
			}
		}
	}()
	defer func() { close(stop); <-done }()
	ps.WaitFor(t, `sum(rate(http_server_requests_seconds_count{job="gameday-test",uri="/"}[1m])) > 0`, 30*time.Second)

	t.Run("admits with the budget whole and arms the watch", func(t *testing.T) {
		ds, ws, _, err := guardApp(t, e, ps.URL, "--slo-dir", "testdata/slo")
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) != 2 || ds[0].Name != "error-budget/petclinic-ui-availability" || ds[0].Outcome != slo.Admitted || !strings.Contains(ds[0].Detail, "100% of its 30d error budget left") ||
			ds[1].Outcome != "armed" || len(ws) != 1 {
			t.Errorf("got %+v and %d watches; want admitted with 100%% left, and the watch armed", ds, len(ws))
		}
	})

	t.Run("skipped without specs, off on request, invalid on a bad flag", func(t *testing.T) {
		ds, ws, _, err := guardApp(t, e, ps.URL)
		if err != nil || len(ds) != 1 || ds[0].Outcome != "skipped" || len(ws) != 0 {
			t.Errorf("no slo/ here: got %+v %v; want one skipped decision", ds, err)
		}
		ds, _, _, err = guardApp(t, e, ps.URL, "--slo-dir", "testdata/slo", "--no-budget-guard")
		if err != nil || ds[0].Outcome != "skipped" {
			t.Errorf("--no-budget-guard: got %+v %v", ds, err)
		}
		_, _, _, err = guardApp(t, e, ps.URL, "--slo-dir", "testdata/nope")
		if exitcode.Of(err) != exitcode.Invalid {
			t.Errorf("a --slo-dir that does not exist: exit %d (%v), want 2", exitcode.Of(err), err)
		}
		_, _, _, err = guardApp(t, e, ps.URL, "--slo-dir", "testdata/slo", "--budget-policy-min", "1.5")
		if exitcode.Of(err) != exitcode.Invalid {
			t.Errorf("--budget-policy-min 1.5: exit %d (%v), want 2", exitcode.Of(err), err)
		}
	})

	t.Run("no data is admitted by default and refused when strict", func(t *testing.T) {
		dead := "http://127.0.0.1:1" // nothing listens
		ds, _, _, err := guardApp(t, e, dead, "--slo-dir", "testdata/slo")
		if err != nil || ds[0].Outcome != slo.NoData {
			t.Errorf("got %+v %v; want no-data, admitted", ds, err)
		}
		_, _, _, err = guardApp(t, e, dead, "--slo-dir", "testdata/slo", "--budget-guard-strict")
		if exitcode.Of(err) != exitcode.Aborted {
			t.Errorf("strict: exit %d (%v), want 4", exitcode.Of(err), err)
		}
	})

	t.Run("the watch stops the run while 500s burn above the cap", func(t *testing.T) {
		_, ws, _, err := guardApp(t, e, ps.URL, "--slo-dir", "testdata/slo", "--burn-rate-cap", "14.4")
		if err != nil || len(ws) != 1 {
			t.Fatalf("%v, %d watches", err, len(ws))
		}
		ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
		defer cancel()
		go func() {
			for ctx.Err() == nil {
				get(t, pc+"/oups", 5)
				time.Sleep(50 * time.Millisecond)
			}
		}()
		began := time.Now()
		s := ws[0](ctx)
		if s == nil {
			t.Fatal("the watch did not stop the run in 60 s")
		}
		t.Logf("stopped after %s: %s", time.Since(began).Round(time.Millisecond), s.Reason)
		if s.Condition != "error-budget-burn-rate" || !strings.Contains(s.Reason, "SLO petclinic-ui-availability burns") {
			t.Errorf("stop %+v", s)
		}
	})

	t.Run("refuses with exit 4 once 500s burnt the budget, and writes the report", func(t *testing.T) {
		get(t, pc+"/oups", 300)
		pcl, _ := prom.New(ps.URL, 0)
		set, _ := slo.Load("testdata/slo")
		deadline := time.Now().Add(30 * time.Second)
		for {
			st, _ := slo.ReadStatus(t.Context(), slo.Clients{Prom: pcl}, set.SLOs[0], time.Time{})
			if st.Remaining != nil && *st.Remaining < 0.25 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("budget still %v after 30 s", st.Remaining)
			}
			time.Sleep(500 * time.Millisecond)
		}
		ds, ws, res, err := guardApp(t, e, ps.URL, "--slo-dir", "testdata/slo")
		t.Logf("%v", err)
		if exitcode.Of(err) != exitcode.Aborted || !strings.Contains(err.Error(), "SLO petclinic-ui-availability has -") || !strings.Contains(err.Error(), "policy at least 25%") {
			t.Fatalf("exit %d (%v), want 4 naming the SLO and its figures", exitcode.Of(err), err)
		}
		if len(ws) != 0 || len(ds) != 1 || ds[0].Outcome != slo.Refused {
			t.Errorf("decisions %+v, %d watches", ds, len(ws))
		}
		if res == nil || res.Paths == nil {
			t.Fatal("no report of the refused run")
		}
		md, _ := os.ReadFile(res.Paths[report.FileMD])
		for _, want := range []string{"ABORTED", "refused", "petclinic-ui-availability"} {
			if !strings.Contains(string(md), want) {
				t.Errorf("report.md lacks %q:\n%s", want, md)
			}
		}
	})
}

// Without budget data the guard does not pass silently: gate is strict by
// default (a CI gate refuses, exit 4, when an SLO cannot be read) while run
// admits and says so; and with SLO specs but no Prometheus URL at all
// (a kubernetes target without --prometheus-url) both refuse to start
// (exit 2) unless the guard is turned off.
func TestBudgetGuardWithoutData(t *testing.T) {
	e, err := spec.LoadFile("testdata/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://127.0.0.1:1" // nothing listens
	slos := []string{"--slo-dir", "testdata/slo"}
	for _, tc := range []struct {
		what, cmd, prom string
		args            []string
		exit            int
		outcome, detail string // of the first decision, when no error
	}{
		{"run admits an unreadable SLO by default", "run", dead, nil, exitcode.OK, slo.NoData, "admitted by the default policy"},
		{"run refuses it when strict", "run", dead, []string{"--budget-guard-strict"}, exitcode.Aborted, "", ""},
		{"gate refuses it by default", "gate", dead, nil, exitcode.Aborted, "", ""},
		{"gate admits it when told not strict", "gate", dead, []string{"--budget-guard-strict=false"}, exitcode.OK, slo.NoData, ""},
		{"run without a Prometheus URL is refused", "run", "", nil, exitcode.Invalid, "", ""},
		{"gate without a Prometheus URL is refused", "gate", "", nil, exitcode.Invalid, "", ""},
		{"run without a Prometheus URL, guard off", "run", "", []string{"--no-budget-guard"}, exitcode.OK, "skipped", "--no-budget-guard"},
	} {
		t.Run(tc.what, func(t *testing.T) {
			ds, ws, _, err := guardCmd(t, tc.cmd, e, tc.prom, append(slices.Clone(slos), tc.args...)...)
			if got := exitcode.Of(err); got != tc.exit {
				t.Fatalf("exit %d (%v), want %d", got, err, tc.exit)
			}
			if err != nil {
				t.Log(err)
				if tc.prom == "" && (!strings.Contains(err.Error(), "no Prometheus URL") || !strings.Contains(err.Error(), "--no-budget-guard")) {
					t.Errorf("%v: want the missing URL and the way out named", err)
				}
				return
			}
			if len(ds) == 0 || ds[0].Outcome != tc.outcome || !strings.Contains(ds[0].Detail, tc.detail) {
				t.Errorf("decisions %+v, want the first %s with %q", ds, tc.outcome, tc.detail)
			}
			if tc.outcome == "skipped" && len(ws) != 0 {
				t.Errorf("%d watches with the guard off", len(ws))
			}
		})
	}
}
