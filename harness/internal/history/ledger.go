package history

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// LedgerFile is the scheduler's ledger inside MetaDir: one JSON event per
// line, appended and fsynced.
const LedgerFile = "ledger.jsonl"

// The kinds of ledger events.
const (
	EventStarted  = "started"
	EventFinished = "finished"
	EventSkipped  = "skipped"
	EventQueued   = "queued"
)

// Event is one thing that happened to a schedule's fire.
type Event struct {
	At       time.Time `json:"at"`
	Schedule string    `json:"schedule"`
	// Nominal is the cron's time of the fire.
	Nominal time.Time `json:"nominal"`
	Kind    string    `json:"event"`
	// Reason (a closed set, package schedule) and Detail say why a fire was
	// skipped or queued.
	Reason string `json:"reason,omitempty"`
	Detail string `json:"detail,omitempty"`
	// RunIDs are the runs a fire started (one per experiment of a suite).
	RunIDs []string `json:"runIDs,omitempty"`
	// Status and ExitCode are a finished fire's worst verdict.
	Status   string `json:"status,omitempty"`
	ExitCode int    `json:"exitCode,omitempty"`
	// Instance is the scheduler replica that decided.
	Instance string `json:"instance,omitempty"`
}

// LedgerPath is the ledger's file.
func (s *Store) LedgerPath() string { return filepath.Join(s.root, MetaDir, LedgerFile) }

// Append writes e at the end of the ledger and syncs it to disk. Its error
// is for the log and the metrics: a fire's outcome never depends on it.
func (s *Store) Append(e Event) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("history: ledger: %w", err)
	}
	path := s.LedgerPath()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("history: ledger: %w", err)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("history: ledger: %w", err)
	}
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("history: ledger %s: %w", path, err)
	}
	return nil
}

// Events reads the ledger, oldest first. A line that is not an event (a
// write cut short by a crash or a full disk) is skipped with a warning.
func (s *Store) Events() ([]Event, error) {
	data, err := os.ReadFile(s.LedgerPath())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("history: ledger: %w", err)
	}
	var out []Event
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var e Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.Schedule == "" {
			fmt.Fprintf(s.warn, "history: %s:%d: skipping a line that is not an event\n", s.LedgerPath(), line)
			continue
		}
		out = append(out, e)
	}
	return out, sc.Err()
}

// syncLedger refreshes the run → schedule links from the ledger when it
// changed since the last sync.
func (s *Store) syncLedger(ctx context.Context, tx *sql.Tx) error {
	fi, err := os.Stat(s.LedgerPath())
	stamp := ""
	if err == nil {
		stamp = strconv.FormatInt(fi.Size(), 10) + "@" + strconv.FormatInt(fi.ModTime().UnixNano(), 10)
	}
	var old string
	if err := tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'ledger'`).Scan(&old); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if old == stamp {
		return nil
	}
	events, err := s.Events()
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM run_schedule`); err != nil {
		return err
	}
	for _, e := range events {
		for _, id := range e.RunIDs {
			if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO run_schedule (run_id, schedule) VALUES (?, ?)`, id, e.Schedule); err != nil {
				return err
			}
		}
	}
	_, err = tx.ExecContext(ctx, `INSERT OR REPLACE INTO meta (key, value) VALUES ('ledger', ?)`, stamp)
	return err
}
