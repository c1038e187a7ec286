package api

import (
	"errors"
	"net/http"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/gamedayhq/gameday/petclinic"
)

// bcryptCost is Spring's BCryptPasswordEncoder default strength.
const bcryptCost = 10

// addUser creates a user for HTTP Basic authentication and answers 201 with
// it (no Location: there is no GET for users). Roles get the ROLE_ prefix,
// as UserServiceImpl does. Unlike the Java server, which stores the password
// as given, the password is stored as a {bcrypt} hash, and the response
// carries that hash instead of echoing the plain text.
func (s *server) addUser(w http.ResponseWriter, r *http.Request) *problem {
	var u userDTO
	if p := s.body(r, func(o object) (err error) { u, err = bindUser(o); return err }); p != nil {
		return p
	}
	v := &validator{}
	u.validate(v)
	if p := v.problem(); p != nil {
		return p
	}
	if len(u.Roles) == 0 {
		return &problem{status: http.StatusBadRequest, title: "IllegalArgumentException", detail: "User must have at least a role set!"}
	}
	if u.Password == nil {
		// The users.password column is NOT NULL.
		return dataIntegrity()
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(*u.Password), bcryptCost)
	if errors.Is(err, bcrypt.ErrPasswordTooLong) {
		v.add("password", "must not be longer than 72 bytes for bcrypt", "[hidden]")
		return v.problem()
	}
	if err != nil {
		return s.storeFailed(r, "hash password", err)
	}
	user := &petclinic.User{Username: *u.Username, Password: "{bcrypt}" + string(hash), Enabled: true}
	if u.Enabled != nil {
		user.Enabled = *u.Enabled
	}
	for _, role := range u.Roles {
		name := *role.Name
		if !strings.HasPrefix(name, "ROLE_") {
			name = "ROLE_" + name
		}
		user.Roles = append(user.Roles, petclinic.Role{Name: name})
	}
	if err := s.store.CreateUser(r.Context(), user); err != nil {
		return s.write(r, "create user", err)
	}
	out := userJSON{Username: user.Username, Password: &user.Password, Enabled: user.Enabled, Roles: []roleJSON{}}
	for _, role := range user.Roles {
		out.Roles = append(out.Roles, roleJSON(role))
	}
	writeJSON(w, "application/json", http.StatusCreated, out)
	return nil
}
