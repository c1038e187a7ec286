package cost

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/gamedayhq/gameday/harness/internal/cost/catalog"
	"github.com/gamedayhq/gameday/harness/internal/prom"
)

// ErrNoData is returned when Prometheus has neither OpenCost's nor
// kube-state-metrics' series in the window.
var ErrNoData = errors.New("no cost data in the window")

// gib is a GiB in bytes.
const gib = 1 << 30

// Collector reads one environment's cost from its Prometheus through
// PromQL: OpenCost's metrics when present, else kube-state-metrics and
// cAdvisor series priced by the catalog. The same queries serve a cluster
// and the sandbox, which exports the same names.
type Collector struct {
	Prom *prom.Client
	// Selector is added to every series selector, e.g.
	// `cluster="gameday-prod"` when one Prometheus holds several
	// environments; "" for none.
	Selector string
	Catalog  *catalog.Catalog
	// Region prices nodes whose labels carry no region and the volumes (the
	// KSM fallback); "" takes it from the nodes' topology.kubernetes.io/region
	// label, as on a cluster.
	Region string
	// RateWindow of rate() over cAdvisor's CPU counter (default: four
	// resolutions, at least a minute). The sandbox scrapes every second and
	// uses 10s for short game days.
	RateWindow time.Duration
}

// NodeCost is one node over the window.
type NodeCost struct {
	Name         string  `json:"name"`
	Zone         string  `json:"zone,omitempty"`
	Region       string  `json:"region,omitempty"`
	InstanceType string  `json:"instanceType"`
	Capacity     string  `json:"capacity"` // ON_DEMAND or SPOT
	Hours        float64 `json:"hours"`
	USD          float64 `json:"usd"`
	// CPUHourly and RAMHourly are its price per vCPU-hour and GiB-hour.
	CPUHourly float64 `json:"cpuHourly"`
	RAMHourly float64 `json:"ramHourly"`
	Source    string  `json:"source"`
}

// ContainerUsage is a container's requests and usage over the window.
type ContainerUsage struct {
	Namespace, Pod, Container string
	CPUUsageCoreHours         float64
	CPURequestCoreHours       float64
	RAMUsageGiBHours          float64
	RAMRequestGiBHours        float64
	// CPURequest (cores) and RAMRequest (bytes) are the last requests.
	CPURequest, RAMRequest float64
	// CPUP95 (cores) and RAMP95 (bytes) are the 95th percentiles of usage.
	CPUP95, RAMP95 float64
	// Hours the container had a request.
	Hours float64
}

// Measurement is what Prometheus says about one environment over a window.
type Measurement struct {
	Source     string
	Window     Window
	Resolution time.Duration
	Nodes      []NodeCost
	// Allocations have their workload and zone set.
	Allocations []Allocation
	// Lines are the load balancers, cluster fee, volumes and cross-zone
	// traffic read from Prometheus.
	Lines []Line
	Usage []ContainerUsage
	// Requests and Successful (status not 5xx) are the window's HTTP
	// requests; nil when PetClinic's series are absent.
	Requests, Successful *float64
	// CrossZoneGiB is the traffic between zones (nil: not measured).
	CrossZoneGiB *float64
	// DataHours is how long the window holds node data.
	DataHours float64
	Notes     []string
}

// NodeUSD is the nodes' cost.
func (m *Measurement) NodeUSD() float64 {
	var s float64
	for _, n := range m.Nodes {
		s += n.USD
	}
	return s
}

// AllocatedUSD is what the containers were charged.
func (m *Measurement) AllocatedUSD() float64 {
	var s float64
	for _, a := range m.Allocations {
		s += a.USD()
	}
	return s
}

// Resolution is the step of the integrals over a window: about 1,000
// steps, at least a second, rounded up to a round duration (15m for a
// week, 1s for a game day of a few minutes). A pod shorter than a step is
// seen at the steps it spans.
func Resolution(d time.Duration) time.Duration {
	want := d / 1000
	for _, r := range []time.Duration{time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
		time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute} {
		if want <= r {
			return r
		}
	}
	return time.Hour
}

func promDur(d time.Duration) string { return model.Duration(d).String() }

// q builds the queries of one window. They are evaluated half a
// resolution before the window's end: a subquery's steps are then the
// window's start, start + resolution, ..., end - resolution, each standing
// for the resolution that follows it ([start, end) exactly, on Prometheus
// 2 and 3 alike), and increase() over the window extrapolates its samples
// by half an interval at each edge.
type q struct {
	sel string
	w   string // window
	wr  string // window:resolution, a subquery range
	rw  string // rate window
	hr  float64
	at  time.Time
}

func newQ(selector string, w Window, res, rw time.Duration) q {
	return q{sel: selector, w: promDur(w.D()), wr: promDur(w.D()) + ":" + promDur(res), rw: promDur(rw), hr: res.Hours(), at: w.End.Add(-res / 2)}
}

// s is metric{selector, extra...}.
func (x q) s(metric string, extra ...string) string {
	var ms []string
	if x.sel != "" {
		ms = append(ms, x.sel)
	}
	ms = append(ms, extra...)
	if len(ms) == 0 {
		return metric
	}
	return metric + "{" + strings.Join(ms, ", ") + "}"
}

// Measure reads the environment over w. It returns ErrNoData (wrapped)
// when the window holds neither OpenCost's nor kube-state-metrics' series,
// and a prom error (ErrUnreachable ...) when Prometheus cannot answer.
func (c *Collector) Measure(ctx context.Context, w Window) (*Measurement, error) {
	if !w.End.After(w.Start) {
		return nil, fmt.Errorf("cost: window %s to %s is empty", w.Start.Format(time.RFC3339), w.End.Format(time.RFC3339))
	}
	res := Resolution(w.D())
	rw := c.RateWindow
	if rw <= 0 {
		rw = max(4*res, time.Minute)
	}
	x := newQ(c.Selector, w, res, rw)
	m := &Measurement{Window: w, Resolution: res}
	var err error
	switch {
	case c.has(ctx, x, "node_total_hourly_cost", w, &err):
		m.Source = SourceOpenCost
		err = c.openCost(ctx, x, w, m)
	case err == nil && c.has(ctx, x, "kube_node_labels", w, &err):
		m.Source = SourceKSM
		err = c.kubeStateMetrics(ctx, x, w, m)
	case err == nil:
		return nil, fmt.Errorf("cost: %w from %s to %s in %s: neither OpenCost's node_total_hourly_cost nor kube-state-metrics' kube_node_labels%s",
			ErrNoData, w.Start.UTC().Format(time.RFC3339), w.End.UTC().Format(time.RFC3339), c.Prom.URL(), selectorText(c.Selector))
	}
	if err != nil {
		return nil, err
	}
	if err := c.common(ctx, x, w, m); err != nil {
		return nil, err
	}
	owners, err := c.owners(ctx, x, w)
	if err != nil {
		return nil, err
	}
	zones := map[string]string{}
	for _, n := range m.Nodes {
		zones[n.Name] = n.Zone
	}
	for i := range m.Allocations {
		a := &m.Allocations[i]
		a.Workload = owners.workload(a.Namespace, a.Pod)
		a.Zone = zones[a.Node]
	}
	sort.Slice(m.Allocations, func(i, j int) bool {
		a, b := m.Allocations[i], m.Allocations[j]
		return a.Namespace+"/"+a.Pod+"/"+a.Container+"/"+a.Node < b.Namespace+"/"+b.Pod+"/"+b.Container+"/"+b.Node
	})
	return m, nil
}

func selectorText(s string) string {
	if s == "" {
		return ""
	}
	return " matching {" + s + "}"
}

// has reports whether metric has a sample in the window.
func (c *Collector) has(ctx context.Context, x q, metric string, w Window, errp *error) bool {
	ss, err := c.Prom.QueryVector(ctx, fmt.Sprintf("count(count_over_time(%s[%s]))", x.s(metric), x.w), x.at)
	if err != nil {
		*errp = err
		return false
	}
	return len(ss) > 0 && ss[0].Value > 0
}

// vector runs an instant query at the window's evaluation time.
func (c *Collector) vector(ctx context.Context, x q, query string) ([]prom.Sample, error) {
	return c.Prom.QueryVector(ctx, query, x.at)
}

// key joins label values.
func key(s prom.Sample, labels ...string) string {
	v := make([]string, len(labels))
	for i, l := range labels {
		v[i] = s.Labels[l]
	}
	return strings.Join(v, "\x00")
}

// byKey runs query and returns its values by the labels' values.
func (c *Collector) byKey(ctx context.Context, x q, query string, labels ...string) (map[string]float64, error) {
	ss, err := c.vector(ctx, x, query)
	if err != nil {
		return nil, err
	}
	out := make(map[string]float64, len(ss))
	for _, s := range ss {
		out[key(s, labels...)] += s.Value
	}
	return out, nil
}

// nodeLabels reads the nodes' zone, region, instance type and capacity
// type from kube_node_labels (OpenCost emits it too).
type nodeLabel struct{ zone, region, typ, capacity string }

func (c *Collector) nodeLabels(ctx context.Context, x q, w Window) (map[string]nodeLabel, error) {
	ss, err := c.vector(ctx, x, fmt.Sprintf(`max by (node, label_topology_kubernetes_io_zone, label_topology_kubernetes_io_region, label_node_kubernetes_io_instance_type, label_eks_amazonaws_com_capacity_type, label_karpenter_sh_capacity_type) (max_over_time(%s[%s]))`, x.s("kube_node_labels"), x.w))
	if err != nil {
		return nil, err
	}
	out := map[string]nodeLabel{}
	for _, s := range ss {
		l := s.Labels
		capacity := strings.ToUpper(strings.ReplaceAll(l["label_eks_amazonaws_com_capacity_type"]+l["label_karpenter_sh_capacity_type"], "-", "_"))
		out[l["node"]] = nodeLabel{zone: l["label_topology_kubernetes_io_zone"], region: l["label_topology_kubernetes_io_region"],
			typ: l["label_node_kubernetes_io_instance_type"], capacity: capacity}
	}
	return out, nil
}

// openCost reads nodes, allocations, load balancers, the cluster fee,
// volumes and cross-zone traffic from OpenCost's metrics.
func (c *Collector) openCost(ctx context.Context, x q, w Window, m *Measurement) error {
	usd, err := c.byKey(ctx, x, fmt.Sprintf(`sum by (node, instance_type) (sum_over_time(%s[%s]))`, x.s("node_total_hourly_cost"), x.wr), "node", "instance_type")
	if err != nil {
		return err
	}
	count, err := c.byKey(ctx, x, fmt.Sprintf(`sum by (node, instance_type) (count_over_time(%s[%s]))`, x.s("node_total_hourly_cost"), x.wr), "node", "instance_type")
	if err != nil {
		return err
	}
	cpuPrice, err := c.byKey(ctx, x, fmt.Sprintf(`max by (node) (avg_over_time(%s[%s]))`, x.s("node_cpu_hourly_cost"), x.w), "node")
	if err != nil {
		return err
	}
	ramPrice, err := c.byKey(ctx, x, fmt.Sprintf(`max by (node) (avg_over_time(%s[%s]))`, x.s("node_ram_hourly_cost"), x.w), "node")
	if err != nil {
		return err
	}
	spot, err := c.byKey(ctx, x, fmt.Sprintf(`max by (node) (max_over_time(%s[%s]))`, x.s("kubecost_node_is_spot"), x.w), "node")
	if err != nil {
		return err
	}
	labels, err := c.nodeLabels(ctx, x, w)
	if err != nil {
		return err
	}
	for _, k := range slices.Sorted(maps.Keys(usd)) {
		name, typ, _ := strings.Cut(k, "\x00")
		l := labels[name]
		capacity := catalog.OnDemand
		if spot[name] > 0 || l.capacity == catalog.Spot {
			capacity = catalog.Spot
		}
		m.Nodes = append(m.Nodes, NodeCost{Name: name, Zone: l.zone, Region: l.region, InstanceType: typ, Capacity: capacity,
			Hours: count[k] * x.hr, USD: usd[k] * x.hr, CPUHourly: cpuPrice[name], RAMHourly: ramPrice[name], Source: SourceOpenCost})
	}

	// Allocations: max(request, usage) priced at the node's rates, step by
	// step (prices may change over the window).
	allocQ := func(expr string) string {
		return fmt.Sprintf(`sum by (namespace, pod, container, node) (sum_over_time((%s)[%s]))`, expr, x.wr)
	}
	labelsA := []string{"namespace", "pod", "container", "node"}
	cpuUSD, err := c.byKey(ctx, x, allocQ(fmt.Sprintf(`%s * on(node) group_left() max by (node) (%s)`, x.s("container_cpu_allocation"), x.s("node_cpu_hourly_cost"))), labelsA...)
	if err != nil {
		return err
	}
	ramUSD, err := c.byKey(ctx, x, allocQ(fmt.Sprintf(`%s / %d * on(node) group_left() max by (node) (%s)`, x.s("container_memory_allocation_bytes"), gib, x.s("node_ram_hourly_cost"))), labelsA...)
	if err != nil {
		return err
	}
	cpuH, err := c.byKey(ctx, x, allocQ(x.s("container_cpu_allocation")), labelsA...)
	if err != nil {
		return err
	}
	ramH, err := c.byKey(ctx, x, allocQ(fmt.Sprintf(`%s / %d`, x.s("container_memory_allocation_bytes"), gib)), labelsA...)
	if err != nil {
		return err
	}
	for _, k := range unionKeys(cpuH, ramH) {
		v := strings.Split(k, "\x00")
		m.Allocations = append(m.Allocations, Allocation{Namespace: v[0], Pod: v[1], Container: v[2], Node: v[3],
			CPUCoreHours: cpuH[k] * x.hr, RAMGiBHours: ramH[k] * x.hr, CPUUSD: cpuUSD[k] * x.hr, RAMUSD: ramUSD[k] * x.hr})
	}

	// Load balancers and the cluster management fee.
	lbs, err := c.hourly(ctx, x, w, "kubecost_load_balancer_cost", "namespace", "service_name")
	if err != nil {
		return err
	}
	for _, h := range lbs {
		m.Lines = append(m.Lines, Line{Category: CatLoadBalancer, Item: "load balancer of Service " + h.labels[0] + "/" + h.labels[1], ResourceID: h.labels[0] + "/" + h.labels[1],
			Quantity: h.hours, Unit: "hours", UnitPrice: safeDiv(h.usd, h.hours), USD: h.usd, Source: SourceOpenCost, Service: ServiceELB, Pricing: "on-demand"})
	}
	fees, err := c.hourly(ctx, x, w, "kubecost_cluster_management_cost", "provisioner_name")
	if err != nil {
		return err
	}
	for _, h := range fees {
		m.Lines = append(m.Lines, Line{Category: CatControlPlane, Item: "cluster management fee (" + h.labels[0] + ")", ResourceID: "cluster",
			Quantity: h.hours, Unit: "hours", UnitPrice: safeDiv(h.usd, h.hours), USD: h.usd, Source: SourceOpenCost, Service: ServiceEKS, Pricing: "on-demand"})
	}

	// Volumes: pv_hourly_cost is per GiB-hour.
	pvUSD, err := c.byKey(ctx, x, fmt.Sprintf(`sum by (persistentvolume) (sum_over_time((%s * on(persistentvolume) group_left() max by (persistentvolume) (%s) / %d)[%s]))`,
		x.s("pv_hourly_cost"), x.s("kube_persistentvolume_capacity_bytes"), gib, x.wr), "persistentvolume")
	if err != nil {
		return err
	}
	if err := c.volumes(ctx, x, w, m, pvUSD, SourceOpenCost); err != nil {
		return err
	}

	// Cross-zone traffic, from OpenCost's network costs exporter.
	bytes, err := c.byKey(ctx, x, fmt.Sprintf(`sum by (namespace, pod_name) (increase(%s[%s]))`,
		x.s("kubecost_pod_network_egress_bytes_total", `same_zone="false"`, `same_region="true"`, `internet="false"`), x.w), "namespace", "pod_name")
	if err != nil {
		return err
	}
	if len(bytes) > 0 {
		price, err := c.byKey(ctx, x, fmt.Sprintf(`avg(avg_over_time(%s[%s]))`, x.s("kubecost_network_zone_egress_cost"), x.w))
		if err != nil {
			return err
		}
		var total float64
		for _, k := range slices.Sorted(maps.Keys(bytes)) {
			total += bytes[k] / gib
		}
		p := price[""]
		m.CrossZoneGiB = &total
		m.Lines = append(m.Lines, Line{Category: CatNetwork, Item: "traffic between zones", ResourceID: "cross-zone",
			Quantity: total, Unit: "GiB", UnitPrice: p, USD: total * p, Source: SourceOpenCost, Service: ServiceEC2, Pricing: "on-demand"})
	}
	return c.dataHours(ctx, x, w, m, "node_total_hourly_cost")
}

// kubeStateMetrics prices the nodes by the catalog from their labels, and
// allocations as max(request, usage) of kube-state-metrics and cAdvisor.
func (c *Collector) kubeStateMetrics(ctx context.Context, x q, w Window, m *Measurement) error {
	labels, err := c.nodeLabels(ctx, x, w)
	if err != nil {
		return err
	}
	count, err := c.byKey(ctx, x, fmt.Sprintf(`sum by (node) (count_over_time(%s[%s]))`, x.s("kube_node_labels"), x.wr), "node")
	if err != nil {
		return err
	}
	defRegion := c.Region
	for _, name := range slices.Sorted(maps.Keys(count)) {
		defRegion = cmp.Or(defRegion, labels[name].region)
	}
	var missing []error
	for _, name := range slices.Sorted(maps.Keys(count)) {
		l := labels[name]
		region := cmp.Or(l.region, defRegion)
		if region == "" {
			missing = append(missing, fmt.Errorf("node %s: no region to price it in: no node has a label topology.kubernetes.io/region in kube_node_labels (kube-state-metrics --metric-labels-allowlist=nodes=[...])", name))
			continue
		}
		capacity := catalog.OnDemand
		if l.capacity == catalog.Spot {
			capacity = catalog.Spot
		}
		if l.typ == "" {
			missing = append(missing, fmt.Errorf("node %s has no label node.kubernetes.io/instance-type in kube_node_labels (kube-state-metrics --metric-labels-allowlist=nodes=[...])", name))
			continue
		}
		p, in, err := c.Catalog.InstanceHourly(region, l.typ, capacity)
		if err != nil {
			missing = append(missing, fmt.Errorf("node %s: %w", name, err))
			continue
		}
		cpu, ram := catalog.Split(p.USD, in.VCPU, in.MemoryGiB)
		hours := count[name] * x.hr
		m.Nodes = append(m.Nodes, NodeCost{Name: name, Zone: l.zone, Region: region, InstanceType: l.typ, Capacity: capacity,
			Hours: hours, USD: hours * p.USD, CPUHourly: cpu, RAMHourly: ram, Source: SourceKSM + " (" + c.Catalog.Cite(p) + ")"})
	}
	if len(missing) > 0 {
		return errors.Join(missing...)
	}
	nodes := map[string]NodeCost{}
	for _, n := range m.Nodes {
		nodes[n.Name] = n
	}
	notEmpty := `container!="", container!="POD"`
	alloc := func(req, usage string) string {
		return fmt.Sprintf(`sum by (namespace, pod, container, node) (sum_over_time((max by (namespace, pod, container, node) (%[1]s or label_replace(%[2]s + on(namespace, pod, container) group_left(node) (0 * %[1]s), "gameday_alloc", "usage", "", "")))[%[3]s]))`,
			req, usage, x.wr)
	}
	labelsA := []string{"namespace", "pod", "container", "node"}
	cpuH, err := c.byKey(ctx, x, alloc(
		fmt.Sprintf(`max by (namespace, pod, container, node) (%s)`, x.s("kube_pod_container_resource_requests", `resource="cpu"`)),
		fmt.Sprintf(`max by (namespace, pod, container) (rate(%s[%s]))`, x.s("container_cpu_usage_seconds_total", notEmpty), x.rw)), labelsA...)
	if err != nil {
		return err
	}
	ramH, err := c.byKey(ctx, x, alloc(
		fmt.Sprintf(`max by (namespace, pod, container, node) (%s)`, x.s("kube_pod_container_resource_requests", `resource="memory"`)),
		fmt.Sprintf(`max by (namespace, pod, container) (%s)`, x.s("container_memory_working_set_bytes", notEmpty))), labelsA...)
	if err != nil {
		return err
	}
	for _, k := range unionKeys(cpuH, ramH) {
		v := strings.Split(k, "\x00")
		n := nodes[v[3]]
		a := Allocation{Namespace: v[0], Pod: v[1], Container: v[2], Node: v[3], CPUCoreHours: cpuH[k] * x.hr, RAMGiBHours: ramH[k] * x.hr / gib}
		a.CPUUSD, a.RAMUSD = a.CPUCoreHours*n.CPUHourly, a.RAMGiBHours*n.RAMHourly
		m.Allocations = append(m.Allocations, a)
	}
	// Volumes priced as gp3 by the catalog.
	gp3, err := c.Catalog.Service(defRegion, catalog.EBSGp3PerGiBMonth)
	if err != nil {
		return err
	}
	pvUSD, err := c.byKey(ctx, x, fmt.Sprintf(`sum by (persistentvolume) (sum_over_time(%s[%s])) / %d * %g`,
		x.s("kube_persistentvolume_capacity_bytes"), x.wr, gib, gp3.USD/c.Catalog.HoursPerMonth), "persistentvolume")
	if err != nil {
		return err
	}
	if err := c.volumes(ctx, x, w, m, pvUSD, SourceKSM+" ("+c.Catalog.Cite(gp3)+", as gp3)"); err != nil {
		return err
	}
	m.Notes = append(m.Notes, "no OpenCost metrics in this Prometheus: nodes priced by the catalog from kube_node_labels, allocations from kube-state-metrics requests and cAdvisor usage; load balancers and the cluster fee come from the inventory; traffic between zones is not measured")
	return c.dataHours(ctx, x, w, m, "kube_node_labels")
}

// volumes adds a line per persistent volume whose cost is in usd (per
// resolution step), with its size and claiming namespace.
func (c *Collector) volumes(ctx context.Context, x q, w Window, m *Measurement, usd map[string]float64, source string) error {
	if len(usd) == 0 {
		return nil
	}
	size, err := c.byKey(ctx, x, fmt.Sprintf(`max by (persistentvolume) (max_over_time(%s[%s])) / %d`, x.s("kube_persistentvolume_capacity_bytes"), x.w, gib), "persistentvolume")
	if err != nil {
		return err
	}
	claims, err := c.vector(ctx, x, fmt.Sprintf(`max by (persistentvolume, claim_namespace) (max_over_time(%s[%s]))`, x.s("kube_persistentvolume_claim_ref"), x.w))
	if err != nil {
		return err
	}
	ns := map[string]string{}
	for _, s := range claims {
		ns[s.Labels["persistentvolume"]] = s.Labels["claim_namespace"]
	}
	for _, pv := range slices.Sorted(maps.Keys(usd)) {
		item := fmt.Sprintf("volume %s (%g GiB)", pv, round(size[pv], 3))
		if ns[pv] != "" {
			item += ", claimed in " + ns[pv]
		}
		m.Lines = append(m.Lines, Line{Category: CatStorage, Item: item, ResourceID: pv, Quantity: size[pv], Unit: "GiB over the window",
			USD: usd[pv] * x.hr, Source: source, Service: ServiceEBS, Pricing: "on-demand"})
	}
	return nil
}

type hourlyItem struct {
	labels     []string
	usd, hours float64
}

// hourly integrates an hourly-cost metric by labels.
func (c *Collector) hourly(ctx context.Context, x q, w Window, metric string, labels ...string) ([]hourlyItem, error) {
	by := strings.Join(labels, ", ")
	usd, err := c.byKey(ctx, x, fmt.Sprintf(`sum by (%s) (sum_over_time(%s[%s]))`, by, x.s(metric), x.wr), labels...)
	if err != nil {
		return nil, err
	}
	n, err := c.byKey(ctx, x, fmt.Sprintf(`max by (%s) (count_over_time(%s[%s]))`, by, x.s(metric), x.wr), labels...)
	if err != nil {
		return nil, err
	}
	var out []hourlyItem
	for _, k := range slices.Sorted(maps.Keys(usd)) {
		out = append(out, hourlyItem{labels: strings.Split(k, "\x00"), usd: usd[k] * x.hr, hours: n[k] * x.hr})
	}
	return out, nil
}

// dataHours is how long the window holds samples of metric.
func (c *Collector) dataHours(ctx context.Context, x q, w Window, m *Measurement, metric string) error {
	v, err := c.byKey(ctx, x, fmt.Sprintf(`sum_over_time((count(%s) > bool 0)[%s])`, x.s(metric), x.wr))
	if err != nil {
		return err
	}
	m.DataHours = v[""] * x.hr
	return nil
}

// common reads what both sources share: requests and usage of every
// container (efficiency, rightsizing) and PetClinic's requests.
func (c *Collector) common(ctx context.Context, x q, w Window, m *Measurement) error {
	notEmpty := `container!="", container!="POD"`
	labelsC := []string{"namespace", "pod", "container"}
	type query struct {
		expr  string
		scale float64
		into  func(*ContainerUsage, float64)
	}
	queries := []query{
		{fmt.Sprintf(`sum by (namespace, pod, container) (increase(%s[%s]))`, x.s("container_cpu_usage_seconds_total", notEmpty), x.w), 1.0 / 3600,
			func(u *ContainerUsage, v float64) { u.CPUUsageCoreHours = v }},
		{fmt.Sprintf(`sum by (namespace, pod, container) (sum_over_time(%s[%s]))`, x.s("container_memory_working_set_bytes", notEmpty), x.wr), x.hr / gib,
			func(u *ContainerUsage, v float64) { u.RAMUsageGiBHours = v }},
		{fmt.Sprintf(`sum by (namespace, pod, container) (sum_over_time(%s[%s]))`, x.s("kube_pod_container_resource_requests", `resource="cpu"`), x.wr), x.hr,
			func(u *ContainerUsage, v float64) { u.CPURequestCoreHours = v }},
		{fmt.Sprintf(`sum by (namespace, pod, container) (sum_over_time(%s[%s]))`, x.s("kube_pod_container_resource_requests", `resource="memory"`), x.wr), x.hr / gib,
			func(u *ContainerUsage, v float64) { u.RAMRequestGiBHours = v }},
		{fmt.Sprintf(`max by (namespace, pod, container) (last_over_time(%s[%s]))`, x.s("kube_pod_container_resource_requests", `resource="cpu"`), x.w), 1,
			func(u *ContainerUsage, v float64) { u.CPURequest = v }},
		{fmt.Sprintf(`max by (namespace, pod, container) (last_over_time(%s[%s]))`, x.s("kube_pod_container_resource_requests", `resource="memory"`), x.w), 1,
			func(u *ContainerUsage, v float64) { u.RAMRequest = v }},
		{fmt.Sprintf(`max by (namespace, pod, container) (count_over_time(%s[%s]))`, x.s("kube_pod_container_resource_requests", `resource="cpu"`), x.wr), x.hr,
			func(u *ContainerUsage, v float64) { u.Hours = v }},
		{fmt.Sprintf(`max by (namespace, pod, container) (quantile_over_time(0.95, rate(%s[%s])[%s]))`, x.s("container_cpu_usage_seconds_total", notEmpty), x.rw, x.wr), 1,
			func(u *ContainerUsage, v float64) { u.CPUP95 = v }},
		{fmt.Sprintf(`max by (namespace, pod, container) (quantile_over_time(0.95, %s[%s]))`, x.s("container_memory_working_set_bytes", notEmpty), x.wr), 1,
			func(u *ContainerUsage, v float64) { u.RAMP95 = v }},
	}
	usage := map[string]*ContainerUsage{}
	for _, qq := range queries {
		vals, err := c.byKey(ctx, x, qq.expr, labelsC...)
		if err != nil {
			return err
		}
		for k, v := range vals {
			u := usage[k]
			if u == nil {
				p := strings.Split(k, "\x00")
				u = &ContainerUsage{Namespace: p[0], Pod: p[1], Container: p[2]}
				usage[k] = u
			}
			qq.into(u, v*qq.scale)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(usage)) {
		m.Usage = append(m.Usage, *usage[k])
	}

	// Users' requests: not the probes' and scrapes' of the Actuator.
	user := `uri!~"/actuator.*"`
	total, err := c.byKey(ctx, x, fmt.Sprintf(`sum(increase(%s[%s]))`, x.s("http_server_requests_seconds_count", user), x.w))
	if err != nil {
		return err
	}
	if t, ok := total[""]; ok {
		bad, err := c.byKey(ctx, x, fmt.Sprintf(`sum(increase(%s[%s]))`, x.s("http_server_requests_seconds_count", user, `status=~"5.."`), x.w))
		if err != nil {
			return err
		}
		good := max(t-bad[""], 0)
		m.Requests, m.Successful = &t, &good
	}
	return nil
}

// owners maps pods to their workload: the Deployment of their ReplicaSet,
// else their controller, else the pod itself.
type ownerMap struct {
	pods map[string][2]string // namespace/pod → kind, name
	rs   map[string][2]string // namespace/replicaset → kind, name
}

func (c *Collector) owners(ctx context.Context, x q, w Window) (*ownerMap, error) {
	o := &ownerMap{pods: map[string][2]string{}, rs: map[string][2]string{}}
	pods, err := c.vector(ctx, x, fmt.Sprintf(`max by (namespace, pod, owner_kind, owner_name) (max_over_time(%s[%s]))`, x.s("kube_pod_owner"), x.w))
	if err != nil {
		return nil, err
	}
	for _, s := range pods {
		o.pods[s.Labels["namespace"]+"/"+s.Labels["pod"]] = [2]string{s.Labels["owner_kind"], s.Labels["owner_name"]}
	}
	rs, err := c.vector(ctx, x, fmt.Sprintf(`max by (namespace, replicaset, owner_kind, owner_name) (max_over_time(%s[%s]))`, x.s("kube_replicaset_owner"), x.w))
	if err != nil {
		return nil, err
	}
	for _, s := range rs {
		o.rs[s.Labels["namespace"]+"/"+s.Labels["replicaset"]] = [2]string{s.Labels["owner_kind"], s.Labels["owner_name"]}
	}
	return o, nil
}

func (o *ownerMap) workload(ns, pod string) string {
	ow, ok := o.pods[ns+"/"+pod]
	switch {
	case !ok || ow[1] == "" || ow[1] == "<none>":
		return pod
	case ow[0] == "ReplicaSet":
		if d, ok := o.rs[ns+"/"+ow[1]]; ok && d[0] == "Deployment" && d[1] != "" {
			return d[1]
		}
	}
	return ow[1]
}

func unionKeys(a, b map[string]float64) []string {
	m := make(map[string]float64, len(a)+len(b))
	for k := range a {
		m[k] = 0
	}
	for k := range b {
		m[k] = 0
	}
	return slices.Sorted(maps.Keys(m))
}

func safeDiv(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}
