package validate

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// RepoURL is this repository, as Argo CD clones it.
const RepoURL = "https://github.com/gamedayhq/gameday.git"

// DataRepos are our repositories that hold data rather than charts or
// manifests of this repository (the published game-day reports): an
// Application may sync them from a branch.
var DataRepos = []string{"https://github.com/gamedayhq/gameday-reports.git"}

// exactVersion is a pinned chart version: no range, no "latest", no HEAD.
var exactVersion = regexp.MustCompile(`^v?[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$`)

// ExpandApplicationSet evaluates the generators of an ApplicationSet (list,
// and matrix of lists) and renders its template for each parameter set, as
// the ApplicationSet controller does with goTemplate: every string of the
// template is a Go template (sprig functions, missingkey=error), then
// templatePatch is rendered and merged in. The Applications come back in
// generator order; their Source names the ApplicationSet.
func ExpandApplicationSet(set Object) ([]Object, error) {
	spec, _, _ := unstructured.NestedMap(set.Object, "spec")
	if gt, _, _ := unstructured.NestedBool(spec, "goTemplate"); !gt {
		return nil, fmt.Errorf("%s: %s: spec.goTemplate must be true (the fasttemplate syntax is not supported)", set.Source, set.Ref())
	}
	gens, _, _ := unstructured.NestedSlice(spec, "generators")
	if len(gens) == 0 {
		return nil, fmt.Errorf("%s: %s: no generators", set.Source, set.Ref())
	}
	var params []map[string]any
	for i, g := range gens {
		p, err := generate(g)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: spec.generators[%d]: %w", set.Source, set.Ref(), i, err)
		}
		params = append(params, p...)
	}
	tmpl, ok, _ := unstructured.NestedMap(spec, "template")
	if !ok {
		return nil, fmt.Errorf("%s: %s: spec.template is missing", set.Source, set.Ref())
	}
	patch, _, _ := unstructured.NestedString(spec, "templatePatch")
	var apps []Object
	for _, p := range params {
		rendered, err := renderStrings(tmpl, p)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: template with %v: %w", set.Source, set.Ref(), p, err)
		}
		app := rendered.(map[string]any)
		if patch != "" {
			text, err := execute(patch, p)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: templatePatch with %v: %w", set.Source, set.Ref(), p, err)
			}
			var m map[string]any
			if err := yaml.Unmarshal([]byte(text), &m); err != nil {
				return nil, fmt.Errorf("%s: %s: templatePatch with %v: %w", set.Source, set.Ref(), p, err)
			}
			app = merge(app, m)
		}
		u := &unstructured.Unstructured{Object: app}
		u.SetAPIVersion("argoproj.io/v1alpha1")
		u.SetKind("Application")
		u.SetNamespace(set.GetNamespace())
		apps = append(apps, Object{Source: set.Source + " (" + set.Ref() + ")", Unstructured: u})
	}
	return apps, nil
}

// generate returns the parameter sets of one generator.
func generate(g any) ([]map[string]any, error) {
	m, ok := g.(map[string]any)
	if !ok {
		return nil, errors.New("not an object")
	}
	if l, ok := m["list"].(map[string]any); ok {
		els, _ := l["elements"].([]any)
		if len(els) == 0 {
			return nil, errors.New("list: no elements")
		}
		var out []map[string]any
		for i, e := range els {
			em, ok := e.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("list.elements[%d]: not an object", i)
			}
			out = append(out, em)
		}
		return out, nil
	}
	if mx, ok := m["matrix"].(map[string]any); ok {
		gs, _ := mx["generators"].([]any)
		if len(gs) != 2 {
			return nil, fmt.Errorf("matrix: want 2 generators, got %d", len(gs))
		}
		a, err := generate(gs[0])
		if err != nil {
			return nil, fmt.Errorf("matrix.generators[0]: %w", err)
		}
		b, err := generate(gs[1])
		if err != nil {
			return nil, fmt.Errorf("matrix.generators[1]: %w", err)
		}
		var out []map[string]any
		for _, x := range a {
			for _, y := range b {
				p := maps.Clone(x)
				maps.Copy(p, y)
				out = append(out, p)
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("generator %v: only list and matrix generators can be evaluated offline", slices.Sorted(maps.Keys(m)))
}

func execute(text string, params map[string]any) (string, error) {
	t, err := template.New("").Option("missingkey=error").Funcs(sprig.TxtFuncMap()).Parse(text)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, params); err != nil {
		return "", err
	}
	return b.String(), nil
}

// renderStrings renders every string of v (keys too) as a template.
func renderStrings(v any, params map[string]any) (any, error) {
	switch x := v.(type) {
	case string:
		return execute(x, params)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			rk, err := execute(k, params)
			if err != nil {
				return nil, err
			}
			re, err := renderStrings(e, params)
			if err != nil {
				return nil, err
			}
			out[rk] = re
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			re, err := renderStrings(e, params)
			if err != nil {
				return nil, err
			}
			out[i] = re
		}
		return out, nil
	default:
		return v, nil
	}
}

// merge merges patch into base: objects recursively, anything else replaced.
func merge(base, patch map[string]any) map[string]any {
	out := maps.Clone(base)
	for k, pv := range patch {
		bm, bok := out[k].(map[string]any)
		pm, pok := pv.(map[string]any)
		if bok && pok {
			out[k] = merge(bm, pm)
		} else {
			out[k] = pv
		}
	}
	return out
}

// Argo is the Argo CD manifests of the repository, with the ApplicationSets
// expanded.
type Argo struct {
	Objects  []Object // as written: AppProjects, Applications, ApplicationSets, other manifests
	Apps     []Object // every Application: written and generated
	Projects map[string]Object
}

// LoadArgo reads argocd/ (bootstrap/, platform/, manifests/; values/ holds
// Helm values, not manifests) and expands the ApplicationSets.
func LoadArgo(root string) (*Argo, error) {
	var objs []Object
	for _, dir := range []string{"argocd/bootstrap", "argocd/platform", "argocd/manifests"} {
		o, err := DecodeFiles(root, dir, nil)
		if err != nil {
			return nil, err
		}
		objs = append(objs, o...)
	}
	a := &Argo{Objects: objs, Projects: map[string]Object{}}
	for _, o := range objs {
		switch o.GetKind() {
		case "AppProject":
			a.Projects[o.GetName()] = o
		case "Application":
			a.Apps = append(a.Apps, o)
		case "ApplicationSet":
			apps, err := ExpandApplicationSet(o)
			if err != nil {
				return nil, err
			}
			a.Apps = append(a.Apps, apps...)
		}
	}
	return a, nil
}

// Check checks every Application: its project exists and allows its
// sources and destination; each source is a path of this repository (that
// exists, with its values files and at least one manifest), a chart of an
// upstream repository pinned to an exact version (with our $values files),
// or one of DataRepos.
func (a *Argo) Check(root string) []error {
	var errs []error
	names := map[string]string{}
	for _, app := range a.Apps {
		fail := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("%s: Application %s: %s", app.Source, app.GetName(), fmt.Sprintf(format, args...)))
		}
		if prev, dup := names[app.GetName()]; dup {
			fail("name also used by %s", prev)
		}
		names[app.GetName()] = app.Source
		spec, _, _ := unstructured.NestedMap(app.Object, "spec")
		projName, _ := spec["project"].(string)
		proj, ok := a.Projects[projName]
		if !ok && projName != "bootstrap" {
			fail("project %q is not defined in argocd/", projName)
		}
		if ok {
			if err := allowedDestination(proj, spec); err != nil {
				fail("%v", err)
			}
		}
		var sources []map[string]any
		if s, ok := spec["source"].(map[string]any); ok {
			sources = append(sources, s)
		}
		if ss, ok := spec["sources"].([]any); ok {
			for _, s := range ss {
				if m, ok := s.(map[string]any); ok {
					sources = append(sources, m)
				}
			}
		}
		if len(sources) == 0 {
			fail("no source")
		}
		refs := map[string]bool{}
		for _, s := range sources {
			if ref, _ := s["ref"].(string); ref != "" {
				if s["repoURL"] != RepoURL {
					fail("ref %q: only this repository (%s) may serve values", ref, RepoURL)
				}
				refs[ref] = true
			}
		}
		for i, s := range sources {
			repo, _ := s["repoURL"].(string)
			rev, _ := s["targetRevision"].(string)
			if ok && !slices.Contains(stringSlice(proj.Object, "spec", "sourceRepos"), repo) {
				fail("source %d: repository %s is not in the sourceRepos of project %s", i, repo, projName)
			}
			switch chart, _ := s["chart"].(string); {
			case chart != "":
				if !exactVersion.MatchString(rev) {
					fail("source %d: chart %s: targetRevision %q is not an exact version", i, chart, rev)
				}
				if !strings.HasPrefix(repo, "https://") && !strings.HasPrefix(repo, "oci://") {
					fail("source %d: chart %s: repoURL %q is not https or oci", i, chart, repo)
				}
				errs = append(errs, checkValueFiles(root, "", s, refs, func(e error) error {
					return fmt.Errorf("%s: Application %s: source %d: %w", app.Source, app.GetName(), i, e)
				})...)
			case s["ref"] != nil:
				if rev == "" || rev == "HEAD" {
					fail("source %d: ref %v: targetRevision must name a branch or tag, not %q", i, s["ref"], rev)
				}
			case repo == RepoURL:
				p, _ := s["path"].(string)
				if rev == "" || rev == "HEAD" {
					fail("source %d: targetRevision must name a branch or tag, not %q", i, rev)
				}
				if err := checkPath(root, p, s); err != nil {
					fail("source %d: %v", i, err)
				}
				errs = append(errs, checkValueFiles(root, p, s, refs, func(e error) error {
					return fmt.Errorf("%s: Application %s: source %d: %w", app.Source, app.GetName(), i, e)
				})...)
			case slices.Contains(DataRepos, repo):
				if rev == "" {
					fail("source %d: no targetRevision", i)
				}
			default:
				fail("source %d: %s is neither this repository, a pinned chart nor a data repository", i, repo)
			}
		}
	}
	return errs
}

// checkPath checks a path source of this repository: the folder exists and
// holds what its type needs (Chart.yaml, kustomization.yaml, or manifests
// after include/exclude).
func checkPath(root, p string, s map[string]any) error {
	dir := filepath.Join(root, filepath.FromSlash(p))
	if p == "" || !exists(dir) {
		return fmt.Errorf("path %q does not exist in this repository", p)
	}
	if _, ok := s["helm"]; ok && !exists(filepath.Join(dir, "Chart.yaml")) {
		return fmt.Errorf("path %s: helm source without Chart.yaml", p)
	}
	if _, ok := s["kustomize"]; ok && !exists(filepath.Join(dir, "kustomization.yaml")) {
		return fmt.Errorf("path %s: kustomize source without kustomization.yaml", p)
	}
	if exists(filepath.Join(dir, "Chart.yaml")) || exists(filepath.Join(dir, "kustomization.yaml")) {
		return nil
	}
	d, _ := s["directory"].(map[string]any)
	include, _ := d["include"].(string)
	exclude, _ := d["exclude"].(string)
	recurse, _ := d["recurse"].(bool)
	n := 0
	err := filepath.WalkDir(dir, func(f string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, f)
		rel = filepath.ToSlash(rel)
		if e.IsDir() {
			if rel != "." && !recurse {
				return filepath.SkipDir
			}
			return nil
		}
		ext := path.Ext(rel)
		if ext != ".yaml" && ext != ".yml" && ext != ".json" {
			return nil
		}
		if include != "" && !globMatch(include, rel) {
			return nil
		}
		if exclude != "" && globMatch(exclude, rel) {
			return nil
		}
		// Argo CD applies every matching file: each must hold Kubernetes objects.
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if _, err := Decode(path.Join(p, rel), data); err != nil {
			return fmt.Errorf("%w (Argo CD would apply it as a manifest)", err)
		}
		n++
		return nil
	})
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("path %s: no manifest (include %q, exclude %q, recurse %v)", p, include, exclude, recurse)
	}
	return nil
}

// globMatch matches a path against an Argo CD include/exclude pattern: a
// glob, or {a,b} alternatives.
func globMatch(pattern, p string) bool {
	alts := []string{pattern}
	if strings.HasPrefix(pattern, "{") && strings.HasSuffix(pattern, "}") {
		alts = strings.Split(pattern[1:len(pattern)-1], ",")
	}
	for _, a := range alts {
		if ok, _ := path.Match(a, p); ok {
			return true
		}
	}
	return false
}

// checkValueFiles checks helm.valueFiles: $ref/... files must exist in this
// repository (with ignoreMissingValueFiles, the first one at least: the
// others are optional overrides per environment); files relative to a chart
// path must exist.
func checkValueFiles(root, chartPath string, s map[string]any, refs map[string]bool, wrap func(error) error) []error {
	h, _ := s["helm"].(map[string]any)
	files := stringSlice(h, "valueFiles")
	ignoreMissing, _ := h["ignoreMissingValueFiles"].(bool)
	var errs []error
	for i, f := range files {
		var p string
		if strings.HasPrefix(f, "$") {
			ref, rest, _ := strings.Cut(f[1:], "/")
			if !refs[ref] {
				errs = append(errs, wrap(fmt.Errorf("valueFiles %s: no source with ref %q", f, ref)))
				continue
			}
			p = rest
		} else {
			if chartPath == "" {
				errs = append(errs, wrap(fmt.Errorf("valueFiles %s: an upstream chart's values must come from $values", f)))
				continue
			}
			p = path.Join(chartPath, f)
		}
		if !exists(filepath.Join(root, filepath.FromSlash(p))) && (!ignoreMissing || i == 0) {
			errs = append(errs, wrap(fmt.Errorf("valueFiles %s: %s does not exist in this repository", f, p)))
		}
	}
	if chartPath == "" && len(files) == 0 {
		errs = append(errs, wrap(errors.New("an upstream chart without our values files")))
	}
	return errs
}

// allowedDestination checks the Application's destination against the
// project's destinations (name or server, namespace; "*" matches all).
func allowedDestination(proj Object, spec map[string]any) error {
	d, _ := spec["destination"].(map[string]any)
	name, _ := d["name"].(string)
	server, _ := d["server"].(string)
	ns, _ := d["namespace"].(string)
	dests, _, _ := unstructured.NestedSlice(proj.Object, "spec", "destinations")
	for _, x := range dests {
		m, _ := x.(map[string]any)
		pn, _ := m["name"].(string)
		ps, _ := m["server"].(string)
		pns, _ := m["namespace"].(string)
		clusterOK := (name != "" && (pn == name || pn == "*")) || (server != "" && (ps == server || ps == "*"))
		if clusterOK && (pns == ns || pns == "*") {
			return nil
		}
	}
	cluster := name
	if cluster == "" {
		cluster = server
	}
	return fmt.Errorf("destination %s/%s is not allowed by project %s", cluster, ns, proj.GetName())
}

func stringSlice(m map[string]any, fields ...string) []string {
	s, _, _ := unstructured.NestedStringSlice(m, fields...)
	return s
}
