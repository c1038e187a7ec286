package api

import (
	"net/http"

	"github.com/gamedayhq/gameday/petclinic"
)

func (s *server) listVisits(w http.ResponseWriter, r *http.Request) *problem {
	visits, err := s.store.Visits(r.Context())
	if err != nil {
		return s.storeFailed(r, "visits", err)
	}
	if len(visits) == 0 {
		return notFoundProblem()
	}
	out := make([]visitJSON, 0, len(visits))
	for _, v := range visits {
		out = append(out, toVisitJSON(v))
	}
	ok(w, out)
	return nil
}

func (s *server) getVisit(w http.ResponseWriter, r *http.Request) *problem {
	id, p := ids(r, "visitId")
	if p != nil {
		return p
	}
	if p := nonNegative(id...); p != nil {
		return p
	}
	v, err := s.store.Visit(r.Context(), id[0])
	if err != nil {
		return s.lookup(r, "visit", err)
	}
	ok(w, toVisitJSON(v))
	return nil
}

// addVisit is POST /visits with a VisitCreate body (the pet by petId); a
// missing pet is a data integrity violation (404).
func (s *server) addVisit(w http.ResponseWriter, r *http.Request) *problem {
	f, p := s.visitBody(r, true)
	if p != nil {
		return p
	}
	v := &petclinic.Visit{PetID: *f.PetID, Date: s.visitDate(f.Date), Description: *f.Description}
	if err := s.store.CreateVisit(r.Context(), v); err != nil {
		return s.write(r, "create visit", err)
	}
	created(w, "/visits/"+itoa(v.ID), toVisitJSON(v))
	return nil
}

// updateVisit answers 204 and keeps the visit's pet.
func (s *server) updateVisit(w http.ResponseWriter, r *http.Request) *problem {
	id, p := ids(r, "visitId")
	if p != nil {
		return p
	}
	f, p := s.visitBody(r, false)
	if p != nil {
		return p
	}
	if p := nonNegative(id...); p != nil {
		return p
	}
	v, err := s.store.Visit(r.Context(), id[0])
	if err != nil {
		return s.lookup(r, "visit", err)
	}
	v.Date, v.Description = s.visitDate(f.Date), *f.Description
	if err := s.store.UpdateVisit(r.Context(), v); err != nil {
		return s.write(r, "update visit", err)
	}
	noContent(w)
	return nil
}

// deleteVisit answers 204 with no body, like the Java server before its v1
// controllers (which answer 200 with the entity): clients written against
// it expect 204. See docs/api-deviations.md.
func (s *server) deleteVisit(w http.ResponseWriter, r *http.Request) *problem {
	id, p := ids(r, "visitId")
	if p != nil {
		return p
	}
	if p := nonNegative(id...); p != nil {
		return p
	}
	v, err := s.store.Visit(r.Context(), id[0])
	if err != nil {
		return s.lookup(r, "visit", err)
	}
	if err := s.store.DeleteVisit(r.Context(), v.ID); err != nil {
		return s.write(r, "delete visit", err)
	}
	noContent(w)
	return nil
}
