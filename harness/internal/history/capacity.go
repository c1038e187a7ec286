package history

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/capacity"
)

// Capacity is one capacity search as the history keeps it: the figures
// of its capacity.json that the lists need.
type Capacity struct {
	// Dir is the search's directory relative to the reports root
	// (capacity/<id>), its key.
	Dir        string    `json:"dir"`
	ID         string    `json:"id"`
	Experiment string    `json:"experiment"`
	Target     string    `json:"target"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	// AllZones is the capacity with every zone (req/s), ZoneDown with Zone
	// lost (nil: not measured); their outcomes say how the searches ended.
	AllZones        float64  `json:"allZones"`
	AllZonesOutcome string   `json:"allZonesOutcome"`
	Zone            string   `json:"zone,omitempty"`
	ZoneDown        *float64 `json:"zoneDown,omitempty"`
	ZoneDownOutcome string   `json:"zoneDownOutcome,omitempty"`
	// Peak, Survives and HeadroomPct answer for the production peak (nil:
	// no peak); ReplicasNeeded when it does not survive.
	Peak           *float64 `json:"peak,omitempty"`
	Survives       *bool    `json:"survives,omitempty"`
	HeadroomPct    *float64 `json:"headroomPct,omitempty"`
	ReplicasNeeded int      `json:"replicasNeeded,omitempty"`
	Answer         string   `json:"answer"`
	Steps          int      `json:"steps"`
	Seconds        float64  `json:"seconds"`
	Requests       uint64   `json:"requests"`
	Stopped        string   `json:"stopped,omitempty"`
	ExitCode       int      `json:"exitCode"`
}

const capacityTable = `CREATE TABLE capacity (
	dir TEXT PRIMARY KEY, id TEXT NOT NULL, experiment TEXT NOT NULL, target TEXT NOT NULL, start INTEGER NOT NULL,
	end_ INTEGER NOT NULL, all_zones REAL NOT NULL, all_zones_outcome TEXT NOT NULL, zone TEXT NOT NULL, zone_down REAL,
	zone_down_outcome TEXT NOT NULL, peak REAL, survives INTEGER, headroom REAL, replicas_needed INTEGER NOT NULL,
	answer TEXT NOT NULL, steps INTEGER NOT NULL, seconds REAL NOT NULL, requests INTEGER NOT NULL, stopped TEXT NOT NULL,
	exit_code INTEGER NOT NULL, mtime INTEGER NOT NULL, size INTEGER NOT NULL)`

const capacityColumns = `dir, id, experiment, target, start, end_, all_zones, all_zones_outcome, zone, zone_down, zone_down_outcome,
	peak, survives, headroom, replicas_needed, answer, steps, seconds, requests, stopped, exit_code`

// capacityOf is the row of a search.
func capacityOf(dir string, r *capacity.Result) Capacity {
	c := Capacity{Dir: dir, ID: r.ID, Experiment: r.Experiment, Target: r.Target, Start: r.Start.UTC(), End: r.End.UTC(),
		Zone: r.Zone, Survives: r.Answer.Survives, HeadroomPct: r.Answer.HeadroomPct, ReplicasNeeded: r.Answer.ReplicasNeeded,
		Answer: r.Answer.Line, Steps: r.Cost.Steps, Seconds: r.Cost.Seconds, Requests: r.Cost.Requests, Stopped: r.Stopped, ExitCode: r.ExitCode}
	if p := r.AllZones; p != nil {
		c.AllZones, c.AllZonesOutcome = p.Capacity, p.Outcome
	}
	if p := r.ZoneDown; p != nil {
		v := p.Capacity
		c.ZoneDown, c.ZoneDownOutcome = &v, p.Outcome
	}
	if r.Peak != nil {
		v := r.Peak.Rate
		c.Peak = &v
	}
	return c
}

// indexCapacity reads one capacity.json into the index; an invalid one
// goes into the bad table, warned about, and is an error.
func (s *Store) indexCapacity(ctx context.Context, tx *sql.Tx, f file) error {
	path := filepath.Join(s.root, filepath.FromSlash(f.dir), capacity.FileJSON)
	r, err := capacity.Read(path)
	for _, q := range []string{`DELETE FROM runs WHERE dir = ?`, `DELETE FROM capacity WHERE dir = ?`} {
		if _, derr := tx.ExecContext(ctx, q, f.dir); derr != nil {
			return derr
		}
	}
	if err != nil {
		fmt.Fprintf(s.warn, "history: skipping %s: %v\n", path, err)
		_, derr := tx.ExecContext(ctx, `INSERT OR REPLACE INTO bad (dir, mtime, size, error) VALUES (?, ?, ?, ?)`, f.dir, f.mtime, f.size, err.Error())
		if derr != nil {
			return derr
		}
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM bad WHERE dir = ?`, f.dir); err != nil {
		return err
	}
	c := capacityOf(f.dir, r)
	var survives sql.NullInt64
	if c.Survives != nil {
		survives = sql.NullInt64{Valid: true, Int64: map[bool]int64{true: 1, false: 0}[*c.Survives]}
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO capacity (`+capacityColumns+`, mtime, size)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.Dir, c.ID, c.Experiment, c.Target, c.Start.UnixMilli(), c.End.UnixMilli(), c.AllZones, c.AllZonesOutcome, c.Zone,
		c.ZoneDown, c.ZoneDownOutcome, c.Peak, survives, c.HeadroomPct, c.ReplicasNeeded, c.Answer, c.Steps, c.Seconds,
		int64(c.Requests), c.Stopped, c.ExitCode, f.mtime, f.size)
	return err
}

// RecordCapacity indexes the search written at dir (<root>/capacity/<id>)
// at once, as Record does for a run.
func (s *Store) RecordCapacity(ctx context.Context, dir string) error {
	return s.recordOne(ctx, dir, "search", capacity.FileJSON, s.indexCapacity, true)
}

// Capacities lists the capacity searches of experiment ("" for all),
// newest first, at most limit (0: all), and how many there are.
func (s *Store) Capacities(ctx context.Context, experiment string, limit int) ([]Capacity, int, error) {
	where, args := "", []any{}
	if experiment != "" {
		where, args = " WHERE experiment = ?", append(args, experiment)
	}
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM capacity`+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("history: %w", err)
	}
	q := `SELECT ` + capacityColumns + ` FROM capacity` + where + ` ORDER BY start DESC, dir DESC`
	if limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", limit)
	}
	out, err := s.queryCapacity(ctx, q, args...)
	return out, total, err
}

// GetCapacity finds one search by its directory (capacity/<id>) or id.
func (s *Store) GetCapacity(ctx context.Context, id string) (*Capacity, error) {
	out, err := s.queryCapacity(ctx, `SELECT `+capacityColumns+` FROM capacity WHERE dir = ? OR id = ? ORDER BY dir = ? DESC`, id, id, id)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("history: capacity search %q: %w (gameday serve lists them at /capacity)", id, ErrNotFound)
	}
	return &out[0], nil
}

// ReadCapacity reads a search's whole capacity.json.
func (s *Store) ReadCapacity(c *Capacity) (*capacity.Result, error) {
	r, err := capacity.Read(filepath.Join(s.root, filepath.FromSlash(c.Dir), capacity.FileJSON))
	if err != nil {
		return nil, fmt.Errorf("history: %s: %w", c.Dir, err)
	}
	return r, nil
}

func (s *Store) queryCapacity(ctx context.Context, q string, args ...any) ([]Capacity, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	defer rows.Close()
	var out []Capacity
	for rows.Next() {
		var c Capacity
		var start, end, requests int64
		var zd, peak, head sql.NullFloat64
		var survives sql.NullInt64
		if err := rows.Scan(&c.Dir, &c.ID, &c.Experiment, &c.Target, &start, &end, &c.AllZones, &c.AllZonesOutcome, &c.Zone, &zd,
			&c.ZoneDownOutcome, &peak, &survives, &head, &c.ReplicasNeeded, &c.Answer, &c.Steps, &c.Seconds, &requests,
			&c.Stopped, &c.ExitCode); err != nil {
			return nil, fmt.Errorf("history: %w", err)
		}
		c.Start, c.End, c.Requests = time.UnixMilli(start).UTC(), time.UnixMilli(end).UTC(), uint64(requests)
		c.ZoneDown, c.Peak, c.HeadroomPct = ptr(zd), ptr(peak), ptr(head)
		if survives.Valid {
			v := survives.Int64 == 1
			c.Survives = &v
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
