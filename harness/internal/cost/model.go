package cost

import (
	"time"
)

// ReportSchema is the version of the cost report's JSON.
const ReportSchema = "gameday.dev/cost-report/v1"

// Where figures come from. Every figure of a report carries one.
const (
	// SourceOpenCost: OpenCost's metrics in Prometheus (node_*_hourly_cost,
	// container_*_allocation*, kubecost_*, pv_hourly_cost).
	SourceOpenCost = "opencost"
	// SourceKSM: kube-state-metrics and cAdvisor series in Prometheus,
	// priced by the catalog.
	SourceKSM = "kube-state-metrics+cadvisor x catalog"
	// SourceInventory: terraform's inventory priced by the catalog.
	SourceInventory = "inventory x catalog"
	// SourceRequests: PetClinic's http_server_requests_seconds_count.
	SourceRequests = "http_server_requests_seconds_count"
	// SourceUsage: cAdvisor usage against kube-state-metrics requests.
	SourceUsage = "cadvisor usage / kube-state-metrics requests"
	// SourceReports: the game-day reports (report.json) under the reports
	// directory.
	SourceReports = "game-day reports"
	// SourceSLO: the SLO report (the SLOs' error ratio in Prometheus).
	SourceSLO = "slo report"
	// SourceAssumption: a usage assumption of the budgets file.
	SourceAssumption = "assumption (budgets file) x catalog"
	// SourceProcess: this process's own CPU time (getrusage).
	SourceProcess = "gameday process CPU time x catalog"
)

// Categories of cost lines.
const (
	CatCompute      = "compute"
	CatControlPlane = "control plane"
	CatLoadBalancer = "load balancer"
	CatStorage      = "storage"
	CatNetwork      = "network"
	CatDatabase     = "database"
	CatCache        = "cache"
	CatNAT          = "nat gateway"
	CatEndpoints    = "vpc endpoints"
)

// Window is the span a report covers: [Start, End).
type Window struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Hours is the window's length in hours.
func (w Window) Hours() float64 { return w.End.Sub(w.Start).Hours() }

// D is the window's length.
func (w Window) D() time.Duration { return w.End.Sub(w.Start) }

// Line is one costed resource or item of an environment over the window.
type Line struct {
	Category string `json:"category"`
	Item     string `json:"item"`
	// ResourceID names the resource (node name, provider id, volume ...).
	ResourceID string `json:"resourceID,omitempty"`
	Zone       string `json:"zone,omitempty"`
	// Quantity of Unit at UnitPrice (e.g. 168 hours at 0.11235 $/hour);
	// zero when the figure is an integral that has no single unit price.
	Quantity  float64 `json:"quantity"`
	Unit      string  `json:"unit"`
	UnitPrice float64 `json:"unitPrice"`
	USD       float64 `json:"usd"`
	Source    string  `json:"source"`
	// Service is the cloud service billed (FOCUS ServiceName).
	Service string `json:"service"`
	// Pricing is "on-demand", "spot" or "" (FOCUS PricingCategory).
	Pricing string `json:"pricing,omitempty"`
}

// Allocation is what one container was charged over the window: OpenCost's
// max(request, usage) of CPU and RAM, priced at its node's rates.
type Allocation struct {
	Namespace    string  `json:"namespace"`
	Workload     string  `json:"workload"`
	Pod          string  `json:"pod"`
	Container    string  `json:"container"`
	Node         string  `json:"node"`
	Zone         string  `json:"zone,omitempty"`
	CPUCoreHours float64 `json:"cpuCoreHours"`
	RAMGiBHours  float64 `json:"ramGiBHours"`
	CPUUSD       float64 `json:"cpuUSD"`
	RAMUSD       float64 `json:"ramUSD"`
}

// USD is the allocation's cost.
func (a Allocation) USD() float64 { return a.CPUUSD + a.RAMUSD }

// Group is a total by some key (namespace, workload, zone, category).
type Group struct {
	Name   string  `json:"name"`
	USD    float64 `json:"usd"`
	Share  float64 `json:"share"` // of the environment's total
	Source string  `json:"source"`
}

// Efficiency is usage against requests over the window.
type Efficiency struct {
	CPUUsageCoreHours   float64 `json:"cpuUsageCoreHours"`
	CPURequestCoreHours float64 `json:"cpuRequestCoreHours"`
	RAMUsageGiBHours    float64 `json:"ramUsageGiBHours"`
	RAMRequestGiBHours  float64 `json:"ramRequestGiBHours"`
	// CPU and RAM are usage / request (nil without requests).
	CPU    *float64 `json:"cpu"`
	RAM    *float64 `json:"ram"`
	Source string   `json:"source"`
}

// Recommendation is one rightsizing proposal: a container's request set
// from its p95 usage plus headroom.
type Recommendation struct {
	Namespace string `json:"namespace"`
	Workload  string `json:"workload"`
	Container string `json:"container"`
	Resource  string `json:"resource"` // cpu (cores) or memory (bytes)
	// Request is the current request, P95 the 95th percentile of usage,
	// Recommended the proposal (p95 x (1 + headroom), rounded up).
	Request     float64 `json:"request"`
	P95         float64 `json:"p95"`
	Recommended float64 `json:"recommended"`
	// Replicas is the average number of pods over the window.
	Replicas float64 `json:"replicas"`
	// UnitPriceHourly is the $ per core-hour or GiB-hour the workload paid.
	UnitPriceHourly float64 `json:"unitPriceHourly"`
	// MonthlySavingUSD is (request - recommended) x replicas x unit price
	// x hours per month: negative when the request should go up.
	MonthlySavingUSD float64 `json:"monthlySavingUSD"`
	Source           string  `json:"source"`
}

// Forecast is the month-end projection of an environment's cost.
type Forecast struct {
	Month string `json:"month"` // 2026-12
	// RunRateHourly is the window's cost per hour.
	RunRateHourly float64 `json:"runRateHourly"`
	// MonthToDateUSD is the cost from the start of the month to the end of
	// the window: measured where data exists, MonthToDateExtrapolatedHours
	// at the run rate where it does not.
	MonthToDateUSD               float64 `json:"monthToDateUSD"`
	MonthToDateExtrapolatedHours float64 `json:"monthToDateExtrapolatedHours"`
	// RemainingHours to the end of the month, at the run rate.
	RemainingHours float64 `json:"remainingHours"`
	MonthEndUSD    float64 `json:"monthEndUSD"`
	// MonthlyRunRateUSD is the run rate over a 730-hour month (what the
	// budget alert compares).
	MonthlyRunRateUSD float64 `json:"monthlyRunRateUSD"`
}

// Budget states.
const (
	BudgetOK     = "ok"
	BudgetAtRisk = "at risk"
	BudgetBreach = "breach"
	BudgetNone   = "no budget"
)

// BudgetStatus is an environment's forecast against its budget.
type BudgetStatus struct {
	MonthlyUSD float64 `json:"monthlyUSD"`
	WarnAt     float64 `json:"warnAt"`
	// Used is the month-end forecast / budget.
	Used   float64 `json:"used"`
	State  string  `json:"state"`
	Detail string  `json:"detail"`
}

// UnitEconomics relates the cost to the requests served.
type UnitEconomics struct {
	Requests   float64 `json:"requests"`
	Successful float64 `json:"successful"`
	// Per1000RequestsUSD and PerSuccessfulRequestUSD are the environment's
	// total cost over the window divided by its requests.
	Per1000RequestsUSD      float64 `json:"per1000RequestsUSD"`
	PerSuccessfulRequestUSD float64 `json:"perSuccessfulRequestUSD"`
	// Workload* divide the serving workload's allocation instead.
	Workload                        string  `json:"workload,omitempty"`
	WorkloadPer1000RequestsUSD      float64 `json:"workloadPer1000RequestsUSD,omitempty"`
	WorkloadPerSuccessfulRequestUSD float64 `json:"workloadPerSuccessfulRequestUSD,omitempty"`
	Source                          string  `json:"source"`
}

// Unmeasured is a usage-priced item that has no usage data: its unit price
// is known, its quantity is not, so it is listed rather than counted as $0.
type Unmeasured struct {
	Environment string  `json:"environment"`
	Item        string  `json:"item"`
	UnitPrice   float64 `json:"unitPrice"`
	Unit        string  `json:"unit"`
	Why         string  `json:"why"`
}

// Environment is one environment's cost over the window.
type Environment struct {
	Name       string `json:"name"`
	Region     string `json:"region"`
	Prometheus string `json:"prometheus,omitempty"`
	// ComputeSource says where the nodes and allocations come from.
	ComputeSource string  `json:"computeSource"`
	TotalUSD      float64 `json:"totalUSD"`
	Lines         []Line  `json:"lines"`
	ByCategory    []Group `json:"byCategory"`
	ByNamespace   []Group `json:"byNamespace,omitempty"`
	ByWorkload    []Group `json:"byWorkload,omitempty"`
	ByZone        []Group `json:"byZone,omitempty"`
	// IdleUSD is node cost not allocated to any container; IdleShare its
	// share of the node cost.
	IdleUSD     float64          `json:"idleUSD"`
	IdleShare   float64          `json:"idleShare"`
	IdleSource  string           `json:"idleSource,omitempty"`
	Efficiency  *Efficiency      `json:"efficiency,omitempty"`
	Rightsizing []Recommendation `json:"rightsizing,omitempty"`
	Forecast    *Forecast        `json:"forecast,omitempty"`
	Budget      *BudgetStatus    `json:"budget,omitempty"`
	Unit        *UnitEconomics   `json:"unitEconomics,omitempty"`
	Unmeasured  []Unmeasured     `json:"unmeasured,omitempty"`
	Allocations []Allocation     `json:"allocations,omitempty"`
	// Notes say what was assumed or could not be read.
	Notes []string `json:"notes,omitempty"`
}

// CatalogRef identifies the price catalog a report used.
type CatalogRef struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Date    string `json:"date"`
	File    string `json:"file"`
}

// Report is `gameday cost`'s report.
type Report struct {
	SchemaVersion string         `json:"schemaVersion"`
	GeneratedAt   time.Time      `json:"generatedAt"`
	Window        Window         `json:"window"`
	Currency      string         `json:"currency"`
	Catalog       CatalogRef     `json:"catalog"`
	HoursPerMonth float64        `json:"hoursPerMonth"`
	Environments  []*Environment `json:"environments"`
	TotalUSD      float64        `json:"totalUSD"`
	Resilience    []*Resilience  `json:"resilience,omitempty"`
	GameDays      []GameDayCost  `json:"gameDays,omitempty"`
}

// Env returns the environment named name (nil when absent).
func (r *Report) Env(name string) *Environment {
	for _, e := range r.Environments {
		if e.Name == name {
			return e
		}
	}
	return nil
}
