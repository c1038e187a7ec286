// Package doratest builds real git repositories for the DORA tests: commits
// with the times a test names, branches and merge commits, through go-git
// into a temporary directory.
package doratest

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Repo is a git repository under construction.
type Repo struct {
	t   testing.TB
	Dir string
	r   *gogit.Repository
	w   *gogit.Worktree
}

// NewRepo creates an empty repository (branch main) in a temporary
// directory.
func NewRepo(t testing.TB) *Repo {
	t.Helper()
	dir := t.TempDir()
	r, err := gogit.PlainInitWithOptions(dir, &gogit.PlainInitOptions{InitOptions: gogit.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")}})
	if err != nil {
		t.Fatal(err)
	}
	w, err := r.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	return &Repo{t: t, Dir: dir, r: r, w: w}
}

func (g *Repo) write(file, content string) {
	g.t.Helper()
	p := filepath.Join(g.Dir, file)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		g.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		g.t.Fatal(err)
	}
	if _, err := g.w.Add(file); err != nil {
		g.t.Fatal(err)
	}
}

func (g *Repo) commit(msg string, at time.Time, parents []plumbing.Hash) string {
	g.t.Helper()
	sig := &object.Signature{Name: "Dev", Email: "dev@example.com", When: at}
	h, err := g.w.Commit(msg, &gogit.CommitOptions{Author: sig, Committer: sig, Parents: parents, AllowEmptyCommits: true})
	if err != nil {
		g.t.Fatal(err)
	}
	return h.String()
}

// Commit writes content to file on the current branch and commits it with
// author and committer time at; it returns the commit's hash.
func (g *Repo) Commit(file, content, msg string, at time.Time) string {
	g.t.Helper()
	g.write(file, content)
	return g.commit(msg, at, nil)
}

// CommitAuthored is Commit with an author time apart from the committer
// time (a rebased or cherry-picked commit).
func (g *Repo) CommitAuthored(file, content, msg string, authored, committed time.Time) string {
	g.t.Helper()
	g.write(file, content)
	h, err := g.w.Commit(msg, &gogit.CommitOptions{
		Author:    &object.Signature{Name: "Dev", Email: "dev@example.com", When: authored},
		Committer: &object.Signature{Name: "Dev", Email: "dev@example.com", When: committed},
	})
	if err != nil {
		g.t.Fatal(err)
	}
	return h.String()
}

// Branch creates branch name at the current HEAD and checks it out.
func (g *Repo) Branch(name string) {
	g.t.Helper()
	if err := g.w.Checkout(&gogit.CheckoutOptions{Branch: plumbing.NewBranchReferenceName(name), Create: true}); err != nil {
		g.t.Fatal(err)
	}
}

// Checkout checks out an existing branch.
func (g *Repo) Checkout(name string) {
	g.t.Helper()
	if err := g.w.Checkout(&gogit.CheckoutOptions{Branch: plumbing.NewBranchReferenceName(name)}); err != nil {
		g.t.Fatal(err)
	}
}

// Merge commits a merge of branch into the current branch at time at: the
// branch's files win (the tests' branches touch files of their own).
func (g *Repo) Merge(branch, msg string, at time.Time) string {
	g.t.Helper()
	ref, err := g.r.Reference(plumbing.NewBranchReferenceName(branch), true)
	if err != nil {
		g.t.Fatal(err)
	}
	other, err := g.r.CommitObject(ref.Hash())
	if err != nil {
		g.t.Fatal(err)
	}
	head, err := g.r.Head()
	if err != nil {
		g.t.Fatal(err)
	}
	files, err := other.Files()
	if err != nil {
		g.t.Fatal(err)
	}
	err = files.ForEach(func(f *object.File) error {
		rd, err := f.Reader()
		if err != nil {
			return err
		}
		defer rd.Close()
		b, err := io.ReadAll(rd)
		if err != nil {
			return err
		}
		g.write(f.Name, string(b))
		return nil
	})
	if err != nil {
		g.t.Fatal(err)
	}
	return g.commit(msg, at, []plumbing.Hash{head.Hash(), other.Hash})
}

// Tag tags rev (a lightweight tag).
func (g *Repo) Tag(name, rev string) {
	g.t.Helper()
	if _, err := g.r.CreateTag(name, plumbing.NewHash(rev), nil); err != nil {
		g.t.Fatal(err)
	}
}

// ResetHard moves the current branch to rev (history rewritten: commits
// after rev become unreachable, as after a force push), then runs git's
// garbage collection of unreachable objects with go-git's prune.
func (g *Repo) ResetHard(rev string) {
	g.t.Helper()
	if err := g.w.Reset(&gogit.ResetOptions{Commit: plumbing.NewHash(rev), Mode: gogit.HardReset}); err != nil {
		g.t.Fatal(err)
	}
	if err := g.r.Prune(gogit.PruneOptions{Handler: g.r.DeleteObject}); err != nil {
		g.t.Fatal(err)
	}
}

// CommitAll commits every file of the work tree (written by the test
// directly) at time at.
func (g *Repo) CommitAll(msg string, at time.Time) string {
	g.t.Helper()
	if err := g.w.AddWithOptions(&gogit.AddOptions{All: true}); err != nil {
		g.t.Fatal(err)
	}
	return g.commit(msg, at, nil)
}
