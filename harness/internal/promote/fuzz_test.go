package promote_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gamedayhq/gameday/harness/internal/promote"
	"github.com/gamedayhq/gameday/harness/internal/repotest"
)

// FuzzSet edits any ApplicationSet-like document: Set never panics, and
// an edit it accepts reads back with the environment's new image and every
// other environment's unchanged.
func FuzzSet(f *testing.F) {
	real, err := os.ReadFile(filepath.Join(repotest.Root(f), promote.DefaultFile))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(real, "staging")
	f.Add([]byte("kind: ApplicationSet\nspec:\n  generators:\n    - list:\n        elements:\n          - {env: dev, imageTag: \"1\", imageDigest: \"\"}\n"), "dev")
	f.Add([]byte("kind: ApplicationSet\nspec:\n  generators:\n    - git: {}\n    - list:\n        elements:\n          - env: dev\n            imageTag: '1' # pinned\n            imageDigest: ''\n"), "dev")
	f.Add([]byte("kind: ApplicationSet\nspec:\n  generators: [{list: {elements: [{env: dev}]}}]\n"), "dev")
	f.Add([]byte("kind: ApplicationSet\nspec: {generators: [{list: {elements: [{env: a, imageTag: x, imageDigest: y}, {env: a, imageTag: z, imageDigest: w}]}}]}\n"), "a")
	img := promote.Image{Tag: "sha-5e1f0c2a9b7d", Digest: "sha256:8f2a4c6e0b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a3c5e7b9d1f3a"}
	f.Fuzz(func(t *testing.T, doc []byte, env string) {
		out, err := promote.Set(doc, env, img)
		if err != nil {
			return
		}
		before, err := promote.Environments(doc)
		if err != nil {
			t.Fatalf("Set accepted a document Environments refuses: %v", err)
		}
		after, err := promote.Environments(out)
		if err != nil {
			t.Fatalf("the edited document does not read back: %v\n%s", err, out)
		}
		if len(after) != len(before) {
			t.Fatalf("%d environments after, %d before", len(after), len(before))
		}
		set := false
		for i, e := range after {
			switch {
			case e.Name != before[i].Name:
				t.Fatalf("environment %d is %q after, %q before", i, e.Name, before[i].Name)
			case e.Image == img:
				set = set || e.Name == env
			case e.Image != before[i].Image:
				t.Fatalf("environment %s changed from %v to %v", e.Name, before[i].Image, e.Image)
			}
		}
		if !set {
			t.Fatalf("%s does not run %v after the edit:\n%s", env, img, out)
		}
	})
}
