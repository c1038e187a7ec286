package spec_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// TestDefaultsGolden shows every default in one file: the minimal
// experiment encoded after defaults() must match its golden file.
func TestDefaultsGolden(t *testing.T) {
	e, err := spec.LoadFile("testdata/good/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got, err := spec.Encode(e)
	if err != nil {
		t.Fatal(err)
	}
	golden := "testdata/good/minimal.yaml.golden"
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Encode(minimal) =\n%s\nwant (%s, -update to rewrite)\n%s", got, golden, want)
	}
}

// TestEncodeRoundTrips: every committed experiment, encoded and parsed
// again, encodes to the same bytes.
func TestEncodeRoundTrips(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(experimentsDir, "*.yaml"))
	files = append(files, "testdata/good/minimal.yaml")
	for _, f := range files {
		e, err := spec.LoadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		first, err := spec.Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		again, err := spec.ValidateOptions{}.Parse(f+" (encoded)", first)
		if err != nil {
			t.Fatalf("%s: the encoded experiment does not parse:\n%v\n%s", f, err, first)
		}
		second, err := spec.Encode(again)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, second) {
			t.Errorf("%s: encoding is not stable:\n%s\nthen\n%s", f, first, second)
		}
	}
}

// FuzzDecodeExperiment: decoding never panics, and whatever is accepted
// re-validates and re-encodes to the same bytes.
func FuzzDecodeExperiment(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join(experimentsDir, "*.yaml"))
	bad, _ := filepath.Glob("testdata/bad/*.yaml")
	for _, p := range append(append(seeds, bad...), "testdata/good/minimal.yaml") {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := spec.ValidateOptions{}.Parse("fuzz.yaml", data)
		if err != nil {
			return
		}
		if err := e.Validate(spec.ValidateOptions{}); err != nil {
			t.Fatalf("accepted experiment does not re-validate: %v", err)
		}
		for _, fault := range e.Spec.Faults {
			if fault.StartAfter < 0 || fault.End() <= fault.StartAfter || fault.End() > e.Spec.Load.Duration {
				t.Fatalf("accepted fault %q runs %s..%s outside the load (%s)", fault.Name, fault.StartAfter, fault.End(), e.Spec.Load.Duration)
			}
			if fault.Spec.Object() == nil || (fault.Spec.PodSelector() == nil && !fault.Spec.Kind().NodeLevel) {
				t.Fatalf("accepted fault %q has no Chaos Mesh spec, or one that selects neither pods nor nodes", fault.Name)
			}
		}
		if len(e.Spec.Hypothesis.Probes) == 0 || e.Spec.Target == nil {
			t.Fatalf("accepted experiment without probes or target")
		}
		first, err := spec.Encode(e)
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		again, err := spec.ValidateOptions{}.Parse("fuzz.yaml", first)
		if err != nil {
			t.Fatalf("re-parse of\n%s\n%v", first, err)
		}
		second, err := spec.Encode(again)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		if !bytes.Equal(first, second) {
			t.Fatalf("unstable encoding:\n%s\nthen\n%s", first, second)
		}
	})
}
