package slo_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/gamedayhq/gameday/harness/internal/slo"
)

// promtoolFile is the part of a promtool test file the oracle reads.
type promtoolFile struct {
	Tests []struct {
		Name        string `yaml:"name"`
		Interval    string `yaml:"interval"`
		InputSeries []struct {
			Series string `yaml:"series"`
			Values string `yaml:"values"`
		} `yaml:"input_series"`
		AlertRuleTest []struct {
			EvalTime  string `yaml:"eval_time"`
			ExpAlerts []struct {
				ExpLabels map[string]string `yaml:"exp_labels"`
			} `yaml:"exp_alerts"`
		} `yaml:"alert_rule_test"`
	} `yaml:"tests"`
}

// Sloth (github.com/slok/sloth, the reference generator of these rules)
// as an oracle: its rules, generated from the same indicators, run on the
// inputs of our promtool tests beside ours. Every error-ratio window must
// be the same number, and Sloth's page and ticket alerts must fire exactly
// when our tests expect a page or a ticket line to fire. It runs when
// $GAMEDAY_SLOTH_BIN names a sloth binary: `make check-slo` builds Sloth
// v0.16.0 into the tool cache and runs it (about 3 min on 2 cores), so that
// `make test` runs it once, there.
func TestSlothAgrees(t *testing.T) {
	pt := promtool(t)
	sloth := os.Getenv("GAMEDAY_SLOTH_BIN")
	if sloth == "" {
		t.Skip("GAMEDAY_SLOTH_BIN is not set: make check-slo runs this oracle with Sloth v0.16.0 (scripts/slo-check.sh)")
	}
	if _, err := exec.LookPath(sloth); err != nil {
		t.Fatalf("GAMEDAY_SLOTH_BIN: %v", err)
	}
	set, err := slo.Load(filepath.Join(root, "slo"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range set.SLOs {
		if s.Source != slo.SourcePrometheus {
			continue
		}
		t.Run(s.ID(), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			// The same events in Sloth's prometheus/v1 spec.
			bad, total := s.Events("999d")
			w := func(q string) string { return strings.ReplaceAll(q, "[999d]", "[{{.window}}]") }
			spec := fmt.Sprintf(`version: "prometheus/v1"
service: %q
slos:
  - name: %q
    objective: %s
    sli:
      events:
        error_query: %q
        total_query: %q
    alerting:
      name: SlothBurn
      page_alert:
        labels: {oracle: page}
      ticket_alert:
        labels: {oracle: ticket}
`, s.Service, s.Name, fmt.Sprint(100*s.Objective), w(bad), w(total))
			os.WriteFile(filepath.Join(dir, "sloth.yaml"), []byte(spec), 0o644)
			if out, err := exec.Command(sloth, "generate", "-i", filepath.Join(dir, "sloth.yaml"), "-o", filepath.Join(dir, "sloth-rules.yml")).CombinedOutput(); err != nil {
				t.Fatalf("sloth generate: %v\n%s", err, out)
			}
			// Sloth writes three groups (SLI recordings, metadata, alerts);
			// groups run independently, and at the tests' 15m evaluations
			// an alert group run first would read recordings older than the
			// 5m lookback. One group, in Sloth's order, keeps its rules as
			// they are and runs them in order (as ours do).
			var sr struct {
				Groups []struct {
					Rules []yaml.MapSlice `yaml:"rules"`
				} `yaml:"groups"`
			}
			gen, _ := os.ReadFile(filepath.Join(dir, "sloth-rules.yml"))
			if err := yaml.Unmarshal(gen, &sr); err != nil || len(sr.Groups) != 3 {
				t.Fatalf("sloth's rules: %v, %d groups", err, len(sr.Groups))
			}
			var all []yaml.MapSlice
			for _, g := range sr.Groups {
				all = append(all, g.Rules...)
			}
			one, err := yaml.Marshal(map[string]any{"groups": []any{map[string]any{"name": "sloth", "rules": all}}})
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(dir, "sloth-rules.yml"), one, 0o644)
			ours, _ := os.ReadFile(filepath.Join(root, slo.DirRules, s.ID()+".yml"))
			os.WriteFile(filepath.Join(dir, "ours.yml"), ours, 0o644)
			raw, err := os.ReadFile(filepath.Join(root, slo.DirTests, s.ID()+"_test.yml"))
			if err != nil {
				t.Fatal(err)
			}
			var pf promtoolFile
			if err := yaml.Unmarshal(raw, &pf); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			b.WriteString("rule_files: [ours.yml, sloth-rules.yml]\nevaluation_interval: 15m\ntests:\n")
			for _, tc := range pf.Tests {
				fmt.Fprintf(&b, "  - name: %q\n    interval: %s\n    input_series:\n", tc.Name, tc.Interval)
				for _, in := range tc.InputSeries {
					fmt.Fprintf(&b, "      - series: %q\n        values: %q\n", in.Series, in.Values)
				}
				at := tc.AlertRuleTest[0]
				want := map[string]int{"page": 0, "ticket": 0}
				for _, a := range at.ExpAlerts {
					want[a.ExpLabels["severity"]] = 1
				}
				b.WriteString("    promql_expr_test:\n")
				for _, win := range slo.Windows {
					fmt.Fprintf(&b, "      - expr: 'abs(slo:sli_error:ratio_rate%s{slo_id=%q} - on() slo:sli_error:ratio_rate%s{sloth_id=%q}) < bool 1e-9'\n        eval_time: %s\n        exp_samples: [{labels: '{}', value: 1}]\n",
						win, s.ID(), win, s.ID(), at.EvalTime)
				}
				for sev, n := range want {
					fmt.Fprintf(&b, "      - expr: 'count(ALERTS{alertname=\"SlothBurn\", oracle=%q, alertstate=\"firing\"}) or vector(0)'\n        eval_time: %s\n        exp_samples: [{labels: '{}', value: %d}]\n",
						sev, at.EvalTime, n)
				}
			}
			tf := filepath.Join(dir, "oracle_test.yml")
			os.WriteFile(tf, []byte(b.String()), 0o644)
			if out, err := exec.Command(pt, "test", "rules", tf).CombinedOutput(); err != nil {
				t.Fatalf("Sloth's rules disagree with ours:\n%s", out)
			}
		})
	}
}
