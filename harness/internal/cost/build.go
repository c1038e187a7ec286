package cost

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/cost/catalog"
)

// The cloud services billed (FOCUS ServiceName).
const (
	ServiceEC2         = "Amazon Elastic Compute Cloud"
	ServiceEKS         = "Amazon Elastic Kubernetes Service"
	ServiceELB         = "Elastic Load Balancing"
	ServiceEBS         = "Amazon Elastic Block Store"
	ServiceRDS         = "Amazon Relational Database Service"
	ServiceElastiCache = "Amazon ElastiCache"
	ServiceVPC         = "Amazon Virtual Private Cloud"
	ServiceS3          = "Amazon Simple Storage Service"
	ServiceAMP         = "Amazon Managed Service for Prometheus"
)

// Idle is the pseudo namespace and workload of unallocated node cost.
const Idle = "(idle)"

// DefaultHeadroom is added to a container's p95 usage in a rightsizing
// recommendation.
const DefaultHeadroom = 0.2

// EnvInput is everything known about one environment.
type EnvInput struct {
	Name       string
	Region     string
	Prometheus string
	Window     Window
	Catalog    *catalog.Catalog
	// Measured is what its Prometheus says over the window (nil: no
	// Prometheus for this environment).
	Measured *Measurement
	// MonthToDate is the same from the start of the window's month to its
	// end, for the forecast (nil: the run rate alone).
	MonthToDate *Measurement
	// Inventory is the environment in terraform's inventory (nil: not in
	// terraform, e.g. the sandbox).
	Inventory *EnvInventory
	Budget    *Budget
	// Workload serves the requests of the unit economics (default
	// "petclinic").
	Workload string
	// Headroom of rightsizing (default DefaultHeadroom).
	Headroom float64
}

// Build assembles an environment's cost: the measured nodes, allocations
// and cloud resources, the inventory's managed services and (without a
// Prometheus) nodes, idle, efficiency, rightsizing, forecast, budget and
// unit economics. A price missing from the catalog is an error naming the
// item and the environment.
func Build(in EnvInput) (*Environment, error) {
	in.Workload = cmp.Or(in.Workload, "petclinic")
	if in.Headroom <= 0 {
		in.Headroom = DefaultHeadroom
	}
	e := &Environment{Name: in.Name, Region: in.Region, Prometheus: in.Prometheus}
	hours := in.Window.Hours()
	var fixedHourly float64 // catalog x inventory items, per hour
	var derived float64     // priced from measured node-hours (root volumes)
	var err error
	addFixed := func(l Line, hourly float64) {
		l.Quantity, l.UnitPrice = hours, hourly
		if l.Unit == "" {
			l.Unit = "hours"
		}
		l.USD = hourly * hours
		e.Lines = append(e.Lines, l)
		fixedHourly += hourly
	}
	wrap := func(err error) error { return fmt.Errorf("environment %s: %w", in.Name, err) }
	cat := in.Catalog

	m := in.Measured
	switch {
	case m != nil:
		e.ComputeSource = m.Source
		for _, n := range m.Nodes {
			pricing := "on-demand"
			if n.Capacity == catalog.Spot {
				pricing = "spot"
			}
			e.Lines = append(e.Lines, Line{Category: CatCompute, Item: fmt.Sprintf("node %s (%s, %s)", n.Name, n.InstanceType, strings.ToLower(strings.ReplaceAll(n.Capacity, "_", "-"))),
				ResourceID: n.Name, Zone: n.Zone, Quantity: n.Hours, Unit: "hours", UnitPrice: safeDiv(n.USD, n.Hours), USD: n.USD, Source: n.Source,
				Service: ServiceEC2, Pricing: pricing})
		}
		e.Lines = append(e.Lines, m.Lines...)
		e.Allocations = m.Allocations
		e.Notes = append(e.Notes, m.Notes...)
		// kube-state-metrics has no cluster fee nor load balancer price, and
		// OpenCost's custom pricing has no cluster fee: the catalog's, for an
		// EKS environment of the inventory (or any cluster without OpenCost).
		if m.Source == SourceKSM || (in.Inventory != nil && !hasLine(m.Lines, CatControlPlane)) {
			p, err := cat.Service(in.Region, catalog.EKSClusterHourly)
			if err != nil {
				return nil, wrap(err)
			}
			addFixed(Line{Category: CatControlPlane, Item: "EKS cluster (one per environment)", ResourceID: "cluster", Source: SourceInventory + " (" + cat.Cite(p) + ")",
				Service: ServiceEKS, Pricing: "on-demand"}, p.USD)
		}
		if in.Inventory != nil && !hasLine(m.Lines, CatLoadBalancer) {
			if err := addALB(in, addFixed); err != nil {
				return nil, wrap(err)
			}
		}
		if m.DataHours < hours*0.98 {
			e.Notes = append(e.Notes, fmt.Sprintf("Prometheus holds %s of node data in the %s window: the measured figures cover that span only", human(m.DataHours), human(hours)))
		}
	case in.Inventory != nil:
		e.ComputeSource = SourceInventory
		if err := inventoryNodes(in, addFixed); err != nil {
			return nil, wrap(err)
		}
		p, err := cat.Service(in.Region, catalog.EKSClusterHourly)
		if err != nil {
			return nil, wrap(err)
		}
		addFixed(Line{Category: CatControlPlane, Item: "EKS cluster (one per environment)", ResourceID: "cluster", Source: SourceInventory + " (" + cat.Cite(p) + ")",
			Service: ServiceEKS, Pricing: "on-demand"}, p.USD)
		if err := addALB(in, addFixed); err != nil {
			return nil, wrap(err)
		}
		e.Notes = append(e.Notes, "no Prometheus for this environment: nodes at the node groups' desired sizes, priced by the catalog")
	default:
		return nil, fmt.Errorf("environment %s: neither a Prometheus nor an inventory entry", in.Name)
	}
	if in.Inventory != nil {
		if err := managedServices(in, addFixed); err != nil {
			return nil, wrap(err)
		}
		if derived, err = nodeVolumes(in, m, e, addFixed); err != nil {
			return nil, wrap(err)
		}
		um, hourly, err := usageItems(in, e, m)
		if err != nil {
			return nil, wrap(err)
		}
		e.Unmeasured = um
		fixedHourly += hourly
	}

	for _, l := range e.Lines {
		e.TotalUSD += l.USD
	}
	e.ByCategory = groupLines(e.Lines, e.TotalUSD, func(l Line) string { return l.Category })
	if m != nil {
		byNamespace(e, m)
		e.Efficiency = efficiency(m)
		dataHours := hours
		if m.DataHours > 0 {
			dataHours = m.DataHours
		}
		e.Rightsizing = rightsizing(m, dataHours, in.Headroom, cat.HoursPerMonth)
		e.Unit = unitEconomics(e, m, in.Workload)
	}
	e.Forecast = forecast(in, fixedHourly, derived)
	e.Budget = budgetStatus(in.Budget, e.Forecast)
	return e, nil
}

func hasLine(lines []Line, category string) bool {
	for _, l := range lines {
		if l.Category == category && l.USD > 0 {
			return true
		}
	}
	return false
}

// addALB adds PetClinic's Application Load Balancer (its Ingress, one per
// environment), for the sources that cannot see it.
func addALB(in EnvInput, add func(Line, float64)) error {
	p, err := in.Catalog.Service(in.Region, catalog.ALBHourly)
	if err != nil {
		return err
	}
	add(Line{Category: CatLoadBalancer, Item: "Application Load Balancer (PetClinic's Ingress)", ResourceID: "alb-petclinic",
		Source: SourceInventory + " (" + in.Catalog.Cite(p) + ")", Service: ServiceELB, Pricing: "on-demand"}, p.USD)
	return nil
}

// inventoryNodes prices the node groups at their desired sizes: on-demand
// groups at their first instance type, spot groups at the mean spot price
// of their types.
func inventoryNodes(in EnvInput, add func(Line, float64)) error {
	for _, g := range slices.Sorted(maps.Keys(in.Inventory.Sizing.NodeGroups)) {
		ng := in.Inventory.Sizing.NodeGroups[g]
		if ng.DesiredSize == 0 {
			continue
		}
		types := ng.InstanceTypes
		if ng.CapacityType == catalog.OnDemand {
			types = types[:1]
		}
		var sum float64
		var cites []string
		for _, t := range types {
			p, _, err := in.Catalog.InstanceHourly(in.Region, t, ng.CapacityType)
			if err != nil {
				return fmt.Errorf("node group %s: %w", g, err)
			}
			sum += p.USD
			cites = append(cites, p.Source)
		}
		each := sum / float64(len(types))
		pricing, what := "on-demand", types[0]
		if ng.CapacityType == catalog.Spot {
			pricing, what = "spot", "mean of "+strings.Join(types, ", ")
		}
		add(Line{Category: CatCompute, Item: fmt.Sprintf("node group %s: %d x %s (%s)", g, ng.DesiredSize, what, pricing), ResourceID: "nodegroup-" + g,
			Source:  SourceInventory + " (" + fmt.Sprintf("catalog %s %s (%s)", in.Catalog.Metadata.Name, in.Catalog.Metadata.Version, strings.Join(slices.Compact(cites), ", ")) + ")",
			Service: ServiceEC2, Pricing: pricing}, each*float64(ng.DesiredSize))
	}
	return nil
}

// managedServices adds what terraform runs outside the cluster: RDS,
// ElastiCache, NAT gateways, interface endpoints.
func managedServices(in EnvInput, add func(Line, float64)) error {
	inv, cat, region := in.Inventory, in.Catalog, in.Region
	cite := func(p catalog.Price) string { return SourceInventory + " (" + cat.Cite(p) + ")" }
	if c := inv.Sizing.MySQL.InstanceClass; c != "" {
		multi := inv.Sizing.MySQL.MultiAZ
		p, err := cat.DatabaseHourly(region, c, multi)
		if err != nil {
			return err
		}
		dep := "Single-AZ"
		if multi {
			dep = "Multi-AZ"
		}
		add(Line{Category: CatDatabase, Item: fmt.Sprintf("RDS MySQL %s %s", c, dep), ResourceID: "rds-petclinic", Source: cite(p), Service: ServiceRDS, Pricing: "on-demand"}, p.USD)
		st, err := cat.DatabaseStorageMonthly(region, multi)
		if err != nil {
			return err
		}
		gib := inv.Sizing.MySQL.AllocatedStorageGiB
		add(Line{Category: CatDatabase, Item: fmt.Sprintf("RDS gp3 storage %g GiB %s", gib, dep), ResourceID: "rds-petclinic-storage", Source: cite(st),
			Service: ServiceRDS, Pricing: "on-demand"}, gib*st.USD/cat.HoursPerMonth)
	}
	if t := inv.Sizing.Redis.NodeType; t != "" && inv.Sizing.Redis.NumCacheClusters > 0 {
		p, err := cat.CacheNodeHourly(region, t)
		if err != nil {
			return err
		}
		n := inv.Sizing.Redis.NumCacheClusters
		add(Line{Category: CatCache, Item: fmt.Sprintf("ElastiCache %d x %s (a primary and %d replica(s))", n, t, n-1), ResourceID: "elasticache-petclinic", Source: cite(p),
			Service: ServiceElastiCache, Pricing: "on-demand"}, float64(n)*p.USD)
	}
	if inv.NATGateways > 0 {
		p, err := cat.Service(region, catalog.NATGatewayHourly)
		if err != nil {
			return err
		}
		add(Line{Category: CatNAT, Item: fmt.Sprintf("%d NAT gateway(s)", inv.NATGateways), ResourceID: "nat", Source: cite(p), Service: ServiceVPC, Pricing: "on-demand"},
			float64(inv.NATGateways)*p.USD)
	}
	p, err := cat.Service(region, catalog.InterfaceEndpointPerAZHour)
	if err != nil {
		return err
	}
	n := InterfaceEndpointServices * len(inv.AZs)
	add(Line{Category: CatEndpoints, Item: fmt.Sprintf("%d interface endpoint ENIs (%d services x %d zones)", n, InterfaceEndpointServices, len(inv.AZs)), ResourceID: "vpce",
		Source: cite(p), Service: ServiceVPC, Pricing: "on-demand"}, float64(n)*p.USD)
	return nil
}

// nodeVolumes adds the nodes' root volumes (gp3), which OpenCost's node
// prices leave out: node-hours x the node group's disk size. It returns
// the cost of those priced from measured node-hours.
func nodeVolumes(in EnvInput, m *Measurement, e *Environment, add func(Line, float64)) (float64, error) {
	gp3, err := in.Catalog.Service(in.Region, catalog.EBSGp3PerGiBMonth)
	if err != nil {
		return 0, err
	}
	perGiBHour := gp3.USD / in.Catalog.HoursPerMonth
	disk := func(typ string) float64 {
		var d float64
		for _, g := range in.Inventory.Sizing.NodeGroups {
			if slices.Contains(g.InstanceTypes, typ) {
				return g.DiskSizeGiB
			}
			d = max(d, g.DiskSizeGiB)
		}
		return d
	}
	var gibHours float64
	if m != nil {
		for _, n := range m.Nodes {
			gibHours += n.Hours * disk(n.InstanceType)
		}
		if gibHours == 0 {
			return 0, nil
		}
		l := Line{Category: CatStorage, Item: "node root volumes (gp3, the node groups' disk sizes)", ResourceID: "node-volumes", Quantity: gibHours, Unit: "GiB-hours",
			UnitPrice: perGiBHour, USD: gibHours * perGiBHour, Source: SourceInventory + " (" + in.Catalog.Cite(gp3) + ") x measured node-hours", Service: ServiceEBS, Pricing: "on-demand"}
		e.Lines = append(e.Lines, l)
		return l.USD, nil
	}
	var gib float64
	for _, g := range in.Inventory.Sizing.NodeGroups {
		gib += float64(g.DesiredSize) * g.DiskSizeGiB
	}
	if gib > 0 {
		add(Line{Category: CatStorage, Item: fmt.Sprintf("node root volumes (%g GiB gp3)", gib), ResourceID: "node-volumes", Source: SourceInventory + " (" + in.Catalog.Cite(gp3) + ")",
			Service: ServiceEBS, Pricing: "on-demand"}, gib*perGiBHour)
	}
	return 0, nil
}

// usageItems prices the usage-priced items: with a usage assumption of the
// budgets file as a line, without one listed as unmeasured. It returns the
// assumed lines' cost per hour.
func usageItems(in EnvInput, e *Environment, m *Measurement) ([]Unmeasured, float64, error) {
	type item struct {
		key, what, unit string
		qty             func(*Usage) *float64
		applies         bool
		service         string
		cat             string
	}
	inv := in.Inventory
	items := []item{
		{catalog.NATGatewayPerGiB, "NAT gateway data processed", "GiB", func(u *Usage) *float64 { return u.NATGatewayGiB }, inv.NATGateways > 0, ServiceVPC, CatNAT},
		{catalog.InterfaceEndpointPerGiB, "interface endpoint data processed", "GiB", func(u *Usage) *float64 { return u.InterfaceEndpointGiB }, true, ServiceVPC, CatEndpoints},
		{catalog.ALBPerLCUHour, "ALB capacity units (LCU)", "LCU-hours", func(u *Usage) *float64 { return u.ALBLCUHours }, true, ServiceELB, CatLoadBalancer},
		{catalog.S3StandardPerGiBMonth, "S3 storage of Loki and Tempo", "GiB-months", func(u *Usage) *float64 { return u.S3StorageGiB }, true, ServiceS3, CatStorage},
		{catalog.AMPPerTenMillionSamples, "Managed Prometheus samples ingested", "10 million samples", func(u *Usage) *float64 { return u.AMPTenMillionSamples },
			inv.Sizing.ManagedPrometheus, ServiceAMP, CatStorage},
		{catalog.AMPStoragePerGiBMonth, "Managed Prometheus storage", "GiB-months", func(u *Usage) *float64 { return u.AMPStorageGiB }, inv.Sizing.ManagedPrometheus, ServiceAMP, CatStorage},
	}
	if m == nil || m.CrossZoneGiB == nil {
		items = append(items, item{catalog.CrossAZPerGiBEachWay, "traffic between zones (each direction)", "GiB", nil, true, ServiceEC2, CatNetwork})
	}
	monthShare := in.Window.Hours() / in.Catalog.HoursPerMonth
	var out []Unmeasured
	var hourly float64
	for _, it := range items {
		if !it.applies {
			continue
		}
		p, err := in.Catalog.Service(in.Region, it.key)
		if err != nil {
			return nil, 0, err
		}
		var q *float64
		if in.Budget != nil && in.Budget.Usage != nil && it.qty != nil {
			q = it.qty(in.Budget.Usage)
		}
		if q == nil {
			why := "no usage data: give a monthly assumption under usage in the budgets file"
			if it.key == catalog.CrossAZPerGiBEachWay {
				why = "not measured: OpenCost's network costs exporter (kubecost_pod_network_egress_bytes_total) is absent"
			}
			out = append(out, Unmeasured{Environment: in.Name, Item: it.what, UnitPrice: p.USD, Unit: it.unit, Why: why})
			continue
		}
		qty := *q * monthShare
		hourly += *q * p.USD / in.Catalog.HoursPerMonth
		e.Lines = append(e.Lines, Line{Category: it.cat, Item: fmt.Sprintf("%s (assumed %g %s a month)", it.what, *q, it.unit), ResourceID: it.key,
			Quantity: qty, Unit: it.unit, UnitPrice: p.USD, USD: qty * p.USD, Source: SourceAssumption + " (" + in.Catalog.Cite(p) + ")", Service: it.service, Pricing: "on-demand"})
	}
	return out, hourly, nil
}

// byNamespace groups the allocations by namespace, workload and zone; the
// idle node cost is its own group.
func byNamespace(e *Environment, m *Measurement) {
	ns, wl, zone := map[string]float64{}, map[string]float64{}, map[string]float64{}
	var alloc float64
	for _, a := range m.Allocations {
		ns[a.Namespace] += a.USD()
		wl[a.Namespace+"/"+a.Workload] += a.USD()
		alloc += a.USD()
	}
	for _, l := range e.Lines {
		if l.Category == CatStorage && strings.Contains(l.Item, ", claimed in ") {
			_, n, _ := strings.Cut(l.Item, ", claimed in ")
			ns[n] += l.USD
		}
		if l.Category == CatLoadBalancer && strings.HasPrefix(l.Item, "load balancer of Service ") {
			n, _, _ := strings.Cut(strings.TrimPrefix(l.Item, "load balancer of Service "), "/")
			ns[n] += l.USD
		}
	}
	var nodes float64
	for _, n := range m.Nodes {
		zone[cmp.Or(n.Zone, "(no zone label)")] += n.USD
		nodes += n.USD
	}
	e.IdleUSD = nodes - alloc
	if nodes > 0 {
		e.IdleShare = e.IdleUSD / nodes
	}
	e.IdleSource = m.Source
	ns[Idle] += e.IdleUSD
	wl[Idle] += e.IdleUSD
	e.ByNamespace = groups(ns, e.TotalUSD, m.Source)
	e.ByWorkload = groups(wl, e.TotalUSD, m.Source)
	e.ByZone = groups(zone, e.TotalUSD, m.Source)
}

func groups(m map[string]float64, total float64, source string) []Group {
	out := make([]Group, 0, len(m))
	for k, v := range m {
		out = append(out, Group{Name: k, USD: v, Share: safeDiv(v, total), Source: source})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].USD != out[j].USD {
			return out[i].USD > out[j].USD
		}
		return out[i].Name < out[j].Name
	})
	return out
}

func groupLines(lines []Line, total float64, by func(Line) string) []Group {
	m, src := map[string]float64{}, map[string][]string{}
	for _, l := range lines {
		k := by(l)
		if k == "" {
			continue
		}
		m[k] += l.USD
		s := strings.SplitN(l.Source, " (", 2)[0]
		if !slices.Contains(src[k], s) {
			src[k] = append(src[k], s)
		}
	}
	out := groups(m, total, "")
	for i := range out {
		sort.Strings(src[out[i].Name])
		out[i].Source = strings.Join(src[out[i].Name], ", ")
	}
	return out
}

func efficiency(m *Measurement) *Efficiency {
	ef := &Efficiency{Source: SourceUsage}
	for _, u := range m.Usage {
		if u.CPURequestCoreHours > 0 {
			ef.CPUUsageCoreHours += u.CPUUsageCoreHours
			ef.CPURequestCoreHours += u.CPURequestCoreHours
		}
		if u.RAMRequestGiBHours > 0 {
			ef.RAMUsageGiBHours += u.RAMUsageGiBHours
			ef.RAMRequestGiBHours += u.RAMRequestGiBHours
		}
	}
	if ef.CPURequestCoreHours > 0 {
		v := ef.CPUUsageCoreHours / ef.CPURequestCoreHours
		ef.CPU = &v
	}
	if ef.RAMRequestGiBHours > 0 {
		v := ef.RAMUsageGiBHours / ef.RAMRequestGiBHours
		ef.RAM = &v
	}
	if ef.CPU == nil && ef.RAM == nil {
		return nil
	}
	return ef
}

// rightsizing proposes, per workload container with a request, p95 usage
// plus headroom (rounded up to 10m CPU or 16 MiB), when it differs from
// the request by 10 % or more, with its monthly saving at the price per
// core-hour or GiB-hour the workload paid.
func rightsizing(m *Measurement, hours, headroom, hoursPerMonth float64) []Recommendation {
	wl := map[string]string{}
	type paid struct{ cpuUSD, cpuH, ramUSD, ramH float64 }
	price := map[string]*paid{}
	var all paid
	for _, a := range m.Allocations {
		wl[a.Namespace+"/"+a.Pod] = a.Workload
		k := a.Namespace + "/" + a.Workload + "/" + a.Container
		if price[k] == nil {
			price[k] = &paid{}
		}
		p := price[k]
		p.cpuUSD, p.cpuH, p.ramUSD, p.ramH = p.cpuUSD+a.CPUUSD, p.cpuH+a.CPUCoreHours, p.ramUSD+a.RAMUSD, p.ramH+a.RAMGiBHours
		all.cpuUSD, all.cpuH, all.ramUSD, all.ramH = all.cpuUSD+a.CPUUSD, all.cpuH+a.CPUCoreHours, all.ramUSD+a.RAMUSD, all.ramH+a.RAMGiBHours
	}
	type agg struct {
		ns, workload, container        string
		cpuReq, ramReq, cpuP95, ramP95 float64
		podHours                       float64
	}
	groups := map[string]*agg{}
	for _, u := range m.Usage {
		w := cmp.Or(wl[u.Namespace+"/"+u.Pod], u.Pod)
		k := u.Namespace + "/" + w + "/" + u.Container
		g := groups[k]
		if g == nil {
			g = &agg{ns: u.Namespace, workload: w, container: u.Container}
			groups[k] = g
		}
		g.cpuReq, g.ramReq = max(g.cpuReq, u.CPURequest), max(g.ramReq, u.RAMRequest)
		g.cpuP95, g.ramP95 = max(g.cpuP95, u.CPUP95), max(g.ramP95, u.RAMP95)
		g.podHours += u.Hours
	}
	var out []Recommendation
	for _, k := range slices.Sorted(maps.Keys(groups)) {
		g := groups[k]
		replicas := safeDiv(g.podHours, hours)
		p := price[k]
		if p == nil {
			p = &all
		}
		cpuPrice := safeDiv(p.cpuUSD, p.cpuH)
		if cpuPrice == 0 {
			cpuPrice = safeDiv(all.cpuUSD, all.cpuH)
		}
		ramPrice := safeDiv(p.ramUSD, p.ramH)
		if ramPrice == 0 {
			ramPrice = safeDiv(all.ramUSD, all.ramH)
		}
		if g.cpuReq > 0 {
			rec := roundUp(max(g.cpuP95*(1+headroom), 0.01), 0.01)
			if math.Abs(g.cpuReq-rec)/g.cpuReq >= 0.1 {
				out = append(out, Recommendation{Namespace: g.ns, Workload: g.workload, Container: g.container, Resource: "cpu", Request: g.cpuReq, P95: g.cpuP95,
					Recommended: rec, Replicas: replicas, UnitPriceHourly: cpuPrice, MonthlySavingUSD: (g.cpuReq - rec) * replicas * cpuPrice * hoursPerMonth, Source: SourceUsage})
			}
		}
		if g.ramReq > 0 {
			const step = 16 << 20
			rec := roundUp(max(g.ramP95*(1+headroom), 2*step), step)
			if math.Abs(g.ramReq-rec)/g.ramReq >= 0.1 {
				out = append(out, Recommendation{Namespace: g.ns, Workload: g.workload, Container: g.container, Resource: "memory", Request: g.ramReq, P95: g.ramP95,
					Recommended: rec, Replicas: replicas, UnitPriceHourly: ramPrice, MonthlySavingUSD: (g.ramReq - rec) / gib * replicas * ramPrice * hoursPerMonth, Source: SourceUsage})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].MonthlySavingUSD > out[j].MonthlySavingUSD })
	return out
}

func roundUp(v, step float64) float64 { return math.Ceil(v/step-1e-9) * step }

func unitEconomics(e *Environment, m *Measurement, workload string) *UnitEconomics {
	if m.Requests == nil || *m.Requests <= 0 {
		return nil
	}
	u := &UnitEconomics{Requests: *m.Requests, Successful: *m.Successful, Source: SourceRequests}
	u.Per1000RequestsUSD = e.TotalUSD / u.Requests * 1000
	u.PerSuccessfulRequestUSD = safeDiv(e.TotalUSD, u.Successful)
	var w float64
	for _, a := range m.Allocations {
		if a.Workload == workload {
			w += a.USD()
		}
	}
	if w > 0 {
		u.Workload = workload
		u.WorkloadPer1000RequestsUSD = w / u.Requests * 1000
		u.WorkloadPerSuccessfulRequestUSD = safeDiv(w, u.Successful)
	}
	return u
}

// forecast projects the month of the window's end: month-to-date (measured
// where Prometheus has data, the run rate where it has none) plus the run
// rate to the end of the month. derived is what was priced from measured
// node-hours (it scales with the measured cost).
func forecast(in EnvInput, fixedHourly, derived float64) *Forecast {
	end := in.Window.End.UTC()
	monthStart := time.Date(end.Year(), end.Month(), 1, 0, 0, 0, 0, time.UTC)
	monthEnd := monthStart.AddDate(0, 1, 0)
	elapsed, remaining := end.Sub(monthStart).Hours(), monthEnd.Sub(end).Hours()
	f := &Forecast{Month: monthStart.Format("2006-01"), RemainingHours: remaining}
	measuredRate, scale := 0.0, 1.0
	if m := in.Measured; m != nil && m.DataHours > 0 {
		measuredRate = (measuredUSD(m) + derived) / m.DataHours
		if u := measuredUSD(m); u > 0 {
			scale = (u + derived) / u
		}
	}
	f.RunRateHourly = measuredRate + fixedHourly
	f.MonthToDateUSD = fixedHourly * elapsed
	switch mtd := in.MonthToDate; {
	case in.Measured == nil:
	case mtd != nil:
		f.MonthToDateUSD += measuredUSD(mtd) * scale
		f.MonthToDateExtrapolatedHours = max(elapsed-mtd.DataHours, 0)
		f.MonthToDateUSD += measuredRate * f.MonthToDateExtrapolatedHours
	default:
		f.MonthToDateExtrapolatedHours = elapsed
		f.MonthToDateUSD += measuredRate * elapsed
	}
	f.MonthEndUSD = f.MonthToDateUSD + f.RunRateHourly*remaining
	f.MonthlyRunRateUSD = f.RunRateHourly * in.Catalog.HoursPerMonth
	return f
}

// measuredUSD is what a measurement read from Prometheus: nodes and lines.
func measuredUSD(m *Measurement) float64 {
	s := m.NodeUSD()
	for _, l := range m.Lines {
		s += l.USD
	}
	return s
}

func budgetStatus(b *Budget, f *Forecast) *BudgetStatus {
	if b == nil {
		return &BudgetStatus{State: BudgetNone, Detail: "no budget for this environment in the budgets file"}
	}
	s := &BudgetStatus{MonthlyUSD: b.MonthlyUSD, WarnAt: b.WarnAt, Used: f.MonthEndUSD / b.MonthlyUSD}
	switch {
	case f.MonthEndUSD > b.MonthlyUSD:
		s.State = BudgetBreach
		s.Detail = fmt.Sprintf("the month-end forecast %s passes the budget %s by %s", Money(f.MonthEndUSD), Money(b.MonthlyUSD), Money(f.MonthEndUSD-b.MonthlyUSD))
	case s.Used >= b.WarnAt:
		s.State = BudgetAtRisk
		s.Detail = fmt.Sprintf("the month-end forecast %s is %s of the budget %s (warning at %s)", Money(f.MonthEndUSD), pct(s.Used), Money(b.MonthlyUSD), pct(b.WarnAt))
	default:
		s.State = BudgetOK
		s.Detail = fmt.Sprintf("the month-end forecast %s is %s of the budget %s", Money(f.MonthEndUSD), pct(s.Used), Money(b.MonthlyUSD))
	}
	return s
}

// Money formats dollars: cents above a dollar, four significant digits
// below; below a nanodollar it is the residue of a difference of equal
// costs (floating point), shown as zero.
func Money(v float64) string {
	a := math.Abs(v)
	switch {
	case a < 1e-9:
		return "$0.00"
	case a >= 1:
		return "$" + commas(fmt.Sprintf("%.2f", v))
	case a >= 0.0001:
		return "$" + trimZeros(fmt.Sprintf("%.4f", v), 2)
	default:
		// Two significant digits, without an exponent.
		return "$" + strconv.FormatFloat(v, 'f', int(-math.Floor(math.Log10(a)))+1, 64)
	}
}

// trimZeros drops the trailing zeros of a decimal, keeping at least keep
// decimals.
func trimZeros(s string, keep int) string {
	whole, frac, ok := strings.Cut(s, ".")
	if !ok {
		return s
	}
	frac = strings.TrimRight(frac, "0")
	for len(frac) < keep {
		frac += "0"
	}
	if frac == "" {
		return whole
	}
	return whole + "." + frac
}

func commas(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := b.String()
	if frac != "" {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}

func pct(v float64) string { return trimZeros(fmt.Sprintf("%.1f", 100*v), 0) + " %" }

// human writes hours as days and hours.
func human(h float64) string {
	d := time.Duration(h * float64(time.Hour)).Round(time.Second)
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%.1f days", d.Hours()/24)
	case d >= time.Hour:
		return fmt.Sprintf("%.1f h", d.Hours())
	default:
		return d.String()
	}
}
