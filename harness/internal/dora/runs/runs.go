// Package runs is the dora.RunSource of the run history (internal/history):
// the game days of a reports tree as its index holds them, the one record
// of runs that gameday history, the web UI and the cost report read too.
package runs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strings"

	"github.com/gamedayhq/gameday/harness/internal/dora"
	"github.com/gamedayhq/gameday/harness/internal/history"
	"github.com/gamedayhq/gameday/harness/internal/report"
)

// Tree reads the run history of the reports tree at Root.
type Tree struct{ Root string }

var _ dora.RunSource = Tree{}

// Runs lists every run of the history, oldest first, after bringing its
// index in line with the tree. A missing Root is no runs; a report.json the
// history skipped is a warning naming it.
func (t Tree) Runs(ctx context.Context) ([]dora.Run, []string, error) {
	if _, err := os.Stat(t.Root); errors.Is(err, fs.ErrNotExist) {
		return nil, []string{fmt.Sprintf("reports tree %s does not exist: no game days read", t.Root)}, nil
	}
	s, err := history.Open(t.Root, history.Options{Reader: true, Warn: io.Discard})
	if err != nil {
		return nil, nil, fmt.Errorf("runs: %w", err)
	}
	defer s.Close()
	all, warnings, err := s.All(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("runs: %w", err)
	}
	out := make([]dora.Run, 0, len(all))
	for i := range all {
		r := &all[i]
		suite := r.Suite
		if suite == "" {
			suite, _, _ = strings.Cut(r.Dir, "/")
		}
		out = append(out, dora.Run{Suite: suite, ID: r.RunID, Experiment: r.Experiment, Status: r.Status,
			Start: r.Start, End: r.End, Path: s.Path(r, report.FileJSON)})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out, warnings, nil
}
