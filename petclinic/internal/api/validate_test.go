package api

import (
	"errors"
	"strings"
	"testing"
)

// errorsOf renders a validator's errors as "field: message" lines, sorted by
// field as the responses are.
func errorsOf(v *validator) string {
	p := v.problem()
	if p == nil {
		return ""
	}
	var lines []string
	for _, e := range p.errors {
		lines = append(lines, e.Field+": "+e.DefaultMessage)
	}
	return strings.Join(lines, "\n")
}

func mustObject(t *testing.T, body string) object {
	t.Helper()
	o, err := parseObject([]byte(body))
	if err != nil {
		t.Fatalf("parse %s: %v", body, err)
	}
	return o
}

func TestOwnerValidation(t *testing.T) {
	tests := map[string]struct {
		body string
		want string
	}{
		"a complete owner is valid": {ownerBody("George", "Franklin", "6085551023"), ""},
		"names may hold letters of any script, spaces, hyphens and apostrophes": {
			ownerBody("Zoë-Ana María", "O'Brien Ñúñez", "1"), ""},
		"a last name may end with a period": {ownerBody("Ann", "Jr.", "1"), ""},
		"a first name may not end with a period": {ownerBody("Ann.", "Bee", "1"),
			`firstName: must match "^[\p{L}]+([ '-][\p{L}]+){0,2}$"`},
		"digits are no letters": {ownerBody("R2D2", "Bee", "1"),
			`firstName: must match "^[\p{L}]+([ '-][\p{L}]+){0,2}$"`},
		"at most three name parts": {ownerBody("Ann", "de la Cruz Pérez", "1"),
			`lastName: must match "^[\p{L}]+([ '-][\p{L}]+){0,2}\.?$"`},
		"two separators in a row are refused": {ownerBody("Ann--Marie", "Bee", "1"),
			`firstName: must match "^[\p{L}]+([ '-][\p{L}]+){0,2}$"`},
		"an empty name breaks size and pattern": {ownerBody("", "Bee", "1"),
			"firstName: size must be between 1 and 30\nfirstName: must match \"^[\\p{L}]+([ '-][\\p{L}]+){0,2}$\""},
		"a 31-letter name is too long": {ownerBody(strings.Repeat("a", 31), "Bee", "1"), "firstName: size must be between 1 and 30"},
		"a 30-letter name fits":        {ownerBody(strings.Repeat("é", 30), "Bee", "1"), ""},
		"size counts UTF-16 units as Java does": {ownerBody(strings.Repeat("𝒜", 16), "Bee", "1"),
			"firstName: size must be between 1 and 30"},
		"a telephone is digits only": {ownerBody("Ann", "Bee", "+1 608"), `telephone: must match "^[0-9]*$"`},
		"a telephone has at most 20 digits": {ownerBody("Ann", "Bee", strings.Repeat("1", 21)),
			"telephone: size must be between 1 and 20"},
		"missing and null fields must not be null": {`{"firstName":null,"lastName":"Bee"}`,
			"address: must not be null\ncity: must not be null\nfirstName: must not be null\ntelephone: must not be null"},
		"an address of 256 characters is too long": {`{"firstName":"A","lastName":"B","address":"` + strings.Repeat("x", 256) + `","city":"C","telephone":"1"}`,
			"address: size must be between 1 and 255"},
		"a city of 81 characters is too long": {`{"firstName":"A","lastName":"B","address":"x","city":"` + strings.Repeat("x", 81) + `","telephone":"1"}`,
			"city: size must be between 1 and 80"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			f, err := bindOwnerFields(mustObject(t, tt.body))
			if err != nil {
				t.Fatalf("bind: %v", err)
			}
			v := &validator{}
			f.validate(v)
			if got := errorsOf(v); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestPetValidation(t *testing.T) {
	// testNow is 2026-11-27.
	tests := map[string]struct {
		body string
		want string
	}{
		"a complete pet is valid":     {`{"name":"Leo","birthDate":"2020-09-07","type":{"id":1,"name":"cat"}}`, ""},
		"a pet born today is valid":   {`{"name":"Leo","birthDate":"2026-11-27","type":{"id":1,"name":"cat"}}`, ""},
		"a pet born tomorrow is not":  {`{"name":"Leo","birthDate":"2026-11-28","type":{"id":1,"name":"cat"}}`, "birthDate: Birth date cannot be in the future"},
		"a pet of exactly 50 is fine": {`{"name":"Leo","birthDate":"1976-11-27","type":{"id":1,"name":"cat"}}`, ""},
		"a pet older than 50 is not":  {`{"name":"Leo","birthDate":"1976-11-26","type":{"id":1,"name":"cat"}}`, "birthDate: Birth date cannot be older than 50 years"},
		"an empty pet name is allowed, as the contract has no minLength": {
			`{"name":"","birthDate":"2020-09-07","type":{"id":1,"name":"cat"}}`, ""},
		"a 31-character pet name is too long": {`{"name":"` + strings.Repeat("x", 31) + `","birthDate":"2020-09-07","type":{"id":1,"name":"cat"}}`,
			"name: size must be between 0 and 30"},
		"the type needs its id and name": {`{"name":"Leo","birthDate":"2020-09-07","type":{}}`,
			"type.id: must not be null\ntype.name: must not be null"},
		"a negative type id is refused": {`{"name":"Leo","birthDate":"2020-09-07","type":{"id":-1,"name":"cat"}}`,
			"type.id: must be greater than or equal to 0"},
		"everything missing": {`{}`, "birthDate: must not be null\nname: must not be null\ntype: must not be null"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			f, err := bindPetFields(mustObject(t, tt.body))
			if err != nil {
				t.Fatalf("bind: %v", err)
			}
			v := &validator{}
			f.validate(v, testNow)
			if got := errorsOf(v); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestBirthDateOnLeapDay(t *testing.T) {
	// Java's LocalDate.minusYears(50) on 2028-02-29 is 1978-02-28.
	now := day("2028-02-29")
	tests := map[string]struct {
		birth string
		want  string
	}{
		"born on the day fifty years before is fine": {"1978-02-28", ""},
		"born the day before that is too old":        {"1978-02-27", "birthDate: Birth date cannot be older than 50 years"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			v := &validator{}
			d := day(tt.birth)
			v.birthDate("birthDate", &d, now)
			if got := errorsOf(v); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestVisitVetUserValidation(t *testing.T) {
	tests := map[string]struct {
		validate func(o object) (*validator, error)
		body     string
		want     string
	}{
		"a visit needs a description": {visitCheck(false), `{"date":"2020-01-01"}`, "description: must not be null"},
		"a visit's description is 1 to 255 characters": {visitCheck(false), `{"description":""}`,
			"description: size must be between 1 and 255"},
		"a visit may omit its date":           {visitCheck(false), `{"description":"shots"}`, ""},
		"a created visit needs its pet":       {visitCheck(true), `{"description":"shots"}`, "petId: must not be null"},
		"a created visit's pet id is natural": {visitCheck(true), `{"description":"shots","petId":-3}`, "petId: must be greater than or equal to 0"},
		"a vet needs names and specialties": {vetCheck(false), `{"firstName":"Helen"}`,
			"lastName: must not be null\nspecialties: must not be null"},
		"a vet's specialties need id and name": {vetCheck(false), `{"firstName":"Helen","lastName":"Leary","specialties":[{"name":"radiology"},{"id":2}]}`,
			"specialties[0].id: must not be null\nspecialties[1].name: must not be null"},
		"an updated vet needs its id": {vetCheck(true), `{"firstName":"Helen","lastName":"Leary","specialties":[]}`, "id: must not be null"},
		"a user needs a username":     {userCheck, `{"password":"x","roles":[{"name":"ADMIN"}]}`, "username: must not be null"},
		"a user's password is 1 to 80 characters": {userCheck, `{"username":"u","password":"","roles":[{"name":"ADMIN"}]}`,
			"password: size must be between 1 and 80"},
		"a user's roles need names": {userCheck, `{"username":"u","password":"p","roles":[{}]}`, "roles[0].name: must not be null"},
		"a pet type or specialty name is 1 to 80 characters": {namedCheck, `{"name":"` + strings.Repeat("x", 81) + `"}`,
			"name: size must be between 1 and 80"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			v, err := tt.validate(mustObject(t, tt.body))
			if err != nil {
				t.Fatalf("bind: %v", err)
			}
			if got := errorsOf(v); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func visitCheck(withPet bool) func(o object) (*validator, error) {
	return func(o object) (*validator, error) {
		f, err := bindVisitFields(o, withPet)
		v := &validator{}
		f.validate(v, withPet)
		return v, err
	}
}

func vetCheck(idRequired bool) func(o object) (*validator, error) {
	return func(o object) (*validator, error) {
		f, err := bindVetFields(o)
		v := &validator{}
		f.validate(v, idRequired)
		return v, err
	}
}

func userCheck(o object) (*validator, error) {
	u, err := bindUser(o)
	v := &validator{}
	u.validate(v)
	return v, err
}

func namedCheck(o object) (*validator, error) {
	n, err := bindNamed(o)
	v := &validator{}
	n.validate(v, "", false)
	return v, err
}

// TestBindingIsLenientLikeJackson pins what Spring Boot's Jackson accepts and
// refuses.
func TestBindingIsLenientLikeJackson(t *testing.T) {
	tests := map[string]struct {
		body    string
		want    string // the bound pet, or "" when refused
		refused bool
	}{
		"unknown properties are ignored": {body: `{"name":"Leo","extra":{"a":[1]},"birthDate":"2020-01-02","type":{"id":1,"name":"cat","x":1}}`,
			want: "Leo 2020-01-02 1 cat"},
		"an id given as a string is coerced": {body: `{"name":"Leo","birthDate":"2020-01-02","type":{"id":"3","name":"lizard"}}`,
			want: "Leo 2020-01-02 3 lizard"},
		"a fractional id is truncated": {body: `{"name":"Leo","birthDate":"2020-01-02","type":{"id":2.9,"name":"dog"}}`,
			want: "Leo 2020-01-02 2 dog"},
		"a number becomes a name's text": {body: `{"name":42,"birthDate":"2020-01-02","type":{"id":1,"name":true}}`,
			want: "42 2020-01-02 1 true"},
		"an empty id string is null": {body: `{"name":"Leo","birthDate":"2020-01-02","type":{"id":"","name":"cat"}}`,
			want: "Leo 2020-01-02 <nil> cat"},
		"a date may be an array": {body: `{"name":"Leo","birthDate":[2020,1,2],"type":{"id":1,"name":"cat"}}`,
			want: "Leo 2020-01-02 1 cat"},
		"a date-time keeps its date": {body: `{"name":"Leo","birthDate":"2020-01-02T10:11:12","type":{"id":1,"name":"cat"}}`,
			want: "Leo 2020-01-02 1 cat"},
		"the last of duplicate properties wins": {body: `{"name":"Leo","name":"Max","birthDate":"2020-01-02","type":{"id":1,"name":"cat"}}`,
			want: "Max 2020-01-02 1 cat"},
		"trailing content after the object is ignored": {body: `{"name":"Leo","birthDate":"2020-01-02","type":{"id":1,"name":"cat"}} trailing`,
			want: "Leo 2020-01-02 1 cat"},
		"a UTF-8 byte order mark is skipped": {body: "\xef\xbb\xbf" + `{"name":"Leo","birthDate":"2020-01-02","type":{"id":1,"name":"cat"}}`,
			want: "Leo 2020-01-02 1 cat"},
		"an id that is not a number is refused":  {body: `{"type":{"id":"one"}}`, refused: true},
		"an id beyond int32 is refused":          {body: `{"type":{"id":2147483648}}`, refused: true},
		"a boolean id is refused":                {body: `{"type":{"id":true}}`, refused: true},
		"a date in another format is refused":    {body: `{"birthDate":"02/01/2020"}`, refused: true},
		"an impossible date is refused":          {body: `{"birthDate":"2021-02-29"}`, refused: true},
		"a date without zero padding is refused": {body: `{"birthDate":"2020-1-2"}`, refused: true},
		"an object for a string is refused":      {body: `{"name":{"first":"Leo"}}`, refused: true},
		"an array for a string is refused":       {body: `{"name":["Leo"]}`, refused: true},
		"a string for an object is refused":      {body: `{"type":"cat"}`, refused: true},
		"a number for an object is refused":      {body: `{"type":1}`, refused: true},
		"an array body is refused":               {body: `[{"name":"Leo"}]`, refused: true},
		"a null body is refused":                 {body: `null`, refused: true},
		"an empty body is refused":               {body: ``, refused: true},
		"single quotes are refused":              {body: `{'name':'Leo'}`, refused: true},
		"comments are refused":                   {body: `{"name":"Leo" /* cat */}`, refused: true},
		"invalid UTF-8 is refused":               {body: "{\"name\":\"\xff\"}", refused: true},
		"a truncated object is refused":          {body: `{"name":"Leo"`, refused: true},
		"NaN is refused":                         {body: `{"type":{"id":NaN}}`, refused: true},
		"property names are case-sensitive":      {body: `{"Name":"Leo","birthDate":"2020-01-02","type":{"id":1,"name":"cat"}}`, want: "<nil> 2020-01-02 1 cat"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			var f petFields
			o, err := parseObject([]byte(tt.body))
			if err == nil {
				f, err = bindPetFields(o)
			}
			if tt.refused {
				if !errors.Is(err, errBind) {
					t.Fatalf("got %v, want errBind", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("bind: %v", err)
			}
			if got := describePet(f); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func describePet(f petFields) string {
	str := func(s *string) string {
		if s == nil {
			return "<nil>"
		}
		return *s
	}
	parts := []string{str(f.Name), "<nil>", "<nil>", "<nil>"}
	if f.BirthDate != nil {
		parts[1] = f.BirthDate.Format("2006-01-02")
	}
	if f.Type != nil {
		if f.Type.ID != nil {
			parts[2] = itoa(*f.Type.ID)
		}
		parts[3] = str(f.Type.Name)
	}
	return strings.Join(parts, " ")
}
