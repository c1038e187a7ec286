package publish

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/gamedayhq/gameday/harness/internal/gitops"
)

// RestoreOptions of Restore: the repository and folder runs are published
// to, and the reports tree they are restored into.
type RestoreOptions struct {
	Remote     gitops.Remote
	Path       string // default DefaultPath
	ReportsDir string
}

// Restored says what Restore did.
type Restored struct {
	// Commit is the tip read ("" when the branch is new).
	Commit string
	// Runs are the run folders written (<suite>/<run-id>); Present counts
	// the published runs the reports tree already had.
	Runs    []string
	Present int
}

// Restore copies every published run (Kind run in the index) that the
// reports tree lacks into it, at the path it was published from, with the
// files it was published with (not run.yaml, which publish writes): a
// scheduler whose reports tree is new (a pod's emptyDir) gets back the
// history it published. A folder the tree has is left as it is (the tree
// is the source of truth). Each folder appears whole or not at all: it is
// written under a dot name (which the history skips) and renamed.
func Restore(ctx context.Context, o RestoreOptions) (Restored, error) {
	o.Path = strings.Trim(cmp.Or(o.Path, DefaultPath), "/")
	var res Restored
	commit, err := o.Remote.Read(ctx, func(t *gitops.Tree) error {
		idx, err := readIndex(t, o.Path)
		if err != nil {
			return err
		}
		for _, e := range idx.Reports {
			if e.Kind != KindRun {
				continue
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if !localRun(e.Path) {
				return fmt.Errorf("index %s: %q is not a folder <suite>/<run-id>", o.Path+"/"+IndexFile, e.Path)
			}
			dest := filepath.Join(o.ReportsDir, filepath.FromSlash(e.Path))
			if _, err := os.Lstat(dest); err == nil {
				res.Present++
				continue
			}
			if err := restoreRun(t, o.Path+"/"+e.Path, dest); err != nil {
				return err
			}
			res.Runs = append(res.Runs, e.Path)
		}
		return nil
	})
	res.Commit = commit
	if err != nil {
		return res, fmt.Errorf("restore: %w", err)
	}
	return res, nil
}

// localRun: p is <suite>/<run-id>, neither starting with a dot, nothing
// that could lead out of the reports tree.
func localRun(p string) bool {
	suite, run, ok := strings.Cut(p, "/")
	return ok && filepath.IsLocal(p) && path.Clean(p) == p && suite != "" && run != "" &&
		!strings.Contains(run, "/") && !strings.HasPrefix(suite, ".") && !strings.HasPrefix(run, ".")
}

// restoreRun writes the files of the folder src of t into dest.
func restoreRun(t *gitops.Tree, src, dest string) error {
	files, err := t.Files(src)
	if err != nil {
		return err
	}
	parent := filepath.Dir(dest)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, ".restore-"+filepath.Base(dest)+"-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp) // gone once renamed
	root, err := os.OpenRoot(tmp)
	if err != nil {
		return err
	}
	defer root.Close()
	total := 0
	for _, f := range files {
		name := strings.TrimPrefix(f, src+"/")
		if name == RunManifest {
			continue
		}
		b, err := t.Read(f)
		if err != nil {
			return err
		}
		if len(b) > maxFile {
			return fmt.Errorf("%s: %d bytes, over the %d MiB a report file may have", f, len(b), maxFile>>20)
		}
		if total += len(b); total > maxFolder {
			return fmt.Errorf("%s: over %d MiB", src, maxFolder>>20)
		}
		if dir := path.Dir(name); dir != "." {
			if err := root.MkdirAll(dir, 0o755); err != nil {
				return err
			}
		}
		if err := root.WriteFile(name, b, 0o644); err != nil {
			return fmt.Errorf("%s: %w", dest, err)
		}
	}
	// As report.Write leaves a run's folder (MkdirTemp makes it 0700).
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	return os.Rename(tmp, dest)
}
