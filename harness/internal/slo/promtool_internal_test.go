package slo

import (
	"path/filepath"
	"slices"
	"testing"
)

// Every burst of the generated promtool tests proves its own line of the
// Workbook's table: every window holds as much clean history as it is long
// (a 3d rate is not computed over the 2h the test happens to have), an
// above burst fires its line and only the lines it implies, and below and
// reset fire nothing.
func TestBurstsProveTheirOwnLine(t *testing.T) {
	set, err := Load(filepath.Join("..", "..", "..", "slo"))
	if err != nil {
		t.Fatal(err)
	}
	// The Workbook's table: 3× over 1d and 2h is 1× over 3d and 6h, so the
	// 1d line cannot fire alone; every other line can.
	above := map[string][]string{"1h": {"1h"}, "6h": {"6h"}, "1d": {"1d", "3d"}, "3d": {"3d"}}
	n := 0
	for _, s := range set.SLOs {
		if s.Source != SourcePrometheus {
			continue
		}
		for _, b := range s.bursts() {
			n++
			for _, a := range BurnAlerts {
				for _, w := range []string{a.Long, a.Short} {
					d, _ := ParseWindow(w)
					if float64(b.History) < d.D.Minutes() {
						t.Errorf("%s %s burst for %s: %dm of history, shorter than the %s window", s.ID(), b.Case, b.Alert.Long, b.History, w)
					}
				}
			}
			fire, err := s.firing(b)
			if err != nil {
				t.Fatal(err)
			}
			want := []string{}
			if b.Case == "above" {
				want = above[b.Alert.Long]
			}
			if got := longs(fire); !slices.Equal(got, want) {
				t.Errorf("%s %s burst for %s: lines %v fire, want %v", s.ID(), b.Case, b.Alert.Long, got, want)
			}
		}
	}
	if n == 0 {
		t.Fatal("no bursts: no Prometheus SLO in slo/")
	}
}
