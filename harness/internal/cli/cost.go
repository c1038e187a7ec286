package cli

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/gamedayhq/gameday/harness/internal/cost"
	"github.com/gamedayhq/gameday/harness/internal/cost/catalog"
	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/history"
	"github.com/gamedayhq/gameday/harness/internal/prom"
	"github.com/gamedayhq/gameday/harness/internal/report"
	"github.com/gamedayhq/gameday/harness/internal/runner"
	"github.com/gamedayhq/gameday/harness/internal/sandbox"
	"github.com/gamedayhq/gameday/harness/internal/slo"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

const (
	flagCatalog          = "catalog"
	flagInventory        = "inventory"
	flagBudgets          = "budgets"
	flagWindow           = "window"
	flagEnd              = "end"
	flagMonth            = "month"
	flagEnvironment      = "environment"
	flagEnv              = "env"
	flagSelector         = "selector"
	flagInventoryEnvs    = "inventory-envs"
	flagAvailabilitySLO  = "availability-slo"
	flagSingleZone       = "single-zone-availability"
	flagZoneOutage       = "zone-outage"
	flagBillingAccount   = "billing-account"
	flagFailOnBreach     = "fail-on-breach"
	flagNoPrometheus     = "no-prometheus"
	defaultAvailability  = "api-availability"
	sandboxEnvironment   = "sandbox"
	defaultBillingAcct   = "gameday"
	defaultCostReportDir = "reports"
)

func costCommand() *ucli.Command {
	root := &ucli.StringFlag{Name: flagRoot, Value: ".", Usage: "repository root: reads " + cost.DefaultBudgets + " and " + cost.DefaultInventory + ", writes the generated files under it"}
	return &ucli.Command{
		Name:  "cost",
		Usage: "FinOps report: cost by environment, namespace, workload and zone; idle, rightsizing, forecast, budgets, cost of resilience",
		Description: `Reads each environment's cost over a window through PromQL: OpenCost's metrics when
its Prometheus has them (the sandbox exports the same names), else kube-state-metrics
and cAdvisor priced by the price catalog; adds terraform's inventory (RDS, ElastiCache,
NAT gateways, endpoints; whole environments without a Prometheus) priced by the catalog;
then idle, efficiency, rightsizing with monthly savings, the month-end forecast against
the budgets, unit economics, the cost of resilience (the high-availability premium set
against the availability measured) and the cost of each game day. Every figure names its
source; a price missing from the catalog stops the report naming the item.

Exit codes: 2 for bad input (flag, catalog missing a price, malformed budget or
inventory, a window without data), 3 when Prometheus cannot be read, 1 with
--fail-on-breach when a month-end forecast passes its budget.

EXAMPLES:
   gameday cost                                       # the sandbox, last 7 days, Markdown
   gameday cost --window 1h --format html --out reports/cost.html
   gameday cost --month 2026-11 --format focus --out focus-2026-11.csv
   gameday cost --prometheus-url http://127.0.0.1:9090 --environment prod --format html --out cost.html
   gameday cost --env staging=http://prom-staging:9090 --env prod=http://prom-prod:9090
   gameday cost --inventory-envs=false --prometheus-url http://127.0.0.1:9090 --environment staging
   gameday cost --no-prometheus --format html --out plan.html   # terraform's sizes alone
   gameday cost generate                              # budget rules, OpenCost's custom prices
   gameday cost check                                 # catalog covers the inventory; generated files up to date`,
		Flags: []ucli.Flag{
			sandboxDirFlag(),
			&ucli.StringFlag{Name: flagPrometheusURL, Usage: "Prometheus of the environment named by --environment (default: the sandbox's)"},
			&ucli.StringFlag{Name: flagEnvironment, Usage: "name of the environment of --prometheus-url (an inventory environment gets its managed services and budget; default sandbox)"},
			&ucli.StringSliceFlag{Name: flagEnv, Usage: "NAME=URL: one more environment and its Prometheus (repeat); NAME=URL|MATCHERS selects its series in a shared Prometheus, e.g. prod=http://thanos:9090|cluster=\"gameday-prod\""},
			&ucli.StringFlag{Name: flagSelector, Usage: "label matchers added to every series of --prometheus-url, e.g. cluster=\"gameday-prod\""},
			&ucli.StringFlag{Name: flagWindow, Value: "7d", Usage: "length of the window ending at --end (m, h, d, w)"},
			&ucli.StringFlag{Name: flagEnd, Usage: "end of the window: RFC 3339 or YYYY-MM-DD (default: now)"},
			&ucli.StringFlag{Name: flagMonth, Usage: "a calendar month, YYYY-MM: the window is that month (up to now for the current one)"},
			&ucli.StringFlag{Name: flagCatalog, Usage: "price catalog YAML (default: the one built in, " + catalog.DefaultName + ")"},
			&ucli.StringFlag{Name: flagInventory, Usage: "terraform's cost inventory (default " + cost.DefaultInventory + " when it exists)"},
			&ucli.BoolFlag{Name: flagInventoryEnvs, Value: true, Usage: "add the inventory's environments without a Prometheus, priced from terraform's sizes"},
			&ucli.StringFlag{Name: flagBudgets, Usage: "monthly budgets per environment (default " + cost.DefaultBudgets + " when it exists)"},
			&ucli.StringFlag{Name: flagReportsDir, Value: defaultCostReportDir, Usage: "game-day reports to read the cost of each game day and the resilience game days from"},
			&ucli.StringFlag{Name: flagSLODir, Value: slo.DefaultDir, Usage: "OpenSLO specs; the availability SLO's attainment is the availability measured"},
			&ucli.StringFlag{Name: flagAvailabilitySLO, Value: defaultAvailability, Usage: "the SLO (name or id) whose attainment the cost of resilience uses"},
			&ucli.StringFlag{Name: flagLokiURL, Usage: "Loki, for a LogQL availability SLO"},
			&ucli.Float64Flag{Name: flagSingleZone, Value: cost.DefaultSingleZoneAvailability, Usage: "availability one zone can count on (AWS's instance-level SLA)"},
			&ucli.DurationFlag{Name: flagZoneOutage, Value: cost.DefaultZoneOutage, Usage: "the zone outage whose error-budget cost the report prices"},
			&ucli.StringFlag{Name: flagFormat, Value: "md", Usage: "md, json, html or focus (a FOCUS 1.1 CSV)"},
			&ucli.StringFlag{Name: flagOut, Usage: "write to this file (atomically) instead of stdout"},
			&ucli.StringFlag{Name: flagBillingAccount, Value: defaultBillingAcct, Usage: "BillingAccountId of the FOCUS CSV (the AWS payer account id)"},
			&ucli.BoolFlag{Name: flagFailOnBreach, Usage: "exit 1 when a month-end forecast passes its budget (after writing the report)"},
			&ucli.BoolFlag{Name: flagNoPrometheus, Usage: "read no Prometheus: price the inventory's environments from terraform's sizes alone"},
		},
		Action: costReport,
		Subcommands: []*ucli.Command{
			{
				Name:  "generate",
				Usage: "write the budget rules and OpenCost's custom prices from the budgets, the inventory and the catalog",
				Description: `Writes (files carry a "Generated by" header):
   ROOT/` + cost.FileRules + `           recording rules + the budget alert
   ROOT/` + cost.FileRulesTest + `      its promtool tests
   ROOT/` + cost.FilePrometheusRule + `  the same as a PrometheusRule
   ROOT/` + cost.DirOpenCost + `/<env>/  OpenCost's custom prices and ServiceMonitor

EXAMPLES:
   gameday cost generate
   gameday cost generate --root /path/to/repo`,
				Flags: []ucli.Flag{root, &ucli.StringFlag{Name: flagCatalog, Usage: "price catalog YAML (default: the one built in)"}},
				Action: func(c *ucli.Context) error {
					return costGenerate(c, false)
				},
			},
			{
				Name:  "check",
				Usage: "fail when the catalog misses a price of the inventory or a generated file is stale",
				Description: `Exit 0 when the catalog prices every item of the inventory in every environment, the
budgets are valid and regenerating would change nothing; 2 for a missing price or a
malformed file (naming the item and environment, or file and field); 1 when a generated
file differs (run gameday cost generate).

EXAMPLES:
   gameday cost check`,
				Flags: []ucli.Flag{root, &ucli.StringFlag{Name: flagCatalog, Usage: "price catalog YAML (default: the one built in)"}},
				Action: func(c *ucli.Context) error {
					return costGenerate(c, true)
				},
			},
		},
	}
}

// loadCatalog reads --catalog, or the built-in catalog.
func loadCatalog(c *ucli.Context) (*catalog.Catalog, error) {
	var cat *catalog.Catalog
	var err error
	if p := c.String(flagCatalog); p != "" {
		cat, err = catalog.Load(p)
	} else {
		cat, err = catalog.Default()
	}
	if err != nil {
		return nil, exitcode.Wrap(exitcode.Invalid, err)
	}
	return cat, nil
}

// optionalFile returns the flag's path, or def when it exists ("" when it
// does not); a path given by flag must exist.
func optionalFile(c *ucli.Context, flag, def string) (string, error) {
	if p := c.String(flag); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", exitcode.Invalidf("--%s: %w", flag, err)
		}
		return p, nil
	}
	if _, err := os.Stat(def); err == nil {
		return def, nil
	}
	return "", nil
}

// costWindow reads --window/--end/--month.
func costWindow(c *ucli.Context, now time.Time) (cost.Window, error) {
	if m := c.String(flagMonth); m != "" {
		if c.IsSet(flagEnd) || c.IsSet(flagWindow) {
			return cost.Window{}, exitcode.Invalidf("--month %s: give --month alone, or --window and --end", m)
		}
		start, err := time.Parse("2006-01", m)
		if err != nil {
			return cost.Window{}, exitcode.Invalidf("--month %q: want YYYY-MM, e.g. 2026-11", m)
		}
		end := start.AddDate(0, 1, 0)
		if end.After(now) {
			end = now.Truncate(time.Minute)
		}
		if !end.After(start) {
			return cost.Window{}, exitcode.Invalidf("--month %s has not started", m)
		}
		return cost.Window{Start: start, End: end}, nil
	}
	end := now.Truncate(time.Minute)
	if e := c.String(flagEnd); e != "" {
		t, err := time.Parse(time.RFC3339, e)
		if err != nil {
			t, err = time.Parse("2006-01-02", e)
		}
		if err != nil {
			return cost.Window{}, exitcode.Invalidf("--end %q: want RFC 3339 (2026-11-30T00:00:00Z) or a date (2026-11-30)", e)
		}
		end = t
	}
	w, err := slo.ParseWindow(c.String(flagWindow))
	if err != nil {
		return cost.Window{}, exitcode.Invalidf("--window: %v", err)
	}
	return cost.Window{Start: end.Add(-w.D), End: end}, nil
}

// costSources reads --prometheus-url/--environment/--selector and --env.
func costSources(c *ucli.Context, cat *catalog.Catalog, clients func(promURL string) (*slo.Clients, error)) ([]cost.Source, error) {
	type spec struct{ name, url, selector string }
	var specs []spec
	for _, e := range c.StringSlice(flagEnv) {
		name, rest, ok := strings.Cut(e, "=")
		if !ok || name == "" || rest == "" {
			return nil, exitcode.Invalidf("--env %q: want NAME=URL or NAME=URL|MATCHERS", e)
		}
		url, sel, _ := strings.Cut(rest, "|")
		specs = append(specs, spec{name, url, sel})
	}
	if u := c.String(flagPrometheusURL); u != "" {
		name := c.String(flagEnvironment)
		if name == "" {
			return nil, exitcode.Invalidf("--prometheus-url %s: name its environment with --environment (dev, staging, prod ...)", u)
		}
		specs = append(specs, spec{name, u, c.String(flagSelector)})
	}
	if len(specs) == 0 && c.Bool(flagNoPrometheus) {
		return nil, nil
	}
	if len(specs) > 0 && c.Bool(flagNoPrometheus) {
		return nil, exitcode.Invalidf("--%s with --%s or --%s: choose", flagNoPrometheus, flagPrometheusURL, flagEnv)
	}
	if len(specs) == 0 {
		dir, err := sandboxDir(c)
		if err != nil {
			return nil, err
		}
		st, err := sandbox.Status(c.Context, dir)
		if err != nil || !st.Running {
			return nil, exitcode.Infraf("cost: no --prometheus-url, no --env and no sandbox running in %s (gameday sandbox up); --no-prometheus prices terraform's sizes alone", dir)
		}
		specs = append(specs, spec{cmp.Or(c.String(flagEnvironment), sandboxEnvironment), st.Prometheus.URL, c.String(flagSelector)})
	}
	var out []cost.Source
	seen := map[string]bool{}
	for _, s := range specs {
		if seen[s.name] {
			return nil, exitcode.Invalidf("environment %s given twice", s.name)
		}
		seen[s.name] = true
		p, err := prom.New(s.url, 60*time.Second)
		if err != nil {
			return nil, exitcode.Wrap(exitcode.Invalid, fmt.Errorf("environment %s: %w", s.name, err))
		}
		cl, err := clients(s.url)
		if err != nil {
			return nil, exitcode.Wrap(exitcode.Invalid, fmt.Errorf("environment %s: %w", s.name, err))
		}
		out = append(out, cost.Source{Name: s.name, Collector: &cost.Collector{Prom: p, Selector: s.selector, Catalog: cat}, SLOs: cl})
	}
	return out, nil
}

func costReport(c *ucli.Context) error {
	format := c.String(flagFormat)
	if !slices.Contains([]string{"md", "json", "html", "focus"}, format) {
		return exitcode.Invalidf("--format %q: use md, json, html or focus", format)
	}
	if v := c.Float64(flagSingleZone); v <= 0 || v >= 1 {
		return exitcode.Invalidf("--%s %g: want an availability between 0 and 1, e.g. 0.995", flagSingleZone, v)
	}
	now := time.Now().UTC()
	w, err := costWindow(c, now)
	if err != nil {
		return err
	}
	cat, err := loadCatalog(c)
	if err != nil {
		return err
	}
	o := cost.Options{Window: w, Catalog: cat, InventoryOnly: c.Bool(flagInventoryEnvs), SingleZone: c.Float64(flagSingleZone), ZoneOutage: c.Duration(flagZoneOutage)}
	if p, err := optionalFile(c, flagInventory, cost.DefaultInventory); err != nil {
		return err
	} else if p != "" {
		if o.Inventory, err = cost.LoadInventory(p); err != nil {
			return exitcode.Wrap(exitcode.Invalid, err)
		}
		if errs := cost.Coverage(cat, o.Inventory); len(errs) > 0 {
			return exitcode.Wrap(exitcode.Invalid, fmt.Errorf("cost: the price catalog %s misses prices of the inventory %s:\n%w", cat.File, p, errors.Join(errs...)))
		}
	}
	if p, err := optionalFile(c, flagBudgets, cost.DefaultBudgets); err != nil {
		return err
	} else if p != "" {
		if o.Budgets, err = cost.LoadBudgets(p); err != nil {
			return exitcode.Wrap(exitcode.Invalid, err)
		}
	}
	if dir := c.String(flagSLODir); dir != "" {
		if _, err := os.Stat(dir); err == nil {
			set, err := loadSLOs(dir)
			if err != nil {
				return err
			}
			if name := c.String(flagAvailabilitySLO); name != "" {
				if o.AvailabilitySLO = set.Find(name); o.AvailabilitySLO == nil {
					return exitcode.Invalidf("--%s %q: no such SLO in %s", flagAvailabilitySLO, name, dir)
				}
			}
		}
	}
	lokiURL := c.String(flagLokiURL)
	sources, err := costSources(c, cat, func(promURL string) (*slo.Clients, error) {
		cl, err := slo.NewClients(promURL, lokiURL)
		return &cl, err
	})
	if err != nil {
		return err
	}
	o.Sources = sources
	store, err := history.Open(c.String(flagReportsDir), history.Options{Reader: true, Warn: io.Discard})
	if err != nil {
		return exitcode.Infraf("cost: %w", err)
	}
	defer store.Close()
	if o.History, err = cost.ReadHistory(c.Context, store, w); err != nil {
		return exitcode.Infraf("cost: %w", err)
	}
	for _, s := range o.History.Skipped {
		fmt.Fprintf(c.App.ErrWriter, "cost: skipped %s\n", s)
	}
	r, err := cost.NewReport(c.Context, o)
	if err != nil {
		return costError(err)
	}
	var out []byte
	switch format {
	case "json":
		out, err = r.JSON()
	case "html":
		out, err = r.HTML()
	case "focus":
		names := map[string]string{}
		for k, v := range cat.Regions {
			names[k] = v.Name
		}
		out, err = r.FOCUS(cost.FOCUSOptions{BillingAccountID: c.String(flagBillingAccount), BillingAccountName: c.String(flagBillingAccount), RegionNames: names})
	default:
		out = r.Markdown()
	}
	if err != nil {
		return exitcode.Infraf("cost: render: %w", err)
	}
	note := fmt.Sprintf(" (%s, %s over %s to %s)", format, cost.Money(r.TotalUSD), w.Start.Format(time.RFC3339), w.End.Format(time.RFC3339))
	if err := writeOut(c, "cost", note, out); err != nil {
		return err
	}
	if c.Bool(flagFailOnBreach) {
		var breached []string
		for _, e := range r.Environments {
			if e.Budget != nil && e.Budget.State == cost.BudgetBreach {
				breached = append(breached, e.Name+": "+e.Budget.Detail)
			}
		}
		if len(breached) > 0 {
			return exitcode.Failedf("cost: budget breached:\n  %s", strings.Join(breached, "\n  "))
		}
	}
	return nil
}

// costError gives the report's errors their exit codes: Prometheus
// unreachable is the infrastructure's, the rest (no data in the window, a
// missing price) the input's.
func costError(err error) error {
	var miss *catalog.ErrMissingPrice
	switch {
	case errors.Is(err, prom.ErrUnreachable):
		return exitcode.Infraf("cost: %w", err)
	case errors.Is(err, cost.ErrNoData):
		return exitcode.Invalidf("cost: %w (choose a window with data: --window, --end, --month)", err)
	case errors.As(err, &miss):
		return exitcode.Invalidf("cost: %w", err)
	case errors.Is(err, prom.ErrBadQuery):
		return exitcode.Infraf("cost: %w", err)
	}
	return exitcode.Invalidf("cost: %w", err)
}

func costGenerate(c *ucli.Context, check bool) error {
	root := c.String(flagRoot)
	cat, err := loadCatalog(c)
	if err != nil {
		return err
	}
	inv, err := cost.LoadInventory(filepath.Join(root, cost.DefaultInventory))
	if err != nil {
		return exitcode.Wrap(exitcode.Invalid, err)
	}
	if errs := cost.Coverage(cat, inv); len(errs) > 0 {
		return exitcode.Wrap(exitcode.Invalid, fmt.Errorf("the price catalog %s misses prices of the inventory:\n%w", cat.File, errors.Join(errs...)))
	}
	bs, err := cost.LoadBudgets(filepath.Join(root, cost.DefaultBudgets))
	if err != nil {
		return exitcode.Wrap(exitcode.Invalid, err)
	}
	files, err := cost.Generate(cat, inv, bs)
	if err != nil {
		return exitcode.Wrap(exitcode.Invalid, err)
	}
	// Generated files of environments that are gone.
	var stale []string
	filepath.WalkDir(filepath.Join(root, cost.DirOpenCost), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if _, ok := files[rel]; !ok {
			if b, err := os.ReadFile(p); err == nil && bytes.HasPrefix(b, []byte(cost.GeneratedHeader)) {
				stale = append(stale, rel)
			}
		}
		return nil
	})
	w := c.App.Writer
	changed, err := syncGenerated(w, "cost generate", root, files, stale, check)
	if err != nil {
		return err
	}
	if check {
		if len(changed) > 0 {
			return exitcode.Failedf("cost check: %d generated files are not up to date with the budgets, inventory and catalog:\n  %s\nrun gameday cost generate and commit the result",
				len(changed), strings.Join(changed, "\n  "))
		}
		fmt.Fprintf(w, "ok       catalog %s %s prices the %d environments of the inventory; %d budgets; %d generated files up to date\n",
			cat.Metadata.Name, cat.Metadata.Version, len(inv.Environments), len(bs.Budgets), len(files))
		return nil
	}
	fmt.Fprintf(w, "%d files (%d changed, %d removed)\n", len(files), len(changed)-len(stale), len(stale))
	return nil
}

// costSections is the cost section of a game day's report, read from the
// run's Prometheus through the same PromQL as `gameday cost` (the sandbox
// exports OpenCost's metric names). The load generator's cost is this
// process's CPU time from now to the end of the run.
func costSections(o runOptions, rc runner.Config, e *spec.Experiment) []func(context.Context, *report.Report) {
	if rc.PrometheusURL == "" {
		return nil
	}
	start := processCPUSeconds()
	ns, workload := cmp.Or(o.Kube.Namespace, "petclinic"), cmp.Or(o.Kube.Deployment, "petclinic")
	if k := e.Spec.Target.Kubernetes; k != nil {
		ns, workload = cmp.Or(o.Kube.Namespace, k.Namespace, ns), cmp.Or(o.Kube.Deployment, k.Deployment, workload)
	}
	return []func(context.Context, *report.Report){func(ctx context.Context, rep *report.Report) {
		cat, err := catalog.Default()
		if err != nil {
			rep.Cost = &report.Cost{Error: err.Error()}
			return
		}
		p, err := prom.New(rc.PrometheusURL, 10*time.Second)
		if err != nil {
			rep.Cost = &report.Cost{Error: err.Error()}
			return
		}
		col := &cost.Collector{Prom: p, Catalog: cat, Region: o.costRegion(e)}
		in := cost.GameDayInput{Collector: col, Report: rep, Namespace: ns, Workload: workload, LoadCPUSeconds: processCPUSeconds() - start,
			LoadLabel: "the gameday process (load generator and probes)"}
		if !o.onKube(e) {
			col.RateWindow = 10 * time.Second // the sandbox scrapes every second
		}
		if rc.StartLoad != nil {
			in.LoadCPUSeconds, in.LoadLabel = 0, ""
		}
		rep.Cost = cost.GameDaySection(ctx, in)
		if rc.StartLoad != nil {
			rep.Cost.Notes = append(rep.Cost.Notes, "the load ran in a Job of workers: their cost is their pods' allocation, in their namespace's row")
		}
	}}
}

// costRegion is the region that prices a game day's nodes without a region
// label and its volumes: the sandbox's; on Kubernetes "", so that the
// nodes' topology.kubernetes.io/region label names it, as gameday cost
// does for a cluster outside the inventory.
func (o runOptions) costRegion(e *spec.Experiment) string {
	if o.onKube(e) {
		return ""
	}
	return sandbox.CostRegion
}

// processCPUSeconds is this process's user and system CPU time.
func processCPUSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// costLine is the one-line summary of a game day's cost section.
func costLine(c *report.Cost) string {
	switch {
	case c == nil:
		return ""
	case c.Error != "":
		return "no figures: " + c.Error
	}
	return fmt.Sprintf("game day %s (load generator %s, extra capacity %s); the platform %s over the run (%s)",
		cost.Money(c.GameDayUSD), cost.Money(c.LoadGeneratorUSD), cost.Money(c.ExtraCapacityUSD), cost.Money(c.PlatformUSD), c.Source)
}
