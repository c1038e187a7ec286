package dora

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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

func TestBadLevels(t *testing.T) {
	good := string(levelsYAML())
	cases := map[string]struct {
		edit func(string) string
		want string
	}{
		"unknown field": {func(s string) string { return strings.Replace(s, "year: 2024", "year: 2024\nyaer: 2025", 1) }, `unknown field "yaer"`},
		"no year":       {func(s string) string { return strings.Replace(s, "year: 2024", "year: 0", 1) }, "year: 0"},
		"wrong direction": {func(s string) string {
			return strings.Replace(s, `lessThan: 1d}`, `moreThan: 1d}`, 1)
		}, "metrics.changeLeadTime.elite: 1d: use lessThan or atMost"},
		"bound on the last level": {func(s string) string {
			return strings.Replace(s, `low: {text: "40%"}`, `low: {text: "40%", atMost: 0.4}`, 1)
		}, "metrics.changeFailureRate.low: the last level takes everything"},
		"bad frequency":  {func(s string) string { return strings.Replace(s, "atLeast: 1/7d", "atLeast: weekly", 1) }, `"weekly": want deployments per period`},
		"missing metric": {func(s string) string { return strings.Replace(s, "  reworkRate: {}\n", "", 1) }, "metrics.reworkRate: missing"},
	}
	for name, c := range cases {
		_, err := ParseLevels([]byte(c.edit(good)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", name, err, c.want)
		}
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
		lv, err := ParseLevels(b)
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
