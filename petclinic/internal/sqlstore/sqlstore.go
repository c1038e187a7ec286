// Package sqlstore keeps PetClinic's data in SQL: embedded SQLite (the
// default, pure Go) or MySQL/MariaDB. It is the one petclinic.Store that
// touches a database; every statement is parameterised, bounded by
// Config.QueryTimeout and traced with OpenTelemetry.
//
// Open(ctx, Config{Seed: true}) is a private, seeded, in-memory database:
// what other packages' tests want. The schema is migrated at Open from the
// scripts in migrations/<driver>/, recorded in schema_migrations.
//
// Its own tests run against SQLite always and against MariaDB when
// PETCLINIC_TEST_MYSQL_DSN is set:
//
//	eval "$(scripts/services/mariadb.sh start)"
//	go test ./internal/sqlstore
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/gamedayhq/gameday/petclinic"
)

var _ petclinic.Store = (*DB)(nil)

const instrumentationName = "github.com/gamedayhq/gameday/petclinic/internal/sqlstore"

// DB is a petclinic.Store on a database/sql pool.
type DB struct {
	sql       *sql.DB
	cfg       Config
	namespace string // database name for span names, "" when unknown
	tracer    trace.Tracer

	// inflight counts store operations that hold or wait for a connection;
	// with sql.DBStats.InUse it estimates how many wait (see Collector).
	inflight atomic.Int64
	// timeouts counts statements that ran out of QueryTimeout.
	timeouts atomic.Int64
	// stmts caches prepared statements by SQL text, so that SQLite does not
	// parse the same SQL on every request (it was a quarter of the CPU of
	// GET /petclinic/api/owners/{id}). At most maxPrepared texts are kept:
	// IN lists make a text per list length.
	stmts     sync.Map // string → *sql.Stmt
	nPrepared atomic.Int64
	// spans caches what the span of each statement text starts with.
	spans  sync.Map // string → spanStart
	nSpans atomic.Int64
}

// maxPrepared bounds the statement cache; each entry holds one prepared
// statement per pooled connection.
const maxPrepared = 256

// Open connects to the database cfg describes, applies pending migrations
// and, when cfg.Seed is set and the database is empty, loads the sample data.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	if err := cfg.defaults(); err != nil {
		return nil, fmt.Errorf("sqlstore config: %w", err)
	}
	db := &DB{cfg: cfg, tracer: otel.Tracer(instrumentationName)}
	var err error
	switch cfg.Driver {
	case DriverSQLite:
		db.sql, err = openSQLite(sqliteDSN(cfg.DSN, cfg.QueryTimeout))
	case DriverMySQL:
		db.sql, db.namespace, err = openMySQL(cfg.DSN)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", cfg.Driver, err)
	}
	db.sql.SetMaxOpenConns(cfg.MaxOpenConns)
	db.sql.SetMaxIdleConns(cfg.MaxIdleConns)
	db.sql.SetConnMaxLifetime(cfg.ConnMaxLifetime)
	db.sql.SetConnMaxIdleTime(cfg.ConnMaxIdleTime)

	if err := db.pingOpen(ctx); err != nil {
		_ = db.sql.Close() // the open error is the one worth reporting
		return nil, fmt.Errorf("open %s: %w", cfg.Driver, err)
	}
	if err := db.migrate(ctx); err != nil {
		_ = db.sql.Close() // the migration error is the one worth reporting
		return nil, fmt.Errorf("migrate %s: %w", cfg.Driver, err)
	}
	return db, nil
}

// sqliteDSN adds the connection settings every SQLite connection needs:
// WAL so readers do not block the writer, a busy timeout so writers queue
// for the lock instead of failing with SQLITE_BUSY, enforced foreign keys,
// and BEGIN IMMEDIATE so a transaction takes the write lock up front rather
// than failing when it upgrades from reading to writing. synchronous=NORMAL
// is WAL's usual pairing: a power cut may lose the last commits, never
// corrupt the file.
func sqliteDSN(dsn string, busy time.Duration) string {
	if dsn == ":memory:" {
		dsn = "file::memory:"
	}
	name, query, _ := strings.Cut(dsn, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		// Let the driver report the malformed DSN.
		return dsn
	}
	set := func(k, v string) {
		if !q.Has(k) {
			q.Set(k, v)
		}
	}
	set("_busy_timeout", strconv.FormatInt(busy.Milliseconds(), 10))
	set("_foreign_keys", "1")
	set("_txlock", "immediate")
	if !strings.Contains(query, "mode=memory") && name != "file::memory:" {
		set("_journal_mode", "WAL")
		set("_synchronous", "NORMAL")
	}
	return name + "?" + q.Encode()
}

func openMySQL(dsn string) (*sql.DB, string, error) {
	c, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, "", err
	}
	// The store reads DATE columns as time.Time in UTC, and relies on
	// RowsAffected counting matched rows to tell "missing" from "unchanged".
	c.ParseTime = true
	c.Loc = time.UTC
	c.ClientFoundRows = true
	if c.Timeout == 0 {
		c.Timeout = 5 * time.Second
	}
	conn, err := mysql.NewConnector(c)
	if err != nil {
		return nil, "", err
	}
	return sql.OpenDB(connector{conn}), c.DBName, nil
}

// openSQLite opens a pool on the registered modernc driver whose
// connections keep the statements of the direct reads (driverconn.go).
func openSQLite(dsn string) (*sql.DB, error) {
	registered, err := sql.Open("sqlite", "") // connects to nothing: only the driver is wanted
	if err != nil {
		return nil, err
	}
	d := registered.Driver()
	if err := registered.Close(); err != nil {
		return nil, err
	}
	return sql.OpenDB(connector{dsnConnector{dsn: dsn, d: d}}), nil
}

// pingOpen is the first Ping. On SQLite, replicas opening one new file at
// once race to switch it to WAL, and that switch can answer SQLITE_BUSY
// without waiting for the busy timeout: it is retried within QueryTimeout.
func (db *DB) pingOpen(ctx context.Context) error {
	deadline := time.Now().Add(db.cfg.QueryTimeout)
	for {
		err := db.Ping(ctx)
		if err == nil || db.cfg.Driver != DriverSQLite || !strings.Contains(err.Error(), "SQLITE_BUSY") || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Ping checks that the database answers within QueryTimeout.
func (db *DB) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, db.cfg.QueryTimeout)
	defer cancel()
	db.inflight.Add(1)
	defer db.inflight.Add(-1)
	if err := db.sql.PingContext(ctx); err != nil {
		return fmt.Errorf("ping: %w", db.classify(err))
	}
	return nil
}

// Close closes the pool.
func (db *DB) Close() error {
	db.stmts.Range(func(k, v any) bool {
		_ = v.(*sql.Stmt).Close() // the pool's Close below reports what matters
		db.stmts.Delete(k)
		return true
	})
	return db.sql.Close()
}

// prepared returns the cached prepared statement of text, preparing it on
// first use, or nil once the cache is full. database/sql re-prepares it on
// each connection as needed.
func (db *DB) prepared(ctx context.Context, text string) (*sql.Stmt, error) {
	if v, ok := db.stmts.Load(text); ok {
		return v.(*sql.Stmt), nil
	}
	if db.nPrepared.Load() >= maxPrepared {
		return nil, nil
	}
	st, err := db.sql.PrepareContext(ctx, text)
	if err != nil {
		return nil, err
	}
	if v, loaded := db.stmts.LoadOrStore(text, st); loaded {
		_ = st.Close() // another goroutine prepared it first
		return v.(*sql.Stmt), nil
	}
	db.nPrepared.Add(1)
	return st, nil
}

// classify wraps constraint violations in petclinic.ErrConflict and counts
// timeouts.
func (db *DB) classify(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		db.timeouts.Add(1)
		return err
	}
	if isConflict(err) {
		return fmt.Errorf("%w: %w", petclinic.ErrConflict, err)
	}
	return err
}

func isConflict(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()&0xff == sqlite3.SQLITE_CONSTRAINT
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1062, // ER_DUP_ENTRY
			1216, 1217, // ER_NO_REFERENCED_ROW, ER_ROW_IS_REFERENCED
			1451, 1452: // the same, with the constraint named
			return true
		}
	}
	return false
}
