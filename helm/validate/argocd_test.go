package validate

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

func loadArgo(t *testing.T) *Argo {
	t.Helper()
	a, err := LoadArgo(root)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// Every Application, written or generated, points at a path of this
// repository or a pinned upstream chart, in a project that allows it.
func TestArgoApplicationsPointAtSomethingReal(t *testing.T) {
	a := loadArgo(t)
	if len(a.Apps) < 30 {
		t.Errorf("got %d Applications, want the platform in three environments (30 or more)", len(a.Apps))
	}
	for _, err := range a.Check(root) {
		t.Error(err)
	}
}

func TestArgoApplicationSetsCoverTheThreeEnvironments(t *testing.T) {
	a := loadArgo(t)
	for _, set := range Find(a.Objects, "ApplicationSet") {
		apps, err := ExpandApplicationSet(set)
		if err != nil {
			t.Fatal(err)
		}
		var clusters []string
		for _, app := range apps {
			c, _, _ := unstructured.NestedString(app.Object, "spec", "destination", "name")
			clusters = append(clusters, c)
			if !strings.HasPrefix(app.GetName(), set.GetName()+"-") {
				t.Errorf("%s: generated %s, want names %s-<env>", set.Source, app.GetName(), set.GetName())
			}
		}
		if want := []string{"dev", "staging", "prod"}; !slices.Equal(clusters, want) {
			t.Errorf("%s: generated Applications for clusters %v, want %v", set.Source, clusters, want)
		}
	}
}

func TestArgoPetclinicSyncPolicies(t *testing.T) {
	a := loadArgo(t)
	sets := Find(a.Objects, "ApplicationSet")
	i := slices.IndexFunc(sets, func(o Object) bool { return o.GetName() == "petclinic" })
	if i < 0 {
		t.Fatal("no ApplicationSet petclinic in argocd/")
	}
	apps, err := ExpandApplicationSet(sets[i])
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		env      string
		auto     bool
		selfHeal bool
	}{
		"dev syncs itself and undoes drift":     {"dev", true, true},
		"staging syncs itself and undoes drift": {"staging", true, true},
		"prod waits for a person":               {"prod", false, false},
	}
	byName := map[string]Object{}
	for _, app := range apps {
		byName[app.GetName()] = app
	}
	if len(byName) != 3 {
		t.Fatalf("generated %v, want petclinic-dev, petclinic-staging, petclinic-prod", byName)
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			app, ok := byName["petclinic-"+tc.env]
			if !ok {
				t.Fatalf("no Application petclinic-%s", tc.env)
			}
			_, auto, _ := unstructured.NestedMap(app.Object, "spec", "syncPolicy", "automated")
			selfHeal, _, _ := unstructured.NestedBool(app.Object, "spec", "syncPolicy", "automated", "selfHeal")
			if auto != tc.auto || selfHeal != tc.selfHeal {
				t.Errorf("automated %v, selfHeal %v; want %v, %v", auto, selfHeal, tc.auto, tc.selfHeal)
			}
			files, _, _ := unstructured.NestedStringSlice(app.Object, "spec", "source", "helm", "valueFiles")
			if want := []string{"ci/" + tc.env + "-values.yaml"}; !slices.Equal(files, want) {
				t.Errorf("valueFiles %v, want %v", files, want)
			}
			label, _, _ := unstructured.NestedString(app.Object, "spec", "syncPolicy", "managedNamespaceMetadata", "labels", "environment")
			if prod := label == "production"; prod != (tc.env == "prod") {
				t.Errorf("namespace label environment=%q: only prod's namespace is marked production (the harness's guard)", label)
			}
			if ns, _, _ := unstructured.NestedString(app.Object, "spec", "destination", "namespace"); ns != "petclinic" {
				t.Errorf("namespace %q, want petclinic", ns)
			}
		})
	}
}

// Sync waves: secrets and CRD-bearing operators before the workloads that
// use them; inside the chart, the ExternalSecret before the Deployment.
func TestArgoSyncWaves(t *testing.T) {
	a := loadArgo(t)
	wave := map[string]string{}
	for _, o := range a.Objects {
		wave[o.GetKind()+"/"+o.GetName()] = o.GetAnnotations()["argocd.argoproj.io/sync-wave"]
	}
	order := [][2]string{
		{"ApplicationSet/external-secrets", "ApplicationSet/cluster-secret-store"},
		{"ApplicationSet/cluster-secret-store", "ApplicationSet/petclinic"},
		{"ApplicationSet/kube-prometheus-stack", "ApplicationSet/petclinic"},
		{"ApplicationSet/kube-prometheus-stack", "ApplicationSet/prometheus-adapter"},
		{"ApplicationSet/prometheus-adapter", "ApplicationSet/petclinic"},
		{"ApplicationSet/external-secrets", "ApplicationSet/alertmanager-config"},
		{"ApplicationSet/chaos-mesh", "ApplicationSet/gameday"},
		{"ApplicationSet/petclinic", "ApplicationSet/gameday"},
		{"AppProject/platform", "ApplicationSet/external-secrets"},
		{"AppProject/petclinic", "ApplicationSet/petclinic"},
		{"ApplicationSet/gameday", "Application/reports"},
	}
	for _, p := range order {
		if !(atoi(t, wave[p[0]]) < atoi(t, wave[p[1]])) {
			t.Errorf("sync-wave of %s (%q) is not before %s (%q)", p[0], wave[p[0]], p[1], wave[p[1]])
		}
	}
	es := Find(mustRender(t, "petclinic", "prod"), "ExternalSecret")
	if w := es[0].GetAnnotations()["argocd.argoproj.io/sync-wave"]; atoi(t, w) >= 0 {
		t.Errorf("PetClinic's ExternalSecret has sync-wave %q, want it before the Deployment (0)", w)
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n := 0
	neg := strings.HasPrefix(s, "-")
	for _, c := range strings.TrimPrefix(s, "-") {
		if c < '0' || c > '9' {
			t.Fatalf("sync-wave %q is not a number", s)
		}
		n = n*10 + int(c-'0')
	}
	if s == "" {
		t.Fatal("no sync-wave annotation")
	}
	if neg {
		return -n
	}
	return n
}

// The SLO rules ship with PetClinic's chart; the monitoring-rules
// Application must not sync them a second time.
func TestArgoSLORulesDeployedOnce(t *testing.T) {
	a := loadArgo(t)
	i := slices.IndexFunc(a.Apps, func(o Object) bool { return o.GetName() == "monitoring-rules-prod" })
	if i < 0 {
		t.Fatal("no Application monitoring-rules-prod")
	}
	p, _, _ := unstructured.NestedString(a.Apps[i].Object, "spec", "source", "path")
	exclude, _, _ := unstructured.NestedString(a.Apps[i].Object, "spec", "source", "directory", "exclude")
	synced, err := DecodeFiles(root, p, func(rel string) bool {
		r, _ := filepath.Rel(p, filepath.ToSlash(rel))
		return exclude != "" && globMatch(exclude, r)
	})
	if err != nil {
		t.Fatal(err)
	}
	groups := map[string]string{}
	for _, o := range synced {
		gs, _, _ := unstructured.NestedSlice(o.Object, "spec", "groups")
		for _, g := range gs {
			groups[g.(map[string]any)["name"].(string)] = o.Source
		}
	}
	for _, o := range Find(mustRender(t, "petclinic", "prod"), "PrometheusRule") {
		gs, _, _ := unstructured.NestedSlice(o.Object, "spec", "groups")
		for _, g := range gs {
			name := g.(map[string]any)["name"].(string)
			if src, dup := groups[name]; dup {
				t.Errorf("rule group %s is in PetClinic's chart and in %s (synced by monitoring-rules)", name, src)
			}
		}
	}
}

// Check itself finds what it is there for.
func TestArgoCheckRejects(t *testing.T) {
	a := loadArgo(t)
	const upstream = `
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: bad, namespace: argocd}
spec:
  project: platform
  destination: {name: prod, namespace: monitoring}
  sources:
    - repoURL: https://grafana.github.io/helm-charts
      chart: loki
      targetRevision: %s
      helm: {valueFiles: [$values/argocd/values/chaos-mesh.yaml]}
    - {repoURL: https://github.com/gamedayhq/gameday.git, targetRevision: main, ref: values}
`
	const path = `
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: bad, namespace: argocd}
spec:
  project: %s
  destination: {name: %s, namespace: %s}
  source: {repoURL: %s, targetRevision: %s, path: %s}
`
	tests := map[string]struct{ app, want string }{
		"a version range":             {sprintf(upstream, "'^6.29.0'"), `targetRevision "^6.29.0" is not an exact version`},
		"an upstream chart at HEAD":   {sprintf(upstream, "HEAD"), `targetRevision "HEAD" is not an exact version`},
		"the latest upstream chart":   {sprintf(upstream, "'*'"), `targetRevision "*" is not an exact version`},
		"a path that does not exist":  {sprintf(path, "petclinic", "prod", "petclinic", RepoURL, "main", "helm/petclinc"), `path "helm/petclinc" does not exist`},
		"our repository at HEAD":      {sprintf(path, "petclinic", "prod", "petclinic", RepoURL, "HEAD", "helm/petclinic"), `targetRevision must name a branch or tag`},
		"a project that is not there": {sprintf(path, "default", "prod", "petclinic", RepoURL, "main", "helm/petclinic"), `project "default" is not defined`},
		"a namespace outside the project": {
			sprintf(path, "petclinic", "prod", "kube-system", RepoURL, "main", "helm/petclinic"), `destination prod/kube-system is not allowed by project petclinic`},
		"a repository outside the project": {
			sprintf(path, "petclinic", "prod", "petclinic", "https://github.com/someone/else.git", "main", "x"), `is not in the sourceRepos of project petclinic`},
		"a folder of dashboards JSON as manifests": {
			sprintf(path, "platform", "prod", "monitoring", RepoURL, "main", "monitoring/grafana/dashboards"), `Argo CD would apply it as a manifest`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			objs, err := Decode("test.yaml", []byte(tc.app))
			if err != nil {
				t.Fatal(err)
			}
			bad := &Argo{Projects: a.Projects, Apps: objs}
			errs := bad.Check(root)
			var got []string
			for _, e := range errs {
				got = append(got, e.Error())
			}
			if !slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, tc.want) }) {
				t.Errorf("got errors %q, want one containing %q", got, tc.want)
			}
		})
	}
}

// TestChaosCanReachPetclinic: Chaos Mesh runs with enableFilterNamespace
// (argocd/values/chaos-mesh.yaml) and the harness refuses a namespace without
// the annotation chaos-mesh.org/inject=enabled, so every environment whose
// gameday chart may act in PetClinic's namespace gets it from Argo CD, which
// creates the namespace (CreateNamespace=true with managedNamespaceMetadata).
// prod is one of them only while its CronJobs pass --allow-prod.
func TestChaosCanReachPetclinic(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "argocd/values/chaos-mesh.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cm struct {
		ControllerManager struct {
			EnableFilterNamespace bool `json:"enableFilterNamespace"`
		} `json:"controllerManager"`
	}
	if err := yaml.Unmarshal(b, &cm); err != nil {
		t.Fatal(err)
	}
	a := loadArgo(t)
	sets := Find(a.Objects, "ApplicationSet")
	i := slices.IndexFunc(sets, func(o Object) bool { return o.GetName() == "petclinic" })
	if i < 0 {
		t.Fatal("no ApplicationSet petclinic in argocd/")
	}
	apps, err := ExpandApplicationSet(sets[i])
	if err != nil {
		t.Fatal(err)
	}
	for _, app := range apps {
		env, _, _ := unstructured.NestedString(app.Object, "metadata", "labels", "gameday.dev/environment")
		t.Run(env, func(t *testing.T) {
			chaos := true
			if env == "prod" {
				chaos = false
				for _, s := range schedulesOf(t, env, "") {
					chaos = chaos || s.allowProd
				}
			}
			ann, _, _ := unstructured.NestedString(app.Object, "spec", "syncPolicy", "managedNamespaceMetadata", "annotations", "chaos-mesh.org/inject")
			opts, _, _ := unstructured.NestedStringSlice(app.Object, "spec", "syncPolicy", "syncOptions")
			switch {
			case chaos && cm.ControllerManager.EnableFilterNamespace && ann != "enabled":
				t.Errorf("%s: namespace annotation chaos-mesh.org/inject=%q, want enabled: Chaos Mesh filters namespaces and the gameday chart acts here", app.GetName(), ann)
			case chaos && !slices.Contains(opts, "CreateNamespace=true"):
				t.Errorf("%s: syncOptions %v lack CreateNamespace=true: managedNamespaceMetadata applies only to a namespace Argo CD creates", app.GetName(), opts)
			case !chaos && ann == "enabled":
				t.Errorf("%s: namespace open to Chaos Mesh while no game day may run there", app.GetName())
			}
		})
	}
}
