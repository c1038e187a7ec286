package runbooks

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gamedayhq/gameday/harness/internal/repotest"
)

var update = flag.Bool("update", false, "rewrite the index of docs/runbooks/README.md")

func alerts(t *testing.T) (string, []Alert) {
	r := repotest.Root(t)
	as, err := Alerts(r, filepath.Join(r, "monitoring", "prometheus", "rules"))
	if err != nil {
		t.Fatal(err)
	}
	if len(as) == 0 {
		t.Fatal("no alert under monitoring/prometheus/rules")
	}
	return r, as
}

// Every alert, hand-written or generated, has a severity the Alertmanager
// routes know, a summary, and a runbook that exists.
func TestRunbooksExistForEveryAlert(t *testing.T) {
	r, as := alerts(t)
	for _, err := range Check(r, as) {
		t.Error(err)
	}
	t.Logf("%d alerts checked", len(as))
}

// The hand-written alerts (not _gen/) each have their own runbook named
// after the alert: PetClinicZoneDown → petclinic-zone-down.md.
func TestRunbooksNamedAfterHandWrittenAlerts(t *testing.T) {
	_, as := alerts(t)
	for _, a := range as {
		if strings.Contains(a.File, "/_gen/") {
			continue
		}
		if want := Dir + "/" + kebab(a.Name) + ".md"; a.Runbook != want {
			t.Errorf("%s: alert %s: runbook %s, want %s", a.File, a.Name, a.Runbook, want)
		}
	}
}

func kebab(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i, c := range rs {
		upper := c >= 'A' && c <= 'Z'
		if upper && i > 0 {
			prevLower := rs[i-1] >= 'a' && rs[i-1] <= 'z'
			nextLower := i+1 < len(rs) && rs[i+1] >= 'a' && rs[i+1] <= 'z'
			prevUpper := rs[i-1] >= 'A' && rs[i-1] <= 'Z'
			if prevLower || (prevUpper && nextLower) {
				b.WriteByte('-')
			}
		}
		b.WriteRune(c | 0x20*boolRune(upper))
	}
	return strings.ReplaceAll(b.String(), "pet-clinic", "petclinic")
}

func boolRune(b bool) rune {
	if b {
		return 1
	}
	return 0
}

func TestKebab(t *testing.T) {
	for in, want := range map[string]string{
		"PetClinicZoneDown":            "petclinic-zone-down",
		"PetClinicCPUNearLimit":        "petclinic-cpu-near-limit",
		"TLSCertificateExpiringSoon":   "tls-certificate-expiring-soon",
		"PetClinicOOMKilled":           "petclinic-oom-killed",
		"ProbeFailing":                 "probe-failing",
		"PetClinicDatabasePoolPending": "petclinic-database-pool-pending",
	} {
		if got := kebab(in); got != want {
			t.Errorf("kebab(%q) = %q, want %q", in, got, want)
		}
	}
}

// docs/runbooks/README.md's index is what the rule files and runbooks say.
func TestRunbooksIndexUpToDate(t *testing.T) {
	r, as := alerts(t)
	idx, err := Index(r, as)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(r, Dir, "README.md")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Splice(string(b), idx)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if got != string(b) {
		t.Errorf("%s/README.md: the index is out of date (run: cd harness && go test ./internal/dashboards/runbooks -update)", Dir)
	}
}

func TestCheckBadAlerts(t *testing.T) {
	r := repotest.Root(t)
	as := []Alert{
		{Name: "A", Severity: "high", File: "x.yml", Summary: "s", URL: Base + "docs/runbooks/petclinic-zone-down.md", Runbook: "docs/runbooks/petclinic-zone-down.md"},
		{Name: "B", Severity: "warning", File: "x.yml", Summary: "s", URL: Base + "docs/runbooks/nope.md", Runbook: "docs/runbooks/nope.md"},
		{Name: "C", Severity: "warning", File: "x.yml", URL: "https://wiki.example.com/c"},
	}
	var got []string
	for _, err := range Check(r, as) {
		got = append(got, err.Error())
	}
	want := []string{
		`x.yml: alert A: labels.severity "high": want critical or warning (page or ticket for SLOs)`,
		"x.yml: alert B: annotations.runbook_url: docs/runbooks/nope.md does not exist",
		"x.yml: alert C: annotations.summary is missing",
		`x.yml: alert C: annotations.runbook_url "https://wiki.example.com/c": want https://github.com/gamedayhq/gameday/blob/main/docs/runbooks/<name>.md`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
