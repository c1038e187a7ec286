package validate

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// gamedayPods are the pod specs of the gameday chart that run game days:
// the CronJobs of suites and the scheduler's Deployment, by name.
func gamedayPods(t *testing.T, objs []Object) map[string]corev1.PodSpec {
	t.Helper()
	pods := map[string]corev1.PodSpec{}
	for _, o := range Find(objs, "CronJob") {
		if o.GetLabels()["gameday.dev/suite"] == "" {
			continue
		}
		var cj batchv1.CronJob
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &cj); err != nil {
			t.Fatal(err)
		}
		pods[o.Ref()] = cj.Spec.JobTemplate.Spec.Template.Spec
	}
	for _, o := range Find(objs, "Deployment") {
		if !strings.HasSuffix(o.GetName(), "-scheduler") {
			continue
		}
		var d appsv1.Deployment
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &d); err != nil {
			t.Fatal(err)
		}
		pods[o.Ref()] = d.Spec.Template.Spec
	}
	return pods
}

// TestGamedayPublishesAndNotifies: wherever reports are published, every
// game day runs with --publish and the git credentials (gameday commits its
// reports itself; no sidecar); where notifications are on, with --notify
// of the mounted notifications file and the Slack webhook URL from its
// ExternalSecret.
func TestGamedayPublishesAndNotifies(t *testing.T) {
	cases := map[string]struct {
		publish, notify bool
		labels          []string
	}{
		"staging": {true, true, []string{"--notify-label=environment=staging"}},
		"prod":    {true, true, []string{"--notify-label=environment=prod"}},
	}
	for env, c := range cases {
		t.Run(env, func(t *testing.T) {
			objs := mustRender(t, "gameday", env)
			pods := gamedayPods(t, objs)
			if len(pods) == 0 {
				t.Fatal("no game day in the chart")
			}
			for ref, pod := range pods {
				if len(pod.Containers) != 1 {
					t.Errorf("%s: %d containers, want gameday alone (it publishes itself)", ref, len(pod.Containers))
					continue
				}
				g := pod.Containers[0]
				want := []string{"--publish", "--publish-repo=https://github.com/gamedayhq/gameday-reports.git", "--publish-branch=main", "--publish-path=reports",
					"--notify=/etc/gameday/notify/notifications.yaml"}
				for _, w := range append(want, c.labels...) {
					if !slices.Contains(g.Args, w) {
						t.Errorf("%s: args %v lack %s", ref, g.Args, w)
					}
				}
				if len(g.EnvFrom) != 1 || g.EnvFrom[0].SecretRef == nil || g.EnvFrom[0].SecretRef.Name != "gameday-git" {
					t.Errorf("%s: envFrom %+v, want the git credentials gameday-git", ref, g.EnvFrom)
				}
				var slack *corev1.EnvVar
				for i := range g.Env {
					if g.Env[i].Name == "GAMEDAY_SLACK_WEBHOOK_URL" {
						slack = &g.Env[i]
					}
				}
				if slack == nil || slack.ValueFrom == nil || slack.ValueFrom.SecretKeyRef == nil ||
					slack.ValueFrom.SecretKeyRef.Name != "gameday-notifications" || slack.ValueFrom.SecretKeyRef.Key != "slack-webhook-url" {
					t.Errorf("%s: GAMEDAY_SLACK_WEBHOOK_URL %+v, want the key slack-webhook-url of gameday-notifications", ref, slack)
				}
				mounted := false
				for _, m := range g.VolumeMounts {
					mounted = mounted || m.MountPath == "/etc/gameday/notify"
				}
				if !mounted {
					t.Errorf("%s: the notifications file is not mounted at /etc/gameday/notify", ref)
				}
			}
			es := Find(objs, "ExternalSecret")
			names := []string{}
			for _, o := range es {
				names = append(names, o.GetName())
			}
			if !slices.Contains(names, "gameday-notifications") || !slices.Contains(names, "gameday-git") {
				t.Errorf("ExternalSecrets %v: want gameday-git and gameday-notifications", names)
			}
		})
	}
	t.Run("dev publishes nothing and notifies nothing", func(t *testing.T) {
		objs := mustRender(t, "gameday", "dev")
		for _, o := range objs {
			if o.GetName() == "gameday-notifications" || o.GetName() == "gameday-git" {
				t.Errorf("dev renders %s", o.Ref())
			}
		}
	})
}

var (
	cliOnce sync.Once
	cliPath string
	cliErr  error
	cliDir  string // removed by TestMain
)

// gamedayCLI is the gameday binary built from the work tree (or
// $GAMEDAY_CLI): the real command line the chart's arguments must suit.
func gamedayCLI(t *testing.T) string {
	t.Helper()
	cliOnce.Do(func() {
		if p := os.Getenv("GAMEDAY_CLI"); p != "" {
			cliPath = p
			return
		}
		dir, err := os.MkdirTemp("", "gameday-cli-")
		if err != nil {
			cliErr = err
			return
		}
		cliDir, cliPath = dir, filepath.Join(dir, "gameday")
		cmd := exec.Command("go", "build", "-o", cliPath, "github.com/gamedayhq/gameday/harness/cmd/gameday")
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		if err != nil {
			cliErr = err
			cliPath = string(out)
		}
	})
	if cliErr != nil {
		t.Fatalf("go build gameday: %v\n%s", cliErr, cliPath)
	}
	return cliPath
}

// withHelp is the command words and flags of args with --help after the
// command words: the CLI parses every flag (an unknown one, or a bad value,
// is an error), then prints the help instead of running. The arguments
// after the flags (files) are left out: given with --help, the CLI would
// look them up as commands. (The chart writes every flag as --name=value.)
func withHelp(args []string) []string {
	i := slices.IndexFunc(args, func(a string) bool { return strings.HasPrefix(a, "-") })
	if i < 0 {
		return append(slices.Clone(args), "--help")
	}
	out := append(slices.Clone(args[:i]), "--help")
	for _, a := range args[i:] {
		if strings.HasPrefix(a, "-") {
			out = append(out, a)
		}
	}
	return out
}

// TestGamedayArgsAreTheCLIs: every container of the gameday image in every
// scenario of the chart runs a command line the real CLI accepts, and the
// notifications file it renders passes `gameday validate` with the Slack
// URL its Secret will give.
func TestGamedayArgsAreTheCLIs(t *testing.T) {
	bin := gamedayCLI(t)
	run := func(t *testing.T, env []string, args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), env...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Errorf("gameday %s: %v\n%s", strings.Join(args, " "), err, out.String())
		}
		return out.String()
	}
	checked := 0
	for _, r := range chartReleases(t) {
		if r.Name != "gameday" {
			continue
		}
		t.Run(filepath.Base(r.Values[0]), func(t *testing.T) {
			objs, err := Render(r)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range objs {
				var pod *corev1.PodSpec
				switch o.GetKind() {
				case "CronJob":
					var cj batchv1.CronJob
					if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &cj); err != nil {
						t.Fatal(err)
					}
					pod = &cj.Spec.JobTemplate.Spec.Template.Spec
				case "Deployment":
					var d appsv1.Deployment
					if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &d); err != nil {
						t.Fatal(err)
					}
					pod = &d.Spec.Template.Spec
				case "ConfigMap":
					if f, ok := o.Object["data"].(map[string]any)["notifications.yaml"].(string); ok {
						p := filepath.Join(t.TempDir(), "notifications.yaml")
						if err := os.WriteFile(p, []byte(f), 0o600); err != nil {
							t.Fatal(err)
						}
						out := run(t, []string{"GAMEDAY_SLACK_WEBHOOK_URL=https://hooks.slack.com/services/T0/B0/x"}, "validate", p)
						t.Logf("%s: %s", o.Ref(), strings.TrimSpace(out))
						checked++
					}
					continue
				default:
					continue
				}
				for _, c := range append(slices.Clone(pod.InitContainers), pod.Containers...) {
					if !strings.Contains(c.Image, "/gameday") {
						continue
					}
					run(t, nil, withHelp(c.Args)...)
					checked++
				}
			}
		})
	}
	if checked < 10 {
		t.Errorf("checked %d command lines and files, want the chart's (at least 10)", checked)
	}
}
