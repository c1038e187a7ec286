package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/gamedayhq/gameday/petclinic"
)

type vetsPage struct {
	Vets       []*petclinic.Vet
	Pagination pagination
}

// vetsPage is VetController.showVetList: the vets, 5 per page.
func (s *server) vetsPage(w http.ResponseWriter, r *http.Request) {
	page, ok := pageParam(r)
	if !ok {
		s.badRequest(w, r)
		return
	}
	vets, err := s.store.Vets(r.Context())
	if err != nil {
		s.fail(w, r, fmt.Errorf("vets: %w", err))
		return
	}
	start := min((page-1)*pageSize, len(vets))
	end := min(start+pageSize, len(vets))
	s.render(w, r, http.StatusOK, "vetList", "vets", vetsPage{
		Vets:       vets[start:end],
		Pagination: newPagination("/vets.html", url.Values{}, page, len(vets)),
	})
}

// vetsJSON is the JSON Jackson writes for Spring PetClinic's Vets: every
// getter of Vet and Specialty, including BaseEntity.isNew() as "new".
type vetsJSON struct {
	VetList []vetJSON `json:"vetList"`
}

type vetJSON struct {
	ID              int             `json:"id"`
	FirstName       string          `json:"firstName"`
	LastName        string          `json:"lastName"`
	Specialties     []specialtyJSON `json:"specialties"`
	NrOfSpecialties int             `json:"nrOfSpecialties"`
	New             bool            `json:"new"`
}

type specialtyJSON struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
	New  bool   `json:"new"`
}

// vetsJSON is VetController.showResourcesVetList.
func (s *server) vetsJSON(w http.ResponseWriter, r *http.Request) {
	vets, err := s.store.Vets(r.Context())
	if err != nil {
		s.fail(w, r, fmt.Errorf("vets: %w", err))
		return
	}
	out := vetsJSON{VetList: make([]vetJSON, len(vets))}
	for i, v := range vets {
		specs := make([]specialtyJSON, len(v.Specialties))
		for j, sp := range v.Specialties {
			specs[j] = specialtyJSON{ID: sp.ID, Name: sp.Name}
		}
		out.VetList[i] = vetJSON{ID: v.ID, FirstName: v.FirstName, LastName: v.LastName, Specialties: specs, NrOfSpecialties: len(specs)}
	}
	b, err := json.Marshal(out)
	if err != nil {
		s.fail(w, r, fmt.Errorf("encode vets: %w", err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b) // the client went away: nothing left to tell it
}
