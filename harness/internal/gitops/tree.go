package gitops

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// Tree is the files of the branch's tip as a Change sees them: reads see
// its own writes and removals first, then the tip. Paths are slash
// separated and relative to the repository's root.
type Tree struct {
	base    *object.Tree // nil: an empty branch
	files   map[string][]byte
	removed map[string]bool // files or folders, applied before files
}

func newTree(base *object.Tree) *Tree {
	return &Tree{base: base, files: map[string][]byte{}, removed: map[string]bool{}}
}

// clean checks p and returns it without a leading "./" or trailing "/".
func clean(p string) (string, error) {
	c := path.Clean(strings.TrimPrefix(p, "/"))
	if p == "" || c == "." || c == ".." || strings.HasPrefix(c, "../") || strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("path %q: want a path inside the repository", p)
	}
	for _, part := range strings.Split(c, "/") {
		if part == ".git" {
			return "", fmt.Errorf("path %q: .git is not a file of the tree", p)
		}
	}
	return c, nil
}

// Write sets the file at p (created with its folders, or replaced).
func (t *Tree) Write(p string, data []byte) error {
	c, err := clean(p)
	if err != nil {
		return err
	}
	t.files[c] = bytes.Clone(data)
	return nil
}

// RemoveAll removes the file or folder p, and what this change wrote
// under it so far; later writes under p add to it again.
func (t *Tree) RemoveAll(p string) error {
	c, err := clean(p)
	if err != nil {
		return err
	}
	for f := range t.files {
		if f == c || strings.HasPrefix(f, c+"/") {
			delete(t.files, f)
		}
	}
	t.removed[c] = true
	return nil
}

// isRemoved reports whether p is under something removed.
func (t *Tree) isRemoved(p string) bool {
	for {
		if t.removed[p] {
			return true
		}
		i := strings.LastIndexByte(p, '/')
		if i < 0 {
			return false
		}
		p = p[:i]
	}
}

// Read returns the file at p, or an error wrapping fs.ErrNotExist.
func (t *Tree) Read(p string) ([]byte, error) {
	c, err := clean(p)
	if err != nil {
		return nil, err
	}
	if b, ok := t.files[c]; ok {
		return bytes.Clone(b), nil
	}
	if t.base == nil || t.isRemoved(c) {
		return nil, fmt.Errorf("%s: %w", c, fs.ErrNotExist)
	}
	f, err := t.base.File(c)
	if errors.Is(err, object.ErrFileNotFound) || errors.Is(err, object.ErrDirectoryNotFound) || errors.Is(err, object.ErrEntryNotFound) {
		return nil, fmt.Errorf("%s: %w", c, fs.ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c, err)
	}
	r, err := f.Reader()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c, err)
	}
	defer r.Close()
	return io.ReadAll(r)
}

// Files lists every file under the folder dir ("" or "." for all), sorted,
// as the tree is with this change's edits.
func (t *Tree) Files(dir string) ([]string, error) {
	prefix := ""
	if dir != "" && dir != "." {
		c, err := clean(dir)
		if err != nil {
			return nil, err
		}
		prefix = c + "/"
	}
	set := map[string]bool{}
	if t.base != nil {
		sub := t.base
		if prefix != "" {
			var err error
			sub, err = t.base.Tree(strings.TrimSuffix(prefix, "/"))
			if err != nil {
				sub = nil // no such folder at the tip
			}
		}
		if sub != nil {
			err := sub.Files().ForEach(func(f *object.File) error {
				if p := prefix + f.Name; !t.isRemoved(p) {
					set[p] = true
				}
				return nil
			})
			if err != nil {
				return nil, err
			}
		}
	}
	for f := range t.files {
		if strings.HasPrefix(f, prefix) {
			set[f] = true
		}
	}
	out := make([]string, 0, len(set))
	for f := range set {
		out = append(out, f)
	}
	sort.Strings(out)
	return out, nil
}

// build writes the tree objects of base with the edits applied into s and
// returns the root tree's hash. Folders nothing touched keep their hash:
// a change to one report rewrites the trees on its path only.
func (t *Tree) build(s storer.EncodedObjectStorer) (plumbing.Hash, error) {
	h, _, err := t.buildDir(s, t.base, "")
	return h, err
}

// buildDir builds the folder dir (base: its tree at the tip, nil when new
// or removed) and reports whether it is empty (git has no empty folders).
func (t *Tree) buildDir(s storer.EncodedObjectStorer, base *object.Tree, dir string) (plumbing.Hash, bool, error) {
	join := func(name string) string {
		if dir == "" {
			return name
		}
		return dir + "/" + name
	}
	if dir != "" && t.removed[dir] {
		base = nil
	}
	// What is edited below dir, by the name of its first element.
	subdirs := map[string]bool{}
	files := map[string][]byte{}
	prefix := ""
	if dir != "" {
		prefix = dir + "/"
	}
	for f, data := range t.files {
		if !strings.HasPrefix(f, prefix) {
			continue
		}
		rest := f[len(prefix):]
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			subdirs[rest[:i]] = true
		} else {
			files[rest] = data
		}
	}
	for r := range t.removed {
		if strings.HasPrefix(r, prefix) {
			rest := r[len(prefix):]
			if i := strings.IndexByte(rest, '/'); i >= 0 {
				subdirs[rest[:i]] = true
			}
		}
	}

	var entries []object.TreeEntry
	seen := map[string]bool{}
	if base != nil {
		for _, e := range base.Entries {
			name := e.Name
			switch _, replaced := files[name]; {
			case replaced: // a file written over it, below
			case e.Mode == filemode.Dir && (subdirs[name] || t.removed[join(name)]):
				seen[name] = true
				sub, err := base.Tree(name)
				if err != nil {
					return plumbing.ZeroHash, false, fmt.Errorf("%s: %w", join(name), err)
				}
				h, empty, err := t.buildDir(s, sub, join(name))
				if err != nil {
					return plumbing.ZeroHash, false, err
				}
				if !empty {
					entries = append(entries, object.TreeEntry{Name: name, Mode: filemode.Dir, Hash: h})
				}
			case e.Mode == filemode.Dir:
				entries = append(entries, e)
			case t.removed[join(name)] || subdirs[name]: // a file removed, or a folder written over it
			default:
				entries = append(entries, e)
			}
		}
	}
	for name := range subdirs {
		if seen[name] {
			continue
		}
		h, empty, err := t.buildDir(s, nil, join(name))
		if err != nil {
			return plumbing.ZeroHash, false, err
		}
		if !empty {
			entries = append(entries, object.TreeEntry{Name: name, Mode: filemode.Dir, Hash: h})
		}
	}
	for name, data := range files {
		h, err := writeBlob(s, data)
		if err != nil {
			return plumbing.ZeroHash, false, fmt.Errorf("%s: %w", join(name), err)
		}
		entries = append(entries, object.TreeEntry{Name: name, Mode: filemode.Regular, Hash: h})
	}
	if len(entries) == 0 {
		if dir != "" {
			return plumbing.ZeroHash, true, nil
		}
	}
	// Git's order: names compared as if folders ended in "/".
	key := func(e object.TreeEntry) string {
		if e.Mode == filemode.Dir {
			return e.Name + "/"
		}
		return e.Name
	}
	sort.Slice(entries, func(i, j int) bool { return key(entries[i]) < key(entries[j]) })
	tree := &object.Tree{Entries: entries}
	o := s.NewEncodedObject()
	if err := tree.Encode(o); err != nil {
		return plumbing.ZeroHash, false, err
	}
	h, err := s.SetEncodedObject(o)
	return h, len(entries) == 0, err
}

func writeBlob(s storer.EncodedObjectStorer, data []byte) (plumbing.Hash, error) {
	o := s.NewEncodedObject()
	o.SetType(plumbing.BlobObject)
	o.SetSize(int64(len(data)))
	w, err := o.Writer()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if _, err := w.Write(data); err != nil {
		return plumbing.ZeroHash, err
	}
	if err := w.Close(); err != nil {
		return plumbing.ZeroHash, err
	}
	return s.SetEncodedObject(o)
}
