package telemetry

import (
	"net/http"
	"strings"
)

const (
	timedOwner = "petclinic_owner_seconds"
	timedPet   = "petclinic_pet_seconds"
	timedVisit = "petclinic_visit_seconds"
)

// timedCall is what Micrometer's TimedAspect would tag a call of a
// spring-petclinic-microservices resource method with.
type timedCall struct {
	metric string
	class  string
	method string
}

// entity describes one @Timed resource of spring-petclinic-microservices and
// the names of its methods. The microservices dashboard queries
// method="createOwner", "updateOwner", "processCreationForm" (pets), "create"
// and "read" (visits); the names that have no Java counterpart (deletes,
// UI forms) follow spring-petclinic's controllers or the same pattern.
type entity struct {
	metric, class                    string
	create, update, find, list, del  string
	createForm, updateForm, findForm string
}

var (
	ownerEntity = entity{
		metric: timedOwner, class: "org.springframework.samples.petclinic.customers.web.OwnerResource",
		create: "createOwner", update: "updateOwner", find: "findOwner", list: "findAll", del: "deleteOwner",
		createForm: "initCreationForm", updateForm: "initUpdateOwnerForm", findForm: "initFindForm",
	}
	petEntity = entity{
		metric: timedPet, class: "org.springframework.samples.petclinic.customers.web.PetResource",
		create: "processCreationForm", update: "processUpdateForm", find: "findPet", list: "findAll", del: "deletePet",
		createForm: "initCreationForm", updateForm: "initUpdateForm", findForm: "findPet",
	}
	petTypeEntity = entity{
		metric: timedPet, class: "org.springframework.samples.petclinic.customers.web.PetResource",
		create: "addPetType", update: "updatePetType", find: "getPetType", list: "getPetTypes", del: "deletePetType",
		createForm: "getPetTypes", updateForm: "getPetTypes", findForm: "getPetTypes",
	}
	visitEntity = entity{
		metric: timedVisit, class: "org.springframework.samples.petclinic.visits.web.VisitResource",
		create: "create", update: "update", find: "read", list: "read", del: "delete",
		createForm: "initNewVisitForm", updateForm: "initNewVisitForm", findForm: "read",
	}
)

// timedFor maps a request to the timer the microservices would have
// recorded. The entity is the last owners/pets/pettypes/visits segment of
// the route, so "/owners/{ownerId}/pets/{petId}/visits/new" is a visit and
// "/petclinic/api/owners/{ownerId}/pets" a pet; what follows that segment
// and the HTTP method pick the Java method. Routes about vets, specialties,
// users and operations are not timed.
func timedFor(method, route string) (timedCall, bool) {
	segs := strings.Split(strings.Trim(route, "/"), "/")
	var e *entity
	at := -1
	for i, s := range segs {
		switch strings.ToLower(s) {
		case "owners":
			e, at = &ownerEntity, i
		case "pets":
			e, at = &petEntity, i
		case "pettypes":
			e, at = &petTypeEntity, i
		case "visits":
			e, at = &visitEntity, i
		}
	}
	if e == nil {
		return timedCall{}, false
	}
	rest := segs[at+1:]
	last := ""
	if len(rest) > 0 {
		last = rest[len(rest)-1]
	}
	var name string
	switch method {
	case http.MethodPost:
		name = e.create
		if last == "edit" {
			name = e.update
		}
	case http.MethodPut, http.MethodPatch:
		name = e.update
	case http.MethodDelete:
		name = e.del
	case http.MethodGet, http.MethodHead:
		switch {
		case len(rest) == 0:
			name = e.list
		case len(rest) == 1 && strings.HasPrefix(last, "{"):
			name = e.find
		case last == "new":
			name = e.createForm
		case last == "edit":
			name = e.updateForm
		case last == "find":
			name = e.findForm
		default:
			name = e.find
		}
	default:
		return timedCall{}, false
	}
	return timedCall{metric: e.metric, class: e.class, method: name}, true
}
