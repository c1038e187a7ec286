package web

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/petclinic"
	"github.com/gamedayhq/gameday/petclinic/internal/sqlstore"
)

// today is the clock of every test: the seed data's visits are in 2010-2013.
var today = time.Date(2026, 11, 27, 15, 4, 5, 0, time.UTC)

// newStore opens a fresh in-memory SQLite store with Spring PetClinic's
// sample data.
func newStore(t testing.TB) *sqlstore.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := sqlstore.Open(ctx, sqlstore.Config{Seed: true})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func newHandler(t testing.TB, st petclinic.Store) http.Handler {
	t.Helper()
	mux := http.NewServeMux()
	Register(mux, Options{
		Store:  st,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:    func() time.Time { return today },
	})
	return mux
}

type client struct {
	t       testing.TB
	h       http.Handler
	cookies map[string]*http.Cookie
}

func newClient(t testing.TB, st petclinic.Store) *client {
	return &client{t: t, h: newHandler(t, st), cookies: map[string]*http.Cookie{}}
}

// do sends a request with the cookies the client holds (whatever their
// path, which tests check separately) and keeps the cookies it gets back.
func (c *client) do(method, target string, form url.Values) *http.Response {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, target, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, ck := range c.cookies {
		req.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
	}
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, req)
	res := rec.Result()
	for _, ck := range res.Cookies() {
		if ck.MaxAge < 0 {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck
		}
	}
	return res
}

func (c *client) get(target string) (*http.Response, string) {
	c.t.Helper()
	res := c.do(http.MethodGet, target, nil)
	return res, readBody(c.t, res)
}

func (c *client) post(target string, form url.Values) (*http.Response, string) {
	c.t.Helper()
	res := c.do(http.MethodPost, target, form)
	return res, readBody(c.t, res)
}

func readBody(t testing.TB, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return string(b)
}

func TestPages(t *testing.T) {
	c := newClient(t, newStore(t))
	tests := map[string]struct {
		path     string
		status   int
		location string
		contains []string
		lacks    []string
	}{
		"the welcome page greets": {
			path: "/", status: 200,
			contains: []string{"<h2>Welcome</h2>", `src="/resources/images/pets.png"`, `<html lang="en">`, `class="nav-link active" href="/"`},
		},
		"the find form has the last name field and the add owner button": {
			path: "/owners/find", status: 200,
			contains: []string{"Find Owners", `id="lastName" name="lastName"`, `href="/owners/new"`, `class="nav-link active" href="/owners/find"`},
		},
		"a last name shared by two owners lists them": {
			path: "/owners?lastName=Davis", status: 200,
			contains: []string{`<table id="owners"`, `<a href="/owners/2">Betty Davis</a>`, `<a href="/owners/4">Harold Davis</a>`, "Basil", "Iggy"},
			lacks:    []string{"Franklin", `class="pagination"`},
		},
		"the search is a case-insensitive prefix match": {
			path: "/owners?lastName=dav", status: 200,
			contains: []string{"Betty Davis", "Harold Davis"},
		},
		"a single match redirects to the owner": {
			path: "/owners?lastName=Franklin", status: 302, location: "/owners/1",
		},
		"no match shows the find form with an error": {
			path: "/owners?lastName=Nobody", status: 200,
			contains: []string{"Find Owners", "has not been found", `value="Nobody"`},
		},
		"no last name lists every owner, 5 per page": {
			path: "/owners", status: 200,
			contains: []string{"George Franklin", "Peter McTavish", `class="pagination"`, `href="/owners?page=2"`},
			lacks:    []string{"Jean Coleman"},
		},
		"the second page lists the next owners": {
			path: "/owners?page=2", status: 200,
			contains: []string{"Jeff Black", "Carlos Estaban", `href="/owners?page=1" title="First"`, `<span class="current">2</span>`},
			lacks:    []string{"George Franklin"},
		},
		"a page past the end counts as no match": {
			path: "/owners?page=3", status: 200,
			contains: []string{"has not been found"},
		},
		"page zero is a bad request": {
			path: "/owners?page=0", status: 400,
			contains: []string{"Something happened..."},
		},
		"an owner shows with pets and visits": {
			path: "/owners/6", status: 200,
			contains: []string{"<b>Jean Coleman</b>", "105 N. Lake St.", "Monona", "6085552654", "Samantha", "1995-09-04", "rabies shot", "2010-03-04", "neutered",
				`href="/owners/6/edit"`, `href="/owners/6/pets/new"`, `href="/owners/6/pets/7/edit"`, `href="/owners/6/pets/8/visits/new"`},
			lacks: []string{`id="success-message"`},
		},
		"an unknown owner is not found": {
			path: "/owners/999", status: 404,
			contains: []string{"Something happened...", "This page does not exist."},
		},
		"a non-numeric owner id is a bad request": {
			path: "/owners/abc", status: 400,
		},
		"the owner edit form is filled in": {
			path: "/owners/1/edit", status: 200,
			contains: []string{`id="firstName" name="firstName" value="George"`, `value="6085551023"`, "Update Owner"},
		},
		"the new owner form is empty": {
			path: "/owners/new", status: 200,
			contains: []string{`id="telephone" name="telephone" value=""`, ">Add Owner</button>"},
		},
		"the new pet form offers the pet types": {
			path: "/owners/1/pets/new", status: 200,
			contains: []string{"New Pet", "George Franklin", `<option value="cat">cat</option>`, `<option value="hamster">hamster</option>`, `type="date" id="birthDate"`, ">Add Pet</button>"},
		},
		"the pet edit form is filled in with the type selected": {
			path: "/owners/1/pets/1/edit", status: 200,
			contains: []string{`value="Leo"`, `value="2000-09-07"`, `<option value="cat" selected>cat</option>`, ">Update Pet</button>"},
			lacks:    []string{"New Pet"},
		},
		"a pet of another owner is not found": {
			path: "/owners/1/pets/2/edit", status: 404,
		},
		"the visit form shows the pet, today's date and the previous visits": {
			path: "/owners/6/pets/7/visits/new", status: 200,
			contains: []string{"New Visit", "Samantha", "Jean Coleman", `id="date" name="date" value="2026-11-27"`, "Previous Visits", "rabies shot", "spayed"},
		},
		"a visit form for an unknown pet is not found": {
			path: "/owners/6/pets/99/visits/new", status: 404,
		},
		"the vets page lists the first 5 vets": {
			path: "/vets.html", status: 200,
			contains: []string{"Veterinarians", "James Carter", "<span>none</span>", "Linda Douglas", "<span>dentistry </span><span>surgery </span>", `href="/vets.html?page=2"`},
			lacks:    []string{"Sharon Jenkins"},
		},
		"the second vets page lists the last vet": {
			path: "/vets.html?page=2", status: 200,
			contains: []string{"Sharon Jenkins"},
			lacks:    []string{"James Carter"},
		},
		"oups fails on purpose": {
			path: "/oups", status: 500,
			contains: []string{"Something happened...", "Expected: controller used to showcase what happens when an exception is thrown", `class="nav-link active" href="/oups"`},
		},
		"an unknown page is a 404 in the layout": {
			path: "/no/such/page", status: 404,
			contains: []string{"Something happened...", `href="/resources/css/petclinic.css"`},
		},
		"the stylesheet is served": {
			path: "/resources/css/petclinic.css", status: 200,
			contains: []string{"--spring-green: #6db33f"},
		},
		"an unknown asset is not found": {
			path: "/resources/css/nope.css", status: 404,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			res, body := c.get(tt.path)
			if res.StatusCode != tt.status {
				t.Fatalf("GET %s: got status %d, want %d\n%s", tt.path, res.StatusCode, tt.status, body)
			}
			if got := res.Header.Get("Location"); got != tt.location {
				t.Errorf("GET %s: got Location %q, want %q", tt.path, got, tt.location)
			}
			for _, s := range tt.contains {
				if !strings.Contains(body, s) {
					t.Errorf("GET %s: body lacks %q\n%s", tt.path, s, body)
				}
			}
			for _, s := range tt.lacks {
				if strings.Contains(body, s) {
					t.Errorf("GET %s: body has %q", tt.path, s)
				}
			}
		})
	}
}

func TestPagesAreSafeForTheContentSecurityPolicy(t *testing.T) {
	c := newClient(t, newStore(t))
	inline := regexp.MustCompile(`(?i)<script|\sstyle=|\son[a-z]+=|https?://(?:[^"]*w3\.org)?`)
	for _, path := range []string{"/", "/owners/find", "/owners", "/owners/6", "/owners/new", "/owners/1/pets/new", "/owners/6/pets/7/visits/new", "/vets.html", "/oups"} {
		_, body := c.get(path)
		for _, m := range inline.FindAllString(body, -1) {
			if !strings.Contains(m, "w3.org") {
				t.Errorf("GET %s: got %q, want no inline script, style, handler or remote URL", path, m)
			}
		}
	}
}

func TestVetsJSON(t *testing.T) {
	c := newClient(t, newStore(t))
	res, body := c.get("/vets")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("got %d %q, want 200 application/json", res.StatusCode, res.Header.Get("Content-Type"))
	}
	var got struct {
		VetList []map[string]any `json:"vetList"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	if len(got.VetList) != 6 {
		t.Fatalf("got %d vets, want the 6 seeded", len(got.VetList))
	}
	// Linda Douglas has two specialties, sorted by name.
	want := `{"firstName":"Linda","id":3,"lastName":"Douglas","new":false,"nrOfSpecialties":2,"specialties":[{"id":3,"name":"dentistry","new":false},{"id":2,"name":"surgery","new":false}]}`
	b, _ := json.Marshal(got.VetList[2])
	if string(b) != want {
		t.Errorf("got vet %s, want %s", b, want)
	}
	b, _ = json.Marshal(got.VetList[0])
	if want := `{"firstName":"James","id":1,"lastName":"Carter","new":false,"nrOfSpecialties":0,"specialties":[]}`; string(b) != want {
		t.Errorf("got vet %s, want %s", b, want)
	}
}

func validOwner() url.Values {
	return url.Values{"firstName": {"Ada"}, "lastName": {"Lovelace"}, "address": {"12 Analytical St."}, "city": {"London"}, "telephone": {"0123456789"}}
}

func TestCreateOwnerRedirectsAndFlashesOnce(t *testing.T) {
	c := newClient(t, newStore(t))
	res, _ := c.post("/owners/new", validOwner())
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != "/owners/11" {
		t.Fatalf("got %d to %q, want 302 to /owners/11", res.StatusCode, res.Header.Get("Location"))
	}
	flash := c.cookies[flashCookie]
	if flash == nil || !flash.HttpOnly || flash.SameSite != http.SameSiteLaxMode || flash.Path != "/owners/11" || flash.MaxAge <= 0 || flash.MaxAge > 60 {
		t.Fatalf("got flash cookie %+v, want a short-lived HttpOnly SameSite=Lax cookie for /owners/11", flash)
	}
	_, body := c.get("/owners/11")
	for _, s := range []string{`id="success-message"`, "New Owner Created", "<b>Ada Lovelace</b>", "12 Analytical St.", "0123456789"} {
		if !strings.Contains(body, s) {
			t.Errorf("owner page lacks %q", s)
		}
	}
	if _, body := c.get("/owners/11"); strings.Contains(body, "New Owner Created") {
		t.Errorf("got the flash message on the second view, want it once")
	}
}

func TestFlashCookieNamesAKnownMessage(t *testing.T) {
	c := newClient(t, newStore(t))
	c.cookies[flashCookie] = &http.Cookie{Name: flashCookie, Value: "<script>alert(1)</script>"}
	_, body := c.get("/owners/1")
	if strings.Contains(body, "success-message") || strings.Contains(body, "alert(1)") {
		t.Errorf("got a forged flash message rendered, want none")
	}
}

func TestOwnerValidation(t *testing.T) {
	c := newClient(t, newStore(t))
	tests := map[string]struct {
		field, value string
		errors       []string
	}{
		"a blank first name":           {"firstName", "  ", []string{"must not be blank"}},
		"a missing last name":          {"lastName", "", []string{"must not be blank"}},
		"a blank address":              {"address", "", []string{"must not be blank"}},
		"a blank city":                 {"city", "\t", []string{"must not be blank"}},
		"a missing telephone":          {"telephone", "", []string{"must not be blank", "Telephone must be a 10-digit number"}},
		"a telephone of 9 digits":      {"telephone", "123456789", []string{"Telephone must be a 10-digit number"}},
		"a telephone of 11 digits":     {"telephone", "12345678901", []string{"Telephone must be a 10-digit number"}},
		"a telephone with letters":     {"telephone", "12345abcde", []string{"Telephone must be a 10-digit number"}},
		"a telephone with a space":     {"telephone", "012345678 ", []string{"Telephone must be a 10-digit number"}},
		"a first name over the column": {"firstName", strings.Repeat("a", 31), []string{"size must be between 0 and 30"}},
	}
	for name, tt := range tests {
		for _, target := range []string{"/owners/new", "/owners/1/edit"} {
			t.Run(name+" on "+target, func(t *testing.T) {
				form := validOwner()
				form.Set(tt.field, tt.value)
				res, body := c.post(target, form)
				if res.StatusCode != http.StatusOK {
					t.Fatalf("got status %d, want 200 with the form", res.StatusCode)
				}
				group := fieldGroup(t, body, tt.field)
				if !strings.Contains(group, "has-error") {
					t.Errorf("got field group %s, want has-error", group)
				}
				if got, want := helpText(group), strings.Join(tt.errors, "<br>"); got != want {
					t.Errorf("got errors %q, want %q", got, want)
				}
				if !strings.Contains(body, `value="Lovelace"`) && tt.field != "lastName" {
					t.Errorf("got the form without the entered values")
				}
			})
		}
	}
	if _, body := c.get("/owners/1"); !strings.Contains(body, "George Franklin") {
		t.Errorf("got owner 1 changed by invalid edits")
	}
}

var helpInline = regexp.MustCompile(`<span class="help-inline">(.*?)</span>`)

// fieldGroup returns the form-group markup of the named input.
func fieldGroup(t testing.TB, body, name string) string {
	t.Helper()
	i := strings.Index(body, `name="`+name+`"`)
	if i < 0 {
		t.Fatalf("no field %q in\n%s", name, body)
	}
	start := strings.LastIndex(body[:i], `<div class="form-group`)
	end := strings.Index(body[i:], "</div>\n</div>")
	return body[start : i+end]
}

func helpText(group string) string {
	m := helpInline.FindStringSubmatch(group)
	if m == nil {
		return ""
	}
	return m[1]
}

func TestUpdateOwner(t *testing.T) {
	c := newClient(t, newStore(t))
	form := validOwner()
	res, _ := c.post("/owners/1/edit", form)
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != "/owners/1" {
		t.Fatalf("got %d to %q, want 302 to /owners/1", res.StatusCode, res.Header.Get("Location"))
	}
	_, body := c.get("/owners/1")
	for _, s := range []string{"Owner Values Updated", "<b>Ada Lovelace</b>", "Leo"} {
		if !strings.Contains(body, s) {
			t.Errorf("owner page lacks %q", s)
		}
	}
	if res, _ := c.post("/owners/999/edit", form); res.StatusCode != http.StatusNotFound {
		t.Errorf("edit of an unknown owner: got %d, want 404", res.StatusCode)
	}
}

func TestPetValidation(t *testing.T) {
	c := newClient(t, newStore(t))
	tests := map[string]struct {
		target string
		form   url.Values
		field  string
		errors string
	}{
		"a new pet without a name": {
			"/owners/1/pets/new", url.Values{"name": {""}, "birthDate": {"2020-01-01"}, "type": {"dog"}}, "name", "is required"},
		"a new pet named like another pet of the owner, in another case": {
			"/owners/1/pets/new", url.Values{"name": {"lEO"}, "birthDate": {"2020-01-01"}, "type": {"dog"}}, "name", "is already in use"},
		"a new pet without a birth date": {
			"/owners/1/pets/new", url.Values{"name": {"Rex"}, "birthDate": {""}, "type": {"dog"}}, "birthDate", "is required"},
		"a new pet born tomorrow": {
			"/owners/1/pets/new", url.Values{"name": {"Rex"}, "birthDate": {"2026-11-28"}, "type": {"dog"}}, "birthDate", "invalid date"},
		"a new pet with a malformed birth date": {
			"/owners/1/pets/new", url.Values{"name": {"Rex"}, "birthDate": {"2020-13-01"}, "type": {"dog"}}, "birthDate", "invalid date"},
		"a new pet without a type": {
			"/owners/1/pets/new", url.Values{"name": {"Rex"}, "birthDate": {"2020-01-01"}}, "type", "is required"},
		"a new pet of an unknown type": {
			"/owners/1/pets/new", url.Values{"name": {"Rex"}, "birthDate": {"2020-01-01"}, "type": {"dragon"}}, "type", "is required"},
		"a pet renamed like another pet of the owner": {
			"/owners/6/pets/7/edit", url.Values{"name": {"max"}, "birthDate": {"1995-09-04"}, "type": {"cat"}}, "name", "is already in use"},
		"a pet edited to be born in the future": {
			"/owners/6/pets/7/edit", url.Values{"name": {"Samantha"}, "birthDate": {"2030-01-01"}, "type": {"cat"}}, "birthDate", "invalid date"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			res, body := c.post(tt.target, tt.form)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("got status %d, want 200 with the form", res.StatusCode)
			}
			if got := helpText(fieldGroup(t, body, tt.field)); got != tt.errors {
				t.Errorf("got %s errors %q, want %q", tt.field, got, tt.errors)
			}
		})
	}
}

func TestCreateAndEditPet(t *testing.T) {
	c := newClient(t, newStore(t))
	res, _ := c.post("/owners/1/pets/new", url.Values{"name": {"Rex"}, "birthDate": {"2026-11-27"}, "type": {"dog"}})
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != "/owners/1" {
		t.Fatalf("got %d to %q, want 302 to /owners/1", res.StatusCode, res.Header.Get("Location"))
	}
	_, body := c.get("/owners/1")
	for _, s := range []string{"New Pet has been Added", "<dd>Rex</dd>", "<dd>2026-11-27</dd>", "<dd>dog</dd>"} {
		if !strings.Contains(body, s) {
			t.Errorf("owner page lacks %q", s)
		}
	}
	// Keeping its own name is not a duplicate.
	res, _ = c.post("/owners/1/pets/1/edit", url.Values{"name": {"Leo"}, "birthDate": {"2001-01-01"}, "type": {"hamster"}})
	if res.StatusCode != http.StatusFound {
		t.Fatalf("edit: got %d, want 302", res.StatusCode)
	}
	_, body = c.get("/owners/1")
	for _, s := range []string{"Pet details has been edited", "<dd>2001-01-01</dd>", "<dd>hamster</dd>"} {
		if !strings.Contains(body, s) {
			t.Errorf("owner page lacks %q", s)
		}
	}
}

func TestBookVisit(t *testing.T) {
	c := newClient(t, newStore(t))
	tests := map[string]struct {
		form  url.Values
		field string
		error string
	}{
		"a visit without a description": {url.Values{"date": {"2026-11-27"}, "description": {" "}}, "description", "must not be blank"},
		"a visit without a date":        {url.Values{"date": {""}, "description": {"check-up"}}, "date", "is required"},
		"a visit with a malformed date": {url.Values{"date": {"27/11/2026"}, "description": {"check-up"}}, "date", "invalid date"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			res, body := c.post("/owners/6/pets/7/visits/new", tt.form)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("got status %d, want 200 with the form", res.StatusCode)
			}
			if got := helpText(fieldGroup(t, body, tt.field)); got != tt.error {
				t.Errorf("got %s errors %q, want %q", tt.field, got, tt.error)
			}
		})
	}
	res, _ := c.post("/owners/6/pets/7/visits/new", url.Values{"date": {"2026-12-01"}, "description": {"annual check-up"}})
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != "/owners/6" {
		t.Fatalf("got %d to %q, want 302 to /owners/6", res.StatusCode, res.Header.Get("Location"))
	}
	_, body := c.get("/owners/6")
	for _, s := range []string{"Your visit has been booked", "2026-12-01", "annual check-up"} {
		if !strings.Contains(body, s) {
			t.Errorf("owner page lacks %q", s)
		}
	}
	if res, _ := c.post("/owners/1/pets/7/visits/new", url.Values{"date": {"2026-12-01"}, "description": {"x"}}); res.StatusCode != http.StatusNotFound {
		t.Errorf("visit for another owner's pet: got %d, want 404", res.StatusCode)
	}
}

func TestLanguage(t *testing.T) {
	c := newClient(t, newStore(t))
	_, body := c.get("/owners/find?lang=es")
	for _, s := range []string{`<html lang="es">`, "<h2>Buscar propietarios</h2>", "Añadir propietario", `class="nav-link active" href="/owners/find?lang=es"`} {
		if !strings.Contains(body, s) {
			t.Errorf("?lang=es page lacks %q", s)
		}
	}
	ck := c.cookies[localeCookie]
	if ck == nil || ck.Value != "es" || !ck.HttpOnly {
		t.Fatalf("got locale cookie %+v, want es", ck)
	}
	_, body = c.get("/owners?lastName=Nobody")
	if !strings.Contains(body, "No ha sido encontrado") {
		t.Errorf("got the search error not in the remembered language")
	}
	res, body := c.post("/owners/new", url.Values{})
	if res.StatusCode != 200 || !strings.Contains(body, "no debe estar vacío") || !strings.Contains(body, "El teléfono debe tener 10 dígitos") {
		t.Errorf("got validation messages not in Spanish")
	}
	_, body = c.get("/vets.html?lang=de")
	for _, s := range []string{`<html lang="de">`, "Tierärzte", "keine"} {
		if !strings.Contains(body, s) {
			t.Errorf("?lang=de page lacks %q", s)
		}
	}
	_, body = c.get("/?lang=xx")
	if !strings.Contains(body, `<html lang="de">`) {
		t.Errorf("got an unsupported language switch, want it ignored")
	}
	_, body = c.get("/?lang=en_US")
	if !strings.Contains(body, "<h2>Welcome</h2>") {
		t.Errorf("got no switch back to English")
	}
}

func TestStoreFailureIsAnErrorPage(t *testing.T) {
	st := newStore(t)
	c := newClient(t, st)
	st.Close()
	for _, path := range []string{"/owners/1", "/owners?lastName=a", "/vets.html", "/vets"} {
		res, body := c.get(path)
		if res.StatusCode != http.StatusInternalServerError || !strings.Contains(body, "Something happened...") {
			t.Errorf("GET %s on a closed store: got %d, want the 500 error page", path, res.StatusCode)
		}
		if strings.Contains(body, "sql") {
			t.Errorf("GET %s: got the error page leaking the store error", path)
		}
	}
}

func TestRegisterRefusesMissingStore(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Errorf("got Register accepting no store, want a panic")
		}
	}()
	Register(http.NewServeMux(), Options{})
}

func TestAssetsRevalidateWithETag(t *testing.T) {
	c := newClient(t, newStore(t))
	res, body := c.get("/resources/images/pets.png")
	etag := res.Header.Get("ETag")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/png" || etag == "" || len(body) == 0 {
		t.Fatalf("got %d %q etag %q, want a PNG with an ETag", res.StatusCode, res.Header.Get("Content-Type"), etag)
	}
	req := httptest.NewRequest(http.MethodGet, "/resources/images/pets.png", nil)
	req.Header.Set("If-None-Match", etag)
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotModified {
		t.Errorf("got %d for a matching If-None-Match, want 304", rec.Code)
	}
}

func TestHeadServesPages(t *testing.T) {
	c := newClient(t, newStore(t))
	for _, path := range []string{"/", "/owners/1", "/vets.html", "/resources/css/petclinic.css"} {
		res := c.do(http.MethodHead, path, nil)
		if res.StatusCode != http.StatusOK {
			t.Errorf("HEAD %s: got %d, want 200", path, res.StatusCode)
		}
	}
}

func TestCookiesAreSecureWhenTheBrowserUsedHTTPS(t *testing.T) {
	tests := map[string]struct {
		header map[string]string
		want   bool
	}{
		"plain HTTP":                       {nil, false},
		"HTTPS terminated at the balancer": {map[string]string{"X-Forwarded-Proto": "https"}, true},
		"HTTP said so by the balancer":     {map[string]string{"X-Forwarded-Proto": "http"}, false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			mux := http.NewServeMux()
			Register(mux, Options{Store: newStore(t)})
			r := httptest.NewRequest(http.MethodGet, "/?lang=es", nil)
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			mux.ServeHTTP(w, r)
			cookies := w.Result().Cookies()
			if len(cookies) == 0 {
				t.Fatalf("got no cookie for ?lang=es")
			}
			for _, c := range cookies {
				if c.Secure != tt.want || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
					t.Errorf("got cookie %s Secure=%v HttpOnly=%v SameSite=%v, want Secure=%v HttpOnly SameSite=Lax", c.Name, c.Secure, c.HttpOnly, c.SameSite, tt.want)
				}
			}
		})
	}
}
