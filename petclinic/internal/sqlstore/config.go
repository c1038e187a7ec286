package sqlstore

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Drivers Open accepts.
const (
	DriverSQLite = "sqlite"
	DriverMySQL  = "mysql"
)

// Config configures Open. The zero value is an embedded, empty, in-memory
// SQLite database, like Spring PetClinic's default in-memory H2.
type Config struct {
	// Driver is DriverSQLite (the default) or DriverMySQL.
	Driver string
	// DSN locates the database.
	//  - sqlite: a file path ("/var/lib/petclinic/petclinic.db"), a "file:" URI,
	//    or an in-memory database: ":memory:" (the default) or a URI with
	//    mode=memory such as "file:test-42?mode=memory&cache=shared". Open adds
	//    the pragmas it needs (WAL, busy timeout, foreign keys).
	//  - mysql: a github.com/go-sql-driver/mysql DSN, for example
	//    "petclinic:petclinic@tcp(127.0.0.1:3306)/petclinic". Open forces
	//    parseTime, UTC and clientFoundRows (so an update that changes nothing
	//    still counts its row).
	DSN string
	// MaxOpenConns bounds the pool (HikariCP maximumPoolSize). Defaults: mysql
	// 10 (HikariCP's default); sqlite file 32: its connections are in the
	// process, WAL lets them read at once, and a request that waited for
	// one (4 before) left the cores idle while other requests queued behind
	// it (owners/1 under wrk -c32 served 20 to 50 % more with 32); sqlite
	// in-memory is always 1 because each connection to ":memory:" is its own
	// database.
	MaxOpenConns int
	// MaxIdleConns is how many idle connections the pool keeps (HikariCP
	// minimumIdle). Defaults to MaxOpenConns.
	MaxIdleConns int
	// ConnMaxLifetime retires connections after this age (HikariCP
	// maxLifetime). Defaults: mysql 30m, sqlite unlimited.
	ConnMaxLifetime time.Duration
	// ConnMaxIdleTime closes connections idle this long (HikariCP
	// idleTimeout). Defaults: mysql 10m, sqlite file 1m (the connections of a
	// burst give their page caches back).
	ConnMaxIdleTime time.Duration
	// QueryTimeout bounds every statement, including the wait for a pooled
	// connection and, on SQLite, for the write lock. Default 2s.
	QueryTimeout time.Duration
	// Seed loads the Spring PetClinic sample data and the REST admin user
	// when the database has neither owners nor vets.
	Seed bool
}

const (
	defaultQueryTimeout      = 2 * time.Second
	defaultMySQLMaxOpen      = 10
	defaultMySQLMaxLifetime  = 30 * time.Minute
	defaultMySQLMaxIdleTime  = 10 * time.Minute
	defaultSQLiteMaxOpen     = 32
	defaultSQLiteMaxIdleTime = time.Minute
)

// defaults fills unset fields and rejects impossible ones.
func (c *Config) defaults() error {
	if c.Driver == "" {
		c.Driver = DriverSQLite
	}
	var errs []error
	switch c.Driver {
	case DriverSQLite:
		if c.DSN == "" {
			c.DSN = ":memory:"
		}
	case DriverMySQL:
		if c.DSN == "" {
			errs = append(errs, errors.New("mysql needs a DSN"))
		}
	default:
		errs = append(errs, fmt.Errorf("unknown driver %q, want %q or %q", c.Driver, DriverSQLite, DriverMySQL))
	}
	for _, f := range []struct {
		name string
		neg  bool
	}{
		{"MaxOpenConns", c.MaxOpenConns < 0},
		{"MaxIdleConns", c.MaxIdleConns < 0},
		{"ConnMaxLifetime", c.ConnMaxLifetime < 0},
		{"ConnMaxIdleTime", c.ConnMaxIdleTime < 0},
		{"QueryTimeout", c.QueryTimeout < 0},
	} {
		if f.neg {
			errs = append(errs, fmt.Errorf("%s must not be negative", f.name))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}

	if c.QueryTimeout == 0 {
		c.QueryTimeout = defaultQueryTimeout
	}
	switch {
	case c.Driver == DriverSQLite && c.inMemory():
		// A second connection would open a second, empty database, and
		// closing the only one would drop the data.
		c.MaxOpenConns, c.MaxIdleConns = 1, 1
		c.ConnMaxLifetime, c.ConnMaxIdleTime = 0, 0
	case c.Driver == DriverSQLite:
		if c.MaxOpenConns == 0 {
			c.MaxOpenConns = defaultSQLiteMaxOpen
		}
		if c.ConnMaxIdleTime == 0 {
			c.ConnMaxIdleTime = defaultSQLiteMaxIdleTime
		}
	case c.Driver == DriverMySQL:
		if c.MaxOpenConns == 0 {
			c.MaxOpenConns = defaultMySQLMaxOpen
		}
		if c.ConnMaxLifetime == 0 {
			c.ConnMaxLifetime = defaultMySQLMaxLifetime
		}
		if c.ConnMaxIdleTime == 0 {
			c.ConnMaxIdleTime = defaultMySQLMaxIdleTime
		}
	}
	if c.MaxIdleConns == 0 || c.MaxIdleConns > c.MaxOpenConns {
		c.MaxIdleConns = c.MaxOpenConns
	}
	return nil
}

func (c *Config) inMemory() bool {
	return c.DSN == ":memory:" || strings.Contains(c.DSN, "mode=memory")
}
