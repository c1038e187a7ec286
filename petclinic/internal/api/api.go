// Package api is PetClinic's REST API under /petclinic/api, a port of
// spring-petclinic-rest: the same routes, status codes, JSON shapes, error
// bodies (RFC 9457 ProblemDetail), CORS policy and optional HTTP Basic
// authentication with the OWNER_ADMIN, VET_ADMIN and ADMIN roles.
//
// Where this package deliberately differs from the Java server or from the
// OpenAPI contract, petclinic/docs/api-deviations.md says so and why.
package api

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/gamedayhq/gameday/petclinic"
)

// Prefix is where the API lives: the Java server's context path
// (/petclinic) plus its @RequestMapping("/api").
const Prefix = "/petclinic/api"

// Options configures Register.
type Options struct {
	// Store keeps the data. Required.
	Store petclinic.Store
	// Logger receives warnings about rejected requests and errors of the
	// store. It never sees passwords or Authorization headers. Defaults to
	// slog.Default().
	Logger *slog.Logger
	// Security turns on HTTP Basic authentication with role checks, like
	// petclinic.security.enable=true. Off by default, as in the Java server.
	Security bool
	// Now is the clock that birth dates are checked against. Defaults to
	// time.Now.
	Now func() time.Time
}

// Roles of the REST API, named as in the Java server's Roles bean; users carry
// them with the ROLE_ prefix.
const (
	RoleOwnerAdmin = "OWNER_ADMIN"
	RoleVetAdmin   = "VET_ADMIN"
	RoleAdmin      = "ADMIN"
)

type server struct {
	store    petclinic.Store
	log      *slog.Logger
	security bool
	now      func() time.Time
	auth     *authenticator
}

// route is one operation: a method and path template with the roles that
// may call it (any of them; none means any authenticated user).
type route struct {
	method string
	path   string
	roles  []string
	// handle serves the operation. It returns nil after writing a response,
	// or a *problem that the caller writes as a ProblemDetail.
	handle func(s *server, w http.ResponseWriter, r *http.Request) *problem
}

// routes lists every operation with the roles of its @PreAuthorize.
var routes = []route{
	{"GET", "/oops", nil, (*server).oops},

	{"GET", "/owners", owner, (*server).listOwners},
	{"POST", "/owners", owner, (*server).addOwner},
	{"GET", "/v2/owners", owner, (*server).listOwnersPage},
	{"GET", "/owners/{ownerId}", owner, (*server).getOwner},
	{"PUT", "/owners/{ownerId}", owner, (*server).updateOwner},
	{"DELETE", "/owners/{ownerId}", owner, (*server).deleteOwner},
	{"POST", "/owners/{ownerId}/pets", owner, (*server).addPetToOwner},
	{"GET", "/owners/{ownerId}/pets/{petId}", owner, (*server).getOwnersPet},
	{"PUT", "/owners/{ownerId}/pets/{petId}", owner, (*server).updateOwnersPet},
	{"POST", "/owners/{ownerId}/pets/{petId}/visits", owner, (*server).addVisitToOwner},

	{"GET", "/pets", owner, (*server).listPets},
	{"GET", "/v2/pets", owner, (*server).listPetsPage},
	{"GET", "/pets/{petId}", owner, (*server).getPet},
	{"PUT", "/pets/{petId}", owner, (*server).updatePet},
	{"DELETE", "/pets/{petId}", owner, (*server).deletePet},

	{"GET", "/pettypes", ownerOrVet, (*server).listPetTypes},
	{"POST", "/pettypes", vet, (*server).addPetType},
	{"GET", "/pettypes/{petTypeId}", ownerOrVet, (*server).getPetType},
	{"PUT", "/pettypes/{petTypeId}", vet, (*server).updatePetType},
	{"DELETE", "/pettypes/{petTypeId}", vet, (*server).deletePetType},

	{"GET", "/specialties", vet, (*server).listSpecialties},
	{"POST", "/specialties", vet, (*server).addSpecialty},
	{"GET", "/specialties/{specialtyId}", vet, (*server).getSpecialty},
	{"PUT", "/specialties/{specialtyId}", vet, (*server).updateSpecialty},
	{"DELETE", "/specialties/{specialtyId}", vet, (*server).deleteSpecialty},

	{"GET", "/vets", vet, (*server).listVets},
	{"POST", "/vets", vet, (*server).addVet},
	{"GET", "/vets/{vetId}", vet, (*server).getVet},
	{"PUT", "/vets/{vetId}", vet, (*server).updateVet},
	{"DELETE", "/vets/{vetId}", vet, (*server).deleteVet},

	{"GET", "/visits", owner, (*server).listVisits},
	{"POST", "/visits", owner, (*server).addVisit},
	{"GET", "/visits/{visitId}", owner, (*server).getVisit},
	{"PUT", "/visits/{visitId}", owner, (*server).updateVisit},
	{"DELETE", "/visits/{visitId}", owner, (*server).deleteVisit},

	{"POST", "/users", admin, (*server).addUser},
}

var (
	owner      = []string{RoleOwnerAdmin}
	vet        = []string{RoleVetAdmin}
	ownerOrVet = []string{RoleOwnerAdmin, RoleVetAdmin}
	admin      = []string{RoleAdmin}
)

// Register adds every API route to mux, one pattern per operation with its
// full path (for example "GET /petclinic/api/owners/{ownerId}"), an OPTIONS
// pattern per path for CORS preflight, and "/petclinic/api/" for unknown
// routes (404) and unsupported methods (405).
func Register(mux *http.ServeMux, opts Options) {
	s := &server{store: opts.Store, log: opts.Logger, security: opts.Security, now: opts.Now}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.security {
		s.auth = newAuthenticator(opts.Store)
	}
	methods := map[string][]string{}
	gets := map[string]*route{}
	var paths []string
	for i, rt := range routes {
		if _, ok := methods[rt.path]; !ok {
			paths = append(paths, rt.path)
		}
		methods[rt.path] = append(methods[rt.path], rt.method)
		if rt.method == http.MethodGet {
			gets[rt.path] = &routes[i]
		}
	}
	for i, rt := range routes {
		mux.Handle(rt.method+" "+Prefix+rt.path, s.wrap(&routes[i], gets[rt.path]))
	}
	for _, p := range paths {
		mux.Handle("OPTIONS "+Prefix+p, preflight(methods[p]))
	}
	mux.Handle(Prefix+"/", s.notFound(methods, paths))
}

// wrap adds CORS headers, authentication, conditional requests and the
// ProblemDetail rendering to one operation; get is the GET operation of the
// same path, if any.
func (s *server) wrap(rt, get *route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		corsHeaders(w, r)
		if s.security {
			if p := s.authorize(w, r, rt.roles); p != nil {
				s.writeProblem(w, r, p)
				return
			}
		}
		if s.preconditions(w, r, rt, get) {
			return
		}
		if p := rt.handle(s, w, r); p != nil {
			s.writeProblem(w, r, p)
		}
	})
}
