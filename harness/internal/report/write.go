package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
)

// Render renders every file of the report, by file name.
func Render(r *Report) (map[string][]byte, error) {
	out := map[string][]byte{}
	for name, render := range map[string]func(*Report) ([]byte, error){
		FileJSON: JSON, FileMD: Markdown, FileHTML: HTML, FileJUnit: JUnit,
	} {
		b, err := render(r)
		if err != nil {
			return nil, fmt.Errorf("report: render %s: %w", name, err)
		}
		out[name] = b
	}
	return out, nil
}

// JSON is report.json.
func JSON(r *Report) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

var safeName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// Dir is the directory of a run's report: <root>/<suite>/<run-id>.
func Dir(root, suite, runID string) (string, error) {
	for what, v := range map[string]string{"suite": suite, "run id": runID} {
		if !safeName.MatchString(v) {
			return "", fmt.Errorf("report: %s %q: use letters, digits, '.', '_' and '-' only", what, v)
		}
	}
	return filepath.Join(root, suite, runID), nil
}

// Write renders r and writes its four files into dir atomically. A new
// directory is assembled beside dir and renamed into place, so dir either
// does not exist or holds the whole report; an existing dir has each file
// replaced atomically. It returns the paths written, by file name.
func Write(dir string, r *Report) (map[string]string, error) {
	files, err := Render(r)
	if err != nil {
		return nil, err
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	paths := map[string]string{}
	for name := range files {
		paths[name] = filepath.Join(dir, name)
	}
	if _, err := os.Stat(dir); err == nil {
		for name, b := range files {
			if err := WriteFile(paths[name], b); err != nil {
				return nil, err
			}
		}
		return paths, nil
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	for name, b := range files {
		if err := writeSynced(filepath.Join(tmp, name), b); err != nil {
			return nil, err
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if err := syncDir(tmp); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	return paths, syncDir(parent)
}

// WriteFile writes b to path atomically: a temporary file in the same
// directory, fsync, rename over path, fsync of the directory.
func WriteFile(path string, b []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op once renamed
	if err := finish(f, b); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return syncDir(dir)
}

func writeSynced(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return finish(f, b)
}

func finish(f *os.File, b []byte) error {
	_, err := f.Write(b)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("report: write %s: %w", f.Name(), err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("report: sync %s: %w", dir, err)
	}
	return nil
}
