// Command platformcheck is scripts/platform-check.sh's engine: helm lint
// --strict and render of every chart with each ci/*-values.yaml, the upstream
// charts fetchable offline rendered with our values, the Argo CD manifests
// checked (sources, pinned versions, destinations, generators), then every
// object created with server-side dry-run on a real kube-apiserver (envtest;
// KUBEBUILDER_ASSETS and GAMEDAY_CRDS from scripts/envtest.sh).
//
//	platformcheck [-root DIR] [-render-only] [-o DIR]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/gamedayhq/gameday/helm/validate"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "platformcheck: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("platformcheck", flag.ContinueOnError)
	root := fs.String("root", ".", "repository root")
	renderOnly := fs.Bool("render-only", false, "lint, render and check, without the dry-run on kube-apiserver")
	dump := fs.String("o", "", "also write every rendered group as YAML into this folder")
	if err := fs.Parse(args); err != nil {
		return err
	}
	start := time.Now()
	rep, errs := validate.Collect(*root)
	for _, l := range rep.Lines {
		fmt.Fprintln(out, l)
	}
	fmt.Fprintf(out, "lint, render and Argo CD checks: %.1fs\n", time.Since(start).Seconds())
	if *dump != "" {
		if err := write(*dump, rep.Groups); err != nil {
			return err
		}
	}
	if *renderOnly {
		if len(errs) > 0 {
			return report(errs)
		}
		return nil
	}
	// The dry-run runs even when a check failed: all problems at once.
	start = time.Now()
	s, err := validate.StartAPIServer()
	if err != nil {
		return err
	}
	defer s.Stop() //nolint:errcheck // the result is what matters
	fmt.Fprintf(out, "kube-apiserver %s (envtest) with %d upstream CRDs up in %.1fs\n", validate.KubeVersion, s.CRDs, time.Since(start).Seconds())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	total := 0
	for _, g := range rep.Groups {
		e := s.DryRun(ctx, g.Objects)
		errs = append(errs, e...)
		state := "accepted"
		if len(e) > 0 {
			state = fmt.Sprintf("%d REJECTED", len(e))
		}
		fmt.Fprintf(out, "dry-run %-56s %3d objects %s\n", g.Name, len(g.Objects), state)
		total += len(g.Objects)
	}
	fmt.Fprintf(out, "server-side dry-run (dryRun=All, fieldValidation=Strict): %d objects in %.1fs\n", total, time.Since(start).Seconds())
	if len(errs) > 0 {
		return report(errs)
	}
	return nil
}

func report(errs []error) error {
	lines := make([]string, len(errs))
	for i, e := range errs {
		lines[i] = "  " + e.Error()
	}
	return errors.New(fmt.Sprintf("%d problems:\n", len(errs)) + strings.Join(lines, "\n"))
}

func write(dir string, groups []validate.Group) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, g := range groups {
		var b strings.Builder
		for _, o := range g.Objects {
			y, err := yaml.Marshal(o.Object)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, "---\n# Source: %s\n%s", o.Source, y)
		}
		name := strings.NewReplacer("/", "_", " ", "_", "(", "", ")", "", ",", "").Replace(g.Name)
		if err := os.WriteFile(filepath.Join(dir, strings.Trim(name, "_")+".yaml"), []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	return nil
}
