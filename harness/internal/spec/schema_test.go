package spec_test

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gamedayhq/gameday/harness/internal/spec"
	"github.com/invopop/jsonschema"
)

var update = flag.Bool("update", false, "rewrite the committed JSON Schemas and golden files")

const schemaDir = "../../../experiments/schema"

// goComments collects the doc comments of our types and of Chaos Mesh's
// api/v1alpha1 types (from the module cache) as schema descriptions.
func goComments(t *testing.T) map[string]string {
	t.Helper()
	r := &jsonschema.Reflector{}
	if err := r.AddGoComments("github.com/gamedayhq/gameday/harness/internal/spec", "."); err != nil {
		t.Fatalf("our comments: %v", err)
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/chaos-mesh/chaos-mesh/api").Output()
	if err != nil {
		t.Fatalf("go list chaos-mesh api: %v", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "v1alpha1")
	cm := &jsonschema.Reflector{}
	if err := cm.AddGoComments("x", dir); err != nil {
		t.Fatalf("chaos mesh comments: %v", err)
	}
	prefix := "x" + filepath.ToSlash(dir) + "."
	if !strings.HasPrefix(dir, "/") {
		prefix = "x/" + filepath.ToSlash(dir) + "."
	}
	for k, v := range cm.CommentMap {
		if rest, ok := strings.CutPrefix(k, prefix); ok {
			r.CommentMap["github.com/chaos-mesh/chaos-mesh/api/v1alpha1."+rest] = v
		}
	}
	spec.CleanComments(r.CommentMap)
	return r.CommentMap
}

// TestSchemaIsUpToDate fails when the committed schemas differ from the
// ones generated from the Go types; -update rewrites them.
func TestSchemaIsUpToDate(t *testing.T) {
	comments := goComments(t)
	for name, s := range map[string]*jsonschema.Schema{
		"experiment.schema.json": spec.ExperimentSchema(comments),
		"suite.schema.json":      spec.SuiteSchema(comments),
	} {
		got, err := spec.MarshalSchema(s)
		if err != nil {
			t.Fatalf("marshal %s: %v", name, err)
		}
		path := filepath.Join(schemaDir, name)
		if *update {
			if err := os.MkdirAll(schemaDir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("read committed schema: %v (run go generate ./internal/spec)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run `go generate ./internal/spec` in harness/ and commit it", path)
		}
	}
}
