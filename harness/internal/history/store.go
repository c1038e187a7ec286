package history

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" driver, as PetClinic uses

	"github.com/gamedayhq/gameday/harness/internal/capacity"
	"github.com/gamedayhq/gameday/harness/internal/report"
)

// schemaVersion of the index: another version is dropped and rebuilt.
const schemaVersion = "6"

// MetaDir is the folder of the index and the ledger inside the reports
// root; report scans skip it (and every folder starting with a dot).
const MetaDir = ".history"

// ErrNotFound is returned for a run the history does not hold.
var ErrNotFound = errors.New("no such run")

// Store is the history of one reports root.
type Store struct {
	root  string
	index string
	db    *sql.DB
	warn  io.Writer
	// mu serialises syncs of this process (SQLite serialises processes).
	mu sync.Mutex
	// Memory is true when the index could not be written where it belongs
	// and lives in memory for this process.
	Memory bool
}

// Options of Open.
type Options struct {
	// Index is the SQLite file (default <root>/.history/index.db).
	Index string
	// Warn receives warnings: a corrupt report.json skipped, an index that
	// could not be written (default io.Discard).
	Warn io.Writer
	// Reader opens the history only to read it (gameday cost, dora): a
	// root that does not exist is an empty history, and nothing is created
	// there (the index lives in memory).
	Reader bool
}

// Open opens the history of the reports tree at root. An index that
// cannot be created or written (a read-only checkout, a full disk) is
// replaced by one in memory, with a warning: reading the history never
// fails for want of a place to cache it.
func Open(root string, o Options) (*Store, error) {
	s := &Store{root: root, warn: cmp.Or[io.Writer](o.Warn, io.Discard)}
	s.index = cmp.Or(o.Index, filepath.Join(root, MetaDir, "index.db"))
	if _, err := os.Stat(root); o.Reader && errors.Is(err, fs.ErrNotExist) {
		s.index = ":memory:"
	}
	db, err := s.openIndex(s.index)
	if err != nil {
		fmt.Fprintf(s.warn, "history: index %s: %v: using an index in memory\n", s.index, err)
		db, err = s.openIndex(":memory:")
		if err != nil {
			return nil, fmt.Errorf("history: %w", err)
		}
		s.Memory = true
	}
	s.db = db
	return s, nil
}

// Root is the reports root.
func (s *Store) Root() string { return s.root }

// Close closes the index.
func (s *Store) Close() error { return s.db.Close() }

func (s *Store) openIndex(path string) (*sql.DB, error) {
	dsn := "file::memory:?_pragma=foreign_keys(1)"
	if path != ":memory:" {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, err
		}
		dsn = "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	if path == ":memory:" {
		db.SetMaxOpenConns(1) // one connection is one in-memory database
	}
	if err := migrate(db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func migrate(db *sql.DB) error {
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`); err != nil {
		return err
	}
	var v string
	err := db.QueryRow(`SELECT value FROM meta WHERE key = 'schema'`).Scan(&v)
	if err == nil && v == schemaVersion {
		return nil
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	// Another version, or a new file: the tree is the truth, rebuild.
	stmts := []string{
		`DROP TABLE IF EXISTS runs`, `DROP TABLE IF EXISTS bad`, `DROP TABLE IF EXISTS run_schedule`, `DROP TABLE IF EXISTS capacity`,
		`CREATE TABLE runs (
			dir TEXT PRIMARY KEY, run_id TEXT NOT NULL, suite TEXT NOT NULL, experiment TEXT NOT NULL,
			target TEXT NOT NULL, engine TEXT NOT NULL, profile TEXT NOT NULL, start INTEGER NOT NULL, end_ INTEGER NOT NULL,
			duration REAL NOT NULL, status TEXT NOT NULL, exit_code INTEGER NOT NULL, score REAL NOT NULL,
			budget REAL NOT NULL, requests INTEGER NOT NULL, error_ratio REAL NOT NULL,
			fault_error_ratio REAL, fault_p99 REAL, fault_requests INTEGER NOT NULL, fault_failed INTEGER NOT NULL,
			fault_seconds REAL NOT NULL, detect REAL, recover REAL, faults INTEGER NOT NULL,
			stop_reason TEXT NOT NULL, reasons TEXT NOT NULL, mtime INTEGER NOT NULL, size INTEGER NOT NULL)`,
		`CREATE INDEX runs_start ON runs (start DESC)`,
		`CREATE INDEX runs_experiment ON runs (experiment, start DESC)`,
		`CREATE INDEX runs_run_id ON runs (run_id)`,
		`CREATE TABLE bad (dir TEXT PRIMARY KEY, mtime INTEGER NOT NULL, size INTEGER NOT NULL, error TEXT NOT NULL)`,
		capacityTable,
		`CREATE INDEX capacity_start ON capacity (start DESC)`,
		`CREATE TABLE run_schedule (run_id TEXT PRIMARY KEY, schedule TEXT NOT NULL)`,
		`INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', '` + schemaVersion + `')`,
		`INSERT OR REPLACE INTO meta (key, value) VALUES ('ledger', '')`,
	}
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, q := range stmts {
		if _, err := tx.Exec(q); err != nil {
			return fmt.Errorf("%s: %w", strings.Fields(q)[0], err)
		}
	}
	return tx.Commit()
}

// file is one report.json (or a capacity search's capacity.json) found in
// the tree.
type file struct {
	dir         string // suite/run-id
	mtime, size int64
	// capacity: the directory holds a capacity search, not a run.
	capacity bool
	// stat is false when only the directory's name was read (a quick
	// rescan): mtime and size are unknown.
	stat bool
}

// FullRescanEvery is how often Sync stats every report.json to catch one
// rewritten in place by something other than Record (a git pull of the
// reports repository); in between it reads directory names only and
// stats just the runs it does not know.
const FullRescanEvery = 10 * time.Minute

// scan lists every <suite>/<run-id>/report.json under the root, skipping
// folders that start with a dot (the index, half-written reports). With
// known set, a run directory already indexed is listed by name, without
// a stat of its report.json.
func (s *Store) scan(known map[string]file) ([]file, error) {
	suites, err := os.ReadDir(s.root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []file
	for _, su := range suites {
		if !su.IsDir() || strings.HasPrefix(su.Name(), ".") {
			continue
		}
		runs, err := os.ReadDir(filepath.Join(s.root, su.Name()))
		if err != nil {
			fmt.Fprintf(s.warn, "history: skipping %s: %v\n", filepath.Join(s.root, su.Name()), err)
			continue
		}
		for _, r := range runs {
			if !r.IsDir() || strings.HasPrefix(r.Name(), ".") {
				continue
			}
			dir := su.Name() + "/" + r.Name()
			if k, ok := known[dir]; ok {
				out = append(out, k)
				continue
			}
			fi, err := os.Stat(filepath.Join(s.root, su.Name(), r.Name(), report.FileJSON))
			isCapacity := false
			if err != nil {
				if fi, err = os.Stat(filepath.Join(s.root, su.Name(), r.Name(), capacity.FileJSON)); err != nil {
					continue // neither a run nor a capacity search
				}
				isCapacity = true
			}
			out = append(out, file{dir: dir, mtime: fi.ModTime().UnixNano(), size: fi.Size(), stat: true, capacity: isCapacity})
		}
	}
	return out, nil
}

// SyncStats says what a sync did.
type SyncStats struct {
	Scanned, Added, Updated, Removed, Bad int
}

// Sync brings the index in line with the reports tree: new and changed
// report.json files are read, removed ones dropped. Between full rescans
// (FullRescanEvery) only the directory names are read and only runs the
// index does not know are stat'ed; a run rewritten in place is then seen
// at the next full rescan, or at once when its writer calls Record (the
// runner's writers do). A report.json that is not a valid report is
// skipped with a warning naming it (once per change of the file). The
// ledger's run → schedule links are refreshed too.
func (s *Store) Sync(ctx context.Context) (SyncStats, error) { return s.sync(ctx, false) }

// SyncFull is Sync with a stat of every report.json (gameday history
// --rescan).
func (s *Store) SyncFull(ctx context.Context) (SyncStats, error) { return s.sync(ctx, true) }

func (s *Store) sync(ctx context.Context, full bool) (SyncStats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var st SyncStats
	now := time.Now()
	var last int64
	_ = s.db.QueryRowContext(ctx, `SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'full_rescan'`).Scan(&last)
	full = full || now.Sub(time.Unix(0, last)) >= FullRescanEvery
	known := map[string]file{}
	rows, err := s.db.QueryContext(ctx, `SELECT dir, mtime, size FROM runs UNION ALL SELECT dir, mtime, size FROM bad
		UNION ALL SELECT dir, mtime, size FROM capacity`)
	if err != nil {
		return st, fmt.Errorf("history: %w", err)
	}
	for rows.Next() {
		var f file
		if err := rows.Scan(&f.dir, &f.mtime, &f.size); err != nil {
			rows.Close()
			return st, fmt.Errorf("history: %w", err)
		}
		known[f.dir] = f
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return st, fmt.Errorf("history: %w", err)
	}
	skip := known
	if full {
		skip = nil
	}
	files, err := s.scan(skip)
	if err != nil {
		return st, fmt.Errorf("history: scan %s: %w", s.root, err)
	}
	st.Scanned = len(files)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return st, fmt.Errorf("history: %w", err)
	}
	defer tx.Rollback()
	for _, f := range files {
		k, ok := known[f.dir]
		delete(known, f.dir)
		if ok && (!f.stat || k.mtime == f.mtime && k.size == f.size) {
			continue
		}
		if err := s.index1(ctx, tx, f); err != nil {
			st.Bad++
		} else if ok {
			st.Updated++
		} else {
			st.Added++
		}
	}
	for dir := range known {
		if _, err := tx.ExecContext(ctx, `DELETE FROM runs WHERE dir = ?`, dir); err != nil {
			return st, fmt.Errorf("history: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM bad WHERE dir = ?`, dir); err != nil {
			return st, fmt.Errorf("history: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM capacity WHERE dir = ?`, dir); err != nil {
			return st, fmt.Errorf("history: %w", err)
		}
		st.Removed++
	}
	if err := s.syncLedger(ctx, tx); err != nil {
		fmt.Fprintf(s.warn, "history: ledger %s: %v\n", s.LedgerPath(), err)
	}
	if full {
		if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO meta (key, value) VALUES ('full_rescan', ?)`, strconv.FormatInt(now.UnixNano(), 10)); err != nil {
			return st, fmt.Errorf("history: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return st, fmt.Errorf("history: %w", err)
	}
	return st, nil
}

// index1 reads one report.json into the index; an invalid one goes into
// the bad table, warned about, and is an error.
func (s *Store) index1(ctx context.Context, tx *sql.Tx, f file) error {
	if f.capacity {
		return s.indexCapacity(ctx, tx, f)
	}
	path := filepath.Join(s.root, filepath.FromSlash(f.dir), report.FileJSON)
	data, err := os.ReadFile(path)
	var run *Run
	if err == nil {
		run, err = fromReport(f.dir, data)
	}
	if _, derr := tx.ExecContext(ctx, `DELETE FROM runs WHERE dir = ?`, f.dir); derr != nil {
		return derr
	}
	if err != nil {
		fmt.Fprintf(s.warn, "history: skipping %s: %v\n", path, err)
		_, derr := tx.ExecContext(ctx, `INSERT OR REPLACE INTO bad (dir, mtime, size, error) VALUES (?, ?, ?, ?)`, f.dir, f.mtime, f.size, err.Error())
		return cmp.Or(derr, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM bad WHERE dir = ?`, f.dir); err != nil {
		return err
	}
	reasons, _ := json.Marshal(run.Reasons)
	_, err = tx.ExecContext(ctx, `INSERT INTO runs (dir, run_id, suite, experiment, target, engine, profile, start, end_, duration,
		status, exit_code, score, budget, requests, error_ratio, fault_error_ratio, fault_p99, fault_requests, fault_failed,
		fault_seconds, detect, recover, faults, stop_reason, reasons, mtime, size)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		run.Dir, run.RunID, run.Suite, run.Experiment, run.Target, run.Engine, run.Profile, run.Start.UnixMilli(), run.End.UnixMilli(),
		run.DurationSeconds, run.Status, run.ExitCode, run.Score, run.BudgetConsumed, int64(run.Requests), run.ErrorRatio,
		run.FaultErrorRatio, run.FaultP99Ms, int64(run.FaultRequests), int64(run.FaultFailed), run.FaultSeconds,
		run.DetectSeconds, run.RecoverSeconds, run.Faults, run.StopReason, string(reasons),
		f.mtime, f.size)
	return err
}

// Record indexes the run written at dir (an absolute or root-relative path
// of <root>/<suite>/<run-id>) at once, without a full scan: the hook every
// run, scheduled or not, calls after its reports are written. Its error is
// for the log and the metrics: the run's verdict never depends on it.
func (s *Store) Record(ctx context.Context, dir string) error {
	return s.recordOne(ctx, dir, "run", report.FileJSON, func(ctx context.Context, tx *sql.Tx, f file) error {
		return s.index1(ctx, tx, f)
	}, false)
}

// recordOne indexes the one folder <root>/<a>/<b> at dir (what names it in
// errors) from its file name, in a transaction of its own.
func (s *Store) recordOne(ctx context.Context, dir, what, name string, index func(context.Context, *sql.Tx, file) error, capacity bool) error {
	rel, err := filepath.Rel(s.root, dir)
	if err != nil || strings.HasPrefix(rel, "..") || strings.Count(filepath.ToSlash(rel), "/") != 1 {
		return fmt.Errorf("history: %s is not a %s directory of %s", dir, what, s.root)
	}
	fi, err := os.Stat(filepath.Join(s.root, rel, name))
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	defer tx.Rollback()
	if err := index(ctx, tx, file{dir: filepath.ToSlash(rel), mtime: fi.ModTime().UnixNano(), size: fi.Size(), stat: true, capacity: capacity}); err != nil {
		return fmt.Errorf("history: index %s: %w", rel, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	return nil
}

// Filter selects runs; zero fields select all.
type Filter struct {
	Experiment, Suite, Target, Status, Schedule string
	// Profile is the load's rate profile, exactly (comparable runs).
	Profile string
	// Since and Until bound the start time.
	Since, Until time.Time
	// Limit is the most runs returned (0: all), newest first; Offset skips.
	Limit, Offset int
}

const runColumns = `r.dir, r.run_id, r.suite, r.experiment, r.target, r.engine, r.profile, r.start, r.end_, r.duration, r.status,
	r.exit_code, r.score, r.budget, r.requests, r.error_ratio, r.fault_error_ratio, r.fault_p99, r.fault_requests,
	r.fault_failed, r.fault_seconds, r.detect, r.recover,
	r.faults, r.stop_reason, r.reasons, COALESCE(s.schedule, '')`

func (f Filter) where() (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, v any) { conds, args = append(conds, cond), append(args, v) }
	if f.Experiment != "" {
		add("r.experiment = ?", f.Experiment)
	}
	if f.Suite != "" {
		add("r.suite = ?", f.Suite)
	}
	if f.Target != "" {
		add("r.target = ?", f.Target)
	}
	if f.Status != "" {
		add("r.status = ?", f.Status)
	}
	if f.Schedule != "" {
		add("s.schedule = ?", f.Schedule)
	}
	if f.Profile != "" {
		add("r.profile = ?", f.Profile)
	}
	if !f.Since.IsZero() {
		add("r.start >= ?", f.Since.UnixMilli())
	}
	if !f.Until.IsZero() {
		add("r.start < ?", f.Until.UnixMilli())
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// Comparable selects the runs a run is compared with: the same experiment
// on the same kind of target under the same load profile, that held.
// Neither the target's URL (a sandbox's changes at every start) nor the
// version of the system under test is asked for: comparing a new version
// with the runs of the old ones is the point.
func Comparable(experiment, target, profile string) Filter {
	return Filter{Experiment: experiment, Target: target, Profile: profile, Status: "held"}
}

// List returns the runs of f, newest first, and how many match in all.
func (s *Store) List(ctx context.Context, f Filter) ([]Run, int, error) {
	where, args := f.where()
	from := ` FROM runs r LEFT JOIN run_schedule s ON s.run_id = r.run_id`
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*)`+from+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("history: %w", err)
	}
	q := `SELECT ` + runColumns + from + where + ` ORDER BY r.start DESC, r.dir DESC`
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d OFFSET %d", f.Limit, max(f.Offset, 0))
	}
	runs, err := s.query(ctx, q, args...)
	return runs, total, err
}

func (s *Store) query(ctx context.Context, q string, args ...any) ([]Run, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		var r Run
		var start, end, requests, faultRequests, faultFailed int64
		var reasons string
		var fer, fp, det, rec sql.NullFloat64
		if err := rows.Scan(&r.Dir, &r.RunID, &r.Suite, &r.Experiment, &r.Target, &r.Engine, &r.Profile, &start, &end,
			&r.DurationSeconds, &r.Status, &r.ExitCode, &r.Score, &r.BudgetConsumed, &requests, &r.ErrorRatio,
			&fer, &fp, &faultRequests, &faultFailed, &r.FaultSeconds, &det, &rec, &r.Faults, &r.StopReason, &reasons, &r.Schedule); err != nil {
			return nil, fmt.Errorf("history: %w", err)
		}
		r.Start, r.End, r.Requests = time.UnixMilli(start).UTC(), time.UnixMilli(end).UTC(), uint64(requests)
		r.FaultRequests, r.FaultFailed = uint64(faultRequests), uint64(faultFailed)
		r.FaultErrorRatio, r.FaultP99Ms, r.DetectSeconds, r.RecoverSeconds = ptr(fer), ptr(fp), ptr(det), ptr(rec)
		_ = json.Unmarshal([]byte(reasons), &r.Reasons)
		out = append(out, r)
	}
	return out, rows.Err()
}

func ptr(v sql.NullFloat64) *float64 {
	if !v.Valid {
		return nil
	}
	return &v.Float64
}

// Get finds one run by its directory (suite/run-id) or its run id. A run id
// held by runs of two suites is ambiguous: name the directory.
func (s *Store) Get(ctx context.Context, id string) (*Run, error) {
	runs, err := s.query(ctx, `SELECT `+runColumns+` FROM runs r LEFT JOIN run_schedule s ON s.run_id = r.run_id
		WHERE r.dir = ? OR r.run_id = ? ORDER BY r.dir = ? DESC, r.start DESC`, id, id, id)
	switch {
	case err != nil:
		return nil, err
	case len(runs) == 0:
		return nil, fmt.Errorf("history: %q: %w (gameday history list shows the runs)", id, ErrNotFound)
	case len(runs) > 1 && runs[0].Dir != id:
		dirs := make([]string, len(runs))
		for i, r := range runs {
			dirs[i] = r.Dir
		}
		return nil, fmt.Errorf("history: run id %q is in %d suites: name one of %s", id, len(runs), strings.Join(dirs, ", "))
	}
	return &runs[0], nil
}

// Report reads a run's whole report.json.
func (s *Store) Report(r *Run) (*report.Report, error) {
	data, err := os.ReadFile(s.Path(r, report.FileJSON))
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	var rep report.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, fmt.Errorf("history: %s: %w", s.Path(r, report.FileJSON), err)
	}
	return &rep, nil
}

// Path is the path of a file of a run's report.
func (s *Store) Path(r *Run, name string) string {
	return filepath.Join(s.root, filepath.FromSlash(r.Dir), name)
}

// Experiments lists the experiments with runs, by name.
func (s *Store) Experiments(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT experiment FROM runs ORDER BY experiment`)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			return nil, fmt.Errorf("history: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Bad lists the report.json files the index skipped, with why.
func (s *Store) Bad(ctx context.Context) (map[string]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT dir, error FROM bad ORDER BY dir`)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var d, e string
		if err := rows.Scan(&d, &e); err != nil {
			return nil, err
		}
		out[d] = e
	}
	return out, rows.Err()
}

// All brings the index in line with the tree (Sync) and returns every
// run, newest first, and a line per report.json the history skips
// ("path: why"), sorted: what a reader of the whole history (the cost and
// DORA reports) needs.
func (s *Store) All(ctx context.Context) ([]Run, []string, error) {
	if _, err := s.Sync(ctx); err != nil {
		return nil, nil, err
	}
	runs, _, err := s.List(ctx, Filter{})
	if err != nil {
		return nil, nil, err
	}
	bad, err := s.Bad(ctx)
	if err != nil {
		return nil, nil, err
	}
	skipped := make([]string, 0, len(bad))
	for dir, why := range bad {
		skipped = append(skipped, fmt.Sprintf("%s: %s", filepath.Join(s.root, filepath.FromSlash(dir), report.FileJSON), why))
	}
	slices.Sort(skipped)
	return runs, skipped, nil
}

// Retention bounds the reports tree.
type Retention struct {
	// MaxAge: runs that started longer ago are deleted (0: no limit).
	MaxAge time.Duration
	// MaxRuns: only the newest MaxRuns runs are kept (0: no limit).
	MaxRuns int
}

// Prune deletes the runs the retention does not keep — their report
// directories (the source of truth) and index rows — and returns them,
// oldest first. With dryRun nothing is deleted.
func (s *Store) Prune(ctx context.Context, ret Retention, now time.Time, dryRun bool) ([]Run, error) {
	if ret.MaxAge <= 0 && ret.MaxRuns <= 0 {
		return nil, nil
	}
	if _, err := s.SyncFull(ctx); err != nil {
		return nil, err
	}
	all, _, err := s.List(ctx, Filter{})
	if err != nil {
		return nil, err
	}
	var drop []Run
	for i, r := range all {
		if (ret.MaxRuns > 0 && i >= ret.MaxRuns) || (ret.MaxAge > 0 && now.Sub(r.Start) > ret.MaxAge) {
			drop = append(drop, r)
		}
	}
	slices.Reverse(drop)
	if dryRun {
		return drop, nil
	}
	for i, r := range drop {
		dir := filepath.Join(s.root, filepath.FromSlash(r.Dir))
		// Renamed aside first, so no reader meets half a directory.
		aside := filepath.Join(filepath.Dir(dir), ".prune-"+filepath.Base(dir))
		if err := os.Rename(dir, aside); err != nil {
			return drop[:i], fmt.Errorf("history: prune %s: %w", dir, err)
		}
		if err := os.RemoveAll(aside); err != nil {
			return drop[:i], fmt.Errorf("history: prune %s: %w", dir, err)
		}
		if _, err := s.db.ExecContext(ctx, `DELETE FROM runs WHERE dir = ?`, r.Dir); err != nil {
			return drop[:i+1], fmt.Errorf("history: %w", err)
		}
	}
	return drop, nil
}
