package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

// TestClientCompatibility replays what a client written for the Java server
// does (the Angular front end of spring-petclinic-angular, through its
// services): create an owner, add a pet of a type it lists, book a visit,
// read the owner back, edit it, and delete it. The bodies are asserted
// whole, as such a client reads them.
func TestClientCompatibility(t *testing.T) {
	srv := newServer(t, openStore(t, true), false)
	api := srv.URL + Prefix
	send := func(method, url string, in any, wantStatus int) []byte {
		t.Helper()
		var body io.Reader
		if in != nil {
			b, err := json.Marshal(in)
			if err != nil {
				t.Fatal(err)
			}
			body = bytes.NewReader(b)
		}
		req, err := http.NewRequest(method, url, body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Accept", "application/json")
		if in != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != wantStatus {
			t.Fatalf("%s %s: got %d, want %d: %s", method, url, resp.StatusCode, wantStatus, out)
		}
		return out
	}
	same := func(step string, got []byte, want string) {
		t.Helper()
		if got, want := compact(t, got), compact(t, []byte(want)); got != want {
			t.Errorf("%s:\n got %s\nwant %s", step, got, want)
		}
	}

	// The Angular client posts the form's owner with an id of null.
	same("create owner", send("POST", api+"/owners", map[string]any{"id": nil, "firstName": "Eleanor", "lastName": "Rigby",
		"address": "1 Church Lane", "city": "Liverpool", "telephone": "0151000000"}, 201),
		`{"firstName":"Eleanor","lastName":"Rigby","address":"1 Church Lane","city":"Liverpool","telephone":"0151000000","id":11,"pets":[]}`)

	var types []map[string]any
	if err := json.Unmarshal(send("GET", api+"/pettypes", nil, 200), &types); err != nil {
		t.Fatal(err)
	}
	var dog map[string]any
	for _, ty := range types {
		if ty["name"] == "dog" {
			dog = ty
		}
	}
	if dog == nil {
		t.Fatalf("no dog among %v", types)
	}

	// The client sends the whole pet, with the type object it listed and the
	// owner it came from.
	same("add pet", send("POST", api+"/owners/11/pets", map[string]any{"id": nil, "name": "Martha", "birthDate": "2019-03-01",
		"type": dog, "owner": map[string]any{"id": 11}, "visits": []any{}}, 201),
		`{"name":"Martha","birthDate":"2019-03-01","type":{"name":"dog","id":2},"id":14,"ownerId":11,"visits":[]}`)

	same("add visit", send("POST", api+"/owners/11/pets/14/visits", map[string]any{"id": nil, "date": "2026-11-20",
		"description": "check-up", "pet": map[string]any{"id": 14}}, 201),
		`{"date":"2026-11-20","description":"check-up","id":5,"petId":14}`)

	owner := `{"firstName":"Eleanor","lastName":"Rigby","address":"1 Church Lane","city":"Liverpool","telephone":"0151000000","id":11,
		"pets":[{"name":"Martha","birthDate":"2019-03-01","type":{"name":"dog","id":2},"id":14,"ownerId":11,
		"visits":[{"date":"2026-11-20","description":"check-up","id":5,"petId":14}]}]}`
	same("get owner", send("GET", api+"/owners/11", nil, 200), owner)

	send("PUT", api+"/owners/11", map[string]any{"id": 11, "firstName": "Eleanor", "lastName": "Rigby",
		"address": "2 Penny Lane", "city": "Liverpool", "telephone": "0151000001", "pets": []any{}}, 204)
	same("updated owner", send("GET", api+"/owners/11", nil, 200),
		`{"firstName":"Eleanor","lastName":"Rigby","address":"2 Penny Lane","city":"Liverpool","telephone":"0151000001","id":11,
		"pets":[{"name":"Martha","birthDate":"2019-03-01","type":{"name":"dog","id":2},"id":14,"ownerId":11,
		"visits":[{"date":"2026-11-20","description":"check-up","id":5,"petId":14}]}]}`)

	send("PUT", api+"/owners/11/pets/14", map[string]any{"id": 14, "name": "Martha", "birthDate": "2019-03-02", "type": dog}, 204)

	same("updated pet", send("GET", api+"/owners/11/pets/14", nil, 200),
		`{"name":"Martha","birthDate":"2019-03-02","type":{"name":"dog","id":2},"id":14,"ownerId":11,
		"visits":[{"date":"2026-11-20","description":"check-up","id":5,"petId":14}]}`)
	if body := send("DELETE", api+"/owners/11", nil, 204); len(body) != 0 {
		t.Errorf("delete owner: got body %q, want none", body)
	}
	send("GET", api+"/owners/11", nil, 404)
	send("GET", api+"/pets/14", nil, 404)
	send("GET", api+"/visits/5", nil, 404)
}

func compact(t *testing.T, b []byte) string {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatalf("not JSON: %v: %s", err, b)
	}
	return buf.String()
}

// TestEmptyListsAreNotFound: main's controllers answer 404 without a body
// for an empty list of owners, pets, pet types, specialties, vets and
// visits; the paged v2 lists answer an empty page.
func TestEmptyListsAreNotFound(t *testing.T) {
	srv := newServer(t, openStore(t, false), false)
	tests := map[string]struct {
		path string
		want int
	}{
		"no pets":        {"/pets", 404},
		"no pet types":   {"/pettypes", 404},
		"no specialties": {"/specialties", 404},
		"no vets":        {"/vets", 404},
		"no visits":      {"/visits", 404},
		"no owners":      {"/owners", 404},
		"no owner page":  {"/v2/owners", 200},
		"no pet page":    {"/v2/pets", 200},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			resp, body := call{method: "GET", path: Prefix + tt.path}.do(t, srv)
			if resp.StatusCode != tt.want {
				t.Errorf("got %d, want %d: %s", resp.StatusCode, tt.want, body)
			}
			if tt.want == 404 && body != "" {
				t.Errorf("got a 404 body %q, want none", body)
			}
		})
	}
}

// TestStoreFailureIsA500Problem closes the real store under the server: every
// operation then fails as the Java server's catch-all handler answers.
func TestStoreFailureIsA500Problem(t *testing.T) {
	store := openStore(t, true)
	srv := newServer(t, store, false)
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	resp, body := call{method: "GET", path: Prefix + "/owners/1"}.do(t, srv)
	if resp.StatusCode != 500 {
		t.Fatalf("got %d, want 500: %s", resp.StatusCode, body)
	}
	var p problemBody
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatal(err)
	}
	if p.Title != "DataAccessResourceFailureException" || p.Detail != detailUnexpected || p.Status != 500 {
		t.Errorf("got %+v", p)
	}
}
