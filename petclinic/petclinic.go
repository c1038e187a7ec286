// Package petclinic holds the domain of the PetClinic service: owners, their
// pets and visits, vets and their specialties, and the Store that keeps them.
//
// Adapters live under internal/ and are named after what they depend on:
// internal/sqlstore (SQLite and MySQL), internal/cache (in-process and Redis),
// internal/web (HTML UI), internal/api (REST), internal/actuator (operations).
package petclinic

import (
	"context"
	"errors"
	"strings"
	"time"
)

// ErrNotFound is returned by a Store when the requested entity does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned by a Store when a write would break a uniqueness or
// referential rule (for example a duplicate username, or deleting a pet type
// that pets still use).
var ErrConflict = errors.New("conflict")

// DateLayout is the wire and form format of every date in PetClinic.
const DateLayout = "2006-01-02"

// Owner is a pet owner. Pets are sorted by name, as Spring PetClinic shows them.
type Owner struct {
	ID        int
	FirstName string
	LastName  string
	Address   string
	City      string
	Telephone string
	Pets      []*Pet
}

// Pet returns the owner's pet with the given name, compared case-insensitively,
// or nil. Spring PetClinic uses it to refuse a duplicate pet name per owner.
func (o *Owner) Pet(name string) *Pet {
	for _, p := range o.Pets {
		if strings.EqualFold(p.Name, name) {
			return p
		}
	}
	return nil
}

// PetByID returns the owner's pet with the given id, or nil.
func (o *Owner) PetByID(id int) *Pet {
	for _, p := range o.Pets {
		if p.ID == id {
			return p
		}
	}
	return nil
}

// Pet is an animal owned by an Owner. BirthDate is a calendar date (UTC midnight).
// Visits are sorted by date, newest first.
type Pet struct {
	ID        int
	Name      string
	BirthDate time.Time
	Type      PetType
	OwnerID   int
	Visits    []*Visit
}

// PetType is a kind of pet (cat, dog, ...).
type PetType struct {
	ID   int
	Name string
}

// Visit is a booking of a pet with the clinic. Date is a calendar date (UTC midnight).
type Visit struct {
	ID          int
	PetID       int
	Date        time.Time
	Description string
}

// Vet is a veterinarian. Specialties are sorted by name.
type Vet struct {
	ID          int
	FirstName   string
	LastName    string
	Specialties []Specialty
}

// Specialty is a field of expertise of a vet.
type Specialty struct {
	ID   int
	Name string
}

// User is an account for the REST API's optional HTTP Basic authentication.
type User struct {
	Username string
	Password string
	Enabled  bool
	Roles    []Role
}

// Role is a role name of a User: OWNER_ADMIN, VET_ADMIN or ADMIN.
type Role struct {
	Name string
}

// Page selects a slice of a result set: Size items from Offset. A zero Size
// means no limit.
type Page struct {
	Offset int
	Size   int
}

// OwnerFilter selects owners whose last name starts with LastNamePrefix
// (case-insensitive; empty matches all), ordered by id.
type OwnerFilter struct {
	LastNamePrefix string
	Page           Page
}

// Store keeps PetClinic's data. Every method honours ctx's deadline.
// Reads of an Owner fill its Pets, each with its Type and Visits; reads of a
// Pet fill its Type and Visits. Writes that touch several rows are atomic.
// A missing entity is ErrNotFound (wrapped).
type Store interface {
	// Owners returns the owners matching f and the total number of matches.
	Owners(ctx context.Context, f OwnerFilter) (owners []*Owner, total int, err error)
	Owner(ctx context.Context, id int) (*Owner, error)
	// CreateOwner inserts o and sets o.ID.
	CreateOwner(ctx context.Context, o *Owner) error
	// UpdateOwner updates o's own fields (not its pets).
	UpdateOwner(ctx context.Context, o *Owner) error
	// DeleteOwner deletes the owner with its pets and their visits.
	DeleteOwner(ctx context.Context, id int) error

	// Pets returns pets ordered by id, and the total number of pets.
	Pets(ctx context.Context, p Page) (pets []*Pet, total int, err error)
	Pet(ctx context.Context, id int) (*Pet, error)
	// CreatePet inserts p for owner p.OwnerID and sets p.ID.
	CreatePet(ctx context.Context, p *Pet) error
	// UpdatePet updates p's name, birth date, type and owner.
	UpdatePet(ctx context.Context, p *Pet) error
	// DeletePet deletes the pet with its visits.
	DeletePet(ctx context.Context, id int) error

	PetTypes(ctx context.Context) ([]PetType, error)
	PetType(ctx context.Context, id int) (PetType, error)
	CreatePetType(ctx context.Context, t *PetType) error
	UpdatePetType(ctx context.Context, t PetType) error
	// DeletePetType deletes the type and, as the Java server does, the pets of
	// that type with their visits.
	DeletePetType(ctx context.Context, id int) error

	Specialties(ctx context.Context) ([]Specialty, error)
	Specialty(ctx context.Context, id int) (Specialty, error)
	// SpecialtiesByName returns the specialties with these names, in any order.
	SpecialtiesByName(ctx context.Context, names []string) ([]Specialty, error)
	CreateSpecialty(ctx context.Context, s *Specialty) error
	UpdateSpecialty(ctx context.Context, s Specialty) error
	// DeleteSpecialty deletes the specialty and its links to vets.
	DeleteSpecialty(ctx context.Context, id int) error

	// Vets returns every vet with its specialties, ordered by id.
	Vets(ctx context.Context) ([]*Vet, error)
	Vet(ctx context.Context, id int) (*Vet, error)
	// CreateVet inserts v and its specialty links (by specialty id) and sets v.ID.
	CreateVet(ctx context.Context, v *Vet) error
	// UpdateVet updates v's names and replaces its specialty links.
	UpdateVet(ctx context.Context, v *Vet) error
	DeleteVet(ctx context.Context, id int) error

	// Visits returns every visit ordered by id.
	Visits(ctx context.Context) ([]*Visit, error)
	Visit(ctx context.Context, id int) (*Visit, error)
	// CreateVisit inserts v for pet v.PetID and sets v.ID.
	CreateVisit(ctx context.Context, v *Visit) error
	// UpdateVisit updates v's date, description and pet.
	UpdateVisit(ctx context.Context, v *Visit) error
	DeleteVisit(ctx context.Context, id int) error

	// CreateUser inserts u with its roles. A taken username is ErrConflict.
	CreateUser(ctx context.Context, u *User) error
	// User returns the user with its roles.
	User(ctx context.Context, username string) (*User, error)

	// Ping checks that the database answers; readiness uses it.
	Ping(ctx context.Context) error
	Close() error
}
