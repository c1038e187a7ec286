package web

import (
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gamedayhq/gameday/petclinic"
)

// fieldErrors maps a form field name to its errors, in the order Spring
// PetClinic reports them. Each error is a message key and optional arguments.
type fieldErrors map[string][]fieldError

type fieldError struct {
	Key string
	Max int // for "Size": the maximum length
}

func (e fieldErrors) add(field, key string) { e[field] = append(e[field], fieldError{Key: key}) }

// localize turns the errors into the messages of one language.
func (e fieldErrors) localize(l localizer) map[string][]string {
	out := make(map[string][]string, len(e))
	for field, errs := range e {
		for _, fe := range errs {
			msg := l.T(fe.Key)
			if fe.Key == "Size" {
				msg = strings.ReplaceAll(msg, "{max}", itoa(fe.Max))
			}
			out[field] = append(out[field], msg)
		}
	}
	return out
}

// Column sizes of the PetClinic schema: Java lets longer values through to
// the database (HTTP 500); the port rejects them as a form error instead.
const (
	maxNameLen        = 30
	maxAddressLen     = 255
	maxCityLen        = 80
	maxDescriptionLen = 255
)

var tenDigits = regexp.MustCompile(`^[0-9]{10}$`)

// notBlank is Bean Validation's @NotBlank.
func notBlank(s string) bool { return strings.TrimSpace(s) != "" }

// ownerForm is what the owner form posts (field names as in Java).
type ownerForm struct {
	FirstName string
	LastName  string
	Address   string
	City      string
	Telephone string
}

func bindOwnerForm(v url.Values) ownerForm {
	return ownerForm{
		FirstName: v.Get("firstName"),
		LastName:  v.Get("lastName"),
		Address:   v.Get("address"),
		City:      v.Get("city"),
		Telephone: v.Get("telephone"),
	}
}

func (f ownerForm) values() url.Values {
	return url.Values{
		"firstName": {f.FirstName},
		"lastName":  {f.LastName},
		"address":   {f.Address},
		"city":      {f.City},
		"telephone": {f.Telephone},
	}
}

func ownerFormOf(o *petclinic.Owner) ownerForm {
	return ownerForm{FirstName: o.FirstName, LastName: o.LastName, Address: o.Address, City: o.City, Telephone: o.Telephone}
}

// validate applies Owner's constraints: @NotBlank names, address and city,
// and a telephone that is @NotBlank and matches \d{10} ("telephone.invalid").
func (f ownerForm) validate() fieldErrors {
	errs := fieldErrors{}
	for _, c := range []struct {
		field, value string
		max          int
	}{
		{"firstName", f.FirstName, maxNameLen},
		{"lastName", f.LastName, maxNameLen},
		{"address", f.Address, maxAddressLen},
		{"city", f.City, maxCityLen},
	} {
		switch {
		case !notBlank(c.value):
			errs.add(c.field, "NotBlank")
		case utf8.RuneCountInString(c.value) > c.max:
			errs[c.field] = append(errs[c.field], fieldError{Key: "Size", Max: c.max})
		}
	}
	if !notBlank(f.Telephone) {
		errs.add("telephone", "NotBlank")
	}
	if !tenDigits.MatchString(f.Telephone) {
		errs.add("telephone", "telephone.invalid")
	}
	return errs
}

// apply copies the form onto o, leaving its id and pets alone (Java's binder
// disallows "id").
func (f ownerForm) apply(o *petclinic.Owner) {
	o.FirstName, o.LastName, o.Address, o.City, o.Telephone = f.FirstName, f.LastName, f.Address, f.City, f.Telephone
}

// petForm is what the pet form posts. Type is the pet type's name, as
// Spring PetClinic's PetTypeFormatter prints and parses it.
type petForm struct {
	Name      string
	BirthDate string
	Type      string
}

func bindPetForm(v url.Values) petForm {
	return petForm{Name: v.Get("name"), BirthDate: v.Get("birthDate"), Type: v.Get("type")}
}

func (f petForm) values() url.Values {
	return url.Values{"name": {f.Name}, "birthDate": {f.BirthDate}, "type": {f.Type}}
}

func petFormOf(p *petclinic.Pet) petForm {
	return petForm{Name: p.Name, BirthDate: formatDate(p.BirthDate), Type: p.Type.Name}
}

// validate applies PetValidator and PetController's checks: a required name
// that no other pet of the owner has (case-insensitively), a required birth
// date that is not in the future, and a known type. petID is 0 for a new pet.
// It returns the pet the form describes, valid when errs is empty.
func (f petForm) validate(owner *petclinic.Owner, petID int, types []petclinic.PetType, today time.Time) (petclinic.Pet, fieldErrors) {
	errs := fieldErrors{}
	pet := petclinic.Pet{ID: petID, Name: f.Name, OwnerID: owner.ID}

	switch {
	case !notBlank(f.Name):
		errs.add("name", "required")
	case utf8.RuneCountInString(f.Name) > maxNameLen:
		errs["name"] = append(errs["name"], fieldError{Key: "Size", Max: maxNameLen})
	default:
		if other := owner.Pet(f.Name); other != nil && other.ID != petID {
			errs.add("name", "duplicate")
		}
	}

	switch d, ok := parseDate(f.BirthDate); {
	case f.BirthDate == "":
		errs.add("birthDate", "required")
	case !ok, d.After(today):
		errs.add("birthDate", "typeMismatch.birthDate")
	default:
		pet.BirthDate = d
	}

	found := false
	for _, t := range types {
		if t.Name == f.Type {
			pet.Type, found = t, true
			break
		}
	}
	if !found {
		errs.add("type", "required")
	}
	return pet, errs
}

// visitForm is what the visit form posts.
type visitForm struct {
	Date        string
	Description string
}

func bindVisitForm(v url.Values) visitForm {
	return visitForm{Date: v.Get("date"), Description: v.Get("description")}
}

func (f visitForm) values() url.Values {
	return url.Values{"date": {f.Date}, "description": {f.Description}}
}

// validate applies Visit's constraints: a date and a @NotBlank description.
func (f visitForm) validate(petID int) (petclinic.Visit, fieldErrors) {
	errs := fieldErrors{}
	v := petclinic.Visit{PetID: petID, Description: f.Description}
	switch d, ok := parseDate(f.Date); {
	case f.Date == "":
		errs.add("date", "required")
	case !ok:
		errs.add("date", "typeMismatch.date")
	default:
		v.Date = d
	}
	switch {
	case !notBlank(f.Description):
		errs.add("description", "NotBlank")
	case utf8.RuneCountInString(f.Description) > maxDescriptionLen:
		errs["description"] = append(errs["description"], fieldError{Key: "Size", Max: maxDescriptionLen})
	}
	return v, errs
}

// parseDate parses a yyyy-MM-dd calendar date as UTC midnight.
func parseDate(s string) (time.Time, bool) {
	d, err := time.Parse(petclinic.DateLayout, s)
	return d, err == nil
}

func formatDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(petclinic.DateLayout)
}

// dateOf is the calendar date of t in t's location, as UTC midnight.
func dateOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
