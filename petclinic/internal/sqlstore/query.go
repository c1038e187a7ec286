package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/gamedayhq/gameday/petclinic"
	"github.com/gamedayhq/gameday/petclinic/internal/telemetry"
)

// stmt is one parameterised statement with what tracing needs to name it.
type stmt struct {
	op    string // db.operation.name: SELECT, INSERT, UPDATE, DELETE
	table string // db.collection.name
	text  string // SQL with ? placeholders; never carries values
}

// in returns s with its "(?*)" marker replaced by n placeholders, for
// IN lists whose length is known but whose values stay parameters.
func (s stmt) in(n int) stmt {
	s.text = strings.Replace(s.text, "(?*)", "("+strings.TrimSuffix(strings.Repeat("?,", n), ",")+")", 1)
	return s
}

// execer is what *sql.DB, *sql.Tx and *sql.Conn share.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// runner runs statements on the pool, a connection or a transaction, each
// under its own QueryTimeout and span.
type runner struct {
	db *DB
	x  execer
}

func (db *DB) run() runner { return runner{db: db, x: db.sql} }

// stmt returns the prepared statement to run s with, or nil to run its text
// directly: once the cache is full (IN lists of many lengths), and for
// statements on a dedicated connection (migrations).
func (r runner) stmt(ctx context.Context, s stmt) (*sql.Stmt, error) {
	switch x := r.x.(type) {
	case *sql.DB:
		return r.db.prepared(ctx, s.text)
	case *sql.Tx:
		// Only a statement already prepared: preparing a new one would need
		// a second connection while the transaction holds one, and a pool
		// of one (in-memory SQLite) would wait for itself.
		v, ok := r.db.stmts.Load(s.text)
		if !ok {
			return nil, nil
		}
		// Closed with the transaction.
		return x.StmtContext(ctx, v.(*sql.Stmt)), nil
	}
	return nil, nil
}

func (r runner) start(ctx context.Context, s stmt) (context.Context, context.CancelFunc, trace.Span) {
	var span trace.Span = noSpan
	if telemetry.TracingOn() {
		sp := r.db.spanOf(s)
		ctx, span = r.db.tracer.Start(ctx, sp.name, sp.opts...)
	}
	ctx, cancel := context.WithTimeout(ctx, r.db.cfg.QueryTimeout)
	return ctx, cancel, span
}

// noSpan stands for a statement's span when tracing is off: ending it or
// recording an error on it does nothing, and it never touches the request's
// own span.
var noSpan = noop.Span{}

// spanStart is how the span of a statement starts: its name and options.
type spanStart struct {
	name string
	opts []trace.SpanStartOption
}

// maxSpanStarts bounds the cache of spanOf, like maxPrepared.
const maxSpanStarts = 1024

// spanOf returns the span name and options of s, built once per statement
// text: they depend on nothing else.
func (db *DB) spanOf(s stmt) spanStart {
	if v, ok := db.spans.Load(s.text); ok {
		return v.(spanStart)
	}
	name := s.op
	switch {
	case s.table != "" && db.namespace != "":
		name += " " + db.namespace + "." + s.table
	case s.table != "":
		name += " " + s.table
	}
	attrs := []attribute.KeyValue{
		attribute.String("db.system.name", db.cfg.Driver),
		attribute.String("db.operation.name", s.op),
		attribute.String("db.query.text", s.text),
	}
	if s.table != "" {
		attrs = append(attrs, attribute.String("db.collection.name", s.table))
	}
	if db.namespace != "" {
		attrs = append(attrs, attribute.String("db.namespace", db.namespace))
	}
	sp := spanStart{name: name, opts: []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...)}}
	if db.nSpans.Load() < maxSpanStarts {
		if _, loaded := db.spans.LoadOrStore(s.text, sp); !loaded {
			db.nSpans.Add(1)
		}
	}
	return sp
}

func (r runner) end(span trace.Span, err error) error {
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		err = r.db.classify(err)
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
	return err
}

// exec runs a statement that returns no rows.
func (r runner) exec(ctx context.Context, s stmt, args ...any) (sql.Result, error) {
	ctx, cancel, span := r.start(ctx, s)
	defer cancel()
	r.db.inflight.Add(1)
	defer r.db.inflight.Add(-1)
	var res sql.Result
	st, err := r.stmt(ctx, s)
	switch {
	case err != nil:
	case st != nil:
		res, err = st.ExecContext(ctx, args...)
	default:
		res, err = r.x.ExecContext(ctx, s.text, args...)
	}
	return res, r.end(span, err)
}

// execAffected runs s and reports sql.ErrNoRows when it touched no row.
func (r runner) execAffected(ctx context.Context, s stmt, args ...any) error {
	res, err := r.exec(ctx, s, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return sql.ErrNoRows
	}
	return nil
}

// insert runs an INSERT and returns the generated id.
func (r runner) insert(ctx context.Context, s stmt, args ...any) (int, error) {
	res, err := r.exec(ctx, s, args...)
	if err != nil {
		return 0, err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("last insert id: %w", err)
	}
	return int(id), nil
}

// query calls scan for each row. Rows are read to the end before the next
// statement runs, so a pool of one connection never deadlocks on itself.
func (r runner) query(ctx context.Context, s stmt, args []any, scan func(*sql.Rows) error) error {
	ctx, cancel, span := r.start(ctx, s)
	defer cancel()
	r.db.inflight.Add(1)
	defer r.db.inflight.Add(-1)
	var rows *sql.Rows
	st, err := r.stmt(ctx, s)
	switch {
	case err != nil:
	case st != nil:
		rows, err = st.QueryContext(ctx, args...)
	default:
		rows, err = r.x.QueryContext(ctx, s.text, args...)
	}
	if err != nil {
		return r.end(span, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return r.end(span, err)
		}
	}
	if err := rows.Err(); err != nil {
		return r.end(span, err)
	}
	return r.end(span, rows.Close())
}

// get scans the first row into dest, or returns sql.ErrNoRows.
func (r runner) get(ctx context.Context, s stmt, args []any, dest ...any) error {
	found := false
	err := r.query(ctx, s, args, func(rows *sql.Rows) error {
		if found {
			return nil
		}
		found = true
		return rows.Scan(dest...)
	})
	if err == nil && !found {
		return sql.ErrNoRows
	}
	return err
}

// count returns the single integer s selects.
func (r runner) count(ctx context.Context, s stmt, args ...any) (int, error) {
	var n int
	err := r.get(ctx, s, args, &n)
	return n, err
}

// tx runs fn in a transaction, committing when fn returns nil. Each statement
// has its own QueryTimeout; ctx bounds the whole.
func (db *DB) tx(ctx context.Context, fn func(r runner) error) error {
	return inTx(ctx, db, db.sql, fn)
}

type beginner interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

func inTx(ctx context.Context, db *DB, b beginner, fn func(r runner) error) (err error) {
	db.inflight.Add(1)
	defer db.inflight.Add(-1)
	// database/sql rolls a transaction back when its BeginTx context ends, so
	// the wait for a connection (and, on SQLite, for the write lock BEGIN
	// IMMEDIATE takes) is bounded by a timer that only cancels while BeginTx
	// has not returned; the statements then carry their own timeouts.
	tctx, cancel := context.WithCancel(ctx)
	defer cancel()
	timer := time.AfterFunc(db.cfg.QueryTimeout, cancel)
	tx, err := b.BeginTx(tctx, nil)
	if !timer.Stop() {
		if err == nil {
			_ = tx.Rollback()
		}
		if ctx.Err() == nil {
			err = context.DeadlineExceeded
		}
	}
	if err != nil {
		return fmt.Errorf("begin: %w", db.classify(err))
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err := fn(runner{db: db, x: tx}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", db.classify(err))
	}
	return nil
}

// notFound turns sql.ErrNoRows into a wrapped petclinic.ErrNotFound.
func notFound(err error, what string, id any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s %v: %w", what, id, petclinic.ErrNotFound)
	}
	return err
}
