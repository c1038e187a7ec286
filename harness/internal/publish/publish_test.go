package publish_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"

	"github.com/gamedayhq/gameday/harness/internal/gitops"
	"github.com/gamedayhq/gameday/harness/internal/gitops/gittest"
	"github.com/gamedayhq/gameday/harness/internal/historytest"
	"github.com/gamedayhq/gameday/harness/internal/publish"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var t0 = time.Date(2026, 12, 7, 7, 0, 0, 0, time.UTC)

// world is a reports tree and a bare repository served by git-http-backend.
type world struct {
	srv     *gittest.Server
	url     string
	reports string
}

func newWorld(t *testing.T) *world {
	srv := gittest.Start(t, gittest.Options{})
	return &world{srv: srv, url: srv.NewRepo("reports"), reports: t.TempDir()}
}

func (w *world) publish(t *testing.T, dirs ...string) (publish.Result, error) {
	t.Helper()
	return publish.Publish(context.Background(), publish.Options{
		Remote: gitops.Remote{URL: w.url, Backoff: 20 * time.Millisecond, Attempts: 8}, ReportsDir: w.reports, Dirs: dirs})
}

func (w *world) index(t *testing.T) publish.Index {
	t.Helper()
	var x publish.Index
	if err := json.Unmarshal([]byte(w.srv.Show("reports", "main", "reports/index.json")), &x); err != nil {
		t.Fatalf("index.json: %v", err)
	}
	return x
}

func paths(x publish.Index) []string {
	var p []string
	for _, e := range x.Reports {
		p = append(p, e.Path+" "+e.Kind+" "+e.Status)
	}
	return p
}

func TestPublishOneRunThenTheSameRunAgain(t *testing.T) {
	w := newWorld(t)
	dir := historytest.Write(t, w.reports, historytest.Run{Suite: "k8s-preprod-gate", Experiment: "pod-kill", Target: "kubernetes", Start: t0, Score: 100, WithFault: true})

	res, err := w.publish(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Changed || len(res.Published) != 1 {
		t.Fatalf("result %+v", res)
	}
	run := "reports/k8s-preprod-gate/20261207-070000-pod-kill/"
	want := []string{"reports/README.md", "reports/index.json", run + "junit.xml", run + "report.html", run + "report.json", run + "report.md", run + "run.yaml"}
	if got := w.srv.Files("reports", ""); !slices.Equal(got, want) {
		t.Errorf("files:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	// The reports are the bytes on disk.
	for _, f := range []string{"report.json", "report.html", "report.md", "junit.xml"} {
		b, _ := os.ReadFile(filepath.Join(dir, f))
		if got := w.srv.Show("reports", "main", run+f); got != string(b) {
			t.Errorf("%s differs from the file on disk", f)
		}
	}
	if got := paths(w.index(t)); !slices.Equal(got, []string{"k8s-preprod-gate/20261207-070000-pod-kill run held"}) {
		t.Errorf("index %v", got)
	}
	checkRunManifest(t, w.srv.Show("reports", "main", run+"run.yaml"))
	golden(t, "README.md.golden", // not .md: its links are the reports repository's
		w.srv.Show("reports", "main", "reports/README.md"))
	golden(t, "run.yaml", w.srv.Show("reports", "main", run+"run.yaml"))

	again, err := w.publish(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	if again.Changed || again.Commit != res.Commit {
		t.Errorf("second publish %+v: want no commit (tip %s)", again.Result, res.Commit)
	}
	if n := w.srv.Commits("reports", ""); n != 1 {
		t.Errorf("%d commits, want 1", n)
	}
}

// checkRunManifest decodes run.yaml strictly as a ConfigMap and checks the
// names Kubernetes will validate.
func checkRunManifest(t *testing.T, s string) {
	t.Helper()
	var cm corev1.ConfigMap
	if err := yaml.UnmarshalStrict([]byte(s), &cm); err != nil {
		t.Fatalf("run.yaml: %v\n%s", err, s)
	}
	if cm.Kind != "ConfigMap" || cm.APIVersion != "v1" {
		t.Errorf("run.yaml is a %s/%s", cm.APIVersion, cm.Kind)
	}
	if errs := validation.IsDNS1123Subdomain(cm.Name); len(errs) > 0 || len(cm.Name) > 63 {
		t.Errorf("name %q: %v", cm.Name, errs)
	}
	for k, v := range cm.Labels {
		if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
			t.Errorf("label %s=%q: %v", k, v, errs)
		}
	}
	if cm.Labels[publish.LabelReport] != "true" || cm.Data["summary.json"] == "" || cm.Data["report.md"] == "" {
		t.Errorf("run.yaml: labels %v, data keys %d", cm.Labels, len(cm.Data))
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s (go test -update, then review the diff):\n%s", name, path, got)
	}
}

// Two publishers racing, each with its own run: both runs are published,
// and the index has both, whoever pushed first.
func TestConcurrentPublishersLoseNoReport(t *testing.T) {
	w := newWorld(t)
	var dirs []string
	for i, exp := range []string{"pod-kill", "zone-outage", "http-500"} {
		dirs = append(dirs, historytest.Write(t, w.reports, historytest.Run{Suite: "weekly", Experiment: exp, Start: t0.Add(time.Duration(i) * time.Minute), Score: 100}))
	}
	var wg sync.WaitGroup
	errs := make([]error, len(dirs))
	for i, d := range dirs {
		wg.Go(func() { _, errs[i] = w.publish(t, d) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("publisher %d: %v", i, err)
		}
	}
	want := []string{"weekly/20261207-070000-pod-kill run held", "weekly/20261207-070100-zone-outage run held", "weekly/20261207-070200-http-500 run held"}
	if got := paths(w.index(t)); !slices.Equal(got, want) {
		t.Errorf("index %v, want %v", got, want)
	}
	if n := w.srv.Commits("reports", ""); n != 3 {
		t.Errorf("%d commits, want 3", n)
	}
	readme := w.srv.Show("reports", "main", "reports/README.md")
	for _, e := range []string{"pod-kill", "zone-outage", "http-500"} {
		if !strings.Contains(readme, e) {
			t.Errorf("README lacks %s", e)
		}
	}
}

// The SLO report (one HTML file in slo/latest) is published as a report
// without a ConfigMap; a repository the shell publisher filled (no index)
// gets an index of everything in it.
func TestOtherReportsAndAnIndexRebuiltFromTheTree(t *testing.T) {
	w := newWorld(t)
	// What publish.sh left: a run without index.json.
	old := historytest.Write(t, t.TempDir(), historytest.Run{Suite: "k8s-staging-weekly", Experiment: "zone-outage", Status: "failed", Start: t0.Add(-7 * 24 * time.Hour), Score: 40})
	_, err := (gitops.Remote{URL: w.url}).Commit(context.Background(), func(tr *gitops.Tree) (string, error) {
		for _, f := range []string{"report.json", "report.md"} {
			b, err := os.ReadFile(filepath.Join(old, f))
			if err != nil {
				return "", err
			}
			if err := tr.Write("reports/k8s-staging-weekly/"+filepath.Base(old)+"/"+f, b); err != nil {
				return "", err
			}
		}
		return "reports: 1 report(s)", nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slo := filepath.Join(w.reports, "slo", "latest")
	if err := os.MkdirAll(slo, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(slo, "report.html"), []byte("<html>budgets</html>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := w.publish(t, slo)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"k8s-staging-weekly/20261130-070000-zone-outage run failed", "slo/latest slo "}
	if got := paths(w.index(t)); !slices.Equal(got, want) {
		t.Errorf("index %v, want %v", got, want)
	}
	if res.Published[0].Kind != publish.KindSLO || slices.Contains(w.srv.Files("reports", ""), "reports/slo/latest/run.yaml") {
		t.Errorf("SLO report: %+v, files %v", res.Published, w.srv.Files("reports", ""))
	}
}

// Bad folders are refused before anything is sent: nothing is committed,
// nothing is pushed.
func TestBadFoldersPublishNothing(t *testing.T) {
	w := newWorld(t)
	good := historytest.Write(t, w.reports, historytest.Run{Suite: "s", Experiment: "pod-kill", Start: t0, Score: 100})
	broken := filepath.Join(w.reports, "s", "broken")
	linked := filepath.Join(w.reports, "s", "linked")
	for _, d := range []string{broken, linked} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(broken, "report.json"), []byte(`{"schemaVersion": "gameday.dev/report/v1", "runID": `), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(linked, "report.html")); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		dir  string
		want string
	}{
		"a half-written report.json":   {broken, "report.json is not valid JSON"},
		"a symbolic link":              {linked, "not a regular file"},
		"a folder outside the tree":    {t.TempDir(), "not a folder <suite>/<run-id>"},
		"the suite instead of the run": {filepath.Join(w.reports, "s"), "not a folder <suite>/<run-id>"},
		"a folder that does not exist": {filepath.Join(w.reports, "s", "nope"), "no such file"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := w.publish(t, good, c.dir)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want %q", err, c.want)
			}
		})
	}
	if n := w.srv.Pushes(); n != 0 {
		t.Errorf("%d pushes reached git, want none", n)
	}
}

func TestPreviousRun(t *testing.T) {
	at := func(d time.Duration) *time.Time { x := t0.Add(d); return &x }
	x := publish.Index{Reports: []publish.Entry{
		{Path: "s/1", Kind: publish.KindRun, Suite: "s", Experiment: "e", Target: "sandbox", Status: "held", Start: at(0)},
		{Path: "s/2", Kind: publish.KindRun, Suite: "s", Experiment: "e", Target: "sandbox", Status: "failed", Start: at(time.Hour)},
		{Path: "s/3", Kind: publish.KindRun, Suite: "s", Experiment: "other", Target: "sandbox", Status: "held", Start: at(2 * time.Hour)},
		{Path: "t/4", Kind: publish.KindRun, Suite: "t", Experiment: "e", Target: "sandbox", Status: "held", Start: at(2 * time.Hour)},
		{Path: "s/5", Kind: publish.KindRun, Suite: "s", Experiment: "e", Target: "sandbox", Status: "held", Start: at(3 * time.Hour)},
	}}
	cases := map[string]struct {
		entry publish.Entry
		want  string
	}{
		"the newest earlier run of the same experiment and suite": {x.Reports[4], "s/2"},
		"the first run has none":                                  {x.Reports[0], ""},
		"another suite is another history":                        {x.Reports[3], ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got := ""
			if p := x.Previous(c.entry); p != nil {
				got = p.Path
			}
			if got != c.want {
				t.Errorf("previous of %s = %q, want %q", c.entry.Path, got, c.want)
			}
		})
	}
}

// A long suite name and run id still make a DNS-label ConfigMap name, and
// two of them that share the first 54 characters differ.
func TestRunManifestNames(t *testing.T) {
	w := newWorld(t)
	long := strings.Repeat("a-very-long-suite-name-", 3)
	var names []string
	for i := range 2 {
		d := historytest.Write(t, w.reports, historytest.Run{Suite: long, Experiment: "pod-kill", RunID: fmt.Sprintf("%s-run-%d", strings.Repeat("x", 40), i), Start: t0, Score: 100})
		if _, err := w.publish(t, d); err != nil {
			t.Fatal(err)
		}
		var cm corev1.ConfigMap
		s := w.srv.Show("reports", "main", "reports/"+long+"/"+filepath.Base(d)+"/run.yaml")
		if err := yaml.Unmarshal([]byte(s), &cm); err != nil {
			t.Fatal(err)
		}
		checkRunManifest(t, s)
		names = append(names, cm.Name)
	}
	if names[0] == names[1] {
		t.Errorf("two runs share the ConfigMap name %s", names[0])
	}
	var b bytes.Buffer
	b.WriteString(strings.Join(names, "\n"))
	t.Log(b.String())
}
