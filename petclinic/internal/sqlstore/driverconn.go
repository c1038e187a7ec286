package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// The hottest read, an owner with its pets and visits (GET
// /petclinic/api/owners/{id} and the owner page), skips database/sql's
// per-query machinery: it runs a driver statement that its pooled
// connection keeps prepared, reads driver values without Scan's reflection,
// and on SQLite starts no goroutine to watch the context. Profiled under
// wrk, that machinery (Rows, convertAssign, two context-watching goroutines
// per query) cost more CPU than SQLite executing the statement. Everything
// else goes through database/sql as before.

// connector gives the pool connections that keep driver statements.
type connector struct {
	driver.Connector
}

func (c connector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &conn{Conn: dc, stmts: map[string]driver.Stmt{}}, nil
}

// dsnConnector is a driver.Connector for a driver that has none.
type dsnConnector struct {
	dsn string
	d   driver.Driver
}

func (c dsnConnector) Connect(context.Context) (driver.Conn, error) { return c.d.Open(c.dsn) }
func (c dsnConnector) Driver() driver.Driver                        { return c.d }

// conn forwards every optional interface database/sql uses to the driver's
// connection, and keeps the statements of the direct reads. database/sql
// hands a connection to one user at a time, so stmts needs no lock.
type conn struct {
	driver.Conn
	stmts map[string]driver.Stmt
}

var (
	_ driver.ConnPrepareContext = (*conn)(nil)
	_ driver.ConnBeginTx        = (*conn)(nil)
	_ driver.ExecerContext      = (*conn)(nil)
	_ driver.QueryerContext     = (*conn)(nil)
	_ driver.Pinger             = (*conn)(nil)
	_ driver.SessionResetter    = (*conn)(nil)
	_ driver.Validator          = (*conn)(nil)
	_ driver.NamedValueChecker  = (*conn)(nil)
)

func (c *conn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if p, ok := c.Conn.(driver.ConnPrepareContext); ok {
		return p.PrepareContext(ctx, query)
	}
	return c.Prepare(query)
}

func (c *conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if b, ok := c.Conn.(driver.ConnBeginTx); ok {
		return b.BeginTx(ctx, opts)
	}
	return nil, errors.New("driver connection cannot begin a transaction with options")
}

func (c *conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if e, ok := c.Conn.(driver.ExecerContext); ok {
		return e.ExecContext(ctx, query, args)
	}
	return nil, driver.ErrSkip
}

func (c *conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if q, ok := c.Conn.(driver.QueryerContext); ok {
		return q.QueryContext(ctx, query, args)
	}
	return nil, driver.ErrSkip
}

func (c *conn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *conn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *conn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c *conn) CheckNamedValue(nv *driver.NamedValue) error {
	if n, ok := c.Conn.(driver.NamedValueChecker); ok {
		return n.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

func (c *conn) Close() error {
	var errs []error
	for _, st := range c.stmts {
		errs = append(errs, st.Close())
	}
	clear(c.stmts)
	return errors.Join(append(errs, c.Conn.Close())...)
}

// stmt returns the connection's prepared statement for text.
func (c *conn) stmt(ctx context.Context, text string) (driver.Stmt, error) {
	if st, ok := c.stmts[text]; ok {
		return st, nil
	}
	if len(c.stmts) >= maxPrepared {
		return nil, fmt.Errorf("direct read %q: statement cache full", text)
	}
	st, err := c.PrepareContext(ctx, text)
	if err != nil {
		return nil, err
	}
	c.stmts[text] = st
	return st, nil
}

// read runs s, a SELECT, through the driver and calls row for every row with
// the driver's values, which are only valid during the call. ctx bounds the
// wait for a connection and carries s's span and QueryTimeout; on SQLite the
// statement itself runs without it, so that the driver starts no goroutine
// to interrupt it (busy_timeout, set to QueryTimeout, bounds its lock
// waits); other drivers get ctx.
func (r runner) read(ctx context.Context, s stmt, args []driver.NamedValue, row func([]driver.Value) error) error {
	ctx, cancel, span := r.start(ctx, s)
	defer cancel()
	r.db.inflight.Add(1)
	defer r.db.inflight.Add(-1)
	c, err := r.db.sql.Conn(ctx)
	if err != nil {
		return r.end(span, err)
	}
	defer c.Close()
	qctx := ctx
	if r.db.cfg.Driver == DriverSQLite {
		qctx = context.WithoutCancel(ctx)
	}
	err = c.Raw(func(dc any) error {
		cn, ok := dc.(*conn)
		if !ok {
			return fmt.Errorf("direct read: connection is %T", dc)
		}
		st, err := cn.stmt(ctx, s.text)
		if err != nil {
			return err
		}
		q, ok := st.(driver.StmtQueryContext)
		if !ok {
			return fmt.Errorf("direct read: statement is %T", st)
		}
		rows, err := q.QueryContext(qctx, args)
		if err != nil {
			return err
		}
		dest := make([]driver.Value, len(rows.Columns()))
		for {
			err := rows.Next(dest)
			if errors.Is(err, io.EOF) {
				break
			}
			if err == nil {
				err = row(dest)
			}
			if err != nil {
				return errors.Join(err, rows.Close())
			}
		}
		return rows.Close()
	})
	return r.end(span, err)
}

// The driver values of the direct reads: SQLite gives int64, float64,
// string, []byte or nil; MySQL's binary protocol int64, []byte, time.Time
// or nil.

func int64Value(v driver.Value) (n int64, valid bool, err error) {
	switch x := v.(type) {
	case nil:
		return 0, false, nil
	case int64:
		return x, true, nil
	case []byte:
		n, err := strconv.ParseInt(string(x), 10, 64)
		return n, err == nil, err
	case string:
		n, err := strconv.ParseInt(x, 10, 64)
		return n, err == nil, err
	}
	return 0, false, fmt.Errorf("integer column: unexpected %T", v)
}

func stringValue(v driver.Value) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	}
	return "", fmt.Errorf("text column: unexpected %T", v)
}

// nullInt64 adapts int64Value to sql.NullInt64.
func nullInt64(v driver.Value) (sql.NullInt64, error) {
	n, ok, err := int64Value(v)
	return sql.NullInt64{Int64: n, Valid: ok}, err
}
