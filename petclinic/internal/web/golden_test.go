package web

import (
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// TestGoldenPages pins the rendered HTML of a few pages, so a template
// change shows up as a reviewable diff. Run with -update to accept one.
func TestGoldenPages(t *testing.T) {
	c := newClient(t, newStore(t))
	pages := map[string]string{
		"welcome.html":       "/",
		"owner-details.html": "/owners/6",
		"vets.html":          "/vets.html",
		"owners-list.html":   "/owners?lastName=Davis",
		"owner-form-es.html": "/owners/new?lang=es",
	}
	for file, path := range pages {
		t.Run(file, func(t *testing.T) {
			c.cookies = map[string]*http.Cookie{}
			res, body := c.get(path)
			if res.StatusCode != 200 {
				t.Fatalf("GET %s: got %d, want 200", path, res.StatusCode)
			}
			golden := filepath.Join("testdata", "golden", file)
			if *update {
				if err := os.WriteFile(golden, []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("read golden file (run go test -update to create it): %v", err)
			}
			if body != string(want) {
				t.Errorf("GET %s: got a page that differs from %s (run go test -update to accept):\n%s", path, golden, body)
			}
		})
	}
}
