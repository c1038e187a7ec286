package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/schedule"
	"github.com/gamedayhq/gameday/harness/internal/slo"
)

// A schedule's flags are gameday run's: gameday validate parses each value
// with its flag's definition and refuses what gameday run would refuse of
// them, at the value's file:line:col (exit 2).
func TestValidateScheduleFlags(t *testing.T) {
	exp, err := filepath.Abs("../../../experiments/pod-kill.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct{ flags, want string }{
		"an unknown flag": {"namespaces: petclinic",
			`:11:21: spec.schedules[0].flags.namespaces: unknown flag of gameday run (see gameday run --help; names without the leading --)`},
		"a count that is not a number": {"load-workers: four",
			`:11:23: spec.schedules[0].flags.load-workers: "four": want a whole number (--load-workers of gameday run)`},
		"a duration without a unit": {`inject-timeout: "90"`,
			`:11:25: spec.schedules[0].flags.inject-timeout: "90": want a duration such as 30s or 2m (--inject-timeout of gameday run)`},
		"a bool that is not one": {"no-budget-guard: yes",
			`:11:26: spec.schedules[0].flags.no-budget-guard: "yes": want true or false (--no-budget-guard of gameday run)`},
		"a zone map without clusters' zones": {"zone-map: zone-a",
			`:11:19: spec.schedules[0].flags.zone-map: --zone-map "zone-a": want zone=cluster-zone pairs separated by commas, e.g. zone-a=eu-west-1a`},
		"load workers without their image": {`load-workers: "4"`,
			`:11:23: spec.schedules[0].flags.load-workers: --load-workers 4 needs --load-image (the gameday image the workers run)`},
		"a share of budget above 1": {`budget-policy-min: "1.5"`,
			`:11:28: spec.schedules[0].flags.budget-policy-min: --budget-policy-min 1.5 and --burn-rate-cap 14.4: want a share in [0, 1) and a cap of at least 0`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s.yaml")
			body := fmt.Sprintf("apiVersion: gameday.dev/v1alpha1\nkind: Schedules\nmetadata:\n  name: s\nspec:\n  schedules:\n"+
				"    - name: a\n      cron: \"@daily\"\n      experiment: %s\n      flags:\n        %s\n", exp, c.flags)
			if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			var w bytes.Buffer
			err := validate(&w, "text", []string{path})
			if exitcode.Of(err) != exitcode.Invalid {
				t.Fatalf("exit %d (%v), want 2\n%s", exitcode.Of(err), err, w.String())
			}
			if !strings.Contains(w.String(), path+c.want) {
				t.Errorf("got  %s\nwant %s%s", w.String(), path, c.want)
			}
		})
	}
}

// The options of a fire are the schedule's flags read as gameday run reads
// its own, with the schedule's target and the scheduler's sandbox.
func TestFireOptions(t *testing.T) {
	s := &schedule.Schedule{Name: "weekly", Target: schedule.TargetKubernetes, Flags: map[string]string{
		"namespace": "shop", "allow-namespace": "shop,shop-canary", "zone-map": "zone-a=eu-west-1a",
		"inject-timeout": "90s", "no-budget-guard": "true", "budget-policy-min": "0.5", "target-url": "https://shop.example.com",
	}}
	got, err := fireOptions(s, "/var/sandbox")
	if err != nil {
		t.Fatal(err)
	}
	checks := map[string]struct{ got, want any }{
		"the schedule's target":            {got.Target, "kubernetes"},
		"the scheduler's sandbox":          {got.SandboxDir, "/var/sandbox"},
		"no colour in the scheduler's log": {got.NoColor, true},
		"a string flag":                    {got.Kube.Namespace, "shop"},
		"a list split on commas":           {got.Kube.Allowed, []string{"shop", "shop-canary"}},
		"a zone map":                       {got.Kube.ZoneMap, map[string]string{"zone-a": "eu-west-1a"}},
		"a duration":                       {got.Kube.InjectTimeout.String(), "1m30s"},
		"a flag left at its default":       {got.Kube.ProdLabel, "environment=production"},
		"the guard off":                    {got.Guard.Off, true},
		"a float":                          {got.Guard.Policy.MinRemaining, 0.5},
		"not strict, as gameday run":       {got.Guard.Policy.Strict, false},
		"the default SLO dir, not set":     {[]any{got.Guard.Dir, got.Guard.Required}, []any{slo.DefaultDir, false}},
		"the URL":                          {got.TargetURL, "https://shop.example.com"},
	}
	for name, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: got %v, want %v", name, c.got, c.want)
		}
	}
	s.Flags["sandbox-dir"] = "/elsewhere"
	if got, _ := fireOptions(s, "/var/sandbox"); got.SandboxDir != "/elsewhere" {
		t.Errorf("a schedule's sandbox-dir: got %s, want /elsewhere", got.SandboxDir)
	}
}
