package gitops

import (
	"cmp"
	"context"
	"fmt"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"

	"github.com/gamedayhq/gameday/harness/internal/secret"
)

// Read fetches the branch's tip (depth 1, into memory: nothing is written
// to disk) and calls read with its tree, read-only: what read writes to
// the Tree is never committed. A new repository or branch is an empty
// tree and commit "". One fetch, no retry: the caller bounds it with ctx
// (and Timeout, default 5 min) and decides what a failure means.
func (r Remote) Read(ctx context.Context, read func(t *Tree) error) (commit string, err error) {
	if err := CheckURL(r.URL); err != nil {
		return "", err
	}
	r.Branch = cmp.Or(r.Branch, DefaultBranch)
	var red secret.Redactor
	red.Add(r.Auth.Token)
	ctx, cancel := context.WithTimeout(ctx, cmp.Or(r.Timeout, DefaultTimeout))
	defer cancel()
	repo, err := gogit.Init(memory.NewStorage(), nil)
	if err != nil {
		return "", err
	}
	if _, err := repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{r.URL}}); err != nil {
		return "", err
	}
	tip, _, err := r.fetchTip(ctx, repo)
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", r.URL, r.Branch, red.Error(err))
	}
	var tree *object.Tree
	if tip != nil {
		if tree, err = tip.Tree(); err != nil {
			return "", fmt.Errorf("tip %s: %w", tip.Hash, err)
		}
		commit = tip.Hash.String()
	}
	return commit, read(newTree(tree))
}
