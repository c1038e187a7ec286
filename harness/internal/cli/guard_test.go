package cli

import (
	"strings"
	"testing"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/slo"
)

// admitAs builds the guard of the flags of cmd (run or gate), as the run
// will, and asks it about a run against promURL.
func admitAs(t *testing.T, cmd, promURL string, args ...string) (slo.Ruling, error) {
	t.Helper()
	var r slo.Ruling
	var gerr error
	app := &ucli.App{Name: "gameday", Commands: []*ucli.Command{{
		Name:  cmd,
		Flags: runCommandFlags(),
		Action: func(c *ucli.Context) error {
			o, err := runOptionsOf(c, cmd == "gate")
			if err != nil {
				gerr = err
				return nil
			}
			g, err := slo.NewGuard(o.Guard)
			if err != nil {
				gerr = err
				return nil
			}
			clients, err := slo.NewClients(promURL, "")
			if err != nil {
				t.Fatal(err)
			}
			r, gerr = g.Admit(c.Context, clients, "http-fault", time.Now())
			return nil
		},
	}}, ExitErrHandler: func(*ucli.Context, error) {}}
	if err := app.RunContext(t.Context(), append([]string{"gameday", cmd}, args...)); err != nil {
		t.Fatal(err)
	}
	return r, gerr
}

// The guard's flags: gate is strict by default (a CI gate refuses, exit 4,
// when an SLO cannot be read) while run admits and says so; the guard can
// be turned off; a --slo-dir that does not exist and a bad policy are
// invalid input; without --slo-dir and no slo/ here, the guard is skipped.
// The guard's own logic against a real Prometheus: internal/slo.
func TestGuardFlags(t *testing.T) {
	dead := "http://127.0.0.1:1" // nothing listens
	slos := "--slo-dir=testdata/slo"
	for name, tc := range map[string]struct {
		cmd             string
		args            []string
		exit            int
		outcome, detail string // of the first decision, when no error
		cap             string // outcome of the burn-rate cap's decision, when there is one
	}{
		"run admits an unreadable SLO by default":    {"run", []string{slos}, exitcode.OK, slo.NoData, "admitted by the default policy", ""},
		"run refuses it when strict":                 {"run", []string{slos, "--budget-guard-strict"}, exitcode.Aborted, "", "", ""},
		"gate refuses it by default":                 {"gate", []string{slos}, exitcode.Aborted, "", "", ""},
		"gate admits it when told not strict":        {"gate", []string{slos, "--budget-guard-strict=false"}, exitcode.OK, slo.NoData, "", ""},
		"the guard off":                              {"gate", []string{slos, "--no-budget-guard"}, exitcode.OK, "skipped", "--no-budget-guard", ""},
		"no slo/ here and no --slo-dir: skipped":     {"run", nil, exitcode.OK, "skipped", "no SLO specs in slo/", ""},
		"a --slo-dir that does not exist is invalid": {"run", []string{"--slo-dir", "testdata/nope"}, exitcode.Invalid, "", "", ""},
		"a share of budget above 1 is invalid":       {"run", []string{slos, "--budget-policy-min", "1.5"}, exitcode.Invalid, "", "", ""},
		"a negative burn-rate cap is invalid":        {"gate", []string{slos, "--burn-rate-cap", "-1"}, exitcode.Invalid, "", "", ""},
		"the burn-rate cap is armed by default":      {"run", []string{slos}, exitcode.OK, slo.NoData, "", "armed"},
		"the burn-rate cap is off at 0":              {"run", []string{slos, "--burn-rate-cap", "0"}, exitcode.OK, slo.NoData, "", "off"},
	} {
		t.Run(name, func(t *testing.T) {
			r, err := admitAs(t, tc.cmd, dead, tc.args...)
			if got := exitcode.Of(err); got != tc.exit {
				t.Fatalf("exit %d (%v), want %d", got, err, tc.exit)
			}
			if err != nil {
				t.Log(err)
				return
			}
			if len(r.Decisions) == 0 || r.Decisions[0].Outcome != tc.outcome || !strings.Contains(r.Decisions[0].Detail, tc.detail) {
				t.Errorf("decisions %+v, want the first %s with %q", r.Decisions, tc.outcome, tc.detail)
			}
			if last := r.Decisions[len(r.Decisions)-1]; tc.cap != "" && (last.Name != slo.DecisionBurnCap || last.Outcome != tc.cap || (tc.cap == "armed") != (r.Watch != nil)) {
				t.Errorf("last decision %+v (watch %t), want the cap %s", last, r.Watch != nil, tc.cap)
			}
		})
	}
}
