package cost

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/cost/catalog"
	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/history"
	"github.com/gamedayhq/gameday/harness/internal/load"
	"github.com/gamedayhq/gameday/harness/internal/report"
	"github.com/gamedayhq/gameday/harness/internal/repotest"
	"github.com/gamedayhq/gameday/harness/internal/verdict"
)

// A 730-hour window: each line is its monthly figure.
var month730 = Window{Start: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).Add(730 * time.Hour)}

func repoInputs(t *testing.T) (*catalog.Catalog, *Inventory) {
	t.Helper()
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	inv, err := LoadInventory(filepath.Join(repotest.Root(t), DefaultInventory))
	if err != nil {
		t.Fatal(err)
	}
	return cat, inv
}

// prod without a Prometheus: terraform's sizes priced by the catalog, by
// hand.
func TestBuildPricesTheInventoryByHand(t *testing.T) {
	cat, inv := repoInputs(t)
	bs, err := ParseBudgets("b.yaml", []byte(`apiVersion: gameday.dev/v1
kind: CostBudgets
currency: USD
budgets:
  - environment: prod
    monthlyUSD: 2100
    usage:
      natGatewayGiB: 1000
`))
	if err != nil {
		t.Fatal(err)
	}
	e, err := Build(EnvInput{Name: "prod", Region: "eu-west-1", Window: month730, Catalog: cat, Inventory: inv.Environments["prod"], Budget: bs.For("prod")})
	if err != nil {
		t.Fatal(err)
	}
	hourly := map[string]float64{
		CatCompute:      3*0.2247 + 3*(0.0899+0.0856+0.077+0.1034)/4, // 3 m7i.xlarge on-demand, 3 spot at the mean of 4 types
		CatControlPlane: 0.10,
		CatLoadBalancer: 0.0252,
		CatDatabase:     0.53 + 100*0.254/730, // db.r7g.large Multi-AZ, 100 GiB gp3 Multi-AZ
		CatCache:        3 * 0.242,
		CatNAT:          3*0.048 + 1000*0.048/730, // 3 gateways, and the assumed 1,000 GiB a month
		CatEndpoints:    3 * 3 * 0.011,
		CatStorage:      600 * 0.088 / 730, // 6 nodes x 100 GiB root volumes
	}
	var total float64
	for cat, h := range hourly {
		near(t, cat, lineUSD(e, cat), h*730)
		total += h * 730
	}
	near(t, "total", e.TotalUSD, total) // 1,998.81
	if e.ComputeSource != SourceInventory || e.Efficiency != nil || e.Unit != nil {
		t.Errorf("source %q, efficiency %v, unit %v: want the inventory and nothing measured", e.ComputeSource, e.Efficiency, e.Unit)
	}
	// The run rate is the whole month; December has 744 h.
	near(t, "run rate", e.Forecast.RunRateHourly, total/730)
	near(t, "month end", e.Forecast.MonthEndUSD, total/730*744)
	if e.Budget.State != BudgetAtRisk {
		t.Errorf("budget %+v, want at risk (%.2f of 2100)", e.Budget, total/730*744)
	}
	var um []string
	for _, u := range e.Unmeasured {
		um = append(um, u.Item)
	}
	want := "interface endpoint data processed, ALB capacity units (LCU), " +
		"S3 storage of Loki and Tempo, Managed Prometheus samples ingested, Managed Prometheus storage, traffic between zones (each direction)"
	if got := strings.Join(um, ", "); got != want {
		t.Errorf("unmeasured:\n got %s\nwant %s", got, want)
	}
	for _, l := range e.Lines {
		if !strings.Contains(l.Source, "catalog aws-list-prices") {
			t.Errorf("line %q: source %q does not cite the catalog", l.Item, l.Source)
		}
	}
}

func TestBuildNamesTheMissingPriceAndEnvironment(t *testing.T) {
	cat, inv := repoInputs(t)
	env := *inv.Environments["staging"]
	env.Sizing.MySQL.InstanceClass = "db.r8g.large"
	_, err := Build(EnvInput{Name: "staging", Region: "eu-west-1", Window: month730, Catalog: cat, Inventory: &env})
	if err == nil || !strings.Contains(err.Error(), "environment staging: no price for DB instance class db.r8g.large (multiAZ) in region eu-west-1") {
		t.Errorf("got %v", err)
	}
}

func TestCostOfResilienceByHand(t *testing.T) {
	cat, inv := repoInputs(t)
	e, err := Build(EnvInput{Name: "prod", Region: "eu-west-1", Window: month730, Catalog: cat, Inventory: inv.Environments["prod"]})
	if err != nil {
		t.Fatal(err)
	}
	att := 0.9995
	errRatio := 0.02
	r, err := CostOfResilience(ResilienceInput{Env: e, Inventory: inv.Environments["prod"], Catalog: cat, Window: month730, Zones: 3,
		Availability: &Availability{SLO: "petclinic-api-availability", Objective: 0.999, WindowHours: 720, DataHours: 720, Attainment: &att, Source: SourceSLO},
		History:      []ExperimentRecord{{Experiment: "zone-outage", Runs: 2, Verdicts: map[string]int{"held": 2}, FaultErrorRatio: &errRatio}}})
	if err != nil {
		t.Fatal(err)
	}
	items := map[string]float64{}
	for _, it := range r.Items {
		items[it.Item] = it.MonthlyUSD
	}
	near(t, "NAT per zone", items["a NAT gateway per zone"], 2*0.048*730)                                // 70.08
	near(t, "RDS standby", items["RDS Multi-AZ standby"], (0.53-0.265)*730+(0.254-0.127)*100)            // 193.45 + 12.70
	near(t, "cache replicas", items["cache replicas"], 2*0.242*730)                                      // 353.32
	near(t, "endpoints", items["interface endpoints in the other zones"], 3*2*0.011*730)                 // 48.18
	near(t, "premium", r.PremiumMonthlyUSD, 2*0.048*730+(0.53-0.265)*730+12.7+2*0.242*730+3*2*0.011*730) // 677.73
	// 99.95 % is 3.30 nines, one zone's 99.5 % is 2.30: one extra nine.
	near(t, "extra nines", *r.ExtraNines, 1)
	near(t, "per extra nine", *r.PerExtraNineUSD, r.PremiumMonthlyUSD)
	// A 1 h outage against the 43.2 min budget of 99.9 % over 30 days.
	near(t, "zone loss without HA", r.ZoneLoss.WithoutHA, 1/0.72)
	near(t, "zone loss with HA", *r.ZoneLoss.WithHA, 0.02/0.72)
	if !strings.Contains(r.ZoneLoss.Detail, "spends 138.9 % of the 30.0 days error budget") {
		t.Errorf("zone loss detail %q", r.ZoneLoss.Detail)
	}
	// Measured nothing above one zone: no cost per nine, said plainly.
	low := 0.99
	r, err = CostOfResilience(ResilienceInput{Env: e, Inventory: inv.Environments["prod"], Catalog: cat, Window: month730, Zones: 3,
		Availability: &Availability{SLO: "x", Objective: 0.999, WindowHours: 720, Attainment: &low}})
	if err != nil {
		t.Fatal(err)
	}
	if r.PerExtraNineUSD != nil || !strings.Contains(strings.Join(r.Notes, " "), "the premium bought no measurable nine") {
		t.Errorf("per nine %v, notes %q", r.PerExtraNineUSD, r.Notes)
	}
}

func TestExtraReplicas(t *testing.T) {
	m := &Measurement{
		Allocations: []Allocation{
			{Namespace: "p", Workload: "petclinic", Pod: "a", CPUUSD: 1, RAMUSD: 0.5},
			{Namespace: "p", Workload: "petclinic", Pod: "b", CPUUSD: 1, RAMUSD: 0.5},
			{Namespace: "p", Workload: "petclinic", Pod: "c", CPUUSD: 1, RAMUSD: 0.5},
		},
		Usage: []ContainerUsage{
			{Namespace: "p", Pod: "a", Hours: 100, CPURequest: 0.25, CPUP95: 0.1, RAMRequest: 128 << 20, RAMP95: 60 << 20},
			{Namespace: "p", Pod: "b", Hours: 100, CPURequest: 0.25, CPUP95: 0.1, RAMRequest: 128 << 20, RAMP95: 60 << 20},
			{Namespace: "p", Pod: "c", Hours: 100, CPURequest: 0.25, CPUP95: 0.1, RAMRequest: 128 << 20, RAMP95: 60 << 20},
		},
	}
	// 3 replicas; the load (0.3 cores, 180 MiB) needs 2 at the requests; one
	// replica extra at 4.5 $ / 300 pod-hours = 0.015 $/h.
	item, monthly, detail, ok := extraReplicas(m, 100, "petclinic", 730)
	if !ok || item != "extra replicas of petclinic" {
		t.Fatalf("%q %v %q", item, ok, detail)
	}
	near(t, "extra replicas", monthly, 1*0.015*730)
}

func TestParseBudgetsRefusesBadBudgets(t *testing.T) {
	head := "apiVersion: gameday.dev/v1\nkind: CostBudgets\ncurrency: USD\nbudgets:\n"
	for name, tt := range map[string]struct{ body, want string }{
		"a negative budget":    {head + "  - environment: prod\n    monthlyUSD: -5\n", "b.yaml:6:17: budgets[0].monthlyUSD: -5: want a positive amount (environment prod)"},
		"an environment twice": {head + "  - environment: prod\n    monthlyUSD: 5\n  - environment: prod\n    monthlyUSD: 6\n", "b.yaml:7:18: budgets[1].environment: prod has a budget already"},
		"a misspelt field":     {head + "  - environment: prod\n    monthly: 5\n", "b.yaml:6:5: budgets[0].monthly: unknown field \"monthly\""},
		"a warning above 1":    {head + "  - environment: prod\n    monthlyUSD: 5\n    warnAt: 1.5\n", "b.yaml:7:13: budgets[0].warnAt: 1.5: want a share of the budget in (0, 1]"},
		"euros":                {strings.Replace(head, "USD", "EUR", 1), `b.yaml:3:11: currency: must be "USD", not "EUR": the price catalog is in USD`},
		"a string amount":      {head + "  - environment: prod\n    monthlyUSD: lots\n", "b.yaml:6:17: budgets[0].monthlyUSD: must be a finite number, not a string"},
		"a list for a map":     {head + "  - environment: prod\n    monthlyUSD: 5\n    usage: [1]\n", "b.yaml:7:12: budgets[0].usage: must be a mapping, not a list"},
		"a negative usage":     {head + "  - environment: prod\n    monthlyUSD: 5\n    usage:\n      s3StorageGiB: -1\n", "b.yaml:8:21: budgets[0].usage.s3StorageGiB: -1: want a quantity >= 0"},
		"a null budget":        {head + "  - null\n", "b.yaml:5:5: budgets[0]: must be a mapping with environment and monthlyUSD, not null"},
		"another kind":         {strings.Replace(head, "CostBudgets", "Budgets", 1), `b.yaml:2:7: kind: must be "CostBudgets", not "Budgets"`},
		"two documents":        {head + "---\n" + head, "b.yaml: want one CostBudgets document, found 2"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseBudgets("b.yaml", []byte(tt.body))
			if err == nil || !strings.Contains(err.Error(), tt.want) || exitcode.Of(err) != exitcode.Invalid {
				t.Errorf("got %v\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

func TestTheRepositoryBudgetsLoad(t *testing.T) {
	bs, err := LoadBudgets(filepath.Join(repotest.Root(t), DefaultBudgets))
	if err != nil {
		t.Fatal(err)
	}
	_, inv := repoInputs(t)
	for _, env := range inv.Names() {
		if bs.For(env) == nil {
			t.Errorf("environment %s of the inventory has no budget in %s", env, DefaultBudgets)
		}
	}
}

// The history counts the resilience experiments' verdicts and their error
// ratio during faults, and keeps the cost of each game day in the window.
func TestReadHistory(t *testing.T) {
	dir := t.TempDir()
	start := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	write := func(suite, id, exp string, status verdict.Status, at time.Time, withCost bool) {
		r := &report.Report{SchemaVersion: report.SchemaVersion, RunID: id, Suite: suite, Experiment: report.Experiment{Name: exp},
			Target:  report.Target{Kind: "sandbox"},
			Timings: report.Timings{Start: at, End: at.Add(10 * time.Second), ActualSeconds: 10},
			Verdict: verdict.Verdict{Status: status, Faults: []verdict.FaultResult{{Name: "f", Injected: at.Add(4 * time.Second), Recovered: at.Add(6 * time.Second)}}},
			Load:    report.Load{Total: load.Summary{Requests: 100}},
		}
		for s := 0; s < 10; s++ {
			p := report.Point{Offset: s, Requests: 10, Successes: 10}
			if s == 4 || s == 5 {
				p.Successes = 9 // 1 of 10 fails while the fault is active
			}
			r.Timeline = append(r.Timeline, p)
		}
		if withCost {
			r.Cost = &report.Cost{Source: SourceOpenCost, GameDayUSD: 0.25, LoadGeneratorUSD: 0.2, ExtraCapacityUSD: 0.05, PlatformUSD: 3}
		}
		d := filepath.Join(dir, suite, id)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(r)
		if err := os.WriteFile(filepath.Join(d, report.FileJSON), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("adhoc", "1", "zone-outage", verdict.Held, start, true)
	write("weekly", "2", "zone-outage", verdict.Failed, start.Add(time.Hour), false)
	write("weekly", "3", "pod-kill", verdict.Held, start.Add(2*time.Hour), true)
	write("weekly", "4", "http-500", verdict.Held, start.AddDate(0, 0, -30), true) // before the window
	if err := os.WriteFile(filepath.Join(dir, "weekly", "notes.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "weekly", "5"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "weekly", "5", report.FileJSON), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	h, err := ReadHistory(t.Context(), openHistory(t, dir), Window{Start: start.AddDate(0, 0, -1), End: start.AddDate(0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Runs) != 3 || h.Runs[0].GameDayUSD == nil || *h.Runs[0].GameDayUSD != 0.25 || h.Runs[1].GameDayUSD != nil {
		t.Errorf("runs %+v, want 3 in the window, the first with its cost, the second without a section", h.Runs)
	}
	if len(h.Experiments) != 2 || h.Experiments[0].Experiment != "zone-outage" || h.Experiments[0].Runs != 2 ||
		h.Experiments[0].Verdicts["held"] != 1 || h.Experiments[0].Verdicts["failed"] != 1 || h.Experiments[0].LastVerdict != "failed" {
		t.Errorf("experiments %+v", h.Experiments)
	}
	if r := h.Experiments[0].FaultErrorRatio; r == nil || math.Abs(*r-0.1) > 1e-12 || h.Experiments[0].FaultSeconds != 4 {
		t.Errorf("zone-outage error ratio during faults %v over %v s, want 0.1 over 4 s", r, h.Experiments[0].FaultSeconds)
	}
	if len(h.Skipped) != 1 || !strings.Contains(h.Skipped[0], filepath.Join(dir, "weekly", "5", report.FileJSON)) {
		t.Errorf("skipped %v, want weekly/5's report.json", h.Skipped)
	}
	none := filepath.Join(dir, "none")
	if h, err := ReadHistory(t.Context(), openHistory(t, none), month730); err != nil || len(h.Runs) != 0 {
		t.Errorf("a missing directory: %v %v, want an empty history", h, err)
	}
	if _, err := os.Stat(none); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("reading a missing history created %s (%v)", none, err)
	}
}

// openHistory opens the history of the reports tree at dir to read it.
func openHistory(t *testing.T, dir string) *history.Store {
	t.Helper()
	s, err := history.Open(dir, history.Options{Reader: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
