package values

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/gamedayhq/gameday/harness/internal/dashboards"
	"github.com/gamedayhq/gameday/harness/internal/repotest"
)

// doc is a decoded YAML file.
type doc struct {
	file string
	m    map[string]any
}

func load(t *testing.T, path ...string) doc {
	t.Helper()
	f := filepath.Join(append([]string{repotest.Root(t)}, path...)...)
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.UnmarshalWithOptions(b, &m, yaml.Strict()); err != nil {
		t.Fatalf("%s: %v", f, err)
	}
	return doc{file: filepath.Join(path...), m: m}
}

// get walks a dotted path (keys may not contain dots; use get on the
// result for those).
func (d doc) get(t *testing.T, path string) any {
	t.Helper()
	var cur any = d.m
	for _, k := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			t.Fatalf("%s: %s: %q is not a mapping", d.file, path, k)
		}
		if cur, ok = m[k]; !ok {
			t.Fatalf("%s: %s: no key %q", d.file, path, k)
		}
	}
	return cur
}

func (d doc) str(t *testing.T, path string) string {
	t.Helper()
	s, ok := d.get(t, path).(string)
	if !ok {
		t.Fatalf("%s: %s: not a string", d.file, path)
	}
	return s
}

func list(t *testing.T, v any) []any {
	t.Helper()
	l, ok := v.([]any)
	if !ok {
		t.Fatalf("%v: not a list", v)
	}
	return l
}

// externalSecret returns the target Secret of an ExternalSecret and its keys.
func externalSecret(t *testing.T, path ...string) (string, []string) {
	es := load(t, path...)
	var keys []string
	for _, d := range list(t, es.get(t, "spec.data")) {
		keys = append(keys, d.(map[string]any)["secretKey"].(string))
	}
	return es.str(t, "spec.target.name"), keys
}

// The Alertmanager runs OUR configuration Secret, mounts the receivers'
// Secret, and every *_file of alertmanager.yml names a key of it.
func TestAlertmanagerSecrets(t *testing.T) {
	kps := load(t, "monitoring", "values", "kube-prometheus-stack.yaml")
	kust := load(t, "monitoring", "alertmanager", "kustomization.yaml")
	if kps.get(t, "alertmanager.alertmanagerSpec.useExistingSecret") != true {
		t.Error("alertmanager.alertmanagerSpec.useExistingSecret: want true (our Secret, as is)")
	}
	gen := list(t, kust.get(t, "secretGenerator"))[0].(map[string]any)
	if got, want := kps.str(t, "alertmanager.alertmanagerSpec.configSecret"), gen["name"]; got != want {
		t.Errorf("configSecret %q, want the kustomization's Secret %q", got, want)
	}
	secret, keys := externalSecret(t, "monitoring", "alertmanager", "externalsecret.yaml")
	mounted := list(t, kps.get(t, "alertmanager.alertmanagerSpec.secrets"))
	if !slices.Contains(mounted, any(secret)) {
		t.Errorf("alertmanagerSpec.secrets %v does not mount %s", mounted, secret)
	}
	am, err := os.ReadFile(filepath.Join(repotest.Root(t), "monitoring", "alertmanager", "alertmanager.yml"))
	if err != nil {
		t.Fatal(err)
	}
	files := regexp.MustCompile(`_file: (\S+)`).FindAllStringSubmatch(string(am), -1)
	if len(files) < 4 {
		t.Fatalf("found %d *_file settings in alertmanager.yml, want the receivers' secrets from files", len(files))
	}
	for _, f := range files {
		dir, key := filepath.Split(f[1])
		if dir != "/etc/alertmanager/secrets/"+secret+"/" || !slices.Contains(keys, key) {
			t.Errorf("alertmanager.yml reads %s: want /etc/alertmanager/secrets/%s/<one of %v>", f[1], secret, keys)
		}
	}
}

// Grafana loads the dashboards' ConfigMaps, its admin Secret exists, and the
// data sources link to each other by uid.
func TestGrafanaWiring(t *testing.T) {
	kps := load(t, "monitoring", "values", "kube-prometheus-stack.yaml")
	kust := load(t, "monitoring", "grafana", "kustomization.yaml")
	labels := kust.get(t, "generatorOptions.labels").(map[string]any)
	label := kps.str(t, "grafana.sidecar.dashboards.label")
	if labels[label] != kps.str(t, "grafana.sidecar.dashboards.labelValue") {
		t.Errorf("sidecar loads %s=%s, the ConfigMaps carry %v", label, kps.str(t, "grafana.sidecar.dashboards.labelValue"), labels)
	}
	if folder := kps.str(t, "grafana.sidecar.dashboards.folderAnnotation"); kust.get(t, "generatorOptions.annotations").(map[string]any)[folder] == nil {
		t.Errorf("the ConfigMaps have no %s annotation", folder)
	}
	secret, keys := externalSecret(t, "monitoring", "grafana", "externalsecret.yaml")
	if kps.str(t, "grafana.admin.existingSecret") != secret || !slices.Contains(keys, kps.str(t, "grafana.admin.userKey")) ||
		!slices.Contains(keys, kps.str(t, "grafana.admin.passwordKey")) {
		t.Errorf("grafana.admin: want Secret %s with keys %v", secret, keys)
	}

	uids := map[string]map[string]any{}
	for _, ds := range list(t, kps.get(t, "grafana.additionalDataSources")) {
		m := ds.(map[string]any)
		uids[m["type"].(string)] = m
	}
	prom := kps.str(t, "grafana.sidecar.datasources.uid")
	loki, tempo := uids["loki"], uids["tempo"]
	if loki == nil || tempo == nil {
		t.Fatalf("additionalDataSources: want a loki and a tempo data source, got %v", slices.Sorted(func(yield func(string) bool) {
			for k := range uids {
				yield(k)
			}
		}))
	}
	lj, tj := loki["jsonData"].(map[string]any), tempo["jsonData"].(map[string]any)
	df := list(t, lj["derivedFields"])[0].(map[string]any)
	checks := map[string][2]any{
		"loki derived field → tempo":            {df["datasourceUid"], tempo["uid"]},
		"tempo tracesToLogsV2 → loki":           {tj["tracesToLogsV2"].(map[string]any)["datasourceUid"], loki["uid"]},
		"tempo tracesToMetrics → prometheus":    {tj["tracesToMetrics"].(map[string]any)["datasourceUid"], prom},
		"tempo serviceMap → prometheus":         {tj["serviceMap"].(map[string]any)["datasourceUid"], prom},
		"prometheus exemplars → tempo":          {kps.str(t, "grafana.sidecar.datasources.exemplarTraceIdDestinations.datasourceUid"), tempo["uid"]},
		"prometheus exemplar label (PetClinic)": {kps.str(t, "grafana.sidecar.datasources.exemplarTraceIdDestinations.traceIdLabelName"), "trace_id"},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s: got %v, want %v", name, c[0], c[1])
		}
	}

	// The derived field finds the trace id in a real PetClinic access log
	// line (Grafana runs the regex in JavaScript; this one is plain enough
	// to mean the same in Go).
	line, err := os.ReadFile(filepath.Join("testdata", "petclinic-access-log.json"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(df["matcherRegex"].(string)).FindStringSubmatch(string(line))
	if len(m) != 2 || m[1] != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("derived field %q on the access log: got %q, want the trace id", df["matcherRegex"], m)
	}
	// Alloy pushes to the Loki Grafana reads.
	alloy := load(t, "monitoring", "values", "alloy.yaml")
	host := strings.TrimPrefix(loki["url"].(string), "http://")
	if !strings.Contains(alloy.str(t, "alloy.configMap.content"), "http://"+host+"/loki/api/v1/push") {
		t.Errorf("alloy's loki.write does not push to %s, where Grafana reads", host)
	}
}

// Prometheus selects our objects and receives Tempo's metrics-generator.
func TestPrometheusWiring(t *testing.T) {
	kps := load(t, "monitoring", "values", "kube-prometheus-stack.yaml")
	for _, k := range []string{"rule", "serviceMonitor", "podMonitor", "probe"} {
		if kps.get(t, "prometheus.prometheusSpec."+k+"SelectorNilUsesHelmValues") != false {
			t.Errorf("prometheusSpec.%sSelectorNilUsesHelmValues: want false (select our objects, not only the release's)", k)
		}
		if sel, ok := kps.get(t, "prometheus.prometheusSpec."+k+"Selector").(map[string]any); !ok || len(sel) != 0 {
			t.Errorf("prometheusSpec.%sSelector: want {} (every object)", k)
		}
	}
	// Alertmanager's inhibition of PetClinicMetricsAbsent is scoped by the
	// cluster external label: every environment must set its own.
	for _, env := range []string{"dev", "staging", "prod"} {
		v := load(t, "monitoring", "values", env, "kube-prometheus-stack.yaml")
		if got := v.str(t, "prometheus.prometheusSpec.externalLabels.cluster"); got != "gameday-"+env {
			t.Errorf("monitoring/values/%s/kube-prometheus-stack.yaml: externalLabels.cluster %q, want gameday-%s", env, got, env)
		}
	}
	if kps.get(t, "prometheus.prometheusSpec.enableRemoteWriteReceiver") != true {
		t.Error("prometheusSpec.enableRemoteWriteReceiver: want true (Tempo's metrics-generator writes there)")
	}
	tempo := load(t, "monitoring", "values", "tempo.yaml")
	if tempo.get(t, "tempo.metricsGenerator.enabled") != true {
		t.Error("tempo.metricsGenerator.enabled: want true")
	}
	// The release name of argocd/platform/apps/kube-prometheus-stack.yaml
	// names the Prometheus service.
	url := tempo.str(t, "tempo.metricsGenerator.remoteWriteUrl")
	if !strings.HasPrefix(url, "http://kube-prometheus-stack-prometheus.monitoring.svc.cluster.local:9090/api/v1/write") {
		t.Errorf("remoteWriteUrl %s: want kube-prometheus-stack's Prometheus service", url)
	}
	if !strings.Contains(tempo.str(t, "config"), "send_exemplars: true") || !strings.Contains(tempo.str(t, "config"), "processors: [service-graphs, span-metrics]") {
		t.Error("tempo config: want both processors and exemplars in remote write")
	}
}

// Loki and Tempo run as the service accounts terraform gives S3 access
// (EKS Pod Identity), keep data as long as terraform's retention for each
// environment, in that environment's bucket.
func TestStorageMatchesTerraform(t *testing.T) {
	r := repotest.Root(t)
	for _, env := range []string{"dev", "staging", "prod"} {
		main, err := os.ReadFile(filepath.Join(r, "terraform", "environments", env, "main.tf"))
		if err != nil {
			t.Fatal(err)
		}
		vars, err := os.ReadFile(filepath.Join(r, "terraform", "environments", env, "variables.tf"))
		if err != nil {
			t.Fatal(err)
		}
		for _, app := range []string{"loki", "tempo"} {
			re := regexp.MustCompile(app + `\s*=\s*\{\s*namespace\s*=\s*"([^"]+)"\s*service_account\s*=\s*"([^"]+)"`)
			m := re.FindSubmatch(main)
			if m == nil {
				t.Fatalf("terraform/environments/%s/main.tf: no pod identity for %s", env, app)
			}
			shared := load(t, "monitoring", "values", app+".yaml")
			if sa := shared.str(t, "serviceAccount.name"); string(m[1]) != "monitoring" || string(m[2]) != sa {
				t.Errorf("%s: service account monitoring/%s, terraform grants %s/%s", app, sa, m[1], m[2])
			}
			days := regexp.MustCompile(`variable "` + app + `_retention_days" \{[^}]*default\s*=\s*(\d+)`).FindSubmatch(vars)
			if days == nil {
				t.Fatalf("terraform/environments/%s/variables.tf: no %s_retention_days default", env, app)
			}
			n, _ := strconv.Atoi(string(days[1]))
			want := fmt.Sprintf("%dh", 24*n)
			v := load(t, "monitoring", "values", env, app+".yaml")
			var got, bucket string
			if app == "loki" {
				got, bucket = v.str(t, "loki.limits_config.retention_period"), v.str(t, "loki.storage.bucketNames.chunks")
			} else {
				got, bucket = v.str(t, "tempo.retention"), v.str(t, "tempo.storage.trace.s3.bucket")
			}
			if got != want {
				t.Errorf("monitoring/values/%s/%s.yaml: retention %s, terraform keeps %d days (%s)", env, app, got, n, want)
			}
			if !strings.HasPrefix(bucket, "gameday-"+env+"-"+app+"-") {
				t.Errorf("monitoring/values/%s/%s.yaml: bucket %s, want terraform's gameday-%s-%s-<account id>", env, app, bucket, env, app)
			}
		}
	}
}

// The stream labels the dashboards' LogQL selects on are labels Alloy sets.
func TestLogQLSelectsLabelsAlloySets(t *testing.T) {
	r := repotest.Root(t)
	content := load(t, "monitoring", "values", "alloy.yaml").str(t, "alloy.configMap.content")
	set := map[string]bool{"cluster": true} // loki.write external_labels
	for _, m := range regexp.MustCompile(`target_label\s*=\s*"(\w+)"`).FindAllStringSubmatch(content, -1) {
		set[m[1]] = true
	}
	if m := regexp.MustCompile(`stage\.labels\s*\{\s*values\s*=\s*\{\s*(\w+)\s*=`).FindStringSubmatch(content); m != nil {
		set[m[1]] = true
	}
	ds, err := dashboards.Load(filepath.Join(r, "monitoring", "grafana", "dashboards"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	selector := regexp.MustCompile(`^\s*\{([^}]*)\}`)
	matcher := regexp.MustCompile(`(\w+)\s*(?:=~|!~|!=|=)`)
	for _, d := range ds {
		qs, err := d.Queries()
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range qs {
			if q.Lang != dashboards.LogQL {
				continue
			}
			n++
			sel := selector.FindStringSubmatch(q.Expr)
			if sel == nil {
				t.Errorf("%s: %q does not start with a stream selector", q, q.Expr)
				continue
			}
			for _, m := range matcher.FindAllStringSubmatch(sel[1], -1) {
				if !set[m[1]] {
					t.Errorf("%s: selects on label %q, which Alloy does not set (it sets %v)", q, m[1], slices.Sorted(maps.Keys(set)))
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no LogQL query in the dashboards")
	}
}
