package cost

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// JSON renders the report as indented JSON (schema ReportSchema).
func (r *Report) JSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	err := enc.Encode(r)
	return b.Bytes(), err
}

func md(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ") }

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04Z") }

func optPct(p *float64) string {
	if p == nil {
		return "-"
	}
	return pct(*p)
}

// Markdown renders the report for a terminal, a pull request or a GitHub
// job summary.
func (r *Report) Markdown() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "## Cost report, %s to %s (%s)\n\n", stamp(r.Window.Start), stamp(r.Window.End), human(r.Window.Hours()))
	fmt.Fprintf(&b, "Prices: catalog %s %s, dated %s (%s), in %s; a month is %g hours. Every figure names its source.\n\n",
		r.Catalog.Name, r.Catalog.Version, r.Catalog.Date, r.Catalog.File, r.Currency, r.HoursPerMonth)
	b.WriteString("| environment | cost | source of compute | idle | month-end forecast | budget | state |\n|---|---|---|---|---|---|---|\n")
	for _, e := range r.Environments {
		budget, state := "-", BudgetNone
		if e.Budget != nil && e.Budget.State != BudgetNone {
			budget, state = Money(e.Budget.MonthlyUSD), e.Budget.State
			if state != BudgetOK {
				state = "**" + strings.ToUpper(state) + "**"
			}
		}
		idle := "-"
		if e.IdleSource != "" {
			idle = fmt.Sprintf("%s (%s)", Money(e.IdleUSD), pct(e.IdleShare))
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", e.Name, Money(e.TotalUSD), md(e.ComputeSource), idle, Money(e.Forecast.MonthEndUSD), budget, state)
	}
	fmt.Fprintf(&b, "| **all** | **%s** | | | | | |\n", Money(r.TotalUSD))
	for _, e := range r.Environments {
		r.envMarkdown(&b, e)
	}
	for _, res := range r.Resilience {
		resilienceMarkdown(&b, res)
	}
	if len(r.GameDays) > 0 {
		b.WriteString("\n### Cost of each game day\n\n| run | experiment | started | length | verdict | game day | load generator | extra capacity | platform during the run | source |\n|---|---|---|---|---|---|---|---|---|---|\n")
		for _, g := range r.GameDays {
			cost, lg, ec, pf := "-", "-", "-", "-"
			if g.GameDayUSD != nil {
				cost, lg, ec, pf = Money(*g.GameDayUSD), Money(g.LoadGeneratorUSD), Money(g.ExtraCapacityUSD), Money(g.PlatformUSD)
			}
			fmt.Fprintf(&b, "| `%s/%s` | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", g.Suite, g.RunID, g.Experiment, stamp(g.Start),
				human(g.Seconds/3600), g.Verdict, cost, lg, ec, pf, md(g.Source))
		}
	}
	return b.Bytes()
}

func (r *Report) envMarkdown(b *bytes.Buffer, e *Environment) {
	fmt.Fprintf(b, "\n### %s (%s)\n\n", e.Name, e.Region)
	if e.Prometheus != "" {
		fmt.Fprintf(b, "Prometheus %s; compute from %s.\n\n", e.Prometheus, e.ComputeSource)
	}
	fmt.Fprintf(b, "**%s** over the window.\n\n| category | cost | share | source |\n|---|---|---|---|\n", Money(e.TotalUSD))
	for _, g := range e.ByCategory {
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", g.Name, Money(g.USD), pct(g.Share), md(g.Source))
	}
	groupTable := func(title, col string, gs []Group) {
		if len(gs) == 0 {
			return
		}
		fmt.Fprintf(b, "\n%s\n\n| %s | cost | share |\n|---|---|---|\n", title, col)
		for _, g := range gs {
			fmt.Fprintf(b, "| %s | %s | %s |\n", md(g.Name), Money(g.USD), pct(g.Share))
		}
	}
	if len(e.ByNamespace) > 0 {
		groupTable(fmt.Sprintf("By namespace (allocations, their volumes and load balancers; %s):", e.IdleSource), "namespace", e.ByNamespace)
		groupTable("By workload:", "namespace/workload", e.ByWorkload)
		groupTable("Nodes by zone:", "zone", e.ByZone)
		fmt.Fprintf(b, "\nIdle: %s, %s of the node cost is allocated to no container.\n", Money(e.IdleUSD), pct(e.IdleShare))
	}
	if ef := e.Efficiency; ef != nil {
		fmt.Fprintf(b, "\nEfficiency (usage / request, %s): CPU %s (%.3g of %.3g core-hours), memory %s (%.3g of %.3g GiB-hours).\n",
			ef.Source, optPct(ef.CPU), ef.CPUUsageCoreHours, ef.CPURequestCoreHours, optPct(ef.RAM), ef.RAMUsageGiBHours, ef.RAMRequestGiBHours)
	}
	if len(e.Rightsizing) > 0 {
		b.WriteString("\nRightsizing (request from p95 usage + 20 % headroom):\n\n| workload | container | resource | request | p95 usage | recommended | replicas | monthly saving |\n|---|---|---|---|---|---|---|---|\n")
		for _, rec := range e.Rightsizing {
			fmt.Fprintf(b, "| %s/%s | %s | %s | %s | %s | %s | %.2f | %s |\n", rec.Namespace, rec.Workload, rec.Container, rec.Resource,
				quantity(rec.Resource, rec.Request), quantity(rec.Resource, rec.P95), quantity(rec.Resource, rec.Recommended), rec.Replicas, Money(rec.MonthlySavingUSD))
		}
	}
	if f := e.Forecast; f != nil {
		fmt.Fprintf(b, "\nForecast for %s: %s month to date", f.Month, Money(f.MonthToDateUSD))
		if f.MonthToDateExtrapolatedHours > 0 {
			fmt.Fprintf(b, " (%s of it extrapolated at the run rate)", human(f.MonthToDateExtrapolatedHours))
		}
		fmt.Fprintf(b, ", %s/h run rate (%s a %g-hour month), **%s at the end of the month**.", Money(f.RunRateHourly), Money(f.MonthlyRunRateUSD), r.HoursPerMonth, Money(f.MonthEndUSD))
		if e.Budget != nil {
			fmt.Fprintf(b, " Budget: %s.", e.Budget.Detail)
		}
		b.WriteString("\n")
	}
	if u := e.Unit; u != nil {
		fmt.Fprintf(b, "\nUnit economics (%s): %s requests, %s successful; %s per 1,000 requests, %s per successful request",
			u.Source, count(u.Requests), count(u.Successful), Money(u.Per1000RequestsUSD), Money(u.PerSuccessfulRequestUSD))
		if u.Workload != "" {
			fmt.Fprintf(b, "; workload %s alone: %s per 1,000, %s per successful request", u.Workload, Money(u.WorkloadPer1000RequestsUSD), Money(u.WorkloadPerSuccessfulRequestUSD))
		}
		b.WriteString(".\n")
	}
	fmt.Fprintf(b, "\n<details><summary>%d cost lines</summary>\n\n| category | item | zone | quantity | unit price | cost | source |\n|---|---|---|---|---|---|---|\n", len(e.Lines))
	for _, l := range e.Lines {
		qty := "-"
		if l.Quantity > 0 {
			qty = fmt.Sprintf("%.4g %s", l.Quantity, l.Unit)
		}
		price := "-"
		if l.UnitPrice > 0 {
			price = Money(l.UnitPrice)
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s |\n", l.Category, md(l.Item), l.Zone, qty, price, Money(l.USD), md(l.Source))
	}
	b.WriteString("\n</details>\n")
	if len(e.Unmeasured) > 0 {
		b.WriteString("\nNot counted (usage-priced, no usage data):\n\n")
		for _, u := range e.Unmeasured {
			fmt.Fprintf(b, "- %s at %s per %s: %s\n", u.Item, Money(u.UnitPrice), u.Unit, u.Why)
		}
	}
	for _, n := range e.Notes {
		fmt.Fprintf(b, "\n> %s\n", md(n))
	}
}

func resilienceMarkdown(b *bytes.Buffer, r *Resilience) {
	fmt.Fprintf(b, "\n### Cost of resilience: %s (%d zones against one)\n\n", r.Environment, r.Zones)
	fmt.Fprintf(b, "High-availability premium: **%s a month**.\n\n| item | a month | detail | source |\n|---|---|---|---|\n", Money(r.PremiumMonthlyUSD))
	for _, it := range r.Items {
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", it.Item, Money(it.MonthlyUSD), md(it.Detail), md(it.Source))
	}
	if a := r.Availability; a != nil {
		att := "no data"
		if a.Attainment != nil {
			att = fmt.Sprintf("%s (%s nines)", pctFine(*a.Attainment), ninesOf(r, r.MeasuredNines))
		}
		fmt.Fprintf(b, "\nAvailability measured: %s of %s (objective %s over %s, %s of data; %s). One zone can count on %s (%.2f nines; %s).\n",
			att, a.SLO, pctFine(a.Objective), human(a.WindowHours), human(a.DataHours), a.Source, pctFine(r.SingleZone), r.SingleZoneNines, r.SingleZoneSource)
		if r.ExtraNines != nil {
			fmt.Fprintf(b, "Extra nines bought: %.2f", *r.ExtraNines)
			if r.PerExtraNineUSD != nil {
				fmt.Fprintf(b, "; **cost per extra nine: %s a month**", Money(*r.PerExtraNineUSD))
			}
			b.WriteString(".\n")
		}
	}
	if len(r.GameDays) > 0 {
		b.WriteString("\n| game days | runs | verdicts | requests failed during faults | last |\n|---|---|---|---|---|\n")
		for _, g := range r.GameDays {
			fmt.Fprintf(b, "| %s | %d | %s | %s over %s | %s (%s) |\n", g.Experiment, g.Runs, verdicts(g.Verdicts), optPct2(g.FaultErrorRatio), human(g.FaultSeconds/3600), stamp(g.Last), g.LastVerdict)
		}
	}
	if z := r.ZoneLoss; z != nil {
		fmt.Fprintf(b, "\nLosing a zone: %s.\n", z.Detail)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(b, "\n> %s\n", md(n))
	}
}

// ninesOf writes a number of nines of r, "unbounded" without a failure.
func ninesOf(r *Resilience, p *float64) string {
	switch {
	case r.NinesUnbounded:
		return "unbounded"
	case p == nil:
		return "-"
	}
	return fmt.Sprintf("%.2f", *p)
}

func verdicts(m map[string]int) string {
	var parts []string
	for _, k := range []string{"held", "failed", "aborted", "inconclusive"} {
		if m[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", m[k], k))
		}
	}
	return strings.Join(parts, ", ")
}

// pctFine keeps the digits a availability needs (99.95 %).
func pctFine(v float64) string {
	return trimZeros(fmt.Sprintf("%.4f", 100*v), 1) + " %"
}

// optPct2 writes a share with two decimals (an error ratio).
func optPct2(p *float64) string {
	if p == nil {
		return "-"
	}
	return trimZeros(fmt.Sprintf("%.2f", 100**p), 0) + " %"
}

func optPctFine(p *float64) string {
	if p == nil {
		return "-"
	}
	return pctFine(*p)
}

// count writes a whole number with thousands separators.
func count(v float64) string { return commas(fmt.Sprintf("%.0f", v)) }

func quantity(resource string, v float64) string {
	if resource == "cpu" {
		return fmt.Sprintf("%.0fm", v*1000)
	}
	return fmt.Sprintf("%.0fMi", v/(1<<20))
}
