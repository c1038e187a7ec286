package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/prom/promtest"
)

const repo = "../../.."

// copyTree copies the repository files `gameday cost generate` reads and
// writes into a temporary root.
func costRoot(t *testing.T, edit func(root string)) string {
	t.Helper()
	root := t.TempDir()
	for _, f := range []string{
		"terraform/inventory.json", "monitoring/finops/budgets.yaml",
		"monitoring/prometheus/rules/finops.yml", "monitoring/prometheus/tests/finops.test.yml", "monitoring/prometheus/kubernetes/finops.yaml",
		"argocd/manifests/opencost/dev/custom-pricing.yaml", "argocd/manifests/opencost/dev/servicemonitor.yaml",
		"argocd/manifests/opencost/staging/custom-pricing.yaml", "argocd/manifests/opencost/staging/servicemonitor.yaml",
		"argocd/manifests/opencost/prod/custom-pricing.yaml", "argocd/manifests/opencost/prod/servicemonitor.yaml",
	} {
		b, err := os.ReadFile(filepath.Join(repo, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if edit != nil {
		edit(root)
	}
	return root
}

func replaceIn(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), old, new, 1)
	if s == string(b) {
		t.Fatalf("%q not in %s", old, path)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCostCommands(t *testing.T) {
	empty := promtest.Start(t, promtest.Config{})
	// A catalog without m7i.xlarge, which prod's node groups use.
	noXL := filepath.Join(t.TempDir(), "catalog.yaml")
	b, err := os.ReadFile(filepath.Join(repo, "harness/internal/cost/catalog/aws.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(b), "      m7i.xlarge:\n")
	j := strings.Index(string(b), "      m7a.xlarge:\n")
	if err := os.WriteFile(noXL, append(b[:i:i], b[j:]...), 0o644); err != nil {
		t.Fatal(err)
	}
	badBudgets := filepath.Join(t.TempDir(), "budgets.yaml")
	if err := os.WriteFile(badBudgets, []byte("apiVersion: gameday.dev/v1\nkind: CostBudgets\ncurrency: USD\nbudgets:\n  - environment: prod\n    monthlyUSD: -1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := []string{"cost", "--inventory", repo + "/terraform/inventory.json", "--budgets", repo + "/monitoring/finops/budgets.yaml", "--slo-dir", "none", "--reports-dir", "none"}
	tests := map[string]struct {
		args     []string
		wantCode int
		wantOut  []string
		wantErr  []string
	}{
		"the repository's catalog covers its inventory and the generated files are up to date": {
			args: []string{"cost", "check", "--root", repo}, wantCode: exitcode.OK,
			wantOut: []string{"ok       catalog aws-list-prices", "prices the 3 environments of the inventory; 4 budgets; 9 generated files up to date"},
		},
		"a budget changed without generating is a failure that says what to run": {
			args: []string{"cost", "check", "--root", costRoot(t, func(root string) {
				replaceIn(t, filepath.Join(root, "monitoring/finops/budgets.yaml"), "monthlyUSD: 2600", "monthlyUSD: 2700")
			})}, wantCode: exitcode.Failed,
			wantErr: []string{"3 generated files are not up to date", "monitoring/prometheus/rules/finops.yml", "run gameday cost generate"},
		},
		"a new instance type in terraform without a price fails the check naming item and environment": {
			args: []string{"cost", "check", "--root", costRoot(t, func(root string) {
				replaceIn(t, filepath.Join(root, "terraform/inventory.json"), `"m7i.xlarge"
            ]`, `"m8i.xlarge"
            ]`)
			})}, wantCode: exitcode.Invalid,
			wantErr: []string{"environment prod: node group baseline: no price for instance type m8i.xlarge (onDemand) in region eu-west-1"},
		},
		"a report from terraform's sizes alone": {
			args: append(append([]string{}, base...), "--no-prometheus", "--end", "2026-12-01", "--window", "30d"), wantCode: exitcode.OK,
			wantOut: []string{"## Cost report, 2026-11-01 00:00Z to 2026-12-01 00:00Z", "| prod | $2,207.63 | inventory x catalog |", "inventory x catalog", "### Cost of resilience: prod (3 zones against one)", "a NAT gateway per zone"},
		},
		"a FOCUS CSV": {
			args: append(append([]string{}, base...), "--no-prometheus", "--format", "focus", "--billing-account", "123456789012"), wantCode: exitcode.OK,
			wantOut: []string{"AvailabilityZone,BilledCost,BillingAccountId", ",123456789012,123456789012,USD,"},
		},
		"a catalog missing a price names the item and the environment": {
			args: append(append([]string{}, base...), "--no-prometheus", "--catalog", noXL), wantCode: exitcode.Invalid,
			wantErr: []string{"environment prod: node group baseline: no price for instance type m7i.xlarge (onDemand) in region eu-west-1 of the price catalog " + noXL},
		},
		"a malformed budget names the file, line, column and field": {
			args: []string{"cost", "--no-prometheus", "--inventory", repo + "/terraform/inventory.json", "--budgets", badBudgets}, wantCode: exitcode.Invalid,
			wantErr: []string{badBudgets + ":6:17: budgets[0].monthlyUSD: -1: want a positive amount (environment prod)"},
		},
		"an unknown format is invalid input": {
			args: []string{"cost", "--format", "pdf"}, wantCode: exitcode.Invalid, wantErr: []string{`--format "pdf": use md, json, html or focus`},
		},
		"a bad month is invalid input": {
			args: []string{"cost", "--month", "November"}, wantCode: exitcode.Invalid, wantErr: []string{`--month "November": want YYYY-MM`},
		},
		"a bad window is invalid input": {
			args: []string{"cost", "--window", "1M"}, wantCode: exitcode.Invalid, wantErr: []string{"--window: unknown window \"1M\""},
		},
		"a Prometheus without a name for its environment is invalid input": {
			args: []string{"cost", "--prometheus-url", empty.URL}, wantCode: exitcode.Invalid, wantErr: []string{"name its environment with --environment"},
		},
		"a window without data is invalid input naming the window": {
			args: append(append([]string{}, base...), "--prometheus-url", empty.URL, "--environment", "staging", "--end", "2026-11-30", "--window", "7d"), wantCode: exitcode.Invalid,
			wantErr: []string{"environment staging: cost: no cost data in the window from 2026-11-23T00:00:00Z to 2026-11-30T00:00:00Z", "choose a window with data"},
		},
		"an unreachable Prometheus is an infrastructure error": {
			args: append(append([]string{}, base...), "--prometheus-url", "http://127.0.0.1:1", "--environment", "staging"), wantCode: exitcode.Infra,
			wantErr: []string{"environment staging: prom:", "prometheus unreachable"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			out, errOut, code := gameday(t, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d\nstdout: %.2000s\nstderr: %s", code, tt.wantCode, out, errOut)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%.3000s", w, out)
				}
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
}
