package validate

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

// zoneLabel is the label an experiment names a zone with (the harness's
// spec.ZoneLabel); a fault selecting it needs three zones (two left).
const zoneLabel = "topology.kubernetes.io/zone"

// suiteFile and experimentFile are the parts of experiments/ the static
// preconditions look at (the harness's internal/spec is not importable).
type suiteFile struct {
	Spec struct {
		Experiments []struct {
			File string `json:"file"`
		} `json:"experiments"`
	} `json:"spec"`
}

type podSelector struct {
	LabelSelectors map[string]string `json:"labelSelectors"`
	NodeSelectors  map[string]string `json:"nodeSelectors"`
}

type experimentFile struct {
	Metadata struct {
		Name     string `json:"name"`
		ProdSafe bool   `json:"prodSafe"`
	} `json:"metadata"`
	Spec struct {
		Faults []struct {
			Name string `json:"name"`
			Spec struct {
				Selector *podSelector `json:"selector"`
				// Target is a NetworkChaos's other side (HTTPChaos's target is
				// a string: Request or Response).
				Target json.RawMessage `json:"target"`
			} `json:"spec"`
		} `json:"faults"`
	} `json:"spec"`
}

// petclinicEnv is what an environment's PetClinic guarantees a game day.
type petclinicEnv struct {
	replicas int32  // the fewest replicas (HPA minReplicas when autoscaled)
	zones    int32  // zones the replicas are guaranteed to be in
	spread   string // the zone constraint, for messages
}

func petclinicOf(t *testing.T, env, extra string) petclinicEnv {
	t.Helper()
	objs, err := render(t, "petclinic", env, extra)
	if err != nil {
		t.Fatal(err)
	}
	d := typed[appsv1.Deployment](t, objs, "Deployment")
	if n := len(Find(objs, "StatefulSet")); n != 0 {
		t.Fatalf("petclinic renders %d StatefulSets: update the precondition check", n)
	}
	p := petclinicEnv{replicas: 1, zones: 1, spread: "no zone constraint"}
	if d.Spec.Replicas != nil {
		p.replicas = *d.Spec.Replicas
	}
	if len(Find(objs, "HorizontalPodAutoscaler")) == 1 {
		hpa := typed[autoscalingv2.HorizontalPodAutoscaler](t, objs, "HorizontalPodAutoscaler")
		if hpa.Spec.MinReplicas != nil && *hpa.Spec.MinReplicas < p.replicas {
			p.replicas = *hpa.Spec.MinReplicas
		}
	}
	for _, c := range d.Spec.Template.Spec.TopologySpreadConstraints {
		if c.TopologyKey != zoneLabel {
			continue
		}
		md := int32(0)
		if c.MinDomains != nil {
			md = *c.MinDomains
		}
		p.spread = fmt.Sprintf("%s, maxSkew %d, minDomains %d", c.WhenUnsatisfiable, c.MaxSkew, md)
		// Only a hard constraint with minDomains forces the replicas into
		// that many zones; a soft one may leave them all in one.
		if c.WhenUnsatisfiable == corev1.DoNotSchedule && c.MaxSkew == 1 && md > 1 {
			p.zones = min(md, p.replicas)
		}
	}
	return p
}

// scheduled is a CronJob of the gameday chart: its suite and --allow-prod.
type scheduled struct {
	suite     string
	allowProd bool
}

func schedulesOf(t *testing.T, env, extra string) []scheduled {
	t.Helper()
	objs, err := render(t, "gameday", env, extra)
	if err != nil {
		t.Fatal(err)
	}
	var out []scheduled
	for _, o := range Find(objs, "CronJob") {
		var cj batchv1.CronJob
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &cj); err != nil {
			t.Fatalf("%s: %v", o.Source, err)
		}
		pod := cj.Spec.JobTemplate.Spec.Template.Spec
		args := pod.Containers[0].Args
		if len(pod.InitContainers) > 0 {
			args = pod.InitContainers[0].Args // a report, written before gameday publish commits it
		}
		if cj.Labels["gameday.dev/report"] == "slo" {
			if !slices.Equal(args[:2], []string{"slo", "report"}) {
				t.Fatalf("%s: the SLO report's CronJob runs %v", o.Ref(), args)
			}
			continue // no fault: not a game day
		}
		if cj.Labels["gameday.dev/report"] == "dora" && args[0] == "dora" {
			continue // the DORA report (dora_test.go): not a game day
		}
		if cj.Labels["gameday.dev/report"] == "cost" && args[0] == "cost" {
			continue // the cost report (cost_test.go): not a game day
		}
		suite := strings.TrimSuffix(filepath.Base(args[len(args)-1]), ".yaml")
		if cj.Labels["gameday.dev/suite"] != suite {
			t.Fatalf("%s: runs suite %q, labelled %q", o.Ref(), suite, cj.Labels["gameday.dev/suite"])
		}
		out = append(out, scheduled{suite: suite, allowProd: slices.Contains(args, "--allow-prod")})
	}
	// The scheduler's game days: the suites of its schedules file.
	for _, o := range Find(objs, "Deployment") {
		var d appsv1.Deployment
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &d); err != nil {
			t.Fatalf("%s: %v", o.Source, err)
		}
		if d.Labels["app.kubernetes.io/component"] != "scheduler" {
			continue
		}
		args := d.Spec.Template.Spec.Containers[0].Args
		out = append(out, schedulerSuites(t, filepath.Base(args[len(args)-1]))...)
	}
	return out
}

// schedulesFile is the part of a schedules file (experiments/schedules/)
// the static preconditions look at.
type schedulesFile struct {
	Spec struct {
		Schedules []struct {
			Suite      string            `json:"suite"`
			Experiment string            `json:"experiment"`
			Flags      map[string]string `json:"flags"`
			Suspend    bool              `json:"suspend"`
		} `json:"schedules"`
	} `json:"spec"`
}

func schedulerSuites(t *testing.T, file string) []scheduled {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(chartPath("gameday"), "files", "experiments", "schedules", file))
	if err != nil {
		t.Fatal(err)
	}
	var f schedulesFile
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	var out []scheduled
	for _, s := range f.Spec.Schedules {
		if s.Suite == "" || s.Suspend {
			continue
		}
		out = append(out, scheduled{suite: strings.TrimSuffix(filepath.Base(s.Suite), ".yaml"), allowProd: s.Flags["allow-prod"] == "true"})
	}
	if len(out) == 0 {
		t.Fatalf("schedules file %s schedules no suite", file)
	}
	return out
}

// preconditions are the static checks of the Kubernetes engine's preflight
// (harness/internal/kube/preflight.go) that the values alone decide: ready
// replicas in enough zones (three when a fault selects a zone, two
// otherwise), selectors that match pods the cluster runs (RDS and
// ElastiCache are no pods), and in prod only prodSafe experiments, with
// --allow-prod.
func preconditions(env string, pc petclinicEnv, scheds []scheduled) error {
	var errs []error
	for _, s := range scheds {
		path := filepath.Join(root, "experiments", "suites", s.suite+".yaml")
		var suite suiteFile
		if err := readYAML(path, &suite); err != nil {
			errs = append(errs, err)
			continue
		}
		if env == "prod" && !s.allowProd {
			errs = append(errs, fmt.Errorf("%s: suite %s: the CronJob lacks --allow-prod (target.allowProd), so the harness refuses every experiment in production", env, s.suite))
		}
		for _, e := range suite.Spec.Experiments {
			var x experimentFile
			if err := readYAML(filepath.Join(filepath.Dir(path), e.File), &x); err != nil {
				errs = append(errs, err)
				continue
			}
			at := fmt.Sprintf("%s: suite %s: experiment %s", env, s.suite, x.Metadata.Name)
			if env == "prod" && !x.Metadata.ProdSafe {
				errs = append(errs, fmt.Errorf("%s: not prodSafe", at))
			}
			need := int32(2)
			for _, f := range x.Spec.Faults {
				if sel := f.Spec.Selector; sel != nil && (sel.LabelSelectors[zoneLabel] != "" || sel.NodeSelectors[zoneLabel] != "") {
					need = 3
				}
			}
			if pc.replicas < need || pc.zones < need {
				errs = append(errs, fmt.Errorf("%s: needs ready replicas in %d zones, PetClinic guarantees %d replicas in %d zone(s) (%s)", at, need, pc.replicas, pc.zones, pc.spread))
			}
			for _, f := range x.Spec.Faults {
				sels := map[string]*podSelector{"selector": f.Spec.Selector}
				var target struct {
					Selector *podSelector `json:"selector"`
				}
				if json.Unmarshal(f.Spec.Target, &target) == nil {
					sels["target.selector"] = target.Selector
				}
				for _, field := range slices.Sorted(maps.Keys(sels)) {
					sel := sels[field]
					if sel == nil {
						continue
					}
					// The engine maps app: petclinic onto the Deployment's pod
					// selector and pod: petclinic-N onto its N-th ready pod;
					// the chart runs no other pod (RDS and ElastiCache are none).
					if sel.LabelSelectors["app"] != "petclinic" {
						errs = append(errs, fmt.Errorf("%s: fault %s: %s selects %v, no pod of the environment (only PetClinic's run there; a managed database or Redis is no pod: use externalTargets or leave the experiment out)", at, f.Name, field, sel.LabelSelectors))
						continue
					}
					if name, ok := sel.LabelSelectors["pod"]; ok {
						var n int32
						if _, err := fmt.Sscanf(name, "petclinic-%d", &n); err != nil || n >= pc.replicas {
							errs = append(errs, fmt.Errorf("%s: fault %s: %s selects replica %s, PetClinic guarantees %d", at, f.Name, field, name, pc.replicas))
						}
					}
				}
			}
		}
	}
	return errors.Join(errs...)
}

func readYAML(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// TestScheduledSuitesCanPass: every game day the gameday chart schedules in
// an environment satisfies the preflight's static preconditions against that
// environment's PetClinic; the regressions are the shapes that could not.
func TestScheduledSuitesCanPass(t *testing.T) {
	for _, tc := range []struct {
		name, env, gameday, petclinic string
		want                          []string // substrings of the error; none: it passes
	}{
		{name: "dev", env: "dev"},
		{name: "staging", env: "staging"},
		{name: "prod", env: "prod"},
		{
			name: "staging with two replicas and soft spread", env: "staging",
			petclinic: "replicaCount: 2\nautoscaling: {minReplicas: 2}\ntopologySpread: {zoneWhenUnsatisfiable: ScheduleAnyway, minZones: 0}\n",
			want:      []string{"experiment zone-outage: needs ready replicas in 3 zones, PetClinic guarantees 2 replicas in 1 zone(s)", "experiment pod-kill: needs ready replicas in 2 zones"},
		},
		{
			name: "staging running the sandbox's weekly game day", env: "staging",
			gameday: "schedules: [{suite: weekly-gameday, schedule: \"0 10 * * 3\"}]\n",
			want:    []string{"experiment redis-loss: fault cut-redis: target.selector selects map[app:redis]", "experiment db-latency: fault slow-database: target.selector selects map[app:mariadb]"},
		},
		{
			name: "dev scheduling the gate on one replica", env: "dev",
			gameday: "schedules: [{suite: k8s-preprod-gate, schedule: \"0 7 * * 1-5\"}]\n",
			want:    []string{"experiment pod-kill: needs ready replicas in 2 zones, PetClinic guarantees 1 replicas in 1 zone(s)"},
		},
		{
			name: "prod without --allow-prod", env: "prod",
			gameday: "target: {allowProd: false}\n",
			want:    []string{"the CronJob lacks --allow-prod"},
		},
		{
			name: "prod running the staging suite", env: "prod",
			gameday: "schedules: [{suite: k8s-staging-weekly, schedule: \"0 10 * * 3\", suspend: true}]\n",
			want:    []string{"experiment zone-outage: not prodSafe", "experiment cpu-stress: not prodSafe"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := preconditions(tc.env, petclinicOf(t, tc.env, tc.petclinic), schedulesOf(t, tc.env, tc.gameday))
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("scheduled game days cannot pass:\n%v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
		})
	}
}

// TestProdSuspendedByDefault: production game days start only when the
// on-call team resumes the CronJob.
func TestProdSuspendedByDefault(t *testing.T) {
	objs := mustRender(t, "gameday", "prod")
	cjs := Find(objs, "CronJob")
	if len(cjs) == 0 {
		t.Fatal("prod schedules no game day")
	}
	for _, o := range cjs {
		if o.GetLabels()["gameday.dev/suite"] == "" {
			continue // the SLO report reads Prometheus only
		}
		if s, _, _ := nestedBool(o.Object, "spec", "suspend"); !s {
			t.Errorf("%s: suspend = false, want true in prod", o.Ref())
		}
	}
}

// TestSLOReportCronJob: in every environment a CronJob writes the SLO report
// as HTML under /reports, reads the mounted OpenSLO specs, and, where reports
// are published, writes it in an init container that `gameday publish` then
// commits (docs/publishing.md).
func TestSLOReportCronJob(t *testing.T) {
	for _, env := range []string{"dev", "staging", "prod"} {
		t.Run(env, func(t *testing.T) {
			objs := mustRender(t, "gameday", env)
			var found []batchv1.CronJob
			for _, o := range Find(objs, "CronJob") {
				if o.GetLabels()["gameday.dev/report"] == "slo" {
					var cj batchv1.CronJob
					if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &cj); err != nil {
						t.Fatal(err)
					}
					found = append(found, cj)
				}
			}
			if len(found) != 1 {
				t.Fatalf("%d SLO report CronJobs, want 1", len(found))
			}
			pod := found[0].Spec.JobTemplate.Spec.Template.Spec
			publish := env != "dev" // ci/dev-values.yaml: publish.enabled false
			c := reportContainer(t, pod, publish, "/reports/slo/"+env)
			for _, want := range []string{"--format=html", "--out=/reports/slo/" + env + "/report.html", "--slo-dir=/etc/gameday/slo"} {
				if !slices.Contains(c.Args, want) {
					t.Errorf("args %v lack %s", c.Args, want)
				}
			}
			mounts := map[string]string{}
			for _, m := range c.VolumeMounts {
				mounts[m.MountPath] = m.Name
			}
			if mounts["/etc/gameday/slo"] == "" || mounts["/reports"] == "" {
				t.Errorf("mounts %v: want /etc/gameday/slo and /reports", mounts)
			}
		})
	}
}

// reportContainer returns the container writing a report (SLO, DORA) of
// pod: where it is published, an init container, and the pod's one
// container commits folder with gameday publish and the git credentials;
// otherwise the pod's one container.
func reportContainer(t *testing.T, pod corev1.PodSpec, publish bool, folder string) corev1.Container {
	t.Helper()
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Containers))
	}
	if !publish {
		if len(pod.InitContainers) != 0 {
			t.Errorf("init containers %v without publishing", pod.InitContainers)
		}
		return pod.Containers[0]
	}
	if len(pod.InitContainers) != 1 {
		t.Fatalf("%d init containers, want the report's", len(pod.InitContainers))
	}
	p := pod.Containers[0]
	if p.Name != "publish" || len(p.Args) == 0 || p.Args[0] != "publish" || p.Args[len(p.Args)-1] != folder || !slices.Contains(p.Args, "--reports-dir=/reports") {
		t.Errorf("publisher %s %v: want gameday publish ... %s", p.Name, p.Args, folder)
	}
	if len(p.EnvFrom) != 1 || p.EnvFrom[0].SecretRef == nil || !strings.HasSuffix(p.EnvFrom[0].SecretRef.Name, "-git") {
		t.Errorf("publisher envFrom %+v: want the git credentials", p.EnvFrom)
	}
	if pod.ShareProcessNamespace != nil && *pod.ShareProcessNamespace {
		t.Error("shareProcessNamespace: nothing waits for another process any more")
	}
	return pod.InitContainers[0]
}
