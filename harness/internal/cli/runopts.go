package cli

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/kube"
	"github.com/gamedayhq/gameday/harness/internal/probe"
	"github.com/gamedayhq/gameday/harness/internal/runner"
	"github.com/gamedayhq/gameday/harness/internal/sandbox"
	"github.com/gamedayhq/gameday/harness/internal/schedule"
	"github.com/gamedayhq/gameday/harness/internal/slo"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// runOptions are the options of a run: gameday run and gate read them from
// their flags, the scheduler from a schedule's target and flags through the
// same flag definitions (runOptionsFrom), so that a flag means one thing.
type runOptions struct {
	// SandboxDir is the sandbox of sandbox targets.
	SandboxDir string
	// Target overrides the experiment's target.kind ("": the file's).
	Target string
	// TargetURL, PrometheusURL and LokiURL win over the experiment's.
	TargetURL, PrometheusURL, LokiURL string
	Kube                              kubeOptions
	// Guard is the error-budget guard's configuration (slo.NewGuard).
	Guard slo.GuardConfig
	// NoColor turns colour off in the live progress.
	NoColor bool
}

// kubeOptions are the flags of the kubernetes target and of the commands
// that reach a cluster (cleanup, kill-switch); a command without some of
// them leaves them zero.
type kubeOptions struct {
	Kubeconfig, Context, Namespace, Deployment string
	// Allowed are the namespaces faults may touch (--allow-namespace, split
	// on commas).
	Allowed           []string
	AllowProd         bool
	ProdLabel         string
	ZoneMap           map[string]string
	KillSwitch        string
	InjectTimeout     time.Duration
	NoFilterNamespace bool
	// The load Job (LoadWorkers > 0).
	LoadWorkers                             int
	LoadImage, LoadTarget, LoadCPU, LoadMem string
	LoadLead                                time.Duration
}

// flagValues are the typed values of parsed flags (*ucli.Context).
type flagValues interface {
	String(name string) string
	StringSlice(name string) []string
	Bool(name string) bool
	Int(name string) int
	Float64(name string) float64
	Duration(name string) time.Duration
	IsSet(name string) bool
}

// flagError is an invalid flag value or combination, naming the flag.
type flagError struct {
	flag string
	err  error
}

func (e *flagError) Error() string { return e.err.Error() }
func (e *flagError) Unwrap() error { return e.err }
func (e *flagError) ExitCode() int { return exitcode.Invalid }

func flagErrorf(name, format string, a ...any) error {
	return &flagError{flag: name, err: fmt.Errorf(format, a...)}
}

// runOptionsOf reads the options of a run from its flags (those of
// runCommandFlags); gate makes the guard strict unless told otherwise. What
// is wrong with the flags alone is found here, before any file or target
// is read.
func runOptionsOf(v flagValues, gate bool) (runOptions, error) {
	o := runOptions{
		SandboxDir: v.String(flagSandboxDir), Target: v.String(flagTarget),
		TargetURL: v.String(flagTargetURL), PrometheusURL: v.String(flagPrometheusURL), LokiURL: v.String(flagLokiURL),
		NoColor: v.Bool(flagNoColor),
		Guard: slo.GuardConfig{Dir: v.String(flagSLODir), Required: v.IsSet(flagSLODir), Off: v.Bool(flagNoGuard),
			Policy: slo.Policy{MinRemaining: v.Float64(flagBudgetMin), BurnRateCap: v.Float64(flagBurnRateCap), Strict: gate}},
	}
	if v.IsSet(flagGuardStrict) {
		o.Guard.Policy.Strict = v.Bool(flagGuardStrict)
	}
	switch o.Target {
	case "", string(spec.TargetSandbox), string(spec.TargetKubernetes):
	default:
		return o, flagErrorf(flagTarget, "--target %q: use sandbox or kubernetes", o.Target)
	}
	if err := o.Guard.Policy.Check(); err != nil {
		return o, flagErrorf(flagBudgetMin, "%w", err)
	}
	var err error
	o.Kube, err = kubeOptionsOf(v)
	return o, err
}

// kubeOptionsOf reads the kubernetes flags.
func kubeOptionsOf(v flagValues) (kubeOptions, error) {
	k := kubeOptions{
		Kubeconfig: v.String(flagKubeconfig), Context: v.String(flagContext), Namespace: v.String(flagNamespace),
		Deployment: v.String(flagDeployment), AllowProd: v.Bool(flagAllowProd), ProdLabel: v.String(flagProdLabel),
		KillSwitch: v.String(flagKillSwitch), InjectTimeout: v.Duration(flagInjectTimeout),
		NoFilterNamespace: v.IsSet(flagFilterNS) && !v.Bool(flagFilterNS),
		LoadWorkers:       v.Int(flagLoadWorkers), LoadImage: v.String(flagLoadImage), LoadTarget: v.String(flagLoadTarget),
		LoadCPU: v.String(flagLoadCPU), LoadMem: v.String(flagLoadMemory), LoadLead: v.Duration(flagLoadLead),
	}
	for _, a := range v.StringSlice(flagAllowNamespace) {
		for _, p := range strings.Split(a, ",") {
			if p = strings.TrimSpace(p); p != "" {
				k.Allowed = append(k.Allowed, p)
			}
		}
	}
	var err error
	if k.ZoneMap, err = parseZoneMap(v.String(flagZoneMap)); err != nil {
		return k, err
	}
	if k.LoadWorkers > 0 {
		if k.LoadImage == "" {
			return k, flagErrorf(flagLoadWorkers, "--load-workers %d needs --load-image (the gameday image the workers run)", k.LoadWorkers)
		}
		if err := kube.CheckWorkerResources(k.LoadCPU, k.LoadMem); err != nil { // a bad quantity is the invocation's fault
			return k, flagErrorf(flagLoadCPU, "--%s/--%s: %w", flagLoadCPU, flagLoadMemory, err)
		}
	}
	return k, nil
}

// parseZoneMap reads zone-a=eu-west-1a,zone-b=eu-west-1b.
func parseZoneMap(s string) (map[string]string, error) {
	m := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		if kv = strings.TrimSpace(kv); kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" || v == "" {
			return nil, flagErrorf(flagZoneMap, "--zone-map %q: want zone=cluster-zone pairs separated by commas, e.g. zone-a=eu-west-1a", s)
		}
		m[k] = v
	}
	return m, nil
}

// runCommandFlags are the flags of gameday run and gate: those a schedule
// may set.
func runCommandFlags() []ucli.Flag { return append(runFlags(), guardFlags()...) }

// scheduleFlags parses a schedule's flags with the definitions of gameday
// run's own (runCommandFlags: the same parsers, defaults and environment
// variables), as if they had been given on its command line.
func scheduleFlags(flags map[string]string) (*ucli.Context, []schedule.FlagError) {
	defs := runCommandFlags()
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	for _, f := range defs {
		_ = f.Apply(fs) // only an environment variable that does not parse fails, and it is read again below
	}
	var errs []schedule.FlagError
	keys := make([]string, 0, len(flags))
	for k := range flags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		switch {
		case fs.Lookup(k) == nil:
			errs = append(errs, schedule.FlagError{Flag: k, Err: errors.New("unknown flag of gameday run (see gameday run --help; names without the leading --)")})
		default:
			if err := fs.Set(k, flags[k]); err != nil {
				errs = append(errs, schedule.FlagError{Flag: k, Err: fmt.Errorf("%q: %s (--%s of gameday run)", flags[k], wants(defs, k, err), k)})
			}
		}
	}
	c := ucli.NewContext(nil, fs, nil)
	c.Command = &ucli.Command{Name: "run", Flags: defs}
	return c, errs
}

// wants says what the flag named name takes, for a value it refused with
// err.
func wants(defs []ucli.Flag, name string, err error) string {
	for _, f := range defs {
		if !slices.Contains(f.Names(), name) {
			continue
		}
		switch f.(type) {
		case *ucli.BoolFlag:
			return "want true or false"
		case *ucli.IntFlag:
			return "want a whole number"
		case *ucli.Float64Flag:
			return "want a number"
		case *ucli.DurationFlag:
			return "want a duration such as 30s or 2m"
		}
	}
	return err.Error()
}

// fireOptions are the options of a schedule's fire: its flags read as
// gameday run reads its own, its target, and the scheduler's sandbox
// unless the schedule names one.
func fireOptions(s *schedule.Schedule, sandboxDir string) (runOptions, error) {
	c, errs := scheduleFlags(s.Flags)
	if len(errs) > 0 {
		return runOptions{}, exitcode.Invalidf("schedule %s: flags.%s: %w", s.Name, errs[0].Flag, errs[0].Err)
	}
	o, err := runOptionsOf(c, false)
	if err != nil {
		return o, err
	}
	o.Target, o.NoColor = s.Target, true
	if _, set := s.Flags[flagSandboxDir]; !set && sandboxDir != "" {
		o.SandboxDir = sandboxDir
	}
	return o, nil
}

// checkScheduleFlags is the schedules loader's check of a schedule's flags
// (gameday validate): each value parsed by its definition, then what
// gameday run would refuse of them before reading any file.
func checkScheduleFlags(flags map[string]string) []schedule.FlagError {
	c, errs := scheduleFlags(flags)
	if len(errs) > 0 {
		return errs
	}
	if _, err := runOptionsOf(c, false); err != nil {
		var fe *flagError
		if errors.As(err, &fe) {
			return []schedule.FlagError{{Flag: fe.flag, Err: fe.err}}
		}
		return []schedule.FlagError{{Err: err}}
	}
	return nil
}

// sandboxDir is the sandbox of the options: --sandbox-dir, else the
// default ($GAMEDAY_HOME/sandbox).
func (o runOptions) sandboxDir() (string, error) {
	if o.SandboxDir != "" {
		return o.SandboxDir, nil
	}
	d, err := sandbox.DefaultDir()
	if err != nil {
		return "", exitcode.Infraf("sandbox directory: %w (set --sandbox-dir or GAMEDAY_HOME)", err)
	}
	return d, nil
}

// runConfig is the Config of runner.SuiteOptions for these options: the
// target of each experiment (resolveTarget), the guard g, the live
// progress on progress, and the report's cost section.
func (o runOptions) runConfig(g *slo.Guard, progress io.Writer, log io.Writer) func(context.Context, *spec.Experiment) (runner.Config, error) {
	tty := isTTY(progress)
	return func(ctx context.Context, e *spec.Experiment) (runner.Config, error) {
		rc, err := o.resolveTarget(ctx, e, log)
		rc.Guard, rc.Progress, rc.TTY, rc.Color = g, progress, tty, tty && !o.NoColor
		if err == nil {
			rc.Sections = costSections(o, rc, e)
		}
		return rc, err
	}
}

// resolveTarget is the target part of e's run configuration: its engine
// and URLs; options win over the experiment, which wins over the sandbox's
// own.
func (o runOptions) resolveTarget(ctx context.Context, e *spec.Experiment, log io.Writer) (runner.Config, error) {
	tg := e.Spec.Target
	rc := runner.Config{
		TargetURL:     o.TargetURL,
		PrometheusURL: cmp.Or(o.PrometheusURL, tg.PrometheusURL),
		LokiURL:       cmp.Or(o.LokiURL, tg.LokiURL),
	}
	if o.onKube(e) {
		return o.kubeTarget(e, rc, log)
	}
	dir, err := o.sandboxDir()
	if err != nil {
		return rc, err
	}
	st, err := sandbox.Status(ctx, dir)
	if err != nil || !st.Running {
		return rc, exitcode.Infraf("experiment %s targets the sandbox, but no sandbox runs in %s: start it with gameday sandbox up", e.Metadata.Name, dir)
	}
	rc.TargetURL = cmp.Or(rc.TargetURL, st.URL)
	rc.PrometheusURL = cmp.Or(rc.PrometheusURL, st.Prometheus.URL)
	if rc.Engine, err = sandboxEngine(dir, st); err != nil {
		return rc, exitcode.Infraf("sandbox engine: %w", err)
	}
	return rc, nil
}

// onKube reports whether e runs on Kubernetes: the options' target, else
// the experiment's.
func (o runOptions) onKube(e *spec.Experiment) bool {
	if o.Target == "" {
		return e.Spec.Target.Kind == spec.TargetKubernetes
	}
	return o.Target == string(spec.TargetKubernetes)
}

// kubeTarget makes e a kubernetes experiment (options over the file) and
// builds its engine, the kill switch's watch and, with load workers, the
// load Job.
func (o runOptions) kubeTarget(e *spec.Experiment, rc runner.Config, log io.Writer) (runner.Config, error) {
	tg := e.Spec.Target
	ko := o.Kube
	k := spec.KubernetesTarget{Namespace: spec.DefaultNamespace, Deployment: spec.DefaultDeployment, Selector: spec.DefaultSelector()}
	if tg.Kubernetes != nil {
		k = *tg.Kubernetes
	}
	old := k.Namespace
	k.Namespace = cmp.Or(ko.Namespace, k.Namespace)
	k.Deployment = cmp.Or(ko.Deployment, k.Deployment)
	k.URL = cmp.Or(rc.TargetURL, k.URL)
	if old != k.Namespace { // selectors defaulted to the file's namespace follow the flag
		for _, f := range e.Spec.Faults {
			if ps := f.Spec.PodSelector(); ps != nil && slices.Equal(ps.Selector.Namespaces, []string{old}) {
				ps.Selector.Namespaces = []string{k.Namespace}
			}
		}
	}
	tg.Kind, tg.Kubernetes = spec.TargetKubernetes, &k
	rc.TargetURL = k.URL
	if rc.TargetURL == "" {
		return rc, exitcode.Invalidf("experiment %s: the kubernetes target needs PetClinic's URL: --target-url https://... (an Ingress, or a kubectl port-forward)", e.Metadata.Name)
	}
	if rc.PrometheusURL == "" && probe.UsesPrometheus(e) {
		return rc, exitcode.Invalidf("experiment %s has promql probes: set --prometheus-url (the cluster's Prometheus, e.g. kubectl -n monitoring port-forward svc/prometheus 9090) or target.prometheusURL", e.Metadata.Name)
	}
	en, err := ko.engine(k.Namespace, k.Deployment, k.Selector, log)
	if err != nil {
		return rc, err
	}
	rc.Engine = en
	rc.Watches = append(rc.Watches, en.KillSwitchWatch(0))
	if ko.LoadWorkers > 0 {
		jl := &kube.JobLoad{Engine: en, Lead: ko.LoadLead, Job: kube.JobConfig{
			Namespace: k.Namespace, Experiment: e.Metadata.Name, Image: ko.LoadImage, Workers: ko.LoadWorkers,
			Target: cmp.Or(ko.LoadTarget, rc.TargetURL), Load: e.Spec.Load, CPU: ko.LoadCPU, Memory: ko.LoadMem,
		}}
		rc.StartLoad = jl.Start
	}
	return rc, nil
}

// engine connects to the cluster of the options.
func (k kubeOptions) engine(namespace, deployment string, selector map[string]string, log io.Writer) (*kube.Engine, error) {
	cfg, err := kube.RESTConfig(k.Kubeconfig, k.Context)
	if err != nil {
		return nil, exitcode.Invalidf("%w: check --kubeconfig and --context", err)
	}
	cl, err := kube.NewClient(cfg)
	if err != nil {
		return nil, exitcode.Infraf("%w", err)
	}
	en, err := kube.New(kube.Config{
		Client: cl, RESTConfig: cfg, Namespace: cmp.Or(k.Namespace, namespace), Deployment: deployment, Selector: selector,
		Allowed: k.Allowed, AllowProd: k.AllowProd, ProdLabel: k.ProdLabel, ZoneMap: k.ZoneMap,
		KillSwitch: k.KillSwitch, InjectTimeout: k.InjectTimeout, NoFilterNamespace: k.NoFilterNamespace, Log: log,
	})
	if err != nil {
		return nil, exitcode.Invalidf("%w", err)
	}
	return en, nil
}
