package api

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"sync"

	"golang.org/x/crypto/bcrypt"

	"github.com/gamedayhq/gameday/petclinic"
)

// realm is Spring Security's default HTTP Basic realm.
const realm = `Basic realm="Realm"`

// authenticator checks HTTP Basic credentials against Store.User, like the
// Java server's JDBC authentication with a DelegatingPasswordEncoder that
// knows {noop} and {bcrypt}.
type authenticator struct {
	store petclinic.Store
	// dummy is a bcrypt hash compared against when the user does not exist,
	// so that unknown and known users take the same time.
	dummy []byte

	// verified remembers credentials that matched a stored password, keyed
	// by an HMAC of username and password under a per-process key, so that a
	// client sending the same credentials does not pay bcrypt on every
	// request (Spring keeps a session for the same purpose). The user is
	// still read on every request, so disabling it or changing its password
	// or roles takes effect at once.
	mu       sync.Mutex
	key      []byte
	verified map[[sha256.Size]byte]string
}

const maxVerified = 1024

func newAuthenticator(store petclinic.Store) *authenticator {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	dummy, _ := bcrypt.GenerateFromPassword(key[:16], bcryptCost)
	return &authenticator{store: store, dummy: dummy, key: key, verified: map[[sha256.Size]byte]string{}}
}

func (a *authenticator) mac(username, password string) [sha256.Size]byte {
	m := hmac.New(sha256.New, a.key)
	m.Write([]byte(username))
	m.Write([]byte{0})
	m.Write([]byte(password))
	var k [sha256.Size]byte
	copy(k[:], m.Sum(nil))
	return k
}

// matches reports whether password is the one encoded, in constant time.
func (a *authenticator) matches(username, password, encoded string) bool {
	k := a.mac(username, password)
	a.mu.Lock()
	cached, hit := a.verified[k]
	a.mu.Unlock()
	if hit && subtle.ConstantTimeCompare([]byte(cached), []byte(encoded)) == 1 {
		return true
	}
	if !verifyPassword(encoded, password) {
		return false
	}
	a.mu.Lock()
	if len(a.verified) >= maxVerified {
		clear(a.verified)
	}
	a.verified[k] = encoded
	a.mu.Unlock()
	return true
}

// verifyPassword checks raw against a DelegatingPasswordEncoder string.
// Other encoders, and passwords without an {id}, never match, as in Spring
// ("There is no PasswordEncoder mapped for the id").
func verifyPassword(encoded, raw string) bool {
	switch {
	case strings.HasPrefix(encoded, "{noop}"):
		return subtle.ConstantTimeCompare([]byte(encoded[len("{noop}"):]), []byte(raw)) == 1
	case strings.HasPrefix(encoded, "{bcrypt}"):
		return bcrypt.CompareHashAndPassword([]byte(encoded[len("{bcrypt}"):]), []byte(raw)) == nil
	default:
		return false
	}
}

// authorize authenticates the request and checks that the user holds one of
// roles (any authenticated user when roles is empty). It never logs the
// Authorization header or the password.
func (s *server) authorize(w http.ResponseWriter, r *http.Request, roles []string) *problem {
	username, password, ok := r.BasicAuth()
	if !ok {
		return unauthorized("InsufficientAuthenticationException", "Full authentication is required to access this resource")
	}
	a := s.auth
	u, err := a.store.User(r.Context(), username)
	if err != nil {
		_ = bcrypt.CompareHashAndPassword(a.dummy, []byte(password))
		if !errors.Is(err, petclinic.ErrNotFound) {
			// Spring answers an authentication service failure with 401 too.
			s.log.ErrorContext(r.Context(), "authentication store error", "method", r.Method, "path", r.URL.Path, "err", err.Error())
		}
		return unauthorized("BadCredentialsException", "Bad credentials")
	}
	if !a.matches(username, password, u.Password) {
		return unauthorized("BadCredentialsException", "Bad credentials")
	}
	if !u.Enabled {
		return unauthorized("DisabledException", "User is disabled")
	}
	if len(roles) == 0 {
		return nil
	}
	for _, have := range u.Roles {
		for _, want := range roles {
			if trimRole(have.Name) == want {
				return nil
			}
		}
	}
	return &problem{status: http.StatusForbidden, title: "AuthorizationDeniedException", detail: "Access Denied"}
}

func unauthorized(title, detail string) *problem {
	return &problem{status: http.StatusUnauthorized, title: title, detail: detail,
		header: http.Header{"Www-Authenticate": {realm}}}
}
