package api

import (
	"net/http"

	"github.com/gamedayhq/gameday/petclinic"
)

func (s *server) listSpecialties(w http.ResponseWriter, r *http.Request) *problem {
	specs, err := s.store.Specialties(r.Context())
	if err != nil {
		return s.storeFailed(r, "specialties", err)
	}
	if len(specs) == 0 {
		return notFoundProblem()
	}
	out := make([]specialtyJSON, 0, len(specs))
	for _, sp := range specs {
		out = append(out, specialtyJSON(sp))
	}
	ok(w, out)
	return nil
}

func (s *server) getSpecialty(w http.ResponseWriter, r *http.Request) *problem {
	id, p := ids(r, "specialtyId")
	if p != nil {
		return p
	}
	if p := nonNegative(id...); p != nil {
		return p
	}
	sp, err := s.store.Specialty(r.Context(), id[0])
	if err != nil {
		return s.lookup(r, "specialty", err)
	}
	ok(w, specialtyJSON(sp))
	return nil
}

// addSpecialty binds a Specialty, whose id main's OpenAPI file marks
// required (and readOnly): the Java controller's generated SpecialtyDto
// refuses a body without it, and the id given is not used.
func (s *server) addSpecialty(w http.ResponseWriter, r *http.Request) *problem {
	n, p := s.namedBody(r, true)
	if p != nil {
		return p
	}
	sp := petclinic.Specialty{Name: *n.Name}
	if err := s.store.CreateSpecialty(r.Context(), &sp); err != nil {
		return s.write(r, "create specialty", err)
	}
	created(w, "/specialties/"+itoa(sp.ID), specialtyJSON(sp))
	return nil
}

// updateSpecialty answers 204.
func (s *server) updateSpecialty(w http.ResponseWriter, r *http.Request) *problem {
	id, p := ids(r, "specialtyId")
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
	sp, err := s.store.Specialty(r.Context(), id[0])
	if err != nil {
		return s.lookup(r, "specialty", err)
	}
	sp.Name = *n.Name
	if err := s.store.UpdateSpecialty(r.Context(), sp); err != nil {
		return s.write(r, "update specialty", err)
	}
	noContent(w)
	return nil
}

// deleteSpecialty answers 204 with no body, like the Java server before its v1
// controllers (which answer 200 with the entity): clients written against
// it expect 204. See docs/api-deviations.md.
func (s *server) deleteSpecialty(w http.ResponseWriter, r *http.Request) *problem {
	id, p := ids(r, "specialtyId")
	if p != nil {
		return p
	}
	if p := nonNegative(id...); p != nil {
		return p
	}
	sp, err := s.store.Specialty(r.Context(), id[0])
	if err != nil {
		return s.lookup(r, "specialty", err)
	}
	if err := s.store.DeleteSpecialty(r.Context(), sp.ID); err != nil {
		return s.write(r, "delete specialty", err)
	}
	noContent(w)
	return nil
}

func (s *server) listVets(w http.ResponseWriter, r *http.Request) *problem {
	vets, err := s.store.Vets(r.Context())
	if err != nil {
		return s.storeFailed(r, "vets", err)
	}
	if len(vets) == 0 {
		return notFoundProblem()
	}
	out := make([]vetJSON, 0, len(vets))
	for _, v := range vets {
		out = append(out, toVetJSON(v))
	}
	ok(w, out)
	return nil
}

func (s *server) getVet(w http.ResponseWriter, r *http.Request) *problem {
	id, p := ids(r, "vetId")
	if p != nil {
		return p
	}
	if p := nonNegative(id...); p != nil {
		return p
	}
	v, err := s.store.Vet(r.Context(), id[0])
	if err != nil {
		return s.lookup(r, "vet", err)
	}
	ok(w, toVetJSON(v))
	return nil
}

// vetBody binds and validates VetFields, or Vet (with id) on PUT.
func (s *server) vetBody(r *http.Request, idRequired bool) (vetFields, *problem) {
	var f vetFields
	if p := s.body(r, func(o object) (err error) { f, err = bindVetFields(o); return err }); p != nil {
		return f, p
	}
	v := &validator{}
	f.validate(v, idRequired)
	return f, v.problem()
}

// specialties resolves the specialties of a vet body by name, as the Java
// controller does (findSpecialtiesByNameIn); unknown names are dropped.
func (s *server) specialties(r *http.Request, f vetFields) ([]petclinic.Specialty, *problem) {
	if len(f.Specialties) == 0 {
		return nil, nil
	}
	names := make([]string, 0, len(f.Specialties))
	for _, sp := range f.Specialties {
		names = append(names, *sp.Name)
	}
	specs, err := s.store.SpecialtiesByName(r.Context(), names)
	if err != nil {
		return nil, s.storeFailed(r, "specialties by name", err)
	}
	return specs, nil
}

func (s *server) addVet(w http.ResponseWriter, r *http.Request) *problem {
	f, p := s.vetBody(r, false)
	if p != nil {
		return p
	}
	specs, p := s.specialties(r, f)
	if p != nil {
		return p
	}
	v := &petclinic.Vet{FirstName: *f.FirstName, LastName: *f.LastName, Specialties: specs}
	if err := s.store.CreateVet(r.Context(), v); err != nil {
		return s.write(r, "create vet", err)
	}
	created(w, "/vets/"+itoa(v.ID), toVetJSON(v))
	return nil
}

// updateVet answers 204.
func (s *server) updateVet(w http.ResponseWriter, r *http.Request) *problem {
	id, p := ids(r, "vetId")
	if p != nil {
		return p
	}
	f, p := s.vetBody(r, true)
	if p != nil {
		return p
	}
	if p := nonNegative(id...); p != nil {
		return p
	}
	v, err := s.store.Vet(r.Context(), id[0])
	if err != nil {
		return s.lookup(r, "vet", err)
	}
	specs, p := s.specialties(r, f)
	if p != nil {
		return p
	}
	v.FirstName, v.LastName, v.Specialties = *f.FirstName, *f.LastName, specs
	if err := s.store.UpdateVet(r.Context(), v); err != nil {
		return s.write(r, "update vet", err)
	}
	noContent(w)
	return nil
}

// deleteVet answers 204 with no body, like the Java server before its v1
// controllers (which answer 200 with the entity): clients written against
// it expect 204. See docs/api-deviations.md.
func (s *server) deleteVet(w http.ResponseWriter, r *http.Request) *problem {
	id, p := ids(r, "vetId")
	if p != nil {
		return p
	}
	if p := nonNegative(id...); p != nil {
		return p
	}
	v, err := s.store.Vet(r.Context(), id[0])
	if err != nil {
		return s.lookup(r, "vet", err)
	}
	if err := s.store.DeleteVet(r.Context(), v.ID); err != nil {
		return s.write(r, "delete vet", err)
	}
	noContent(w)
	return nil
}
