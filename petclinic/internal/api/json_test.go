package api

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/gamedayhq/gameday/petclinic"
)

// awkward are strings json.Marshal escapes, or nearly does.
var awkward = []string{
	"", "George", "O'Brien", `say "hi"`, `back\slash`, "<b>&amp;</b>", "a<b", "a>b", "a&b", "tab\there", "nl\n", "\x00\x1f\x7f",
	"Müller", "日本", "emoji 🐈", "\u2028\u2029", "a\u2028b", "a\u2029b", "bad \xff utf8", "\xed\xa0\x80", "ends in \xe6\x97",
}

func TestAppendJSONEqualsMarshal(t *testing.T) {
	date := "2010-03-04"
	ownerID := 6
	visits := []visitJSON{{Date: &date, Description: awkward[5], ID: 1, PetID: 7}, {Description: awkward[13], ID: -2, PetID: 1 << 40}}
	pets := []petJSON{
		{Name: "Leo", BirthDate: &date, Type: petTypeJSON{Name: "cat", ID: 1}, ID: 1, OwnerID: &ownerID, Visits: visits},
		{Name: awkward[11], Type: petTypeJSON{Name: awkward[12]}, Visits: []visitJSON{}},
		{Name: "no visits slice"},
	}
	values := map[string]any{
		"an owner with pets and visits": ownerJSON{FirstName: "George", LastName: awkward[3], Address: awkward[4], City: awkward[9], Telephone: awkward[7], ID: 1, Pets: pets},
		"an owner without pets":         ownerJSON{Pets: []petJSON{}},
		"an owner with a nil pets list": ownerJSON{},
		"a pet":                         pets[0],
		"a visit without a date":        visits[1],
		"a list of owners":              []ownerJSON{{Pets: pets}, {}},
		"an empty list of pets":         []petJSON{},
		"a nil list of visits":          []visitJSON(nil),
		"the seeded owner 6":            toOwnerJSON(seededOwner6()),
	}
	for _, s := range awkward {
		values["the string "+s] = ownerJSON{FirstName: s}
	}
	for name, v := range values {
		got, err := marshalJSON(v)
		if err != nil {
			t.Fatalf("%s: marshalJSON: %v", name, err)
		}
		want, _ := json.Marshal(v)
		if !bytes.Equal(got, want) {
			t.Errorf("%s:\ngot  %s\nwant %s", name, got, want)
		}
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range awkward {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := appendJSONString([]byte("x"), s)
		want, _ := json.Marshal(s)
		if !bytes.Equal(got[1:], want) {
			t.Errorf("appendJSONString(%q) = %s, want %s", s, got[1:], want)
		}
		if !utf8.Valid(got) {
			t.Errorf("appendJSONString(%q) is not UTF-8", s)
		}
	})
}

func seededOwner6() *petclinic.Owner {
	return &petclinic.Owner{ID: 6, FirstName: "Jean", LastName: "Coleman", Address: "105 N. Lake St.", City: "Monona", Telephone: "6085552654",
		Pets: []*petclinic.Pet{
			{ID: 8, Name: "Max", BirthDate: day("1995-09-04"), Type: petclinic.PetType{ID: 1, Name: "cat"}, OwnerID: 6, Visits: []*petclinic.Visit{
				{ID: 2, PetID: 8, Date: day("2011-03-04"), Description: "rabies shot"},
			}},
		}}
}
