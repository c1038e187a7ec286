package report_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"html"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/engine"
	"github.com/gamedayhq/gameday/harness/internal/load"
	"github.com/gamedayhq/gameday/harness/internal/probe"
	"github.com/gamedayhq/gameday/harness/internal/report"
	"github.com/gamedayhq/gameday/harness/internal/spec"
	"github.com/gamedayhq/gameday/harness/internal/verdict"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var t0 = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// fixture is a fixed 60 s pod-kill run: one replica killed from 20 s to
// 40 s, errors and latency rising while it is down, the front-door probe
// breaching twice during the fault, the latency probe breaching after it.
func fixture(t *testing.T) *report.Report { t.Helper(); return fixtureSaturated(t, 0) }

// fixtureSaturated is fixture with the load generator saturated from
// second saturatedFrom on (0: never).
func fixtureSaturated(t *testing.T, saturatedFrom int) *report.Report {
	t.Helper()
	e, err := spec.LoadFile("../../../experiments/pod-kill.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e.File = "experiments/pod-kill.yaml" // as run from the repository's root
	e.Spec.Load.Duration = spec.Duration(60 * time.Second)
	e.Spec.Faults[0].StartAfter = spec.Duration(20 * time.Second)
	e.Spec.Faults[0].Duration = spec.Duration(20 * time.Second)
	e.Spec.Recovery.Within = spec.Duration(10 * time.Second)

	var secs []load.Second
	var total load.Summary
	for i := range 60 {
		s := load.Second{Start: t0.Add(time.Duration(i) * time.Second), Offset: time.Duration(i) * time.Second,
			Target: 100, Requests: 100, Successes: 100, P50: 4 * time.Millisecond, P95: 12 * time.Millisecond, P99: 30 * time.Millisecond,
			GeneratorSecond: load.GeneratorSecond{CPU: 0.05, InFlight: 3}}
		if i >= 20 && i < 24 { // the kill, until the balancer ejects the replica
			s.Successes = 70
			s.Errors = []load.ErrorCount{{Class: "connection", Count: 30}}
			s.P99 = 900 * time.Millisecond
		}
		if i >= 40 && i < 46 { // the restarted replica warms up
			s.P99 = time.Duration(600-80*(i-40)) * time.Millisecond
		}
		s.CorrectedP99 = s.P99 + 2*time.Millisecond // the generator is a little late now and then
		if saturatedFrom > 0 && i >= saturatedFrom {
			s.Requests, s.Successes = 60, 60
			s.Lag, s.Behind, s.CPU, s.Saturated = time.Duration(i-saturatedFrom+1)*400*time.Millisecond, time.Duration(i-saturatedFrom+1)*400*time.Millisecond, 1.97, true
			s.CorrectedP99 = s.P99 + s.Lag
		}
		secs = append(secs, s)
		total.Requests += s.Requests
		total.Successes += s.Successes
	}
	total.Errors = []load.ErrorCount{{Class: "connection", Count: 120}}
	total.Mean, total.P50, total.P95, total.P99, total.Max = 6*time.Millisecond, 4*time.Millisecond, 14*time.Millisecond, 80*time.Millisecond, 950*time.Millisecond
	total.CorrectedMean, total.CorrectedP50, total.CorrectedP95, total.CorrectedP99, total.CorrectedMax = 7*time.Millisecond, 4*time.Millisecond, 15*time.Millisecond, 82*time.Millisecond, 952*time.Millisecond
	gen := load.Generator{MaxInFlight: 510, Workers: 12, LatencyBudget: 5 * time.Second, Cores: 2, MaxLag: 3 * time.Millisecond, MaxBehind: 3 * time.Millisecond, PeakCPU: 0.05}
	if saturatedFrom > 0 {
		gen.Saturation = load.SaturationOf(secs, 2)
		gen.MaxLag, gen.MaxBehind, gen.PeakCPU = gen.Saturation.MaxLag, gen.Saturation.MaxLag, 1.97
	}

	var samples []probe.Sample
	add := func(name string, from, to, every int, value func(int) float64, tol spec.Tolerance) {
		for s := from; s < to; s += every {
			v := value(s)
			smp := probe.Sample{Probe: name, At: t0.Add(time.Duration(s) * time.Second), Value: v, Status: probe.StatusOK, OK: true}
			if !tol.Holds(v) {
				smp.OK, smp.Status = false, probe.StatusBreached
				smp.Err = errors.New(name + ": value " + trim(v) + " is not " + tol.String())
			}
			samples = append(samples, smp)
		}
	}
	tol := func(name string) spec.Tolerance {
		for _, p := range e.Spec.Hypothesis.Probes {
			if p.Name == name {
				return *p.Tolerance
			}
		}
		t.Fatalf("no probe %s", name)
		return spec.Tolerance{}
	}
	add("baseline-error-ratio", 0, 20, 5, func(int) float64 { return 0 }, tol("baseline-error-ratio"))
	add("server-error-ratio", 0, 60, 5, func(int) float64 { return 0.002 }, tol("server-error-ratio"))
	add("p99-latency", 0, 60, 5, func(s int) float64 {
		if s == 45 {
			return 0.61
		}
		return 0.08
	}, tol("p99-latency"))
	add("front-door", 0, 60, 2, func(s int) float64 {
		if s == 20 || s == 22 {
			return 0.9
		}
		return 0.01
	}, tol("front-door"))

	inj := engine.Injection{RunID: "golden", Fault: "kill-one-replica", Kind: "PodChaos", Targets: []string{"petclinic-1"},
		Injected: t0.Add(20*time.Second + 120*time.Millisecond), Recovered: t0.Add(40*time.Second + 80*time.Millisecond), Ref: "kill-one-replica"}
	in := verdict.Input{Experiment: e, Start: t0, End: t0.Add(60 * time.Second), Windows: verdict.PlannedWindows(e, t0),
		Seconds: secs, Total: total, Samples: samples, Injections: []engine.Injection{inj}, Generator: gen}
	prof, err := load.Constant(100, 60*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return report.New(report.Run{
		ID: "20261127-120000-golden", Suite: "adhoc", Experiment: e,
		Target: report.Target{Kind: "sandbox", Engine: "sandbox", URL: "http://127.0.0.1:18080", PrometheusURL: "http://127.0.0.1:19090"},
		Start:  t0, End: t0.Add(60 * time.Second), Warmup: 5 * time.Second,
		Preflight: engine.Preflight{Checks: []engine.Check{{Name: "replicas ready", OK: true, Detail: "3 of 3 over zone-a, zone-b, zone-c"}}},
		Profile:   prof, Seconds: secs, Total: total, Generator: gen, Samples: samples,
		Verdict: verdict.Evaluate(in),
	})
}

func trim(v float64) string { b, _ := json.Marshal(v); return string(b) }

func TestGolden(t *testing.T) {
	r := fixture(t)
	files, err := report.Render(r)
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range files {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", "golden", name)
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s (run go test -update and review the diff):\n%s", name, path, firstDiff(got, want))
			}
		})
	}
}

func firstDiff(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := range min(len(g), len(w)) {
		if g[i] != w[i] {
			return "line " + trim(float64(i+1)) + ":\n got: " + g[i] + "\nwant: " + w[i]
		}
	}
	return "lengths differ"
}

func TestRenderIsDeterministic(t *testing.T) {
	a, err := report.Render(fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	b, err := report.Render(fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	for name := range a {
		if !bytes.Equal(a[name], b[name]) {
			t.Errorf("%s: two renders of the same report differ", name)
		}
	}
}

func TestReportContent(t *testing.T) {
	r := fixture(t)
	files, err := report.Render(r)
	if err != nil {
		t.Fatal(err)
	}
	html, md := string(files[report.FileHTML]), string(files[report.FileMD])
	tests := map[string]struct {
		file, want string
	}{
		"the verdict of the fixture is failed by the late p99":   {md, "**Verdict: FAILED** (exit 1, failed)"},
		"the markdown names the failing probe and its window":    {md, "| p99-latency | promql | continuous | < 0.5 | **FAIL** |"},
		"the markdown gives the time to detect and its probe":    {md, "| 1.88s (front-door) |"},
		"a probe back before the fault ended recovered in 0s":    {md, "front-door: 0s (met, within 10s)"},
		"the markdown states the error budget and its objective": {md, "error budget consumed 2000.0% of the 99.9% objective"},
		"the html shades the fault window with its target":       {html, `<text class="flabel"`},
		"the html labels the fault with what it selected":        {html, "kill-one-replica: petclinic-1"},
		"the html draws the three series":                        {html, `<polyline class="p99"`},
		"the html has the probe table":                           {html, `<td class="fail">FAIL</td>`},
		"the html loads nothing from outside":                    {strings.ReplaceAll(html, `xmlns="http://www.w3.org/2000/svg"`, ""), "<html"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(tt.file, tt.want) {
				t.Errorf("missing %q", tt.want)
			}
		})
	}
	for _, external := range []string{"http://", "https://", "<script", "src=", "@import"} {
		stripped := strings.ReplaceAll(html, `xmlns="http://www.w3.org/2000/svg"`, "")
		stripped = strings.ReplaceAll(stripped, r.Target.URL, "")
		if strings.Contains(stripped, external) {
			t.Errorf("report.html holds %q: it must be self-contained", external)
		}
	}
}

func TestJSONSchema(t *testing.T) {
	files, err := report.Render(fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(files[report.FileJSON], &got); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"schemaVersion", "runID", "experiment", "target", "timings", "preflight", "load", "timeline", "probes", "faults", "verdict", "exitCode"} {
		if _, ok := got[key]; !ok {
			t.Errorf("report.json has no %q", key)
		}
	}
	if got["schemaVersion"] != report.SchemaVersion {
		t.Errorf("schemaVersion %v, want %s", got["schemaVersion"], report.SchemaVersion)
	}
	if n := len(got["timeline"].([]any)); n != 60 {
		t.Errorf("timeline has %d seconds, want 60", n)
	}
}

func TestJUnit(t *testing.T) {
	files, err := report.Render(fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	var ts struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Cases    []struct {
			Name    string `xml:"name,attr"`
			Failure *struct {
				Message string `xml:"message,attr"`
			} `xml:"failure"`
		} `xml:"testcase"`
	}
	if err := xml.Unmarshal(files[report.FileJUnit], &ts); err != nil {
		t.Fatal(err)
	}
	if ts.Tests != 6 || len(ts.Cases) != 6 {
		t.Errorf("%d tests (%d cases), want 4 probes + the load generator + the verdict", ts.Tests, len(ts.Cases))
	}
	var failed []string
	for _, c := range ts.Cases {
		if c.Failure != nil {
			failed = append(failed, c.Name+": "+c.Failure.Message)
		}
	}
	if ts.Failures != 2 || len(failed) != 2 || !strings.Contains(failed[0], "probe p99-latency: 1 sample breached in the recovery grace") {
		t.Errorf("failures %d %q, want the p99-latency probe and the verdict", ts.Failures, failed)
	}
}

func TestASaturatedGeneratorIsShownInEveryReport(t *testing.T) {
	// The p99-latency probe breached at +45s, before the generator saturated
	// at +50s: the target failed first, the verdict stays failed.
	first := fixtureSaturated(t, 50)
	// Saturated from +10s, before any breach: inconclusive, exit 3.
	sat := fixtureSaturated(t, 10)
	if first.Verdict.Status != verdict.Failed || sat.Verdict.Status != verdict.Inconclusive || sat.ExitCode != 3 {
		t.Fatalf("verdicts %s and %s (exit %d), want failed and inconclusive (exit 3)", first.Verdict.Status, sat.Verdict.Status, sat.ExitCode)
	}
	const msg = "load generator saturated at 60/s (requested 100/s) from +10s"
	files, err := report.Render(sat)
	if err != nil {
		t.Fatal(err)
	}
	var js struct {
		Load struct {
			Generator load.Generator `json:"generator"`
		} `json:"load"`
		Timeline []report.Point `json:"timeline"`
	}
	if err := json.Unmarshal(files[report.FileJSON], &js); err != nil {
		t.Fatal(err)
	}
	if s := js.Load.Generator.Saturation; s == nil || s.From != 10*time.Second || !js.Timeline[10].Saturated || js.Timeline[9].Saturated {
		t.Errorf("report.json: saturation %+v, seconds 9 and 10 saturated %t %t", s, js.Timeline[9].Saturated, js.Timeline[10].Saturated)
	}
	for _, tc := range []struct{ file, want string }{
		{report.FileMD, "**Verdict: INCONCLUSIVE** (exit 3, infra)"},
		{report.FileMD, "- " + msg},
		{report.FileMD, "SATURATED: " + msg},
		{report.FileHTML, `<rect class="saturated"`},
		{report.FileHTML, "<li>" + msg},
		{report.FileJUnit, `<testcase name="load generator"`},
		{report.FileJUnit, `<error message="` + msg},
	} {
		if !strings.Contains(html.UnescapeString(string(files[tc.file])), tc.want) {
			t.Errorf("%s does not say %q", tc.file, tc.want)
		}
	}
	files, err = report.Render(first)
	if err != nil {
		t.Fatal(err)
	}
	if md := string(files[report.FileMD]); !strings.Contains(md, "**Verdict: FAILED**") || !strings.Contains(md, "(after the target had failed)") {
		t.Errorf("report.md of a target that failed first:\n%s", md)
	}
}

func TestWrite(t *testing.T) {
	r := fixture(t)
	root := t.TempDir()
	dir, err := report.Dir(root, r.Suite, r.RunID)
	if err != nil {
		t.Fatal(err)
	}
	rendered, err := report.Render(r)
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Sorted(maps.Keys(rendered))
	if len(want) < 4 {
		t.Fatalf("Render gives %q, want at least the json, md, html and junit reports", want)
	}
	for range 2 { // a new directory, then files replaced in place
		paths, err := report.Write(dir, r)
		if err != nil {
			t.Fatal(err)
		}
		if got := slices.Sorted(maps.Keys(paths)); !slices.Equal(got, want) {
			t.Errorf("files written %q, want every rendered one %q", got, want)
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		if !slices.Equal(names, want) {
			t.Errorf("files %q, want exactly the reports %q (no temporary file left)", names, want)
		}
		parent, _ := os.ReadDir(filepath.Dir(dir))
		if len(parent) != 1 {
			t.Errorf("%d entries beside the run directory, want none", len(parent)-1)
		}
	}
}

func TestDirRejectsUnsafeNames(t *testing.T) {
	tests := map[string]struct{ suite, run string }{
		"a run id climbing out of the reports": {"adhoc", "../x"},
		"a suite with a slash":                 {"a/b", "r1"},
		"an empty run id":                      {"adhoc", ""},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := report.Dir("reports", tt.suite, tt.run); err == nil {
				t.Errorf("Dir(%q, %q) is accepted", tt.suite, tt.run)
			}
		})
	}
}

// The error-budget guard's decisions are in every human report; a refusal
// is an error of the JUnit file.
func TestDecisionsAreRendered(t *testing.T) {
	r := fixture(t)
	at := r.Timings.Start
	r.Decisions = []report.Decision{
		{Name: "error-budget/petclinic-api-availability", Outcome: "admitted", Detail: "SLO petclinic-api-availability has 97.5% of its 30d error budget left, policy at least 25%", At: at},
		{Name: "error-budget/petclinic-ui-availability", Outcome: "refused", Detail: "SLO petclinic-ui-availability has 12% of its 30d error budget left, policy at least 25%", At: at},
	}
	files, err := report.Render(r)
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct{ file, want string }{
		"markdown: the admission":  {report.FileMD, "| error-budget/petclinic-api-availability | **admitted** | SLO petclinic-api-availability has 97.5% of its 30d error budget left, policy at least 25% |"},
		"markdown: the refusal":    {report.FileMD, "| error-budget/petclinic-ui-availability | **refused** |"},
		"html: the decisions":      {report.FileHTML, "<tr><td><code>error-budget/petclinic-ui-availability</code></td><td>refused</td><td>SLO petclinic-ui-availability has 12% of its 30d error budget left, policy at least 25%</td>"},
		"junit: a refusal errors":  {report.FileJUnit, `<testcase name="decision error-budget/petclinic-ui-availability" classname="gameday.adhoc.`},
		"junit: the refusal error": {report.FileJUnit, `<error message="refused" type="refused">`},
		"json: the decisions":      {report.FileJSON, `"outcome": "refused"`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(string(files[tt.file]), tt.want) {
				t.Errorf("%s lacks %q", tt.file, tt.want)
			}
		})
	}
}

func TestReadyByZone(t *testing.T) {
	r := fixture(t)
	obs := func(sec int, a, b, c int) engine.Observation {
		return engine.Observation{At: r.Timings.Start.Add(time.Duration(sec) * time.Second),
			ReadyByZone: map[string]int{"zone-a": a, "zone-b": b, "zone-c": c}, Desired: 3}
	}
	r.Observations = []engine.Observation{
		obs(0, 1, 1, 1), obs(5, 1, 1, 1), obs(10, 1, 1, 1), // steady: one row
		obs(21, 1, 1, 0), obs(26, 1, 1, 0), // the kill
		obs(41, 1, 1, 1), obs(46, 1, 1, 1), obs(60, 1, 1, 1), // back; the last always shows
	}
	zones, rows := report.ReadyByZone(r)
	if want := []string{"zone-a", "zone-b", "zone-c"}; !slices.Equal(zones, want) {
		t.Fatalf("zones %v, want %v", zones, want)
	}
	var got []string
	for _, row := range rows {
		got = append(got, fmt.Sprint(row.At, row.Ready))
	}
	if want := []string{"0s [1 1 1]", "21s [1 1 0]", "41s [1 1 1]", "1m0s [1 1 1]"}; !slices.Equal(got, want) {
		t.Errorf("rows %v, want %v", got, want)
	}
	files, err := report.Render(r)
	if err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{
		report.FileMD:   "| +21s | 1 | 1 | 0 | 3 |",
		report.FileHTML: "<tr><td>+21s</td><td>1</td><td>1</td><td>0</td><td>3</td></tr>",
	} {
		if !strings.Contains(string(files[file]), want) {
			t.Errorf("%s lacks %q", file, want)
		}
	}
}
