package validate

import (
	"slices"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// TestCostReportCronJob: in every environment a weekly CronJob writes the
// FinOps report of that environment (gameday cost --format html) under
// /reports/cost/<environment>, with the budgets and inventory of files/cost/;
// where reports are published, as an init container that gameday publish
// follows (every cluster publishes to one repository: one folder each).
func TestCostReportCronJob(t *testing.T) {
	for _, env := range []string{"dev", "staging", "prod"} {
		t.Run(env, func(t *testing.T) {
			objs := mustRender(t, "gameday", env)
			var found []batchv1.CronJob
			for _, o := range Find(objs, "CronJob") {
				if o.GetLabels()["gameday.dev/report"] == "cost" {
					var cj batchv1.CronJob
					if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &cj); err != nil {
						t.Fatal(err)
					}
					found = append(found, cj)
				}
			}
			if len(found) != 1 {
				t.Fatalf("%d cost report CronJobs, want 1", len(found))
			}
			cj := found[0]
			if cj.Spec.Schedule != "0 7 * * 1" {
				t.Errorf("schedule %q, want Monday 07:00", cj.Spec.Schedule)
			}
			pod := cj.Spec.JobTemplate.Spec.Template.Spec
			c := reportContainer(t, pod, env != "dev", "/reports/cost/"+env)
			for _, want := range []string{"cost", "--environment=" + env, "--format=html", "--out=/reports/cost/" + env + "/report.html",
				"--budgets=/etc/gameday/cost/budgets.yaml", "--inventory=/etc/gameday/cost/inventory.json", "--slo-dir=/etc/gameday/slo"} {
				if !slices.Contains(c.Args, want) {
					t.Errorf("args %v lack %s", c.Args, want)
				}
			}
			if !slices.ContainsFunc(c.Args, func(a string) bool { return strings.HasPrefix(a, "--prometheus-url=http") }) {
				t.Errorf("args %v: no --prometheus-url", c.Args)
			}
			var cm bool
			for _, o := range Find(objs, "ConfigMap") {
				if strings.HasSuffix(o.GetName(), "-cost") {
					data := stringMap(o.Object, "data")
					cm = strings.Contains(data["budgets.yaml"], "kind: CostBudgets") && strings.Contains(data["inventory.json"], `"environments"`)
				}
			}
			if !cm {
				t.Error("no ConfigMap -cost with the budgets and the inventory")
			}
		})
	}
	// The chart's own defaults know no environment: no report, no failure;
	// turned on without one, the render fails saying so.
	objs, err := Render(Release{Chart: chartPath("gameday"), Name: "gameday", Namespace: "gameday"})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range Find(objs, "CronJob") {
		if o.GetLabels()["gameday.dev/report"] == "cost" {
			t.Error("the default values render a cost report CronJob without an environment")
		}
	}
	if _, err := render(t, "gameday", "dev", "costReport:\n  environment: \"\"\n"); err == nil || !strings.Contains(err.Error(), "costReport.environment: name this cluster's environment") {
		t.Errorf("enabled without an environment: got %v", err)
	}
}

func stringMap(obj map[string]any, field string) map[string]string {
	out := map[string]string{}
	m, _ := obj[field].(map[string]any)
	for k, v := range m {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}
