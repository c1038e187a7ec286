package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/gamedayhq/gameday/petclinic"
)

var (
	selectSpecialties       = stmt{"SELECT", "specialties", `SELECT id, name FROM specialties ORDER BY id`}
	selectSpecialty         = stmt{"SELECT", "specialties", `SELECT id, name FROM specialties WHERE id = ?`}
	selectSpecialtiesByName = stmt{"SELECT", "specialties", `SELECT id, name FROM specialties WHERE name IN (?*) ORDER BY name, id`}
	insertSpecialty         = stmt{"INSERT", "specialties", `INSERT INTO specialties (name) VALUES (?)`}
	updateSpecialty         = stmt{"UPDATE", "specialties", `UPDATE specialties SET name = ? WHERE id = ?`}
	deleteSpecialty         = stmt{"DELETE", "specialties", `DELETE FROM specialties WHERE id = ?`}
	deleteSpecialtyLinks    = stmt{"DELETE", "vet_specialties", `DELETE FROM vet_specialties WHERE specialty_id = ?`}

	selectVets        = stmt{"SELECT", "vets", `SELECT id, first_name, last_name FROM vets ORDER BY id`}
	selectVet         = stmt{"SELECT", "vets", `SELECT id, first_name, last_name FROM vets WHERE id = ?`}
	selectAllVetLinks = stmt{"SELECT", "vet_specialties", `SELECT vs.vet_id, s.id, s.name FROM vet_specialties vs JOIN specialties s ON s.id = vs.specialty_id ORDER BY s.name, s.id`}
	selectVetLinks    = stmt{"SELECT", "vet_specialties", `SELECT vs.vet_id, s.id, s.name FROM vet_specialties vs JOIN specialties s ON s.id = vs.specialty_id WHERE vs.vet_id = ? ORDER BY s.name, s.id`}
	insertVet         = stmt{"INSERT", "vets", `INSERT INTO vets (first_name, last_name) VALUES (?, ?)`}
	updateVet         = stmt{"UPDATE", "vets", `UPDATE vets SET first_name = ?, last_name = ? WHERE id = ?`}
	deleteVet         = stmt{"DELETE", "vets", `DELETE FROM vets WHERE id = ?`}
	insertVetLink     = stmt{"INSERT", "vet_specialties", `INSERT INTO vet_specialties (vet_id, specialty_id) VALUES (?, ?)`}
	deleteVetLinks    = stmt{"DELETE", "vet_specialties", `DELETE FROM vet_specialties WHERE vet_id = ?`}
)

func scanSpecialty(rows *sql.Rows) (petclinic.Specialty, error) {
	var s petclinic.Specialty
	var name sql.NullString
	err := rows.Scan(&s.ID, &name)
	s.Name = name.String
	return s, err
}

// Specialties returns every specialty ordered by id, as the REST API lists them.
func (db *DB) Specialties(ctx context.Context) ([]petclinic.Specialty, error) {
	return db.specialties(ctx, selectSpecialties, nil)
}

func (db *DB) specialties(ctx context.Context, s stmt, args []any) ([]petclinic.Specialty, error) {
	out := []petclinic.Specialty{}
	err := db.run().query(ctx, s, args, func(rows *sql.Rows) error {
		sp, err := scanSpecialty(rows)
		out = append(out, sp)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("specialties: %w", err)
	}
	return out, nil
}

// Specialty returns the specialty with the given id.
func (db *DB) Specialty(ctx context.Context, id int) (petclinic.Specialty, error) {
	var s petclinic.Specialty
	var name sql.NullString
	if err := db.run().get(ctx, selectSpecialty, []any{id}, &s.ID, &name); err != nil {
		return petclinic.Specialty{}, fmt.Errorf("specialty: %w", notFound(err, "specialty", id))
	}
	s.Name = name.String
	return s, nil
}

// SpecialtiesByName returns the specialties with these names; unknown names
// are left out.
func (db *DB) SpecialtiesByName(ctx context.Context, names []string) ([]petclinic.Specialty, error) {
	out := []petclinic.Specialty{}
	for i := 0; i < len(names); i += inChunk {
		chunk := names[i:min(i+inChunk, len(names))]
		args := make([]any, len(chunk))
		for j, n := range chunk {
			args[j] = n
		}
		got, err := db.specialties(ctx, selectSpecialtiesByName.in(len(args)), args)
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
	}
	return out, nil
}

// CreateSpecialty inserts s and sets s.ID.
func (db *DB) CreateSpecialty(ctx context.Context, s *petclinic.Specialty) error {
	id, err := db.run().insert(ctx, insertSpecialty, s.Name)
	if err != nil {
		return fmt.Errorf("create specialty: %w", err)
	}
	s.ID = id
	return nil
}

// UpdateSpecialty renames the specialty s.ID.
func (db *DB) UpdateSpecialty(ctx context.Context, s petclinic.Specialty) error {
	if err := db.run().execAffected(ctx, updateSpecialty, s.Name, s.ID); err != nil {
		return fmt.Errorf("update specialty: %w", notFound(err, "specialty", s.ID))
	}
	return nil
}

// DeleteSpecialty deletes the specialty and its links to vets in one
// transaction.
func (db *DB) DeleteSpecialty(ctx context.Context, id int) error {
	err := db.tx(ctx, func(r runner) error {
		if _, err := r.exec(ctx, deleteSpecialtyLinks, id); err != nil {
			return err
		}
		return r.execAffected(ctx, deleteSpecialty, id)
	})
	if err != nil {
		return fmt.Errorf("delete specialty: %w", notFound(err, "specialty", id))
	}
	return nil
}

func scanVet(rows *sql.Rows) (*petclinic.Vet, error) {
	v := &petclinic.Vet{Specialties: []petclinic.Specialty{}}
	var first, last sql.NullString
	err := rows.Scan(&v.ID, &first, &last)
	v.FirstName, v.LastName = first.String, last.String
	return v, err
}

// Vets returns every vet with its specialties, ordered by id, in two queries.
func (db *DB) Vets(ctx context.Context) ([]*petclinic.Vet, error) {
	r := db.run()
	vets := []*petclinic.Vet{}
	byID := map[int]*petclinic.Vet{}
	err := r.query(ctx, selectVets, nil, func(rows *sql.Rows) error {
		v, err := scanVet(rows)
		vets = append(vets, v)
		byID[v.ID] = v
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("vets: %w", err)
	}
	if err := r.links(ctx, selectAllVetLinks, nil, byID); err != nil {
		return nil, err
	}
	return vets, nil
}

// links appends the specialties s selects to the vets in byID.
func (r runner) links(ctx context.Context, s stmt, args []any, byID map[int]*petclinic.Vet) error {
	err := r.query(ctx, s, args, func(rows *sql.Rows) error {
		var vetID int
		var sp petclinic.Specialty
		var name sql.NullString
		if err := rows.Scan(&vetID, &sp.ID, &name); err != nil {
			return err
		}
		sp.Name = name.String
		if v := byID[vetID]; v != nil {
			v.Specialties = append(v.Specialties, sp)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("vet specialties: %w", err)
	}
	return nil
}

// Vet returns the vet with its specialties.
func (db *DB) Vet(ctx context.Context, id int) (*petclinic.Vet, error) {
	r := db.run()
	var v *petclinic.Vet
	err := r.query(ctx, selectVet, []any{id}, func(rows *sql.Rows) (err error) {
		v, err = scanVet(rows)
		return err
	})
	if err == nil && v == nil {
		err = sql.ErrNoRows
	}
	if err != nil {
		return nil, fmt.Errorf("vet: %w", notFound(err, "vet", id))
	}
	if err := r.links(ctx, selectVetLinks, []any{id}, map[int]*petclinic.Vet{id: v}); err != nil {
		return nil, err
	}
	return v, nil
}

// CreateVet inserts v and its specialty links (by specialty id) in one
// transaction and sets v.ID. An unknown specialty is petclinic.ErrConflict.
func (db *DB) CreateVet(ctx context.Context, v *petclinic.Vet) error {
	var id int
	err := db.tx(ctx, func(r runner) (err error) {
		if id, err = r.insert(ctx, insertVet, v.FirstName, v.LastName); err != nil {
			return err
		}
		return r.linkVet(ctx, id, v.Specialties)
	})
	if err != nil {
		return fmt.Errorf("create vet: %w", err)
	}
	v.ID = id
	return nil
}

// UpdateVet updates v's names and replaces its specialty links in one
// transaction.
func (db *DB) UpdateVet(ctx context.Context, v *petclinic.Vet) error {
	err := db.tx(ctx, func(r runner) error {
		if err := r.execAffected(ctx, updateVet, v.FirstName, v.LastName, v.ID); err != nil {
			return err
		}
		if _, err := r.exec(ctx, deleteVetLinks, v.ID); err != nil {
			return err
		}
		return r.linkVet(ctx, v.ID, v.Specialties)
	})
	if err != nil {
		return fmt.Errorf("update vet: %w", notFound(err, "vet", v.ID))
	}
	return nil
}

func (r runner) linkVet(ctx context.Context, vetID int, specialties []petclinic.Specialty) error {
	seen := map[int]bool{}
	for _, s := range specialties {
		if seen[s.ID] {
			continue
		}
		seen[s.ID] = true
		if _, err := r.exec(ctx, insertVetLink, vetID, s.ID); err != nil {
			return err
		}
	}
	return nil
}

// DeleteVet deletes the vet and its specialty links in one transaction.
func (db *DB) DeleteVet(ctx context.Context, id int) error {
	err := db.tx(ctx, func(r runner) error {
		if _, err := r.exec(ctx, deleteVetLinks, id); err != nil {
			return err
		}
		return r.execAffected(ctx, deleteVet, id)
	})
	if err != nil {
		return fmt.Errorf("delete vet: %w", notFound(err, "vet", id))
	}
	return nil
}
