package serve_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/capacity"
	"github.com/gamedayhq/gameday/harness/internal/serve"
)

// writeSearch writes a capacity search into the reports tree as gameday
// capacity does: capacity.json, capacity.md and one step's report.html.
func writeSearch(t *testing.T, root, id string, start time.Time, zoneDown float64, survives bool) {
	t.Helper()
	head := 100 * (zoneDown/55 - 1)
	step := capacity.Step{N: 1, Phase: "all-zones", Rate: 10, Outcome: capacity.StepHeld, Start: start,
		Report: "capacity/" + id + "/steps/all-zones/" + id + "-01-10rps/report.json"}
	r := &capacity.Result{SchemaVersion: capacity.SchemaVersion, ID: id, Experiment: "capacity", Target: "sandbox", Start: start, End: start.Add(5 * time.Minute),
		Criteria: capacity.DefaultCriteria(), Zone: "zone-a", Replicas: 3, LostReplicas: 1,
		AllZones: &capacity.Phase{Name: "all-zones", Capacity: 87, Broke: 95, Outcome: capacity.Found, Steps: []capacity.Step{step}},
		ZoneDown: &capacity.Phase{Name: "zone-a-down", Capacity: zoneDown, Broke: zoneDown + 4, Outcome: capacity.Found},
		Peak:     &capacity.Peak{Rate: 55, Source: "--peak"},
		Answer:   capacity.Answer{Line: "survives losing zone-a at today's peak: " + map[bool]string{true: "yes", false: "no"}[survives], Survives: &survives, HeadroomPct: &head},
		Cost:     capacity.Cost{Steps: 12, Seconds: 300, Requests: 9870, MaxSteps: 16, MaxSeconds: 900}}
	dir := filepath.Join(root, capacity.Suite, id)
	stepDir := filepath.Join(dir, capacity.StepsDir, "all-zones", id+"-01-10rps")
	if err := os.MkdirAll(stepDir, 0o755); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(r)
	os.WriteFile(filepath.Join(dir, capacity.FileJSON), b, 0o644)
	os.WriteFile(filepath.Join(dir, capacity.FileMD), []byte(capacity.Markdown(r)), 0o644)
	os.WriteFile(filepath.Join(stepDir, "report.html"), []byte("<html>step one</html>"), 0o644)
}

func TestCapacityPages(t *testing.T) {
	f := newFixture(t, nil)
	writeSearch(t, f.root, "20261204-100000-capacity", t0.Add(72*time.Hour), 58, true)
	writeSearch(t, f.root, "20261205-100000-capacity", t0.Add(96*time.Hour), 50, false)
	var list serve.CapacityPage
	getJSON(t, f.url+"/capacity.json", &list)
	if list.Total != 2 || len(list.Searches) != 2 {
		t.Fatalf("capacity.json: %d searches of %d, want 2", len(list.Searches), list.Total)
	}
	if s := list.Searches[0]; s.ID != "20261205-100000-capacity" || s.AllZones != 87 || s.ZoneDown == nil || *s.ZoneDown != 50 ||
		s.Survives == nil || *s.Survives || s.Peak == nil || *s.Peak != 55 || s.Steps != 12 {
		t.Errorf("the newest search first, with its figures: %+v", s)
	}
	var runs serve.RunsPage
	getJSON(t, f.url+"/runs.json", &runs)
	if runs.Total != 12 {
		t.Errorf("runs: %d, want the 12 runs only (a search and its steps are not runs)", runs.Total)
	}
	var one serve.CapacitySearchPage
	getJSON(t, f.url+"/capacity/20261204-100000-capacity.json", &one)
	if one.Result == nil || one.Result.AllZones.Broke != 95 || len(one.Result.Steps()) != 1 {
		t.Errorf("capacity/<id>.json: the whole capacity.json expected, got %+v", one.Result)
	}
	for name, c := range map[string]struct {
		path string
		code int
		has  string
	}{
		"the list says who survives": {"/capacity", 200, "no, 9 % short"},
		"and by how much":            {"/capacity", 200, "yes, 5 % headroom"},
		"the list draws both":        {"/capacity", 200, "Capacity with a zone lost"},
		"a search":                   {"/capacity/20261204-100000-capacity", 200, "58 req/s"},
		"its steps link the report":  {"/capacity/20261204-100000-capacity", 200, `/capacity/20261204-100000-capacity/steps/all-zones/20261204-100000-capacity-01-10rps`},
		"its markdown":               {"/capacity/20261204-100000-capacity/capacity.md", 200, "| all-zones | 87 req/s | 95 req/s |"},
		"a step's report":            {"/capacity/20261204-100000-capacity/steps/all-zones/20261204-100000-capacity-01-10rps", 200, "step one"},
		"an unknown search":          {"/capacity/nope", 404, "no capacity search nope"},
		"another file":               {"/capacity/20261204-100000-capacity/secret.txt", 404, "no such file"},
		"a step above its folder":    {"/capacity/20261204-100000-capacity/steps/..%2f..%2f/x", 404, "no such step"},
		"the nav links it":           {"/runs", 200, `<a href="/capacity">Capacity</a>`},
	} {
		t.Run(name, func(t *testing.T) {
			code, body, _ := get(t, f.url+c.path)
			if code != c.code || !strings.Contains(body, c.has) {
				t.Errorf("GET %s: %d, want %d with %q; body:\n%.600s", c.path, code, c.code, c.has, body)
			}
		})
	}
}
