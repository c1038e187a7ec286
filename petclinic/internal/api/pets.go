package api

import (
	"net/http"

	"github.com/gamedayhq/gameday/petclinic"
)

// listPets answers 404 when there are no pets, as the Java controller does.
func (s *server) listPets(w http.ResponseWriter, r *http.Request) *problem {
	pets, _, err := s.store.Pets(r.Context(), petclinic.Page{})
	if err != nil {
		return s.storeFailed(r, "pets", err)
	}
	if len(pets) == 0 {
		return notFoundProblem()
	}
	out := make([]petJSON, 0, len(pets))
	for _, p := range pets {
		out = append(out, toPetJSON(p))
	}
	ok(w, out)
	return nil
}

func (s *server) listPetsPage(w http.ResponseWriter, r *http.Request) *problem {
	page, p := queryInt(r, "page", 0)
	if p != nil {
		return p
	}
	size, p := queryInt(r, "size", 20)
	if p != nil {
		return p
	}
	if p := (&bounds{}).min(page, 0).min(size, 1).max(size, 100).problem(); p != nil {
		return p
	}
	pets, total, err := s.store.Pets(r.Context(), petclinic.Page{Offset: page * size, Size: size})
	if err != nil {
		return s.storeFailed(r, "pets", err)
	}
	out := pageJSON[petJSON]{Content: make([]petJSON, 0, len(pets)), Page: page, Size: size,
		TotalElements: total, TotalPages: (total + size - 1) / size}
	for _, p := range pets {
		out.Content = append(out.Content, toPetJSON(p))
	}
	ok(w, out)
	return nil
}

func (s *server) getPet(w http.ResponseWriter, r *http.Request) *problem {
	id, p := ids(r, "petId")
	if p != nil {
		return p
	}
	if p := nonNegative(id...); p != nil {
		return p
	}
	pet, err := s.store.Pet(r.Context(), id[0])
	if err != nil {
		return s.lookup(r, "pet", err)
	}
	ok(w, toPetJSON(pet))
	return nil
}

// updatePet answers 204 with no body, like the Java server before its v1
// controllers (which answer 200 with the entity): clients written against
// it expect 204. See docs/api-deviations.md.
func (s *server) updatePet(w http.ResponseWriter, r *http.Request) *problem {
	id, p := ids(r, "petId")
	if p != nil {
		return p
	}
	f, p := s.petBody(r)
	if p != nil {
		return p
	}
	if p := nonNegative(id...); p != nil {
		return p
	}
	if _, p := s.savePet(r, id[0], f); p != nil {
		return p
	}
	noContent(w)
	return nil
}

// deletePet answers 204 with no body, like the Java server before its v1
// controllers (which answer 200 with the entity): clients written against
// it expect 204. See docs/api-deviations.md.
func (s *server) deletePet(w http.ResponseWriter, r *http.Request) *problem {
	id, p := ids(r, "petId")
	if p != nil {
		return p
	}
	if p := nonNegative(id...); p != nil {
		return p
	}
	pet, err := s.store.Pet(r.Context(), id[0])
	if err != nil {
		return s.lookup(r, "pet", err)
	}
	if err := s.store.DeletePet(r.Context(), pet.ID); err != nil {
		return s.write(r, "delete pet", err)
	}
	noContent(w)
	return nil
}
