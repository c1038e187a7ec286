package api

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

type call struct {
	method, path, body string
	user, password     string
	header             map[string]string
}

func (c call) do(t *testing.T, srv *httptest.Server) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	req, err := http.NewRequest(c.method, srv.URL+c.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if c.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.user != "" {
		req.SetBasicAuth(c.user, c.password)
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// TestBasicAuthenticationAndRoles runs with petclinic.security.enable=true:
// the seeded admin ({noop}admin, all three roles) creates users whose
// {bcrypt} passwords and roles then decide, as the Java @PreAuthorize
// annotations do.
func TestBasicAuthenticationAndRoles(t *testing.T) {
	var logs bytes.Buffer
	mux := http.NewServeMux()
	Register(mux, Options{Store: openStore(t, true), Security: true, Now: func() time.Time { return testNow },
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	p := Prefix

	setup := []call{
		{method: "POST", path: p + "/users", user: "admin", password: "admin", body: `{"username":"vetty","password":"Vet-Pa55","enabled":true,"roles":[{"name":"VET_ADMIN"}]}`},
		{method: "POST", path: p + "/users", user: "admin", password: "admin", body: `{"username":"front","password":"Front-Pa55","enabled":true,"roles":[{"name":"ROLE_OWNER_ADMIN"}]}`},
		{method: "POST", path: p + "/users", user: "admin", password: "admin", body: `{"username":"gone","password":"Gone-Pa55","enabled":false,"roles":[{"name":"ADMIN"}]}`},
	}
	for _, c := range setup {
		if resp, body := c.do(t, srv); resp.StatusCode != http.StatusCreated {
			t.Fatalf("create user: got %d %s", resp.StatusCode, body)
		}
	}

	tests := map[string]struct {
		call       call
		wantStatus int
	}{
		"no credentials are a 401":                         {call{method: "GET", path: p + "/owners"}, 401},
		"a wrong password is a 401":                        {call{method: "GET", path: p + "/owners", user: "admin", password: "nimda"}, 401},
		"an unknown user is a 401":                         {call{method: "GET", path: p + "/owners", user: "nobody", password: "admin"}, 401},
		"a disabled user is a 401":                         {call{method: "GET", path: p + "/oops", user: "gone", password: "Gone-Pa55"}, 401},
		"the {noop} admin may list owners":                 {call{method: "GET", path: p + "/owners", user: "admin", password: "admin"}, 200},
		"a bcrypt vet admin may list vets":                 {call{method: "GET", path: p + "/vets", user: "vetty", password: "Vet-Pa55"}, 200},
		"a vet admin may not list owners":                  {call{method: "GET", path: p + "/owners", user: "vetty", password: "Vet-Pa55"}, 403},
		"a vet admin may add pet types":                    {call{method: "POST", path: p + "/pettypes", user: "vetty", password: "Vet-Pa55", body: `{"name":"ferret"}`}, 201},
		"an owner admin may read pet types":                {call{method: "GET", path: p + "/pettypes/1", user: "front", password: "Front-Pa55"}, 200},
		"an owner admin may not add pet types":             {call{method: "POST", path: p + "/pettypes", user: "front", password: "Front-Pa55", body: `{"name":"ferret"}`}, 403},
		"an owner admin may not read specialties":          {call{method: "GET", path: p + "/specialties", user: "front", password: "Front-Pa55"}, 403},
		"an owner admin may book visits":                   {call{method: "GET", path: p + "/visits", user: "front", password: "Front-Pa55"}, 200},
		"an owner admin may not add users":                 {call{method: "POST", path: p + "/users", user: "front", password: "Front-Pa55", body: `{"username":"x","password":"y","roles":[{"name":"ADMIN"}]}`}, 403},
		"any authenticated user reaches oops":              {call{method: "GET", path: p + "/oops", user: "vetty", password: "Vet-Pa55"}, 400},
		"an unknown route needs authentication first":      {call{method: "GET", path: p + "/nowhere"}, 401},
		"an authenticated unknown route is a 404":          {call{method: "GET", path: p + "/nowhere", user: "front", password: "Front-Pa55"}, 404},
		"a CORS preflight needs no authentication":         {call{method: "OPTIONS", path: p + "/owners", header: map[string]string{"Origin": "http://ui.example", "Access-Control-Request-Method": "GET"}}, 200},
		"a cached password still has to be the right one":  {call{method: "GET", path: p + "/vets", user: "vetty", password: "Vet-Pa56"}, 401},
		"a user name is matched exactly, not by prefix":    {call{method: "GET", path: p + "/vets", user: "vett", password: "Vet-Pa55"}, 401},
		"a password with the {noop} id itself is no match": {call{method: "GET", path: p + "/owners", user: "admin", password: "{noop}admin"}, 401},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			resp, body := tt.call.do(t, srv)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("got %d, want %d: %s", resp.StatusCode, tt.wantStatus, body)
			}
			if tt.wantStatus == 401 {
				if got := resp.Header.Get("WWW-Authenticate"); got != `Basic realm="Realm"` {
					t.Errorf("WWW-Authenticate: got %q", got)
				}
			}
		})
	}

	// Warnings are logged (an unreadable body here), but never credentials.
	c := call{method: "POST", path: p + "/owners", user: "admin", password: "admin", body: `{`, header: map[string]string{"X-Test": "x"}}
	if resp, _ := c.do(t, srv); resp.StatusCode != 400 {
		t.Fatalf("unreadable body: got %d, want 400", resp.StatusCode)
	}
	for _, secret := range []string{"Vet-Pa55", "Front-Pa55", "Gone-Pa55", "YWRtaW46YWRtaW4", "Basic "} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the log contains %q:\n%s", secret, logs.String())
		}
	}
	if !strings.Contains(logs.String(), "unreadable request") {
		t.Errorf("the log misses the unreadable request warning:\n%s", logs.String())
	}
}

func TestVerifyPassword(t *testing.T) {
	// The bcrypt example of Spring Security's DelegatingPasswordEncoder
	// documentation: "password" as BCryptPasswordEncoder writes it.
	const hash = "$2a$10$dXJ3SW6G7P50lGmMkkmwe.20cQQubK3.HZWzG3YB1tlRy.fqvM/BG"
	tests := map[string]struct {
		encoded, raw string
		want         bool
	}{
		"noop matches the same text":         {"{noop}admin", "admin", true},
		"noop refuses other text":            {"{noop}admin", "admin ", false},
		"bcrypt matches its password":        {"{bcrypt}" + hash, "password", true},
		"bcrypt refuses another password":    {"{bcrypt}" + hash, "Password", false},
		"no encoder id never matches":        {"admin", "admin", false},
		"an unknown encoder never matches":   {"{sha256}admin", "admin", false},
		"a broken bcrypt hash never matches": {"{bcrypt}$2a$04$short", "admin", false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := verifyPassword(tt.encoded, tt.raw); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCORSLikeCrossOrigin(t *testing.T) {
	srv := newServer(t, openStore(t, true), false)
	p := Prefix
	tests := map[string]struct {
		call       call
		wantStatus int
		want       map[string]string
	}{
		"a cross-origin GET may read the response and its errors header": {
			call{method: "GET", path: p + "/pettypes/1", header: map[string]string{"Origin": "http://ui.example:4200"}}, 200,
			map[string]string{"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "errors, content-type", "Vary": "Origin"}},
		"an error response carries the CORS headers too": {
			call{method: "GET", path: p + "/owners/999", header: map[string]string{"Origin": "http://ui.example:4200"}}, 404,
			map[string]string{"Access-Control-Allow-Origin": "*"}},
		"a same-origin request gets no CORS headers": {
			call{method: "GET", path: p + "/pettypes/1", header: map[string]string{"Origin": srv.URL}}, 200,
			map[string]string{"Access-Control-Allow-Origin": ""}},
		"a preflight allows the requested method and headers for 30 minutes": {
			call{method: "OPTIONS", path: p + "/owners/1", header: map[string]string{"Origin": "http://ui.example:4200",
				"Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "content-type,authorization"}}, 200,
			map[string]string{"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "PUT",
				"Access-Control-Allow-Headers": "content-type,authorization", "Access-Control-Max-Age": "1800"}},
		"a preflight for a method the path lacks is refused": {
			call{method: "OPTIONS", path: p + "/owners/1", header: map[string]string{"Origin": "http://ui.example:4200", "Access-Control-Request-Method": "PATCH"}}, 403,
			map[string]string{"Access-Control-Allow-Origin": ""}},
		"a plain OPTIONS lists the methods": {
			call{method: "OPTIONS", path: p + "/owners/1"}, 200,
			map[string]string{"Allow": "GET,PUT,DELETE,HEAD,OPTIONS"}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			resp, body := tt.call.do(t, srv)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("got %d, want %d: %s", resp.StatusCode, tt.wantStatus, body)
			}
			for k, want := range tt.want {
				if got := resp.Header.Get(k); got != want {
					t.Errorf("%s: got %q, want %q", k, got, want)
				}
			}
		})
	}
}
