// Package runbooks ties the alerts of monitoring/prometheus/rules (hand-written
// and generated) to docs/runbooks: every alert's runbook_url must name a file
// there, and docs/runbooks/README.md carries an index generated from the rule
// files and the runbooks' titles (go test -update rewrites it).
package runbooks

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/gamedayhq/gameday/harness/internal/dashboards/promrule"
)

// Base is what every runbook_url starts with: the repository's docs on
// GitHub. The rest is the runbook's path in the repository.
const Base = "https://github.com/gamedayhq/gameday/blob/main/"

// Dir is where the runbooks live, relative to the repository.
const Dir = "docs/runbooks"

// Alert is one alerting rule and where it points.
type Alert struct {
	Name     string
	Severity string
	Team     string // team, else slo_service for the SLO rules
	File     string // rule file, relative to the repository
	Runbook  string // runbook_url without Base: docs/runbooks/x.md
	URL      string
	Summary  string
}

// Alerts reads every rule file under dir (recursively; promtool test files
// excepted), validated as Prometheus does. root is the repository, for the
// relative paths.
func Alerts(root, dir string) ([]Alert, error) {
	var out []Alert
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(p, ".yml") || strings.HasSuffix(p, ".yaml")) {
			return err
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if isPromtoolTest(src) {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		rgs, err := promrule.Parse(rel, src)
		if err != nil {
			return err
		}
		for _, g := range rgs.Groups {
			for _, r := range g.Rules {
				if r.Alert == "" {
					continue
				}
				a := Alert{Name: r.Alert, Severity: r.Labels["severity"], Team: r.Labels["team"], File: rel,
					URL: r.Annotations["runbook_url"], Summary: r.Annotations["summary"]}
				if a.Team == "" {
					a.Team = r.Labels["slo_service"]
				}
				a.Runbook = strings.TrimPrefix(a.URL, Base)
				out = append(out, a)
			}
		}
		return nil
	})
	return out, err
}

func isPromtoolTest(src []byte) bool {
	sc := bufio.NewScanner(bytes.NewReader(src))
	for sc.Scan() {
		if l := sc.Text(); strings.HasPrefix(l, "tests:") || strings.HasPrefix(l, "rule_files:") {
			return true
		}
	}
	return false
}

// Check reports every alert without a severity the routes know, a summary,
// or a runbook_url that names an existing file of docs/runbooks.
func Check(root string, alerts []Alert) []error {
	var errs []error
	for _, a := range alerts {
		where := fmt.Sprintf("%s: alert %s", a.File, a.Name)
		switch a.Severity {
		case "critical", "warning", "page", "ticket":
		default:
			errs = append(errs, fmt.Errorf("%s: labels.severity %q: want critical or warning (page or ticket for SLOs)", where, a.Severity))
		}
		if a.Summary == "" {
			errs = append(errs, fmt.Errorf("%s: annotations.summary is missing", where))
		}
		switch {
		case a.URL == "":
			errs = append(errs, fmt.Errorf("%s: annotations.runbook_url is missing", where))
		case !strings.HasPrefix(a.URL, Base+Dir+"/") || !strings.HasSuffix(a.URL, ".md"):
			errs = append(errs, fmt.Errorf("%s: annotations.runbook_url %q: want %s%s/<name>.md", where, a.URL, Base, Dir))
		default:
			if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(a.Runbook))); err != nil {
				errs = append(errs, fmt.Errorf("%s: annotations.runbook_url: %s does not exist", where, a.Runbook))
			}
		}
	}
	// An SLO's burn alerts share their name and runbook: one error each.
	seen := map[string]bool{}
	return slices.DeleteFunc(errs, func(e error) bool {
		dup := seen[e.Error()]
		seen[e.Error()] = true
		return dup
	})
}

// Index markers in docs/runbooks/README.md: what is between them is
// generated.
const (
	Begin = "<!-- BEGIN GENERATED INDEX: cd harness && go test ./internal/dashboards/runbooks -update -->"
	End   = "<!-- END GENERATED INDEX -->"
)

// Index renders the table of runbooks: each file of docs/runbooks with its
// title and the alerts that point at it.
func Index(root string, alerts []Alert) (string, error) {
	files, err := filepath.Glob(filepath.Join(root, Dir, "*.md"))
	if err != nil {
		return "", err
	}
	by := map[string][]Alert{}
	for _, a := range alerts {
		by[a.Runbook] = append(by[a.Runbook], a)
	}
	var b strings.Builder
	b.WriteString("| Runbook | Alerts (severity) | Team | Rules |\n|---|---|---|---|\n")
	sort.Strings(files)
	for _, f := range files {
		name := filepath.Base(f)
		if name == "README.md" {
			continue
		}
		title, err := title(f)
		if err != nil {
			return "", err
		}
		as := by[Dir+"/"+name]
		sort.Slice(as, func(i, j int) bool { return as[i].Name+as[i].Severity < as[j].Name+as[j].Severity })
		var names, teams, rules []string
		seen := map[string]bool{}
		add := func(list *[]string, v string) {
			if v != "" && !seen[v] {
				seen[v] = true
				*list = append(*list, v)
			}
		}
		for _, a := range as {
			add(&names, fmt.Sprintf("`%s` (%s)", a.Name, a.Severity))
			add(&teams, a.Team)
			add(&rules, fmt.Sprintf("[%s](../../%s)", filepath.Base(a.File), a.File))
		}
		if len(names) == 0 {
			names = []string{"none (no Prometheus alert points here)"}
		}
		fmt.Fprintf(&b, "| [%s](%s) | %s | %s | %s |\n", title, name, strings.Join(names, ", "), strings.Join(teams, ", "), strings.Join(rules, ", "))
	}
	return b.String(), nil
}

// title is the runbook's first heading.
func title(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if t, ok := strings.CutPrefix(l, "# "); ok {
			return strings.TrimSpace(t), nil
		}
	}
	return "", fmt.Errorf("%s: no `# title` line", path)
}

// Splice puts index between the markers of readme.
func Splice(readme, index string) (string, error) {
	i := strings.Index(readme, Begin)
	j := strings.Index(readme, End)
	if i < 0 || j < i {
		return "", fmt.Errorf("%s/README.md: want the markers %q and %q", Dir, Begin, End)
	}
	return readme[:i+len(Begin)] + "\n" + index + readme[j:], nil
}
