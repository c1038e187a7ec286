package sqlstore

import (
	"context"
	"testing"
	"time"
)

func TestConfigDefaults(t *testing.T) {
	for name, tc := range map[string]struct {
		in, want Config
	}{
		"the zero value is a private in-memory SQLite database": {
			in:   Config{},
			want: Config{Driver: "sqlite", DSN: ":memory:", MaxOpenConns: 1, MaxIdleConns: 1, QueryTimeout: 2 * time.Second},
		},
		"an in-memory database keeps exactly one connection forever": {
			in:   Config{DSN: "file:x?mode=memory&cache=shared", MaxOpenConns: 8, ConnMaxLifetime: time.Minute, ConnMaxIdleTime: time.Minute},
			want: Config{Driver: "sqlite", DSN: "file:x?mode=memory&cache=shared", MaxOpenConns: 1, MaxIdleConns: 1, QueryTimeout: 2 * time.Second},
		},
		"a SQLite file gets a small pool": {
			in:   Config{DSN: "/tmp/p.db", QueryTimeout: time.Second},
			want: Config{Driver: "sqlite", DSN: "/tmp/p.db", MaxOpenConns: 32, MaxIdleConns: 32, ConnMaxIdleTime: time.Minute, QueryTimeout: time.Second},
		},
		"MySQL gets HikariCP's defaults": {
			in:   Config{Driver: "mysql", DSN: "u:p@tcp(db:3306)/petclinic"},
			want: Config{Driver: "mysql", DSN: "u:p@tcp(db:3306)/petclinic", MaxOpenConns: 10, MaxIdleConns: 10, ConnMaxLifetime: 30 * time.Minute, ConnMaxIdleTime: 10 * time.Minute, QueryTimeout: 2 * time.Second},
		},
		"more idle than open connections is capped": {
			in:   Config{Driver: "mysql", DSN: "d", MaxOpenConns: 3, MaxIdleConns: 5},
			want: Config{Driver: "mysql", DSN: "d", MaxOpenConns: 3, MaxIdleConns: 3, ConnMaxLifetime: 30 * time.Minute, ConnMaxIdleTime: 10 * time.Minute, QueryTimeout: 2 * time.Second},
		},
	} {
		t.Run(name, func(t *testing.T) {
			got := tc.in
			if err := got.defaults(); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		in   Config
		want string
	}{
		"an unknown driver":   {Config{Driver: "postgres"}, `unknown driver "postgres", want "sqlite" or "mysql"`},
		"MySQL without a DSN": {Config{Driver: "mysql"}, "mysql needs a DSN"},
		"negative numbers, all reported": {
			Config{MaxOpenConns: -1, MaxIdleConns: -1, ConnMaxLifetime: -1, ConnMaxIdleTime: -1, QueryTimeout: -1},
			"MaxOpenConns must not be negative\nMaxIdleConns must not be negative\nConnMaxLifetime must not be negative\nConnMaxIdleTime must not be negative\nQueryTimeout must not be negative",
		},
	} {
		t.Run(name, func(t *testing.T) {
			err := tc.in.defaults()
			if err == nil || err.Error() != tc.want {
				t.Errorf("got error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestOpenReportsBadConfigAndUnreachableDatabases(t *testing.T) {
	for name, tc := range map[string]struct {
		cfg  Config
		want string
	}{
		"bad config":          {Config{Driver: "oracle"}, `sqlstore config: unknown driver "oracle", want "sqlite" or "mysql"`},
		"malformed MySQL DSN": {Config{Driver: "mysql", DSN: "no-slash"}, "open mysql: invalid DSN: missing the slash separating the database name"},
		"unreachable MySQL":   {Config{Driver: "mysql", DSN: "u:p@tcp(127.0.0.1:1)/x", QueryTimeout: time.Second}, "open mysql: ping: dial tcp 127.0.0.1:1: connect: connection refused"},
		"SQLite in a directory that does not exist": {Config{DSN: "/nonexistent/dir/p.db"}, "open sqlite: ping: unable to open database file (14)"},
	} {
		t.Run(name, func(t *testing.T) {
			db, err := Open(context.Background(), tc.cfg)
			if err == nil {
				db.Close()
				t.Fatal("got no error")
			}
			if err.Error() != tc.want {
				t.Errorf("got error %q, want %q", err, tc.want)
			}
		})
	}
}
