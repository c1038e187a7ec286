package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/gamedayhq/gameday/petclinic"
	"github.com/gamedayhq/gameday/petclinic/internal/sqlstore"
)

// testNow is the clock of every test server: birth dates after it are in
// the future.
var testNow = time.Date(2026, 11, 27, 15, 4, 5, 0, time.UTC)

// day parses a yyyy-MM-dd date.
func day(s string) time.Time {
	d, err := time.Parse(petclinic.DateLayout, s)
	if err != nil {
		panic(err)
	}
	return d
}

// openStore opens the real SQLite store in memory, seeded with Spring
// PetClinic's sample data when seed is set.
func openStore(t *testing.T, seed bool) petclinic.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	db, err := sqlstore.Open(ctx, sqlstore.Config{Seed: seed})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// newServer serves the API on store; it logs to the test log.
func newServer(t *testing.T, store petclinic.Store, security bool) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	Register(mux, Options{
		Store:    store,
		Logger:   testLogger(t),
		Security: security,
		Now:      func() time.Time { return testNow },
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// testLogger sends warnings and errors of the server to the test log.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// exchange is one request of a contract test and what must come back.
type exchange struct {
	method, path string
	body         string
	// contentType defaults to application/json when there is a body.
	contentType string
	header      map[string]string
	wantStatus  int
	// contractRejects says the request itself breaks the OpenAPI contract,
	// and the contract validator must agree.
	contractRejects bool
	// noOperation says the contract has no operation for the request.
	noOperation bool
	check       func(t *testing.T, body any, h http.Header)
}

// contract runs exchanges against a server and validates each request and
// response with kin-openapi against testdata/petclinic-rest-openapi.yml.
type contract struct {
	srv    *httptest.Server
	router routers.Router
	// deviations: every response the validator flags must be listed, keyed
	// "operationId status", and every listed one must be seen (see
	// contract_test.go).
	deviations, requestDeviations map[string]string
	seen                          map[string]bool
	// ops counts the exchanges per operationId.
	ops map[string]int
	doc *openapi3.T
}

func newContract(t *testing.T, srv *httptest.Server) *contract {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile("testdata/petclinic-rest-openapi.yml")
	if err != nil {
		t.Fatalf("load contract: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("contract is invalid: %v", err)
	}
	doc.Servers = openapi3.Servers{{URL: srv.URL + Prefix}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("router: %v", err)
	}
	return &contract{srv: srv, router: router, deviations: responseDeviations, requestDeviations: requestDeviations, seen: map[string]bool{},
		ops: map[string]int{}, doc: doc}
}

var validationOptions = &openapi3filter.Options{MultiError: true, IncludeResponseStatus: true}

func (c *contract) run(t *testing.T, name string, ex exchange) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		ctx := context.Background()
		req := ex.request(t, c.srv.URL)
		route, params, err := c.router.FindRoute(req)
		if ex.noOperation {
			if err == nil {
				t.Fatalf("the contract has operation %s for %s %s", route.Operation.OperationID, ex.method, ex.path)
			}
		} else if err != nil {
			t.Fatalf("no operation in the contract for %s %s: %v", ex.method, ex.path, err)
		}
		var in *openapi3filter.RequestValidationInput
		if route != nil {
			in = &openapi3filter.RequestValidationInput{Request: ex.request(t, c.srv.URL), PathParams: params, Route: route, Options: validationOptions}
			err := openapi3filter.ValidateRequest(ctx, in)
			op := route.Operation.OperationID
			c.ops[op]++
			switch {
			case ex.contractRejects && err == nil:
				t.Errorf("the contract accepts this request; the case says it rejects it")
			case !ex.contractRejects && err != nil && c.requestDeviations[op] == "":
				t.Errorf("the contract rejects this request (list it in requestDeviations if deliberate): %v", err)
			case !ex.contractRejects && err != nil:
				c.seen["request "+op] = true
			}
		}

		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", ex.method, ex.path, err)
		}
		raw, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != ex.wantStatus {
			t.Errorf("status: got %d, want %d; body %s", resp.StatusCode, ex.wantStatus, raw)
		}
		if in != nil {
			err := openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{
				RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
				Body: io.NopCloser(bytes.NewReader(raw)), Options: validationOptions,
			})
			key := in.Route.Operation.OperationID + " " + strconv.Itoa(resp.StatusCode)
			if err != nil {
				if c.deviations[key] == "" {
					t.Errorf("response breaks the contract (list %q in responseDeviations if deliberate): %v", key, err)
				} else {
					t.Logf("listed deviation %q: %v", key, err)
				}
				c.seen[key] = true
			}
		}
		if ex.check != nil {
			var body any
			if len(raw) > 0 {
				if err := json.Unmarshal(raw, &body); err != nil {
					t.Fatalf("body is not JSON: %v: %s", err, raw)
				}
			}
			ex.check(t, body, resp.Header)
		}
	})
}

func (ex exchange) request(t *testing.T, base string) *http.Request {
	t.Helper()
	var body io.Reader
	if ex.body != "" {
		body = strings.NewReader(ex.body)
	}
	req, err := http.NewRequest(ex.method, base+ex.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if ex.body != "" {
		ct := ex.contentType
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	for k, v := range ex.header {
		req.Header.Set(k, v)
	}
	return req
}

// at walks a decoded JSON value along a dotted path; numbers index arrays.
func at(t *testing.T, v any, path string) any {
	t.Helper()
	for _, part := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[part]; !ok {
				t.Fatalf("no %q in %v (path %s)", part, x, path)
			}
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i >= len(x) {
				t.Fatalf("no index %q in array of %d (path %s)", part, len(x), path)
			}
			v = x[i]
		default:
			t.Fatalf("cannot walk %q into %T (path %s)", part, v, path)
		}
	}
	return v
}

// expect asserts JSON values by path; numbers compare as float64.
func expect(pairs ...any) func(t *testing.T, body any, h http.Header) {
	return func(t *testing.T, body any, h http.Header) {
		t.Helper()
		for i := 0; i < len(pairs); i += 2 {
			path := pairs[i].(string)
			want := pairs[i+1]
			if n, ok := want.(int); ok {
				want = float64(n)
			}
			var got any
			if path == "len" {
				got = float64(len(body.([]any)))
			} else if strings.HasSuffix(path, ".len") {
				got = float64(len(at(t, body, strings.TrimSuffix(path, ".len")).([]any)))
			} else if strings.HasPrefix(path, "header ") {
				got = h.Get(strings.TrimPrefix(path, "header "))
			} else {
				got = at(t, body, path)
			}
			if got != want {
				t.Errorf("%s: got %v (%T), want %v (%T)", path, got, got, want, want)
			}
		}
	}
}

// uncovered lists the contract's operations that no exchange exercised.
func (c *contract) uncovered() []string {
	var out []string
	for _, item := range c.doc.Paths.Map() {
		for _, op := range item.Operations() {
			if c.ops[op.OperationID] == 0 {
				out = append(out, op.OperationID)
			}
		}
	}
	return out
}
