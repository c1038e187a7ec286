package validate

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// Group is a set of objects validated together, such as one chart rendered
// with one values file.
type Group struct {
	Name    string
	Objects []Object
	// Skipped counts objects left out of the dry-run, with the reason.
	Skipped map[string]int
}

// UpstreamChart is an upstream chart whose source is on the Go module proxy,
// rendered with our values: its values.schema.json and templates check them.
type UpstreamChart struct {
	Name      string
	Module    string // module@version
	Dir       string // chart folder in the module
	Values    string // our values file, relative to the repository root
	Namespace string
}

// UpstreamCharts are the upstream charts the check can fetch offline. The
// others (kube-prometheus-stack, Loki, Tempo, Alloy) are only on their Helm
// repositories, which are not reachable here.
var UpstreamCharts = []UpstreamChart{
	{"chaos-mesh", "github.com/chaos-mesh/chaos-mesh@v0.9.1-0.20260902003049-47411975a8cb", "helm/chaos-mesh", "argocd/values/chaos-mesh.yaml", "chaos-mesh"},
	{"external-secrets", "github.com/external-secrets/external-secrets@v1.3.2", "deploy/charts/external-secrets", "argocd/values/external-secrets.yaml", "external-secrets"},
}

// moduleDir downloads a module (go mod download, outside any workspace) and
// returns its folder.
func moduleDir(mod string) (string, error) {
	cmd := exec.Command("go", "mod", "download", "-json", mod)
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go mod download %s: %w", mod, err)
	}
	var m struct{ Dir, Error string }
	if err := json.Unmarshal(out, &m); err != nil {
		return "", fmt.Errorf("go mod download %s: %w", mod, err)
	}
	if m.Error != "" || m.Dir == "" {
		return "", fmt.Errorf("go mod download %s: %s", mod, m.Error)
	}
	return m.Dir, nil
}

// Report is what Collect found, for the person running the check.
type Report struct {
	Groups []Group
	Lines  []string // one line per step, in order
}

func (r *Report) logf(format string, args ...any) {
	r.Lines = append(r.Lines, fmt.Sprintf(format, args...))
}

// Collect lints and renders every chart with every ci/*-values.yaml, renders
// the upstream charts with our values, loads and checks the Argo CD
// manifests, and gathers monitoring's PrometheusRules and kustomizations:
// everything the dry-run then validates. Errors do not stop it: all are
// returned.
func Collect(root string) (*Report, []error) {
	r := &Report{}
	var errs []error
	releases, err := CIReleases(root)
	if err != nil {
		return r, []error{err}
	}
	for _, rel := range releases {
		name := fmt.Sprintf("%s %s", relPath(root, rel.Chart), relPath(rel.Chart, rel.Values[0]))
		if _, err := Lint(rel); err != nil {
			errs = append(errs, err)
			r.logf("%-56s helm lint --strict: FAILED", name)
			continue
		}
		objs, err := Render(rel)
		if err != nil {
			errs = append(errs, err)
			r.logf("%-56s render: FAILED", name)
			continue
		}
		r.logf("%-56s lint ok, %2d objects: %s", name, len(objs), Summary(objs))
		r.Groups = append(r.Groups, Group{Name: name, Objects: objs})
	}
	for _, u := range UpstreamCharts {
		name := fmt.Sprintf("%s (upstream, %s)", u.Name, u.Values)
		dir, err := moduleDir(u.Module)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		objs, err := Render(Release{Chart: filepath.Join(dir, u.Dir), Name: u.Name, Namespace: u.Namespace, Values: []string{filepath.Join(root, u.Values)}})
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			r.logf("%-56s render: FAILED", name)
			continue
		}
		// The CRDs are installed already, from the same upstream sources.
		kept, skipped := withoutKinds(objs, "CustomResourceDefinition")
		r.logf("%-56s rendered, %2d objects (+%d CRDs): %s", name, len(kept), skipped, Summary(kept))
		r.Groups = append(r.Groups, Group{Name: name, Objects: kept, Skipped: map[string]int{"CRDs installed from upstream": skipped}})
	}
	argo, err := LoadArgo(root)
	if err != nil {
		errs = append(errs, err)
	} else {
		cerrs := argo.Check(root)
		errs = append(errs, cerrs...)
		state := "ok"
		if len(cerrs) > 0 {
			state = fmt.Sprintf("%d problems", len(cerrs))
		}
		r.logf("%-56s %2d objects: %s; %d Applications (written and generated): sources and destinations %s",
			"argocd/", len(argo.Objects), Summary(argo.Objects), len(argo.Apps), state)
		generated := make([]Object, 0, len(argo.Apps))
		for _, a := range argo.Apps {
			if strings.Contains(a.Source, "(ApplicationSet/") {
				generated = append(generated, a)
			}
		}
		r.Groups = append(r.Groups, Group{Name: "argocd/", Objects: argo.Objects},
			Group{Name: "argocd/ generated Applications", Objects: generated})
	}
	if dir := "monitoring/prometheus/kubernetes"; exists(filepath.Join(root, dir)) {
		objs, err := DecodeFiles(root, dir, nil)
		if err != nil {
			errs = append(errs, err)
		} else {
			setNamespace(objs, "monitoring")
			r.logf("%-56s %2d objects: %s", dir+"/", len(objs), Summary(objs))
			r.Groups = append(r.Groups, Group{Name: dir + "/", Objects: objs})
		}
	}
	kdirs, _ := filepath.Glob(filepath.Join(root, "monitoring", "*", "kustomization.yaml"))
	more, _ := filepath.Glob(filepath.Join(root, "monitoring", "*", "*", "kustomization.yaml"))
	kdirs = append(kdirs, more...)
	sort.Strings(kdirs)
	for _, k := range kdirs {
		dir := relPath(root, filepath.Dir(k))
		objs, err := Kustomize(root, dir)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		setNamespace(objs, "monitoring")
		r.logf("%-56s %2d objects: %s", dir+"/ (kustomize)", len(objs), Summary(objs))
		r.Groups = append(r.Groups, Group{Name: dir + "/ (kustomize)", Objects: objs})
	}
	return r, errs
}

func setNamespace(objs []Object, ns string) {
	for _, o := range objs {
		if o.GetNamespace() == "" && namespaced(o.GetKind()) {
			o.SetNamespace(ns)
		}
	}
}

func withoutKinds(objs []Object, kind string) (kept []Object, skipped int) {
	for _, o := range objs {
		if o.GetKind() == kind {
			skipped++
			continue
		}
		kept = append(kept, o)
	}
	return kept, skipped
}

func relPath(base, p string) string {
	r, err := filepath.Rel(base, p)
	if err != nil {
		return p
	}
	return filepath.ToSlash(r)
}
