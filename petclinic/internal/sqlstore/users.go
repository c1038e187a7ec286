package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/gamedayhq/gameday/petclinic"
)

var (
	selectUser  = stmt{"SELECT", "users", `SELECT username, password, enabled FROM users WHERE username = ?`}
	selectRoles = stmt{"SELECT", "roles", `SELECT role FROM roles WHERE username = ? ORDER BY id`}
	insertUser  = stmt{"INSERT", "users", `INSERT INTO users (username, password, enabled) VALUES (?, ?, ?)`}
	insertRole  = stmt{"INSERT", "roles", `INSERT INTO roles (username, role) VALUES (?, ?)`}
)

// CreateUser inserts u with its roles in one transaction. Role names are
// stored as given: spring-petclinic-rest's UserService adds the "ROLE_"
// prefix before it saves, and the seeded admin's roles carry it. A taken
// username, or the same role twice, is petclinic.ErrConflict.
func (db *DB) CreateUser(ctx context.Context, u *petclinic.User) error {
	err := db.tx(ctx, func(r runner) error {
		if _, err := r.exec(ctx, insertUser, u.Username, u.Password, u.Enabled); err != nil {
			return err
		}
		for _, role := range u.Roles {
			if _, err := r.exec(ctx, insertRole, u.Username, role.Name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("create user %q: %w", u.Username, err)
	}
	return nil
}

// User returns the user with its roles.
func (db *DB) User(ctx context.Context, username string) (*petclinic.User, error) {
	r := db.run()
	u := &petclinic.User{Roles: []petclinic.Role{}}
	if err := r.get(ctx, selectUser, []any{username}, &u.Username, &u.Password, &u.Enabled); err != nil {
		return nil, fmt.Errorf("user: %w", notFound(err, "user", fmt.Sprintf("%q", username)))
	}
	err := r.query(ctx, selectRoles, []any{username}, func(rows *sql.Rows) error {
		var role petclinic.Role
		err := rows.Scan(&role.Name)
		u.Roles = append(u.Roles, role)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("user roles: %w", err)
	}
	return u, nil
}
