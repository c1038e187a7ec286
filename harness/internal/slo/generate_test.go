package slo_test

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gamedayhq/gameday/harness/internal/slo"
)

var update = flag.Bool("update", false, "rewrite the generated files of the repository (the golden files of generation)")

const root = "../../.."

func generate(t *testing.T) map[string][]byte {
	t.Helper()
	set, err := slo.Load(filepath.Join(root, "slo"))
	if err != nil {
		t.Fatal(err)
	}
	files, err := slo.Generate(set, slo.Options{}, func(f string) string {
		r, _ := filepath.Rel(root, f)
		return filepath.ToSlash(r)
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// The committed rules, PrometheusRules and promtool tests are the golden
// files of the generation: regenerating must not change them (go test
// -update, or gameday slo generate, rewrites them).
func TestGeneratedFilesAreUpToDate(t *testing.T) {
	files := generate(t)
	if len(files) != 15 {
		t.Errorf("%d files generated, want 3 for each of the 5 SLOs over Prometheus", len(files))
	}
	for p, want := range files {
		full := filepath.Join(root, p)
		if *update {
			if err := os.WriteFile(full, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(full)
		if err != nil {
			t.Errorf("%s: %v (run gameday slo generate)", p, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from what the specs generate: run gameday slo generate", p)
		}
		if !bytes.HasPrefix(got, []byte(slo.Header)) {
			t.Errorf("%s has no DO NOT EDIT header", p)
		}
	}
}

// Every alert's runbook_url points at a runbook of the repository.
func TestRunbooksExist(t *testing.T) {
	set, err := slo.Load(filepath.Join(root, "slo"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range set.SLOs {
		for _, g := range s.Rules(slo.Options{}) {
			for _, r := range g.Rules {
				url := r.Annotations["runbook_url"]
				if r.Alert == "" {
					continue
				}
				path, ok := strings.CutPrefix(url, slo.DefaultRunbookBase)
				if !ok {
					t.Errorf("%s: runbook_url %q is not under %s", s.ID(), url, slo.DefaultRunbookBase)
					continue
				}
				if _, err := os.Stat(filepath.Join(root, path)); err != nil {
					t.Errorf("%s: runbook %s: %v", s.ID(), path, err)
				}
			}
		}
	}
}

func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("no promtool on PATH (apt-get install prometheus, scripts/tools.sh)")
		}
		t.Skip("no promtool on PATH: apt-get install prometheus")
	}
	return p
}

// The generated promtool tests pass on the generated rules, and fail on
// rules whose threshold or window is wrong: they can fail.
func TestPromtoolTestsPassAndCatchWrongRules(t *testing.T) {
	pt := promtool(t)
	files := generate(t)
	set, _ := slo.Load(filepath.Join(root, "slo"))
	s := set.Find("api-availability")
	name := s.ID() + ".yml"
	rules := files[filepath.Join(slo.DirRules, name)]
	tests := files[filepath.Join(slo.DirTests, s.ID()+"_test.yml")]
	mutations := map[string]struct {
		old, new string
		pass     bool
	}{
		"the generated rules pass":                         {pass: true},
		"a page threshold of 15.4× instead of 14.4× fails": {old: "(14.4 * 0.001)", new: "(15.4 * 0.001)"},
		"a 3d window read as 2d fails":                     {old: "[3d]", new: "[2d]"},
		"a 6h window read as 5h fails":                     {old: "[6h]", new: "[5h]"},
		"a ticket at 2× instead of 3× fails":               {old: "(3 * 0.001)", new: "(2 * 0.001)"},
		// Caught only because every case has 3d of history: over 2h of
		// data a 1d or 1h window computes the same ratio as a 3d one.
		"a 1d window read as 3d fails": {old: "[1d]", new: "[3d]"},
		"a 1h window read as 6h fails": {old: "[1h]", new: "[6h]"},
	}
	for what, m := range mutations {
		t.Run(what, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			os.MkdirAll(filepath.Join(dir, "rules/_gen"), 0o755)
			os.MkdirAll(filepath.Join(dir, "tests/slo"), 0o755)
			r := rules
			if m.old != "" {
				if !bytes.Contains(r, []byte(m.old)) {
					t.Fatalf("%q not in the rules", m.old)
				}
				r = bytes.ReplaceAll(r, []byte(m.old), []byte(m.new))
			}
			os.WriteFile(filepath.Join(dir, "rules/_gen", name), r, 0o644)
			tf := filepath.Join(dir, "tests/slo", "t_test.yml")
			os.WriteFile(tf, tests, 0o644)
			out, err := exec.Command(pt, "test", "rules", tf).CombinedOutput()
			if m.pass && err != nil {
				t.Fatalf("promtool test rules failed:\n%s", out)
			}
			if !m.pass && err == nil {
				t.Fatalf("promtool test rules passed on wrong rules:\n%s", out)
			}
		})
	}
}
