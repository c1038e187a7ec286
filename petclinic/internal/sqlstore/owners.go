package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/gamedayhq/gameday/petclinic"
)

const ownerCols = `id, first_name, last_name, address, city, telephone`

var (
	selectOwners    = stmt{"SELECT", "owners", `SELECT ` + ownerCols + ` FROM owners WHERE last_name LIKE ? ESCAPE '!' ORDER BY id LIMIT ? OFFSET ?`}
	countOwnersLike = stmt{"SELECT", "owners", `SELECT COUNT(*) FROM owners WHERE last_name LIKE ? ESCAPE '!'`}
	// selectOwnerTree is an owner, its pets and their visits: one row per
	// visit, or per pet without visits, or one for an owner without pets;
	// pets in selectPetsByOwners's order, visits in selectVisitsByPets's.
	// Types are LEFT JOINed, and a pet without one skipped, as the inner join
	// of selectPetsByOwners would: "LEFT JOIN (pets JOIN types)" would have
	// SQLite materialise the join of every pet. Dates are read as text
	// (dateCol parses both): the SQLite driver would otherwise try seven
	// time layouts on every DATE column before "2006-01-02".
	selectOwnerTree = stmt{"SELECT", "owners", `SELECT o.id, o.first_name, o.last_name, o.address, o.city, o.telephone,` +
		` p.id, p.name, CAST(p.birth_date AS CHAR), t.id, t.name, v.id, CAST(v.visit_date AS CHAR), v.description` +
		` FROM owners o LEFT JOIN pets p ON p.owner_id = o.id LEFT JOIN types t ON t.id = p.type_id` +
		` LEFT JOIN visits v ON v.pet_id = p.id` +
		` WHERE o.id = ? ORDER BY p.name, p.id, v.visit_date DESC, v.id DESC`}
	insertOwner       = stmt{"INSERT", "owners", `INSERT INTO owners (first_name, last_name, address, city, telephone) VALUES (?, ?, ?, ?, ?)`}
	updateOwner       = stmt{"UPDATE", "owners", `UPDATE owners SET first_name = ?, last_name = ?, address = ?, city = ?, telephone = ? WHERE id = ?`}
	deleteOwner       = stmt{"DELETE", "owners", `DELETE FROM owners WHERE id = ?`}
	deleteOwnerVisits = stmt{"DELETE", "visits", `DELETE FROM visits WHERE pet_id IN (SELECT id FROM pets WHERE owner_id = ?)`}
	deleteOwnerPets   = stmt{"DELETE", "pets", `DELETE FROM pets WHERE owner_id = ?`}
)

// likePrefix turns a user's prefix into a LIKE pattern matching it
// literally: "!" escapes the wildcards, and the escape itself, because it
// means the same in both dialects (a backslash does not).
func likePrefix(prefix string) string {
	r := strings.NewReplacer("!", "!!", "%", "!%", "_", "!_")
	return r.Replace(prefix) + "%"
}

// limit is a page's LIMIT: a zero size means all rows.
func limit(p petclinic.Page) int64 {
	if p.Size <= 0 {
		return math.MaxInt64
	}
	return int64(p.Size)
}

func scanOwner(rows *sql.Rows) (*petclinic.Owner, error) {
	o := &petclinic.Owner{Pets: []*petclinic.Pet{}}
	var first, last, addr, city, tel sql.NullString
	if err := rows.Scan(&o.ID, &first, &last, &addr, &city, &tel); err != nil {
		return nil, err
	}
	o.FirstName, o.LastName, o.Address, o.City, o.Telephone = first.String, last.String, addr.String, city.String, tel.String
	return o, nil
}

// Owners returns a page of the owners whose last name starts with
// f.LastNamePrefix (ASCII case-insensitively on SQLite, by the column's
// collation on MySQL), ordered by id, with their pets and visits, and the
// number of matches.
func (db *DB) Owners(ctx context.Context, f petclinic.OwnerFilter) ([]*petclinic.Owner, int, error) {
	r := db.run()
	pattern := likePrefix(f.LastNamePrefix)
	total, err := r.count(ctx, countOwnersLike, pattern)
	if err != nil {
		return nil, 0, fmt.Errorf("count owners: %w", err)
	}
	owners := []*petclinic.Owner{}
	err = r.query(ctx, selectOwners, []any{pattern, limit(f.Page), max(f.Page.Offset, 0)}, func(rows *sql.Rows) error {
		o, err := scanOwner(rows)
		owners = append(owners, o)
		return err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("owners: %w", err)
	}
	if err := r.fillOwnersPets(ctx, owners); err != nil {
		return nil, 0, err
	}
	return owners, total, nil
}

// Owner returns the owner with its pets (by name, then id) and their visits
// (newest first), in one statement: a single read also sees one snapshot,
// where three statements could see a pet added between them.
func (db *DB) Owner(ctx context.Context, id int) (*petclinic.Owner, error) {
	var (
		o      *petclinic.Owner
		pet    *petclinic.Pet
		birth  time.Time
		visits time.Time
	)
	err := db.run().read(ctx, selectOwnerTree, []driver.NamedValue{{Ordinal: 1, Value: int64(id)}}, func(v []driver.Value) error {
		if o == nil {
			ownerID, _, err := int64Value(v[0])
			if err != nil {
				return err
			}
			o = &petclinic.Owner{ID: int(ownerID), Pets: []*petclinic.Pet{}}
			for i, f := range []*string{&o.FirstName, &o.LastName, &o.Address, &o.City, &o.Telephone} {
				if *f, err = stringValue(v[1+i]); err != nil {
					return err
				}
			}
		}
		petID, hasPet, err1 := int64Value(v[6])
		typeID, hasType, err2 := int64Value(v[9])
		visitID, hasVisit, err3 := int64Value(v[11])
		if err := errors.Join(err1, err2, err3); err != nil {
			return err
		}
		if !hasPet || !hasType {
			return nil // an owner without pets, or a pet without a type
		}
		if pet == nil || pet.ID != int(petID) {
			name, err1 := stringValue(v[7])
			typeName, err2 := stringValue(v[10])
			if err := errors.Join(err1, err2, dateCol{&birth}.Scan(v[8])); err != nil {
				return err
			}
			pet = &petclinic.Pet{ID: int(petID), Name: name, BirthDate: birth, OwnerID: o.ID,
				Type: petclinic.PetType{ID: int(typeID), Name: typeName}, Visits: []*petclinic.Visit{}}
			o.Pets = append(o.Pets, pet)
		}
		if hasVisit {
			description, err := stringValue(v[13])
			if err := errors.Join(err, dateCol{&visits}.Scan(v[12])); err != nil {
				return err
			}
			pet.Visits = append(pet.Visits, &petclinic.Visit{ID: int(visitID), PetID: pet.ID,
				Date: visits, Description: description})
		}
		return nil
	})
	if err == nil && o == nil {
		err = sql.ErrNoRows
	}
	if err != nil {
		return nil, fmt.Errorf("owner: %w", notFound(err, "owner", id))
	}
	return o, nil
}

// CreateOwner inserts o and sets o.ID.
func (db *DB) CreateOwner(ctx context.Context, o *petclinic.Owner) error {
	id, err := db.run().insert(ctx, insertOwner, o.FirstName, o.LastName, o.Address, o.City, o.Telephone)
	if err != nil {
		return fmt.Errorf("create owner: %w", err)
	}
	o.ID = id
	return nil
}

// UpdateOwner updates o's own fields.
func (db *DB) UpdateOwner(ctx context.Context, o *petclinic.Owner) error {
	err := db.run().execAffected(ctx, updateOwner, o.FirstName, o.LastName, o.Address, o.City, o.Telephone, o.ID)
	if err != nil {
		return fmt.Errorf("update owner: %w", notFound(err, "owner", o.ID))
	}
	return nil
}

// DeleteOwner deletes the owner, its pets and their visits in one
// transaction. The foreign keys cascade too; deleting children explicitly
// keeps the store correct on a database whose foreign keys are off.
func (db *DB) DeleteOwner(ctx context.Context, id int) error {
	err := db.tx(ctx, func(r runner) error {
		if _, err := r.exec(ctx, deleteOwnerVisits, id); err != nil {
			return err
		}
		if _, err := r.exec(ctx, deleteOwnerPets, id); err != nil {
			return err
		}
		return r.execAffected(ctx, deleteOwner, id)
	})
	if err != nil {
		return fmt.Errorf("delete owner: %w", notFound(err, "owner", id))
	}
	return nil
}

// fillOwnersPets loads the pets of all owners with a few IN queries rather
// than one query per owner.
func (r runner) fillOwnersPets(ctx context.Context, owners []*petclinic.Owner) error {
	if len(owners) == 0 {
		return nil
	}
	byID := make(map[int]*petclinic.Owner, len(owners))
	ids := make([]int, 0, len(owners))
	for _, o := range owners {
		byID[o.ID] = o
		ids = append(ids, o.ID)
	}
	pets, err := r.petsOf(ctx, selectPetsByOwners, ids)
	if err != nil {
		return fmt.Errorf("pets of owners: %w", err)
	}
	for _, p := range pets {
		if o := byID[p.OwnerID]; o != nil {
			o.Pets = append(o.Pets, p)
		}
	}
	return nil
}
