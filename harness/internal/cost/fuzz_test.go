package cost

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gamedayhq/gameday/harness/internal/repotest"
)

// ParseBudgets never panics; what it accepts has positive budgets and a
// warnAt in (0, 1].
func FuzzParseBudgets(f *testing.F) {
	good, err := os.ReadFile(filepath.Join(repotest.Root(f), DefaultBudgets))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte("apiVersion: gameday.dev/v1\nkind: CostBudgets\ncurrency: USD\nbudgets:\n  - environment: a\n    monthlyUSD: 1\n"))
	f.Add([]byte("budgets: [null, {environment: x}]\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		bs, err := ParseBudgets("fuzz.yaml", b)
		if err != nil {
			return
		}
		for _, x := range bs.Budgets {
			if x.MonthlyUSD <= 0 || x.WarnAt <= 0 || x.WarnAt > 1 || x.Environment == "" {
				t.Errorf("accepted %+v", x)
			}
		}
	})
}
