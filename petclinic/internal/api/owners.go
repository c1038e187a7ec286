package api

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gamedayhq/gameday/petclinic"
)

// storeFailed answers an unexpected store error like the Java server's
// catch-all handler: 500 with the exception's simple name as title.
func (s *server) storeFailed(r *http.Request, op string, err error) *problem {
	title := "DataAccessResourceFailureException"
	if errors.Is(err, context.DeadlineExceeded) {
		title = "QueryTimeoutException"
	}
	s.log.ErrorContext(r.Context(), "store error", "method", r.Method, "path", r.URL.Path, "op", op, "err", err.Error())
	return &problem{status: http.StatusInternalServerError, title: title, detail: detailUnexpected}
}

// lookup turns a store read's error into the answer: 404 for a missing
// entity, 500 for anything else.
func (s *server) lookup(r *http.Request, op string, err error) *problem {
	if errors.Is(err, petclinic.ErrNotFound) {
		return notFoundProblem()
	}
	return s.storeFailed(r, op, err)
}

// write turns a store write's error into the answer: a missing or
// conflicting row is DataIntegrityViolationException (404 in the Java
// server), anything else 500.
func (s *server) write(r *http.Request, op string, err error) *problem {
	if errors.Is(err, petclinic.ErrNotFound) || errors.Is(err, petclinic.ErrConflict) {
		s.log.WarnContext(r.Context(), "data integrity violation", "method", r.Method, "path", r.URL.Path, "op", op, "err", err.Error())
		return dataIntegrity()
	}
	return s.storeFailed(r, op, err)
}

// body reads and binds the request body, logging why Jackson would refuse it.
func (s *server) body(r *http.Request, bind func(object) error) *problem {
	o, p := readObject(r)
	if p == nil {
		if err := bind(o); err != nil {
			p = unreadable()
		}
	}
	if p != nil {
		s.log.WarnContext(r.Context(), "unreadable request", "method", r.Method, "path", r.URL.Path, "title", p.title)
	}
	return p
}

func created(w http.ResponseWriter, location string, v any) {
	w.Header().Set("Location", Prefix+location)
	writeJSON(w, "application/json", http.StatusCreated, v)
}

func ok(w http.ResponseWriter, v any) {
	writeJSON(w, "application/json", http.StatusOK, v)
}

func noContent(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) }

// listOwners answers 404 when no owner matches, with or without lastName,
// as the Java controller does (its front end says "No owners with LastName
// starting with ..." on that 404).
func (s *server) listOwners(w http.ResponseWriter, r *http.Request) *problem {
	owners, _, err := s.store.Owners(r.Context(), petclinic.OwnerFilter{LastNamePrefix: r.URL.Query().Get("lastName")})
	if err != nil {
		return s.storeFailed(r, "owners", err)
	}
	if len(owners) == 0 {
		return notFoundProblem()
	}
	out := make([]ownerJSON, 0, len(owners))
	for _, o := range owners {
		out = append(out, toOwnerJSON(o))
	}
	ok(w, out)
	return nil
}

func (s *server) listOwnersPage(w http.ResponseWriter, r *http.Request) *problem {
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
	owners, total, err := s.store.Owners(r.Context(), petclinic.OwnerFilter{
		LastNamePrefix: r.URL.Query().Get("lastName"),
		Page:           petclinic.Page{Offset: page * size, Size: size},
	})
	if err != nil {
		return s.storeFailed(r, "owners", err)
	}
	out := pageJSON[ownerJSON]{Content: make([]ownerJSON, 0, len(owners)), Page: page, Size: size,
		TotalElements: total, TotalPages: (total + size - 1) / size}
	for _, o := range owners {
		out.Content = append(out.Content, toOwnerJSON(o))
	}
	ok(w, out)
	return nil
}

func (s *server) getOwner(w http.ResponseWriter, r *http.Request) *problem {
	id, p := ids(r, "ownerId")
	if p != nil {
		return p
	}
	if p := nonNegative(id...); p != nil {
		return p
	}
	o, err := s.store.Owner(r.Context(), id[0])
	if err != nil {
		return s.lookup(r, "owner", err)
	}
	ok(w, toOwnerJSON(o))
	return nil
}

// ownerBody binds and validates OwnerFields.
func (s *server) ownerBody(r *http.Request) (ownerFields, *problem) {
	var f ownerFields
	if p := s.body(r, func(o object) (err error) { f, err = bindOwnerFields(o); return err }); p != nil {
		return f, p
	}
	v := &validator{}
	f.validate(v)
	return f, v.problem()
}

func (s *server) addOwner(w http.ResponseWriter, r *http.Request) *problem {
	f, p := s.ownerBody(r)
	if p != nil {
		return p
	}
	o := &petclinic.Owner{FirstName: *f.FirstName, LastName: *f.LastName, Address: *f.Address, City: *f.City, Telephone: *f.Telephone}
	if err := s.store.CreateOwner(r.Context(), o); err != nil {
		return s.write(r, "create owner", err)
	}
	created(w, "/owners/"+itoa(o.ID), toOwnerJSON(o))
	return nil
}

// updateOwner answers 204 with no body, like the Java server before its v1
// controllers (which answer 200 with the entity): clients written against
// it expect 204. See docs/api-deviations.md.
func (s *server) updateOwner(w http.ResponseWriter, r *http.Request) *problem {
	id, p := ids(r, "ownerId")
	if p != nil {
		return p
	}
	f, p := s.ownerBody(r)
	if p != nil {
		return p
	}
	if p := nonNegative(id...); p != nil {
		return p
	}
	o, err := s.store.Owner(r.Context(), id[0])
	if err != nil {
		return s.lookup(r, "owner", err)
	}
	o.FirstName, o.LastName, o.Address, o.City, o.Telephone = *f.FirstName, *f.LastName, *f.Address, *f.City, *f.Telephone
	if err := s.store.UpdateOwner(r.Context(), o); err != nil {
		return s.write(r, "update owner", err)
	}
	noContent(w)
	return nil
}

// deleteOwner answers 204 with no body, like the Java server before its v1
// controllers (which answer 200 with the entity): clients written against
// it expect 204. See docs/api-deviations.md.
func (s *server) deleteOwner(w http.ResponseWriter, r *http.Request) *problem {
	id, p := ids(r, "ownerId")
	if p != nil {
		return p
	}
	if p := nonNegative(id...); p != nil {
		return p
	}
	o, err := s.store.Owner(r.Context(), id[0])
	if err != nil {
		return s.lookup(r, "owner", err)
	}
	if err := s.store.DeleteOwner(r.Context(), o.ID); err != nil {
		return s.write(r, "delete owner", err)
	}
	noContent(w)
	return nil
}

// petBody binds and validates PetFields.
func (s *server) petBody(r *http.Request) (petFields, *problem) {
	var f petFields
	if p := s.body(r, func(o object) (err error) { f, err = bindPetFields(o); return err }); p != nil {
		return f, p
	}
	v := &validator{}
	f.validate(v, s.now())
	return f, v.problem()
}

// petType resolves the type a pet body names by id. The Java controllers
// save the pet with that id and the foreign key refuses a missing one:
// DataIntegrityViolationException, 404 with a ProblemDetail.
func (s *server) petType(r *http.Request, f petFields) (petclinic.PetType, *problem) {
	t, err := s.store.PetType(r.Context(), *f.Type.ID)
	if err != nil {
		return t, s.write(r, "pet type", err)
	}
	return t, nil
}

// duplicateName refuses a pet name that another pet of the same owner
// already has, compared case-insensitively. The Java REST server does not
// check this; Spring PetClinic's UI does, and both share the database.
func duplicateName(o *petclinic.Owner, name string, self int) *problem {
	if other := o.Pet(name); other != nil && other.ID != self {
		v := &validator{}
		v.add("name", "already exists", name)
		return v.problem()
	}
	return nil
}

func (s *server) addPetToOwner(w http.ResponseWriter, r *http.Request) *problem {
	id, p := ids(r, "ownerId")
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
	o, err := s.store.Owner(r.Context(), id[0])
	if err != nil {
		return s.lookup(r, "owner", err)
	}
	t, p := s.petType(r, f)
	if p != nil {
		return p
	}
	if p := duplicateName(o, *f.Name, 0); p != nil {
		return p
	}
	pet := &petclinic.Pet{Name: *f.Name, BirthDate: *f.BirthDate, Type: t, OwnerID: o.ID}
	if err := s.store.CreatePet(r.Context(), pet); err != nil {
		return s.write(r, "create pet", err)
	}
	created(w, "/pets/"+itoa(pet.ID), toPetJSON(pet))
	return nil
}

func (s *server) getOwnersPet(w http.ResponseWriter, r *http.Request) *problem {
	id, p := ids(r, "ownerId", "petId")
	if p != nil {
		return p
	}
	if p := nonNegative(id...); p != nil {
		return p
	}
	o, err := s.store.Owner(r.Context(), id[0])
	if err != nil {
		return s.lookup(r, "owner", err)
	}
	pet := o.PetByID(id[1])
	if pet == nil {
		return notFoundProblem()
	}
	ok(w, toPetJSON(pet))
	return nil
}

// updateOwnersPet answers 204. Like the Java controller it needs the owner
// to exist but updates the pet by its id alone.
func (s *server) updateOwnersPet(w http.ResponseWriter, r *http.Request) *problem {
	id, p := ids(r, "ownerId", "petId")
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
	if _, err := s.store.Owner(r.Context(), id[0]); err != nil {
		return s.lookup(r, "owner", err)
	}
	if _, p := s.savePet(r, id[1], f); p != nil {
		return p
	}
	noContent(w)
	return nil
}

// savePet updates pet id from f: the type must exist and the name must be
// free among its owner's other pets.
func (s *server) savePet(r *http.Request, id int, f petFields) (*petclinic.Pet, *problem) {
	pet, err := s.store.Pet(r.Context(), id)
	if err != nil {
		return nil, s.lookup(r, "pet", err)
	}
	t, p := s.petType(r, f)
	if p != nil {
		return nil, p
	}
	if pet.OwnerID != 0 {
		o, err := s.store.Owner(r.Context(), pet.OwnerID)
		if err != nil {
			return nil, s.lookup(r, "owner", err)
		}
		if p := duplicateName(o, *f.Name, pet.ID); p != nil {
			return nil, p
		}
	}
	pet.Name, pet.BirthDate, pet.Type = *f.Name, *f.BirthDate, t
	if err := s.store.UpdatePet(r.Context(), pet); err != nil {
		return nil, s.write(r, "update pet", err)
	}
	return pet, nil
}

// visitBody binds and validates VisitFields (or VisitCreate with a petId).
func (s *server) visitBody(r *http.Request, withPet bool) (visitFields, *problem) {
	var f visitFields
	if p := s.body(r, func(o object) (err error) { f, err = bindVisitFields(o, withPet); return err }); p != nil {
		return f, p
	}
	v := &validator{}
	f.validate(v, withPet)
	return f, v.problem()
}

// visitDate is the date of a new or updated visit: the given one, or today
// when none is given (the Java Visit's constructor default).
func (s *server) visitDate(d *time.Time) time.Time {
	if d != nil {
		return *d
	}
	now := s.now()
	return time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
}

// addVisitToOwner, like the Java controller, books the visit for the pet id
// without checking the owner; a missing pet is a data integrity violation.
func (s *server) addVisitToOwner(w http.ResponseWriter, r *http.Request) *problem {
	id, p := ids(r, "ownerId", "petId")
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
	v := &petclinic.Visit{PetID: id[1], Date: s.visitDate(f.Date), Description: *f.Description}
	if err := s.store.CreateVisit(r.Context(), v); err != nil {
		return s.write(r, "create visit", err)
	}
	created(w, "/visits/"+itoa(v.ID), toVisitJSON(v))
	return nil
}

// trimRole strips the ROLE_ prefix Spring Security stores roles with.
func trimRole(name string) string { return strings.TrimPrefix(name, "ROLE_") }
