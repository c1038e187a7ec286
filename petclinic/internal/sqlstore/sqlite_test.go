package sqlstore

import (
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// sqliteSlow never ends on its own: it counts an unbounded recursion.
const sqliteSlow = `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT COUNT(*) FROM c`

var memoryDBs atomic.Int64

func TestSQLiteFile(t *testing.T) {
	t.Parallel()
	runStoreSuite(t, backend{
		name:       "sqlite file",
		concurrent: true,
		fresh: func(t *testing.T) Config {
			return Config{Driver: DriverSQLite, DSN: filepath.Join(t.TempDir(), "petclinic.db")}
		},
		slow: sqliteSlow,
	})
}

func TestSQLiteMemory(t *testing.T) {
	t.Parallel()
	runStoreSuite(t, backend{
		name: "sqlite in memory",
		fresh: func(t *testing.T) Config {
			return Config{DSN: fmt.Sprintf("file:sqlstore-test-%d?mode=memory&cache=shared", memoryDBs.Add(1))}
		},
		slow: sqliteSlow,
	})
}
