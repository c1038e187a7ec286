package sandbox

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gamedayhq/gameday/harness/internal/cost/catalog"
)

// The sandbox exports OpenCost's metric names (and the kube-state-metrics
// and cAdvisor series OpenCost and the FinOps report read beside them), so
// that `gameday cost` and the cost section of a game-day report go through
// the same PromQL on a laptop as on a cluster running OpenCost:
//
//   - one simulated node per zone, sandbox-<zone>, of NodeInstanceType,
//     on-demand, priced by the price catalog (eu-west-1) and split into a
//     CPU and a RAM price as OpenCost splits a node's price;
//   - per pod (the replicas, Redis, MariaDB): its request (PetClinic's
//     chart's requests; the sandbox's own for Redis and MariaDB), its real
//     usage (the process's CPU time and resident memory from /proc), and
//     OpenCost's allocation, max(request, usage);
//   - the balancer as the environment's load balancer, the EKS fee, the
//     shared SQLite file (or MariaDB's data) as a gp3 volume, and traffic
//     between zones counted on the toxiproxy links replica → Redis/MariaDB.
//
// They are served on the control port at /opencost/metrics and scraped as
// job "opencost" with honor_labels and environment="sandbox".

// DefaultNodeInstanceType is the simulated nodes' instance type.
const DefaultNodeInstanceType = "m7i.large"

// OpenCost's environment label of the sandbox and its region.
const (
	CostEnvironment = "sandbox"
	CostRegion      = "eu-west-1"
	// OpenCostPath serves the OpenCost-named metrics on the control port.
	OpenCostPath = "/opencost/metrics"
)

// Requests of the sandbox's pods: cores and bytes.
type podRequest struct{ cpu, mem float64 }

var podRequests = map[string]podRequest{
	// helm/petclinic/values.yaml resources.requests (a test checks it).
	AppPetclinic: {0.25, 128 << 20},
	// The sandbox's own: Redis and MariaDB have no chart here (managed
	// ElastiCache and RDS on a cluster).
	AppRedis:   {0.1, 64 << 20},
	AppMariaDB: {0.25, 256 << 20},
}

// PetclinicRequests are the CPU (cores) and memory (bytes) requests the
// sandbox gives a PetClinic replica.
func PetclinicRequests() (cpu, mem float64) {
	r := podRequests[AppPetclinic]
	return r.cpu, r.mem
}

// nodePrices are a simulated node's prices.
type nodePrices struct {
	typ                    string
	vcpu, memGiB           float64
	total, cpu, ram        float64
	eks, alb, gp3, crossAZ float64
}

// costDefaults checks that the catalog prices the simulated nodes.
func (c *Config) costDefaults() error {
	if c.NodeInstanceType == "" {
		c.NodeInstanceType = DefaultNodeInstanceType
	}
	_, err := sandboxPrices(c.NodeInstanceType)
	return err
}

func sandboxPrices(typ string) (nodePrices, error) {
	cat, err := catalog.Default()
	if err != nil {
		return nodePrices{}, err
	}
	p, in, err := cat.InstanceHourly(CostRegion, typ, catalog.OnDemand)
	if err != nil {
		return nodePrices{}, fmt.Errorf("sandbox node instance type: %w", err)
	}
	np := nodePrices{typ: typ, vcpu: in.VCPU, memGiB: in.MemoryGiB, total: p.USD}
	np.cpu, np.ram = catalog.Split(p.USD, in.VCPU, in.MemoryGiB)
	for _, s := range []struct {
		key string
		to  *float64
	}{{catalog.EKSClusterHourly, &np.eks}, {catalog.ALBHourly, &np.alb}, {catalog.EBSGp3PerGiBMonth, &np.gp3}, {catalog.CrossAZPerGiBEachWay, &np.crossAZ}} {
		v, err := cat.Service(CostRegion, s.key)
		if err != nil {
			return nodePrices{}, err
		}
		*s.to = v.USD
	}
	np.gp3 /= cat.HoursPerMonth // per GiB-hour, as pv_hourly_cost
	return np, nil
}

// openCost is the collector of the OpenCost-named metrics.
type openCost struct {
	s      *supervisor
	prices nodePrices
	bytes  *linkBytes

	mu   sync.Mutex
	last map[string]cpuSample // pod → its last CPU reading
}

type cpuSample struct {
	at      time.Time
	seconds float64
	rate    float64
}

func newOpenCost(s *supervisor, lb *linkBytes) (*openCost, error) {
	p, err := sandboxPrices(s.c.NodeInstanceType)
	if err != nil {
		return nil, err
	}
	return &openCost{s: s, prices: p, bytes: lb, last: map[string]cpuSample{}}, nil
}

// nodeName is the simulated node of a zone.
func nodeName(zone string) string { return "sandbox-" + zone }

var (
	nodeLabels = []string{"instance", "node", "instance_type", "region", "provider_id", "arch"}
	ctrLabels  = []string{"namespace", "pod", "container", "instance", "node"}
	descs      = map[string]*prometheus.Desc{
		"node_cpu_hourly_cost":   prometheus.NewDesc("node_cpu_hourly_cost", "OpenCost: hourly cost of one vCPU of the node.", nodeLabels, nil),
		"node_ram_hourly_cost":   prometheus.NewDesc("node_ram_hourly_cost", "OpenCost: hourly cost of one GiB of the node's memory.", nodeLabels, nil),
		"node_total_hourly_cost": prometheus.NewDesc("node_total_hourly_cost", "OpenCost: hourly cost of the node.", nodeLabels, nil),
		"kubecost_node_is_spot":  prometheus.NewDesc("kubecost_node_is_spot", "OpenCost: 1 when the node is spot capacity.", nodeLabels, nil),
		"kube_node_labels": prometheus.NewDesc("kube_node_labels", "kube-state-metrics: the node's labels.",
			[]string{"node", "label_topology_kubernetes_io_zone", "label_topology_kubernetes_io_region", "label_node_kubernetes_io_instance_type", "label_eks_amazonaws_com_capacity_type"}, nil),
		"kube_node_status_capacity":            prometheus.NewDesc("kube_node_status_capacity", "kube-state-metrics: the node's capacity.", []string{"node", "resource", "unit"}, nil),
		"container_cpu_allocation":             prometheus.NewDesc("container_cpu_allocation", "OpenCost: max(request, usage) of CPU, cores.", ctrLabels, nil),
		"container_memory_allocation_bytes":    prometheus.NewDesc("container_memory_allocation_bytes", "OpenCost: max(request, usage) of memory, bytes.", ctrLabels, nil),
		"kube_pod_container_resource_requests": prometheus.NewDesc("kube_pod_container_resource_requests", "kube-state-metrics: the container's requests.", []string{"namespace", "pod", "container", "node", "resource", "unit"}, nil),
		"container_cpu_usage_seconds_total":    prometheus.NewDesc("container_cpu_usage_seconds_total", "cAdvisor: CPU time of the container's process.", []string{"namespace", "pod", "container", "node"}, nil),
		"container_memory_working_set_bytes":   prometheus.NewDesc("container_memory_working_set_bytes", "cAdvisor: resident memory of the container's process.", []string{"namespace", "pod", "container", "node"}, nil),
		"kube_pod_owner":                       prometheus.NewDesc("kube_pod_owner", "kube-state-metrics: the pod's controller.", []string{"namespace", "pod", "owner_kind", "owner_name", "owner_is_controller"}, nil),
		"kube_replicaset_owner":                prometheus.NewDesc("kube_replicaset_owner", "kube-state-metrics: the ReplicaSet's controller.", []string{"namespace", "replicaset", "owner_kind", "owner_name"}, nil),
		"kubecost_cluster_management_cost":     prometheus.NewDesc("kubecost_cluster_management_cost", "OpenCost: hourly cluster management fee.", []string{"provisioner_name"}, nil),
		"kubecost_load_balancer_cost":          prometheus.NewDesc("kubecost_load_balancer_cost", "OpenCost: hourly cost of the load balancer.", []string{"namespace", "service_name", "ingress_ip"}, nil),
		"pv_hourly_cost":                       prometheus.NewDesc("pv_hourly_cost", "OpenCost: hourly cost of one GiB of the volume.", []string{"persistentvolume", "volumename", "provider_id"}, nil),
		"kube_persistentvolume_capacity_bytes": prometheus.NewDesc("kube_persistentvolume_capacity_bytes", "kube-state-metrics: the volume's size.", []string{"persistentvolume"}, nil),
		"kube_persistentvolume_claim_ref":      prometheus.NewDesc("kube_persistentvolume_claim_ref", "kube-state-metrics: the claim bound to the volume.", []string{"persistentvolume", "name", "claim_namespace"}, nil),
		"kubecost_network_zone_egress_cost":    prometheus.NewDesc("kubecost_network_zone_egress_cost", "OpenCost: cost of a GiB sent to another zone (both directions billed).", nil, nil),
		"kubecost_pod_network_egress_bytes_total": prometheus.NewDesc("kubecost_pod_network_egress_bytes_total", "OpenCost network costs: bytes the pod sent.",
			[]string{"namespace", "pod_name", "same_zone", "same_region", "internet"}, nil),
	}
)

// Describe implements prometheus.Collector.
func (o *openCost) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range descs {
		ch <- d
	}
}

// ReplicaSet is the sandbox's simulated ReplicaSet of PetClinic.
const ReplicaSet = "petclinic-sandbox"

// Collect implements prometheus.Collector.
func (o *openCost) Collect(ch chan<- prometheus.Metric) {
	gauge := func(name string, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(descs[name], prometheus.GaugeValue, v, labels...)
	}
	p := o.prices
	for _, z := range o.s.c.Zones {
		n := nodeName(z)
		l := []string{n, n, p.typ, CostRegion, "sandbox:///" + z + "/" + n, "amd64"}
		gauge("node_cpu_hourly_cost", p.cpu, l...)
		gauge("node_ram_hourly_cost", p.ram, l...)
		gauge("node_total_hourly_cost", p.total, l...)
		gauge("kubecost_node_is_spot", 0, l...)
		gauge("kube_node_labels", 1, n, z, CostRegion, p.typ, catalog.OnDemand)
		gauge("kube_node_status_capacity", p.vcpu, n, "cpu", "core")
		gauge("kube_node_status_capacity", p.memGiB*(1<<30), n, "memory", "byte")
	}
	now := time.Now()
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, pr := range o.s.pods {
		pod := pr.snapshot()
		app := pod.Labels[LabelApp]
		req, ok := podRequests[app]
		if !ok {
			continue
		}
		node := nodeName(pod.Labels[LabelZone])
		gauge("kube_pod_container_resource_requests", req.cpu, Namespace, pod.Name, app, node, "cpu", "core")
		gauge("kube_pod_container_resource_requests", req.mem, Namespace, pod.Name, app, node, "memory", "byte")
		if app == AppPetclinic {
			gauge("kube_pod_owner", 1, Namespace, pod.Name, "ReplicaSet", ReplicaSet, "true")
		} else {
			gauge("kube_pod_owner", 1, Namespace, pod.Name, "StatefulSet", app, "true")
		}
		cpuUse, memUse := 0.0, 0.0
		if pod.PID > 0 && pod.Alive() {
			if secs, ok := ProcCPUSeconds(pod.PID); ok {
				ch <- prometheus.MustNewConstMetric(descs["container_cpu_usage_seconds_total"], prometheus.CounterValue, secs, Namespace, pod.Name, app, node)
				cpuUse = o.rate(pod.Name+"/"+strconv.Itoa(pod.PID), secs, now)
			}
			if rss, ok := ProcRSS(pod.PID); ok {
				gauge("container_memory_working_set_bytes", rss, Namespace, pod.Name, app, node)
				memUse = rss
			}
		}
		gauge("container_cpu_allocation", math.Max(req.cpu, cpuUse), Namespace, pod.Name, app, node, node)
		gauge("container_memory_allocation_bytes", math.Max(req.mem, memUse), Namespace, pod.Name, app, node, node)
	}
	gauge("kube_replicaset_owner", 1, Namespace, ReplicaSet, "Deployment", AppPetclinic)
	gauge("kubecost_cluster_management_cost", p.eks, "EKS")
	gauge("kubecost_load_balancer_cost", p.alb, Namespace, AppPetclinic, "127.0.0.1")
	// The database as a volume: the SQLite file (or MariaDB's data), in
	// whole GiB, at least one.
	size := float64(1 << 30)
	if s := dirSize(o.dataPath()); s > size {
		size = math.Ceil(s/(1<<30)) * (1 << 30)
	}
	gauge("pv_hourly_cost", p.gp3, "petclinic-data", "petclinic-data", "sandbox://petclinic-data")
	gauge("kube_persistentvolume_capacity_bytes", size, "petclinic-data")
	gauge("kube_persistentvolume_claim_ref", 1, "petclinic-data", "petclinic-data", Namespace)
	gauge("kubecost_network_zone_egress_cost", 2*p.crossAZ)
	if o.bytes != nil {
		for _, e := range o.bytes.egress() {
			ch <- prometheus.MustNewConstMetric(descs["kubecost_pod_network_egress_bytes_total"], prometheus.CounterValue, e.bytes,
				Namespace, e.pod, strconv.FormatBool(e.sameZone), "true", "false")
		}
	}
}

// rate is the CPU usage in cores since the process's last reading (at
// least half a second ago, else the last rate stands).
func (o *openCost) rate(key string, secs float64, now time.Time) float64 {
	prev, ok := o.last[key]
	if !ok {
		o.last[key] = cpuSample{at: now, seconds: secs}
		return 0
	}
	if d := now.Sub(prev.at).Seconds(); d >= 0.5 {
		prev = cpuSample{at: now, seconds: secs, rate: math.Max(secs-prev.seconds, 0) / d}
		o.last[key] = prev
	}
	return prev.rate
}

func (o *openCost) dataPath() string {
	if o.s.c.MariaDB {
		return filepath.Join(o.s.c.Dir, "mariadb")
	}
	return filepath.Join(o.s.c.Dir, "petclinic.db")
}

// dirSize is the size of a file, or of the files under a directory.
func dirSize(p string) float64 {
	var n float64
	filepath.Walk(p, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n += float64(fi.Size())
		}
		return nil
	})
	return n
}

// startOpenCost counts the links' bytes and registers the OpenCost-named
// metrics (after the proxies exist, before the control API serves).
func (s *supervisor) startOpenCost() error {
	zones := map[string]string{}
	for i := range s.c.Replicas {
		zones[podName(i)] = s.c.Zones[i%len(s.c.Zones)]
	}
	lb, err := countLinks(s.tp, s.links, func(pod string) string {
		if z, ok := zones[pod]; ok {
			return z
		}
		return s.c.Zones[0] // Redis and MariaDB run in the first zone
	})
	if err != nil {
		return err
	}
	oc, err := newOpenCost(s, lb)
	if err != nil {
		return err
	}
	s.costReg = prometheus.NewRegistry()
	return s.costReg.Register(oc)
}
