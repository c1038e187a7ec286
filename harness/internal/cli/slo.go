package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/sandbox"
	"github.com/gamedayhq/gameday/harness/internal/slo"
)

const (
	flagSLODir      = "slo-dir"
	flagRoot        = "root"
	flagRunbookBase = "runbook-base"
	flagSLO         = "slo"
	flagFormat      = "format"
	flagOut         = "out"
	flagHistory     = "history"
)

func sloCommand() *ucli.Command {
	root := &ucli.StringFlag{Name: flagRoot, Value: ".", Usage: "repository root: specs are read from ROOT/slo, files written under ROOT/monitoring/prometheus"}
	runbook := &ucli.StringFlag{Name: flagRunbookBase, Value: slo.DefaultRunbookBase, Usage: "URL the runbooks' paths (docs/runbooks/slo-*.md) are appended to in runbook_url"}
	return &ucli.Command{
		Name:  "slo",
		Usage: "SLOs as code: generate the rules, check them, report the error budgets",
		Description: `The OpenSLO v1 specs in slo/ are the single source of truth: generate writes the
multiwindow multi-burn-rate rules and their promtool tests, check fails when they
are stale, report reads the budgets from Prometheus (and Loki).

EXAMPLES:
   gameday slo generate
   gameday slo check
   gameday slo report --format md
   gameday slo report --format html --out reports/slo.html
   gameday slo report --format html --history 1d --out reports/slo.html`,
		Subcommands: []*ucli.Command{
			{
				Name:  "generate",
				Usage: "write the rules, PrometheusRules and promtool tests of every SLO",
				Description: `Reads ROOT/slo and writes, for every SLO over Prometheus (files carry a DO NOT EDIT header):
   ROOT/` + slo.DirRules + `/<service>-<slo>.yml          recording rules + burn-rate alerts
   ROOT/` + slo.DirKube + `/slo-<service>-<slo>.yml   the same as a PrometheusRule
   ROOT/` + slo.DirTests + `/<service>-<slo>_test.yml      promtool unit tests
Generated files of SLOs that no longer exist are removed. A malformed spec exits 2
naming file:line:col and the field.

EXAMPLES:
   gameday slo generate
   gameday slo generate --root /path/to/repo`,
				Flags: []ucli.Flag{root, runbook},
				Action: func(c *ucli.Context) error {
					return sloGenerate(c, false)
				},
			},
			{
				Name:  "check",
				Usage: "validate the specs and fail when the generated files are not up to date",
				Description: `Exit 0 when every spec is valid and regenerating would change nothing, 2 for a malformed
spec (file:line:col: field: message), 1 when a generated file differs (run gameday slo generate).

EXAMPLES:
   gameday slo check`,
				Flags: []ucli.Flag{root, runbook},
				Action: func(c *ucli.Context) error {
					return sloGenerate(c, true)
				},
			},
			sloReportCommand(),
		},
	}
}

// loadSLOs reads the specs in dir; a bad spec is invalid input.
func loadSLOs(dir string) (*slo.Set, error) {
	set, err := slo.Load(dir)
	if err != nil {
		return nil, exitcode.Wrap(exitcode.Invalid, fmt.Errorf("SLO specs in %s:\n%w", dir, err))
	}
	return set, nil
}

func sloGenerate(c *ucli.Context, check bool) error {
	root := c.String(flagRoot)
	set, err := loadSLOs(filepath.Join(root, "slo"))
	if err != nil {
		return err
	}
	files, err := slo.Generate(set, slo.Options{RunbookBase: c.String(flagRunbookBase)}, func(f string) string {
		if r, err := filepath.Rel(root, f); err == nil {
			return filepath.ToSlash(r)
		}
		return f
	})
	if err != nil {
		return exitcode.Wrap(exitcode.Invalid, err)
	}
	// Generated files of SLOs that are gone.
	var stale []string
	for _, d := range []string{slo.DirRules, slo.DirKube, slo.DirTests} {
		entries, _ := os.ReadDir(filepath.Join(root, d))
		for _, e := range entries {
			p := filepath.Join(d, e.Name())
			if _, ok := files[p]; ok || e.IsDir() {
				continue
			}
			if b, err := os.ReadFile(filepath.Join(root, p)); err == nil && bytes.HasPrefix(b, []byte(slo.Header)) {
				stale = append(stale, p)
			}
		}
	}
	w := c.App.Writer
	changed, err := syncGenerated(w, "slo generate", root, files, stale, check)
	if err != nil {
		return err
	}
	nRules, nAlerts := 0, 0
	var overLoki []string
	for _, s := range set.SLOs {
		if s.Source == slo.SourceLoki {
			overLoki = append(overLoki, s.ID()+" ("+s.Budgeting+")")
		}
		for _, g := range s.Rules(slo.Options{}) {
			for _, r := range g.Rules {
				if r.Alert != "" {
					nAlerts++
				} else {
					nRules++
				}
			}
		}
	}
	if check {
		if len(changed) > 0 {
			return exitcode.Wrap(exitcode.Failed, fmt.Errorf("slo check: %d generated files are not up to date with the specs:\n  %s\nrun gameday slo generate (make check-slo) and commit the result",
				len(changed), strings.Join(changed, "\n  ")))
		}
		fmt.Fprintf(w, "ok       %d SLOs in %d files: %d recording rules, %d alerts, generated files up to date\n", len(set.SLOs), len(set.Files), nRules, nAlerts)
	} else {
		fmt.Fprintf(w, "%d SLOs: %d recording rules, %d alerts in %d files (%d changed, %d removed)\n", len(set.SLOs), nRules, nAlerts, len(files), len(changed)-len(stale), len(stale))
	}
	if len(overLoki) > 0 {
		fmt.Fprintf(w, "loki     %s: no Prometheus rules; gameday slo report and the error-budget guard read them through Loki (--loki-url)\n", strings.Join(overLoki, ", "))
	}
	return nil
}

func sloReportCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "report",
		Usage: "the error budgets now: budget left, burn rates, exhaustion, alert state, routes burning most",
		Description: `Reads every SLO in --slo-dir from Prometheus (the recorded series of the generated
rules when they are loaded, else the indicators' own queries) and, for a LogQL SLO,
from Loki. Per SLO: budget left over its window, burn rate over 5m ... 3d, when the
budget runs out at the 1h burn rate, the alert state (ok, ticket, page) and the
routes burning most. On a fresh Prometheus the window's figures are those of the data
present (the report says how much). Fit for a schedule: write to a file with --out.
Prometheus is needed only for SLOs over Prometheus: a report of LogQL SLOs alone
(--slo naming one, or an --slo-dir of them) reads Loki only. Exit 3 when a configured
Prometheus or Loki cannot be read or refuses a query; a LogQL SLO without --loki-url
shows no data.

EXAMPLES:
   gameday slo report
   gameday slo report --format json --slo api-availability
   gameday slo report --format html --out reports/slo.html
   gameday slo report --format html --history 1d --out reports/slo.html
   gameday slo report --loki-url http://127.0.0.1:3100 --slo request-log-errors`,
		Flags: []ucli.Flag{
			sandboxDirFlag(),
			&ucli.StringFlag{Name: flagSLODir, Value: slo.DefaultDir, Usage: "directory of the OpenSLO specs"},
			&ucli.StringFlag{Name: flagPrometheusURL, Usage: "Prometheus to read (default: the sandbox's)"},
			&ucli.StringFlag{Name: flagLokiURL, Usage: "Loki of the LogQL SLOs (without one they show no data)"},
			&ucli.StringFlag{Name: flagSLO, Usage: "only this SLO (its name or service-name)"},
			&ucli.StringFlag{Name: flagFormat, Value: "md", Usage: "md, json or html"},
			&ucli.StringFlag{Name: flagOut, Usage: "write to this file (atomically) instead of stdout"},
			&ucli.StringFlag{Name: flagHistory, Value: "7d", Usage: "the budget left over this last span (a line chart per SLO in html, history in json; from the recorded series); 0: none"},
			&ucli.Float64Flag{Name: flagBudgetMin, Value: slo.DefaultMinRemaining, Usage: "the policy's threshold, drawn on the chart"},
		},
		Action: sloReport,
	}
}

func sloReport(c *ucli.Context) error {
	format := c.String(flagFormat)
	if format != "md" && format != "json" && format != "html" {
		return exitcode.Invalidf("--format %q: use md, json or html", format)
	}
	set, err := loadSLOs(c.String(flagSLODir))
	if err != nil {
		return err
	}
	slos := set.SLOs
	if name := c.String(flagSLO); name != "" {
		s := set.Find(name)
		if s == nil {
			var names []string
			for _, s := range set.SLOs {
				names = append(names, s.Name)
			}
			return exitcode.Invalidf("--slo %q: no such SLO in %s (%s)", name, c.String(flagSLODir), strings.Join(names, ", "))
		}
		slos = []*slo.SLO{s}
	}
	// Prometheus is read for SLOs over Prometheus only: a report of LogQL
	// SLOs needs a Loki and nothing else.
	promURL := c.String(flagPrometheusURL)
	if promURL == "" && slices.ContainsFunc(slos, func(s *slo.SLO) bool { return s.Source == slo.SourcePrometheus }) {
		dir, err := sandboxDir(c)
		if err != nil {
			return err
		}
		st, err := sandbox.Status(c.Context, dir)
		if err != nil || !st.Running {
			return exitcode.Infraf("slo report: no --prometheus-url and no sandbox running in %s (gameday sandbox up)", dir)
		}
		promURL = st.Prometheus.URL
	}
	clients, err := slo.NewClients(promURL, c.String(flagLokiURL))
	if err != nil {
		return exitcode.Wrap(exitcode.Invalid, err)
	}
	now := time.Now()
	rep := &slo.Report{SchemaVersion: slo.ReportSchema, At: now.UTC(), Prometheus: promURL, Loki: c.String(flagLokiURL), MinRemaining: c.Float64(flagBudgetMin)}
	var history time.Duration
	if h := c.String(flagHistory); h != "" && h != "0" {
		w, err := slo.ParseWindow(h)
		if err != nil {
			return exitcode.Invalidf("--%s: %v", flagHistory, err)
		}
		history = w.D
	}
	var infra error
	for _, s := range slos {
		st, err := slo.ReadStatus(c.Context, clients, s, now)
		// A source that is configured and cannot be read (unreachable, or
		// refusing the query) is an infrastructure error; a LogQL SLO
		// without a Loki is only without data.
		if err != nil && (s.Source == slo.SourcePrometheus || clients.Loki != nil) {
			infra = exitcode.Infraf("slo report: %s: %w", s.ID(), err)
		}
		if err == nil && history > 0 {
			// About 200 points, at least one a minute.
			step := max(time.Minute, (history / 200).Round(time.Minute))
			if st.History, err = slo.ReadHistory(c.Context, clients, s, now.Add(-history), now, step); err != nil {
				infra = exitcode.Infraf("slo report: %s: history: %w", s.ID(), err)
			}
		}
		rep.SLOs = append(rep.SLOs, st)
	}
	if err := writeReport(c, "slo report", format, rep); err != nil {
		return err
	}
	return infra
}
