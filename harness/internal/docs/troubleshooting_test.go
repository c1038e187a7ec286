package docs_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gamedayhq/gameday/harness/internal/cli"
	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/repotest"
)

// troubleCase reproduces one message of docs/troubleshooting.md with the
// real command line, in process, without a sandbox or a cluster.
type troubleCase struct {
	name string
	// args after "gameday"; dir is the case's scratch folder (its
	// GAMEDAY_HOME is dir/home, its reports dir/reports).
	args func(t *testing.T, root, dir string) []string
	// spans are code spans of the page, each of which the output must
	// match (placeholders: see spanPattern).
	spans []string
	exit  int
}

// troubleCases: every row of the page whose message a command line gives
// here. The others (a running sandbox, a cluster, a run under faults)
// are checked against the code by troubleSources.
var troubleCases = []troubleCase{
	{
		name:  "misspelt command",
		args:  fixed("publsh"),
		spans: []string{`gameday: unknown command "publsh": see gameday --help`},
		exit:  exitcode.Invalid,
	},
	{
		name:  "misspelt flag",
		args:  fixed("run", "--taget", "sandbox", "experiments/pod-kill.yaml"),
		spans: []string{`gameday: flag provided but not defined: -taget (see gameday run --help)`},
		exit:  exitcode.Invalid,
	},
	{
		name: "flags after the files",
		args: func(_ *testing.T, root, _ string) []string {
			return []string{"validate", filepath.Join(root, "experiments/pod-kill.yaml"), "--output", "json"}
		},
		spans: []string{"invalid  --output", "  --output: no such file or directory", "invalid  json"},
		exit:  exitcode.Invalid,
	},
	{
		name: "no sandbox for a run",
		args: func(_ *testing.T, root, dir string) []string {
			return []string{"run", "--reports-dir", filepath.Join(dir, "reports"), filepath.Join(root, "experiments/pod-kill.yaml")}
		},
		spans: []string{
			"pod-kill: INFRA (exit 3)",
			"gameday: experiment pod-kill targets the sandbox, but no sandbox runs in $GAMEDAY_HOME/sandbox: start it with gameday sandbox up",
		},
		exit: exitcode.Infra,
	},
	{
		name:  "no sandbox for sandbox status",
		args:  fixed("sandbox", "status"),
		spans: []string{"gameday: sandbox status: sandbox status $GAMEDAY_HOME/sandbox: sandbox is not running: start it with gameday sandbox up"},
		exit:  exitcode.Infra,
	},
	{
		name:  "no sandbox for cleanup",
		args:  fixed("cleanup"),
		spans: []string{"gameday: cleanup: sandbox status $GAMEDAY_HOME/sandbox: sandbox is not running: nothing to clean up without a sandbox (gameday sandbox up)"},
		exit:  exitcode.Infra,
	},
	{
		name: "a field missing",
		args: func(t *testing.T, root, dir string) []string {
			x := readFile(t, filepath.Join(root, "experiments/pod-kill.yaml"))
			bad := strings.Replace(x, "      duration: 30s\n", "", 1)
			if bad == x {
				t.Fatal("experiments/pod-kill.yaml: its fault's duration: 30s is gone, pick another field")
			}
			return []string{"validate", writeFile(t, dir, "pod-kill.yaml", bad)}
		},
		spans: []string{
			"FILE:LINE:COL: spec.faults[0].duration: required",
			"gameday: validate: 1 of N files invalid: fix the errors above (file:line:col: field: message)",
		},
		exit: exitcode.Invalid,
	},
	{
		name: "kubernetes without a URL",
		args: func(_ *testing.T, root, dir string) []string {
			return []string{"run", "--reports-dir", filepath.Join(dir, "reports"), "--target", "kubernetes", filepath.Join(root, "experiments/pod-kill.yaml")}
		},
		spans: []string{"gameday: experiment pod-kill: the kubernetes target needs PetClinic's URL: --target-url https://... (an Ingress, or a kubectl port-forward)"},
		exit:  exitcode.Invalid,
	},
	{
		name: "kubernetes without Prometheus",
		args: func(_ *testing.T, root, dir string) []string {
			return []string{"run", "--reports-dir", filepath.Join(dir, "reports"), "--target", "kubernetes",
				"--target-url", "http://127.0.0.1:1", filepath.Join(root, "experiments/pod-kill.yaml")}
		},
		spans: []string{"gameday: experiment pod-kill has promql probes: set --prometheus-url (the cluster's Prometheus, e.g. kubectl -n monitoring port-forward svc/prometheus 9090) or target.prometheusURL"},
		exit:  exitcode.Invalid,
	},
	{
		name: "kubernetes without a kubeconfig",
		args: func(_ *testing.T, root, dir string) []string {
			return []string{"run", "--reports-dir", filepath.Join(dir, "reports"), "--target", "kubernetes",
				"--target-url", "http://127.0.0.1:1", "--prometheus-url", "http://127.0.0.1:1", filepath.Join(root, "experiments/pod-kill.yaml")}
		},
		spans: []string{"gameday: kubeconfig: invalid configuration: no configuration has been provided, try setting KUBERNETES_MASTER environment variable: check --kubeconfig and --context"},
		exit:  exitcode.Invalid,
	},
	{
		name: "a cron out of range",
		args: func(t *testing.T, root, dir string) []string {
			return []string{"validate", writeFile(t, dir, "bad.yaml", fmt.Sprintf(`apiVersion: gameday.dev/v1alpha1
kind: Schedules
metadata:
  name: bad
spec:
  schedules:
    - name: nightly
      cron: "0 25 * * *"
      experiment: %s
`, filepath.Join(root, "experiments/pod-kill.yaml")))}
		},
		spans: []string{`FILE:LINE:COL: spec.schedules[0].cron: invalid cron "0 25 * * *": end of range (25) above maximum (23): 25 (want 5 fields: ...)`},
		exit:  exitcode.Invalid,
	},
	{
		name: "an unknown run",
		args: func(_ *testing.T, _, dir string) []string {
			return []string{"history", "show", "--reports-dir", filepath.Join(dir, "reports"), "nope"}
		},
		spans: []string{`gameday: history: "nope": no such run (gameday history list shows the runs)`},
		exit:  exitcode.Invalid,
	},
	{
		name: "a report that is not JSON",
		args: func(t *testing.T, _, dir string) []string {
			reports := filepath.Join(dir, "reports")
			writeFile(t, filepath.Join(reports, "s", "broken"), "report.json", "{")
			return []string{"history", "list", "--reports-dir", reports}
		},
		spans: []string{"history: skipping PATH: invalid JSON: ..."},
		exit:  0,
	},
	{
		name: "the UI's port taken",
		args: func(t *testing.T, _, dir string) []string {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { l.Close() })
			return []string{"serve", "--reports-dir", filepath.Join(dir, "reports"), "--addr", l.Addr().String()}
		},
		spans: []string{"gameday: serve: listen tcp 127.0.0.1:PORT: bind: address already in use (is --addr in use?)"},
		exit:  exitcode.Infra,
	},
	{
		name:  "slo report without Prometheus",
		args:  fixed("slo", "report"),
		spans: []string{"gameday: slo report: no --prometheus-url and no sandbox running in $GAMEDAY_HOME/sandbox (gameday sandbox up)"},
		exit:  exitcode.Infra,
	},
	{
		name:  "a DORA window",
		args:  fixed("dora", "--window", "x"),
		spans: []string{`--window "x": want a duration like 28d or 4w`},
		exit:  exitcode.Invalid,
	},
}

// troubleSources: the rows whose message needs a running sandbox, a
// cluster or a run under faults. Each span's words between placeholders
// are taken as they are in the code (the messages the page quotes, as the
// binary printed them, are made of these): a reworded message fails here.
var troubleSources = []struct {
	span, file string
	parts      []string // the parts of span in file (format verbs between them)
}{
	{"gameday: sandbox in $GAMEDAY_HOME/sandbox is not ready yet: wait, or see its logs", "harness/internal/cli/sandbox.go",
		[]string{"sandbox in ", " is not ready yet: wait, or see its logs"}},
	{"gameday: sandbox up: ... (see the logs in DIR; gameday sandbox down cleans up)", "harness/internal/cli/sandbox.go",
		[]string{"sandbox up: ", " (see the logs in ", "; gameday sandbox down cleans up)"}},
	{"sandbox in DIR is not running (supervisor gone...): gameday sandbox down, then up", "harness/internal/cli/sandbox.go",
		[]string{"sandbox in ", " is not running (supervisor gone", "): gameday sandbox down, then up"}},
	{"gameday: experiment dns-failure: spec.faults[0] (no-dns-on-one-replica): kind: DNSChaos is not supported by the sandbox engine; use --target kubernetes", "harness/internal/sandbox/chaos/faults.go",
		[]string{" is not supported by the sandbox engine; use --target kubernetes"}},
	{"gameday: prometheus http://127.0.0.1:1: prom: ready: prometheus unreachable at http://127.0.0.1:1: ... connect: connection refused (check --prometheus-url, or gameday sandbox status)", "harness/internal/prom/prom.go",
		[]string{"prom: ready: "}},
	{"- stop condition front-door-down: probe front-door breached 2 times in a row (last: front-door: status 503, want [200])", "harness/internal/runner/loop.go",
		[]string{"stop condition ", ": probe ", " breached ", " times in a row (last: "}},
	{"- interrupted: interrupt signal received", "harness/internal/runner/loop.go",
		[]string{`"interrupted: "`}},
	{"- probe front-door failed: 9 samples breached during a fault (first at +5s: ...)", "harness/internal/verdict/verdict.go",
		[]string{" samples breached during a fault (first at "}},
	{"warning: no Loki configured (--loki-url or spec.target.lokiURL): ...; the verdict does not cover them", "harness/internal/runner/guard.go",
		[]string{"no Loki configured (--loki-url or spec.target.lokiURL): ", "; the verdict does not cover them"}},
	{"no loki configured: logql probe skipped", "harness/internal/probe/logql.go", nil},
	{"recover fault X: ... (run gameday cleanup --run-id RUN-ID)", "harness/internal/runner/timeline.go",
		[]string{"recover fault ", " (run gameday cleanup --run-id "}},
	{"recovered  run kill-1: fault freeze-all: recovered stop petclinic-0 (pid 6147)", "harness/internal/cli/run.go",
		[]string{"recovered"}},
	{"nothing to clean up", "harness/internal/cli/run.go", nil},
	{"namespace allowed: namespace X is not in the allowlist (allowed: ...): add --allow-namespace X (or GAMEDAY_ALLOWED_NAMESPACES)", "harness/internal/kube/preflight.go",
		[]string{"namespace ", " is not in the allowlist (", "): add --allow-namespace ", " (or "}},
	{"namespace not production: namespace X is labelled environment=production and experiment pod-kill is not marked prod-safe ...", "harness/internal/kube/preflight.go",
		[]string{"namespace ", " is labelled ", " and experiment ", " is not marked prod-safe"}},
	{"namespace enabled for chaos mesh: namespace X is not annotated chaos-mesh.org/inject=enabled ...", "harness/internal/kube/preflight.go",
		[]string{"namespace ", " is not annotated ", "=enabled"}},
	{"kill switch released: kill switch ConfigMap gameday/gameday-kill-switch engaged (engaged=true): nothing runs until it is released", "harness/internal/kube/preflight.go",
		[]string{": nothing runs until it is released"}},
	{"inject fault X: injection not confirmed by Chaos Mesh within 1m0s (is the Chaos Mesh controller running? status: ...)", "harness/internal/kube/engine.go",
		[]string{"injection not confirmed by Chaos Mesh", "is the Chaos Mesh controller running? status: "}},
	{"load job ...: 1 of 2 workers succeeded, 1 failed: the load was short (a worker died); kubectl -n NS logs job/JOB --all-containers", "harness/internal/kube/loadfollow.go",
		[]string{"load job ", " workers succeeded, ", " failed: the load was short (a worker died); kubectl -n ", " logs job/", " --all-containers"}},
	{"gameday: cleanup: ... (run it again; the objects' durations end the faults anyway)", "harness/internal/cli/kube.go",
		[]string{"cleanup: ", " (run it again; the objects' durations end the faults anyway)"}},
	{"error-budget guard refused to start pod-kill-one: SLO petclinic-request-log-errors cannot be read: no Loki configured (--loki-url): a LogQL indicator cannot be evaluated: refused without budget data (--budget-guard-strict, the default of gate; =false admits); SLO petclinic-write-success has no data over its 30d window (no traffic yet?): ...", "harness/internal/slo/status.go",
		[]string{"no Loki configured (--loki-url): a LogQL indicator cannot be evaluated"}},
	{"slo check: N generated files are not up to date with the specs ... run gameday slo generate (make check-slo) and commit the result", "harness/internal/cli/slo.go",
		[]string{"slo check: ", " generated files are not up to date with the specs"}},
	{"no price for instance type t3a.large (onDemand) in region eu-west-1 of the price catalog ...: add it, with its source, to the catalog", "harness/internal/cost/catalog/catalog.go",
		[]string{"no price for ", " in region ", " of the price catalog ", ": add it, with its source, to the catalog"}},
	{"no cost data in the window ... (choose a window with data: --window, --end, --month)", "harness/internal/cost/collect.go",
		[]string{"no cost data in the window"}},
	{"[tools.sh] ERROR go is not on PATH (Go 1.26 is a prerequisite)", "scripts/tools.sh",
		[]string{"go is not on PATH (Go 1.26 is a prerequisite)"}},
	{"unknown command", "harness/internal/docs/resolve.go", nil},
	{"comes after the arguments", "harness/internal/docs/resolve.go", nil},
	{"FILE:LINE: mermaid diagram does not render:", "scripts/mermaid/render.mjs",
		[]string{": mermaid diagram does not render:"}},
	{"docs/demo/X: sha256 ...; recorded ...: it was edited, regenerate it with make demo-record", "harness/internal/docs/demo_test.go",
		[]string{"docs/demo/", ": sha256 ", "; recorded ", ": it was edited, regenerate it with make demo-record"}},
}

// TestTroubleshootingQuotesTheHarness runs the command line of every
// message of docs/troubleshooting.md that can be given here and matches its
// output and exit code against the page; the other messages' words must be
// in the code that prints them. A reworded error fails here until the page
// follows.
func TestTroubleshootingQuotesTheHarness(t *testing.T) {
	root := repotest.Root(t)
	page := readFile(t, filepath.Join(root, "docs/troubleshooting.md"))
	checked := map[string]bool{}
	for _, c := range troubleCases {
		for _, s := range c.spans {
			if !strings.Contains(page, "`"+s+"`") {
				t.Errorf("%s: docs/troubleshooting.md has no code span `%s`", c.name, s)
			}
			checked[s] = true
		}
		if c.args == nil {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			home := filepath.Join(dir, "home")
			t.Setenv("GAMEDAY_HOME", home)
			t.Setenv("HOME", home) // no ~/.kube/config
			t.Setenv("KUBECONFIG", "")
			t.Setenv("KUBERNETES_SERVICE_HOST", "")
			t.Setenv("NO_COLOR", "1")
			t.Chdir(root)
			args := c.args(t, root, dir)
			var out bytes.Buffer
			err := cli.Run(context.Background(), append([]string{"gameday"}, args...), strings.NewReader(""), &out, &out)
			if err != nil {
				fmt.Fprintf(&out, "gameday: %s\n", err) // as main prints it
			}
			got := strings.ReplaceAll(out.String(), home, "$GAMEDAY_HOME")
			if code := exitcode.Of(err); code != c.exit {
				t.Errorf("gameday %s: exit %d, the page says %d\n%s", strings.Join(args, " "), code, c.exit, got)
			}
			for _, s := range c.spans {
				if !spanPattern(s).MatchString(got) {
					t.Errorf("gameday %s printed no line the page's `%s` describes: reword the page\n%s", strings.Join(args, " "), s, got)
				}
			}
		})
	}
	for _, ts := range troubleSources {
		if !strings.Contains(page, "`"+ts.span+"`") {
			t.Errorf("docs/troubleshooting.md has no code span `%s`", ts.span)
		}
		checked[ts.span] = true
		parts := ts.parts
		if parts == nil {
			parts = []string{ts.span}
		}
		src := readFile(t, filepath.Join(root, ts.file))
		for _, p := range parts {
			if !strings.Contains(ts.span, strings.Trim(p, `"`)) {
				t.Errorf("%q is not a part of `%s`", p, ts.span)
			}
			if !strings.Contains(src, p) {
				t.Errorf("`%s`: %s no longer says %q: reword the page", ts.span, ts.file, p)
			}
		}
	}
	// Every message of the page's symptom column is checked one way or the
	// other; what is left is not a message (a command, a figure).
	var unchecked []string
	for _, s := range symptomSpans(page) {
		message := strings.Contains(s, ": ") || strings.Contains(s, " (")
		if message && !checked[s] && notMessages[s] == "" {
			unchecked = append(unchecked, s)
		}
	}
	if len(unchecked) > 0 {
		t.Errorf("docs/troubleshooting.md quotes %d messages no test checks: add a case or a source\n\t%s", len(unchecked), strings.Join(unchecked, "\n\t"))
	}
	t.Logf("%d messages run, %d found in the code", len(checked)-len(troubleSources), len(troubleSources))
}

// notMessages: code spans of the symptom column that look like messages
// but are another program's, or outputs checked elsewhere.
var notMessages = map[string]string{
	"go: command not found":                             "the shell's",
	"E: Could not get lock /var/lib/dpkg/lock-frontend": "apt's",
	"FILE:LINE: gameday ...":                            "TestEveryCommandLineOfTheDocsResolves's own",
	"validate":                                          "a command",
	"--output json":                                     "a flag",
	"pod-failure-stop: ABORTED (exit 4) ...":            "the verdict line: harness/README.md",
	"pod-failure-all: ABORTED (exit 4)":                 "the verdict line",
	"FAILED (exit 1)":                                   "the verdict line",
	"INCONCLUSIVE (exit 3)":                             "the verdict line",
	"out: not ready":                                    "a column of sandbox status",
	"ready zone-a=0 zone-b=0 zone-c=0 (desired 3)":      "sandbox status",
	"recorded, 2m of data: the 30d figures are those of the data present":                    "the SLO report's line",
	"exit 2/3/4: preflight of kubernetes: refused by preflight: ...":                         "kubernetes.md's captures",
	"zones spread: ready replicas in 1 zone(s) ...":                                          "kubernetes.md's captures",
	"pod disruption budget: ...":                                                             "kubernetes.md's captures",
	"faults accepted by the API server: ... is invalid: spec.action: Unsupported value: ...": "the API server's",
	"close the sandbox session: ... (run gameday cleanup --run-id RUN-ID)":                   "runner/run.go, as recover fault",
	"gameday: error-budget guard refused to start pod-failure-all: SLO petclinic-api-availability has -784.16% of its 30d error budget left, policy at least 25%; error ratio 0.88% over 12s of data (objective 99.9%, budget 0.1%); wait for the budget to recover, or lower --budget-policy-min (policy: docs/slo.md)": "the guard's texts: TestGuard, docs/slo.md",
}

func fixed(args ...string) func(*testing.T, string, string) []string {
	return func(*testing.T, string, string) []string { return args }
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// writeFile writes dir/name (making dir) and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// placeholder: what the page writes for a value of this machine's run.
var placeholder = regexp.MustCompile(`\.\.\.|\b(?:FILE|PATH|DIR|LINE|COL|PORT|N)\b`)

// spanPattern matches a line of output against a code span of the page:
// ... is any text, FILE, PATH and DIR a path, LINE, COL, PORT and N a
// number; $GAMEDAY_HOME is the home the output was rewritten to.
func spanPattern(span string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("(?m)")
	last := 0
	for _, m := range placeholder.FindAllStringIndex(span, -1) {
		b.WriteString(regexp.QuoteMeta(span[last:m[0]]))
		switch span[m[0]:m[1]] {
		case "...":
			b.WriteString(".*")
		case "FILE", "PATH", "DIR":
			b.WriteString(`\S+`)
		default:
			b.WriteString(`\d+`)
		}
		last = m[1]
	}
	b.WriteString(regexp.QuoteMeta(span[last:]))
	return regexp.MustCompile(b.String())
}

// symptomSpans lists the code spans of the first cell of every table row
// of page (the symptom column).
func symptomSpans(page string) []string {
	var spans []string
	for _, line := range strings.Split(page, "\n") {
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| symptom ") {
			continue
		}
		cell, _, _ := strings.Cut(line[2:], " | ")
		for _, m := range codeSpan.FindAllStringSubmatch(cell, -1) {
			spans = append(spans, m[1])
		}
	}
	return spans
}

var codeSpan = regexp.MustCompile("`([^`]+)`")
