package validate

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

// render renders a chart with ci/<env>-values.yaml and, when extra is not
// empty, a values file holding extra on top.
func render(t *testing.T, chart, env, extra string) ([]Object, error) {
	t.Helper()
	values := []string{filepath.Join(chartPath(chart), "ci", env+"-values.yaml")}
	if extra != "" {
		f := filepath.Join(t.TempDir(), "extra-values.yaml")
		if err := os.WriteFile(f, []byte(extra), 0o600); err != nil {
			t.Fatal(err)
		}
		values = append(values, f)
	}
	return Render(Release{Chart: chartPath(chart), Name: chart, Namespace: chart, Values: values})
}

func mustRender(t *testing.T, chart, env string) []Object {
	t.Helper()
	objs, err := render(t, chart, env, "")
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// typed converts the one object of a kind into its Kubernetes Go type.
func typed[T any](t *testing.T, objs []Object, kind string) *T {
	t.Helper()
	found := Find(objs, kind)
	if len(found) != 1 {
		t.Fatalf("got %d %s objects, want 1", len(found), kind)
	}
	var v T
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(found[0].Object, &v, true); err != nil {
		t.Fatalf("%s: %v", found[0].Source, err)
	}
	return &v
}

func envValue(c corev1.Container, name string) string {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

func TestPetclinicProdIsHighlyAvailable(t *testing.T) {
	objs := mustRender(t, "petclinic", "prod")
	d := typed[appsv1.Deployment](t, objs, "Deployment")
	hpa := typed[autoscalingv2.HorizontalPodAutoscaler](t, objs, "HorizontalPodAutoscaler")
	pdb := typed[policyv1.PodDisruptionBudget](t, objs, "PodDisruptionBudget")

	if d.Spec.Replicas == nil || *d.Spec.Replicas < 3 {
		t.Errorf("Deployment replicas = %v, want at least 3", d.Spec.Replicas)
	}
	if hpa.Spec.MinReplicas == nil || *hpa.Spec.MinReplicas < 3 {
		t.Errorf("HPA minReplicas = %v, want at least 3", hpa.Spec.MinReplicas)
	}
	if d.Spec.Strategy.RollingUpdate == nil || d.Spec.Strategy.RollingUpdate.MaxUnavailable.IntValue() != 0 {
		t.Errorf("rollout maxUnavailable = %v, want 0", d.Spec.Strategy.RollingUpdate)
	}

	var zone, node *corev1.TopologySpreadConstraint
	for i, c := range d.Spec.Template.Spec.TopologySpreadConstraints {
		switch c.TopologyKey {
		case "topology.kubernetes.io/zone":
			zone = &d.Spec.Template.Spec.TopologySpreadConstraints[i]
		case "kubernetes.io/hostname":
			node = &d.Spec.Template.Spec.TopologySpreadConstraints[i]
		}
	}
	switch {
	case zone == nil:
		t.Error("no topologySpreadConstraint on topology.kubernetes.io/zone")
	case zone.MaxSkew != 1 || zone.WhenUnsatisfiable != corev1.DoNotSchedule || zone.MinDomains == nil || *zone.MinDomains != 3:
		t.Errorf("zone spread = maxSkew %d, %s, minDomains %v; want 1, DoNotSchedule, 3", zone.MaxSkew, zone.WhenUnsatisfiable, zone.MinDomains)
	case zone.LabelSelector == nil || !mapsEqual(zone.LabelSelector.MatchLabels, d.Spec.Selector.MatchLabels):
		t.Errorf("zone spread selects %v, want the Deployment's pods %v", zone.LabelSelector, d.Spec.Selector.MatchLabels)
	}
	if node == nil || node.MaxSkew != 1 {
		t.Errorf("node spread = %+v, want maxSkew 1 on kubernetes.io/hostname", node)
	}
	aff := d.Spec.Template.Spec.Affinity
	if aff == nil || aff.PodAntiAffinity == nil || len(aff.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution) == 0 ||
		len(aff.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution) != 0 {
		t.Errorf("pod anti-affinity = %+v, want a preferred (soft) term only", aff)
	}

	// The budget keeps two serving at the HPA's minimum, lets one pod go,
	// and at the HPA's maximum still lets at most a third go at once.
	lo, hi := int(*hpa.Spec.MinReplicas), int(hpa.Spec.MaxReplicas)
	for _, n := range []int{lo, hi} {
		allowed, err := pdbAllows(pdb, n)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case allowed < 1:
			t.Errorf("PDB (minAvailable %v, maxUnavailable %v) at %d replicas allows no disruption: no node could be drained", pdb.Spec.MinAvailable, pdb.Spec.MaxUnavailable, n)
		case n-allowed < 2:
			t.Errorf("PDB (minAvailable %v, maxUnavailable %v) at %d replicas keeps %d available, want at least 2", pdb.Spec.MinAvailable, pdb.Spec.MaxUnavailable, n, n-allowed)
		case n == hi && allowed > max(1, n/3):
			t.Errorf("PDB (minAvailable %v, maxUnavailable %v) at %d replicas (HPA max) allows %d disruptions at once, want at most %d", pdb.Spec.MinAvailable, pdb.Spec.MaxUnavailable, n, allowed, max(1, n/3))
		}
	}
	if !mapsEqual(pdb.Spec.Selector.MatchLabels, d.Spec.Selector.MatchLabels) {
		t.Errorf("PDB selects %v, want %v", pdb.Spec.Selector.MatchLabels, d.Spec.Selector.MatchLabels)
	}
}

func TestPetclinicProbesAndDrain(t *testing.T) {
	for _, env := range []string{"dev", "staging", "prod"} {
		t.Run(env, func(t *testing.T) {
			d := typed[appsv1.Deployment](t, mustRender(t, "petclinic", env), "Deployment")
			c := d.Spec.Template.Spec.Containers[0]
			port := 0
			for _, p := range c.Ports {
				if p.Name == "http" {
					port = int(p.ContainerPort)
				}
			}
			if port != 8080 {
				t.Errorf("container port http = %d, want 8080", port)
			}
			for name, tc := range map[string]struct {
				probe *corev1.Probe
				path  string
			}{
				"startup":   {c.StartupProbe, "/actuator/health/liveness"},
				"liveness":  {c.LivenessProbe, "/actuator/health/liveness"},
				"readiness": {c.ReadinessProbe, "/actuator/health/readiness"},
			} {
				if tc.probe == nil || tc.probe.HTTPGet == nil {
					t.Errorf("%s probe: none", name)
					continue
				}
				if got := tc.probe.HTTPGet.Path; got != tc.path || tc.probe.HTTPGet.Port.String() != "http" {
					t.Errorf("%s probe = %s on port %s, want %s on http", name, got, tc.probe.HTTPGet.Port.String(), tc.path)
				}
			}
			// The startup probe outlasts the database retries at start.
			connect, err := time.ParseDuration(envValue(c, "PETCLINIC_DB_CONNECT_TIMEOUT") + "")
			if err == nil && time.Duration(c.StartupProbe.PeriodSeconds*c.StartupProbe.FailureThreshold)*time.Second <= connect {
				t.Errorf("startup probe allows %ds, not more than PETCLINIC_DB_CONNECT_TIMEOUT %s", c.StartupProbe.PeriodSeconds*c.StartupProbe.FailureThreshold, connect)
			}

			// SIGTERM comes after the preStop sleep; PetClinic then serves for
			// the drain delay and waits up to the shutdown timeout: the grace
			// period must cover all three.
			drain, err1 := time.ParseDuration(envValue(c, "PETCLINIC_DRAIN_DELAY"))
			shutdown, err2 := time.ParseDuration(envValue(c, "PETCLINIC_SHUTDOWN_TIMEOUT"))
			if err1 != nil || err2 != nil {
				t.Fatalf("PETCLINIC_DRAIN_DELAY/PETCLINIC_SHUTDOWN_TIMEOUT: %v %v", err1, err2)
			}
			if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil {
				t.Fatal("no preStop sleep")
			}
			preStop := time.Duration(c.Lifecycle.PreStop.Sleep.Seconds) * time.Second
			grace := time.Duration(*d.Spec.Template.Spec.TerminationGracePeriodSeconds) * time.Second
			if preStop < 5*time.Second || grace <= preStop+drain+shutdown {
				t.Errorf("preStop %s + drain %s + shutdown %s vs terminationGracePeriod %s: want preStop >= 5s and grace above the sum", preStop, drain, shutdown, grace)
			}
		})
	}
}

// podSpecs returns every pod spec a set of objects runs, by source.
func podSpecs(t *testing.T, objs []Object) map[string]corev1.PodSpec {
	t.Helper()
	out := map[string]corev1.PodSpec{}
	for _, o := range objs {
		switch o.GetKind() {
		case "Deployment":
			out[o.Source] = typed[appsv1.Deployment](t, []Object{o}, "Deployment").Spec.Template.Spec
		case "CronJob":
			out[o.Source+" "+o.GetName()] = typed[batchv1.CronJob](t, []Object{o}, "CronJob").Spec.JobTemplate.Spec.Template.Spec
		case "Pod":
			out[o.Source] = typed[corev1.Pod](t, []Object{o}, "Pod").Spec
		case "DaemonSet", "StatefulSet", "Job", "ReplicaSet":
			t.Fatalf("%s: %s is not covered by this test yet", o.Source, o.GetKind())
		}
	}
	return out
}

func TestEveryContainerIsLimitedAndRestricted(t *testing.T) {
	for _, r := range chartReleases(t) {
		objs, err := Render(r)
		if err != nil {
			t.Fatal(err)
		}
		specs := podSpecs(t, objs)
		if len(specs) == 0 {
			t.Errorf("%s %s: no pod spec rendered", r.Chart, r.Values[0])
		}
		for src, spec := range specs {
			where := fmt.Sprintf("%s %s: %s", filepath.Base(r.Chart), filepath.Base(r.Values[0]), src)
			psc := spec.SecurityContext
			if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
				t.Errorf("%s: pod securityContext %+v, want runAsNonRoot and seccomp RuntimeDefault", where, psc)
			}
			if psc != nil && psc.RunAsUser != nil && *psc.RunAsUser == 0 {
				t.Errorf("%s: runs as root", where)
			}
			for _, c := range append(spec.InitContainers, spec.Containers...) {
				lim := c.Resources.Limits
				if lim.Cpu().IsZero() || lim.Memory().IsZero() || c.Resources.Requests.Memory().IsZero() {
					t.Errorf("%s: container %s: resources %v, want cpu and memory limits and a memory request", where, c.Name, c.Resources)
				}
				sc := c.SecurityContext
				if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
					sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
					sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) != 0 {
					t.Errorf("%s: container %s: securityContext %+v, want read-only root FS, no privilege escalation, drop ALL", where, c.Name, sc)
				}
				if sc != nil && sc.RunAsUser != nil && *sc.RunAsUser == 0 {
					t.Errorf("%s: container %s runs as root", where, c.Name)
				}
			}
		}
	}
}

func TestPetclinicRunsAs65532(t *testing.T) {
	d := typed[appsv1.Deployment](t, mustRender(t, "petclinic", "prod"), "Deployment")
	sc := d.Spec.Template.Spec.Containers[0].SecurityContext
	if sc.RunAsUser == nil || *sc.RunAsUser != 65532 {
		t.Errorf("runAsUser = %v, want 65532 (the image's nonroot user)", sc.RunAsUser)
	}
}

func TestPetclinicServiceMonitorCarriesZone(t *testing.T) {
	objs := mustRender(t, "petclinic", "prod")
	sm := Find(objs, "ServiceMonitor")
	if len(sm) != 1 {
		t.Fatalf("got %d ServiceMonitors, want 1", len(sm))
	}
	node, _, _ := nestedBool(sm[0].Object, "spec", "attachMetadata", "node")
	if !node {
		t.Error("ServiceMonitor spec.attachMetadata.node is not true: node labels (the zone) are not available")
	}
	eps, _, _ := nestedSlice(sm[0].Object, "spec", "endpoints")
	if len(eps) != 1 {
		t.Fatalf("got %d endpoints, want 1", len(eps))
	}
	ep := eps[0].(map[string]any)
	if ep["path"] != "/actuator/prometheus" || ep["port"] != "http" {
		t.Errorf("endpoint scrapes %v on %v, want /actuator/prometheus on http", ep["path"], ep["port"])
	}
	targets := map[string]string{}
	for _, r := range ep["relabelings"].([]any) {
		m := r.(map[string]any)
		src := m["sourceLabels"].([]any)
		targets[m["targetLabel"].(string)] = src[0].(string)
	}
	want := map[string]string{
		"zone":      "__meta_kubernetes_node_label_topology_kubernetes_io_zone",
		"pod":       "__meta_kubernetes_pod_name",
		"namespace": "__meta_kubernetes_namespace",
	}
	if !mapsEqual(targets, want) {
		t.Errorf("relabelings = %v, want %v", targets, want)
	}
	// The SLO rules select job="petclinic": the job label is the Service's name.
	svc := Find(objs, "Service")
	if len(svc) != 1 || svc[0].GetName() != "petclinic" {
		t.Errorf("Service %v, want one named petclinic (job=\"petclinic\" of the SLO rules)", svc)
	}
}

func TestPetclinicNetworkPolicyEgress(t *testing.T) {
	np := typed[networkingv1.NetworkPolicy](t, mustRender(t, "petclinic", "prod"), "NetworkPolicy")
	if !slices.Equal(np.Spec.PolicyTypes, []networkingv1.PolicyType{"Ingress", "Egress"}) {
		t.Errorf("policyTypes = %v, want Ingress and Egress", np.Spec.PolicyTypes)
	}
	var ports []int
	for _, r := range np.Spec.Egress {
		if len(r.To) == 0 {
			t.Errorf("egress rule %+v allows every destination", r)
		}
		for _, p := range r.Ports {
			ports = append(ports, p.Port.IntValue())
		}
	}
	slices.Sort(ports)
	if want := []int{53, 53, 3306, 4317, 4318, 6379}; !slices.Equal(ports, want) {
		t.Errorf("egress ports = %v, want %v (DNS, MySQL, OTLP, Redis)", ports, want)
	}
	for _, r := range np.Spec.Ingress {
		if len(r.From) == 0 {
			t.Errorf("ingress rule %+v allows every source", r)
		}
	}
}

func TestNoSecretValueInCharts(t *testing.T) {
	for _, r := range chartReleases(t) {
		objs, err := Render(r)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			if o.GetKind() == "Secret" {
				t.Errorf("%s %s: %s: a Secret in the chart; credentials come from ExternalSecrets", r.Chart, r.Values[0], o.Ref())
			}
		}
	}
	es := Find(mustRender(t, "petclinic", "prod"), "ExternalSecret")
	if len(es) != 1 {
		t.Fatalf("got %d ExternalSecrets, want 1", len(es))
	}
	data, _, _ := nestedSlice(es[0].Object, "spec", "data")
	var keys []string
	for _, d := range data {
		ref := d.(map[string]any)["remoteRef"].(map[string]any)
		keys = append(keys, ref["key"].(string))
	}
	// terraform/modules/redis names the AUTH token <name>/redis-auth-token with
	// name = <project>-<env>-cache; RDS names its own master secret.
	if !slices.Contains(keys, "gameday-prod-cache/redis-auth-token") {
		t.Errorf("ExternalSecret keys %v, want the Redis entry gameday-prod-cache/redis-auth-token", keys)
	}
}

func TestPetclinicSLORulesAreTheGeneratedOnes(t *testing.T) {
	gen, _ := filepath.Glob(filepath.Join(root, "monitoring/prometheus/rules/_gen/*.yml"))
	objs := mustRender(t, "petclinic", "prod")
	rules := Find(objs, "PrometheusRule")
	if len(gen) == 0 {
		if len(rules) != 0 {
			t.Errorf("no generated SLO rules, yet %d PrometheusRules rendered", len(rules))
		}
		t.Skip("no SLO rules in monitoring/prometheus/rules/_gen/ yet")
	}
	if len(rules) != 1 {
		t.Fatalf("got %d PrometheusRules, want 1 with the SLO rules", len(rules))
	}
	groups, _, _ := nestedSlice(rules[0].Object, "spec", "groups")
	var names []string
	for _, g := range groups {
		names = append(names, g.(map[string]any)["name"].(string))
	}
	var want []string
	for _, f := range gen {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var file struct {
			Groups []struct{ Name string } `json:"groups"`
		}
		if err := yaml.Unmarshal(data, &file); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, g := range file.Groups {
			want = append(want, g.Name)
		}
	}
	slices.Sort(names)
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("rule groups in the chart = %v\nwant those of monitoring/prometheus/rules/_gen/ = %v\n(scripts/platform-check.sh fix copies them)", names, want)
	}
}

func mapsEqual[K comparable, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// pdbAllows is the number of voluntary disruptions a PodDisruptionBudget
// allows with n healthy replicas (the disruption controller's arithmetic:
// percentages of minAvailable round up, of maxUnavailable round up too).
func pdbAllows(pdb *policyv1.PodDisruptionBudget, n int) (int, error) {
	switch {
	case pdb.Spec.MinAvailable != nil && pdb.Spec.MaxUnavailable != nil:
		return 0, fmt.Errorf("PDB sets both minAvailable and maxUnavailable")
	case pdb.Spec.MinAvailable != nil:
		v, err := intstr.GetScaledValueFromIntOrPercent(pdb.Spec.MinAvailable, n, true)
		return max(n-v, 0), err
	case pdb.Spec.MaxUnavailable != nil:
		v, err := intstr.GetScaledValueFromIntOrPercent(pdb.Spec.MaxUnavailable, n, true)
		return max(v, 0), err
	}
	return 0, fmt.Errorf("PDB sets neither minAvailable nor maxUnavailable")
}
