// Package publish commits reports to the GitOps repository that the Argo CD
// `reports` Application syncs (argocd/platform/apps/reports.yaml): each
// folder of the reports tree (a game day's <suite>/<run-id>/, the SLO
// report's slo/<environment>/, DORA's and cost's) is copied under Path with its
// files, a run gets a run.yaml ConfigMap (what Argo CD applies: kubectl -n
// gameday-reports get cm -l gameday.dev/report=true lists the game days),
// and Path/index.json plus Path/README.md index everything published.
//
// Publishing goes through package gitops: one commit for all the folders
// given, rebased onto whatever another publisher pushed meanwhile, none
// when everything is already there.
package publish

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gamedayhq/gameday/harness/internal/gitops"
	"github.com/gamedayhq/gameday/harness/internal/report"
)

// DefaultPath is the folder of the repository the reports go to (the
// reports Application's path).
const DefaultPath = "reports"

// Limits of what one folder may hold: reports are kilobytes to a few
// megabytes; anything far larger is a mistake, not a report.
const (
	maxFile   = 32 << 20
	maxFolder = 128 << 20
)

// RunManifest is the file of a run's ConfigMap, beside its reports.
const RunManifest = "run.yaml"

// Options of Publish.
type Options struct {
	Remote gitops.Remote
	// Path is the folder in the repository (default DefaultPath).
	Path string
	// ReportsDir is the root of the reports tree the folders are in; each
	// is published at its path relative to it.
	ReportsDir string
	// Dirs are the folders to publish: <suite>/<run-id> or <kind>/<name>,
	// as paths (absolute, or relative to the working directory).
	Dirs []string
}

// Result says what Publish did.
type Result struct {
	gitops.Result
	// Published are the entries of the folders given, as indexed.
	Published []Entry
	// Index is the index as committed (or as found, when nothing changed).
	Index Index
}

// A folder read from disk, ready to commit.
type folder struct {
	rel   string            // its path under Path, <a>/<b>
	files map[string][]byte // name → content (names may hold "/")
	entry Entry
}

// Publish reads every folder of o.Dirs (all of them, before anything is
// sent: a folder that cannot be read fails the whole publish) and commits
// them with the index.
func Publish(ctx context.Context, o Options) (Result, error) {
	o.Path = strings.Trim(cmp.Or(o.Path, DefaultPath), "/")
	if len(o.Dirs) == 0 {
		return Result{}, errors.New("publish: no folder to publish")
	}
	var folders []folder
	for _, d := range o.Dirs {
		f, err := readFolder(o.ReportsDir, d)
		if err != nil {
			return Result{}, fmt.Errorf("publish: %w", err)
		}
		folders = append(folders, f)
	}
	var res Result
	var idx Index
	change := func(t *gitops.Tree) (string, error) {
		var err error
		idx, err = readIndex(t, o.Path)
		if err != nil {
			return "", err
		}
		for _, f := range folders {
			dest := o.Path + "/" + f.rel
			if err := t.RemoveAll(dest); err != nil {
				return "", err
			}
			for name, data := range f.files {
				if err := t.Write(dest+"/"+name, data); err != nil {
					return "", err
				}
			}
			idx.put(f.entry)
		}
		if err := writeIndex(t, o.Path, idx); err != nil {
			return "", err
		}
		return message(folders), nil
	}
	r, err := o.Remote.Commit(ctx, change)
	res.Result = r
	if err != nil {
		return res, fmt.Errorf("publish: %w", err)
	}
	res.Index = idx
	for _, f := range folders {
		res.Published = append(res.Published, f.entry)
	}
	return res, nil
}

// message is the commit message: one folder on the subject line, or a
// count and a line per folder.
func message(folders []folder) string {
	line := func(f folder) string {
		if f.entry.Kind == KindRun {
			return fmt.Sprintf("%s (%s)", f.rel, f.entry.Status)
		}
		return f.rel
	}
	if len(folders) == 1 {
		return "reports: " + line(folders[0]) + "\n"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "reports: %d folders\n\n", len(folders))
	for _, f := range folders {
		fmt.Fprintf(&b, "- %s\n", line(f))
	}
	return b.String()
}

// readFolder reads dir, which must be a folder of the reports tree two
// levels below root (<suite>/<run-id>, slo/staging ...), holding regular
// files only (a symbolic link could publish anything on the machine).
func readFolder(root, dir string) (folder, error) {
	absRoot, err := filepath.Abs(cmp.Or(root, "."))
	if err != nil {
		return folder{}, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return folder{}, err
	}
	rel, err := filepath.Rel(absRoot, abs)
	rel = filepath.ToSlash(rel)
	if err != nil || strings.HasPrefix(rel, "..") || strings.Count(rel, "/") != 1 || strings.HasPrefix(path.Base(rel), ".") {
		return folder{}, fmt.Errorf("%s: not a folder <suite>/<run-id> (or <kind>/<name>) of the reports tree %s", dir, root)
	}
	f := folder{rel: rel, files: map[string][]byte{}}
	// Read through an os.Root of the folder: a link swapped in while it is
	// walked cannot lead outside it.
	fsRoot, err := os.OpenRoot(abs)
	if err != nil {
		return folder{}, err
	}
	defer fsRoot.Close()
	total := 0
	err = fs.WalkDir(fsRoot.FS(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		p := filepath.Join(dir, name)
		switch {
		case d.IsDir():
			return nil
		case !d.Type().IsRegular():
			return fmt.Errorf("%s: not a regular file (a link is never published)", p)
		case name == RunManifest:
			return nil // written from report.json below
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if fi.Size() > maxFile {
			return fmt.Errorf("%s: %d bytes, over the %d MiB a report file may have", p, fi.Size(), maxFile>>20)
		}
		b, err := fsRoot.ReadFile(name)
		if err != nil {
			return err
		}
		if total += len(b); total > maxFolder {
			return fmt.Errorf("%s: over %d MiB", dir, maxFolder>>20)
		}
		f.files[name] = b
		return nil
	})
	if err != nil {
		return folder{}, err
	}
	if len(f.files) == 0 {
		return folder{}, fmt.Errorf("%s: no file to publish", dir)
	}
	f.entry = Entry{Path: rel, Kind: kindOf(rel)}
	if b, ok := f.files[report.FileJSON]; ok {
		var head struct {
			SchemaVersion string `json:"schemaVersion"`
		}
		if json.Unmarshal(b, &head) != nil {
			return folder{}, fmt.Errorf("%s: %s is not valid JSON: a broken report is never published", dir, report.FileJSON)
		}
		if head.SchemaVersion == report.SchemaVersion {
			var r report.Report
			if err := json.Unmarshal(b, &r); err != nil {
				return folder{}, fmt.Errorf("%s: %s: %w", dir, report.FileJSON, err)
			}
			f.entry = runEntry(rel, &r)
		}
	}
	for name := range f.files {
		f.entry.Files = append(f.entry.Files, name)
	}
	if f.entry.Kind == KindRun {
		f.entry.Files = append(f.entry.Files, RunManifest)
		slices.Sort(f.entry.Files)
		if f.files[RunManifest], err = runManifest(f.entry, f.files[report.FileMD]); err != nil {
			return folder{}, err
		}
	}
	slices.Sort(f.entry.Files)
	return f, nil
}
