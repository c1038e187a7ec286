package web

import (
	"fmt"
	"net/http"

	"github.com/gamedayhq/gameday/petclinic"
)

type petFormPage struct {
	New    bool
	Owner  *petclinic.Owner
	Form   petForm
	Types  []string
	Errors map[string][]string
}

// renderPetForm renders the pet form, with the pet types for the select,
// loading them when types is nil.
func (s *server) renderPetForm(w http.ResponseWriter, r *http.Request, p petFormPage, types []petclinic.PetType) {
	if types == nil {
		var err error
		if types, err = s.store.PetTypes(r.Context()); err != nil {
			s.fail(w, r, fmt.Errorf("pet types: %w", err))
			return
		}
	}
	for _, t := range types {
		p.Types = append(p.Types, t.Name)
	}
	s.render(w, r, http.StatusOK, "petForm", "owners", p)
}

func (s *server) newPetForm(w http.ResponseWriter, r *http.Request) {
	o := s.owner(w, r)
	if o == nil {
		return
	}
	s.renderPetForm(w, r, petFormPage{New: true, Owner: o}, nil)
}

func (s *server) createPet(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.badRequest(w, r)
		return
	}
	o := s.owner(w, r)
	if o == nil {
		return
	}
	types, err := s.store.PetTypes(r.Context())
	if err != nil {
		s.fail(w, r, fmt.Errorf("pet types: %w", err))
		return
	}
	f := bindPetForm(r.PostForm)
	pet, errs := f.validate(o, 0, types, dateOf(s.now()))
	if len(errs) > 0 {
		s.renderPetForm(w, r, petFormPage{New: true, Owner: o, Form: f, Errors: errs.localize(s.localizer(r))}, types)
		return
	}
	if err := s.store.CreatePet(r.Context(), &pet); err != nil {
		s.fail(w, r, fmt.Errorf("create pet of owner %d: %w", o.ID, err))
		return
	}
	redirectWithFlash(w, r, fmt.Sprintf("/owners/%d", o.ID), "pet-added")
}

// ownerPet loads the {ownerId} owner and its {petId} pet, or answers the
// request itself and returns nils. A pet of another owner is not found.
func (s *server) ownerPet(w http.ResponseWriter, r *http.Request) (*petclinic.Owner, *petclinic.Pet) {
	petID, ok := pathID(r, "petId")
	if !ok {
		s.badRequest(w, r)
		return nil, nil
	}
	o := s.owner(w, r)
	if o == nil {
		return nil, nil
	}
	p := o.PetByID(petID)
	if p == nil {
		s.fail(w, r, fmt.Errorf("pet %d of owner %d: %w", petID, o.ID, petclinic.ErrNotFound))
		return nil, nil
	}
	return o, p
}

func (s *server) editPetForm(w http.ResponseWriter, r *http.Request) {
	o, p := s.ownerPet(w, r)
	if p == nil {
		return
	}
	s.renderPetForm(w, r, petFormPage{Owner: o, Form: petFormOf(p)}, nil)
}

func (s *server) updatePet(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.badRequest(w, r)
		return
	}
	o, p := s.ownerPet(w, r)
	if p == nil {
		return
	}
	types, err := s.store.PetTypes(r.Context())
	if err != nil {
		s.fail(w, r, fmt.Errorf("pet types: %w", err))
		return
	}
	f := bindPetForm(r.PostForm)
	pet, errs := f.validate(o, p.ID, types, dateOf(s.now()))
	if len(errs) > 0 {
		s.renderPetForm(w, r, petFormPage{Owner: o, Form: f, Errors: errs.localize(s.localizer(r))}, types)
		return
	}
	if err := s.store.UpdatePet(r.Context(), &pet); err != nil {
		s.fail(w, r, fmt.Errorf("update pet %d: %w", p.ID, err))
		return
	}
	redirectWithFlash(w, r, fmt.Sprintf("/owners/%d", o.ID), "pet-edited")
}

type visitFormPage struct {
	Owner  *petclinic.Owner
	Pet    *petclinic.Pet
	Form   visitForm
	Errors map[string][]string
}

func (s *server) newVisitForm(w http.ResponseWriter, r *http.Request) {
	o, p := s.ownerPet(w, r)
	if p == nil {
		return
	}
	f := visitForm{Date: formatDate(dateOf(s.now()))}
	s.render(w, r, http.StatusOK, "visitForm", "owners", visitFormPage{Owner: o, Pet: p, Form: f})
}

func (s *server) createVisit(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.badRequest(w, r)
		return
	}
	o, p := s.ownerPet(w, r)
	if p == nil {
		return
	}
	f := bindVisitForm(r.PostForm)
	v, errs := f.validate(p.ID)
	if len(errs) > 0 {
		s.render(w, r, http.StatusOK, "visitForm", "owners", visitFormPage{Owner: o, Pet: p, Form: f, Errors: errs.localize(s.localizer(r))})
		return
	}
	if err := s.store.CreateVisit(r.Context(), &v); err != nil {
		s.fail(w, r, fmt.Errorf("create visit of pet %d: %w", p.ID, err))
		return
	}
	redirectWithFlash(w, r, fmt.Sprintf("/owners/%d", o.ID), "visit-booked")
}
