// Package gitops commits changes to a branch of a git repository with
// go-git (no git binary): the GitOps repository that Argo CD syncs (the
// published reports, an environment's image tag).
//
// A change is a function of the branch's tip, not a diff: each attempt
// fetches the tip, applies the change to its tree in memory, and pushes
// one commit on top of it. A push that loses a race (another publisher
// pushed first) fetches the new tip and applies the change again onto it,
// so concurrent writers never lose each other's files, within a bounded
// number of attempts. A change that leaves the tree as it is makes no
// commit (publishing twice is a no-op), and a commit is the whole change
// or nothing: the tree is complete before the commit exists, and the
// branch moves to it in one ref update.
package gitops

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"

	"github.com/gamedayhq/gameday/harness/internal/secret"
)

// Defaults of Remote.
const (
	DefaultBranch   = "main"
	DefaultAttempts = 5
	DefaultBackoff  = 250 * time.Millisecond
	maxBackoff      = 8 * time.Second
	// DefaultTimeout bounds one Commit, every attempt included.
	DefaultTimeout = 5 * time.Minute
)

// ErrNotCommitted is returned when every attempt failed (lost its race, or
// could not reach the remote): the change is not committed.
var ErrNotCommitted = errors.New("not committed")

// ChangeError is an error the Change returned: the change cannot be made
// on this tree, and no other attempt was made.
type ChangeError struct{ Err error }

func (e *ChangeError) Error() string { return e.Err.Error() }
func (e *ChangeError) Unwrap() error { return e.Err }

// Remote is a branch of a repository that changes are committed to.
type Remote struct {
	// URL is https://, http://, git://, file:// or a local path. It must
	// not carry a password (CheckURL): the credentials are in Auth.
	URL string
	// Branch is the branch committed to (default main); it is created
	// when the repository has no such branch yet.
	Branch string
	Auth   Credentials
	// Author of the commits (default gameday <gameday@users.noreply.github.com>).
	Author object.Signature
	// Attempts bounds the fetch-apply-push rounds (default 5); Backoff is
	// the first pause between two, doubled each time with jitter (default
	// 250 ms, at most 8 s); Timeout bounds the whole (default 5 min).
	Attempts int
	Backoff  time.Duration
	Timeout  time.Duration
	// Log receives a line per step (fetch, retry); nothing secret is in it.
	Log io.Writer
}

// A Change edits the tree of the branch's tip and returns the commit
// message. It is called once per attempt, each time on the tip fetched for
// that attempt, so it must compute its edits from what it reads in t (and
// its own inputs), never from a previous call.
type Change func(t *Tree) (message string, err error)

// Result says what Commit did.
type Result struct {
	// Commit is the commit pushed, or the tip when nothing changed.
	Commit string
	// Changed is false when the change left the tree as it was: no commit.
	Changed bool
	// Attempts is how many fetch-apply-push rounds it took.
	Attempts int
}

// Commit applies change to the branch and pushes one commit, retrying on
// a lost race as the package comment says.
func (r Remote) Commit(ctx context.Context, change Change) (Result, error) {
	if err := CheckURL(r.URL); err != nil {
		return Result{}, err
	}
	r.Branch = cmp.Or(r.Branch, DefaultBranch)
	r.Attempts = cmp.Or(r.Attempts, DefaultAttempts)
	r.Backoff = cmp.Or(r.Backoff, DefaultBackoff)
	r.Timeout = cmp.Or(r.Timeout, DefaultTimeout)
	r.Author.Name = cmp.Or(r.Author.Name, "gameday")
	r.Author.Email = cmp.Or(r.Author.Email, "gameday@users.noreply.github.com")
	var red secret.Redactor
	red.Add(r.Auth.Token)
	ctx, cancel := context.WithTimeout(ctx, r.Timeout)
	defer cancel()

	dir, err := os.MkdirTemp("", "gameday-gitops-")
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(dir)
	repo, err := gogit.PlainInit(dir, true)
	if err != nil {
		return Result{}, err
	}
	if _, err := repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{r.URL}}); err != nil {
		return Result{}, err
	}
	res := Result{}
	wait := r.Backoff
	for res.Attempts < r.Attempts {
		res.Attempts++
		var retry bool
		res, retry, err = r.attempt(ctx, repo, change, res)
		if err == nil || !retry {
			return res, red.Error(err)
		}
		if res.Attempts == r.Attempts {
			break
		}
		// #nosec G404 -- jitter that makes two racers drift apart, not a secret
		d := wait/2 + rand.N(wait)
		r.logf("%s: attempt %d: %v; fetching the new tip in %s", r.Branch, res.Attempts, red.Error(err), d.Round(time.Millisecond))
		select {
		case <-ctx.Done():
			return res, fmt.Errorf("%s %s: %w (after %d attempts: %v)", r.URL, r.Branch, context.Cause(ctx), res.Attempts, red.Error(err))
		case <-time.After(d):
		}
		wait = min(2*wait, maxBackoff)
	}
	return res, fmt.Errorf("%s %s: %w after %d attempts, the last: %v", r.URL, r.Branch, ErrNotCommitted, res.Attempts, red.Error(err))
}

func (r Remote) logf(format string, a ...any) {
	if r.Log != nil {
		fmt.Fprintf(r.Log, "gitops: "+format+"\n", a...)
	}
}

// tipRef is where the fetched tip is kept; pushRef the commit to push.
const (
	tipRef  = plumbing.ReferenceName("refs/remotes/origin/tip")
	pushRef = plumbing.ReferenceName("refs/heads/gameday-change")
)

// attempt is one round: fetch the tip, apply, push. retry says whether a
// failure may pass on another round (a lost race, the network), not a
// refusal that would fail again (authentication, a bad change).
func (r Remote) attempt(ctx context.Context, repo *gogit.Repository, change Change, res Result) (Result, bool, error) {
	branch := plumbing.NewBranchReferenceName(r.Branch)
	base, retry, err := r.fetchTip(ctx, repo)
	if err != nil {
		return res, retry, err
	}

	var baseTree *object.Tree
	if base != nil {
		if baseTree, err = base.Tree(); err != nil {
			return res, false, fmt.Errorf("tip %s: %w", base.Hash, err)
		}
	}
	t := newTree(baseTree)
	msg, err := change(t)
	if err != nil {
		return res, false, &ChangeError{err}
	}
	treeHash, err := t.build(repo.Storer)
	if err != nil {
		return res, false, fmt.Errorf("build the tree: %w", err)
	}
	if baseTree != nil && treeHash == baseTree.Hash {
		res.Commit, res.Changed = base.Hash.String(), false
		return res, false, nil
	}

	now := time.Now()
	author := r.Author
	author.When = now
	c := &object.Commit{Author: author, Committer: author, Message: msg, TreeHash: treeHash}
	if base != nil {
		c.ParentHashes = []plumbing.Hash{base.Hash}
	}
	o := repo.Storer.NewEncodedObject()
	if err := c.Encode(o); err != nil {
		return res, false, err
	}
	h, err := repo.Storer.SetEncodedObject(o)
	if err != nil {
		return res, false, err
	}
	if err := repo.Storer.SetReference(plumbing.NewHashReference(pushRef, h)); err != nil {
		return res, false, err
	}
	err = repo.PushContext(ctx, &gogit.PushOptions{
		RemoteName: "origin",
		RefSpecs:   []config.RefSpec{config.RefSpec(pushRef.String() + ":" + branch.String())},
		Auth:       r.Auth.auth(),
	})
	if err != nil {
		return res, retryable(err), fmt.Errorf("push %s: %w", r.Branch, oneLine{err})
	}
	res.Commit, res.Changed = h.String(), true
	return res, false, nil
}

// fetchTip fetches the branch's tip (depth 1) into repo and returns its
// commit: nil when the repository or the branch is new (no error). retry
// says whether a failure may pass on another round.
func (r Remote) fetchTip(ctx context.Context, repo *gogit.Repository) (*object.Commit, bool, error) {
	branch := plumbing.NewBranchReferenceName(r.Branch)
	err := repo.FetchContext(ctx, &gogit.FetchOptions{
		RemoteName: "origin",
		RefSpecs:   []config.RefSpec{config.RefSpec("+" + branch.String() + ":" + tipRef.String())},
		Depth:      1,
		Auth:       r.Auth.auth(),
		Tags:       gogit.NoTags,
		Force:      true,
	})
	var noMatch gogit.NoMatchingRefSpecError
	switch {
	case errors.As(err, &noMatch), errors.Is(err, transport.ErrEmptyRemoteRepository):
		// A new repository or branch: the first commit has no parent.
		if err := repo.Storer.RemoveReference(tipRef); err != nil {
			return nil, false, err
		}
		return nil, false, nil
	case err != nil && !errors.Is(err, gogit.NoErrAlreadyUpToDate):
		return nil, retryable(err), fmt.Errorf("fetch %s: %w", r.Branch, oneLine{err})
	}
	ref, err := repo.Reference(tipRef, true)
	if err != nil {
		return nil, false, fmt.Errorf("fetch %s: %w", r.Branch, err)
	}
	base, err := repo.CommitObject(ref.Hash())
	if err != nil {
		return nil, false, fmt.Errorf("tip %s: %w", ref.Hash(), err)
	}
	return base, false, nil
}

// oneLine is an error of the remote on one line: go-git appends the body
// of an HTTP error answer as the server sent it ("unauthorized\n").
type oneLine struct{ err error }

func (e oneLine) Error() string { return strings.Join(strings.Fields(e.err.Error()), " ") }
func (e oneLine) Unwrap() error { return e.err }

// retryable: anything but a refusal that another round would meet again.
func retryable(err error) bool {
	switch {
	case errors.Is(err, transport.ErrAuthenticationRequired), errors.Is(err, transport.ErrAuthorizationFailed),
		errors.Is(err, transport.ErrRepositoryNotFound), errors.Is(err, transport.ErrInvalidAuthMethod),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return false
	}
	return !strings.Contains(err.Error(), "unsupported scheme")
}
