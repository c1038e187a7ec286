package cost

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/cost/catalog"
	"github.com/gamedayhq/gameday/harness/internal/prom"
	"github.com/gamedayhq/gameday/harness/internal/prom/promtest"
)

// The known week: Monday 2 November 2026, 00:00 UTC, for 168 hours. Nodes
// a and b (m7i.large, on-demand, zones a and b) run all week; node c
// (m6i.large, spot, zone c) only its second half, 84 hours, with redis-0.
var (
	t0   = time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	mid  = t0.Add(84 * time.Hour)
	tEnd = t0.Add(168 * time.Hour)
	week = Window{Start: t0, End: tEnd}
)

// om writes OpenMetrics for promtool, one sample per resolution of the
// week (15 minutes), as a Prometheus scraping every 15 minutes would hold.
type om struct{ b strings.Builder }

func (o *om) family(name, typ string) { fmt.Fprintf(&o.b, "# TYPE %s %s\n", name, typ) }

func (o *om) series(metric, labels string, from, to time.Time, v func(secs float64) float64) {
	for t := from; t.Before(to); t = t.Add(Resolution(week.D())) {
		fmt.Fprintf(&o.b, "%s{%s} %s %d\n", metric, labels, fmt.Sprint(v(t.Sub(from).Seconds())), t.Unix())
	}
}

func constant(v float64) func(float64) float64 { return func(float64) float64 { return v } }

func counter(start, perSecond float64) func(float64) float64 {
	return func(s float64) float64 { return start + perSecond*s }
}

type node struct {
	name, zone, typ, capacity string
	from                      time.Time
	total, cpu, ram, spot     float64
}

type ctr struct {
	ns, pod, container, node         string
	from                             time.Time
	cpuReq, memReq, cpuUse, memUse   float64
	cpuAlloc, memAlloc               float64
	ownerKind, ownerName, replicaSet string
}

var (
	nodes = []node{
		{"node-a", "eu-west-1a", "m7i.large", "ON_DEMAND", t0, 0.1124, 0.0366, 0.0049, 0},
		{"node-b", "eu-west-1b", "m7i.large", "ON_DEMAND", t0, 0.1124, 0.0366, 0.0049, 0},
		{"node-c", "eu-west-1c", "m6i.large", "SPOT", mid, 0.0424, 0.014, 0.0018, 1},
	}
	mi         = float64(1 << 20)
	containers = []ctr{
		{"petclinic", "petclinic-7d9f-1", "petclinic", "node-a", t0, 0.25, 128 * mi, 0.05, 100 * mi, 0.25, 128 * mi, "ReplicaSet", "petclinic-7d9f", ""},
		{"petclinic", "petclinic-7d9f-2", "petclinic", "node-b", t0, 0.25, 128 * mi, 0.05, 100 * mi, 0.25, 128 * mi, "ReplicaSet", "petclinic-7d9f", ""},
		{"cache", "redis-0", "redis", "node-c", mid, 0.1, 128 * mi, 0.02, 64 * mi, 0.1, 128 * mi, "StatefulSet", "redis", ""},
	}
)

// weekOpenMetrics is the known week in OpenCost's, kube-state-metrics',
// cAdvisor's and PetClinic's metric names (withOpenCost false leaves
// OpenCost's out, as on a cluster without it). Counters start high enough
// that increase() never clips its extrapolation at their zero point.
func weekOpenMetrics(withOpenCost bool) []byte {
	var o om
	if withOpenCost {
		for _, m := range []struct {
			name string
			v    func(node) float64
		}{
			{"node_total_hourly_cost", func(n node) float64 { return n.total }},
			{"node_cpu_hourly_cost", func(n node) float64 { return n.cpu }},
			{"node_ram_hourly_cost", func(n node) float64 { return n.ram }},
			{"kubecost_node_is_spot", func(n node) float64 { return n.spot }},
		} {
			o.family(m.name, "gauge")
			for _, n := range nodes {
				o.series(m.name, fmt.Sprintf(`instance=%q,node=%q,instance_type=%q,region="eu-west-1",provider_id="aws:///%s/i-%s",arch="amd64"`, n.name, n.name, n.typ, n.zone, n.name),
					n.from, tEnd, constant(m.v(n)))
			}
		}
		o.family("container_cpu_allocation", "gauge")
		for _, c := range containers {
			o.series("container_cpu_allocation", fmt.Sprintf(`namespace=%q,pod=%q,container=%q,instance=%q,node=%q`, c.ns, c.pod, c.container, c.node, c.node), c.from, tEnd, constant(c.cpuAlloc))
		}
		o.family("container_memory_allocation_bytes", "gauge")
		for _, c := range containers {
			o.series("container_memory_allocation_bytes", fmt.Sprintf(`namespace=%q,pod=%q,container=%q,instance=%q,node=%q`, c.ns, c.pod, c.container, c.node, c.node), c.from, tEnd, constant(c.memAlloc))
		}
		o.family("kubecost_load_balancer_cost", "gauge")
		o.series("kubecost_load_balancer_cost", `namespace="petclinic",service_name="petclinic",ingress_ip="203.0.113.10"`, t0, tEnd, constant(0.0252))
		o.family("kubecost_cluster_management_cost", "gauge")
		o.series("kubecost_cluster_management_cost", `provisioner_name="EKS"`, t0, tEnd, constant(0.10))
		o.family("pv_hourly_cost", "gauge")
		o.series("pv_hourly_cost", `persistentvolume="pvc-redis",volumename="pvc-redis",provider_id="vol-1"`, t0, tEnd, constant(0.0001))
		o.family("kubecost_network_zone_egress_cost", "gauge")
		o.series("kubecost_network_zone_egress_cost", ``, t0, tEnd, constant(0.02))
		o.family("kubecost_pod_network_egress_bytes", "unknown")
		o.series("kubecost_pod_network_egress_bytes_total", `namespace="petclinic",pod_name="petclinic-7d9f-2",same_zone="false",same_region="true",internet="false"`,
			t0, tEnd, counter(1<<30, 10*(1<<30)/tEnd.Sub(t0).Seconds()))
	}
	o.family("kube_node_labels", "gauge")
	for _, n := range nodes {
		o.series("kube_node_labels", fmt.Sprintf(`node=%q,label_topology_kubernetes_io_zone=%q,label_topology_kubernetes_io_region="eu-west-1",label_node_kubernetes_io_instance_type=%q,label_eks_amazonaws_com_capacity_type=%q`,
			n.name, n.zone, n.typ, n.capacity), n.from, tEnd, constant(1))
	}
	o.family("kube_pod_container_resource_requests", "gauge")
	for _, c := range containers {
		o.series("kube_pod_container_resource_requests", fmt.Sprintf(`namespace=%q,pod=%q,container=%q,node=%q,resource="cpu",unit="core"`, c.ns, c.pod, c.container, c.node), c.from, tEnd, constant(c.cpuReq))
		o.series("kube_pod_container_resource_requests", fmt.Sprintf(`namespace=%q,pod=%q,container=%q,node=%q,resource="memory",unit="byte"`, c.ns, c.pod, c.container, c.node), c.from, tEnd, constant(c.memReq))
	}
	o.family("kube_pod_owner", "gauge")
	for _, c := range containers {
		o.series("kube_pod_owner", fmt.Sprintf(`namespace=%q,pod=%q,owner_kind=%q,owner_name=%q,owner_is_controller="true"`, c.ns, c.pod, c.ownerKind, c.ownerName), c.from, tEnd, constant(1))
	}
	o.family("kube_replicaset_owner", "gauge")
	o.series("kube_replicaset_owner", `namespace="petclinic",replicaset="petclinic-7d9f",owner_kind="Deployment",owner_name="petclinic"`, t0, tEnd, constant(1))
	o.family("kube_persistentvolume_capacity_bytes", "gauge")
	o.series("kube_persistentvolume_capacity_bytes", `persistentvolume="pvc-redis"`, t0, tEnd, constant(10*(1<<30)))
	o.family("kube_persistentvolume_claim_ref", "gauge")
	o.series("kube_persistentvolume_claim_ref", `persistentvolume="pvc-redis",name="data-redis-0",claim_namespace="cache"`, t0, tEnd, constant(1))
	o.family("container_memory_working_set_bytes", "gauge")
	for _, c := range containers {
		o.series("container_memory_working_set_bytes", fmt.Sprintf(`namespace=%q,pod=%q,container=%q,node=%q,id="/kubepods/%s"`, c.ns, c.pod, c.container, c.node, c.pod), c.from, tEnd, constant(c.memUse))
	}
	o.family("container_cpu_usage_seconds", "unknown")
	for _, c := range containers {
		o.series("container_cpu_usage_seconds_total", fmt.Sprintf(`namespace=%q,pod=%q,container=%q,node=%q,id="/kubepods/%s"`, c.ns, c.pod, c.container, c.node, c.pod), c.from, tEnd, counter(1000, c.cpuUse))
	}
	o.family("http_server_requests_seconds_count", "unknown")
	o.series("http_server_requests_seconds_count", `namespace="petclinic",uri="/",status="200",outcome="SUCCESS"`, t0, tEnd, counter(1e7, 10))
	o.series("http_server_requests_seconds_count", `namespace="petclinic",uri="/",status="500",outcome="SERVER_ERROR"`, t0, tEnd, counter(1000, 0.01))
	o.b.WriteString("# EOF\n")
	return []byte(o.b.String())
}

func collector(t *testing.T, withOpenCost bool) *Collector {
	t.Helper()
	return collectorOf(t, string(weekOpenMetrics(withOpenCost)))
}

// collectorOf is a collector in eu-west-1 over a Prometheus backfilled with
// openMetrics.
func collectorOf(t *testing.T, openMetrics string) *Collector {
	t.Helper()
	srv := promtest.Start(t, promtest.Config{Backfill: openMetrics})
	p, err := prom.New(srv.URL, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	return &Collector{Prom: p, Catalog: cat, Region: "eu-west-1"}
}

func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-6*math.Max(1, math.Abs(want)) {
		t.Errorf("%s = %.10g, want %.10g", what, got, want)
	}
}

func lineUSD(e *Environment, category string) float64 {
	var s float64
	for _, l := range e.Lines {
		if l.Category == category {
			s += l.USD
		}
	}
	return s
}

func groupUSD(gs []Group, name string) float64 {
	for _, g := range gs {
		if g.Name == name {
			return g.USD
		}
	}
	return math.NaN()
}

// OpenCost's metrics, backfilled into a real Prometheus for a known week,
// give the dollars computed here by hand.
func TestMeasureAKnownWeekFromOpenCostMetrics(t *testing.T) {
	c := collector(t, true)
	ctx := context.Background()
	m, err := c.Measure(ctx, week)
	if err != nil {
		t.Fatal(err)
	}
	if m.Source != SourceOpenCost || m.Resolution != 15*time.Minute {
		t.Fatalf("source %q at %s, want opencost at 15m", m.Source, m.Resolution)
	}
	// Nodes: node_total_hourly_cost x hours.
	want := map[string]float64{
		"node-a": 0.1124 * 168, // 18.8832
		"node-b": 0.1124 * 168, // 18.8832
		"node-c": 0.0424 * 84,  // 3.5616, spot, second half of the week
	}
	for _, n := range m.Nodes {
		near(t, "cost of "+n.Name, n.USD, want[n.Name])
	}
	if len(m.Nodes) != 3 || m.Nodes[2].Capacity != catalog.Spot || m.Nodes[2].Zone != "eu-west-1c" || m.Nodes[0].Hours != 168 || m.Nodes[2].Hours != 84 {
		t.Errorf("nodes = %+v", m.Nodes)
	}
	near(t, "data hours", m.DataHours, 168)
	// Allocations: cores x $/vCPU-h x hours + GiB x $/GiB-h x hours.
	allocs := map[string]float64{
		"petclinic-7d9f-1": 0.25*0.0366*168 + 0.125*0.0049*168, // 1.5372 + 0.1029 = 1.6401
		"petclinic-7d9f-2": 0.25*0.0366*168 + 0.125*0.0049*168, // 1.6401
		"redis-0":          0.1*0.014*84 + 0.125*0.0018*84,     // 0.1176 + 0.0189 = 0.1365
	}
	for _, a := range m.Allocations {
		near(t, "allocation of "+a.Pod, a.USD(), allocs[a.Pod])
	}
	if m.Allocations[2].Workload != "petclinic" || m.Allocations[0].Workload != "redis" || m.Allocations[0].Zone != "eu-west-1c" {
		t.Errorf("workloads and zones: %+v", m.Allocations)
	}
	if m.Requests == nil || m.Successful == nil {
		t.Fatal("no requests measured")
	}
	near(t, "requests", *m.Requests, 10.01*604800)  // 6,054,048
	near(t, "successful", *m.Successful, 10*604800) // not 5xx
	if m.CrossZoneGiB == nil {
		t.Fatal("cross-zone traffic not measured")
	}
	near(t, "cross-zone GiB", *m.CrossZoneGiB, 10)

	bs, err := ParseBudgets("budgets.yaml", []byte("apiVersion: gameday.dev/v1\nkind: CostBudgets\ncurrency: USD\nbudgets:\n  - environment: known-week\n    monthlyUSD: 250\n"))
	if err != nil {
		t.Fatal(err)
	}
	mtd, err := c.Measure(ctx, Window{Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), End: tEnd})
	if err != nil {
		t.Fatal(err)
	}
	e, err := Build(EnvInput{Name: "known-week", Region: "eu-west-1", Window: week, Catalog: c.Catalog, Measured: m, MonthToDate: mtd, Budget: bs.For("known-week")})
	if err != nil {
		t.Fatal(err)
	}
	// Nodes 41.328, load balancer 0.0252 x 168 = 4.2336, EKS fee 0.10 x 168
	// = 16.8, the 10 GiB volume at 0.0001 $/GiB-h = 0.168, 10 GiB between
	// zones at 0.02 $/GiB = 0.2.
	const total = 18.8832 + 18.8832 + 3.5616 + 4.2336 + 16.8 + 0.168 + 0.2 // 62.7296
	near(t, "total", e.TotalUSD, total)
	near(t, "load balancers", lineUSD(e, CatLoadBalancer), 4.2336)
	near(t, "control plane", lineUSD(e, CatControlPlane), 16.8)
	near(t, "storage", lineUSD(e, CatStorage), 0.168)
	near(t, "network", lineUSD(e, CatNetwork), 0.2)
	near(t, "idle", e.IdleUSD, 41.328-(1.6401+1.6401+0.1365)) // 37.9113
	near(t, "idle share", e.IdleShare, 37.9113/41.328)
	near(t, "namespace petclinic", groupUSD(e.ByNamespace, "petclinic"), 1.6401*2+4.2336) // its pods and its load balancer
	near(t, "namespace cache", groupUSD(e.ByNamespace, "cache"), 0.1365+0.168)            // redis-0 and the volume it claims
	near(t, "workload petclinic", groupUSD(e.ByWorkload, "petclinic/petclinic"), 3.2802)
	near(t, "zone eu-west-1c", groupUSD(e.ByZone, "eu-west-1c"), 3.5616)
	// Efficiency: CPU used 0.05 x 168 x 2 + 0.02 x 84 = 18.48 of 0.25 x 168
	// x 2 + 0.1 x 84 = 92.4 core-hours requested; RAM (100 MiB x 336 + 64
	// MiB x 84) / (128 MiB x 420) = 38,976 / 53,760.
	near(t, "CPU efficiency", *e.Efficiency.CPU, 0.2)
	near(t, "RAM efficiency", *e.Efficiency.RAM, 38976.0/53760)
	// Rightsizing at 730 h a month: petclinic CPU 0.25 -> p95 0.05 x 1.2 =
	// 0.06 core, 2 replicas at 0.0366 $/core-h; redis CPU 0.1 -> 0.03 (0.024
	// rounded up), 0.5 replica at 0.014; redis memory 128 -> 80 MiB (76.8
	// rounded up to 16 MiB), 0.5 replica at 0.0018 $/GiB-h. PetClinic's
	// memory (p95 100 MiB x 1.2 -> 128 MiB) needs no change.
	rs := map[string]float64{}
	for _, r := range e.Rightsizing {
		rs[r.Workload+"/"+r.Resource] = r.MonthlySavingUSD
	}
	if len(rs) != 3 {
		t.Errorf("recommendations %+v, want 3", e.Rightsizing)
	}
	near(t, "saving petclinic cpu", rs["petclinic/cpu"], 0.19*2*0.0366*730) // 10.15284
	near(t, "saving redis cpu", rs["redis/cpu"], 0.07*0.5*0.014*730)        // 0.3577
	near(t, "saving redis memory", rs["redis/memory"], 48.0/1024*0.5*0.0018*730)
	// Unit economics: 62.7296 over 6,054,048 requests.
	near(t, "per 1000 requests", e.Unit.Per1000RequestsUSD, total/6054048*1000)
	near(t, "per successful request", e.Unit.PerSuccessfulRequestUSD, total/6048000)
	near(t, "petclinic per 1000 requests", e.Unit.WorkloadPer1000RequestsUSD, 3.2802/6054048*1000)
	// Forecast for November (720 h): every figure is constant, so the
	// month-to-date is 192 h at the run rate (168 measured in the month, 24
	// extrapolated before the data), the month end 720 h at it.
	rate := total / 168
	near(t, "run rate", e.Forecast.RunRateHourly, rate)
	near(t, "month to date", e.Forecast.MonthToDateUSD, rate*192)
	near(t, "extrapolated hours", e.Forecast.MonthToDateExtrapolatedHours, 24)
	near(t, "month end", e.Forecast.MonthEndUSD, rate*720) // 268.84
	if e.Forecast.Month != "2026-11" || e.Budget.State != BudgetBreach {
		t.Errorf("forecast %+v budget %+v, want November breaching 250", e.Forecast, e.Budget)
	}
	if !strings.Contains(e.Budget.Detail, "$268.84 passes the budget $250.00 by $18.84") {
		t.Errorf("budget detail %q", e.Budget.Detail)
	}
}

// Without OpenCost, kube-state-metrics and cAdvisor priced by the catalog
// give the same shape, at the catalog's prices.
func TestMeasureAKnownWeekFromKubeStateMetrics(t *testing.T) {
	c := collector(t, false)
	c.Region = "" // as for a game day on Kubernetes: the nodes' labels name it, and it prices the volume
	m, err := c.Measure(context.Background(), week)
	if err != nil {
		t.Fatal(err)
	}
	if m.Source != SourceKSM {
		t.Fatalf("source %q, want %q", m.Source, SourceKSM)
	}
	// The catalog: m7i.large on-demand 0.11235 $/h, m6i.large spot 0.0428
	// $/h; split as OpenCost does (CPU:RAM = 0.031611:0.004237 = 7.4607):
	// m7i.large 0.11235 / (2 x 7.4607 + 8) = 0.0049015316 $/GiB-h and
	// 0.0365688734 $/vCPU-h; m6i.large spot 0.0018672501 and 0.0139309994.
	want := map[string]float64{"node-a": 0.11235 * 168, "node-b": 0.11235 * 168, "node-c": 0.0428 * 84}
	for _, n := range m.Nodes {
		near(t, "cost of "+n.Name, n.USD, want[n.Name])
	}
	allocs := map[string]float64{
		// max(request 0.25, usage 0.05) cores, max(128, 100) MiB
		"petclinic-7d9f-1": 0.25*168*0.0365688734 + 0.125*168*0.0049015316,
		"petclinic-7d9f-2": 0.25*168*0.0365688734 + 0.125*168*0.0049015316,
		"redis-0":          0.1*84*0.0139309994 + 0.125*84*0.0018672501,
	}
	for _, a := range m.Allocations {
		near(t, "allocation of "+a.Pod, a.USD(), allocs[a.Pod])
	}
	e, err := Build(EnvInput{Name: "ksm", Region: "eu-west-1", Window: week, Catalog: c.Catalog, Measured: m})
	if err != nil {
		t.Fatal(err)
	}
	// Nodes, the EKS fee by the catalog (0.10 x 168), the 10 GiB volume as
	// gp3 (0.088 $/GiB-month / 730 x 168 h).
	near(t, "total", e.TotalUSD, 0.11235*168*2+0.0428*84+0.10*168+10*0.088/730*168)
	near(t, "idle", e.IdleUSD, 0.11235*168*2+0.0428*84-(allocs["petclinic-7d9f-1"]*2+allocs["redis-0"]))
	if e.Budget.State != BudgetNone {
		t.Errorf("budget %+v, want none", e.Budget)
	}
	if !strings.Contains(strings.Join(e.Notes, " "), "no OpenCost metrics in this Prometheus") {
		t.Errorf("notes %q do not say the source", e.Notes)
	}
}

// A cluster whose nodes say another region is priced in that region, never
// in a default one: the built-in catalog has no us-east-1, so the error names
// the node, its type and us-east-1.
func TestMeasurePricesTheNodesRegion(t *testing.T) {
	var o om
	o.family("kube_node_labels", "gauge")
	o.series("kube_node_labels", `node="node-us",label_topology_kubernetes_io_zone="us-east-1a",label_topology_kubernetes_io_region="us-east-1",label_node_kubernetes_io_instance_type="m7i.large",label_eks_amazonaws_com_capacity_type="ON_DEMAND"`,
		t0, tEnd, constant(1))
	o.b.WriteString("# EOF\n")
	c := collectorOf(t, o.b.String())
	c.Region = ""
	_, err := c.Measure(context.Background(), week)
	if err == nil || !strings.Contains(err.Error(), "node node-us") || !strings.Contains(err.Error(), "us-east-1") {
		t.Errorf("nodes in us-east-1 priced from a catalog without it: got %v, want a missing price naming node-us and us-east-1", err)
	}
}

func TestMeasureWithoutDataOrPrometheus(t *testing.T) {
	c := collector(t, true)
	_, err := c.Measure(context.Background(), Window{Start: t0.AddDate(0, 0, -14), End: t0.AddDate(0, 0, -7)})
	if !errors.Is(err, ErrNoData) || !strings.Contains(err.Error(), "from 2026-10-19T00:00:00Z to 2026-10-26T00:00:00Z") {
		t.Errorf("a week before the data: got %v, want ErrNoData naming the window", err)
	}
	p, _ := prom.New("http://127.0.0.1:1", time.Second)
	c.Prom = p
	if _, err := c.Measure(context.Background(), week); !errors.Is(err, prom.ErrUnreachable) {
		t.Errorf("no Prometheus: got %v, want ErrUnreachable", err)
	}
}
