package schedule

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
)

func TestLoadGood(t *testing.T) {
	f, err := Load("testdata/schedules.yaml", Options{CheckFlags: knownFlags("namespace", "target-url")})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Plans) != 2 {
		t.Fatalf("got %d plans, want 2", len(f.Plans))
	}
	n, w := f.Plans[0], f.Plans[1]
	checks := map[string]struct{ got, want any }{
		"file time zone is the default":         {n.Loc.String(), "Europe/Paris"},
		"schedule time zone wins":               {w.Loc.String(), "America/New_York"},
		"defaults: forbid":                      {n.Concurrency, ConcurrencyForbid},
		"defaults: run-once":                    {n.Missed, MissedRunOnce},
		"defaults: starting deadline":           {n.StartingDeadline.D(), DefaultStartingDeadline},
		"defaults: sandbox":                     {n.Target, TargetSandbox},
		"kill switch resolved against the file": {f.Spec.KillSwitch.File, filepath.Join("testdata", "kill-switch")},
		"blackout and freeze compiled":          {len(n.windows), 2},
		"freeze on every schedule":              {len(w.windows), 1},
		"6 fields: seconds first, in New York":  {w.Next(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)).UTC(), time.Date(2026, 12, 2, 15, 0, 0, 0, time.UTC)},
		"5 fields, in Paris":                    {n.Next(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)).UTC(), time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)},
	}
	for name, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", name, c.got, c.want)
		}
	}
}

const head = "apiVersion: gameday.dev/v1alpha1\nkind: Schedules\nmetadata:\n  name: bad\nspec:\n"

func TestLoadBad(t *testing.T) {
	exp, _ := filepath.Abs("../../../experiments/pod-kill.yaml")
	one := func(extra string) string {
		return head + "  schedules:\n    - name: a\n      cron: \"0 3 * * *\"\n      experiment: " + exp + "\n" + extra
	}
	cases := map[string]struct{ yaml, want string }{
		"invalid cron": {
			head + "  schedules:\n    - name: a\n      cron: \"61 * * * *\"\n      experiment: " + exp + "\n",
			`F:8:13: spec.schedules[0].cron: invalid cron "61 * * * *": end of range (61) above maximum (59): 61 (want 5 fields: minute hour day-of-month month day-of-week, or 6 with seconds first, or @daily, @every 1h)`},
		"unknown time zone": {
			one("      timeZone: Mars/Olympus\n"),
			`F:10:17: spec.schedules[0].timeZone: unknown time zone "Mars/Olympus": use an IANA name such as Europe/Paris or Etc/UTC`},
		"a blackout that never ends (dated)": {
			one("      blackouts:\n        - name: forever\n          from: \"2026-01-01\"\n"),
			`F:11:11: spec.schedules[0].blackouts[0]: a dated blackout needs until (it would never end)`},
		"a blackout that never ends (recurring)": {
			one("      blackouts:\n        - name: always\n          cron: \"@hourly\"\n          duration: 2h\n"),
			`F:13:21: spec.schedules[0].blackouts[0].duration: blackout never ends: it lasts 2h0m0s but starts again every 1h0m0s`},
		"a schedule naming a missing suite": {
			head + "  schedules:\n    - name: a\n      cron: \"@daily\"\n      suite: suites/nope.yaml\n",
			`F:9:14: spec.schedules[0].suite: suites/nope.yaml: no such file (paths are relative to D)`},
		"two schedules with one name": {
			one("    - name: a\n      cron: \"@daily\"\n      experiment: " + exp + "\n"),
			`F:10:13: spec.schedules[1].name: duplicate schedule name "a" (also spec.schedules[0])`},
		"a flag the scheduler sets": {
			one("      flags:\n        run-id: x\n"),
			`F:11:17: spec.schedules[0].flags.run-id: set by the scheduler for every run: leave it out`},
		"an unknown flag": {
			one("      flags:\n        nope: x\n"),
			`F:11:15: spec.schedules[0].flags.nope: unknown flag of gameday run`},
		"a flag value the check refuses": {
			one("      flags:\n        namespace: \"\"\n"),
			`F:11:20: spec.schedules[0].flags.namespace: empty`},
		"flags refused together": {
			one("      flags:\n        namespace: a\n        target-url: b\n"),
			`F:11:9: spec.schedules[0].flags: namespace with target-url`},
		"an unknown field": {
			one("      jiter: 5m\n"),
			`F:10:7: spec.schedules[0].jiter: unknown field "jiter"`},
		"a bad policy": {
			one("      concurrency: replace\n"),
			`F:10:20: spec.schedules[0].concurrency: "replace": use forbid or queue`},
		"a budget out of range": {
			one("      budget:\n        minRemaining: 1.5\n"),
			`F:11:23: spec.schedules[0].budget.minRemaining: 1.5: want a share in [0, 1), e.g. 0.25`},
		"wrong kind": {
			"apiVersion: gameday.dev/v1alpha1\nkind: Suite\nmetadata:\n  name: x\nspec: {}\n",
			`F:2:7: kind: must be "Schedules", not "Suite"`},
		"a cron that never fires": {
			head + "  schedules:\n    - name: a\n      cron: \"0 0 30 2 *\"\n      experiment: " + exp + "\n",
			`F:8:13: spec.schedules[0].cron: "0 0 30 2 *" never fires`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "s.yaml")
			if err := os.WriteFile(path, []byte(c.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(path, Options{CheckFlags: knownFlags("namespace")})
			if err == nil {
				t.Fatal("no error")
			}
			got := strings.ReplaceAll(strings.ReplaceAll(err.Error(), path, "F"), dir, "D")
			if !strings.Contains(got, c.want) {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
			if exitcode.Of(err) != exitcode.Invalid {
				t.Errorf("exit code %d, want %d", exitcode.Of(err), exitcode.Invalid)
			}
		})
	}
}

// knownFlags stands in for gameday run's check of a schedule's flags (the
// real one, with every flag's parser, is tested in internal/cli): it knows
// names, refuses an empty value, and refuses two flags together.
func knownFlags(names ...string) func(map[string]string) []FlagError {
	return func(flags map[string]string) []FlagError {
		var errs []FlagError
		for _, k := range sortedKeys(flags) {
			switch {
			case !slices.Contains(names, k):
				errs = append(errs, FlagError{Flag: k, Err: errors.New("unknown flag of gameday run")})
			case flags[k] == "":
				errs = append(errs, FlagError{Flag: k, Err: errors.New("empty")})
			}
		}
		if len(flags) > 1 {
			errs = append(errs, FlagError{Err: errors.New("namespace with target-url")})
		}
		return errs
	}
}

func FuzzLoad(f *testing.F) {
	good, _ := os.ReadFile("testdata/schedules.yaml")
	f.Add(good)
	f.Add([]byte(head + "  schedules: []\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "s.yaml")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		file, err := Load(path, Options{})
		if err == nil && len(file.Plans) == 0 {
			t.Error("a valid file without plans")
		}
	})
}
