package cost

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/cost/catalog"
	"github.com/gamedayhq/gameday/harness/internal/slo"
)

// Source is an environment whose Prometheus is read.
type Source struct {
	Name      string
	Collector *Collector
	// SLOs are read from the same Prometheus for the cost of resilience
	// (nil: none).
	SLOs *slo.Clients
}

// Options are what a cost report is made of.
type Options struct {
	Window    Window
	Catalog   *catalog.Catalog
	Inventory *Inventory // nil: none
	Budgets   *Budgets   // nil: none
	// Sources are the environments with a Prometheus.
	Sources []Source
	// InventoryOnly adds the inventory's environments that have no source,
	// priced from terraform's sizes.
	InventoryOnly bool
	// History is the game-day reports (nil: none).
	History *History
	// AvailabilitySLO is the SLO whose attainment the cost of resilience
	// sets against the premium (its name or id; "" for none).
	AvailabilitySLO *slo.SLO
	SingleZone      float64
	ZoneOutage      time.Duration
	// Workload serves the requests (default petclinic).
	Workload string
	Now      func() time.Time
}

// NewReport reads every source over the window (and month to date),
// prices the inventory, and assembles the report with the cost of
// resilience of every environment with more than one zone. Errors say
// which environment failed: ErrNoData and a missing price are the input's,
// prom.ErrUnreachable the infrastructure's.
func NewReport(ctx context.Context, o Options) (*Report, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	r := &Report{SchemaVersion: ReportSchema, GeneratedAt: o.Now().UTC(), Window: Window{Start: o.Window.Start.UTC(), End: o.Window.End.UTC()},
		Currency: o.Catalog.Currency, HoursPerMonth: o.Catalog.HoursPerMonth,
		Catalog: CatalogRef{Name: o.Catalog.Metadata.Name, Version: o.Catalog.Metadata.Version, Date: o.Catalog.Metadata.Date, File: o.Catalog.File}}
	measured := map[string]bool{}
	defaultRegion := ""
	for rn := range o.Catalog.Regions {
		defaultRegion = rn
	}
	for _, src := range o.Sources {
		measured[src.Name] = true
		var inv *EnvInventory
		region := defaultRegion
		if o.Inventory != nil {
			if inv = o.Inventory.Environments[src.Name]; inv != nil {
				region = inv.Region
			}
		}
		if src.Collector.Region == "" {
			src.Collector.Region = region
		}
		m, err := src.Collector.Measure(ctx, o.Window)
		if err != nil {
			return nil, fmt.Errorf("environment %s: %w", src.Name, err)
		}
		if len(m.Nodes) > 0 && m.Nodes[0].Region != "" {
			region = m.Nodes[0].Region
		}
		var mtd *Measurement
		monthStart := time.Date(o.Window.End.UTC().Year(), o.Window.End.UTC().Month(), 1, 0, 0, 0, 0, time.UTC)
		switch {
		case o.Window.Start.Equal(monthStart):
			mtd = m
		case o.Window.End.After(monthStart):
			mtd, err = src.Collector.Measure(ctx, Window{Start: monthStart, End: o.Window.End})
			if err != nil && !errors.Is(err, ErrNoData) {
				return nil, fmt.Errorf("environment %s: month to date: %w", src.Name, err)
			}
		}
		e, err := Build(EnvInput{Name: src.Name, Region: region, Prometheus: src.Collector.Prom.URL(), Window: o.Window, Catalog: o.Catalog,
			Measured: m, MonthToDate: mtd, Inventory: inv, Budget: o.Budgets.For(src.Name), Workload: o.Workload})
		if err != nil {
			return nil, err
		}
		r.Environments = append(r.Environments, e)
		res, err := resilience(ctx, o, e, inv, m, src.SLOs)
		if err != nil {
			return nil, err
		}
		if res != nil {
			r.Resilience = append(r.Resilience, res)
		}
	}
	if o.InventoryOnly && o.Inventory != nil {
		for _, name := range o.Inventory.Names() {
			if measured[name] {
				continue
			}
			inv := o.Inventory.Environments[name]
			e, err := Build(EnvInput{Name: name, Region: inv.Region, Window: o.Window, Catalog: o.Catalog, Inventory: inv, Budget: o.Budgets.For(name), Workload: o.Workload})
			if err != nil {
				return nil, err
			}
			r.Environments = append(r.Environments, e)
			res, err := resilience(ctx, o, e, inv, nil, nil)
			if err != nil {
				return nil, err
			}
			if res != nil {
				r.Resilience = append(r.Resilience, res)
			}
		}
	}
	if len(r.Environments) == 0 {
		return nil, errors.New("no environment to report: give a Prometheus (--prometheus-url, --env) or an inventory")
	}
	for _, e := range r.Environments {
		r.TotalUSD += e.TotalUSD
	}
	if o.History != nil {
		r.GameDays = o.History.Runs
	}
	return r, nil
}

// resilience computes the cost of resilience of e when it spans more than
// one zone.
func resilience(ctx context.Context, o Options, e *Environment, inv *EnvInventory, m *Measurement, clients *slo.Clients) (*Resilience, error) {
	zones := 0
	switch {
	case inv != nil:
		zones = len(inv.AZs)
	case m != nil:
		seen := map[string]bool{}
		for _, n := range m.Nodes {
			if n.Zone != "" {
				seen[n.Zone] = true
			}
		}
		zones = len(seen)
	}
	if zones < 2 {
		return nil, nil
	}
	in := ResilienceInput{Env: e, Inventory: inv, Measured: m, Catalog: o.Catalog, Window: o.Window, Workload: o.Workload, Zones: zones,
		SingleZone: o.SingleZone, ZoneOutage: o.ZoneOutage}
	if o.History != nil {
		in.History = o.History.Experiments
	}
	if o.AvailabilitySLO != nil && clients != nil && clients.Prom != nil {
		a, err := ReadAvailability(ctx, *clients, o.AvailabilitySLO, o.Window.End)
		if err != nil {
			return nil, fmt.Errorf("environment %s: %w", e.Name, err)
		}
		in.Availability = a
	}
	return CostOfResilience(in)
}

// ReadAvailability reads an SLO's attainment over its window from
// Prometheus (the SLO report's figures): 1 - its error ratio.
func ReadAvailability(ctx context.Context, c slo.Clients, s *slo.SLO, at time.Time) (*Availability, error) {
	st, err := slo.ReadStatus(ctx, c, s, at)
	if err != nil {
		return nil, fmt.Errorf("SLO %s: %w", s.ID(), err)
	}
	a := &Availability{SLO: s.ID(), Objective: s.Objective, WindowHours: s.Window.D.Hours(), DataHours: st.DataSpan.Hours(),
		Source: SourceSLO + " (" + st.Source + ")"}
	if r := st.Period.ErrorRatio; r != nil {
		v := 1 - *r
		a.Attainment = &v
	}
	return a, nil
}
