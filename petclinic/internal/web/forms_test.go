package web

import (
	"io/fs"
	"net/url"
	"reflect"
	"regexp"
	"testing"

	"github.com/gamedayhq/gameday/petclinic"
)

// FuzzBindOwnerForm binds arbitrary form bodies: binding and validation must
// not panic, and a form that validates must still validate, unchanged, after
// a round trip through its encoded values (what the browser re-posts).
func FuzzBindOwnerForm(f *testing.F) {
	f.Add("firstName=George&lastName=Franklin&address=110+W.+Liberty+St.&city=Madison&telephone=6085551023")
	f.Add("firstName=&lastName=%20&telephone=123")
	f.Add("telephone=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96%EF%BC%97%EF%BC%98%EF%BC%99%EF%BC%90")
	f.Add("firstName=%ff%fe&lastName=a;b&address=x&city=y&telephone=0000000000&telephone=1")
	f.Fuzz(func(t *testing.T, body string) {
		v, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		form := bindOwnerForm(v)
		if len(form.validate()) > 0 {
			return
		}
		again := bindOwnerForm(form.values())
		if again != form {
			t.Fatalf("got %+v after a round trip, want %+v", again, form)
		}
		if errs := again.validate(); len(errs) > 0 {
			t.Fatalf("got %v for a form that validated", errs)
		}
		if !tenDigits.MatchString(form.Telephone) {
			t.Fatalf("accepted telephone %q", form.Telephone)
		}
	})
}

// FuzzBindPetForm does the same for the pet form, against the seeded pet
// types and an owner with one pet, and checks what an accepted pet holds.
func FuzzBindPetForm(f *testing.F) {
	f.Add("name=Rex&birthDate=2020-02-29&type=dog", 0)
	f.Add("name=leo&birthDate=2000-09-07&type=cat", 1)
	f.Add("name=Leo&birthDate=2026-11-28&type=cat", 1)
	f.Add("name=&birthDate=0000-01-01&type=", 0)
	f.Add("name=%00&birthDate=2021-02-30&type=hamster&type=cat", 2)
	types := []petclinic.PetType{{ID: 1, Name: "cat"}, {ID: 2, Name: "dog"}, {ID: 6, Name: "hamster"}}
	owner := &petclinic.Owner{ID: 1, Pets: []*petclinic.Pet{{ID: 1, Name: "Leo", OwnerID: 1}}}
	day := dateOf(today)
	f.Fuzz(func(t *testing.T, body string, petID int) {
		v, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		form := bindPetForm(v)
		pet, errs := form.validate(owner, petID, types, day)
		if len(errs) > 0 {
			return
		}
		again, errs := bindPetForm(form.values()).validate(owner, petID, types, day)
		if len(errs) > 0 {
			t.Fatalf("got %v for a form that validated", errs)
		}
		if !reflect.DeepEqual(again, pet) {
			t.Fatalf("got %+v after a round trip, want %+v", again, pet)
		}
		if pet.BirthDate.After(day) || pet.Type.ID == 0 || !notBlank(pet.Name) || pet.OwnerID != owner.ID {
			t.Fatalf("accepted %+v", pet)
		}
		if other := owner.Pet(pet.Name); other != nil && other.ID != petID {
			t.Fatalf("accepted duplicate name %q", pet.Name)
		}
		if formatDate(pet.BirthDate) != form.BirthDate {
			t.Fatalf("got birth date %v for %q", pet.BirthDate, form.BirthDate)
		}
	})
}

func TestParseProperties(t *testing.T) {
	tests := map[string]struct {
		in      string
		want    map[string]string
		wantErr bool
	}{
		"comments and blank lines are skipped": {"# c\n! c\n\na=b\n", map[string]string{"a": "b"}, false},
		"values keep inner '=' and spaces":     {"k = x = y z \n", map[string]string{"k": "x = y z"}, false},
		"a line without '=' is an error":       {"oops\n", nil, true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := parseProperties(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("got error %v, want error %v", err, tt.wantErr)
			}
			if !tt.wantErr && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPagination(t *testing.T) {
	tests := map[string]struct {
		current, total int
		want           pagination
	}{
		"one page has no links": {1, 5, pagination{Current: 1, Total: 1, Pages: []pageLink{{1, "/owners?lastName=D&page=1", true}}}},
		"the first of three pages links forward only": {1, 11, pagination{Current: 1, Total: 3,
			Pages: []pageLink{{1, "/owners?lastName=D&page=1", true}, {2, "/owners?lastName=D&page=2", false}, {3, "/owners?lastName=D&page=3", false}},
			Next:  "/owners?lastName=D&page=2", Last: "/owners?lastName=D&page=3"}},
		"the middle page links both ways": {2, 15, pagination{Current: 2, Total: 3,
			Pages: []pageLink{{1, "/owners?lastName=D&page=1", false}, {2, "/owners?lastName=D&page=2", true}, {3, "/owners?lastName=D&page=3", false}},
			First: "/owners?lastName=D&page=1", Previous: "/owners?lastName=D&page=1", Next: "/owners?lastName=D&page=3", Last: "/owners?lastName=D&page=3"}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got := newPagination("/owners", url.Values{"lastName": {"D"}}, tt.current, tt.total)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestTemplatesUseKnownMessageKeys(t *testing.T) {
	c, err := loadCatalog()
	if err != nil {
		t.Fatalf("load messages: %v", err)
	}
	keys := map[string]bool{}
	names, _ := fs.Glob(templateFiles, "templates/*.html")
	for _, name := range names {
		b, _ := templateFiles.ReadFile(name)
		for _, m := range regexp.MustCompile(`\.L\.T "([^"]+)"`).FindAllStringSubmatch(string(b), -1) {
			keys[m[1]] = true
		}
	}
	for _, m := range menuItems {
		keys[m.Key] = true
	}
	for _, k := range []string{"notFound", "NotBlank", "Size", "required", "duplicate", "typeMismatch.date", "typeMismatch.birthDate", "telephone.invalid", "notFoundPage", "serverError", "badRequest"} {
		keys[k] = true
	}
	if len(keys) < 40 {
		t.Fatalf("got %d message keys from the templates, want the template scan to find them all", len(keys))
	}
	for k := range keys {
		if _, ok := c[defaultLang][k]; !ok {
			t.Errorf("got key %q used but not in messages.properties", k)
		}
	}
}
