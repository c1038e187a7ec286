package sandbox_test

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/gamedayhq/gameday/harness/internal/cost"
	"github.com/gamedayhq/gameday/harness/internal/cost/catalog"
	"github.com/gamedayhq/gameday/harness/internal/dashboards"
	"github.com/gamedayhq/gameday/harness/internal/prom"
	"github.com/gamedayhq/gameday/harness/internal/repotest"
	"github.com/gamedayhq/gameday/harness/internal/sandbox"
	"github.com/gamedayhq/gameday/harness/internal/sandbox/sandboxtest"
)

// A replica requests what PetClinic's chart requests.
func TestPetclinicRequestsAreTheCharts(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repotest.Root(t), "helm/petclinic/values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Resources struct {
			Requests struct{ CPU, Memory string } `yaml:"requests"`
		} `yaml:"resources"`
	}
	if err := yaml.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	cpu, mem := sandbox.PetclinicRequests()
	if got := strconv.Itoa(int(cpu*1000)) + "m"; got != v.Resources.Requests.CPU {
		t.Errorf("sandbox CPU request %s, the chart's %s", got, v.Resources.Requests.CPU)
	}
	if got := strconv.Itoa(int(mem)>>20) + "Mi"; got != v.Resources.Requests.Memory {
		t.Errorf("sandbox memory request %s, the chart's %s", got, v.Resources.Requests.Memory)
	}
}

// /proc readings of this process: CPU time grows with work, RSS is there.
func TestProcCPUAndRSS(t *testing.T) {
	before, ok := sandbox.ProcCPUSeconds(os.Getpid())
	if !ok {
		t.Fatal("no CPU time for this process")
	}
	// Work until the clock ticks advance (bounded: the cores are shared).
	x, after := 0.0, before
	for start := time.Now(); after-before < 0.05 && time.Since(start) < 20*time.Second; {
		for i := 0; i < 100000; i++ {
			x += math.Sqrt(float64(i))
		}
		after, _ = sandbox.ProcCPUSeconds(os.Getpid())
	}
	if after-before < 0.05 || x == 0 {
		t.Errorf("CPU time %v -> %v after 20 s of work", before, after)
	}
	if rss, ok := sandbox.ProcRSS(os.Getpid()); !ok || rss < 1<<20 {
		t.Errorf("RSS %v %v", rss, ok)
	}
	if _, ok := sandbox.ProcCPUSeconds(1 << 30); ok {
		t.Error("a process that does not exist has a CPU time")
	}
}

// The sandbox exports OpenCost's metric names, scraped as job opencost
// with environment="sandbox", and the FinOps collector reads them: the
// nodes at the catalog's price, the replicas' allocation at least their
// requests, Redis traffic between zones, PetClinic's requests.
func TestOpenCostMetricsOnTheSandbox(t *testing.T) {
	st := sandboxtest.Up(t, sandbox.Config{})
	metrics := func() string {
		resp, err := http.Get(st.ControlURL + sandbox.OpenCostPath)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	value := func(body, series string) float64 {
		m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no %s in:\n%s", series, body)
		}
		v, _ := strconv.ParseFloat(m[1], 64)
		return v
	}
	// Prometheus scrapes job opencost with environment="sandbox" (its first
	// scrape comes a few seconds after it is ready).
	pc, err := prom.New(st.Prometheus.URL, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if v, err := pc.Query(context.Background(), `count(node_total_hourly_cost{job="opencost", environment="sandbox"})`, time.Time{}); err == nil && v == 3 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Traffic: vets go through Redis (zone-a) from every replica. A first
	// round creates PetClinic's counters (increase() cannot see a series'
	// first value), the second is counted.
	client := &http.Client{Timeout: 5 * time.Second}
	var start time.Time
	for i := 0; i < 120; i++ {
		if i == 60 {
			// Quiet seconds around the counted round: increase() scales the
			// counters' delta to the window by the span its samples cover.
			time.Sleep(2 * time.Second)
			start = time.Now().Add(time.Second)
			time.Sleep(4 * time.Second)
		}
		for _, p := range []string{"/vets.html", "/petclinic/api/vets", "/owners?lastName="} {
			resp, err := client.Get(st.URL + p)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	body := metrics()
	// The dashboards' live test counts on these names from the sandbox.
	for _, name := range dashboards.SandboxExports {
		if !strings.Contains(body, "\n"+name+"{") {
			t.Errorf("the sandbox does not export %s (dashboards.SandboxExports)", name)
		}
	}
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	p, in, _ := cat.InstanceHourly("eu-west-1", sandbox.DefaultNodeInstanceType, catalog.OnDemand)
	cpuPrice, ramPrice := catalog.Split(p.USD, in.VCPU, in.MemoryGiB)
	nl := `arch="amd64",instance="sandbox-zone-b",instance_type="m7i.large",node="sandbox-zone-b",provider_id="sandbox:///zone-b/sandbox-zone-b",region="eu-west-1"`
	if got := value(body, "node_total_hourly_cost{"+nl+"}"); got != 0.11235 {
		t.Errorf("node price %v, want the catalog's 0.11235", got)
	}
	if got := value(body, "node_cpu_hourly_cost{"+nl+"}")*2 + value(body, "node_ram_hourly_cost{"+nl+"}")*8; math.Abs(got-0.11235) > 1e-12 || value(body, "node_cpu_hourly_cost{"+nl+"}") != cpuPrice || ramPrice == 0 {
		t.Errorf("CPU and RAM prices add up to %v", got)
	}
	ctr := `container="petclinic",instance="sandbox-zone-b",namespace="petclinic",node="sandbox-zone-b",pod="petclinic-1"`
	if got := value(body, "container_cpu_allocation{"+ctr+"}"); got < 0.25 {
		t.Errorf("petclinic-1 allocation %v cores, want at least its request 0.25", got)
	}
	if got := value(body, "container_memory_allocation_bytes{"+ctr+"}"); got < 128<<20 {
		t.Errorf("petclinic-1 memory allocation %v, want at least its request", got)
	}
	if got := value(body, `container_memory_working_set_bytes{container="petclinic",namespace="petclinic",node="sandbox-zone-b",pod="petclinic-1"}`); got < 4<<20 {
		t.Errorf("petclinic-1 resident memory %v bytes: not the process's", got)
	}
	cross := value(body, `kubecost_pod_network_egress_bytes_total{internet="false",namespace="petclinic",pod_name="redis-0",same_region="true",same_zone="false"}`)
	if cross <= 0 {
		t.Errorf("redis-0 sent %v bytes to the replicas of other zones", cross)
	}
	// The byte counters are not faults: the fault API does not list them.
	resp, err := http.Get(st.ControlURL + "/v1/links/petclinic-1-redis-0/toxics")
	if err == nil {
		var ts []any
		json.NewDecoder(resp.Body).Decode(&ts)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK && len(ts) != 0 {
			t.Errorf("toxics listed on a link without fault: %v", ts)
		}
	}

	time.Sleep(5 * time.Second)
	w := cost.Window{Start: start.Truncate(time.Second), End: time.Now().Truncate(time.Second)}
	m, err := (&cost.Collector{Prom: pc, Catalog: cat, Region: "eu-west-1", RateWindow: 10 * time.Second}).Measure(context.Background(), w)
	if err != nil {
		t.Fatal(err)
	}
	if m.Source != cost.SourceOpenCost || len(m.Nodes) != 3 {
		t.Fatalf("source %s, %d nodes", m.Source, len(m.Nodes))
	}
	for _, n := range m.Nodes {
		// The node's cost is its price times the seconds Prometheus holds.
		if math.Abs(n.USD-0.11235*n.Hours) > 1e-12 || n.Hours < 0.8*w.End.Sub(w.Start).Hours() || !strings.HasPrefix(n.Zone, "zone-") {
			t.Errorf("node %+v over %s", n, w.End.Sub(w.Start))
		}
	}
	var petclinic int
	for _, a := range m.Allocations {
		if a.Workload == "petclinic" && a.CPUCoreHours >= 0.25*m.Nodes[0].Hours*0.99 {
			petclinic++
		}
	}
	if petclinic != 3 {
		t.Errorf("allocations %+v: want the 3 replicas at >= 0.25 cores", m.Allocations)
	}
	t.Logf("over %s: %d nodes at %s each, %v requests (180 sent), %v GiB between zones", w.End.Sub(w.Start), len(m.Nodes), cost.Money(m.Nodes[0].USD), deref(m.Requests), deref(m.CrossZoneGiB))
	if m.Requests == nil || math.Abs(*m.Requests-180) > 40 || m.CrossZoneGiB == nil || *m.CrossZoneGiB <= 0 {
		t.Errorf("requests %v, cross-zone %v GiB", deref(m.Requests), deref(m.CrossZoneGiB))
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}
