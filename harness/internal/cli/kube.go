package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/kube"
	"github.com/gamedayhq/gameday/harness/internal/load"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// Flags of the kubernetes target.
const (
	flagTarget         = "target"
	flagKubeconfig     = "kubeconfig"
	flagContext        = "context"
	flagNamespace      = "namespace"
	flagDeployment     = "deployment"
	flagAllowNamespace = "allow-namespace"
	flagAllowProd      = "allow-prod"
	flagProdLabel      = "prod-label"
	flagZoneMap        = "zone-map"
	flagInjectTimeout  = "inject-timeout"
	flagKillSwitch     = "kill-switch"
	flagLoadWorkers    = "load-workers"
	flagLoadImage      = "load-image"
	flagLoadTarget     = "load-target"
	flagLoadLead       = "load-lead"
	flagFilterNS       = "chaos-mesh-filter-namespace"
	flagLoadCPU        = "load-worker-cpu"
	flagLoadMemory     = "load-worker-memory"
)

// clusterFlags connect to a cluster.
func clusterFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.StringFlag{Name: flagKubeconfig, Usage: "kubeconfig file (default $KUBECONFIG, ~/.kube/config, else the in-cluster service account)"},
		&ucli.StringFlag{Name: flagContext, Usage: "kubeconfig context (default the current one)"},
		&ucli.StringFlag{Name: flagNamespace, Aliases: []string{"n"}, Usage: "namespace of PetClinic (default the target's, else petclinic)"},
		&ucli.StringFlag{Name: flagKillSwitch, Value: kube.DefaultKillSwitch, Usage: "the kill switch ConfigMap, namespace/name: engaged=true aborts every run", EnvVars: []string{"GAMEDAY_KILL_SWITCH"}},
	}
}

// kubeFlags are the run and gate flags of the kubernetes target.
func kubeFlags() []ucli.Flag {
	return append([]ucli.Flag{
		&ucli.StringFlag{Name: flagTarget, Usage: "sandbox or kubernetes: overrides the experiment's target.kind (the same experiment file runs on both)"},
		&ucli.StringFlag{Name: flagDeployment, Usage: "PetClinic Deployment (default the target's, else petclinic)"},
		&ucli.StringSliceFlag{Name: flagAllowNamespace, Usage: "namespace faults may touch (repeat; path.Match patterns); none allowed by default", EnvVars: []string{kube.EnvAllowedNamespaces}},
		&ucli.BoolFlag{Name: flagAllowProd, Usage: "allow a namespace labelled as production, for experiments marked metadata.prodSafe"},
		&ucli.StringFlag{Name: flagProdLabel, Value: kube.DefaultProdLabel, Usage: "namespace label key=value that marks production"},
		&ucli.StringFlag{Name: flagZoneMap, Usage: "zones of the experiment onto the cluster's, e.g. zone-a=eu-west-1a,zone-b=eu-west-1b (default: sorted order)"},
		&ucli.DurationFlag{Name: flagInjectTimeout, Value: kube.DefaultInjectTimeout, Usage: "wait this long for Chaos Mesh to confirm an injection, else the run is inconclusive (exit 3)"},
		&ucli.BoolFlag{Name: flagFilterNS, Value: true, Usage: "the cluster's Chaos Mesh filters namespaces (enableFilterNamespace): refuse a namespace without the annotation chaos-mesh.org/inject=enabled; false skips the check"},
		&ucli.IntFlag{Name: flagLoadWorkers, Usage: "send the load from an indexed Job of N workers in the target namespace, each at rate/N (default: from this process)"},
		&ucli.StringFlag{Name: flagLoadImage, Usage: "image of the load workers (the gameday image)", EnvVars: []string{"GAMEDAY_IMAGE"}},
		&ucli.StringFlag{Name: flagLoadTarget, Usage: "PetClinic's URL as the workers reach it (default --target-url), e.g. http://petclinic.petclinic.svc:8080"},
		&ucli.StringFlag{Name: flagLoadCPU, Value: kube.DefaultWorkerCPU, Usage: "CPU each load worker requests (no CPU limit: throttling would look like PetClinic's latency)"},
		&ucli.StringFlag{Name: flagLoadMemory, Value: kube.DefaultWorkerMemory, Usage: "memory each load worker requests, and its limit"},
		&ucli.DurationFlag{Name: flagLoadLead, Value: kube.DefaultLoadLead, Usage: "time the workers' pods have to start before the load begins"},
	}, clusterFlags()...)
}

// clusterEngine is the Chaos Mesh engine of cleanup and kill-switch: the
// cluster of their flags, PetClinic's default namespace and Deployment.
func clusterEngine(c *ucli.Context) (*kube.Engine, error) {
	ko, err := kubeOptionsOf(c)
	if err != nil {
		return nil, err
	}
	return ko.engine(spec.DefaultNamespace, spec.DefaultDeployment, nil, c.App.ErrWriter)
}

const flagAllNamespaces = "all-namespaces"

// cleanupFlags are the kubernetes flags of gameday cleanup.
func cleanupFlags() []ucli.Flag {
	return append([]ucli.Flag{
		&ucli.BoolFlag{Name: flagAllNamespaces, Aliases: []string{"A"}, Usage: "kubernetes: clean up every namespace of --allow-namespace (names; patterns need list on namespaces), not only --namespace"},
		&ucli.StringSliceFlag{Name: flagAllowNamespace, Usage: "kubernetes, with --all-namespaces: the namespaces to clean up (repeat or comma list; path.Match patterns)", EnvVars: []string{kube.EnvAllowedNamespaces}},
	}, clusterFlags()...)
}

// kubeCleanup deletes every chaos object and load Job carrying our labels
// in the namespace of the flags, or in every namespace of the allowlist
// with --all-namespaces (of run --run-id only, when set).
func kubeCleanup(c *ucli.Context) error {
	en, err := clusterEngine(c)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Context), 2*time.Minute)
	defer cancel()
	namespaces := []string{en.Config().Namespace}
	if c.Bool(flagAllNamespaces) {
		if namespaces, err = en.CleanupNamespaces(ctx); err != nil && len(namespaces) == 0 {
			return exitcode.Invalidf("cleanup --all-namespaces: %w", err)
		} else if err != nil {
			fmt.Fprintf(c.App.ErrWriter, "gameday: %v; cleaning up %s\n", err, strings.Join(namespaces, ", "))
		}
	}
	var errs []error
	for _, ns := range namespaces {
		did, err := en.CleanupIn(ctx, c.String(flagRunID), ns)
		for _, d := range did {
			fmt.Fprintln(c.App.Writer, d)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("namespace %s: %w", ns, err))
		} else if len(did) == 0 {
			fmt.Fprintf(c.App.Writer, "nothing to clean up in namespace %s\n", ns)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return exitcode.Infraf("cleanup: %w (run it again; the objects' durations end the faults anyway)", err)
	}
	return nil
}

func killSwitchCommand() *ucli.Command {
	action := func(engage bool) ucli.ActionFunc {
		return func(c *ucli.Context) error {
			en, err := clusterEngine(c)
			if err != nil {
				return err
			}
			if err := en.SetKillSwitch(c.Context, engage); err != nil {
				return exitcode.Infraf("kill switch %s: %w", en.Config().KillSwitch, err)
			}
			state := "released"
			if engage {
				state = "engaged: every run aborts within seconds, none starts"
			}
			fmt.Fprintf(c.App.Writer, "kill switch %s %s\n", en.Config().KillSwitch, state)
			return nil
		}
	}
	return &ucli.Command{
		Name:  "kill-switch",
		Usage: "engage or release the cluster-wide kill switch of every Kubernetes run",
		Description: `Every gameday run on Kubernetes reads the kill switch ConfigMap (--kill-switch,
default gameday/gameday-kill-switch) every 2 s: once its data says engaged=true, the run
aborts (exit 4) after recovering its faults, and no run passes preflight.

EXAMPLES:
   gameday kill-switch engage
   gameday kill-switch release --context prod`,
		Subcommands: []*ucli.Command{
			{Name: "engage", Usage: "abort every run", Flags: clusterFlags(), Action: action(true)},
			{Name: "release", Usage: "let runs start again", Flags: clusterFlags(), Action: action(false)},
		},
	}
}

// loadWorkerCommand is one worker of the load Job (hidden): it sends its
// share of the load from --start-at and prints one JSON line per second.
func loadWorkerCommand() *ucli.Command {
	return &ucli.Command{
		Name:   "load-worker",
		Hidden: true,
		Usage:  "one worker of a Kubernetes load Job: its share of the load, one JSON line per second",
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "target", Required: true, Usage: "PetClinic's URL"},
			&ucli.StringFlag{Name: "load", Required: true, Usage: "the worker's share of spec.load, as JSON"},
			&ucli.IntFlag{Name: "workers", Value: 1, Usage: "workers in the Job (informational)"},
			&ucli.IntFlag{Name: "index", Usage: "this worker's index", EnvVars: []string{"JOB_COMPLETION_INDEX"}},
			&ucli.TimestampFlag{Name: "start-at", Layout: time.RFC3339Nano, Usage: "when every worker starts"},
			&ucli.StringFlag{Name: flagRunID},
		},
		Action: func(c *ucli.Context) error {
			var l spec.Load
			if err := json.Unmarshal([]byte(c.String("load")), &l); err != nil {
				return exitcode.Invalidf("--load: %w", err)
			}
			start := time.Now()
			if ts := c.Timestamp("start-at"); ts != nil {
				start = *ts
			}
			err := kube.RunWorker(c.Context, kube.WorkerConfig{Target: c.String("target"), Load: l, Index: c.Int("index"), StartAt: start, RunID: c.String(flagRunID)}, c.App.Writer)
			if err != nil && !errors.Is(err, load.ErrAborted) {
				return exitcode.Infraf("load worker %d: %w", c.Int("index"), err)
			}
			return nil
		},
	}
}
