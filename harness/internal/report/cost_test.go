package report_test

import (
	"strings"
	"testing"

	"github.com/gamedayhq/gameday/harness/internal/report"
)

// The cost section shows in report.md and report.html when the run has
// one, and says why when its figures are missing.
func TestCostSection(t *testing.T) {
	r := fixture(t)
	per := 0.000082
	r.Cost = &report.Cost{Source: "opencost", Catalog: "aws-list-prices 2026.12.1 (2026-12-06)", Currency: "USD", PlatformUSD: 0.0117,
		GameDayUSD: 0.000027, LoadGeneratorUSD: 0.000027, Per1000RequestsUSD: &per,
		Rows:  []report.CostRow{{Item: "nodes in zone-a", USD: 0.00284, Detail: "1 node(s): [m7i.large]", Source: "opencost"}, {Item: "load generator", USD: 0.000027, Source: "gameday process CPU time x catalog"}},
		Notes: []string{"Prometheus holds 19s of node data for the run's 24s"}}
	md, err := report.Markdown(r)
	if err != nil {
		t.Fatal(err)
	}
	h, err := report.HTML(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"The game day cost **$0.000027** (load generator $0.000027, extra capacity during faults $0.00); the platform cost $0.01 while it ran. Source: opencost",
		"| nodes in zone-a | $0.00284 | 1 node(s): [m7i.large] | opencost |", "Per 1,000 requests of the load: $0.000082.", "- Prometheus holds 19s"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	for _, want := range []string{"<h2>Cost</h2>", "<strong>$0.000027</strong>", "<td>nodes in zone-a</td><td>$0.00284</td>", "Per 1,000 requests of the load: $0.000082."} {
		if !strings.Contains(string(h), want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	r.Cost = &report.Cost{Error: "cost: no cost data in the window"}
	md, _ = report.Markdown(r)
	h, _ = report.HTML(r)
	if !strings.Contains(string(md), "No cost figures: cost: no cost data in the window") || !strings.Contains(string(h), "No cost figures: cost: no cost data in the window") {
		t.Errorf("a missing cost section does not say why")
	}
}
