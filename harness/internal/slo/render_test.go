package slo_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/slo"
)

// The HTML report, golden: the bar of the budget left per SLO, and a line
// chart of the budget left over time per SLO with a history (here a week
// burning down through the policy line, and one too short to draw).
func TestReportHTMLGolden(t *testing.T) {
	set, err := slo.Load(filepath.Join("..", "..", "..", "slo"))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 27, 21, 0, 0, 0, time.UTC)
	f := func(x float64) *float64 { return &x }
	rep := &slo.Report{SchemaVersion: slo.ReportSchema, At: at, Prometheus: "http://127.0.0.1:9090", MinRemaining: slo.DefaultMinRemaining}
	for i, name := range []string{"api-availability", "ui-availability"} {
		s := set.Find(name)
		st := &slo.Status{SLO: s, At: at, Source: slo.FromRecorded, State: slo.StateOK, Remaining: f(0.1), Period: slo.WindowStatus{Window: "30d", ErrorRatio: f(0.9 * s.Budget())}}
		if i == 0 {
			for d := 7; d >= 0; d-- {
				st.History = append(st.History, slo.HistoryPoint{At: at.Add(-time.Duration(d) * 24 * time.Hour), Remaining: 1 - 0.9*float64(7-d)/7})
			}
		} else {
			st.History = []slo.HistoryPoint{{At: at, Remaining: 0.1}}
		}
		rep.SLOs = append(rep.SLOs, st)
	}
	got, err := rep.HTML()
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "report.golden.html")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (go test -run TestReportHTMLGolden -update writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("HTML differs from %s (go test -run TestReportHTMLGolden -update, and review the diff):\n%s", golden, got)
	}
	if n := strings.Count(string(got), "<polyline"); n != 1 {
		t.Errorf("%d line charts, want 1 (the SLO with a history of 8 points)", n)
	}
}
