package dora

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
)

// The embedded file is the 2024 report's table, cited.
func TestDefaultLevels(t *testing.T) {
	lv, err := LoadLevels("")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := lv.Cite(), "Accelerate State of DevOps Report 2024 (DORA (Google Cloud)), Software delivery performance levels (p. 13)"; got != want {
		t.Errorf("cite: got %q, want %q", got, want)
	}
	day := 86400.0
	cases := map[string]struct {
		metric string
		v      float64
		want   string
	}{
		"twice a day is elite":                   {MetricDeploymentFrequency, 2, "elite"},
		"once a day exactly is high":             {MetricDeploymentFrequency, 1, "high"},
		"once a week is high":                    {MetricDeploymentFrequency, 1.0 / 7, "high"},
		"once in 30 days is medium":              {MetricDeploymentFrequency, 1.0 / 30, "medium"},
		"once in 31 days is low":                 {MetricDeploymentFrequency, 1.0 / 31, "low"},
		"lead time under a day is elite":         {MetricChangeLeadTime, day - 1, "elite"},
		"lead time of a week is medium":          {MetricChangeLeadTime, 7 * day, "medium"},
		"lead time of a year is low":             {MetricChangeLeadTime, 365 * day, "low"},
		"5 % fail is elite":                      {MetricChangeFailureRate, 0.05, "elite"},
		"10 % fail is high (medium unreachable)": {MetricChangeFailureRate, 0.10, "high"},
		"21 % fail is low":                       {MetricChangeFailureRate, 0.21, "low"},
		"recovery of 59 min is elite":            {MetricRecoveryTime, 59 * 60, "elite"},
		"recovery of 3 days is low":              {MetricRecoveryTime, 3 * day, "low"},
	}
	for name, c := range cases {
		if got := lv.Rate(c.metric, &c.v); got.Level != c.want {
			t.Errorf("%s: got %q (%s), want %q", name, got.Level, got.Rule, c.want)
		}
	}
	if r := lv.Rate(MetricReworkRate, new(float64)); r.Level != "" || !strings.Contains(r.Note, "2024 report publishes no levels") {
		t.Errorf("rework: got %+v, want no level", r)
	}
}

// A bad levels file is refused with every error at its file:line:col and
// field, as a spec file's.
func TestBadLevelsAreRefusedAtTheirLineAndColumn(t *testing.T) {
	good := string(levelsYAML())
	tests := map[string]struct {
		old, new string
		want     string
	}{
		"a misspelt field": {"year: 2024", "year: 2024\nyaer: 2025",
			`l.yaml:22:1: yaer: unknown field "yaer"`},
		"a year before DORA's first report": {"year: 2024", "year: 0",
			"l.yaml:21:7: year: 0: the year of the report (DORA's first was 2014)"},
		"a year that is not a number": {"year: 2024", "year: twenty",
			"l.yaml:21:7: year: must be an integer, not a string"},
		"an empty citation": {"report: Accelerate State of DevOps Report", `report: ""`,
			"l.yaml:20:9: report: must not be empty: the output cites it"},
		"a level listed twice": {"levels: [elite, high, medium, low]", "levels: [elite, high, medium, high]",
			"l.yaml:25:31: levels[3]: high is listed twice"},
		"a bound in the wrong direction": {"lessThan: 1d}", "moreThan: 1d}",
			"l.yaml:33:50: metrics.changeLeadTime.elite.moreThan: 1d: use lessThan or atMost (lower is better)"},
		"a bound on the last level": {`low: {text: "40%"}`, `low: {text: "40%", atMost: 0.4}`,
			"l.yaml:41:32: metrics.changeFailureRate.low.atMost: the last level takes everything the others do not: no bound"},
		"a frequency that is not per period": {"atLeast: 1/7d", "atLeast: weekly",
			`l.yaml:29:69: metrics.deploymentFrequency.high.atLeast: "weekly": want deployments per period, like 1/7d`},
		"a duration with a space": {"lessThan: 1h}", "lessThan: 1 hour}",
			`l.yaml:43:51: metrics.failedDeploymentRecoveryTime.elite.lessThan: "1 hour": not a duration like 1h or 7d`},
		"a rate above one": {"atMost: 0.05}", "atMost: 1.5}",
			`l.yaml:38:33: metrics.changeFailureRate.elite.atMost: "1.5": want a fraction between 0 and 1`},
		"a list for a bound": {"atMost: 0.05}", "atMost: [1]}",
			"l.yaml:38:33: metrics.changeFailureRate.elite.atMost: must be a string or a number, not a list"},
		"a cell without a bound": {`elite: {text: "5%", atMost: 0.05}`, `elite: {text: "5%"}`,
			"l.yaml:38:12: metrics.changeFailureRate.elite: want exactly one of moreThan, atLeast (higher is better) or lessThan, atMost (lower is better)"},
		"a cell without the report's words": {`elite: {text: "5%", atMost: 0.05}`, `elite: {text: "", atMost: 0.05}`,
			"l.yaml:38:19: metrics.changeFailureRate.elite.text: must not be empty: the report's words for this cell"},
		"a cell of an unknown level": {`    medium: {text: "10%", atMost: 0.10}`, `    middling: {text: "10%", atMost: 0.10}`,
			"l.yaml:38:5: metrics.changeFailureRate.medium: missing: every level of levels needs a cell\n" +
				"l.yaml:40:15: metrics.changeFailureRate.middling: not a level of levels: elite, high, medium, low"},
		"a missing metric": {"  reworkRate: {}\n", "",
			"l.yaml:27:3: metrics.reworkRate: missing (write reworkRate: {} when the report has no levels for it)"},
		"an unknown metric": {"  reworkRate: {}\n", "  reworkRate: {}\n  leadTime: {}\n",
			"l.yaml:50:13: metrics.leadTime: unknown metric: one of deploymentFrequency, changeLeadTime, changeFailureRate, failedDeploymentRecoveryTime, reworkRate"},
		"two documents": {"report: Accelerate", "report: x\n---\nreport: Accelerate",
			"l.yaml: want one levels document, found 2"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			src := strings.Replace(good, tt.old, tt.new, 1)
			if src == good {
				t.Fatalf("%q is not in the file", tt.old)
			}
			_, err := ParseLevels("l.yaml", []byte(src))
			if err == nil || err.Error() != tt.want {
				t.Errorf("got %v\nwant %s", err, tt.want)
			}
			if code := exitcode.Of(err); code != exitcode.Invalid {
				t.Errorf("exit code %d, want %d (invalid input)", code, exitcode.Invalid)
			}
		})
	}
}

// Another report's levels are one file: --levels FILE.
func TestLevelsFromAFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "dora-2099.yaml")
	b := strings.Replace(strings.Replace(string(levelsYAML()), "year: 2024", "year: 2099", 1), `elite: {text: "5%", atMost: 0.05}`, `elite: {text: "2%", atMost: 0.02}`, 1)
	if err := os.WriteFile(p, []byte(b), 0o644); err != nil {
		t.Fatal(err)
	}
	lv, err := LoadLevels(p)
	if err != nil {
		t.Fatal(err)
	}
	v := 0.03
	if r := lv.Rate(MetricChangeFailureRate, &v); lv.Year != 2099 || r.Level != "high" || lv.File != p {
		t.Errorf("got year %d, %s rated %q, file %s; want 2099, high (elite is 2%% there), %s", lv.Year, pct(v), r.Level, lv.File, p)
	}
	if _, err := LoadLevels(filepath.Join(t.TempDir(), "nope.yaml")); err == nil || !strings.Contains(err.Error(), "nope.yaml") {
		t.Errorf("a missing file: got %v", err)
	}
}

// The levels parser never panics and either returns levels that rate
// every metric or an error.
func FuzzParseLevels(f *testing.F) {
	f.Add(levelsYAML())
	f.Add([]byte("report: x\nyear: 2030\n"))
	f.Add([]byte("metrics: {deploymentFrequency: {elite: {text: a, moreThan: 1/0d}}}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		lv, err := ParseLevels("fuzz.yaml", b)
		if err != nil {
			return
		}
		for _, m := range Metrics {
			v := 1.0
			lv.Rate(m, &v)
		}
	})
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"1d", "1w2d", "30m", "1d12h", "-1d", "d", "1.5w", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = ParseDuration(s)
	})
}

// levelsYAML is the embedded default file.
func levelsYAML() []byte {
	b, _ := levelFiles.ReadFile(DefaultLevels)
	return b
}
