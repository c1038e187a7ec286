package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// mysqlEnv names the DSN of a MySQL/MariaDB whose user may create and drop
// databases; scripts/services/mariadb.sh start prints it.
const mysqlEnv = "PETCLINIC_TEST_MYSQL_DSN"

var mysqlDBs atomic.Int64

func TestMySQL(t *testing.T) {
	dsn := os.Getenv(mysqlEnv)
	if dsn == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set; CI must run the MySQL suite (eval \"$(scripts/services/mariadb.sh start)\")", mysqlEnv)
		}
		t.Skipf("%s is not set; run eval \"$(scripts/services/mariadb.sh start)\" to test against MariaDB", mysqlEnv)
	}
	t.Parallel()
	base, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatalf("%s: %v", mysqlEnv, err)
	}
	admin, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })

	runStoreSuite(t, backend{
		name:       "mysql",
		concurrent: true,
		fresh: func(t *testing.T) Config {
			// The name is ours, never input, so it may be spliced into DDL,
			// which cannot take it as a parameter.
			name := fmt.Sprintf("petclinic_test_%d_%d", os.Getpid(), mysqlDBs.Add(1))
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if _, err := admin.ExecContext(ctx, "CREATE DATABASE `"+name+"`"); err != nil {
				t.Fatalf("create database %s: %v", name, err)
			}
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				if _, err := admin.ExecContext(ctx, "DROP DATABASE `"+name+"`"); err != nil {
					t.Errorf("drop database %s: %v", name, err)
				}
			})
			c := base.Clone()
			c.DBName = name
			return Config{Driver: DriverMySQL, DSN: c.FormatDSN()}
		},
		slow: `SELECT SLEEP(10)`,
	})
}
