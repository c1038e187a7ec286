package cost

import (
	"cmp"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/cost/catalog"
)

// DefaultSingleZoneAvailability is the availability a single-zone
// deployment can count on: the Instance-Level SLA of Amazon EC2 (99.5 %,
// https://aws.amazon.com/compute/sla/), whereas instances in two or more
// zones get the Region-Level SLA (99.99 %).
const DefaultSingleZoneAvailability = 0.995

// SingleZoneSource cites DefaultSingleZoneAvailability.
const SingleZoneSource = "Amazon Compute SLA, Instance-Level (https://aws.amazon.com/compute/sla/)"

// DefaultZoneOutage is the zone outage the counterfactual prices.
const DefaultZoneOutage = time.Hour

// PremiumItem is one part of the high-availability premium: what running
// in every zone costs more than running in one, per month.
type PremiumItem struct {
	Item       string  `json:"item"`
	MonthlyUSD float64 `json:"monthlyUSD"`
	Detail     string  `json:"detail"`
	Source     string  `json:"source"`
}

// Availability is what was measured: an SLO's attainment.
type Availability struct {
	SLO       string  `json:"slo"`
	Objective float64 `json:"objective"`
	// WindowHours is the SLO's window; DataHours how much of it holds data.
	WindowHours float64 `json:"windowHours"`
	DataHours   float64 `json:"dataHours"`
	// Attainment is 1 - the error ratio over the window (nil: no data).
	Attainment *float64 `json:"attainment"`
	Source     string   `json:"source"`
}

// ExperimentRecord counts an experiment's game days in the history.
type ExperimentRecord struct {
	Experiment string `json:"experiment"`
	Runs       int    `json:"runs"`
	// Verdicts counts runs by verdict (held, failed, aborted, inconclusive).
	Verdicts map[string]int `json:"verdicts"`
	// FaultErrorRatio is the share of requests that failed while the
	// experiment's faults were active, over every run (nil: none measured).
	FaultErrorRatio *float64  `json:"faultErrorRatio"`
	FaultSeconds    float64   `json:"faultSeconds"`
	Last            time.Time `json:"last"`
	LastVerdict     string    `json:"lastVerdict"`
}

// ZoneLoss is what losing a zone would cost in error budget.
type ZoneLoss struct {
	OutageHours float64 `json:"outageHours"`
	// WithoutHA is the share of the SLO's error budget a zone outage spends
	// when the service runs in that zone only (every request fails).
	WithoutHA float64 `json:"withoutHA"`
	// WithHA is the share measured in zone-outage game days (their error
	// ratio during the fault); nil without such a game day.
	WithHA *float64 `json:"withHA"`
	Detail string   `json:"detail"`
}

// Resilience is the cost of resilience of one environment.
type Resilience struct {
	Environment       string        `json:"environment"`
	Zones             int           `json:"zones"`
	Items             []PremiumItem `json:"items"`
	PremiumMonthlyUSD float64       `json:"premiumMonthlyUSD"`
	Availability      *Availability `json:"availability,omitempty"`
	// SingleZone is the availability one zone can count on.
	SingleZone       float64 `json:"singleZone"`
	SingleZoneSource string  `json:"singleZoneSource"`
	// Nines are -log10(1 - availability); ExtraNines those the measured
	// availability has above SingleZone.
	MeasuredNines   *float64 `json:"measuredNines"`
	SingleZoneNines float64  `json:"singleZoneNines"`
	ExtraNines      *float64 `json:"extraNines"`
	// NinesUnbounded: no failed request in the data, so the measured nines
	// are infinite (MeasuredNines and ExtraNines stay nil: JSON has no
	// infinity).
	NinesUnbounded  bool               `json:"ninesUnbounded,omitempty"`
	PerExtraNineUSD *float64           `json:"perExtraNineMonthlyUSD"`
	GameDays        []ExperimentRecord `json:"gameDays,omitempty"`
	ZoneLoss        *ZoneLoss          `json:"zoneLoss,omitempty"`
	Notes           []string           `json:"notes,omitempty"`
}

// ResilienceInput is what the cost of resilience is computed from.
type ResilienceInput struct {
	Env       *Environment
	Inventory *EnvInventory // nil: not in terraform
	Measured  *Measurement  // nil: no Prometheus
	Catalog   *catalog.Catalog
	Window    Window
	Workload  string
	// Zones is the number of zones (the inventory's, or the measured
	// nodes').
	Zones        int
	Availability *Availability
	SingleZone   float64
	History      []ExperimentRecord
	ZoneOutage   time.Duration
}

// Nines is -log10(1 - a): 0.999 is 3 nines.
func Nines(a float64) float64 {
	if a >= 1 {
		return math.Inf(1)
	}
	return -math.Log10(1 - a)
}

// CostOfResilience itemises the premium of running in every zone instead
// of one (extra replicas, NAT gateway per zone, RDS Multi-AZ standby, cache
// replicas, interface endpoints per zone, cross-zone traffic) and sets it
// against the availability measured: the cost per extra nine, the
// game days, and what a zone outage would spend of the error budget
// without the other zones.
func CostOfResilience(in ResilienceInput) (*Resilience, error) {
	if in.SingleZone == 0 {
		in.SingleZone = DefaultSingleZoneAvailability
	}
	if in.ZoneOutage == 0 {
		in.ZoneOutage = DefaultZoneOutage
	}
	month := in.Catalog.HoursPerMonth
	r := &Resilience{Environment: in.Env.Name, Zones: in.Zones, SingleZone: in.SingleZone, SingleZoneSource: SingleZoneSource,
		SingleZoneNines: Nines(in.SingleZone), GameDays: in.History}
	region := in.Env.Region
	add := func(item string, monthly float64, detail, source string) {
		if monthly == 0 {
			return
		}
		r.Items = append(r.Items, PremiumItem{Item: item, MonthlyUSD: monthly, Detail: detail, Source: source})
		r.PremiumMonthlyUSD += monthly
	}
	cite := func(p catalog.Price) string { return SourceInventory + " (" + in.Catalog.Cite(p) + ")" }

	if m := in.Measured; m != nil {
		hours := in.Window.Hours()
		if m.DataHours > 0 {
			hours = m.DataHours
		}
		if item, monthly, detail, ok := extraReplicas(m, hours, cmp.Or(in.Workload, "petclinic"), month); ok {
			add(item, monthly, detail, m.Source+"; "+SourceUsage)
		} else {
			r.Notes = append(r.Notes, detail)
		}
		if m.CrossZoneGiB != nil {
			for _, l := range in.Env.Lines {
				if l.Category == CatNetwork && l.ResourceID == "cross-zone" {
					add("traffic between zones", l.USD/hours*month,
						fmt.Sprintf("%.3f GiB in %s, at %s/GiB: none in a single zone", l.Quantity, human(hours), Money(l.UnitPrice)), l.Source)
				}
			}
		}
	} else {
		r.Notes = append(r.Notes, "extra replicas and traffic between zones are measured from Prometheus: none for this environment")
	}
	if inv := in.Inventory; inv != nil {
		if n := inv.NATGateways; n > 1 {
			p, err := in.Catalog.Service(region, catalog.NATGatewayHourly)
			if err != nil {
				return nil, fmt.Errorf("environment %s: %w", in.Env.Name, err)
			}
			add("a NAT gateway per zone", float64(n-1)*p.USD*month, fmt.Sprintf("%d NAT gateways instead of 1", n), cite(p))
		}
		if db := inv.Sizing.MySQL; db.MultiAZ && db.InstanceClass != "" {
			multi, err := in.Catalog.DatabaseHourly(region, db.InstanceClass, true)
			if err != nil {
				return nil, fmt.Errorf("environment %s: %w", in.Env.Name, err)
			}
			single, err := in.Catalog.DatabaseHourly(region, db.InstanceClass, false)
			if err != nil {
				return nil, fmt.Errorf("environment %s: %w", in.Env.Name, err)
			}
			sm, err := in.Catalog.DatabaseStorageMonthly(region, true)
			if err != nil {
				return nil, fmt.Errorf("environment %s: %w", in.Env.Name, err)
			}
			ss, err := in.Catalog.DatabaseStorageMonthly(region, false)
			if err != nil {
				return nil, fmt.Errorf("environment %s: %w", in.Env.Name, err)
			}
			add("RDS Multi-AZ standby", (multi.USD-single.USD)*month+(sm.USD-ss.USD)*db.AllocatedStorageGiB,
				fmt.Sprintf("%s Multi-AZ instead of Single-AZ, and its %g GiB of storage twice", db.InstanceClass, db.AllocatedStorageGiB), cite(multi)+", "+cite(sm))
		}
		if rd := inv.Sizing.Redis; rd.NumCacheClusters > 1 && rd.NodeType != "" {
			p, err := in.Catalog.CacheNodeHourly(region, rd.NodeType)
			if err != nil {
				return nil, fmt.Errorf("environment %s: %w", in.Env.Name, err)
			}
			add("cache replicas", float64(rd.NumCacheClusters-1)*p.USD*month, fmt.Sprintf("%d %s of %s beside the primary", rd.NumCacheClusters-1, plural(rd.NumCacheClusters-1, "replica", "replicas"), rd.NodeType), cite(p))
		}
		if z := len(inv.AZs); z > 1 {
			p, err := in.Catalog.Service(region, catalog.InterfaceEndpointPerAZHour)
			if err != nil {
				return nil, fmt.Errorf("environment %s: %w", in.Env.Name, err)
			}
			add("interface endpoints in the other zones", float64(InterfaceEndpointServices*(z-1))*p.USD*month,
				fmt.Sprintf("%d services x %d more zones", InterfaceEndpointServices, z-1), cite(p))
		}
	}

	if a := in.Availability; a != nil {
		r.Availability = a
		if a.Attainment != nil {
			n := Nines(*a.Attainment)
			extra := n - r.SingleZoneNines
			if math.IsInf(n, 1) {
				r.NinesUnbounded = true
			} else {
				r.MeasuredNines, r.ExtraNines = &n, &extra
			}
			if extra > 0 && !math.IsInf(extra, 1) && r.PremiumMonthlyUSD > 0 {
				per := r.PremiumMonthlyUSD / extra
				r.PerExtraNineUSD = &per
			}
			switch {
			case math.IsInf(n, 1):
				r.Notes = append(r.Notes, fmt.Sprintf("%s: no failed request in the data: the nines it measures are unbounded, so no cost per nine", a.SLO))
			case extra <= 0:
				r.Notes = append(r.Notes, fmt.Sprintf("the measured availability (%s) is not above what one zone can count on (%s): the premium bought no measurable nine", pct(*a.Attainment), pct(in.SingleZone)))
			}
		}
		budgetHours := a.WindowHours * (1 - a.Objective)
		if budgetHours > 0 {
			zl := &ZoneLoss{OutageHours: in.ZoneOutage.Hours(), WithoutHA: in.ZoneOutage.Hours() / budgetHours}
			zl.Detail = fmt.Sprintf("a %s zone outage with every request failing spends %s of the %s error budget of %s (%s of %s)",
				human(zl.OutageHours), pct(zl.WithoutHA), human(a.WindowHours), a.SLO, human(budgetHours), pct(a.Objective))
			for _, g := range in.History {
				if g.Experiment == "zone-outage" && g.FaultErrorRatio != nil {
					v := zl.OutageHours * *g.FaultErrorRatio / budgetHours
					zl.WithHA = &v
					zl.Detail += fmt.Sprintf("; with the other zones, the zone-outage game days failed %s of requests during the outage: %s of the budget", pct(*g.FaultErrorRatio), pct(v))
				}
			}
			if zl.WithHA == nil {
				zl.Detail += "; no zone-outage game day in the history measures it with the other zones (run experiments/zone-outage.yaml)"
			}
			r.ZoneLoss = zl
		}
	}
	sort.SliceStable(r.Items, func(i, j int) bool { return r.Items[i].MonthlyUSD > r.Items[j].MonthlyUSD })
	return r, nil
}

// extraReplicas is the allocation of the workload's replicas beyond those
// its load needs: the sum of the pods' p95 usage over one pod's request,
// rounded up, at least one.
func extraReplicas(m *Measurement, hours float64, workload string, month float64) (item string, monthly float64, detail string, ok bool) {
	var podHours, cpuP95, ramP95, cpuReq, ramReq, usd float64
	pods := map[string]bool{}
	for _, a := range m.Allocations {
		if a.Workload == workload {
			usd += a.USD()
			pods[a.Namespace+"/"+a.Pod] = true
		}
	}
	for _, u := range m.Usage {
		if !pods[u.Namespace+"/"+u.Pod] {
			continue
		}
		podHours += u.Hours
		cpuP95 += u.CPUP95
		ramP95 += u.RAMP95
		cpuReq, ramReq = max(cpuReq, u.CPURequest), max(ramReq, u.RAMRequest)
	}
	if podHours == 0 || cpuReq == 0 {
		return "", 0, fmt.Sprintf("extra replicas: workload %s has no pods with requests in the window", workload), false
	}
	replicas := podHours / hours
	needed := math.Max(1, math.Ceil(cpuP95/cpuReq-1e-9))
	if ramReq > 0 {
		needed = math.Max(needed, math.Ceil(ramP95/ramReq-1e-9))
	}
	extra := replicas - needed
	if extra <= 0 {
		return "", 0, fmt.Sprintf("extra replicas: %s runs %.2f replicas, its load needs %g: none extra", workload, replicas, needed), false
	}
	perReplicaHour := usd / podHours
	return "extra replicas of " + workload, extra * perReplicaHour * month,
		fmt.Sprintf("%.2f replicas on average; the load (p95 %.3f cores, %s) fits in %g at its requests (%.3g cores, %s); %s per replica-hour",
			replicas, cpuP95, bytesText(ramP95), needed, cpuReq, bytesText(ramReq), Money(perReplicaHour)), true
}

func bytesText(b float64) string {
	switch {
	case b >= gib:
		return fmt.Sprintf("%.2f GiB", b/gib)
	default:
		return fmt.Sprintf("%.0f MiB", b/(1<<20))
	}
}

// Experiments whose verdicts the cost of resilience counts.
var resilienceExperiments = []string{"zone-outage", "pod-kill"}

// IsResilienceExperiment reports whether the cost of resilience counts the
// experiment's game days.
func IsResilienceExperiment(name string) bool {
	for _, e := range resilienceExperiments {
		if name == e || strings.HasPrefix(name, e+"-") {
			return true
		}
	}
	return false
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
