package cli

import (
	"errors"
	"fmt"
	"os"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/gamedayhq/gameday/harness/internal/dora/argocd"
	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/kube"
	"github.com/gamedayhq/gameday/harness/internal/promote"
)

const (
	flagFrom        = "from"
	flagImageTag    = "image-tag"
	flagImageDigest = "image-digest"
	flagFile        = "file"
	flagApplication = "application"
	flagImage       = "image"
	flagTimeout     = "timeout"
	flagInterval    = "interval"
)

func deployCommand() *ucli.Command {
	fileFlag := &ucli.StringFlag{Name: flagFile, Value: promote.DefaultFile, Usage: "the ApplicationSet whose list generator holds each environment's image"}
	return &ucli.Command{
		Name:  "deploy",
		Usage: "GitOps promotion: set an environment's image in argocd/, wait until Argo CD runs it healthy",
		Description: `Each environment's PetClinic image (imageTag, imageDigest) is an element of the list
generator of argocd/platform/apps/petclinic.yaml; Argo CD passes it to the chart. The
delivery workflow (.github/workflows/delivery.yml, docs/pipeline.md) promotes dev on every
main build, staging once dev is healthy, prod after the resilience gate and an approval.

EXAMPLES:
   gameday deploy show
   gameday deploy promote --repo https://github.com/gamedayhq/gameday.git --environment dev \
       --image-tag sha-1a2b3c4d5e6f --image-digest sha256:...
   gameday deploy promote --repo https://github.com/gamedayhq/gameday.git --environment staging --from dev
   gameday deploy wait --context hub --application petclinic-staging --image ghcr.io/gamedayhq/petclinic@sha256:...`,
		Subcommands: []*ucli.Command{
			{
				Name:      "show",
				Usage:     "print each environment's image, from a file of the work tree",
				ArgsUsage: " ",
				Description: `Reads --file and prints each environment with its image tag and digest.

EXAMPLES:
   gameday deploy show
   gameday deploy show --output json`,
				Flags:  []ucli.Flag{fileFlag, outputFlag()},
				Action: deployShow,
			},
			{
				Name:  "promote",
				Usage: "commit an environment's new image to the GitOps repository (fetch, apply, push, retry)",
				Description: `Sets --environment's imageTag and imageDigest in --file of --repo's --branch, to the
image of --from (the environment that tested it) or to --image-tag and --image-digest, in one
commit on top of the branch's tip (a push that loses a race is applied again on the new tip).
An environment that already runs the image makes no commit. Prints the commit and the image
reference to wait for. The token: --git-credentials or $GIT_TOKEN (never in the URL).
Exit 2: a bad environment or image; 3: the repository could not be reached or refused it.

EXAMPLES:
   gameday deploy promote --repo https://github.com/gamedayhq/gameday.git --environment dev \
       --image-tag sha-1a2b3c4d5e6f --image-digest sha256:0f...
   gameday deploy promote --repo https://github.com/gamedayhq/gameday.git --environment prod --from staging --output json`,
				Flags: append([]ucli.Flag{
					fileFlag, outputFlag(),
					&ucli.StringFlag{Name: flagEnvironment, Required: true, Usage: "the environment promoted to"},
					&ucli.StringFlag{Name: flagFrom, Usage: "the environment whose image is promoted"},
					&ucli.StringFlag{Name: flagImageTag, Usage: "the image tag (without --from)"},
					&ucli.StringFlag{Name: flagImageDigest, Usage: "the image digest sha256:... that pins it"},
					&ucli.StringFlag{Name: "repository", Value: "ghcr.io/gamedayhq/petclinic", Usage: "the image repository, for the reference printed"},
				}, gitFlags("", "the environments are promoted in")...),
				Action: deployPromote,
			},
			{
				Name:  "wait",
				Usage: "wait until an environment's Argo CD Application runs an image, synced and healthy",
				Description: `Reads the Argo CD Application (get on applications.argoproj.io in --argocd-namespace of
the cluster Argo CD runs in) every --interval until it is Synced and Healthy with --image among
the images of its live resources, and no sync operation runs. Prints a line when its state
changes. Exit 0: healthy on the image; 1: not within --timeout (the last state is printed);
3: the Application cannot be read.

EXAMPLES:
   gameday deploy wait --context hub --application petclinic-dev --image ghcr.io/gamedayhq/petclinic@sha256:0f...
   gameday deploy wait --application petclinic-staging --image ghcr.io/gamedayhq/petclinic:sha-1a2b3c4d5e6f --timeout 30m`,
				Flags: append([]ucli.Flag{
					&ucli.StringFlag{Name: flagApplication, Required: true, Usage: "the environment's Application (petclinic-<env>)"},
					&ucli.StringFlag{Name: flagImage, Required: true, Usage: "the image reference its resources must run (repository@digest or repository:tag)"},
					&ucli.StringFlag{Name: "argocd-namespace", Value: argocd.DefaultNamespace, Usage: "namespace of the Argo CD Applications"},
					&ucli.DurationFlag{Name: flagTimeout, Value: promote.DefaultTimeout, Usage: "how long to wait"},
					&ucli.DurationFlag{Name: flagInterval, Value: promote.DefaultInterval, Usage: "between two reads"},
				}, clusterConnFlags()...),
				Action: deployWait,
			},
		},
	}
}

func deployShow(c *ucli.Context) error {
	o, err := output(c)
	if err != nil {
		return err
	}
	doc, err := os.ReadFile(c.String(flagFile))
	if err != nil {
		return exitcode.Invalidf("deploy show: %v", err)
	}
	envs, err := promote.Environments(doc)
	if err != nil {
		return exitcode.Invalidf("deploy show: %s: %v", c.String(flagFile), err)
	}
	if o == "json" {
		return writeJSON(c.App.Writer, envs)
	}
	fmt.Fprintf(c.App.Writer, "%-12s %-28s %s\n", "ENVIRONMENT", "TAG", "DIGEST")
	for _, e := range envs {
		fmt.Fprintf(c.App.Writer, "%-12s %-28s %s\n", e.Name, e.Tag, dash(e.Digest))
	}
	return nil
}

func deployPromote(c *ucli.Context) error {
	o, err := output(c)
	if err != nil {
		return err
	}
	p := promote.Promotion{File: c.String(flagFile), Env: c.String(flagEnvironment), From: c.String(flagFrom),
		Image: promote.Image{Tag: c.String(flagImageTag), Digest: c.String(flagImageDigest)}}
	switch {
	case p.From == "" && p.Image.Tag == "":
		return exitcode.Invalidf("deploy promote: give --%s ENV or --%s (and --%s)", flagFrom, flagImageTag, flagImageDigest)
	case p.From != "" && (p.Image.Tag != "" || p.Image.Digest != ""):
		return exitcode.Invalidf("deploy promote: --%s or --%s, not both", flagFrom, flagImageTag)
	case p.From == p.Env:
		return exitcode.Invalidf("deploy promote: --%s %s is the environment promoted to", flagFrom, p.From)
	case p.From == "":
		if err := p.Image.Check(); err != nil {
			return exitcode.Invalidf("deploy promote: %v", err)
		}
	}
	remote, err := remoteOf(c, "repo", "branch")
	if err != nil {
		return err
	}
	var img promote.Image
	res, err := remote.Commit(c.Context, p.Change(&img))
	if err != nil {
		return gitError("deploy promote", err)
	}
	ref := img.Ref(c.String("repository"))
	if o == "json" {
		return writeJSON(c.App.Writer, map[string]any{"environment": p.Env, "from": p.From, "tag": img.Tag, "digest": img.Digest,
			"image": ref, "commit": res.Commit, "changed": res.Changed, "attempts": res.Attempts})
	}
	if res.Changed {
		fmt.Fprintf(c.App.Writer, "%s: %s, committed %s to %s of %s\n", p.Env, img, shortHash(res.Commit), remote.Branch, remote.URL)
	} else {
		fmt.Fprintf(c.App.Writer, "%s: already %s, nothing to commit (%s is at %s)\n", p.Env, img, remote.Branch, shortHash(res.Commit))
	}
	fmt.Fprintf(c.App.Writer, "image %s\n", ref)
	return nil
}

func deployWait(c *ucli.Context) error {
	rc, err := kube.RESTConfig(c.String(flagKubeconfig), c.String(flagContext))
	if err != nil {
		return exitcode.Infraf("deploy wait: %w", err)
	}
	apps, err := argocd.New(rc, c.String("argocd-namespace"))
	if err != nil {
		return exitcode.Infraf("deploy wait: %w", err)
	}
	start := time.Now()
	st, err := promote.Wait(c.Context, promote.WaitConfig{Apps: apps, Application: c.String(flagApplication), Image: c.String(flagImage),
		Timeout: c.Duration(flagTimeout), Interval: c.Duration(flagInterval), Log: c.App.ErrWriter})
	switch {
	case errors.Is(err, promote.ErrNotHealthy):
		return exitcode.Failedf("deploy wait: %w", err)
	case err != nil:
		return exitcode.Infraf("deploy wait: %w", err)
	}
	fmt.Fprintf(c.App.Writer, "%s: healthy on %s after %s (%s)\n", c.String(flagApplication), c.String(flagImage), time.Since(start).Round(time.Second), st)
	return nil
}
