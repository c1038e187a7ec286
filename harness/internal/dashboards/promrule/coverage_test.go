package promrule

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/gamedayhq/gameday/harness/internal/repotest"
)

// Every hand-written alert has a promtool case where it fires and one where
// it stays silent, in a test file that loads its rule file.
func TestEveryAlertFiresAndStaysSilentInPromtool(t *testing.T) {
	r := repotest.Root(t)
	type cover struct{ fires, silent bool }
	covered := map[string]*cover{} // rule file → alert → ...
	key := func(file, alert string) string { return file + ": " + alert }
	tests, _ := filepath.Glob(filepath.Join(r, "monitoring", "prometheus", "tests", "*.test.yml"))
	if len(tests) == 0 {
		t.Fatal("no promtool test in monitoring/prometheus/tests")
	}
	for _, f := range tests {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var tf struct {
			RuleFiles []string `yaml:"rule_files"`
			Tests     []struct {
				AlertRuleTest []struct {
					Alertname string `yaml:"alertname"`
					ExpAlerts []any  `yaml:"exp_alerts"`
				} `yaml:"alert_rule_test"`
			} `yaml:"tests"`
		}
		if err := yaml.Unmarshal(b, &tf); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, rf := range tf.RuleFiles {
			rel, _ := filepath.Rel(r, filepath.Join(filepath.Dir(f), rf))
			for _, tc := range tf.Tests {
				for _, a := range tc.AlertRuleTest {
					c := covered[key(rel, a.Alertname)]
					if c == nil {
						c = &cover{}
						covered[key(rel, a.Alertname)] = c
					}
					if len(a.ExpAlerts) > 0 {
						c.fires = true
					} else {
						c.silent = true
					}
				}
			}
		}
	}
	rules, _ := filepath.Glob(filepath.Join(r, "monitoring", "prometheus", "rules", "*.yml"))
	n := 0
	for _, f := range rules {
		rel, _ := filepath.Rel(r, f)
		src, _ := os.ReadFile(f)
		rgs, err := Parse(rel, src)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range rgs.Groups {
			for _, rule := range g.Rules {
				if rule.Alert == "" {
					continue
				}
				n++
				c := covered[key(rel, rule.Alert)]
				var missing []string
				if c == nil || !c.fires {
					missing = append(missing, "fires")
				}
				if c == nil || !c.silent {
					missing = append(missing, "stays silent")
				}
				if len(missing) > 0 {
					t.Errorf("%s: alert %s has no promtool case where it %v", rel, rule.Alert, missing)
				}
			}
		}
	}
	if n == 0 || len(covered) == 0 {
		t.Fatal("no alert or no promtool case found")
	}
	t.Logf("%d alerts, each firing and silent in promtool", n)
}
