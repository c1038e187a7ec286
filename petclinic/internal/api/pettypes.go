package api

import (
	"net/http"

	"github.com/gamedayhq/gameday/petclinic"
)

// namedBody binds and validates a pet type or specialty body; PUT bodies
// (PetType, Specialty) need the id as well.
func (s *server) namedBody(r *http.Request, idRequired bool) (namedDTO, *problem) {
	var n namedDTO
	if p := s.body(r, func(o object) (err error) { n, err = bindNamed(o); return err }); p != nil {
		return n, p
	}
	v := &validator{}
	n.validate(v, "", idRequired)
	return n, v.problem()
}

func (s *server) listPetTypes(w http.ResponseWriter, r *http.Request) *problem {
	types, err := s.store.PetTypes(r.Context())
	if err != nil {
		return s.storeFailed(r, "pet types", err)
	}
	if len(types) == 0 {
		return notFoundProblem()
	}
	out := make([]petTypeJSON, 0, len(types))
	for _, t := range types {
		out = append(out, toPetTypeJSON(t))
	}
	ok(w, out)
	return nil
}

func (s *server) getPetType(w http.ResponseWriter, r *http.Request) *problem {
	id, p := ids(r, "petTypeId")
	if p != nil {
		return p
	}
	if p := nonNegative(id...); p != nil {
		return p
	}
	t, err := s.store.PetType(r.Context(), id[0])
	if err != nil {
		return s.lookup(r, "pet type", err)
	}
	ok(w, toPetTypeJSON(t))
	return nil
}

func (s *server) addPetType(w http.ResponseWriter, r *http.Request) *problem {
	n, p := s.namedBody(r, false)
	if p != nil {
		return p
	}
	t := petclinic.PetType{Name: *n.Name}
	if err := s.store.CreatePetType(r.Context(), &t); err != nil {
		return s.write(r, "create pet type", err)
	}
	created(w, "/pettypes/"+itoa(t.ID), toPetTypeJSON(t))
	return nil
}

// updatePetType answers 204; the body's id must be present but the path's
// id is the one updated.
func (s *server) updatePetType(w http.ResponseWriter, r *http.Request) *problem {
	id, p := ids(r, "petTypeId")
	if p != nil {
		return p
	}
	n, p := s.namedBody(r, true)
	if p != nil {
		return p
	}
	if p := nonNegative(id...); p != nil {
		return p
	}
	t, err := s.store.PetType(r.Context(), id[0])
	if err != nil {
		return s.lookup(r, "pet type", err)
	}
	t.Name = *n.Name
	if err := s.store.UpdatePetType(r.Context(), t); err != nil {
		return s.write(r, "update pet type", err)
	}
	noContent(w)
	return nil
}

// deletePetType answers 204 with no body, like the Java server before its v1
// controllers (which answer 200 with the entity): clients written against
// it expect 204. See docs/api-deviations.md.
// The store deletes the pets of that type too, as the Java server does.
func (s *server) deletePetType(w http.ResponseWriter, r *http.Request) *problem {
	id, p := ids(r, "petTypeId")
	if p != nil {
		return p
	}
	if p := nonNegative(id...); p != nil {
		return p
	}
	t, err := s.store.PetType(r.Context(), id[0])
	if err != nil {
		return s.lookup(r, "pet type", err)
	}
	if err := s.store.DeletePetType(r.Context(), t.ID); err != nil {
		return s.write(r, "delete pet type", err)
	}
	noContent(w)
	return nil
}
