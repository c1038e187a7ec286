package publish

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/gitops"
	"github.com/gamedayhq/gameday/harness/internal/report"
)

// IndexSchema is the version of index.json.
const IndexSchema = "gameday.dev/published-index/v1"

// The files of the index, in Path.
const (
	IndexFile  = "index.json"
	ReadmeFile = "README.md"
)

// Kinds of published folders.
const (
	KindRun = "run" // a game day: report.json of gameday.dev/report/v1
	// The reports of the commands that write into <kind>/<name>/.
	KindSLO    = "slo"
	KindDORA   = "dora"
	KindCost   = "cost"
	KindReport = "report" // any other folder
)

// kindOf is the kind of a folder that is not a run, by its first element.
func kindOf(rel string) string {
	first, _, _ := strings.Cut(rel, "/")
	if slices.Contains([]string{KindSLO, KindDORA, KindCost}, first) {
		return first
	}
	return KindReport
}

// Entry is one published folder.
type Entry struct {
	// Path is the folder relative to the index (<suite>/<run-id>).
	Path  string   `json:"path"`
	Kind  string   `json:"kind"`
	Files []string `json:"files"`
	// A run's figures (Kind run).
	RunID          string     `json:"runID,omitempty"`
	Suite          string     `json:"suite,omitempty"`
	Experiment     string     `json:"experiment,omitempty"`
	Target         string     `json:"target,omitempty"`
	Status         string     `json:"status,omitempty"`
	ExitCode       int        `json:"exitCode,omitempty"`
	Score          float64    `json:"score,omitempty"`
	BudgetConsumed float64    `json:"budgetConsumed,omitempty"`
	Start          *time.Time `json:"start,omitempty"`
	End            *time.Time `json:"end,omitempty"`
}

func runEntry(rel string, r *report.Report) Entry {
	e := Entry{Path: rel, Kind: KindRun, RunID: r.RunID, Suite: r.Suite, Experiment: r.Experiment.Name, Target: r.Target.Kind,
		Status: string(r.Verdict.Status), ExitCode: r.ExitCode, Score: r.Verdict.Score.Percent, BudgetConsumed: r.Verdict.Budget.Consumed}
	if !r.Timings.Start.IsZero() {
		s := r.Timings.Start.UTC()
		e.Start = &s
	}
	if !r.Timings.End.IsZero() {
		s := r.Timings.End.UTC()
		e.End = &s
	}
	return e
}

// Index is everything published under Path.
type Index struct {
	SchemaVersion string  `json:"schemaVersion"`
	Reports       []Entry `json:"reports"`
}

// put adds e, or replaces the entry of the same path; entries stay sorted
// by path, so the file is the same whoever writes it.
func (x *Index) put(e Entry) {
	i, found := slices.BinarySearchFunc(x.Reports, e.Path, func(a Entry, p string) int { return strings.Compare(a.Path, p) })
	if found {
		x.Reports[i] = e
		return
	}
	x.Reports = slices.Insert(x.Reports, i, e)
}

// Previous is the newest run before e of the same experiment, suite and
// target (nil: none published).
func (x Index) Previous(e Entry) *Entry {
	var prev *Entry
	for i := range x.Reports {
		p := &x.Reports[i]
		if p.Kind != KindRun || p.Path == e.Path || p.Experiment != e.Experiment || p.Suite != e.Suite || p.Target != e.Target ||
			p.Start == nil || e.Start == nil || !p.Start.Before(*e.Start) {
			continue
		}
		if prev == nil || p.Start.After(*prev.Start) {
			prev = p
		}
	}
	return prev
}

// readIndex reads dir/index.json of the tip. Without one (a repository
// the publisher has never written, or one the shell publisher filled), or
// with one that does not decode, it is rebuilt from the folders in the
// tree, so the index never loses a report that is there.
func readIndex(t *gitops.Tree, dir string) (Index, error) {
	b, err := t.Read(dir + "/" + IndexFile)
	if err == nil {
		var x Index
		if json.Unmarshal(b, &x) == nil && x.SchemaVersion == IndexSchema {
			slices.SortFunc(x.Reports, func(a, b Entry) int { return strings.Compare(a.Path, b.Path) })
			return x, nil
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return Index{}, err
	}
	return rebuildIndex(t, dir)
}

// rebuildIndex indexes every folder two levels below dir.
func rebuildIndex(t *gitops.Tree, dir string) (Index, error) {
	x := Index{SchemaVersion: IndexSchema}
	files, err := t.Files(dir)
	if err != nil {
		return x, err
	}
	folders := map[string][]string{}
	for _, f := range files {
		rel := strings.TrimPrefix(f, dir+"/")
		parts := strings.SplitN(rel, "/", 3)
		if len(parts) < 3 {
			continue // the index itself, a README
		}
		key := parts[0] + "/" + parts[1]
		folders[key] = append(folders[key], parts[2])
	}
	for rel, names := range folders {
		e := Entry{Path: rel, Kind: kindOf(rel), Files: names}
		if slices.Contains(names, report.FileJSON) {
			if b, err := t.Read(dir + "/" + rel + "/" + report.FileJSON); err == nil {
				var r report.Report
				if json.Unmarshal(b, &r) == nil && r.SchemaVersion == report.SchemaVersion {
					e = runEntry(rel, &r)
					e.Files = names
				}
			}
		}
		x.put(e)
	}
	return x, nil
}

// writeIndex writes dir/index.json and dir/README.md.
func writeIndex(t *gitops.Tree, dir string, x Index) error {
	x.SchemaVersion = IndexSchema
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(x); err != nil {
		return err
	}
	if err := t.Write(dir+"/"+IndexFile, b.Bytes()); err != nil {
		return err
	}
	return t.Write(dir+"/"+ReadmeFile, readme(x))
}

// ReadmeRuns is how many runs README.md lists (index.json has them all).
const ReadmeRuns = 100

// readme renders the index for a person browsing the repository: the
// newest runs first, then the other reports. It depends on the index only,
// so two publishers of the same index write the same bytes.
func readme(x Index) []byte {
	var runs, others []Entry
	for _, e := range x.Reports {
		if e.Kind == KindRun {
			runs = append(runs, e)
		} else {
			others = append(others, e)
		}
	}
	slices.SortStableFunc(runs, func(a, b Entry) int {
		switch {
		case a.Start == nil || b.Start == nil:
			return strings.Compare(b.Path, a.Path)
		case a.Start.Equal(*b.Start):
			return strings.Compare(b.Path, a.Path)
		case a.Start.After(*b.Start):
			return -1
		}
		return 1
	})
	var b strings.Builder
	b.WriteString("# Game-day reports\n\n")
	b.WriteString("Published by `gameday publish` (harness/internal/publish); do not edit: every publish rewrites this\n")
	b.WriteString("file from `index.json`, the machine-readable index of every folder here.\n\n")
	counts := map[string]int{}
	for _, r := range runs {
		counts[r.Status]++
	}
	fmt.Fprintf(&b, "%d game day%s", len(runs), map[bool]string{true: "", false: "s"}[len(runs) == 1])
	if len(runs) > 0 {
		var parts []string
		for _, s := range []string{"held", "failed", "aborted", "inconclusive"} {
			if counts[s] > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
			}
		}
		fmt.Fprintf(&b, " (%s)", strings.Join(parts, ", "))
	}
	b.WriteString(".\n")
	if len(runs) > 0 {
		shown := runs[:min(len(runs), ReadmeRuns)]
		if len(runs) > len(shown) {
			fmt.Fprintf(&b, "The newest %d:\n", len(shown))
		}
		b.WriteString("\n| start (UTC) | suite | experiment | target | verdict | score | budget | report |\n")
		b.WriteString("|---|---|---|---|---|---|---|---|\n")
		for _, r := range shown {
			start := "—"
			if r.Start != nil {
				start = r.Start.Format("2006-01-02 15:04")
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %.1f%% | %.1f%% | %s |\n", start, cell(r.Suite), cell(r.Experiment), cell(r.Target),
				strings.ToUpper(r.Status), r.Score, 100*r.BudgetConsumed, links(r))
		}
	}
	if len(others) > 0 {
		b.WriteString("\n## Other reports\n\n| folder | kind | files |\n|---|---|---|\n")
		for _, o := range others {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", cell(o.Path), o.Kind, links(o))
		}
	}
	return []byte(b.String())
}

// cell escapes a table cell.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// links to the folder's readable files (relative, so they work on any
// host and any branch).
func links(e Entry) string {
	var l []string
	for _, f := range e.Files {
		switch path.Ext(f) {
		case ".html", ".md":
			l = append(l, fmt.Sprintf("[%s](%s/%s)", f, e.Path, f))
		}
	}
	if len(l) == 0 {
		return fmt.Sprintf("[%s](%s/)", e.Path, e.Path)
	}
	return strings.Join(l, " ")
}
