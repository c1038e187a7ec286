package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/gamedayhq/gameday/petclinic"
)

const petCols = `p.id, p.name, p.birth_date, p.owner_id, t.id, t.name FROM pets p JOIN types t ON t.id = p.type_id`

var (
	selectPetsByOwners = stmt{"SELECT", "pets", `SELECT ` + petCols + ` WHERE p.owner_id IN (?*) ORDER BY p.name, p.id`}
	selectPetsPage     = stmt{"SELECT", "pets", `SELECT ` + petCols + ` ORDER BY p.id LIMIT ? OFFSET ?`}
	selectPet          = stmt{"SELECT", "pets", `SELECT ` + petCols + ` WHERE p.id = ?`}
	countPets          = stmt{"SELECT", "pets", `SELECT COUNT(*) FROM pets`}
	insertPet          = stmt{"INSERT", "pets", `INSERT INTO pets (name, birth_date, type_id, owner_id) VALUES (?, ?, ?, ?)`}
	updatePet          = stmt{"UPDATE", "pets", `UPDATE pets SET name = ?, birth_date = ?, type_id = ?, owner_id = ? WHERE id = ?`}
	deletePet          = stmt{"DELETE", "pets", `DELETE FROM pets WHERE id = ?`}
	deletePetVisits    = stmt{"DELETE", "visits", `DELETE FROM visits WHERE pet_id = ?`}
	selectVisitsByPets = stmt{"SELECT", "visits", `SELECT ` + visitCols + ` FROM visits WHERE pet_id IN (?*) ORDER BY visit_date DESC, id DESC`}
)

// inChunk bounds IN lists well under both databases' placeholder limits.
const inChunk = 500

func scanPet(rows *sql.Rows) (*petclinic.Pet, error) {
	p := &petclinic.Pet{Visits: []*petclinic.Visit{}}
	var name, typeName sql.NullString
	if err := rows.Scan(&p.ID, &name, dateCol{&p.BirthDate}, &p.OwnerID, &p.Type.ID, &typeName); err != nil {
		return nil, err
	}
	p.Name, p.Type.Name = name.String, typeName.String
	return p, nil
}

// petsOf runs s, a pet query with an IN list, over ids in chunks, and fills
// the visits of the pets it finds.
func (r runner) petsOf(ctx context.Context, s stmt, ids []int) ([]*petclinic.Pet, error) {
	var pets []*petclinic.Pet
	for chunk := range chunks(ids) {
		err := r.query(ctx, s.in(len(chunk)), chunk, func(rows *sql.Rows) error {
			p, err := scanPet(rows)
			pets = append(pets, p)
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return pets, r.fillVisits(ctx, pets)
}

// fillVisits loads the visits of pets, newest first.
func (r runner) fillVisits(ctx context.Context, pets []*petclinic.Pet) error {
	if len(pets) == 0 {
		return nil
	}
	byID := make(map[int]*petclinic.Pet, len(pets))
	ids := make([]int, 0, len(pets))
	for _, p := range pets {
		byID[p.ID] = p
		ids = append(ids, p.ID)
	}
	for chunk := range chunks(ids) {
		err := r.query(ctx, selectVisitsByPets.in(len(chunk)), chunk, func(rows *sql.Rows) error {
			v, err := scanVisit(rows)
			if p := byID[v.PetID]; err == nil && p != nil {
				p.Visits = append(p.Visits, v)
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("visits of pets: %w", err)
		}
	}
	return nil
}

// chunks yields ids as []any slices of at most inChunk.
func chunks(ids []int) func(yield func([]any) bool) {
	return func(yield func([]any) bool) {
		for len(ids) > 0 {
			n := min(len(ids), inChunk)
			args := make([]any, n)
			for i, id := range ids[:n] {
				args[i] = id
			}
			if !yield(args) {
				return
			}
			ids = ids[n:]
		}
	}
}

// Pets returns a page of pets ordered by id, with types and visits, and the
// number of pets.
func (db *DB) Pets(ctx context.Context, pg petclinic.Page) ([]*petclinic.Pet, int, error) {
	r := db.run()
	total, err := r.count(ctx, countPets)
	if err != nil {
		return nil, 0, fmt.Errorf("count pets: %w", err)
	}
	pets := []*petclinic.Pet{}
	err = r.query(ctx, selectPetsPage, []any{limit(pg), max(pg.Offset, 0)}, func(rows *sql.Rows) error {
		p, err := scanPet(rows)
		pets = append(pets, p)
		return err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("pets: %w", err)
	}
	if err := r.fillVisits(ctx, pets); err != nil {
		return nil, 0, err
	}
	return pets, total, nil
}

// Pet returns the pet with its type and visits.
func (db *DB) Pet(ctx context.Context, id int) (*petclinic.Pet, error) {
	r := db.run()
	var p *petclinic.Pet
	err := r.query(ctx, selectPet, []any{id}, func(rows *sql.Rows) (err error) {
		p, err = scanPet(rows)
		return err
	})
	if err == nil && p == nil {
		err = sql.ErrNoRows
	}
	if err != nil {
		return nil, fmt.Errorf("pet: %w", notFound(err, "pet", id))
	}
	if err := r.fillVisits(ctx, []*petclinic.Pet{p}); err != nil {
		return nil, err
	}
	return p, nil
}

// CreatePet inserts p for owner p.OwnerID and sets p.ID. An unknown owner or
// type is petclinic.ErrConflict.
func (db *DB) CreatePet(ctx context.Context, p *petclinic.Pet) error {
	id, err := db.run().insert(ctx, insertPet, p.Name, dateArg(p.BirthDate), p.Type.ID, p.OwnerID)
	if err != nil {
		return fmt.Errorf("create pet: %w", err)
	}
	p.ID = id
	return nil
}

// UpdatePet updates p's name, birth date, type and owner.
func (db *DB) UpdatePet(ctx context.Context, p *petclinic.Pet) error {
	err := db.run().execAffected(ctx, updatePet, p.Name, dateArg(p.BirthDate), p.Type.ID, p.OwnerID, p.ID)
	if err != nil {
		return fmt.Errorf("update pet: %w", notFound(err, "pet", p.ID))
	}
	return nil
}

// DeletePet deletes the pet and its visits in one transaction.
func (db *DB) DeletePet(ctx context.Context, id int) error {
	err := db.tx(ctx, func(r runner) error {
		if _, err := r.exec(ctx, deletePetVisits, id); err != nil {
			return err
		}
		return r.execAffected(ctx, deletePet, id)
	})
	if err != nil {
		return fmt.Errorf("delete pet: %w", notFound(err, "pet", id))
	}
	return nil
}
