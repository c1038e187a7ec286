package sqlstore

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
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

// TestOwnerTreeNeedsNoSort pins the plan of the hottest read: the indexes of
// migration 0002 give SQLite the pets and visits in order, so it does not
// sort the owner tree in a temporary b-tree on every GET of an owner.
func TestOwnerTreeNeedsNoSort(t *testing.T) {
	db := openDB(t, Config{DSN: filepath.Join(t.TempDir(), "petclinic.db"), Seed: true})
	var plan []string
	err := db.run().query(t.Context(), stmt{"SELECT", "owners", "EXPLAIN QUERY PLAN " + selectOwnerTree.text}, []any{6}, func(rows *sql.Rows) error {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			return err
		}
		plan = append(plan, detail)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range plan {
		if strings.Contains(step, "TEMP B-TREE") {
			t.Errorf("the owner tree is sorted on every read: %q", plan)
		}
	}
	if len(plan) != 4 {
		t.Errorf("plan %q, want a search of each of the four tables", plan)
	}
}
