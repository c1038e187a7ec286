package dora_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gamedayhq/gameday/harness/internal/dora"
)

var update = flag.Bool("update", false, "rewrite the golden reports in testdata/")

// goldenReport is the report of two scenarios (deterministic: go-git's
// commit hashes depend only on content, names and times), with budgets.
func goldenReport(t *testing.T) *dora.Report {
	t.Helper()
	lv, err := dora.LoadLevels("")
	if err != nil {
		t.Fatal(err)
	}
	r := &dora.Report{SchemaVersion: dora.ReportSchema, At: window.To, Window: window, Levels: lv,
		Sources: dora.Sources{Git: "https://github.com/gamedayhq/gameday.git", ArgoCD: "https://hub.example.com namespace argocd",
			Prometheus: map[string]string{"prod": "http://prometheus.example.com"}, AlertMatch: `long_window="1h"`, Runs: "reports", FailureWindowSeconds: 3600},
		Warnings: []string{"game days of suites without an environment are not counted: adhoc (2) (--run-environment SUITE=ENV)"}}
	for _, name := range []string{"a fix-forward", "a failed game day", "no deploys at all"} {
		an := analyze(t, scenarios[name])
		an.Environment = map[string]string{"a fix-forward": "prod", "a failed game day": "staging", "no deploys at all": "dev"}[name]
		an.App.Name, an.App.Environment = "petclinic-"+an.Environment, an.Environment
		an.App.SyncStatus = "Synced"
		if r.Sources.Prometheus[an.Environment] == "" {
			an.AlertsNotRead = "no --prometheus-url for " + an.Environment // as gather says it
		}
		if h := an.App.History; len(h) > 0 {
			an.App.SyncRevision = h[len(h)-1].Revision
		}
		for i := range an.Deployments {
			if d := &an.Deployments[i]; d.Counted && window.Contains(d.DeployedAt) {
				v := 0.012 * float64(i)
				d.Budget = []dora.Burn{{SLO: "petclinic-api-availability", Window: "30d", Budget: &v}, {SLO: "petclinic-request-log-errors", Window: "30d", Error: "a LogQL SLO"}}
			}
		}
		r.Entries = append(r.Entries, dora.NewEntry(an, window, lv))
	}
	return r
}

func TestGoldenReports(t *testing.T) {
	r := goldenReport(t)
	js, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	html, err := r.HTML()
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string][]byte{"report.md": r.Markdown(), "report.json": js, "report.html": html} {
		p := filepath.Join("testdata", name)
		if *update {
			if err := os.MkdirAll("testdata", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("%v (go test -update writes it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the golden file: go test ./internal/dora -update, then review the diff", name)
		}
	}
}

// Without a Prometheus for an environment, its change failure rate counts
// rollbacks and failed gates only: every format says so beside the figure
// (staging, 1 of 2), never for an environment whose alerts were read (prod).
func TestChangeFailureRateSaysWhatItExcludes(t *testing.T) {
	r := goldenReport(t)
	const why = "excludes SLO fast-burn alert failures, not read (no --prometheus-url for staging): rollbacks and failed gates only"
	md := string(r.Markdown())
	if !strings.Contains(md, "| Change failure rate | 50 % (1 of 2); "+why+" |") {
		t.Errorf("Markdown: staging's change failure rate does not say what it excludes:\n%s", md)
	}
	if n := strings.Count(md, "| change failure rate (rollbacks and failed gates only: no alerts read) |"); n != 2 {
		t.Errorf("Markdown: %d week and month tables say their rates exclude alerts, want 2 (staging's)", n)
	}
	html, err := r.HTML()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(html), "<td>50 % (1 of 2); "+why+"</td>") || strings.Count(string(html), "<th>change failure rate (rollbacks and failed gates only: no alerts read)</th>") != 1 {
		t.Errorf("HTML: staging's change failure rate does not say what it excludes")
	}
	js, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Services []struct {
			Environment string
			Summary     struct {
				ChangeFailureRate         *float64
				ChangeFailureRateExcludes string
			}
		}
	}
	if err := json.Unmarshal(js, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"prod": "", "staging": why[len("excludes "):], "dev": ""} // dev: no deployments, no rate
	for _, s := range got.Services {
		if s.Summary.ChangeFailureRateExcludes != want[s.Environment] {
			t.Errorf("JSON %s: changeFailureRateExcludes %q, want %q", s.Environment, s.Summary.ChangeFailureRateExcludes, want[s.Environment])
		}
	}
	if len(got.Services) != 3 {
		t.Errorf("JSON: %d services, want 3", len(got.Services))
	}
}
