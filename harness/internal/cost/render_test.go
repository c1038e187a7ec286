package cost

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/repotest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// fixtureReport is a report made without Prometheus: prod from the
// inventory, and a measured environment written by hand.
func fixtureReport(t *testing.T) *Report {
	t.Helper()
	cat, inv := repoInputs(t)
	bs, err := LoadBudgets(filepath.Join(repotest.Root(t), DefaultBudgets))
	if err != nil {
		t.Fatal(err)
	}
	w := Window{Start: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)}
	reqs, good, xz := 1_000_000.0, 999_000.0, 12.5
	m := &Measurement{Source: SourceOpenCost, Window: w, Resolution: 15 * time.Minute, DataHours: 168, Requests: &reqs, Successful: &good, CrossZoneGiB: &xz,
		Nodes: []NodeCost{
			{Name: "ip-10-0-1-10", Zone: "eu-west-1a", Region: "eu-west-1", InstanceType: "m7i.large", Capacity: "ON_DEMAND", Hours: 168, USD: 0.11235 * 168, CPUHourly: 0.0366, RAMHourly: 0.0049, Source: SourceOpenCost},
			{Name: "ip-10-0-2-10", Zone: "eu-west-1b", Region: "eu-west-1", InstanceType: "m7i.large", Capacity: "ON_DEMAND", Hours: 168, USD: 0.11235 * 168, CPUHourly: 0.0366, RAMHourly: 0.0049, Source: SourceOpenCost},
			{Name: "ip-10-0-3-10", Zone: "eu-west-1c", Region: "eu-west-1", InstanceType: "m6i.large", Capacity: "SPOT", Hours: 100, USD: 0.0428 * 100, CPUHourly: 0.014, RAMHourly: 0.0018, Source: SourceOpenCost},
		},
		Allocations: []Allocation{
			{Namespace: "petclinic", Workload: "petclinic", Pod: "petclinic-6c7f-a", Container: "petclinic", Node: "ip-10-0-1-10", Zone: "eu-west-1a", CPUCoreHours: 42, RAMGiBHours: 21, CPUUSD: 1.5372, RAMUSD: 0.1029},
			{Namespace: "petclinic", Workload: "petclinic", Pod: "petclinic-6c7f-b", Container: "petclinic", Node: "ip-10-0-2-10", Zone: "eu-west-1b", CPUCoreHours: 42, RAMGiBHours: 21, CPUUSD: 1.5372, RAMUSD: 0.1029},
			{Namespace: "gameday", Workload: "gameday-k8s-staging-weekly", Pod: "gameday-k8s-staging-weekly-2911-x", Container: "gameday", Node: "ip-10-0-3-10", Zone: "eu-west-1c", CPUCoreHours: 1, RAMGiBHours: 0.5, CPUUSD: 0.014, RAMUSD: 0.0009},
		},
		Lines: []Line{
			{Category: CatLoadBalancer, Item: "load balancer of Service petclinic/petclinic", ResourceID: "petclinic/petclinic", Quantity: 168, Unit: "hours", UnitPrice: 0.0252, USD: 0.0252 * 168, Source: SourceOpenCost, Service: ServiceELB, Pricing: "on-demand"},
			{Category: CatNetwork, Item: "traffic between zones", ResourceID: "cross-zone", Quantity: 12.5, Unit: "GiB", UnitPrice: 0.02, USD: 0.25, Source: SourceOpenCost, Service: ServiceEC2, Pricing: "on-demand"},
		},
		Usage: []ContainerUsage{
			{Namespace: "petclinic", Pod: "petclinic-6c7f-a", Container: "petclinic", CPUUsageCoreHours: 8.4, CPURequestCoreHours: 42, RAMUsageGiBHours: 16, RAMRequestGiBHours: 21, CPURequest: 0.25, RAMRequest: 128 << 20, CPUP95: 0.08, RAMP95: 104 << 20, Hours: 168},
			{Namespace: "petclinic", Pod: "petclinic-6c7f-b", Container: "petclinic", CPUUsageCoreHours: 8.4, CPURequestCoreHours: 42, RAMUsageGiBHours: 16, RAMRequestGiBHours: 21, CPURequest: 0.25, RAMRequest: 128 << 20, CPUP95: 0.07, RAMP95: 100 << 20, Hours: 168},
		},
	}
	staging, err := Build(EnvInput{Name: "staging", Region: "eu-west-1", Prometheus: "http://prometheus.staging:9090", Window: w, Catalog: cat, Measured: m,
		Inventory: inv.Environments["staging"], Budget: bs.For("staging")})
	if err != nil {
		t.Fatal(err)
	}
	prod, err := Build(EnvInput{Name: "prod", Region: "eu-west-1", Window: w, Catalog: cat, Inventory: inv.Environments["prod"], Budget: bs.For("prod")})
	if err != nil {
		t.Fatal(err)
	}
	att := 0.9993
	ratio := 0.004
	res, err := CostOfResilience(ResilienceInput{Env: staging, Inventory: inv.Environments["staging"], Measured: m, Catalog: cat, Window: w, Zones: 3,
		Availability: &Availability{SLO: "petclinic-api-availability", Objective: 0.999, WindowHours: 720, DataHours: 600, Attainment: &att, Source: SourceSLO + " (recorded)"},
		History: []ExperimentRecord{
			{Experiment: "zone-outage", Runs: 4, Verdicts: map[string]int{"held": 3, "failed": 1}, FaultErrorRatio: &ratio, FaultSeconds: 480, Last: w.End.Add(-24 * time.Hour), LastVerdict: "held"},
			{Experiment: "pod-kill", Runs: 6, Verdicts: map[string]int{"held": 6}, FaultSeconds: 360, Last: w.End.Add(-48 * time.Hour), LastVerdict: "held"},
		}})
	if err != nil {
		t.Fatal(err)
	}
	gd := 0.0031
	r := &Report{SchemaVersion: ReportSchema, GeneratedAt: w.End.Add(time.Hour), Window: w, Currency: "USD", HoursPerMonth: 730,
		Catalog:      CatalogRef{Name: cat.Metadata.Name, Version: cat.Metadata.Version, Date: cat.Metadata.Date, File: "harness/internal/cost/catalog/aws.yaml"},
		Environments: []*Environment{staging, prod}, Resilience: []*Resilience{res},
		GameDays: []GameDayCost{
			{RunID: "20261125-100000-zone-outage", Suite: "k8s-staging-weekly", Experiment: "zone-outage", Start: w.Start.Add(58 * time.Hour), Seconds: 600, Verdict: "held",
				Environment: "kubernetes", GameDayUSD: &gd, LoadGeneratorUSD: 0.0021, ExtraCapacityUSD: 0.001, PlatformUSD: 0.42, Source: SourceReports + " (opencost)"},
			{RunID: "20261124-100000-pod-kill", Suite: "adhoc", Experiment: "pod-kill", Start: w.Start.Add(34 * time.Hour), Seconds: 90, Verdict: "held", Source: "no cost section in the report"},
		}}
	r.TotalUSD = staging.TotalUSD + prod.TotalUSD
	return r
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (go test ./internal/cost -update writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s (go test ./internal/cost -run Golden -update, then review the diff)", name, p)
	}
}

func TestRenderGolden(t *testing.T) {
	r := fixtureReport(t)
	js, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "report.json", js)
	golden(t, "report.md", r.Markdown())
	h, err := r.HTML()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "report.html", h)
	f, err := r.FOCUS(FOCUSOptions{BillingAccountID: "123456789012", BillingAccountName: "gameday", RegionNames: map[string]string{"eu-west-1": "EU (Ireland)"}})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "focus.csv", f)
}

// The HTML is one self-contained page: no script, no external asset, its
// charts inline SVG.
func TestHTMLIsSelfContained(t *testing.T) {
	h, err := fixtureReport(t).HTML()
	if err != nil {
		t.Fatal(err)
	}
	s := string(h)
	for _, bad := range []string{"<script", "src=", "href=", "@import", "url("} {
		if strings.Contains(s, bad) {
			t.Errorf("the page contains %q", bad)
		}
	}
	if n := strings.Count(s, "<svg"); n < 6 {
		t.Errorf("%d inline SVG charts, want the environments, forecast, categories, namespaces and premium charts", n)
	}
	for _, want := range []string{"cost per extra nine", "Rightsizing", "month-end forecast", "Cost of each game day", "Losing a zone"} {
		if !strings.Contains(s, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

// focusMandatory are the columns FOCUS 1.0 and 1.1 mark "Feature level:
// Mandatory" (FinOps-Open-Cost-and-Usage-Spec/FOCUS_Spec,
// specification/columns/*.md), with their data type and whether they allow
// nulls.
var focusMandatory = map[string]struct {
	typ      string
	nullable bool
}{
	"BilledCost": {"Decimal", false}, "BillingAccountId": {"String", false}, "BillingAccountName": {"String", true},
	"BillingCurrency": {"String", false}, "BillingPeriodEnd": {"DateTime", false}, "BillingPeriodStart": {"DateTime", false},
	"ChargeCategory": {"String", false}, "ChargeClass": {"String", true}, "ChargeDescription": {"String", true},
	"ChargePeriodEnd": {"DateTime", false}, "ChargePeriodStart": {"DateTime", false}, "ContractedCost": {"Decimal", false},
	"EffectiveCost": {"Decimal", false}, "InvoiceIssuerName": {"String", false}, "ListCost": {"Decimal", false},
	"PricingQuantity": {"Decimal", true}, "PricingUnit": {"String", true}, "ProviderName": {"String", false},
	"PublisherName": {"String", false}, "ServiceCategory": {"String", false}, "ServiceName": {"String", false},
}

// The conditional and recommended columns gameday fills, with their types.
var focusOther = map[string]string{
	"AvailabilityZone": "String", "ChargeFrequency": "String", "ConsumedQuantity": "Decimal", "ConsumedUnit": "String",
	"ContractedUnitPrice": "Decimal", "ListUnitPrice": "Decimal", "PricingCategory": "String", "RegionId": "String", "RegionName": "String",
	"ResourceId": "String", "ResourceName": "String", "ResourceType": "String", "SkuId": "String", "SkuPriceId": "String",
	"SubAccountId": "String", "SubAccountName": "String", "Tags": "KeyValue",
}

var (
	focusDateTime = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$`)
	focusDecimal  = regexp.MustCompile(`^-?\d+(\.\d+)?$`)
	allowed       = map[string][]string{
		"ChargeCategory":  {"Usage", "Purchase", "Tax", "Credit", "Adjustment"},
		"ChargeClass":     {"", "Correction"},
		"ChargeFrequency": {"One-Time", "Recurring", "Usage-Based"},
		"PricingCategory": {"", "Standard", "Dynamic", "Committed", "Other"},
		"ServiceCategory": {"AI and Machine Learning", "Analytics", "Business Applications", "Compute", "Databases", "Developer Tools", "Multicloud",
			"Identity", "Integration", "Internet of Things", "Management and Governance", "Media", "Migration", "Mobile", "Networking", "Security",
			"Storage", "Web", "Other"},
	}
)

// The FOCUS CSV has every mandatory column, each value of its type and
// allowed values, non-null where the spec says so, unit price x pricing
// quantity = cost, and its rows add up to the report's total.
func TestFOCUSColumnsAndTypes(t *testing.T) {
	r := fixtureReport(t)
	b, err := r.FOCUS(FOCUSOptions{BillingAccountID: "123456789012", BillingAccountName: "gameday", RegionNames: map[string]string{"eu-west-1": "EU (Ireland)"}})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	head := rows[0]
	col := map[string]int{}
	for i, c := range head {
		col[c] = i
		if !strings.HasPrefix(c, "x_") && focusOther[c] == "" {
			if _, ok := focusMandatory[c]; !ok {
				t.Errorf("column %s is neither a FOCUS column nor a custom x_ column", c)
			}
		}
	}
	for c := range focusMandatory {
		if _, ok := col[c]; !ok {
			t.Errorf("mandatory column %s is missing", c)
		}
	}
	if len(rows) < 20 {
		t.Fatalf("%d rows, want every line of both environments", len(rows)-1)
	}
	var estimated float64
	check := func(row []string, i int, c, typ string) {
		v := row[col[c]]
		if v == "" {
			return
		}
		switch typ {
		case "Decimal":
			if !focusDecimal.MatchString(v) {
				t.Errorf("row %d: %s %q is not a FOCUS decimal", i, c, v)
			}
		case "DateTime":
			if !focusDateTime.MatchString(v) {
				t.Errorf("row %d: %s %q is not a FOCUS date-time", i, c, v)
			}
		case "KeyValue":
			var m map[string]string
			if err := json.Unmarshal([]byte(v), &m); err != nil {
				t.Errorf("row %d: %s %q is not a JSON object of strings: %v", i, c, v, err)
			}
		}
	}
	for i, row := range rows[1:] {
		for c, spec := range focusMandatory {
			if !spec.nullable && row[col[c]] == "" {
				t.Errorf("row %d: %s is null", i, c)
			}
			check(row, i, c, spec.typ)
		}
		for c, typ := range focusOther {
			check(row, i, c, typ)
		}
		for c, vals := range allowed {
			if !slices.Contains(vals, row[col[c]]) {
				t.Errorf("row %d: %s %q is not an allowed value", i, c, row[col[c]])
			}
		}
		// Estimates, not invoice lines: nothing billed, the estimate in
		// the effective, list and contracted costs, said in two columns.
		if row[col["BilledCost"]] != "0" || row[col["x_Estimated"]] != "true" || !strings.HasPrefix(row[col["ChargeDescription"]], "Estimate at list price, not billed: ") {
			t.Errorf("row %d: BilledCost %q, x_Estimated %q, ChargeDescription %q: want 0, true and a description that says estimate",
				i, row[col["BilledCost"]], row[col["x_Estimated"]], row[col["ChargeDescription"]])
		}
		cost, _ := strconv.ParseFloat(row[col["EffectiveCost"]], 64)
		estimated += cost
		for _, c := range []string{"ListCost", "ContractedCost"} {
			if row[col[c]] != row[col["EffectiveCost"]] {
				t.Errorf("row %d: %s %s != EffectiveCost %s (list prices, no discount)", i, c, row[col[c]], row[col["EffectiveCost"]])
			}
		}
		// PricingQuantity is null exactly when SkuPriceId is; with a unit
		// price, quantity x price = cost.
		q, p := row[col["PricingQuantity"]], row[col["ListUnitPrice"]]
		if (q == "") != (row[col["SkuPriceId"]] == "") {
			t.Errorf("row %d: PricingQuantity %q and SkuPriceId %q must be null together", i, q, row[col["SkuPriceId"]])
		}
		if q != "" && p != "" {
			qf, _ := strconv.ParseFloat(q, 64)
			pf, _ := strconv.ParseFloat(p, 64)
			if math.Abs(qf*pf-cost) > 1e-6 {
				t.Errorf("row %d: %s x %s = %g, not the cost %g", i, q, p, qf*pf, cost)
			}
		}
		if row[col["ChargePeriodStart"]] != "2026-11-23T00:00:00Z" || row[col["BillingPeriodStart"]] != "2026-11-01T00:00:00Z" || row[col["BillingPeriodEnd"]] != "2026-12-01T00:00:00Z" {
			t.Errorf("row %d: periods %s, %s-%s", i, row[col["ChargePeriodStart"]], row[col["BillingPeriodStart"]], row[col["BillingPeriodEnd"]])
		}
	}
	if math.Abs(estimated-r.TotalUSD) > 1e-6 {
		t.Errorf("the rows' EffectiveCost adds up to %.6f, the report's total is %.6f", estimated, r.TotalUSD)
	}
}

// An availability without a failed request has unbounded nines: every
// format renders it (JSON has no infinity) and says so.
func TestUnboundedNinesRender(t *testing.T) {
	r := fixtureReport(t)
	cat, inv := repoInputs(t)
	one := 1.0
	res, err := CostOfResilience(ResilienceInput{Env: r.Environments[0], Inventory: inv.Environments["staging"], Catalog: cat, Window: r.Window, Zones: 3,
		Availability: &Availability{SLO: "petclinic-api-availability", Objective: 0.999, WindowHours: 720, DataHours: 1, Attainment: &one, Source: SourceSLO}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.NinesUnbounded || res.MeasuredNines != nil || res.ExtraNines != nil || res.PerExtraNineUSD != nil {
		t.Fatalf("100 %% availability: unbounded %v, nines %v, extra %v, per nine %v", res.NinesUnbounded, res.MeasuredNines, res.ExtraNines, res.PerExtraNineUSD)
	}
	r.Resilience = []*Resilience{res}
	js, err := r.JSON()
	if err != nil {
		t.Fatalf("JSON: %v", err)
	}
	if !bytes.Contains(js, []byte(`"ninesUnbounded": true`)) {
		t.Error("JSON does not say ninesUnbounded")
	}
	if md := r.Markdown(); !bytes.Contains(md, []byte("100.0 % (unbounded nines)")) {
		t.Errorf("Markdown does not say unbounded nines:\n%s", md)
	}
	h, err := r.HTML()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(h, []byte("(unbounded nines)")) {
		t.Error("HTML does not say unbounded nines")
	}
}
