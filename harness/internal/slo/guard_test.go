package slo_test

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
	"strings"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/prom"
	"github.com/gamedayhq/gameday/harness/internal/prom/promtest"
	"github.com/gamedayhq/gameday/harness/internal/slo"
)

// guardSLOs holds the UI availability SLO of PetClinic over the test's
// scrape job (gameday-test).
const guardSLOs = "testdata/guard"

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

// admit runs a guard of c against the Prometheus at promURL.
func admit(t *testing.T, c slo.GuardConfig, promURL string) (slo.Ruling, error) {
	t.Helper()
	g, err := slo.NewGuard(c)
	if err != nil {
		return slo.Ruling{}, err
	}
	clients, err := slo.NewClients(promURL, "")
	if err != nil {
		t.Fatal(err)
	}
	return g.Admit(t.Context(), clients, "http-fault", time.Now())
}

// The guard against a real Prometheus scraping a real PetClinic: it
// admits while the budget is whole, refuses (exit 4, the SLO and its
// figures named) once real 500s burnt it, and its watch stops a run burning
// above the cap.
func TestGuard(t *testing.T) {
	pc := petclinic(t)
	// promtest scrapes /metrics; PetClinic serves /actuator/prometheus.
	target, _ := url.Parse(pc)
	proxy := httputil.NewSingleHostReverseProxy(target)
	director := proxy.Director
	proxy.Director = func(r *http.Request) { director(r); r.URL.Path = "/actuator/prometheus" }
	metrics := httptest.NewServer(proxy)
	t.Cleanup(metrics.Close)
	ps := promtest.Start(t, promtest.Config{Targets: []string{strings.TrimPrefix(metrics.URL, "http://")}})
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
	policy := slo.Policy{MinRemaining: slo.DefaultMinRemaining, BurnRateCap: slo.DefaultBurnRateCap}
	on := slo.GuardConfig{Dir: guardSLOs, Required: true, Policy: policy}

	t.Run("admits with the budget whole and arms the watch", func(t *testing.T) {
		r, err := admit(t, on, ps.URL)
		if err != nil {
			t.Fatal(err)
		}
		ds := r.Decisions
		if len(ds) != 2 || ds[0].Name != "error-budget/petclinic-ui-availability" || ds[0].Outcome != slo.Admitted || !strings.Contains(ds[0].Detail, "100% of its 30d error budget left") ||
			ds[1].Name != slo.DecisionBurnCap || ds[1].Outcome != "armed" || r.Watch == nil {
			t.Errorf("got %+v (watch %t); want admitted with 100%% left, and the watch armed", ds, r.Watch != nil)
		}
	})

	t.Run("skipped without specs, off on request, invalid on a bad policy or a missing dir", func(t *testing.T) {
		r, err := admit(t, slo.GuardConfig{Dir: "testdata/nope", Policy: policy}, ps.URL)
		if err != nil || len(r.Decisions) != 1 || r.Decisions[0].Outcome != "skipped" || r.Watch != nil {
			t.Errorf("no such dir, not required: got %+v %v; want one skipped decision", r.Decisions, err)
		}
		r, err = admit(t, slo.GuardConfig{Dir: guardSLOs, Policy: policy, Off: true}, ps.URL)
		if err != nil || r.Decisions[0].Outcome != "skipped" || !strings.Contains(r.Decisions[0].Detail, "--no-budget-guard") {
			t.Errorf("off: got %+v %v", r.Decisions, err)
		}
		_, err = admit(t, slo.GuardConfig{Dir: "testdata/nope", Required: true, Policy: policy}, ps.URL)
		if exitcode.Of(err) != exitcode.Invalid {
			t.Errorf("a required dir that does not exist: exit %d (%v), want 2", exitcode.Of(err), err)
		}
		_, err = admit(t, slo.GuardConfig{Dir: guardSLOs, Policy: slo.Policy{MinRemaining: 1.5}}, ps.URL)
		if exitcode.Of(err) != exitcode.Invalid || !strings.Contains(err.Error(), "--budget-policy-min 1.5") {
			t.Errorf("a share of 1.5: exit %d (%v), want 2", exitcode.Of(err), err)
		}
	})

	t.Run("the watch stops the run while 500s burn above the cap", func(t *testing.T) {
		r, err := admit(t, on, ps.URL)
		if err != nil || r.Watch == nil {
			t.Fatalf("%v, watch %t", err, r.Watch != nil)
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
		trip := r.Watch(ctx)
		if trip == nil {
			t.Fatal("the watch did not stop the run in 60 s")
		}
		t.Logf("stopped after %s: %s", time.Since(began).Round(time.Millisecond), trip.Reason)
		if trip.SLO != "petclinic-ui-availability" || !strings.Contains(trip.Reason, "SLO petclinic-ui-availability burns") {
			t.Errorf("trip %+v", trip)
		}
	})

	t.Run("refuses with exit 4 once 500s burnt the budget", func(t *testing.T) {
		get(t, pc+"/oups", 300)
		pcl, _ := prom.New(ps.URL, 0)
		set, _ := slo.Load(guardSLOs)
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
		r, err := admit(t, on, ps.URL)
		t.Logf("%v", err)
		if exitcode.Of(err) != exitcode.Aborted || !strings.Contains(err.Error(), "SLO petclinic-ui-availability has -") || !strings.Contains(err.Error(), "policy at least 25%") {
			t.Fatalf("exit %d (%v), want 4 naming the SLO and its figures", exitcode.Of(err), err)
		}
		if r.Watch != nil || len(r.Decisions) != 1 || r.Decisions[0].Outcome != slo.Refused {
			t.Errorf("decisions %+v, watch %t", r.Decisions, r.Watch != nil)
		}
	})
}

// Without budget data the guard does not pass silently: a strict guard
// (gate's default) refuses, exit 4, when an SLO cannot be read, while a
// lenient one admits and says so; with SLO specs but no Prometheus URL at
// all it refuses to start (exit 2) unless it is off.
func TestGuardWithoutData(t *testing.T) {
	dead := "http://127.0.0.1:1" // nothing listens
	for name, tc := range map[string]struct {
		strict, off     bool
		prom            string
		exit            int
		outcome, detail string // of the first decision, when no error
	}{
		"lenient admits an unreadable SLO":      {false, false, dead, exitcode.OK, slo.NoData, "admitted by the default policy"},
		"strict refuses it":                     {true, false, dead, exitcode.Aborted, "", ""},
		"no Prometheus URL is refused":          {false, false, "", exitcode.Invalid, "", ""},
		"no Prometheus URL is refused, strict":  {true, false, "", exitcode.Invalid, "", ""},
		"no Prometheus URL with the guard off":  {false, true, "", exitcode.OK, "skipped", "--no-budget-guard"},
		"a lenient guard says how to be strict": {false, false, dead, exitcode.OK, slo.NoData, "--budget-guard-strict refuses instead"},
	} {
		t.Run(name, func(t *testing.T) {
			r, err := admit(t, slo.GuardConfig{Dir: guardSLOs, Required: true, Off: tc.off, Policy: slo.Policy{MinRemaining: 0.25, BurnRateCap: 14.4, Strict: tc.strict}}, tc.prom)
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
			if len(r.Decisions) == 0 || r.Decisions[0].Outcome != tc.outcome || !strings.Contains(r.Decisions[0].Detail, tc.detail) {
				t.Errorf("decisions %+v, want the first %s with %q", r.Decisions, tc.outcome, tc.detail)
			}
			if tc.off && r.Watch != nil {
				t.Error("a watch with the guard off")
			}
		})
	}
}
