package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/gamedayhq/gameday/petclinic"
)

const visitCols = `id, pet_id, visit_date, description`

var (
	selectVisits = stmt{"SELECT", "visits", `SELECT ` + visitCols + ` FROM visits ORDER BY id`}
	selectVisit  = stmt{"SELECT", "visits", `SELECT ` + visitCols + ` FROM visits WHERE id = ?`}
	insertVisit  = stmt{"INSERT", "visits", `INSERT INTO visits (pet_id, visit_date, description) VALUES (?, ?, ?)`}
	updateVisit  = stmt{"UPDATE", "visits", `UPDATE visits SET pet_id = ?, visit_date = ?, description = ? WHERE id = ?`}
	deleteVisit  = stmt{"DELETE", "visits", `DELETE FROM visits WHERE id = ?`}
)

func scanVisit(rows *sql.Rows) (*petclinic.Visit, error) {
	v := &petclinic.Visit{}
	var desc sql.NullString
	if err := rows.Scan(&v.ID, &v.PetID, dateCol{&v.Date}, &desc); err != nil {
		return nil, err
	}
	v.Description = desc.String
	return v, nil
}

// Visits returns every visit ordered by id.
func (db *DB) Visits(ctx context.Context) ([]*petclinic.Visit, error) {
	visits := []*petclinic.Visit{}
	err := db.run().query(ctx, selectVisits, nil, func(rows *sql.Rows) error {
		v, err := scanVisit(rows)
		visits = append(visits, v)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("visits: %w", err)
	}
	return visits, nil
}

// Visit returns the visit with the given id.
func (db *DB) Visit(ctx context.Context, id int) (*petclinic.Visit, error) {
	var v *petclinic.Visit
	err := db.run().query(ctx, selectVisit, []any{id}, func(rows *sql.Rows) (err error) {
		v, err = scanVisit(rows)
		return err
	})
	if err == nil && v == nil {
		err = sql.ErrNoRows
	}
	if err != nil {
		return nil, fmt.Errorf("visit: %w", notFound(err, "visit", id))
	}
	return v, nil
}

// CreateVisit inserts v for pet v.PetID and sets v.ID. An unknown pet is
// petclinic.ErrConflict.
func (db *DB) CreateVisit(ctx context.Context, v *petclinic.Visit) error {
	id, err := db.run().insert(ctx, insertVisit, v.PetID, dateArg(v.Date), v.Description)
	if err != nil {
		return fmt.Errorf("create visit: %w", err)
	}
	v.ID = id
	return nil
}

// UpdateVisit updates v's date, description and pet.
func (db *DB) UpdateVisit(ctx context.Context, v *petclinic.Visit) error {
	err := db.run().execAffected(ctx, updateVisit, v.PetID, dateArg(v.Date), v.Description, v.ID)
	if err != nil {
		return fmt.Errorf("update visit: %w", notFound(err, "visit", v.ID))
	}
	return nil
}

// DeleteVisit deletes the visit with the given id.
func (db *DB) DeleteVisit(ctx context.Context, id int) error {
	if err := db.run().execAffected(ctx, deleteVisit, id); err != nil {
		return fmt.Errorf("delete visit: %w", notFound(err, "visit", id))
	}
	return nil
}
