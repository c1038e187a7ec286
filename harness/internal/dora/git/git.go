// Package git is the dora.Repository of a git repository, read with go-git
// (no git binary): the changes between two deployed revisions, ancestry
// (rollbacks) and tags.
//
// A change is a commit on the first-parent line of the deployed revision
// together with the commits it brought in: for a merge commit, the commits
// of the merged branch that the first parent did not have; for any other
// commit, itself. Its time is that of its earliest commit (author time by
// default: it survives rebases and cherry-picks; committer time with
// CommitterTime). With Paths set, a change counts only when its head's diff
// against its first parent (the whole tree for a root commit) touches one
// of them.
package git

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"

	"github.com/gamedayhq/gameday/harness/internal/dora"
)

// ErrNotRepository: the path is not a git repository.
var ErrNotRepository = errors.New("not a git repository")

// Options shape what counts as a change.
type Options struct {
	// Paths: only changes touching one of these (a folder "petclinic/" or a
	// file) count; none: every change counts.
	Paths []string
	// CommitterTime: lead time starts at committer times instead of author
	// times.
	CommitterTime bool
}

// Repo is a git repository.
type Repo struct {
	r    *gogit.Repository
	o    Options
	tags map[plumbing.Hash][]string
	// Source is the path or URL it was read from.
	Source string
}

var _ dora.Repository = (*Repo)(nil)

// Open opens the repository at path (a work tree or a bare repository).
func Open(path string, o Options) (*Repo, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("git: %w", err)
	}
	// A bare repository (a clone), else a work tree at or above path.
	r, err := gogit.PlainOpen(path)
	if errors.Is(err, gogit.ErrRepositoryNotExists) {
		r, err = gogit.PlainOpenWithOptions(path, &gogit.PlainOpenOptions{DetectDotGit: true})
	}
	if errors.Is(err, gogit.ErrRepositoryNotExists) {
		return nil, fmt.Errorf("git: %s: %w (git init, or --git the repository the Applications deploy from)", path, ErrNotRepository)
	}
	if err != nil {
		return nil, fmt.Errorf("git: open %s: %w", path, err)
	}
	return newRepo(r, o, path)
}

// Clone clones url (https://, file:// or a path) bare into dir, which must
// not exist, and opens it. Over https, GIT_USERNAME and GIT_TOKEN (the
// gameday chart's git credentials) authenticate when set.
func Clone(ctx context.Context, url, dir string, o Options) (*Repo, error) {
	r, err := gogit.PlainCloneContext(ctx, dir, true, &gogit.CloneOptions{URL: url, Tags: gogit.AllTags, Auth: auth()})
	if err != nil {
		return nil, fmt.Errorf("git: clone %s: %w", url, err)
	}
	return newRepo(r, o, url)
}

// CloneFiles clones the default branch of url with its files into dir
// (one commit deep): the published reports.
func CloneFiles(ctx context.Context, url, dir string) error {
	_, err := gogit.PlainCloneContext(ctx, dir, false, &gogit.CloneOptions{URL: url, Depth: 1, Auth: auth()})
	if err != nil {
		return fmt.Errorf("git: clone %s: %w", url, err)
	}
	return nil
}

func auth() transport.AuthMethod {
	if tok := os.Getenv("GIT_TOKEN"); tok != "" {
		user := os.Getenv("GIT_USERNAME")
		if user == "" {
			user = "git"
		}
		return &githttp.BasicAuth{Username: user, Password: tok}
	}
	return nil
}

func newRepo(r *gogit.Repository, o Options, src string) (*Repo, error) {
	g := &Repo{r: r, o: o, tags: map[plumbing.Hash][]string{}, Source: src}
	refs, err := r.Tags()
	if err != nil {
		return nil, fmt.Errorf("git: tags: %w", err)
	}
	err = refs.ForEach(func(ref *plumbing.Reference) error {
		h := ref.Hash()
		if t, err := r.TagObject(h); err == nil { // annotated
			c, err := t.Commit()
			if err != nil {
				return nil
			}
			h = c.Hash
		}
		g.tags[h] = append(g.tags[h], ref.Name().Short())
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("git: tags: %w", err)
	}
	for _, ts := range g.tags {
		sort.Strings(ts)
	}
	return g, nil
}

// commit resolves rev (a full or short hash, a tag, a branch).
func (g *Repo) commit(rev string) (*object.Commit, error) {
	if rev == "" {
		return nil, fmt.Errorf("empty revision: %w", dora.ErrRevisionNotFound)
	}
	h, err := g.r.ResolveRevision(plumbing.Revision(rev))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rev, dora.ErrRevisionNotFound)
	}
	c, err := g.r.CommitObject(*h)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rev, dora.ErrRevisionNotFound)
	}
	return c, nil
}

// Tags are the tags pointing at revision.
func (g *Repo) Tags(revision string) []string {
	c, err := g.commit(revision)
	if err != nil {
		return nil
	}
	return g.tags[c.Hash]
}

// IsAncestor reports whether a is a strict ancestor of b.
func (g *Repo) IsAncestor(a, b string) (bool, error) {
	ca, err := g.commit(a)
	if err != nil {
		return false, err
	}
	cb, err := g.commit(b)
	if err != nil {
		return false, err
	}
	if ca.Hash == cb.Hash {
		return false, nil
	}
	return ca.IsAncestor(cb)
}

// reachable is every commit reachable from c.
func (g *Repo) reachable(c *object.Commit) (map[plumbing.Hash]bool, error) {
	seen := map[plumbing.Hash]bool{}
	err := object.NewCommitPreorderIter(c, nil, nil).ForEach(func(x *object.Commit) error {
		seen[x.Hash] = true
		return nil
	})
	if err != nil && !errors.Is(err, storer.ErrStop) {
		return nil, err
	}
	return seen, nil
}

// Changes are the changes of to that from does not have, oldest first.
func (g *Repo) Changes(from, to string) ([]dora.Change, error) {
	cf, err := g.commit(from)
	if err != nil {
		return nil, err
	}
	ct, err := g.commit(to)
	if err != nil {
		return nil, err
	}
	old, err := g.reachable(cf)
	if err != nil {
		return nil, fmt.Errorf("git: walk %s: %w", from, err)
	}
	// The first-parent line of to, down to what from has.
	var line []*object.Commit
	for c := ct; c != nil && !old[c.Hash]; {
		line = append(line, c)
		if c.NumParents() == 0 {
			break
		}
		p, err := c.Parent(0)
		if err != nil {
			return nil, fmt.Errorf("git: parent of %s: %w", c.Hash, err)
		}
		c = p
	}
	claimed := map[plumbing.Hash]bool{}
	for _, c := range line {
		claimed[c.Hash] = true
	}
	var out []dora.Change
	for i := len(line) - 1; i >= 0; i-- {
		head := line[i]
		members := []*object.Commit{head}
		// The merged branches: every commit reachable from the other
		// parents that from and older changes do not have.
		var queue []*object.Commit
		for j := 1; j < head.NumParents(); j++ {
			p, err := head.Parent(j)
			if err != nil {
				return nil, fmt.Errorf("git: parent of %s: %w", head.Hash, err)
			}
			queue = append(queue, p)
		}
		for len(queue) > 0 {
			c := queue[0]
			queue = queue[1:]
			if old[c.Hash] || claimed[c.Hash] {
				continue
			}
			claimed[c.Hash] = true
			members = append(members, c)
			err := c.Parents().ForEach(func(p *object.Commit) error {
				queue = append(queue, p)
				return nil
			})
			if err != nil {
				return nil, fmt.Errorf("git: parents of %s: %w", c.Hash, err)
			}
		}
		ok, err := g.touches(head)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		ch := dora.Change{Head: head.Hash.String(), Subject: subject(head.Message), Merge: head.NumParents() > 1, Commits: len(members)}
		for _, m := range members {
			t := g.when(m)
			if ch.First.IsZero() || t.Before(ch.First) {
				ch.First, ch.FirstCommit = t, m.Hash.String()
			}
		}
		out = append(out, ch)
	}
	return out, nil
}

func (g *Repo) when(c *object.Commit) time.Time {
	if g.o.CommitterTime {
		return c.Committer.When
	}
	return c.Author.When
}

// touches reports whether c's diff against its first parent touches the
// paths (always true without paths).
func (g *Repo) touches(c *object.Commit) (bool, error) {
	if len(g.o.Paths) == 0 {
		return true, nil
	}
	tree, err := c.Tree()
	if err != nil {
		return false, fmt.Errorf("git: tree of %s: %w", c.Hash, err)
	}
	var parent *object.Tree
	if c.NumParents() > 0 {
		p, err := c.Parent(0)
		if err != nil {
			return false, fmt.Errorf("git: parent of %s: %w", c.Hash, err)
		}
		if parent, err = p.Tree(); err != nil {
			return false, fmt.Errorf("git: tree of %s: %w", p.Hash, err)
		}
	}
	changes, err := object.DiffTree(parent, tree)
	if err != nil {
		return false, fmt.Errorf("git: diff %s: %w", c.Hash, err)
	}
	for _, ch := range changes {
		for _, name := range []string{ch.From.Name, ch.To.Name} {
			if name != "" && g.inPaths(name) {
				return true, nil
			}
		}
	}
	return false, nil
}

func (g *Repo) inPaths(name string) bool {
	for _, p := range g.o.Paths {
		if name == strings.TrimSuffix(p, "/") || strings.HasPrefix(name, strings.TrimSuffix(p, "/")+"/") {
			return true
		}
	}
	return false
}

func subject(msg string) string {
	s, _, _ := strings.Cut(strings.TrimSpace(msg), "\n")
	return s
}
