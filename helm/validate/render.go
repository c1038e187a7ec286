package validate

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/cli/values"
	"helm.sh/helm/v3/pkg/getter"
	"helm.sh/helm/v3/pkg/lint/support"
	"helm.sh/helm/v3/pkg/releaseutil"
)

// KubeVersion is the Kubernetes version the charts are rendered and linted
// for: the kube-apiserver of scripts/envtest.sh.
const KubeVersion = "v1.34.4"

// Release says how a chart is rendered: as `helm template NAME CHART -n
// NAMESPACE -f VALUES...`.
type Release struct {
	Chart     string   // chart directory
	Name      string   // release name
	Namespace string   // release namespace
	Values    []string // values files, in order
}

// Values merges the release's values files as `helm -f` does.
func (r Release) values() (map[string]any, error) {
	opts := values.Options{ValueFiles: r.Values}
	return opts.MergeValues(getter.Providers{})
}

// Render renders the chart client-side, like `helm template` with the test
// hooks included: values are checked against values.schema.json, templates
// that fail() return their message. Objects come in manifest order, hooks last.
func Render(r Release) ([]Object, error) {
	ch, err := loader.Load(r.Chart)
	if err != nil {
		return nil, fmt.Errorf("load chart %s: %w", r.Chart, err)
	}
	vals, err := r.values()
	if err != nil {
		return nil, fmt.Errorf("%s: values: %w", r.Chart, err)
	}
	kv, err := chartutil.ParseKubeVersion(KubeVersion)
	if err != nil {
		return nil, err
	}
	inst := action.NewInstall(&action.Configuration{})
	inst.DryRun, inst.ClientOnly, inst.Replace = true, true, true
	inst.ReleaseName, inst.Namespace = r.Name, r.Namespace
	inst.KubeVersion = kv
	inst.IncludeCRDs = true
	inst.DisableHooks = false
	rel, err := inst.Run(ch, vals)
	if err != nil {
		return nil, fmt.Errorf("render %s %s: %w", r.Chart, strings.Join(r.Values, ","), err)
	}
	var objs []Object
	add := func(src, manifest string) error {
		o, err := Decode(src, []byte(manifest))
		if err != nil {
			return err
		}
		for _, x := range o {
			if x.GetNamespace() == "" && namespaced(x.GetKind()) {
				x.SetNamespace(r.Namespace)
			}
		}
		objs = append(objs, o...)
		return nil
	}
	manifests := releaseutil.SplitManifests(rel.Manifest)
	keys := make([]string, 0, len(manifests))
	for k := range manifests {
		keys = append(keys, k)
	}
	sort.Sort(releaseutil.BySplitManifestsOrder(keys))
	for _, k := range keys {
		if err := add(sourceOf(manifests[k], ch), manifests[k]); err != nil {
			return nil, err
		}
	}
	for _, h := range rel.Hooks {
		if err := add(strings.TrimPrefix(h.Path, ch.Name()+"/"), h.Manifest); err != nil {
			return nil, err
		}
	}
	return objs, nil
}

// sourceOf reads the "# Source: chart/templates/x.yaml" line helm writes.
func sourceOf(manifest string, ch *chart.Chart) string {
	for _, line := range strings.SplitN(manifest, "\n", 3) {
		if s, ok := strings.CutPrefix(line, "# Source: "); ok {
			return strings.TrimPrefix(s, ch.Name()+"/")
		}
	}
	return "manifest"
}

// clusterScoped lists the cluster-scoped kinds the platform renders.
var clusterScoped = map[string]bool{
	"Namespace": true, "ClusterRole": true, "ClusterRoleBinding": true, "CustomResourceDefinition": true,
	"ClusterSecretStore": true, "PriorityClass": true, "StorageClass": true, "IngressClass": true,
	"ValidatingWebhookConfiguration": true, "MutatingWebhookConfiguration": true, "ClusterExternalSecret": true,
}

func namespaced(kind string) bool { return !clusterScoped[kind] }

// Lint runs `helm lint --strict` on the chart with the values files: the
// messages at warning level or above come back as errors, the others as notes.
func Lint(r Release) (notes []string, err error) {
	vals, err := r.values()
	if err != nil {
		return nil, fmt.Errorf("%s: values: %w", r.Chart, err)
	}
	kv, err := chartutil.ParseKubeVersion(KubeVersion)
	if err != nil {
		return nil, err
	}
	l := action.NewLint()
	l.Strict = true
	l.Namespace = r.Namespace
	l.KubeVersion = kv
	res := l.Run([]string{r.Chart}, vals)
	var bad []string
	for _, m := range res.Messages {
		line := m.Error()
		if m.Severity >= support.WarningSev {
			bad = append(bad, line)
		} else {
			notes = append(notes, line)
		}
	}
	for _, e := range res.Errors {
		if !containsErr(bad, e) {
			bad = append(bad, e.Error())
		}
	}
	if len(bad) > 0 {
		return notes, fmt.Errorf("helm lint --strict %s -f %s:\n  %s", r.Chart, strings.Join(rel(r.Values), ","), strings.Join(bad, "\n  "))
	}
	return notes, nil
}

func containsErr(lines []string, e error) bool {
	for _, l := range lines {
		if strings.Contains(l, e.Error()) {
			return true
		}
	}
	return false
}

func rel(paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = filepath.Base(filepath.Dir(p)) + "/" + filepath.Base(p)
	}
	return out
}
