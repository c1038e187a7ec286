// Package gather assembles a DORA report from the real sources: it opens
// (or clones) the git repository, reads the Argo CD Applications, the
// ALERTS and SLO budgets of each environment's Prometheus and the game-day
// run history, and runs the analysis of package dora for every service and
// environment asked for. gameday dora is its command line; Serve keeps a
// Collector up to date for --serve.
package gather

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"k8s.io/client-go/rest"

	"github.com/gamedayhq/gameday/harness/internal/dora"
	"github.com/gamedayhq/gameday/harness/internal/dora/argocd"
	"github.com/gamedayhq/gameday/harness/internal/dora/git"
	"github.com/gamedayhq/gameday/harness/internal/dora/prom"
	"github.com/gamedayhq/gameday/harness/internal/dora/runs"
	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/slo"
)

// Service is a service and the paths of the repository that are its
// changes (none: every commit).
type Service struct {
	Name  string
	Paths []string
}

// ParseService reads NAME or NAME=PATH,PATH.
func ParseService(s string) (Service, error) {
	name, paths, _ := strings.Cut(s, "=")
	if name == "" {
		return Service{}, fmt.Errorf("service %q: want NAME or NAME=PATH,PATH", s)
	}
	sv := Service{Name: name}
	for _, p := range strings.Split(paths, ",") {
		if p = strings.TrimSpace(p); p != "" {
			sv.Paths = append(sv.Paths, p)
		}
	}
	return sv, nil
}

// Options are the sources and the window of a report.
type Options struct {
	// Git is the repository: a path, or a URL cloned (bare) into WorkDir.
	Git      string
	Services []Service
	// Environments: none means every environment the Applications carry.
	Environments []string
	// Application overrides <service>-<environment> (one of each only).
	Application string
	Kube        *rest.Config
	// ArgoNamespace is where the Applications are.
	ArgoNamespace string
	// Prometheus maps an environment to its Prometheus; the key "" serves
	// every environment without its own.
	Prometheus    map[string]string
	AlertMatch    string
	FailureWindow time.Duration
	// SLODir holds the SLO specs (the budget per deployment); "" none.
	SLODir string
	// ReportsDir is the reports tree; ReportsGit a repository of published
	// reports cloned into WorkDir, read at ReportsPath.
	ReportsDir, ReportsGit, ReportsPath string
	// RunEnvironments maps a suite to the environment its runs act in.
	RunEnvironments map[string]string
	Window          dora.Window
	Levels          *dora.Levels
	CommitterTime   bool
	// Now is when the report is made (failures still open are open now).
	Now     time.Time
	WorkDir string
	// Log gets a line per step (nil: none).
	Log io.Writer
}

func (o Options) logf(format string, a ...any) {
	if o.Log != nil {
		fmt.Fprintf(o.Log, "dora: "+format+"\n", a...)
	}
}

// Report gathers the sources and builds the report. Errors carry their
// exit code: bad input 2 (not a repository, unknown environment), the
// sources 3 (no Argo CD access, Prometheus unreachable).
func Report(ctx context.Context, o Options) (*dora.Report, error) {
	r := &dora.Report{SchemaVersion: dora.ReportSchema, At: o.Now.UTC(), Window: o.Window, Levels: o.Levels,
		Sources: dora.Sources{Git: o.Git, AlertMatch: o.AlertMatch, FailureWindowSeconds: o.FailureWindow.Seconds(), Prometheus: map[string]string{}}}
	// Clones go into a folder of this report only: a served report
	// (refreshed every interval) reads the repositories as they are now.
	work, err := os.MkdirTemp(o.WorkDir, "report-")
	if err != nil {
		return nil, exitcode.Infraf("dora: %w", err)
	}
	defer os.RemoveAll(work)
	o.WorkDir = work
	repoPath := o.Git
	if strings.Contains(o.Git, "://") {
		repoPath = filepath.Join(o.WorkDir, "repo.git")
		o.logf("cloning %s", o.Git)
		if _, err := git.Clone(ctx, o.Git, repoPath, git.Options{}); err != nil {
			return nil, exitcode.Infraf("dora: %w", err)
		}
	}
	repos := map[string]*git.Repo{}
	for _, s := range o.Services {
		g, err := git.Open(repoPath, git.Options{Paths: s.Paths, CommitterTime: o.CommitterTime})
		if errors.Is(err, git.ErrNotRepository) || errors.Is(err, fs.ErrNotExist) {
			return nil, exitcode.Invalidf("dora: --git: %w", err)
		}
		if err != nil {
			return nil, exitcode.Infraf("dora: %w", err)
		}
		repos[s.Name] = g
	}

	ac, err := argocd.New(o.Kube, o.ArgoNamespace)
	if err != nil {
		return nil, exitcode.Invalidf("dora: %w", err)
	}
	r.Sources.ArgoCD = ac.Server + " namespace " + ac.Namespace
	apps, err := ac.List(ctx)
	if err != nil {
		return nil, exitcode.Infraf("dora: %w", err)
	}
	o.logf("%d Applications in %s on %s", len(apps), ac.Namespace, ac.Server)
	envs := o.Environments
	if len(envs) == 0 {
		envs = argocd.Environments(apps)
		if len(envs) == 0 {
			return nil, exitcode.Invalidf("dora: no Application in %s carries the label %s: which environments? (--environment)", ac.Namespace, argocd.LabelEnvironment)
		}
	}
	if o.Application != "" && (len(envs) != 1 || len(o.Services) != 1) {
		return nil, exitcode.Invalidf("dora: --application names one Application: give one --service and one --environment")
	}

	runsByEnv, runWarnings, runSrc, err := o.runs(ctx)
	if err != nil {
		return nil, err
	}
	r.Warnings = append(r.Warnings, runWarnings...)
	r.Sources.Runs = runSrc

	var slos *slo.Set
	if o.SLODir != "" {
		if slos, err = slo.Load(o.SLODir); err != nil {
			return nil, exitcode.Invalidf("dora: SLO specs in %s:\n%w", o.SLODir, err)
		}
	}

	for _, s := range o.Services {
		// The other environments are analysed too (no alerts, no budget):
		// their game days ran against revisions that reach the reported
		// environments (a staging gate before prod).
		var entries []*dora.Entry
		var others []*dora.Analysis
		for _, env := range append(slices.Clone(envs), argocd.Environments(apps)...) {
			if slices.ContainsFunc(entries, func(e *dora.Entry) bool { return e.Environment == env }) ||
				slices.ContainsFunc(others, func(a *dora.Analysis) bool { return a.Environment == env }) {
				continue
			}
			reported := slices.Contains(envs, env)
			a, err := argocd.Find(apps, ac.Namespace, s.Name, env, o.Application)
			switch {
			case err != nil && reported:
				return nil, exitcode.Invalidf("dora: %w", err)
			case err != nil:
				continue // the service is not in that environment
			}
			an, err := o.analyze(ctx, s, a, runsByEnv[env], repos[s.Name], slos, reported, r)
			if err != nil {
				return nil, err
			}
			if reported {
				entries = append(entries, dora.NewEntry(an, o.Window, o.Levels))
			} else {
				others = append(others, an)
			}
		}
		for _, e := range entries {
			for i := range e.Deployments {
				e.Deployments[i].VersionRuns = versionRuns(e.Deployments[i].Revision, e.Environment, entries, others)
			}
		}
		r.Entries = append(r.Entries, entries...)
	}
	return r, nil
}

// analyze reads the alerts and budgets of a reported environment and
// analyses the Application's timeline.
func (o Options) analyze(ctx context.Context, s Service, a *argocd.Application, runs []dora.Run, repo *git.Repo, slos *slo.Set, reported bool, r *dora.Report) (*dora.Analysis, error) {
	env := a.Labels[argocd.LabelEnvironment]
	in := dora.Input{Service: s.Name, App: a.Dora(), Repo: repo, Runs: runs, FailureWindow: o.FailureWindow, Now: o.Now}
	var src *prom.Source
	if reported {
		var url string
		var err error
		if src, url, err = o.prometheus(env); err != nil {
			return nil, err
		}
		if src == nil {
			in.AlertsNotRead = "no --prometheus-url for " + env
		} else {
			r.Sources.Prometheus[env] = url
			sel, err := prom.Selector(s.Name, o.AlertMatch)
			if err != nil {
				return nil, exitcode.Invalidf("dora: --alert-match: %w", err)
			}
			from := o.Window.From
			for _, h := range in.App.History {
				if h.DeployedAt.Before(from) {
					from = h.DeployedAt
				}
			}
			if in.Alerts, err = src.Alerts(ctx, sel, from, o.Now); err != nil {
				return nil, exitcode.Infraf("dora: alerts of %s in %s: %w", s.Name, env, err)
			}
		}
	}
	an, err := dora.Analyze(in)
	if err != nil {
		return nil, exitcode.Infraf("dora: %w", err)
	}
	o.logf("%s in %s: %d history entries, %d fast-burn alert intervals, %d game days", s.Name, env, len(in.App.History), len(in.Alerts), len(in.Runs))
	if src != nil && slos != nil {
		mine := slices.DeleteFunc(slices.Clone(slos.SLOs), func(x *slo.SLO) bool { return x.Service != s.Name })
		for i := range an.Deployments {
			d := &an.Deployments[i]
			if !d.Counted || !o.Window.Contains(d.DeployedAt) {
				continue
			}
			until := d.Until
			if until.IsZero() {
				until = o.Now
			}
			d.Budget = src.Burned(ctx, mine, d.DeployedAt, until)
		}
	}
	return an, nil
}

// versionRuns are the game days of other environments run while they ran
// revision rev.
func versionRuns(rev, env string, entries []*dora.Entry, others []*dora.Analysis) []dora.Run {
	var out []dora.Run
	add := func(a *dora.Analysis) {
		if a.Environment == env {
			return
		}
		for _, d := range a.Deployments {
			if d.Revision == rev {
				out = append(out, d.Runs...)
			}
		}
	}
	for _, e := range entries {
		add(e.Analysis)
	}
	for _, a := range others {
		add(a)
	}
	return out
}

// prometheus is the source of env (nil without one).
func (o Options) prometheus(env string) (*prom.Source, string, error) {
	url, ok := o.Prometheus[env]
	if !ok {
		url = o.Prometheus[""]
	}
	if url == "" {
		return nil, "", nil
	}
	src, err := prom.New(url, 30*time.Second)
	if err != nil {
		return nil, "", exitcode.Invalidf("dora: --prometheus-url: %w", err)
	}
	return src, url, nil
}

// runs reads the run history and sorts the runs by environment.
func (o Options) runs(ctx context.Context) (map[string][]dora.Run, []string, string, error) {
	root := o.ReportsDir
	if o.ReportsGit != "" {
		dir := filepath.Join(o.WorkDir, "reports")
		o.logf("cloning %s", o.ReportsGit)
		if err := git.CloneFiles(ctx, o.ReportsGit, dir); err != nil {
			return nil, nil, "", exitcode.Infraf("dora: --reports-git: %w", err)
		}
		root = filepath.Join(dir, o.ReportsPath)
	}
	if root == "" {
		return nil, nil, "", nil
	}
	all, warnings, err := runs.Tree{Root: root}.Runs(ctx)
	if err != nil {
		return nil, nil, "", exitcode.Infraf("dora: %w", err)
	}
	out := map[string][]dora.Run{}
	unmapped := map[string]int{}
	for _, r := range all {
		env, ok := o.RunEnvironments[r.Suite]
		if !ok {
			unmapped[r.Suite]++
			continue
		}
		r.Environment = env
		out[env] = append(out[env], r)
	}
	if len(unmapped) > 0 {
		var parts []string
		for s, n := range unmapped {
			parts = append(parts, fmt.Sprintf("%s (%d)", s, n))
		}
		sort.Strings(parts)
		warnings = append(warnings, fmt.Sprintf("game days of suites without an environment are not counted: %s (--run-environment SUITE=ENV)", strings.Join(parts, ", ")))
	}
	return out, warnings, root, nil
}
