package cli

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/report"
)

// syncGenerated brings generated files under root up to date: it writes
// each of files (path relative to root → content) that differs and removes
// stale (files of a generator whose source is gone). With check it changes
// nothing. It returns the paths that differ (or were removed); what names
// the command in errors.
func syncGenerated(w io.Writer, what, root string, files map[string][]byte, stale []string, check bool) ([]string, error) {
	var changed []string
	for _, p := range slices.Sorted(maps.Keys(files)) {
		full := filepath.Join(root, p)
		if old, err := os.ReadFile(full); err == nil && bytes.Equal(old, files[p]) {
			continue
		}
		changed = append(changed, p)
		if check {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return nil, exitcode.Infraf("%s: %w", what, err)
		}
		if err := report.WriteFile(full, files[p]); err != nil {
			return nil, exitcode.Infraf("%s: %w", what, err)
		}
		fmt.Fprintf(w, "wrote    %s\n", p)
	}
	for _, p := range stale {
		changed = append(changed, p)
		if !check {
			if err := os.Remove(filepath.Join(root, p)); err != nil {
				return nil, exitcode.Infraf("%s: %w", what, err)
			}
			fmt.Fprintf(w, "removed  %s\n", p)
		}
	}
	return changed, nil
}
