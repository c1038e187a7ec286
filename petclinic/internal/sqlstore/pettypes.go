package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/gamedayhq/gameday/petclinic"
)

var (
	selectPetTypes      = stmt{"SELECT", "types", `SELECT id, name FROM types ORDER BY name, id`}
	selectPetType       = stmt{"SELECT", "types", `SELECT id, name FROM types WHERE id = ?`}
	insertPetType       = stmt{"INSERT", "types", `INSERT INTO types (name) VALUES (?)`}
	updatePetType       = stmt{"UPDATE", "types", `UPDATE types SET name = ? WHERE id = ?`}
	deletePetType       = stmt{"DELETE", "types", `DELETE FROM types WHERE id = ?`}
	deletePetTypeVisits = stmt{"DELETE", "visits", `DELETE FROM visits WHERE pet_id IN (SELECT id FROM pets WHERE type_id = ?)`}
	deletePetTypePets   = stmt{"DELETE", "pets", `DELETE FROM pets WHERE type_id = ?`}
)

// PetTypes returns every pet type ordered by name, as Spring PetClinic's
// findPetTypes does.
func (db *DB) PetTypes(ctx context.Context) ([]petclinic.PetType, error) {
	types := []petclinic.PetType{}
	err := db.run().query(ctx, selectPetTypes, nil, func(rows *sql.Rows) error {
		var t petclinic.PetType
		var name sql.NullString
		err := rows.Scan(&t.ID, &name)
		t.Name = name.String
		types = append(types, t)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("pet types: %w", err)
	}
	return types, nil
}

// PetType returns the pet type with the given id.
func (db *DB) PetType(ctx context.Context, id int) (petclinic.PetType, error) {
	var t petclinic.PetType
	var name sql.NullString
	if err := db.run().get(ctx, selectPetType, []any{id}, &t.ID, &name); err != nil {
		return petclinic.PetType{}, fmt.Errorf("pet type: %w", notFound(err, "pet type", id))
	}
	t.Name = name.String
	return t, nil
}

// CreatePetType inserts t and sets t.ID.
func (db *DB) CreatePetType(ctx context.Context, t *petclinic.PetType) error {
	id, err := db.run().insert(ctx, insertPetType, t.Name)
	if err != nil {
		return fmt.Errorf("create pet type: %w", err)
	}
	t.ID = id
	return nil
}

// UpdatePetType renames the pet type t.ID.
func (db *DB) UpdatePetType(ctx context.Context, t petclinic.PetType) error {
	if err := db.run().execAffected(ctx, updatePetType, t.Name, t.ID); err != nil {
		return fmt.Errorf("update pet type: %w", notFound(err, "pet type", t.ID))
	}
	return nil
}

// DeletePetType deletes the type with its pets and their visits in one
// transaction, as the Java REST server does.
func (db *DB) DeletePetType(ctx context.Context, id int) error {
	err := db.tx(ctx, func(r runner) error {
		if _, err := r.exec(ctx, deletePetTypeVisits, id); err != nil {
			return err
		}
		if _, err := r.exec(ctx, deletePetTypePets, id); err != nil {
			return err
		}
		return r.execAffected(ctx, deletePetType, id)
	})
	if err != nil {
		return fmt.Errorf("delete pet type: %w", notFound(err, "pet type", id))
	}
	return nil
}
