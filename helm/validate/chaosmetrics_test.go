package validate

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
)

// podMonitor is the part of monitoring.coreos.com/v1 PodMonitor checked here
// (the dry run validates the whole against the upstream CRD).
type podMonitor struct {
	Spec struct {
		NamespaceSelector struct {
			Any        bool     `json:"any"`
			MatchNames []string `json:"matchNames"`
		} `json:"namespaceSelector"`
		Selector struct {
			MatchLabels map[string]string `json:"matchLabels"`
		} `json:"selector"`
		PodMetricsEndpoints []struct {
			Port        *string `json:"port"`
			HonorLabels bool    `json:"honorLabels"`
		} `json:"podMetricsEndpoints"`
	} `json:"spec"`
}

// TestChaosMeshMetricsAreScraped: a PodMonitor of
// monitoring/prometheus/kubernetes/ selects the controller manager's pods of
// the Chaos Mesh chart as argocd/values/chaos-mesh.yaml renders it, in its
// namespace, on its metrics port; else the dashboard's chaos panels are empty.
func TestChaosMeshMetricsAreScraped(t *testing.T) {
	u := UpstreamCharts[0]
	if u.Name != "chaos-mesh" {
		t.Fatalf("UpstreamCharts[0] = %s, want chaos-mesh", u.Name)
	}
	dir, err := moduleDir(u.Module)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := Render(Release{Chart: filepath.Join(dir, u.Dir), Name: u.Name, Namespace: u.Namespace, Values: []string{filepath.Join(root, u.Values)}})
	if err != nil {
		t.Fatal(err)
	}
	var cm *appsv1.Deployment
	for _, o := range Find(objs, "Deployment") {
		if o.GetName() == "chaos-controller-manager" {
			cm = &appsv1.Deployment{}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, cm); err != nil {
				t.Fatal(err)
			}
		}
	}
	if cm == nil {
		t.Fatal("the chaos-mesh chart renders no Deployment chaos-controller-manager")
	}
	ports := map[string]bool{}
	for _, c := range cm.Spec.Template.Spec.Containers {
		for _, p := range c.Ports {
			ports[p.Name] = true
		}
	}

	mon, err := DecodeFiles(root, "monitoring/prometheus/kubernetes", nil)
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, o := range Find(mon, "PodMonitor") {
		var pm podMonitor
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &pm); err != nil {
			t.Fatalf("%s: %v", o.Source, err)
		}
		sel := labels.SelectorFromSet(pm.Spec.Selector.MatchLabels)
		inNS := pm.Spec.NamespaceSelector.Any
		for _, n := range pm.Spec.NamespaceSelector.MatchNames {
			inNS = inNS || n == u.Namespace
		}
		if !inNS || len(pm.Spec.Selector.MatchLabels) == 0 || !sel.Matches(labels.Set(cm.Spec.Template.Labels)) {
			continue
		}
		found++
		for _, ep := range pm.Spec.PodMetricsEndpoints {
			if ep.Port == nil || !ports[*ep.Port] {
				t.Errorf("%s: endpoint port %v is not a port of the controller manager (%v)", o.Source, ep.Port, ports)
			}
			if ep.HonorLabels {
				t.Errorf("%s: honorLabels: the dashboard expects the experiment's namespace as exported_namespace", o.Source)
			}
		}
	}
	if found != 1 {
		t.Errorf("%d PodMonitors in monitoring/prometheus/kubernetes select chaos-controller-manager's pods %v in %s, want 1", found, cm.Spec.Template.Labels, u.Namespace)
	}
}

// TestChaosQueriesUseExportedNamespace: Chaos Mesh's series carry the
// experiment's namespace in a label named namespace, which the scrape
// (honor_labels false) renames exported_namespace; a dashboard query that
// groups or filters Chaos Mesh's metrics by namespace gets chaos-mesh.
func TestChaosQueriesUseExportedNamespace(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "monitoring/grafana/dashboards/gameday.json"))
	if err != nil {
		t.Fatal(err)
	}
	exprs := regexp.MustCompile(`"(?:expr|query)": "([^"\\]*(?:\\.[^"\\]*)*chaos_controller_manager_[^"\\]*(?:\\.[^"\\]*)*)"`).FindAllStringSubmatch(string(b), -1)
	if len(exprs) == 0 {
		t.Fatal("gameday.json has no query over chaos_controller_manager_*")
	}
	bare := regexp.MustCompile(`(^|[^_$])namespace\b`)
	for _, m := range exprs {
		if bare.MatchString(m[1]) {
			t.Errorf("query uses namespace, want exported_namespace: %s", m[1])
		}
		if !regexp.MustCompile(`exported_namespace\s*=~\s*\\"\$namespace\\"`).MatchString(m[1]) {
			t.Errorf("query does not follow the dashboard's $namespace (exported_namespace=~\"$namespace\"): %s", m[1])
		}
	}
}
