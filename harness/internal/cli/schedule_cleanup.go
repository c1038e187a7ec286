package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"
	batchv1 "k8s.io/api/batch/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/gamedayhq/gameday/harness/internal/kube"
	"github.com/gamedayhq/gameday/harness/internal/sandbox"
	"github.com/gamedayhq/gameday/harness/internal/schedule"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// kubeSite is a cluster the kubernetes schedules run on, and the
// namespaces their game days put chaos objects and load Jobs in.
type kubeSite struct {
	kubeconfig, context string
	namespaces          []string
}

// crashRecovery is the scheduler's Recover: before the first fire of a
// replica that leads, it removes what a crashed game day of these
// schedules left behind. On the sandbox that is every fault of its run
// state (gameday cleanup); on Kubernetes, in the namespaces of the
// kubernetes schedules, the Chaos Mesh objects and load Jobs labelled
// managed-by=gameday whose run id is one of these schedules' (the
// engine's CleanupIn, as gameday cleanup --target kubernetes): another
// tool's run (a CronJob's, an SRE's gameday run) in the same namespace is
// alive, not crashed, and is left alone. Only the Lease's holder runs
// these schedules, so a run of theirs it finds is a dead leader's.
func crashRecovery(c *ucli.Context, f *schedule.File, sdir string, log *slog.Logger) func(context.Context) error {
	sites := kubeSites(c, f)
	ours := scheduleRunIDs(f)
	return func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		var errs []error
		if st, err := sandbox.Status(ctx, sdir); err == nil && st.Running {
			en, err := sandboxEngine(sdir, st)
			if err == nil {
				var did []string
				did, err = en.Cleanup(ctx, "")
				for _, d := range did {
					log.Warn("recovered a fault a crashed run left behind", "fault", d)
				}
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("sandbox %s: %w", sdir, err))
			}
		}
		for _, s := range sites {
			did, err := s.cleanup(ctx, ours)
			for _, d := range did {
				log.Warn("recovered what a crashed run left behind", "object", d)
			}
			if err != nil {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	}
}

// kubeSites groups the kubernetes schedules of f by cluster (their
// kubeconfig and context flags, else the scheduler's), each with the
// namespaces its experiments run in: the schedule's namespace flag, else
// each experiment's target namespace, else the default.
func kubeSites(c *ucli.Context, f *schedule.File) []kubeSite {
	var sites []kubeSite
	for _, p := range f.Plans {
		if p.Target != schedule.TargetKubernetes {
			continue
		}
		kc := cmp.Or(p.Flags[flagKubeconfig], c.String(flagKubeconfig))
		kx := cmp.Or(p.Flags[flagContext], c.String(flagContext))
		i := slices.IndexFunc(sites, func(s kubeSite) bool { return s.kubeconfig == kc && s.context == kx })
		if i < 0 {
			sites = append(sites, kubeSite{kubeconfig: kc, context: kx})
			i = len(sites) - 1
		}
		for _, ns := range scheduleNamespaces(f, p) {
			if !slices.Contains(sites[i].namespaces, ns) {
				sites[i].namespaces = append(sites[i].namespaces, ns)
			}
		}
	}
	return sites
}

// scheduleNamespaces are the namespaces p's game days run in.
func scheduleNamespaces(f *schedule.File, p *schedule.Plan) []string {
	if ns := p.Flags[flagNamespace]; ns != "" {
		return []string{ns}
	}
	// The file was validated on load; an experiment that no longer loads
	// runs nowhere, and its fire says why.
	cat, _ := spec.LoadPath(f.Resolve(cmp.Or(p.Suite, p.Experiment)))
	var exps []*spec.Experiment
	if cat != nil {
		exps = cat.Experiments
		for _, s := range cat.Suites {
			exps = append(exps, s.Experiments...)
		}
	}
	var out []string
	for _, e := range exps {
		ns := spec.DefaultNamespace
		if t := e.Spec.Target; t != nil && t.Kubernetes != nil && t.Kubernetes.Namespace != "" {
			ns = t.Kubernetes.Namespace
		}
		if !slices.Contains(out, ns) {
			out = append(out, ns)
		}
	}
	if len(out) == 0 {
		out = []string{spec.DefaultNamespace}
	}
	return out
}

// scheduleRunIDs matches the run ids the scheduler gives the game days of
// f's schedules: 20060102-150405-<schedule>, and -<experiment> after it
// for each experiment of a suite.
func scheduleRunIDs(f *schedule.File) *regexp.Regexp {
	var names []string
	for _, p := range f.Plans {
		names = append(names, regexp.QuoteMeta(p.Name))
	}
	return regexp.MustCompile(`^[0-9]{8}-[0-9]{6}-(` + strings.Join(names, "|") + `)(-.+)?$`)
}

// cleanup removes, in each namespace of s, the objects of the runs ours
// matches, one run at a time.
func (s kubeSite) cleanup(ctx context.Context, ours *regexp.Regexp) ([]string, error) {
	rc, err := kube.RESTConfig(s.kubeconfig, s.context)
	if err != nil {
		return nil, fmt.Errorf("kubernetes: %w", err)
	}
	cl, err := kube.NewClient(rc)
	if err != nil {
		return nil, fmt.Errorf("kubernetes: %w", err)
	}
	var did []string
	var errs []error
	for _, ns := range s.namespaces {
		en, err := kube.New(kube.Config{Client: cl, RESTConfig: rc, Namespace: ns})
		if err != nil {
			return did, err
		}
		runs, err := leftoverRuns(ctx, cl, ns, ours)
		if err != nil {
			errs = append(errs, fmt.Errorf("namespace %s: %w", ns, err))
			continue
		}
		for _, id := range runs {
			d, err := en.CleanupIn(ctx, id, ns)
			did = append(did, d...)
			if err != nil {
				errs = append(errs, fmt.Errorf("namespace %s, run %s: %w", ns, id, err))
			}
		}
	}
	return did, errors.Join(errs...)
}

// leftoverRuns are the run ids of the gameday chaos objects and load Jobs
// in ns that ours matches, sorted.
func leftoverRuns(ctx context.Context, cl client.Client, ns string, ours *regexp.Regexp) ([]string, error) {
	managed := map[string]string{kube.LabelManagedBy: kube.ManagedBy}
	objs, err := kube.Items(ctx, cl, ns, managed)
	if err != nil {
		return nil, err
	}
	var jobs batchv1.JobList
	if err := cl.List(ctx, &jobs, client.InNamespace(ns), client.MatchingLabels(managed)); err != nil {
		return nil, fmt.Errorf("list load Jobs: %w", err)
	}
	for i := range jobs.Items {
		objs = append(objs, &jobs.Items[i])
	}
	var runs []string
	for _, o := range objs {
		id := cmp.Or(o.GetAnnotations()[kube.AnnotationRunID], o.GetLabels()[kube.LabelRunID])
		if ours.MatchString(id) && !slices.Contains(runs, id) {
			runs = append(runs, id)
		}
	}
	slices.Sort(runs)
	return runs, nil
}
