package api

import (
	"net/http"
	"strings"
	"testing"
)

// responseDeviations lists, in one place, every response of the contract
// test that the OpenAPI validator flags, keyed "operationId status", with
// the reason. The contract is the OpenAPI file of spring-petclinic-rest's
// main branch; where its controllers answer otherwise, the API answers as
// the controllers do (see petclinic/docs/api-deviations.md, which names the
// source of each entry). Entries never seen fail the test, so the list
// cannot go stale.
var responseDeviations = map[string]string{
	// Status codes of main's controllers that main's OpenAPI file does not list.
	"updateOwner 204":     "main's OwnerRestControllerV1.updateOwner answers NO_CONTENT; the OpenAPI file says 200",
	"updatePet 204":       "main's PetRestControllerV1.updatePet answers NO_CONTENT; the OpenAPI file says 200",
	"updatePetType 204":   "main's PetTypeRestControllerV1.updatePetType answers NO_CONTENT; the OpenAPI file says 200",
	"updateSpecialty 204": "main's SpecialtyRestControllerV1.updateSpecialty answers NO_CONTENT; the OpenAPI file says 200",
	"updateVet 204":       "main's VetRestControllerV1.updateVet answers NO_CONTENT; the OpenAPI file says 200",
	"updateVisit 204":     "main's VisitRestControllerV1.updateVisit answers NO_CONTENT; the OpenAPI file says 200",
	"deleteOwner 204":     "main's delete handlers answer NO_CONTENT; the OpenAPI file says 200",
	"deletePet 204":       "main's delete handlers answer NO_CONTENT; the OpenAPI file says 200",
	"deletePetType 204":   "main's delete handlers answer NO_CONTENT; the OpenAPI file says 200",
	"deleteSpecialty 204": "main's delete handlers answer NO_CONTENT; the OpenAPI file says 200",
	"deleteVet 204":       "main's delete handlers answer NO_CONTENT; the OpenAPI file says 200",
	"deleteVisit 204":     "main's delete handlers answer NO_CONTENT; the OpenAPI file says 200",
	"addPetType 201":      "main's controller answers CREATED with Location; the OpenAPI file says 200",
	"addSpecialty 201":    "main's controller answers CREATED with Location; the OpenAPI file says 200",
	"addVet 201":          "main's controller answers CREATED with Location; the OpenAPI file says 200",
	"addVisit 201":        "main's controller answers CREATED with Location; the OpenAPI file says 200",
	"addUser 201":         "main's controller answers CREATED (no Location); the OpenAPI file says 200",
	"listOwners 404":      "main's listOwners answers NOT_FOUND when no owner matches; the OpenAPI file lists no 404",

	// 404 without a body: main's controllers return new ResponseEntity<>(HttpStatus.NOT_FOUND);
	// the OpenAPI file declares a ProblemDetail.
	"getOwner 404":        "empty 404 of main's controller",
	"updateOwner 404":     "empty 404 of main's controller",
	"deleteOwner 404":     "empty 404 of main's controller",
	"getOwnersPet 404":    "empty 404 of main's controller",
	"updateOwnersPet 404": "empty 404 of main's controller",
	"getPet 404":          "empty 404 of main's controller",
	"updatePet 404":       "empty 404 of main's controller",
	"deletePet 404":       "empty 404 of main's controller",
	"getPetType 404":      "empty 404 of main's controller",
	"updatePetType 404":   "empty 404 of main's controller",
	"getSpecialty 404":    "empty 404 of main's controller",
	"getVet 404":          "empty 404 of main's controller",
	"updateVet 404":       "empty 404 of main's controller",
	"getVisit 404":        "empty 404 of main's controller",
	"updateVisit 404":     "empty 404 of main's controller",
	"addPetToOwner 404":   "empty 404 of main's controller for a missing owner; problem+json for an unknown pet type (DataIntegrityViolationException)",

	// Error bodies: Spring Framework renders a ProblemDetail as
	// application/problem+json; the OpenAPI file says application/json.
	"failingRequest 400":  "problem+json",
	"listOwnersPage 400":  "problem+json",
	"getOwner 400":        "problem+json",
	"addOwner 400":        "problem+json",
	"updateOwner 400":     "problem+json",
	"addPetToOwner 400":   "problem+json",
	"addVisitToOwner 400": "problem+json",
	"addVisitToOwner 404": "problem+json (DataIntegrityViolationException)",
	"listPetsPage 400":    "problem+json",
	"addPetType 400":      "problem+json",
	"addSpecialty 400":    "problem+json",
	"updatePetType 400":   "problem+json",
	"updateSpecialty 400": "problem+json",
	"addVet 400":          "problem+json",
	"addVisit 400":        "problem+json",
	"addVisit 404":        "problem+json (DataIntegrityViolationException)",
	"addUser 400":         "problem+json",
	"addUser 404":         "problem+json; a taken username is a DataIntegrityViolationException, which main's advice answers with 404",

	// RFC 9110 preconditions, which main ignores and its OpenAPI file does not list.
	"updateOwner 412": "If-Match with an entity tag (none of ours can match) or If-None-Match * of an existing owner: 412 Precondition Failed",
}

// requestDeviations lists operations whose valid requests (for the Java
// server) the contract rejects.
var requestDeviations = map[string]string{
	"addSpecialty":    "main's SpecialtyDto requires the body's id (required in the OpenAPI file), which the file also marks readOnly",
	"updateSpecialty": "main's SpecialtyDto requires the body's id (required in the OpenAPI file), which the file also marks readOnly",
	"updateVet":       "main's VetDto requires the body's id (required in the OpenAPI file), which the file also marks readOnly",
	"addVet":          "main's VetDto requires the id of the vet and of each specialty, which the OpenAPI file also marks readOnly",
}

func ownerBody(first, last, tel string) string {
	return `{"firstName":"` + first + `","lastName":"` + last + `","address":"1 Main St.","city":"Madison","telephone":"` + tel + `"}`
}

func problemOf(status int, title string) func(t *testing.T, body any, h http.Header) {
	return func(t *testing.T, body any, h http.Header) {
		t.Helper()
		if ct := h.Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("Content-Type: got %q, want application/problem+json", ct)
		}
		expect("status", status, "title", title)(t, body, h)
		for _, k := range []string{"type", "detail", "timestamp", "schemaValidationErrors"} {
			at(t, body, k)
		}
		if typ := at(t, body, "type").(string); !strings.HasPrefix(typ, "http://127.0.0.1:") {
			t.Errorf("type: got %q, want the request URL", typ)
		}
	}
}

// fieldErrors asserts a 400 MethodArgumentNotValidException with exactly
// these fields in error (sorted), each with Java's message shape.
func fieldErrors(fields ...string) func(t *testing.T, body any, h http.Header) {
	return func(t *testing.T, body any, h http.Header) {
		t.Helper()
		problemOf(400, "MethodArgumentNotValidException")(t, body, h)
		errs := at(t, body, "schemaValidationErrors").([]any)
		var got []string
		for _, e := range errs {
			m := e.(map[string]any)
			got = append(got, m["field"].(string))
			msg := m["message"].(string)
			if !strings.HasPrefix(msg, "Field '"+m["field"].(string)+"' ") || !strings.Contains(msg, "(rejected value: ") {
				t.Errorf("message %q is not in the Java server's shape", msg)
			}
		}
		if strings.Join(got, ",") != strings.Join(fields, ",") {
			t.Errorf("fields in error: got %v, want %v", got, fields)
		}
	}
}

// noBody asserts an empty response body: the Java controllers' empty 404.
func noBody(t *testing.T, body any, h http.Header) {
	t.Helper()
	if body != nil || h.Get("Content-Type") != "" {
		t.Errorf("got a body %v (Content-Type %q), want none", body, h.Get("Content-Type"))
	}
}

func both(checks ...func(t *testing.T, body any, h http.Header)) func(t *testing.T, body any, h http.Header) {
	return func(t *testing.T, body any, h http.Header) {
		t.Helper()
		for _, c := range checks {
			c(t, body, h)
		}
	}
}

// TestContract runs every operation of the contract, happy and error paths,
// in one story on the seeded SQLite store, and validates every request and
// response against the contract.
func TestContract(t *testing.T) {
	srv := newServer(t, openStore(t, true), false)
	c := newContract(t, srv)
	p := Prefix

	steps := []struct {
		name string
		ex   exchange
	}{
		{"oops always fails with a 400 problem", exchange{method: "GET", path: p + "/oops", wantStatus: 400,
			check: problemOf(400, "Bad Request")}},

		{"all owners are listed with their pets", exchange{method: "GET", path: p + "/owners", wantStatus: 200,
			check: expect("len", 10, "0.firstName", "George", "0.pets.0.name", "Leo", "0.pets.0.type.name", "cat",
				"0.pets.0.ownerId", 1, "0.pets.0.birthDate", "2000-09-07", "5.pets.len", 2, "5.pets.0.visits.len", 2)}},
		{"owners are found by last name prefix", exchange{method: "GET", path: p + "/owners?lastName=Dav", wantStatus: 200,
			check: expect("len", 2, "0.lastName", "Davis", "1.firstName", "Harold")}},
		{"an unknown last name is a 404 without a body", exchange{method: "GET", path: p + "/owners?lastName=Nobody", wantStatus: 404,
			check: noBody}},
		{"owners are paged", exchange{method: "GET", path: p + "/v2/owners?page=1&size=4", wantStatus: 200,
			check: expect("content.len", 4, "content.0.id", 5, "page", 1, "size", 4, "totalElements", 10, "totalPages", 3)}},
		{"owner pages default to 20 and filter by last name", exchange{method: "GET", path: p + "/v2/owners?lastName=Davis", wantStatus: 200,
			check: expect("content.len", 2, "page", 0, "size", 20, "totalElements", 2, "totalPages", 1)}},
		{"a page size of 0 is refused", exchange{method: "GET", path: p + "/v2/owners?size=0", wantStatus: 400, contractRejects: true,
			check: both(problemOf(400, "ConstraintViolationException"), expect("schemaValidationErrors.0.message", "must be greater than or equal to 1"))}},
		{"a page size over 100 is refused", exchange{method: "GET", path: p + "/v2/owners?size=101", wantStatus: 400, contractRejects: true,
			check: problemOf(400, "ConstraintViolationException")}},
		{"a page that is not a number is refused", exchange{method: "GET", path: p + "/v2/owners?page=first", wantStatus: 400, contractRejects: true,
			check: problemOf(400, "MethodArgumentTypeMismatchException")}},
		{"an owner is read without validators", exchange{method: "GET", path: p + "/owners/1", wantStatus: 200,
			check: expect("header ETag", "", "header Last-Modified", "", "id", 1, "telephone", "6085551023", "pets.0.visits.len", 0)}},
		{"an entity tag a client sends never matches", exchange{method: "GET", path: p + "/owners/1", header: map[string]string{"If-None-Match": `"-1884106883"`}, wantStatus: 200,
			check: expect("id", 1)}},
		{"If-None-Match * on an existing owner is not modified", exchange{method: "GET", path: p + "/owners/1", header: map[string]string{"If-None-Match": "*"}, wantStatus: 304}},
		{"a missing owner is a 404 without a body", exchange{method: "GET", path: p + "/owners/999", wantStatus: 404, check: noBody}},
		{"an owner id that is not a number is refused", exchange{method: "GET", path: p + "/owners/george", wantStatus: 400, contractRejects: true,
			check: problemOf(400, "MethodArgumentTypeMismatchException")}},
		{"a negative owner id is refused", exchange{method: "GET", path: p + "/owners/-1", wantStatus: 400, contractRejects: true,
			check: problemOf(400, "ConstraintViolationException")}},

		{"an owner is added", exchange{method: "POST", path: p + "/owners", body: ownerBody("Jean-Luc", "Picard", "6085550000"), wantStatus: 201,
			check: expect("id", 11, "firstName", "Jean-Luc", "pets.len", 0, "header Location", p+"/owners/11")}},
		{"an owner's telephone given as a number is coerced like Jackson does", exchange{method: "POST", path: p + "/owners",
			body: `{"firstName":"Kathryn","lastName":"Janeway","address":"2 Main St.","city":"Madison","telephone":6085551111}`, wantStatus: 201, contractRejects: true,
			check: expect("id", 12, "telephone", "6085551111")}},
		{"an invalid owner is refused field by field", exchange{method: "POST", path: p + "/owners",
			body: `{"firstName":"J0hn","lastName":"","address":"x","telephone":"12a"}`, wantStatus: 400, contractRejects: true,
			check: fieldErrors("city", "firstName", "lastName", "lastName", "telephone")}},
		{"a body that is not JSON is refused", exchange{method: "POST", path: p + "/owners", body: `{"firstName":`, wantStatus: 400, contractRejects: true,
			check: problemOf(400, "HttpMessageNotReadableException")}},
		{"a body that is not declared JSON is refused", exchange{method: "POST", path: p + "/owners", body: ownerBody("A", "B", "1"), contentType: "text/plain", wantStatus: 400, contractRejects: true,
			check: problemOf(400, "HttpMediaTypeNotSupportedException")}},
		{"an owner is updated with 204 and no body", exchange{method: "PUT", path: p + "/owners/11", body: ownerBody("Jean-Luc", "Picard", "6085559999"), wantStatus: 204}},
		{"the updated owner reads back", exchange{method: "GET", path: p + "/owners/11", wantStatus: 200,
			check: expect("id", 11, "firstName", "Jean-Luc", "telephone", "6085559999")}},
		{"updating a missing owner is a 404", exchange{method: "PUT", path: p + "/owners/999", body: ownerBody("A", "B", "1"), wantStatus: 404, check: noBody}},
		{"an update If-Match an entity tag fails its precondition", exchange{method: "PUT", path: p + "/owners/11", body: ownerBody("Jean-Luc", "Picard", "6085550001"),
			header: map[string]string{"If-Match": `"11"`}, wantStatus: 412, check: problemOf(412, "PreconditionFailed")}},
		{"an update If-None-Match * of an existing owner fails its precondition", exchange{method: "PUT", path: p + "/owners/11", body: ownerBody("Jean-Luc", "Picard", "6085550001"),
			header: map[string]string{"If-None-Match": "*"}, wantStatus: 412, check: problemOf(412, "PreconditionFailed")}},
		{"an update If-Match * of an existing owner is done", exchange{method: "PUT", path: p + "/owners/11", body: ownerBody("Jean-Luc", "Picard", "6085559999"),
			header: map[string]string{"If-Match": "*"}, wantStatus: 204}},
		{"an invalid owner update is refused", exchange{method: "PUT", path: p + "/owners/11", body: ownerBody("Jean", "Picard", "phone"), wantStatus: 400, contractRejects: true,
			check: fieldErrors("telephone")}},

		{"a pet is added to an owner", exchange{method: "POST", path: p + "/owners/11/pets", body: `{"name":"Rex","birthDate":"2020-01-02","type":{"id":2,"name":"dog"}}`, wantStatus: 201,
			check: expect("id", 14, "name", "Rex", "ownerId", 11, "type.name", "dog", "type.id", 2, "visits.len", 0, "header Location", p+"/pets/14")}},
		{"an owner cannot have two pets of the same name", exchange{method: "POST", path: p + "/owners/11/pets", body: `{"name":"rex","birthDate":"2020-01-02","type":{"id":1,"name":"cat"}}`, wantStatus: 400,
			check: both(fieldErrors("name"), expect("schemaValidationErrors.0.defaultMessage", "already exists"))}},
		{"a pet born tomorrow is refused", exchange{method: "POST", path: p + "/owners/11/pets", body: `{"name":"Neo","birthDate":"2026-11-28","type":{"id":1,"name":"cat"}}`, wantStatus: 400,
			check: both(fieldErrors("birthDate"), expect("schemaValidationErrors.0.defaultMessage", "Birth date cannot be in the future"))}},
		{"a pet of an unknown type is a data integrity 404", exchange{method: "POST", path: p + "/owners/11/pets", body: `{"name":"Neo","birthDate":"2020-01-02","type":{"id":99,"name":"dragon"}}`, wantStatus: 404,
			check: problemOf(404, "DataIntegrityViolationException")}},
		{"a pet for a missing owner is a 404", exchange{method: "POST", path: p + "/owners/999/pets", body: `{"name":"Neo","birthDate":"2020-01-02","type":{"id":1,"name":"cat"}}`, wantStatus: 404}},
		{"a pet without type is refused", exchange{method: "POST", path: p + "/owners/11/pets", body: `{"name":"Neo","birthDate":"2020-01-02"}`, wantStatus: 400, contractRejects: true,
			check: fieldErrors("type")}},
		{"an owner's pet is read", exchange{method: "GET", path: p + "/owners/11/pets/14", wantStatus: 200,
			check: expect("name", "Rex", "header ETag", "")}},
		{"another owner's pet is not found", exchange{method: "GET", path: p + "/owners/1/pets/14", wantStatus: 404}},
		{"an owner's pet is updated", exchange{method: "PUT", path: p + "/owners/11/pets/14", body: `{"name":"Rex","birthDate":"2019-05-06","type":{"id":2,"name":"dog"}}`, wantStatus: 204}},
		{"updating a missing pet of an owner is a 404", exchange{method: "PUT", path: p + "/owners/11/pets/999", body: `{"name":"Rex","birthDate":"2019-05-06","type":{"id":2,"name":"dog"}}`, wantStatus: 404}},
		{"a visit is booked for an owner's pet", exchange{method: "POST", path: p + "/owners/11/pets/14/visits", body: `{"date":"2026-11-20","description":"vaccination"}`, wantStatus: 201,
			check: expect("id", 5, "petId", 14, "date", "2026-11-20", "description", "vaccination", "header Location", p+"/visits/5")}},
		{"a visit for a missing pet is a data integrity 404", exchange{method: "POST", path: p + "/owners/11/pets/999/visits", body: `{"description":"vaccination"}`, wantStatus: 404,
			check: problemOf(404, "DataIntegrityViolationException")}},
		{"a visit without description is refused", exchange{method: "POST", path: p + "/owners/11/pets/14/visits", body: `{"date":"2026-11-20"}`, wantStatus: 400, contractRejects: true,
			check: fieldErrors("description")}},

		{"all pets are listed", exchange{method: "GET", path: p + "/pets", wantStatus: 200, check: expect("len", 14, "13.name", "Rex", "13.visits.0.description", "vaccination")}},
		{"pets are paged", exchange{method: "GET", path: p + "/v2/pets?page=1&size=10", wantStatus: 200,
			check: expect("content.len", 4, "content.0.id", 11, "totalElements", 14, "totalPages", 2)}},
		{"a pet page size over 100 is refused", exchange{method: "GET", path: p + "/v2/pets?size=500", wantStatus: 400, contractRejects: true,
			check: problemOf(400, "ConstraintViolationException")}},
		{"a missing pet is a 404", exchange{method: "GET", path: p + "/pets/999", wantStatus: 404, check: noBody}},
		{"a pet is read", exchange{method: "GET", path: p + "/pets/14", wantStatus: 200, check: expect("birthDate", "2019-05-06", "visits.len", 1)}},
		{"a pet is updated with 204 and no body", exchange{method: "PUT", path: p + "/pets/14", body: `{"name":"Rexy","birthDate":"2019-05-06","type":{"id":2,"name":"dog"}}`, wantStatus: 204}},
		{"the updated pet reads back", exchange{method: "GET", path: p + "/pets/14", wantStatus: 200,
			check: expect("name", "Rexy", "birthDate", "2019-05-06", "ownerId", 11, "visits.len", 1)}},
		{"updating a missing pet is a 404", exchange{method: "PUT", path: p + "/pets/999", body: `{"name":"Rexy","birthDate":"2019-05-06","type":{"id":2,"name":"dog"}}`, wantStatus: 404}},

		{"all pet types are listed", exchange{method: "GET", path: p + "/pettypes", wantStatus: 200, check: expect("len", 6, "0.name", "bird", "0.id", 5)}},
		{"a pet type is read", exchange{method: "GET", path: p + "/pettypes/1", wantStatus: 200, check: expect("name", "cat", "header ETag", "")}},
		{"a pet type is added", exchange{method: "POST", path: p + "/pettypes", body: `{"name":"ferret"}`, wantStatus: 201, check: expect("id", 7, "name", "ferret", "header Location", p+"/pettypes/7")}},
		{"a pet type without name is refused", exchange{method: "POST", path: p + "/pettypes", body: `{"name":""}`, wantStatus: 400, contractRejects: true, check: fieldErrors("name")}},
		{"a pet type is renamed", exchange{method: "PUT", path: p + "/pettypes/7", body: `{"id":7,"name":"weasel"}`, wantStatus: 204}},
		{"renaming a pet type needs its id in the body", exchange{method: "PUT", path: p + "/pettypes/7", body: `{"name":"weasel"}`, wantStatus: 400, contractRejects: true, check: fieldErrors("id")}},
		{"renaming a missing pet type is a 404", exchange{method: "PUT", path: p + "/pettypes/999", body: `{"id":999,"name":"weasel"}`, wantStatus: 404}},
		{"a pet type is deleted with 204", exchange{method: "DELETE", path: p + "/pettypes/7", wantStatus: 204}},
		{"a deleted pet type is gone", exchange{method: "GET", path: p + "/pettypes/7", wantStatus: 404}},

		{"all specialties are listed", exchange{method: "GET", path: p + "/specialties", wantStatus: 200, check: expect("len", 3, "0.name", "radiology")}},
		{"a specialty is read", exchange{method: "GET", path: p + "/specialties/1", wantStatus: 200, check: expect("name", "radiology", "header ETag", "")}},
		{"a specialty is added; the id it carries is not used", exchange{method: "POST", path: p + "/specialties", body: `{"id":999,"name":"oncology"}`, wantStatus: 201, check: expect("id", 4, "header Location", p+"/specialties/4")}},
		{"adding a specialty needs an id in the body, as main's SpecialtyDto", exchange{method: "POST", path: p + "/specialties", body: `{"name":"oncology"}`, wantStatus: 400, check: fieldErrors("id")}},
		{"a specialty is renamed", exchange{method: "PUT", path: p + "/specialties/4", body: `{"id":4,"name":"cardiology"}`, wantStatus: 204}},
		{"renaming a specialty needs its id in the body", exchange{method: "PUT", path: p + "/specialties/4", body: `{"name":"cardiology"}`, wantStatus: 400, check: fieldErrors("id")}},
		{"a missing specialty is a 404", exchange{method: "GET", path: p + "/specialties/999", wantStatus: 404}},

		{"all vets are listed with their specialties", exchange{method: "GET", path: p + "/vets", wantStatus: 200,
			check: expect("len", 6, "0.specialties.len", 0, "2.specialties.len", 2, "2.specialties.0.name", "dentistry")}},
		{"a vet is read", exchange{method: "GET", path: p + "/vets/1", wantStatus: 200, check: expect("header ETag", "", "lastName", "Carter")}},
		{"a missing vet is a 404", exchange{method: "GET", path: p + "/vets/999", wantStatus: 404, check: noBody}},
		{"a vet is added with the specialties known by name", exchange{method: "POST", path: p + "/vets",
			body: `{"firstName":"Ann","lastName":"Bones","specialties":[{"id":4,"name":"cardiology"},{"id":99,"name":"astrology"}]}`, wantStatus: 201,
			check: expect("id", 7, "specialties.len", 1, "specialties.0.name", "cardiology", "header Location", p+"/vets/7")}},
		{"an invalid vet is refused", exchange{method: "POST", path: p + "/vets", body: `{"firstName":"Ann","lastName":"B0nes"}`, wantStatus: 400, contractRejects: true,
			check: fieldErrors("lastName", "specialties")}},
		{"a vet is updated", exchange{method: "PUT", path: p + "/vets/7", body: `{"id":7,"firstName":"Ann","lastName":"Bones-Smith","specialties":[{"id":1,"name":"radiology"}]}`, wantStatus: 204}},
		{"updating a missing vet is a 404", exchange{method: "PUT", path: p + "/vets/999", body: `{"id":999,"firstName":"Ann","lastName":"Bones","specialties":[]}`, wantStatus: 404}},
		{"a vet is deleted with 204", exchange{method: "DELETE", path: p + "/vets/7", wantStatus: 204}},
		{"a deleted vet is gone", exchange{method: "GET", path: p + "/vets/7", wantStatus: 404}},
		{"a specialty is deleted with 204", exchange{method: "DELETE", path: p + "/specialties/4", wantStatus: 204}},
		{"a deleted specialty is gone", exchange{method: "GET", path: p + "/specialties/4", wantStatus: 404}},

		{"all visits are listed", exchange{method: "GET", path: p + "/visits", wantStatus: 200, check: expect("len", 5, "4.petId", 14)}},
		{"a visit is read", exchange{method: "GET", path: p + "/visits/1", wantStatus: 200,
			check: expect("description", "rabies shot", "header ETag", "")}},
		{"a visit is added for a pet", exchange{method: "POST", path: p + "/visits", body: `{"date":"2026-11-21","description":"checkup","petId":1}`, wantStatus: 201,
			check: expect("id", 6, "petId", 1, "header Location", p+"/visits/6")}},
		{"a visit for a missing pet is a data integrity 404", exchange{method: "POST", path: p + "/visits", body: `{"description":"checkup","petId":999}`, wantStatus: 404,
			check: problemOf(404, "DataIntegrityViolationException")}},
		{"a visit without pet is refused", exchange{method: "POST", path: p + "/visits", body: `{"description":"checkup"}`, wantStatus: 400, contractRejects: true, check: fieldErrors("petId")}},
		{"a visit is updated", exchange{method: "PUT", path: p + "/visits/6", body: `{"date":"2026-11-22","description":"follow-up"}`, wantStatus: 204}},
		{"updating a missing visit is a 404", exchange{method: "PUT", path: p + "/visits/999", body: `{"description":"follow-up"}`, wantStatus: 404}},
		{"a visit is deleted with 204", exchange{method: "DELETE", path: p + "/visits/6", wantStatus: 204}},
		{"a deleted visit is gone", exchange{method: "GET", path: p + "/visits/6", wantStatus: 404}},

		{"a user is added with ROLE_ prefixed roles and a bcrypt password", exchange{method: "POST", path: p + "/users",
			body: `{"username":"vet","password":"s3cret","enabled":true,"roles":[{"name":"VET_ADMIN"}]}`, wantStatus: 201,
			check: func(t *testing.T, body any, h http.Header) {
				expect("username", "vet", "enabled", true, "roles.0.name", "ROLE_VET_ADMIN")(t, body, h)
				if pw := at(t, body, "password").(string); !strings.HasPrefix(pw, "{bcrypt}$2a$10$") {
					t.Errorf("password: got %q, want a {bcrypt} hash", pw)
				}
			}}},
		{"a taken username is a data integrity 404", exchange{method: "POST", path: p + "/users",
			body: `{"username":"vet","password":"other","enabled":true,"roles":[{"name":"VET_ADMIN"}]}`, wantStatus: 404, check: problemOf(404, "DataIntegrityViolationException")}},
		{"a user without roles is refused", exchange{method: "POST", path: p + "/users", body: `{"username":"nobody","password":"x"}`, wantStatus: 400,
			check: problemOf(400, "IllegalArgumentException")}},
		{"a user without username is refused", exchange{method: "POST", path: p + "/users", body: `{"password":"x","roles":[{"name":"ADMIN"}]}`, wantStatus: 400, contractRejects: true,
			check: fieldErrors("username")}},

		{"a pet is deleted with 204", exchange{method: "DELETE", path: p + "/pets/14", wantStatus: 204}},
		{"deleting a missing pet is a 404", exchange{method: "DELETE", path: p + "/pets/14", wantStatus: 404}},
		{"an owner is deleted with 204", exchange{method: "DELETE", path: p + "/owners/11", wantStatus: 204}},
		{"deleting a missing owner is a 404", exchange{method: "DELETE", path: p + "/owners/11", wantStatus: 404}},

		{"an unknown route is a 404 problem", exchange{method: "GET", path: p + "/owner", wantStatus: 404, noOperation: true,
			check: both(problemOf(404, "NoResourceFoundException"), expect("detail", "No static resource api/owner."))}},
		{"an unsupported method is a 405 problem", exchange{method: "PATCH", path: p + "/owners/1", wantStatus: 405, noOperation: true,
			check: both(problemOf(405, "HttpRequestMethodNotSupportedException"), expect("header Allow", "GET, PUT, DELETE"))}},
	}
	for _, s := range steps {
		c.run(t, s.name, s.ex)
	}
	t.Logf("operations exercised: %d", len(c.ops))
	if missing := c.uncovered(); len(missing) > 0 {
		t.Errorf("operations of the contract never exercised: %v", missing)
	}
	for key, reason := range responseDeviations {
		if !c.seen[key] {
			t.Errorf("deviation %q (%s) was never seen: remove it", key, reason)
		}
	}
	for op, reason := range requestDeviations {
		if !c.seen["request "+op] {
			t.Errorf("request deviation %q (%s) was never seen: remove it", op, reason)
		}
	}
}
