package spec_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gamedayhq/gameday/harness/internal/load"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

const experimentsDir = "../../../experiments"

// TestCommittedExperimentsAreValid loads every file in experiments/ as
// `gameday validate experiments/` will, with the load generator's real
// journey names, and fails on any error.
func TestCommittedExperimentsAreValid(t *testing.T) {
	opts := spec.ValidateOptions{Journeys: load.JourneyNames()}
	c, err := opts.LoadPath(experimentsDir)
	if err != nil {
		t.Fatalf("LoadPath(%s):\n%v", experimentsDir, err)
	}
	if got, want := len(c.Experiments), 9; got < want {
		t.Errorf("%d experiments, want at least %d", got, want)
	}
	suites := map[string]*spec.Suite{}
	for _, s := range c.Suites {
		suites[s.Metadata.Name] = s
	}
	for _, name := range []string{"preprod-gate", "weekly-gameday"} {
		if suites[name] == nil || len(suites[name].Experiments) == 0 {
			t.Errorf("suite %q is missing or empty", name)
		}
	}
	// capacity.yaml (labelled tier: capacity) is no game day: the load of
	// gameday capacity, whose rate is only the search's first step.
	capacity := func(e *spec.Experiment) bool { return e.Metadata.Labels["tier"] == "capacity" }
	sandbox := 0 // the experiments the sandbox runs
	for _, e := range c.Experiments {
		if e.Spec.Target.Kind == spec.TargetSandbox && !capacity(e) {
			sandbox++
		}
	}
	if s := suites["weekly-gameday"]; s != nil && len(s.Experiments) != sandbox {
		t.Errorf("weekly-gameday runs %d experiments, want all %d of the sandbox", len(s.Experiments), sandbox)
	}
	for _, e := range c.Experiments {
		if d := e.Spec.Load.Duration.D(); d.Minutes() > 3 {
			t.Errorf("%s: the run lasts %s, want at most 3m on a laptop", e.File, d)
		}
		if peak := e.Spec.Load.Profile.Peak(); !capacity(e) && (peak < 50 || peak > 200) {
			t.Errorf("%s: peak rate %g req/s, want 50-200 for a laptop sandbox", e.File, peak)
		}
	}
}

// TestCommittedFilesPointAtTheirSchema checks the editor header of every
// committed file and that the schema it names exists.
func TestCommittedFilesPointAtTheirSchema(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(experimentsDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	suites, _ := filepath.Glob(filepath.Join(experimentsDir, "suites", "*.yaml"))
	for _, f := range append(files, suites...) {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		line, _ := bufio.NewReader(fh).ReadString('\n')
		fh.Close()
		ref, ok := strings.CutPrefix(strings.TrimSpace(line), "# yaml-language-server: $schema=")
		if !ok {
			t.Errorf("%s: first line is %q, want a yaml-language-server $schema comment", f, line)
			continue
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(f), ref)); err != nil {
			t.Errorf("%s: schema %s: %v", f, ref, err)
		}
	}
}

func TestPodKillFitsTheDemo(t *testing.T) {
	e, err := spec.LoadFile(filepath.Join(experimentsDir, "pod-kill.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if d := e.Spec.Load.Duration.D(); d.Minutes() > 2 {
		t.Errorf("pod-kill lasts %s, want at most 2m", d)
	}
	if got := e.Spec.Target.Sandbox.Replicas; got != 3 {
		t.Errorf("pod-kill runs %d replicas, want 3", got)
	}
	if len(e.Spec.Faults) != 1 || e.Spec.Faults[0].Kind != spec.PodChaos || e.Spec.Faults[0].Spec.Label() != "pod-kill" {
		t.Errorf("pod-kill faults = %+v, want one PodChaos pod-kill", e.Spec.Faults)
	}
}

// TestReadmeExamplesAreValid keeps the annotated examples of
// experiments/README.md honest: both parse and validate.
func TestReadmeExamplesAreValid(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(experimentsDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(string(b), "```yaml\n")[1:]
	if len(blocks) != 2 {
		t.Fatalf("%d yaml blocks in the README, want 2 (an experiment and a suite)", len(blocks))
	}
	experiment, _, _ := strings.Cut(blocks[0], "```")
	opts := spec.ValidateOptions{Journeys: load.JourneyNames()}
	if _, err := opts.Parse("README.md (experiment)", []byte(experiment)); err != nil {
		t.Errorf("the README's experiment is invalid:\n%v", err)
	}
	suite, _, _ := strings.Cut(blocks[1], "```")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pod-kill.yaml"), []byte(experiment), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "suites"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "suites", "gate.yaml"), []byte(suite), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := opts.LoadSuite(filepath.Join(dir, "suites", "gate.yaml")); err != nil {
		t.Errorf("the README's suite is invalid:\n%v", err)
	}
}
