package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/gamedayhq/gameday/petclinic"
)

// pageSize is Spring PetClinic's page size for owners and vets.
const pageSize = 5

type findOwnersPage struct {
	LastName string
	Errors   []string
}

type ownersListPage struct {
	Owners     []ownerRow
	Pagination pagination
}

type ownerRow struct {
	*petclinic.Owner
	PetNames string
}

type ownerFormPage struct {
	New    bool
	Form   ownerForm
	Errors map[string][]string
}

type ownerDetailsPage struct {
	Owner   *petclinic.Owner
	Message string
}

func (s *server) findOwnersForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "findOwners", "owners", findOwnersPage{})
}

// findOwners is OwnerController.processFindForm: no match re-renders the
// find form with "has not been found", one match redirects to the owner, more
// list a page of 5.
func (s *server) findOwners(w http.ResponseWriter, r *http.Request) {
	page, ok := pageParam(r)
	if !ok {
		s.badRequest(w, r)
		return
	}
	lastName := r.URL.Query().Get("lastName")
	owners, total, err := s.store.Owners(r.Context(), petclinic.OwnerFilter{
		LastNamePrefix: lastName,
		Page:           petclinic.Page{Offset: (page - 1) * pageSize, Size: pageSize},
	})
	if err != nil {
		s.fail(w, r, fmt.Errorf("find owners: %w", err))
		return
	}
	switch {
	case len(owners) == 0:
		// As in Java, a page past the end counts as no match.
		s.render(w, r, http.StatusOK, "findOwners", "owners", findOwnersPage{
			LastName: lastName,
			Errors:   []string{s.localizer(r).T("notFound")},
		})
	case total == 1:
		http.Redirect(w, r, fmt.Sprintf("/owners/%d", owners[0].ID), http.StatusFound)
	default:
		rows := make([]ownerRow, len(owners))
		for i, o := range owners {
			names := make([]string, len(o.Pets))
			for j, p := range o.Pets {
				names[j] = p.Name
			}
			rows[i] = ownerRow{Owner: o, PetNames: strings.Join(names, ", ")}
		}
		q := url.Values{}
		if lastName != "" {
			q.Set("lastName", lastName)
		}
		s.render(w, r, http.StatusOK, "ownersList", "owners", ownersListPage{
			Owners:     rows,
			Pagination: newPagination("/owners", q, page, total),
		})
	}
}

func (s *server) newOwnerForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "ownerForm", "owners", ownerFormPage{New: true})
}

func (s *server) createOwner(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.badRequest(w, r)
		return
	}
	f := bindOwnerForm(r.PostForm)
	if errs := f.validate(); len(errs) > 0 {
		s.render(w, r, http.StatusOK, "ownerForm", "owners", ownerFormPage{New: true, Form: f, Errors: errs.localize(s.localizer(r))})
		return
	}
	var o petclinic.Owner
	f.apply(&o)
	if err := s.store.CreateOwner(r.Context(), &o); err != nil {
		s.fail(w, r, fmt.Errorf("create owner: %w", err))
		return
	}
	redirectWithFlash(w, r, fmt.Sprintf("/owners/%d", o.ID), "owner-created")
}

// owner loads the {ownerId} owner, or answers the request itself and
// returns nil.
func (s *server) owner(w http.ResponseWriter, r *http.Request) *petclinic.Owner {
	id, ok := pathID(r, "ownerId")
	if !ok {
		s.badRequest(w, r)
		return nil
	}
	o, err := s.store.Owner(r.Context(), id)
	if err != nil {
		s.fail(w, r, fmt.Errorf("owner %d: %w", id, err))
		return nil
	}
	return o
}

func (s *server) showOwner(w http.ResponseWriter, r *http.Request) {
	o := s.owner(w, r)
	if o == nil {
		return
	}
	s.render(w, r, http.StatusOK, "ownerDetails", "owners", ownerDetailsPage{Owner: o, Message: takeFlash(w, r)})
}

func (s *server) editOwnerForm(w http.ResponseWriter, r *http.Request) {
	o := s.owner(w, r)
	if o == nil {
		return
	}
	s.render(w, r, http.StatusOK, "ownerForm", "owners", ownerFormPage{Form: ownerFormOf(o)})
}

func (s *server) updateOwner(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.badRequest(w, r)
		return
	}
	o := s.owner(w, r)
	if o == nil {
		return
	}
	f := bindOwnerForm(r.PostForm)
	if errs := f.validate(); len(errs) > 0 {
		s.render(w, r, http.StatusOK, "ownerForm", "owners", ownerFormPage{Form: f, Errors: errs.localize(s.localizer(r))})
		return
	}
	f.apply(o)
	if err := s.store.UpdateOwner(r.Context(), o); err != nil {
		s.fail(w, r, fmt.Errorf("update owner %d: %w", o.ID, err))
		return
	}
	redirectWithFlash(w, r, fmt.Sprintf("/owners/%d", o.ID), "owner-updated")
}
