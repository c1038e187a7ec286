package api

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/gamedayhq/gameday/petclinic"
)

// The fuzz targets feed arbitrary bodies to the binders. Whatever they do,
// they must not panic; and a body that binds and validates must, once its
// bound values are written back as canonical JSON, bind and validate again
// to the same values (binding is a fixed point after one pass).

func canonical(t *testing.T, v any) object {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	o, err := parseObject(b)
	if err != nil {
		t.Fatalf("canonical JSON %s does not parse: %v", b, err)
	}
	return o
}

func FuzzBindOwner(f *testing.F) {
	f.Add(`{"firstName":"George","lastName":"Franklin","address":"110 W. Liberty St.","city":"Madison","telephone":"6085551023"}`)
	f.Add(`{"firstName":"Zoë","lastName":"O'Brien Jr.","address":"x","city":"y","telephone":6085551023}`)
	f.Add(`{"firstName":null,"lastName":[],"address":{},"telephone":true}`)
	f.Fuzz(func(t *testing.T, body string) {
		o, err := parseObject([]byte(body))
		if err != nil {
			return
		}
		got, err := bindOwnerFields(o)
		if err != nil {
			return
		}
		v := &validator{}
		got.validate(v)
		if v.problem() != nil {
			return
		}
		again, err := bindOwnerFields(canonical(t, map[string]string{"firstName": *got.FirstName, "lastName": *got.LastName,
			"address": *got.Address, "city": *got.City, "telephone": *got.Telephone}))
		if err != nil {
			t.Fatalf("canonical owner does not bind: %v", err)
		}
		v = &validator{}
		again.validate(v)
		if p := v.problem(); p != nil {
			t.Fatalf("canonical owner does not validate: %+v", p.errors)
		}
		if !reflect.DeepEqual(again, got) {
			t.Fatalf("got %+v after a round trip, want %+v", again, got)
		}
	})
}

func FuzzBindPet(f *testing.F) {
	f.Add(`{"name":"Leo","birthDate":"2010-09-07","type":{"id":1,"name":"cat"}}`)
	f.Add(`{"name":"Basil","birthDate":[2012,8,6],"type":{"id":"6","name":"hamster"}}`)
	f.Add(`{"name":7,"birthDate":"2020-01-02T03:04:05Z","type":{"id":2.5,"name":"dog"}}`)
	f.Add(`{"name":"","birthDate":18000,"type":{"id":0,"name":"x"}} tail`)
	f.Fuzz(func(t *testing.T, body string) {
		o, err := parseObject([]byte(body))
		if err != nil {
			return
		}
		got, err := bindPetFields(o)
		if err != nil {
			return
		}
		v := &validator{}
		got.validate(v, testNow)
		if v.problem() != nil {
			return
		}
		again, err := bindPetFields(canonical(t, map[string]any{"name": *got.Name, "birthDate": got.BirthDate.Format(petclinic.DateLayout),
			"type": map[string]any{"id": *got.Type.ID, "name": *got.Type.Name}}))
		if err != nil {
			t.Fatalf("canonical pet does not bind: %v", err)
		}
		v = &validator{}
		again.validate(v, testNow)
		if p := v.problem(); p != nil {
			t.Fatalf("canonical pet does not validate: %+v", p.errors)
		}
		if *again.Name != *got.Name || !again.BirthDate.Equal(*got.BirthDate) || !reflect.DeepEqual(again.Type, got.Type) {
			t.Fatalf("got %+v after a round trip, want %+v", describePet(again), describePet(got))
		}
	})
}

func FuzzBindVisit(f *testing.F) {
	f.Add(`{"date":"2013-01-01","description":"rabies shot","petId":7}`)
	f.Add(`{"description":"neutered","petId":"8"}`)
	f.Add(`{"date":"","description":1}`)
	f.Fuzz(func(t *testing.T, body string) {
		o, err := parseObject([]byte(body))
		if err != nil {
			return
		}
		got, err := bindVisitFields(o, true)
		if err != nil {
			return
		}
		v := &validator{}
		got.validate(v, true)
		if v.problem() != nil {
			return
		}
		m := map[string]any{"description": *got.Description, "petId": *got.PetID}
		if got.Date != nil {
			m["date"] = got.Date.Format(petclinic.DateLayout)
		}
		again, err := bindVisitFields(canonical(t, m), true)
		if err != nil {
			t.Fatalf("canonical visit does not bind: %v", err)
		}
		v = &validator{}
		again.validate(v, true)
		if p := v.problem(); p != nil {
			t.Fatalf("canonical visit does not validate: %+v", p.errors)
		}
		if *again.Description != *got.Description || *again.PetID != *got.PetID || (got.Date != nil && !again.Date.Equal(*got.Date)) {
			t.Fatalf("round trip changed the visit")
		}
	})
}

func FuzzBindVet(f *testing.F) {
	f.Add(`{"firstName":"James","lastName":"Carter","specialties":[]}`)
	f.Add(`{"id":2,"firstName":"Helen","lastName":"Leary","specialties":[{"id":1,"name":"radiology"}]}`)
	f.Add(`{"firstName":"Linda","lastName":"Douglas","specialties":[{"id":"2","name":"surgery"},null]}`)
	f.Fuzz(func(t *testing.T, body string) {
		o, err := parseObject([]byte(body))
		if err != nil {
			return
		}
		got, err := bindVetFields(o)
		if err != nil {
			return
		}
		v := &validator{}
		got.validate(v, false)
		if v.problem() != nil {
			return
		}
		specs := []map[string]any{}
		for _, s := range got.Specialties {
			specs = append(specs, map[string]any{"id": *s.ID, "name": *s.Name})
		}
		again, err := bindVetFields(canonical(t, map[string]any{"firstName": *got.FirstName, "lastName": *got.LastName, "specialties": specs}))
		if err != nil {
			t.Fatalf("canonical vet does not bind: %v", err)
		}
		v = &validator{}
		again.validate(v, false)
		if p := v.problem(); p != nil {
			t.Fatalf("canonical vet does not validate: %+v", p.errors)
		}
		got.ID = nil
		if !reflect.DeepEqual(again, got) {
			t.Fatalf("got %+v after a round trip, want %+v", again, got)
		}
	})
}

func FuzzBindUser(f *testing.F) {
	f.Add(`{"username":"john.doe","password":"1234abc","enabled":true,"roles":[{"name":"admin"}]}`)
	f.Add(`{"username":"x","enabled":"FALSE","roles":[{"name":"OWNER_ADMIN"},{"name":"VET_ADMIN"}]}`)
	f.Add(`{"username":1,"enabled":0,"roles":{}}`)
	f.Fuzz(func(t *testing.T, body string) {
		o, err := parseObject([]byte(body))
		if err != nil {
			return
		}
		got, err := bindUser(o)
		if err != nil {
			return
		}
		v := &validator{}
		got.validate(v)
		if v.problem() != nil {
			return
		}
		m := map[string]any{"username": *got.Username}
		if got.Password != nil {
			m["password"] = *got.Password
		}
		if got.Enabled != nil {
			m["enabled"] = *got.Enabled
		}
		var roles []map[string]any
		for _, r := range got.Roles {
			roles = append(roles, map[string]any{"name": *r.Name})
		}
		if roles != nil {
			m["roles"] = roles
		}
		again, err := bindUser(canonical(t, m))
		if err != nil {
			t.Fatalf("canonical user does not bind: %v", err)
		}
		v = &validator{}
		again.validate(v)
		if p := v.problem(); p != nil {
			t.Fatalf("canonical user does not validate: %+v", p.errors)
		}
		if !reflect.DeepEqual(again, got) {
			t.Fatalf("got %+v after a round trip, want %+v", again, got)
		}
	})
}
