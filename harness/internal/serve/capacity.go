package serve

import (
	"errors"
	"net/http"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gamedayhq/gameday/harness/internal/capacity"
	"github.com/gamedayhq/gameday/harness/internal/history"
)

// CapacityPage lists the capacity searches, newest first, with the
// capacities over time.
type CapacityPage struct {
	Searches []history.Capacity `json:"searches"`
	Total    int                `json:"total"`
	Charts   []Chart            `json:"-"`
}

// MaxCapacitySearches bounds the searches listed and drawn.
const MaxCapacitySearches = 200

func (s *Server) capacities(r *http.Request) (view, error) {
	s.sync(r.Context())
	list, total, err := s.c.History.Capacities(r.Context(), r.URL.Query().Get("experiment"), MaxCapacitySearches)
	if err != nil {
		return view{}, err
	}
	p := &CapacityPage{Searches: orEmpty(list), Total: total}
	old := slices.Clone(list)
	slices.Reverse(old) // oldest first
	all := Chart{Title: "Capacity with every zone", Unit: "req/s"}
	zone := Chart{Title: "Capacity with a zone lost", Unit: "req/s"}
	for _, c := range old {
		st := "inconclusive"
		switch {
		case c.Survives != nil && *c.Survives:
			st = "held"
		case c.Survives != nil:
			st = "failed"
		}
		href := "/capacity/" + c.ID
		all.Points = append(all.Points, Point{At: c.Start, Value: c.AllZones, Missing: c.AllZones == 0, Status: st, Href: href})
		zp := Point{At: c.Start, Status: st, Href: href, Missing: c.ZoneDown == nil || *c.ZoneDown == 0}
		if !zp.Missing {
			zp.Value = *c.ZoneDown
		}
		zone.Points = append(zone.Points, zp)
	}
	if len(old) > 0 {
		p.Charts = []Chart{all, zone}
	}
	return view{tmpl: "capacities", title: "Capacity", data: p}, nil
}

// CapacitySearchPage is one search: its row and its whole capacity.json.
type CapacitySearchPage struct {
	Search history.Capacity `json:"search"`
	Result *capacity.Result `json:"result"`
	Charts []Chart          `json:"-"`
}

func (s *Server) capacity(r *http.Request) (view, error) {
	id := strings.TrimSuffix(r.PathValue("id"), ".json")
	c, err := s.c.History.GetCapacity(r.Context(), capacity.Suite+"/"+id)
	if errors.Is(err, history.ErrNotFound) {
		s.sync(r.Context())
		c, err = s.c.History.GetCapacity(r.Context(), capacity.Suite+"/"+id)
	}
	if errors.Is(err, history.ErrNotFound) {
		return view{}, notFound("no capacity search %s in %s (see /capacity)", id, s.c.History.Root())
	}
	if err != nil {
		return view{}, err
	}
	res, err := s.c.History.ReadCapacity(c)
	if err != nil {
		return view{}, err
	}
	p := &CapacitySearchPage{Search: *c, Result: res}
	for _, ph := range []*capacity.Phase{res.AllZones, res.ZoneDown} {
		if ph == nil || len(ph.Steps) == 0 {
			continue
		}
		ch := Chart{Title: "Steps " + ph.Name + ": rate asked, held or broke", Unit: "req/s"}
		for _, st := range ph.Steps {
			status := map[string]string{capacity.StepHeld: "held", capacity.StepBroke: "failed"}[st.Outcome]
			ch.Points = append(ch.Points, Point{At: st.Start, Value: st.Rate, Status: status, Href: stepHref(id, st.Report)})
		}
		p.Charts = append(p.Charts, ch)
	}
	return view{tmpl: "capacity", title: "Capacity · " + c.ID, data: p}, nil
}

// capacityFile serves a search's capacity.md, capacity.json, or a step's
// report.html.
func (s *Server) capacityFile(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	c, err := s.c.History.GetCapacity(r.Context(), capacity.Suite+"/"+id)
	if err != nil {
		http.Error(w, "no capacity search "+id+" (see /capacity)", http.StatusNotFound)
		return
	}
	dir := filepath.Join(s.c.History.Root(), filepath.FromSlash(c.Dir))
	switch name := r.PathValue("file"); name {
	case capacity.FileJSON:
		w.Header().Set("Content-Type", "application/json")
		http.ServeFile(w, r, filepath.Join(dir, capacity.FileJSON))
	case capacity.FileMD:
		w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
		http.ServeFile(w, r, filepath.Join(dir, capacity.FileMD))
	default:
		http.Error(w, "no such file: use capacity.json or capacity.md", http.StatusNotFound)
	}
}

// capacityStep serves the report.html of one step's game day.
func (s *Server) capacityStep(w http.ResponseWriter, r *http.Request) {
	id, phase, run := r.PathValue("id"), r.PathValue("phase"), r.PathValue("run")
	c, err := s.c.History.GetCapacity(r.Context(), capacity.Suite+"/"+id)
	if err != nil || !safeSegment(phase) || !safeSegment(run) {
		http.Error(w, "no such step (see /capacity/"+id+")", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	http.ServeFile(w, r, filepath.Join(s.c.History.Root(), filepath.FromSlash(c.Dir), capacity.StepsDir, phase, run, "report.html"))
}

// safeSegment is a path segment that names nothing above it.
func safeSegment(s string) bool {
	return s != "" && s != "." && s != ".." && !strings.ContainsAny(s, `/\`)
}

// stepHref is the page of a step's report ("" without one): its report
// path ends <phase>/<run-id>/report.json.
func stepHref(id, report string) string {
	parts := strings.Split(report, "/")
	if len(parts) < 3 {
		return ""
	}
	return "/capacity/" + id + "/steps/" + strings.Join(parts[len(parts)-3:len(parts)-1], "/")
}
