package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	ucli "github.com/urfave/cli/v2"

	"github.com/gamedayhq/gameday/harness/internal/dora"
	"github.com/gamedayhq/gameday/harness/internal/dora/argocd"
	"github.com/gamedayhq/gameday/harness/internal/dora/gather"
	"github.com/gamedayhq/gameday/harness/internal/dora/prom"
	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/kube"
	"github.com/gamedayhq/gameday/harness/internal/slo"
)

// The suites the gameday chart schedules, and where they run.
var defaultRunEnvironments = []string{"k8s-preprod-gate=staging", "k8s-staging-weekly=staging", "k8s-prod-weekly=prod"}

func doraCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "dora",
		Usage: "delivery performance (DORA) from git, Argo CD, the SLO alerts and the game days",
		Description: `For each service and environment: deployment frequency, change lead time, change
failure rate, failed deployment recovery time and rework rate over --window, per week
and per month, each rated against the performance levels of a named DORA report (the
2024 Accelerate State of DevOps Report unless --levels names another file); per
deployment its changes, failure evidence (rollback, fast-burn alert, failed game day,
health), recovery, the error budget it burned and the game days run against it.
Sources: git (--git, read with go-git), Argo CD Applications' status.history through
the Kubernetes API (get and list on applications.argoproj.io in --argocd-namespace),
Prometheus' ALERTS and the SLO specs (--prometheus-url, --slo-dir), the reports tree
(--reports-dir or --reports-git). docs/dora.md defines every figure.
Exit 2: bad input (not a git repository, unknown environment); 3: a source cannot be
read (no Argo CD access names the missing permission; Prometheus unreachable).

EXAMPLES:
   gameday dora --context hub --environment prod --prometheus-url http://127.0.0.1:9090
   gameday dora --environment prod --format html --out reports/dora/prod/report.html
   gameday dora --service petclinic=petclinic/,helm/petclinic/ --service gameday=harness/,helm/gameday/
   gameday dora --environment prod --serve :9464 --interval 1h`,
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "git", Value: ".", Usage: "the repository the Applications deploy from: a path, or a URL cloned with go-git (GIT_USERNAME/GIT_TOKEN authenticate https)"},
			&ucli.StringSliceFlag{Name: "service", Value: ucli.NewStringSlice("petclinic=petclinic/,helm/petclinic/"), Usage: "NAME[=PATH,...]: a service (its Application is NAME-ENV) and the paths whose commits are its changes"},
			&ucli.StringSliceFlag{Name: "environment", Usage: "an environment (default: every one the Applications carry in the label " + argocd.LabelEnvironment + ")"},
			&ucli.StringFlag{Name: "application", Usage: "the Argo CD Application, instead of SERVICE-ENVIRONMENT (one service, one environment)"},
			&ucli.StringFlag{Name: "argocd-namespace", Value: argocd.DefaultNamespace, Usage: "namespace of the Argo CD Applications"},
			&ucli.StringFlag{Name: flagKubeconfig, Usage: "kubeconfig file (default $KUBECONFIG, ~/.kube/config, else the in-cluster service account)"},
			&ucli.StringFlag{Name: flagContext, Usage: "kubeconfig context of the cluster Argo CD runs in"},
			&ucli.StringSliceFlag{Name: flagPrometheusURL, Usage: "[ENV=]URL: the Prometheus of an environment (without ENV: of every one); without any, no alert and no budget is read"},
			&ucli.StringFlag{Name: "alert-match", Value: prom.DefaultAlertMatch, Usage: "label matchers selecting the fast-burn alerts among ALERTS{alertstate=\"firing\",slo_service=SERVICE}"},
			&ucli.DurationFlag{Name: "failure-window", Value: time.Hour, Usage: "an alert that starts firing this long after a deployment (and before the next) fails it"},
			&ucli.StringFlag{Name: flagSLODir, Value: slo.DefaultDir, Usage: "the SLO specs: the error budget each deployment burned (\"\": none)"},
			&ucli.StringFlag{Name: flagReportsDir, Value: "reports", Usage: "the reports tree of the game days (<suite>/<run-id>/report.json)"},
			&ucli.StringFlag{Name: "reports-git", Usage: "a repository of published reports to clone and read instead of --reports-dir"},
			&ucli.StringFlag{Name: "reports-path", Value: "reports", Usage: "the reports tree inside --reports-git"},
			&ucli.StringSliceFlag{Name: "run-environment", Value: ucli.NewStringSlice(defaultRunEnvironments...), Usage: "SUITE=ENV: the environment a suite's game days run in"},
			&ucli.StringFlag{Name: "window", Value: "28d", Usage: "the span reported, ending at --until (d = 24h, w = 7d)"},
			&ucli.TimestampFlag{Name: "until", Layout: time.RFC3339, Usage: "end of the window (RFC 3339; default now)"},
			&ucli.StringFlag{Name: "levels", Usage: "a levels file of another DORA report (default: the embedded " + dora.DefaultLevels + ")"},
			&ucli.StringFlag{Name: "commit-time", Value: "author", Usage: "the time of a commit for lead time: author or committer"},
			&ucli.StringFlag{Name: flagFormat, Value: "md", Usage: "md, json or html"},
			&ucli.StringFlag{Name: flagOut, Usage: "write to this file (atomically) instead of stdout"},
			&ucli.StringFlag{Name: "serve", Usage: "serve the metrics as Prometheus gauges on this address (/metrics), recomputed every --interval"},
			&ucli.DurationFlag{Name: "interval", Value: time.Hour, Usage: "with --serve: how often the report is recomputed"},
		},
		Action: doraAction,
	}
}

func doraOptions(c *ucli.Context) (gather.Options, string, error) {
	o := gather.Options{Git: c.String("git"), Environments: c.StringSlice("environment"), Application: c.String("application"),
		ArgoNamespace: c.String("argocd-namespace"), AlertMatch: c.String("alert-match"), FailureWindow: c.Duration("failure-window"),
		SLODir: c.String(flagSLODir), ReportsDir: c.String(flagReportsDir), ReportsGit: c.String("reports-git"), ReportsPath: c.String("reports-path"),
		Prometheus: map[string]string{}, RunEnvironments: map[string]string{}, CommitterTime: c.String("commit-time") == "committer"}
	format := c.String(flagFormat)
	if format != "md" && format != "json" && format != "html" {
		return o, "", exitcode.Invalidf("--format %q: use md, json or html", format)
	}
	if ct := c.String("commit-time"); ct != "author" && ct != "committer" {
		return o, "", exitcode.Invalidf("--commit-time %q: use author or committer", ct)
	}
	for _, s := range c.StringSlice("service") {
		sv, err := gather.ParseService(s)
		if err != nil {
			return o, "", exitcode.Invalidf("--service: %w", err)
		}
		o.Services = append(o.Services, sv)
	}
	for _, p := range c.StringSlice(flagPrometheusURL) {
		env, url := "", p
		if e, u, ok := strings.Cut(p, "="); ok && !strings.Contains(e, "://") {
			env, url = e, u
		}
		o.Prometheus[env] = url
	}
	for _, m := range c.StringSlice("run-environment") {
		suite, env, ok := strings.Cut(m, "=")
		if !ok || suite == "" || env == "" {
			return o, "", exitcode.Invalidf("--run-environment %q: want SUITE=ENV", m)
		}
		o.RunEnvironments[suite] = env
	}
	if o.SLODir == slo.DefaultDir && !c.IsSet(flagSLODir) {
		if _, err := os.Stat(o.SLODir); err != nil {
			o.SLODir = "" // not run from the repository: no budgets
		}
	}
	w, err := dora.ParseDuration(c.String("window"))
	if err != nil || w <= 0 {
		return o, "", exitcode.Invalidf("--window %q: want a duration like 28d or 4w", c.String("window"))
	}
	if o.Levels, err = dora.LoadLevels(c.String("levels")); err != nil {
		return o, "", exitcode.Wrap(exitcode.Invalid, err) // names the file, line and field
	}
	cfg, err := kube.RESTConfig(c.String(flagKubeconfig), c.String(flagContext))
	if err != nil {
		return o, "", exitcode.Invalidf("%w: check --kubeconfig and --context", err)
	}
	o.Kube = cfg
	o.Window.To = time.Now().UTC()
	if t := c.Timestamp("until"); t != nil {
		o.Window.To = t.UTC()
	}
	o.Window.From = o.Window.To.Add(-w)
	return o, format, nil
}

func doraAction(c *ucli.Context) error {
	o, format, err := doraOptions(c)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "gameday-dora-")
	if err != nil {
		return exitcode.Infraf("dora: %w", err)
	}
	defer os.RemoveAll(work)
	o.WorkDir = work
	o.Log = c.App.ErrWriter
	if addr := c.String("serve"); addr != "" {
		return doraServe(c, o, addr)
	}
	o.Now = o.Window.To
	if !c.IsSet("until") {
		o.Now = time.Now().UTC()
	}
	rep, err := gather.Report(c.Context, o)
	if err != nil {
		return err
	}
	return writeReport(c, "dora", format, rep)
}

// doraServe serves the gauges on addr, recomputing the report (window
// ending now) every --interval until the context ends. A failed refresh
// keeps the last report and says so on stderr.
func doraServe(c *ucli.Context, o gather.Options, addr string) error {
	window := o.Window.To.Sub(o.Window.From)
	col := &dora.Collector{}
	reg := prometheus.NewRegistry()
	reg.MustRegister(col)
	pinned := c.IsSet("until") // --until pins the window's end
	refresh := func() error {
		o.Now = time.Now().UTC()
		if pinned {
			o.Now = o.Window.To
		}
		o.Window = dora.Window{From: o.Now.Add(-window), To: o.Now}
		rep, err := gather.Report(c.Context, o)
		if err != nil {
			return err
		}
		col.Set(rep)
		fmt.Fprintf(c.App.ErrWriter, "dora: report %s to %s ready\n", o.Window.From.Format(time.RFC3339), o.Window.To.Format(time.RFC3339))
		return nil
	}
	if err := refresh(); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return exitcode.Invalidf("--serve %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(c.App.ErrWriter, "dora: serving http://%s/metrics, refreshed every %s\n", ln.Addr(), c.Duration("interval"))
	go func() {
		t := time.NewTicker(c.Duration("interval"))
		defer t.Stop()
		for {
			select {
			case <-c.Context.Done():
				ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Context), 5*time.Second)
				defer cancel()
				_ = srv.Shutdown(ctx)
				return
			case <-t.C:
				if err := refresh(); err != nil && c.Context.Err() == nil {
					fmt.Fprintf(c.App.ErrWriter, "dora: refresh failed, serving the last report: %v\n", err)
				}
			}
		}
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return exitcode.Infraf("dora: serve: %w", err)
	}
	return nil
}
