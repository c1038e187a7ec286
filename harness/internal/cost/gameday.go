package cost

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/report"
)

// GameDayInput is what the cost section of a game day is computed from.
type GameDayInput struct {
	Collector *Collector
	Report    *report.Report
	// Namespace and Workload of the system under test.
	Namespace, Workload string
	// LoadCPUSeconds is the CPU time of the gameday process over the run
	// (the load generator and the probes), LoadLabel what ran it.
	LoadCPUSeconds float64
	LoadLabel      string
}

// GameDaySection is the cost section of a game-day report: the platform's
// cost over the run read through the same PromQL as `gameday cost`, the
// cost of the load generator (the process's CPU time at the nodes' price
// per vCPU-hour) and of the extra capacity the faults made the target
// namespace allocate (its allocation rate during the faults above the rate
// before them). It never fails: a missing figure is an Error.
func GameDaySection(ctx context.Context, in GameDayInput) *report.Cost {
	c := in.Collector
	r := in.Report
	out := &report.Cost{Currency: c.Catalog.Currency, Catalog: fmt.Sprintf("%s %s (%s)", c.Catalog.Metadata.Name, c.Catalog.Metadata.Version, c.Catalog.Metadata.Date)}
	w := Window{Start: r.Timings.Start.Truncate(time.Second), End: r.Timings.End.Truncate(time.Second).Add(time.Second)}
	m, err := c.Measure(ctx, w)
	if err != nil {
		out.Error = err.Error()
		return out
	}
	out.Source = m.Source
	out.WindowSeconds, out.DataSeconds = w.D().Seconds(), m.DataHours*3600
	if m.DataHours < 0.95*w.Hours() {
		out.Notes = append(out.Notes, fmt.Sprintf("Prometheus holds %s of node data for the run's %s: the figures cover that span", human(m.DataHours), human(w.Hours())))
	}
	ns := cmp.Or(in.Namespace, "petclinic")
	workload := cmp.Or(in.Workload, "petclinic")

	zones := map[string][]NodeCost{}
	var cpuUSD, cpuHours float64
	for _, n := range m.Nodes {
		zones[n.Zone] = append(zones[n.Zone], n)
		cpuUSD += n.CPUHourly * n.Hours
		cpuHours += n.Hours
	}
	for _, z := range slices.Sorted(maps.Keys(zones)) {
		var usd float64
		var types []string
		for _, n := range zones[z] {
			usd += n.USD
			types = append(types, n.InstanceType)
		}
		out.Rows = append(out.Rows, report.CostRow{Item: "nodes in " + cmp.Or(z, "no zone"), USD: usd, Detail: fmt.Sprintf("%d node(s): %v", len(zones[z]), types), Source: zones[z][0].Source})
		out.PlatformUSD += usd
	}
	for _, l := range m.Lines {
		out.Rows = append(out.Rows, report.CostRow{Item: l.Item, USD: l.USD, Source: l.Source})
		out.PlatformUSD += l.USD
	}
	byNS := map[string]float64{}
	var nsPods = map[string]bool{}
	var workloadUSD, alloc float64
	for _, a := range m.Allocations {
		byNS[a.Namespace] += a.USD()
		alloc += a.USD()
		if a.Namespace == ns {
			nsPods[a.Pod] = true
		}
		if a.Workload == workload {
			workloadUSD += a.USD()
		}
	}
	names := slices.Sorted(maps.Keys(byNS))
	sort.SliceStable(names, func(i, j int) bool { return byNS[names[i]] > byNS[names[j]] })
	for _, n := range names {
		out.Rows = append(out.Rows, report.CostRow{Item: "of which allocated to namespace " + n, USD: byNS[n], Detail: "max(request, usage) of CPU and RAM", Source: m.Source})
	}
	out.Rows = append(out.Rows, report.CostRow{Item: "of which idle node capacity", USD: m.NodeUSD() - alloc, Detail: "node cost no container was allocated", Source: m.Source})

	// The load generator: this process's CPU at the nodes' mean vCPU price.
	if in.LoadCPUSeconds > 0 && cpuHours > 0 {
		perVCPUHour := cpuUSD / cpuHours
		out.LoadGeneratorUSD = in.LoadCPUSeconds / 3600 * perVCPUHour
		out.Rows = append(out.Rows, report.CostRow{Item: "load generator", USD: out.LoadGeneratorUSD,
			Detail: fmt.Sprintf("%.1f CPU-seconds of %s at %s per vCPU-hour", in.LoadCPUSeconds, cmp.Or(in.LoadLabel, "the gameday process"), Money(perVCPUHour)), Source: SourceProcess})
	}

	// Extra capacity: the namespace's allocation rate during the faults
	// above its rate before the first one.
	extra, detail, err := c.extraCapacity(ctx, w, m, ns, r)
	switch {
	case err != nil:
		out.Notes = append(out.Notes, "extra capacity during faults not measured: "+err.Error())
	case detail != "":
		out.ExtraCapacityUSD = extra
		out.Rows = append(out.Rows, report.CostRow{Item: "extra capacity during faults", USD: extra, Detail: detail, Source: m.Source})
	}
	out.GameDayUSD = out.LoadGeneratorUSD + out.ExtraCapacityUSD
	if n := r.Load.Total.Requests; n > 0 && workloadUSD > 0 {
		v := workloadUSD / float64(n) * 1000
		out.Per1000RequestsUSD = &v
		out.Notes = append(out.Notes, fmt.Sprintf("per 1,000 requests: the allocation of workload %s over the run (%s) over the load's %d requests", workload, Money(workloadUSD), n))
	}
	out.Notes = append(out.Notes, m.Notes...)
	return out
}

// extraCapacity compares the namespace's allocation rate ($/h) during the
// faults with its rate before the first fault, step by step over the run.
func (c *Collector) extraCapacity(ctx context.Context, w Window, m *Measurement, ns string, r *report.Report) (float64, string, error) {
	type span struct{ from, to time.Time }
	var spans []span
	first := w.End
	for _, f := range r.Faults {
		if f.Result == nil || f.Result.Injected.IsZero() {
			continue
		}
		to := r.Timings.End
		if !f.Result.Recovered.IsZero() {
			to = f.Result.Recovered
		}
		spans = append(spans, span{f.Result.Injected, to})
		if f.Result.Injected.Before(first) {
			first = f.Result.Injected
		}
	}
	if len(spans) == 0 {
		return 0, "", nil
	}
	if m.Source != SourceOpenCost {
		return 0, "", fmt.Errorf("needs OpenCost's allocation metrics (source is %s)", m.Source)
	}
	x := newQ(c.Selector, w, m.Resolution, time.Minute)
	nsSel := fmt.Sprintf(`namespace=%q`, ns)
	q := fmt.Sprintf(`sum(%s * on(node) group_left() max by (node) (%s)) + sum(%s / %d * on(node) group_left() max by (node) (%s))`,
		x.s("container_cpu_allocation", nsSel), x.s("node_cpu_hourly_cost"), x.s("container_memory_allocation_bytes", nsSel), gib, x.s("node_ram_hourly_cost"))
	step := max(m.Resolution, time.Second)
	series, err := c.Prom.QueryRange(ctx, q, w.Start, w.End, step)
	if err != nil {
		return 0, "", err
	}
	var before, during []float64
	for _, s := range series {
		for _, p := range s.Points {
			in := false
			for _, sp := range spans {
				if !p.At.Before(sp.from) && p.At.Before(sp.to) {
					in = true
				}
			}
			switch {
			case in:
				during = append(during, p.Value)
			case p.At.Before(first):
				before = append(before, p.Value)
			}
		}
	}
	if len(before) == 0 || len(during) == 0 {
		return 0, "", fmt.Errorf("no allocation of namespace %s before or during the faults", ns)
	}
	b, d := mean(before), mean(during)
	var faultHours float64
	for _, sp := range spans {
		faultHours += sp.to.Sub(sp.from).Hours()
	}
	extra := max(d-b, 0) * faultHours
	return extra, fmt.Sprintf("namespace %s allocated %s/h during the faults (%s) against %s/h before: %s more",
		ns, Money(d), human(faultHours), Money(b), Money(extra)), nil
}

func mean(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}
