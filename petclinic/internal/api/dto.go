package api

import (
	"fmt"
	"strconv"
	"time"

	"github.com/gamedayhq/gameday/petclinic"
)

// Request DTOs: what a body binds to before validation. Pointers are Java's
// nullable wrapper fields; nil is JSON null or an absent property.

type ownerFields struct {
	FirstName, LastName, Address, City, Telephone *string
}

func bindOwnerFields(o object) (f ownerFields, err error) {
	for _, m := range []struct {
		key string
		dst **string
	}{{"firstName", &f.FirstName}, {"lastName", &f.LastName}, {"address", &f.Address}, {"city", &f.City}, {"telephone", &f.Telephone}} {
		if *m.dst, err = o.str(m.key); err != nil {
			return f, err
		}
	}
	return f, nil
}

func (f ownerFields) validate(v *validator) {
	if v.notNull("firstName", f.FirstName != nil) {
		v.size("firstName", f.FirstName, 1, 30)
		v.pattern("firstName", f.FirstName, firstNameRE)
	}
	if v.notNull("lastName", f.LastName != nil) {
		v.size("lastName", f.LastName, 1, 30)
		v.pattern("lastName", f.LastName, lastNameRE)
	}
	if v.notNull("address", f.Address != nil) {
		v.size("address", f.Address, 1, 255)
	}
	if v.notNull("city", f.City != nil) {
		v.size("city", f.City, 1, 80)
	}
	if v.notNull("telephone", f.Telephone != nil) {
		v.size("telephone", f.Telephone, 1, 20)
		v.pattern("telephone", f.Telephone, telephoneRE)
	}
}

// petTypeDTO is PetTypeDto: a name and an id, both required (the contract's
// PetType schema requires id, and PetTypeFields requires name).
type petTypeDTO struct {
	Name *string
	ID   *int
}

func bindPetType(o object) (t petTypeDTO, err error) {
	if t.Name, err = o.str("name"); err != nil {
		return t, err
	}
	t.ID, err = o.int32("id")
	return t, err
}

func (t petTypeDTO) validate(v *validator, prefix string, idRequired bool) {
	if v.notNull(prefix+"name", t.Name != nil) {
		v.size(prefix+"name", t.Name, 1, 80)
	}
	if !idRequired || v.notNull(prefix+"id", t.ID != nil) {
		v.min(prefix+"id", t.ID, 0)
	}
}

type petFields struct {
	Name      *string
	BirthDate *time.Time
	Type      *petTypeDTO
}

func bindPetFields(o object) (f petFields, err error) {
	if f.Name, err = o.str("name"); err != nil {
		return f, err
	}
	if f.BirthDate, err = o.date("birthDate"); err != nil {
		return f, err
	}
	to, err := o.object("type")
	if err != nil || to == nil {
		return f, err
	}
	t, err := bindPetType(to)
	f.Type = &t
	return f, err
}

func (f petFields) validate(v *validator, now time.Time) {
	if v.notNull("name", f.Name != nil) {
		v.size("name", f.Name, 0, 30)
	}
	if v.notNull("birthDate", f.BirthDate != nil) {
		v.birthDate("birthDate", f.BirthDate, now)
	}
	if v.notNull("type", f.Type != nil) {
		f.Type.validate(v, "type.", true)
	}
}

type visitFields struct {
	Date        *time.Time
	Description *string
	// PetID is only bound for POST /visits (VisitCreateDto).
	PetID *int
}

func bindVisitFields(o object, withPet bool) (f visitFields, err error) {
	if f.Date, err = o.date("date"); err != nil {
		return f, err
	}
	if f.Description, err = o.str("description"); err != nil {
		return f, err
	}
	if withPet {
		f.PetID, err = o.int32("petId")
	}
	return f, err
}

func (f visitFields) validate(v *validator, withPet bool) {
	if v.notNull("description", f.Description != nil) {
		v.size("description", f.Description, 1, 255)
	}
	if withPet && v.notNull("petId", f.PetID != nil) {
		v.min("petId", f.PetID, 0)
	}
}

// namedDTO is the body of pet types and specialties: SpecialtyFields and
// PetTypeFields on POST (name only), Specialty and PetType on PUT (id too).
type namedDTO struct {
	Name *string
	ID   *int
}

func bindNamed(o object) (n namedDTO, err error) {
	if n.Name, err = o.str("name"); err != nil {
		return n, err
	}
	n.ID, err = o.int32("id")
	return n, err
}

func (n namedDTO) validate(v *validator, prefix string, idRequired bool) {
	if v.notNull(prefix+"name", n.Name != nil) {
		v.size(prefix+"name", n.Name, 1, 80)
	}
	if !idRequired || v.notNull(prefix+"id", n.ID != nil) {
		v.min(prefix+"id", n.ID, 0)
	}
}

type vetFields struct {
	FirstName, LastName *string
	// Specialties is nil when the property is null or absent.
	Specialties []namedDTO
	ID          *int
}

func bindVetFields(o object) (f vetFields, err error) {
	if f.FirstName, err = o.str("firstName"); err != nil {
		return f, err
	}
	if f.LastName, err = o.str("lastName"); err != nil {
		return f, err
	}
	if f.ID, err = o.int32("id"); err != nil {
		return f, err
	}
	items, present, err := o.array("specialties")
	if err != nil || !present {
		return f, err
	}
	f.Specialties = make([]namedDTO, 0, len(items))
	for _, raw := range items {
		so, err := asObject(raw)
		if err != nil {
			return f, err
		}
		s, err := bindNamed(so)
		if err != nil {
			return f, err
		}
		f.Specialties = append(f.Specialties, s)
	}
	return f, nil
}

// validate checks VetFields, or Vet when idRequired (PUT). Each specialty is
// a Specialty, whose id the contract requires.
func (f vetFields) validate(v *validator, idRequired bool) {
	if v.notNull("firstName", f.FirstName != nil) {
		v.size("firstName", f.FirstName, 1, 30)
		v.pattern("firstName", f.FirstName, firstNameRE)
	}
	if v.notNull("lastName", f.LastName != nil) {
		v.size("lastName", f.LastName, 1, 30)
		v.pattern("lastName", f.LastName, lastNameRE)
	}
	if idRequired && v.notNull("id", f.ID != nil) {
		v.min("id", f.ID, 0)
	}
	if v.notNull("specialties", f.Specialties != nil) {
		for i, s := range f.Specialties {
			s.validate(v, fmt.Sprintf("specialties[%d].", i), true)
		}
	}
}

type userDTO struct {
	Username, Password *string
	Enabled            *bool
	Roles              []namedDTO
}

func bindUser(o object) (u userDTO, err error) {
	if u.Username, err = o.str("username"); err != nil {
		return u, err
	}
	if u.Password, err = o.str("password"); err != nil {
		return u, err
	}
	if u.Enabled, err = o.boolean("enabled"); err != nil {
		return u, err
	}
	items, _, err := o.array("roles")
	if err != nil {
		return u, err
	}
	for _, raw := range items {
		ro, err := asObject(raw)
		if err != nil {
			return u, err
		}
		name, err := ro.str("name")
		if err != nil {
			return u, err
		}
		u.Roles = append(u.Roles, namedDTO{Name: name})
	}
	return u, nil
}

func (u userDTO) validate(v *validator) {
	if v.notNull("username", u.Username != nil) {
		v.size("username", u.Username, 1, 80)
	}
	v.size("password", u.Password, 1, 80)
	for i, r := range u.Roles {
		field := fmt.Sprintf("roles[%d].name", i)
		if v.notNull(field, r.Name != nil) {
			v.size(field, r.Name, 1, 80)
		}
	}
}

// Response DTOs: the JSON of the Java server's generated DTOs, with their
// property order (the allOf base first) and nulls written out.

type ownerJSON struct {
	FirstName string    `json:"firstName"`
	LastName  string    `json:"lastName"`
	Address   string    `json:"address"`
	City      string    `json:"city"`
	Telephone string    `json:"telephone"`
	ID        int       `json:"id"`
	Pets      []petJSON `json:"pets"`
}

type petJSON struct {
	Name      string      `json:"name"`
	BirthDate *string     `json:"birthDate"`
	Type      petTypeJSON `json:"type"`
	ID        int         `json:"id"`
	OwnerID   *int        `json:"ownerId"`
	Visits    []visitJSON `json:"visits"`
}

type petTypeJSON struct {
	Name string `json:"name"`
	ID   int    `json:"id"`
}

type visitJSON struct {
	Date        *string `json:"date"`
	Description string  `json:"description"`
	ID          int     `json:"id"`
	PetID       int     `json:"petId"`
}

type vetJSON struct {
	FirstName   string          `json:"firstName"`
	LastName    string          `json:"lastName"`
	Specialties []specialtyJSON `json:"specialties"`
	ID          int             `json:"id"`
}

type specialtyJSON struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

type userJSON struct {
	Username string     `json:"username"`
	Password *string    `json:"password"`
	Enabled  bool       `json:"enabled"`
	Roles    []roleJSON `json:"roles"`
}

type roleJSON struct {
	Name string `json:"name"`
}

type pageJSON[T any] struct {
	Content       []T `json:"content"`
	Page          int `json:"page"`
	Size          int `json:"size"`
	TotalElements int `json:"totalElements"`
	TotalPages    int `json:"totalPages"`
}

func dateJSON(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.Format(petclinic.DateLayout)
	return &s
}

func toOwnerJSON(o *petclinic.Owner) ownerJSON {
	j := ownerJSON{FirstName: o.FirstName, LastName: o.LastName, Address: o.Address, City: o.City,
		Telephone: o.Telephone, ID: o.ID, Pets: make([]petJSON, 0, len(o.Pets))}
	for _, p := range o.Pets {
		j.Pets = append(j.Pets, toPetJSON(p))
	}
	return j
}

func toPetJSON(p *petclinic.Pet) petJSON {
	j := petJSON{Name: p.Name, BirthDate: dateJSON(p.BirthDate), Type: toPetTypeJSON(p.Type), ID: p.ID,
		Visits: make([]visitJSON, 0, len(p.Visits))}
	if p.OwnerID != 0 {
		id := p.OwnerID
		j.OwnerID = &id
	}
	for _, v := range p.Visits {
		j.Visits = append(j.Visits, toVisitJSON(v))
	}
	return j
}

func toVisitJSON(v *petclinic.Visit) visitJSON {
	return visitJSON{Date: dateJSON(v.Date), Description: v.Description, ID: v.ID, PetID: v.PetID}
}

func toVetJSON(v *petclinic.Vet) vetJSON {
	j := vetJSON{FirstName: v.FirstName, LastName: v.LastName, ID: v.ID, Specialties: make([]specialtyJSON, 0, len(v.Specialties))}
	for _, s := range v.Specialties {
		j.Specialties = append(j.Specialties, specialtyJSON(s))
	}
	return j
}

func itoa(n int) string { return strconv.Itoa(n) }

func toPetTypeJSON(t petclinic.PetType) petTypeJSON { return petTypeJSON{Name: t.Name, ID: t.ID} }
