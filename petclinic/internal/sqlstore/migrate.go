package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations/sqlite/*.sql migrations/mysql/*.sql seed/*.sql
var files embed.FS

// migrationLockWait is how long a MySQL replica waits for another replica
// that is migrating the same database.
const migrationLockWait = 60 * time.Second

// migration is one versioned schema change, from migrations/<driver>/NNNN_name.sql.
type migration struct {
	version    int
	name       string
	statements []string
}

func migrations(driver string) ([]migration, error) {
	dir := path.Join("migrations", driver)
	entries, err := fs.ReadDir(files, dir)
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive version and _", e.Name())
		}
		b, err := files.ReadFile(path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), statements: splitSQL(string(b))})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s share version %d", ms[i-1].name, ms[i].name, ms[i].version)
		}
	}
	return ms, nil
}

// splitSQL splits a script of our own making into statements: comment lines
// are dropped and every statement ends with ";" at the end of a line.
// Neither driver is allowed to run several statements in one call.
func splitSQL(script string) []string {
	var out []string
	var cur strings.Builder
	for line := range strings.SplitSeq(script, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteString("\n")
		if strings.HasSuffix(trimmed, ";") {
			out = append(out, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

// script names a statement of a migration or seed script for tracing by its
// first word (CREATE, INSERT, ...).
func script(text, table string) stmt {
	op, _, _ := strings.Cut(text, " ")
	return stmt{op: strings.ToUpper(op), table: table, text: text}
}

var (
	createMigrationsSQLite = stmt{"CREATE", "schema_migrations", `CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER NOT NULL PRIMARY KEY,
  applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
)`}
	createMigrationsMySQL = stmt{"CREATE", "schema_migrations", `CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INT NOT NULL PRIMARY KEY,
  applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
) engine=InnoDB`}
	countMigration  = stmt{"SELECT", "schema_migrations", `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`}
	insertMigration = stmt{"INSERT", "schema_migrations", `INSERT INTO schema_migrations (version, applied_at) VALUES (?, CURRENT_TIMESTAMP)`}
	countOwners     = stmt{"SELECT", "owners", `SELECT COUNT(*) FROM owners`}
	countVets       = stmt{"SELECT", "vets", `SELECT COUNT(*) FROM vets`}
)

// migrate applies pending migrations, each in a transaction, then seeds.
// On MySQL a named lock serialises replicas that start together; DDL there
// commits implicitly, so the scripts are also written to be repeatable. On
// SQLite BEGIN IMMEDIATE serialises processes sharing the file.
func (db *DB) migrate(ctx context.Context) (err error) {
	ms, err := migrations(db.cfg.Driver)
	if err != nil {
		return err
	}
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	r := runner{db: db, x: conn}

	create := createMigrationsSQLite
	if db.cfg.Driver == DriverMySQL {
		create = createMigrationsMySQL
		lock := "petclinic.migrate." + db.namespace
		lock = lock[:min(len(lock), 64)] // MySQL's limit; a collision only serialises more
		if err := getLock(ctx, conn, lock); err != nil {
			return err
		}
		defer func() {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), db.cfg.QueryTimeout)
			defer cancel()
			if _, rerr := conn.ExecContext(rctx, `DO RELEASE_LOCK(?)`, lock); rerr != nil && err == nil {
				err = fmt.Errorf("release lock %s: %w", lock, rerr)
			}
		}()
	}
	if _, err := r.exec(ctx, create); err != nil {
		return err
	}
	for _, m := range ms {
		err := inTx(ctx, db, conn, func(r runner) error {
			n, err := r.count(ctx, countMigration, m.version)
			if err != nil || n > 0 {
				return err
			}
			for _, s := range m.statements {
				if _, err := r.exec(ctx, script(s, "")); err != nil {
					return err
				}
			}
			_, err = r.exec(ctx, insertMigration, m.version)
			return err
		})
		if err != nil {
			return fmt.Errorf("%s: %w", m.name, err)
		}
	}
	if db.cfg.Seed {
		if err := db.seed(ctx, conn); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
	}
	return nil
}

func getLock(ctx context.Context, conn *sql.Conn, name string) error {
	ctx, cancel := context.WithTimeout(ctx, migrationLockWait+5*time.Second)
	defer cancel()
	var got *int
	if err := conn.QueryRowContext(ctx, `SELECT GET_LOCK(?, ?)`, name, int(migrationLockWait.Seconds())).Scan(&got); err != nil {
		return fmt.Errorf("get lock %s: %w", name, err)
	}
	if got == nil || *got != 1 {
		return fmt.Errorf("get lock %s: not granted within %s", name, migrationLockWait)
	}
	return nil
}

// seed loads the sample data when there are neither owners nor vets. The
// scripts insert with explicit ids and ignore duplicates, so a second run
// (for example by a racing SQLite process) changes nothing.
func (db *DB) seed(ctx context.Context, b beginner) error {
	text, err := files.ReadFile(path.Join("seed", db.cfg.Driver+".sql"))
	if err != nil {
		return err
	}
	return inTx(ctx, db, b, func(r runner) error {
		owners, err := r.count(ctx, countOwners)
		if err != nil {
			return err
		}
		vets, err := r.count(ctx, countVets)
		if err != nil || owners > 0 || vets > 0 {
			return err
		}
		for _, s := range splitSQL(string(text)) {
			if _, err := r.exec(ctx, script(s, seedTable(s))); err != nil {
				return err
			}
		}
		return nil
	})
}

// seedTable is the table an "INSERT [OR] IGNORE INTO t ..." writes.
func seedTable(s string) string {
	_, rest, ok := strings.Cut(s, " INTO ")
	if !ok {
		return ""
	}
	t, _, _ := strings.Cut(rest, " ")
	return t
}
