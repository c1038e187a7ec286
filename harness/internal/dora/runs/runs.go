// Package runs is the dora.RunSource of a reports tree: every
// <root>/<suite>/<run-id>/report.json that gameday run and gate write,
// read directly (only the fields the DORA report needs, so that new fields
// of the report schema change nothing here). The run history index of
// internal/history can replace it behind the same interface.
package runs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/dora"
)

// Tree reads the reports tree at Root.
type Tree struct{ Root string }

var _ dora.RunSource = Tree{}

// record is the part of report.json the DORA report reads.
type record struct {
	SchemaVersion string `json:"schemaVersion"`
	RunID         string `json:"runID"`
	Suite         string `json:"suite"`
	Experiment    struct {
		Name string `json:"name"`
	} `json:"experiment"`
	Timings struct {
		Start time.Time `json:"start"`
		End   time.Time `json:"end"`
	} `json:"timings"`
	Verdict struct {
		Status string `json:"status"`
	} `json:"verdict"`
}

// Runs reads every report.json two levels under Root, oldest first. A
// missing Root is no runs; an unreadable report is a warning naming it.
func (t Tree) Runs(ctx context.Context) ([]dora.Run, []string, error) {
	if _, err := os.Stat(t.Root); errors.Is(err, fs.ErrNotExist) {
		return nil, []string{fmt.Sprintf("reports tree %s does not exist: no game days read", t.Root)}, nil
	}
	paths, err := filepath.Glob(filepath.Join(t.Root, "*", "*", "report.json"))
	if err != nil {
		return nil, nil, fmt.Errorf("runs: %w", err)
	}
	var out []dora.Run
	var warnings []string
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("%s: %v", p, err))
			continue
		}
		var r record
		if err := json.Unmarshal(b, &r); err != nil {
			warnings = append(warnings, fmt.Sprintf("%s: not a report: %v", p, err))
			continue
		}
		if r.Timings.Start.IsZero() || r.Verdict.Status == "" {
			warnings = append(warnings, fmt.Sprintf("%s: no timings.start or verdict.status: not a game-day report", p))
			continue
		}
		suite := r.Suite
		if suite == "" {
			suite = filepath.Base(filepath.Dir(filepath.Dir(p)))
		}
		out = append(out, dora.Run{Suite: suite, ID: r.RunID, Experiment: r.Experiment.Name, Status: r.Verdict.Status,
			Start: r.Timings.Start, End: r.Timings.End, Path: p})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out, warnings, nil
}
