package docs_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gamedayhq/gameday/harness/internal/cost"
	"github.com/gamedayhq/gameday/harness/internal/docs"
	"github.com/gamedayhq/gameday/harness/internal/repotest"
)

// notCommands are inline code spans that begin with "gameday " but are data
// the code prints, not command lines (taken from the code, so they cannot
// drift).
var notCommands = map[string]string{
	cost.SourceProcess: "the cost report's source of the load generator's cost",
}

// markdownFiles lists the repository's Markdown files that git tracks or
// would track (ignored ones, such as reports/, left out).
func markdownFiles(t *testing.T, root string) []string {
	t.Helper()
	out, err := exec.Command("git", "-C", root, "ls-files", "--cached", "--others", "--exclude-standard", "--", "*.md").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	var files []string
	for _, f := range strings.Fields(string(out)) {
		if _, err := os.Stat(filepath.Join(root, f)); err == nil { // deleted in the work tree
			files = append(files, f)
		}
	}
	if len(files) == 0 {
		t.Fatal("no Markdown file found")
	}
	return files
}

// TestEveryCommandLineOfTheDocsResolves reads every gameday command line of
// every Markdown file of the repository and resolves it against the CLI's
// real commands and flags: a removed command, a misspelt flag, a flag after
// the arguments fail here, naming the file and line.
func TestEveryCommandLineOfTheDocsResolves(t *testing.T) {
	root := repotest.Root(t)
	n, files := 0, 0
	for _, f := range markdownFiles(t, root) {
		md, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		cmds := docs.Commands(f, md)
		if len(cmds) > 0 {
			files++
		}
		for _, c := range cmds {
			if _, ok := notCommands[c.Text]; ok {
				continue
			}
			n++
			if err := docs.Resolve(c.Args); err != nil {
				t.Errorf("%s:%d: %s\n\t%v", c.File, c.Line, c.Text, err)
			}
		}
	}
	t.Logf("%d gameday command lines in %d Markdown files", n, files)
	if n < 100 {
		t.Errorf("found only %d command lines: is the extraction broken?", n)
	}
}

// TestEveryLinkOfTheDocsResolves follows every local link of every Markdown
// file: the file or folder must exist and an anchor into a Markdown file
// must be one of its headings (as GitHub makes them).
func TestEveryLinkOfTheDocsResolves(t *testing.T) {
	root := repotest.Root(t)
	anchors := map[string]map[string]bool{}
	anchorsOf := func(path string) map[string]bool {
		if a, ok := anchors[path]; ok {
			return a
		}
		md, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		anchors[path] = docs.Anchors(md)
		return anchors[path]
	}
	n := 0
	for _, f := range markdownFiles(t, root) {
		md, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range docs.FenceProblems(md) {
			t.Errorf("%s:%d: this code fence does not close its block (text after it, or never closed): the rest of the page renders as code", f, line)
		}
		for _, l := range docs.Links(f, md) {
			n++
			target := filepath.Join(root, f)
			if l.Target != "" {
				target = filepath.Join(root, filepath.Dir(f), filepath.FromSlash(l.Target))
			}
			fi, err := os.Stat(target)
			if err != nil {
				t.Errorf("%s:%d: link to %s: no such file or folder", l.File, l.Line, l.Target)
				continue
			}
			if l.Anchor == "" || fi.IsDir() || filepath.Ext(target) != ".md" {
				continue
			}
			if !anchorsOf(target)[l.Anchor] {
				t.Errorf("%s:%d: link to %s#%s: no such heading", l.File, l.Line, l.Target, l.Anchor)
			}
		}
	}
	t.Logf("%d local links", n)
}
