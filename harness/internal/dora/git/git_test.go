package git_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/dora"
	"github.com/gamedayhq/gameday/harness/internal/dora/doratest"
	"github.com/gamedayhq/gameday/harness/internal/dora/git"
)

func at(day, hour int) time.Time { return time.Date(2026, 10, day, hour, 0, 0, 0, time.UTC) }

func TestNotARepository(t *testing.T) {
	dir := t.TempDir()
	_, err := git.Open(dir, git.Options{})
	if !errors.Is(err, git.ErrNotRepository) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("got %v, want ErrNotRepository naming %s", err, dir)
	}
	_, err = git.Open(filepath.Join(dir, "nope"), git.Options{})
	if err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("got %v, want the missing path", err)
	}
}

// Paths keep the changes of one service of a monorepo; committer times and
// tags come through.
func TestChangesPathsTimesTags(t *testing.T) {
	g := doratest.NewRepo(t)
	c0 := g.Commit("README.md", "x", "initial", at(1, 9))
	g.Commit("petclinic/main.go", "v1", "petclinic: feature", at(2, 9))
	g.Commit("harness/cli.go", "v1", "harness: flag", at(3, 9))
	rebased := g.CommitAuthored("helm/petclinic/values.yaml", "tag: 1.4.2", "petclinic: release 1.4.2", at(1, 10), at(4, 9))
	g.Tag("v1.4.2", rebased)

	repo, err := git.Open(g.Dir, git.Options{Paths: []string{"petclinic/", "helm/petclinic"}})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := repo.Changes(c0, rebased)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range cs {
		got = append(got, c.Subject+"@"+c.First.UTC().Format("02T15"))
	}
	if want := "petclinic: feature@02T09 petclinic: release 1.4.2@01T10"; strings.Join(got, " ") != want {
		t.Errorf("author times: got %v, want %s", got, want)
	}
	byCommitter, err := git.Open(g.Dir, git.Options{Paths: []string{"helm/petclinic/"}, CommitterTime: true})
	if err != nil {
		t.Fatal(err)
	}
	cs, err = byCommitter.Changes(c0, rebased)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || !cs[0].First.Equal(at(4, 9)) {
		t.Errorf("committer time: got %+v, want one change at %s", cs, at(4, 9))
	}
	if tags := repo.Tags(rebased); len(tags) != 1 || tags[0] != "v1.4.2" {
		t.Errorf("tags: got %v, want [v1.4.2]", tags)
	}
	if _, err := repo.Changes(c0, "0123456789abcdef0123456789abcdef01234567"); !errors.Is(err, dora.ErrRevisionNotFound) {
		t.Errorf("unknown revision: got %v, want ErrRevisionNotFound", err)
	}
	if back, err := repo.IsAncestor(c0, rebased); err != nil || !back {
		t.Errorf("IsAncestor(c0, head): got %v, %v, want true", back, err)
	}
	if back, err := repo.IsAncestor(rebased, rebased); err != nil || back {
		t.Errorf("IsAncestor(head, head): got %v, %v, want false (strict)", back, err)
	}
}

// Clone reads a repository by URL (file:// here; https:// in the cluster).
func TestClone(t *testing.T) {
	g := doratest.NewRepo(t)
	c0 := g.Commit("a", "1", "one", at(1, 9))
	c1 := g.Commit("a", "2", "two", at(2, 9))
	repo, err := git.Clone(context.Background(), "file://"+g.Dir, filepath.Join(t.TempDir(), "clone.git"), git.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := repo.Changes(c0, c1)
	if err != nil || len(cs) != 1 || cs[0].Head != c1 {
		t.Fatalf("got %+v, %v, want the change %s", cs, err, c1)
	}
	// The bare clone opens again (as each service opens it), and a folder
	// inside a work tree finds its repository.
	if _, err := git.Open(repo.Source, git.Options{}); err == nil {
		t.Errorf("Source is the URL, not a path: got no error")
	}
	dir := filepath.Join(t.TempDir(), "again.git")
	if _, err := git.Clone(context.Background(), g.Dir, dir, git.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := git.Open(dir, git.Options{}); err != nil {
		t.Errorf("open the bare clone: %v", err)
	}
	if err := os.MkdirAll(filepath.Join(g.Dir, "sub", "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := git.Open(filepath.Join(g.Dir, "sub", "dir"), git.Options{}); err != nil {
		t.Errorf("open from a sub folder: %v", err)
	}
}
