package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/gamedayhq/gameday/petclinic"
	"github.com/gamedayhq/gameday/petclinic/internal/browsertest"
	"github.com/gamedayhq/gameday/petclinic/internal/cache"
)

// spaPage is a single-page client of the REST API: api() calls it with
// fetch in its default cache mode, so the browser's HTTP cache stores and
// revalidates responses as it would for any such client, and the page shows
// every exchange.
const spaPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>PetClinic SPA</title>
<style>body{font:13px monospace;margin:1em}li{white-space:pre-wrap}</style></head>
<body><h1>PetClinic REST client</h1><ol id="log"></ol>
<script>
performance.setResourceTimingBufferSize(100000);
window.api = async (method, path, body) => {
  const init = {method, headers: {Accept: 'application/json'}};
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const r = await fetch('/petclinic/api' + path, init);
  const text = await r.text();
  const timing = performance.getEntriesByName(r.url).pop();
  const fromCache = !!timing && timing.transferSize === 0 && timing.decodedBodySize > 0;
  const li = document.createElement('li');
  li.textContent = method + ' ' + path + ' -> ' + r.status + (fromCache ? ' (from cache) ' : ' ') + text.slice(0, 160);
  document.getElementById('log').appendChild(li);
  return {status: r.status, body: text === '' ? null : JSON.parse(text), fromCache,
          etag: r.headers.get('ETag') || '', cacheControl: r.headers.get('Cache-Control') || ''};
};
</script></body></html>`

// reply is what api() returns to the test.
type reply struct {
	Status       int             `json:"status"`
	Body         json.RawMessage `json:"body"`
	FromCache    bool            `json:"fromCache"`
	ETag         string          `json:"etag"`
	CacheControl string          `json:"cacheControl"`
}

// spa drives the page in headless Chromium.
type spa struct {
	t   *testing.T
	ctx context.Context
	log *os.File
}

// exchange makes the page's client call the API and logs the exchange.
func (c *spa) exchange(method, path string, body any) reply {
	c.t.Helper()
	arg := "undefined"
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		arg = string(b)
	}
	js := fmt.Sprintf("api(%q, %q, %s)", method, path, arg)
	r, err := chromedp.Run(c.ctx, chromedp.Evaluate[reply](js, chromedp.EvalAwaitPromise))
	if err != nil {
		c.t.Fatalf("%s %s in the browser: %v", method, path, err)
	}
	fmt.Fprintf(c.log, "%s %s -> %d fromCache=%v etag=%q %s\n", method, path, r.Status, r.FromCache, r.ETag, r.Body)
	return r
}

// call is exchange for the story: every answer must be fresh and carry no
// validator.
func (c *spa) call(method, path string, body any) reply {
	c.t.Helper()
	r := c.exchange(method, path, body)
	if r.ETag != "" || r.FromCache {
		c.t.Errorf("%s %s: ETag %q, from cache %v; want a fresh answer without validators", method, path, r.ETag, r.FromCache)
	}
	return r
}

// read calls and decodes a 200 body into v.
func (c *spa) read(path string, v any) {
	c.t.Helper()
	r := c.call("GET", path, nil)
	if r.Status != http.StatusOK {
		c.t.Fatalf("GET %s: got %d, want 200: %s", path, r.Status, r.Body)
	}
	if err := json.Unmarshal(r.Body, v); err != nil {
		c.t.Fatalf("GET %s: %v: %s", path, err, r.Body)
	}
}

// send calls a write and checks its status; it returns the body's id, if any.
func (c *spa) send(method, path string, body any, want int) int {
	c.t.Helper()
	r := c.call(method, path, body)
	if r.Status != want {
		c.t.Fatalf("%s %s: got %d, want %d: %s", method, path, r.Status, want, r.Body)
	}
	var created struct{ ID int }
	if len(r.Body) > 0 {
		_ = json.Unmarshal(r.Body, &created)
	}
	return created.ID
}

type (
	jsType struct {
		ID   int    `json:"id"`
		Name string `json:"name"`
	}
	jsVisit struct {
		ID          int
		Description string
	}
	jsPet struct {
		ID     int
		Name   string
		Type   jsType
		Visits []jsVisit
	}
	jsOwner struct {
		ID        int
		LastName  string
		Telephone string
		Pets      []jsPet
	}
	jsVet struct {
		ID          int
		LastName    string
		Specialties []jsType
	}
)

func petNamed(pets []jsPet, name string) *jsPet {
	for i := range pets {
		if pets[i].Name == name {
			return &pets[i]
		}
	}
	return nil
}

func vetNamed(vets []jsVet, lastName string) *jsVet {
	for i := range vets {
		if vets[i].LastName == lastName {
			return &vets[i]
		}
	}
	return nil
}

// spaServer serves the page and the API on store, counting the conditional
// requests and 304s that reach the server; wrap may change the API's answers
// (the control case).
type spaServer struct {
	*httptest.Server
	conditional, notModified atomic.Int64
}

func newSPAServer(t *testing.T, store petclinic.Store, wrap func(http.Handler) http.Handler) *spaServer {
	t.Helper()
	mux := http.NewServeMux()
	Register(mux, Options{Store: store, Logger: testLogger(t), Now: func() time.Time { return testNow }})
	var api http.Handler = mux
	if wrap != nil {
		api = wrap(mux)
	}
	s := &spaServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write([]byte(spaPage))
			return
		}
		if r.Header.Get("If-None-Match") != "" || r.Header.Get("If-Modified-Since") != "" {
			s.conditional.Add(1)
		}
		rec := &statusWriter{ResponseWriter: w}
		api.ServeHTTP(rec, r)
		if rec.status == http.StatusNotModified {
			s.notModified.Add(1)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func openSPA(t *testing.T, url, name string) *spa {
	t.Helper()
	ctx := browsertest.New(t, 120*time.Second)
	if err := chromedp.Do(ctx, chromedp.Navigate(url+"/"), chromedp.WaitReady(chromedp.CSS(`#log`))); err != nil {
		t.Fatalf("open the client: %v", err)
	}
	dir := browsertest.Artifacts(t, filepath.Join("..", ".."))
	f, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = f.Close()
		t.Logf("exchanges: %s", f.Name())
		browsertest.Screenshot(t, ctx, dir, name+".png")
	})
	return &spa{t: t, ctx: ctx, log: f}
}

// TestBrowserSPA uses the REST API the way a single-page client does, in
// headless Chromium with its HTTP cache on, over the real SQLite store behind
// the vets cache (in-process, and a real Redis when one is configured). Every
// write is followed by the reads a client makes next, each read having been
// made before the write, so a stale 304 or a stale cache entry fails a step.
// It covers each edge along which a write changes another resource's
// representation: owner <- pet <- visit, pet <- pet type, vet <- specialty.
func TestBrowserSPA(t *testing.T) {
	backends := map[string]func(t *testing.T) cache.Backend{
		"in-process cache": func(*testing.T) cache.Backend { return cache.NewInProcess() },
		"redis cache": func(t *testing.T) cache.Backend {
			addr := os.Getenv("PETCLINIC_TEST_REDIS_ADDR")
			if addr == "" {
				if os.Getenv("CI") != "" {
					t.Fatal("PETCLINIC_TEST_REDIS_ADDR is not set and CI must run the Redis tests")
				}
				t.Skip(`PETCLINIC_TEST_REDIS_ADDR is not set; run eval "$(scripts/services/redis.sh start)"`)
			}
			b, err := cache.NewRedis(t.Context(), "redis://"+addr+"/0", cache.RedisOptions{Timeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			return b
		},
	}
	for name, backend := range backends {
		t.Run(name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			key := fmt.Sprintf("petclinic:test:spa:%d", time.Now().UnixNano())
			b := backend(t)
			store := cache.Wrap(openStore(t, true), b, cache.Options{Key: key, Registerer: reg, Timeout: time.Second})
			t.Cleanup(func() { _ = b.Delete(context.Background(), key) })
			srv := newSPAServer(t, store, nil)
			c := openSPA(t, srv.URL, "spa-"+strings.ReplaceAll(name, " ", "-"))
			spaStory(t, c)
			if n := srv.conditional.Load(); n != 0 {
				t.Errorf("the browser revalidated %d times; with no validators it has nothing to revalidate", n)
			}
			if hits, evictions := counter(t, reg, "cache_gets_total", "hit"), counter(t, reg, "cache_evictions_total", ""); hits == 0 || evictions == 0 {
				t.Errorf("vets cache: %v hits, %v evictions; the story must read from it and evict it", hits, evictions)
			}
		})
	}
}

// spaStory is the client's whole session, step by step.
func spaStory(t *testing.T, c *spa) {
	var owners []jsOwner
	var george jsOwner
	step(t, "list and search owners, open one", func(t *testing.T) {
		c.read("/owners", &owners)
		if len(owners) != 10 {
			t.Fatalf("got %d owners, want the 10 of the seed", len(owners))
		}
		var davis []jsOwner
		c.read("/owners?lastName=Davis", &davis)
		if len(davis) != 2 {
			t.Errorf("search Davis: got %d owners, want 2", len(davis))
		}
		if r := c.call("GET", "/owners?lastName=Picard", nil); r.Status != http.StatusNotFound {
			t.Errorf("search Picard before adding him: got %d, want 404", r.Status)
		}
		c.read("/owners/1", &george)
		if george.LastName != "Franklin" || len(george.Pets) != 1 || george.Pets[0].Name != "Leo" {
			t.Errorf("owner 1: got %+v, want George Franklin with Leo", george)
		}
	})

	var owner jsOwner
	step(t, "add an owner: the list and the search show him", func(t *testing.T) {
		id := c.send("POST", "/owners", map[string]any{"firstName": "Jean-Luc", "lastName": "Picard",
			"address": "1 Chateau Rd.", "city": "La Barre", "telephone": "6085550001"}, http.StatusCreated)
		var after []jsOwner
		c.read("/owners", &after)
		if len(after) != len(owners)+1 {
			t.Errorf("owners after adding one: got %d, want %d", len(after), len(owners)+1)
		}
		var found []jsOwner
		c.read("/owners?lastName=Picard", &found)
		if len(found) != 1 || found[0].ID != id {
			t.Fatalf("search Picard: got %+v, want owner %d", found, id)
		}
		c.read(fmt.Sprintf("/owners/%d", id), &owner)
	})
	ownerPath := fmt.Sprintf("/owners/%d", owner.ID)

	step(t, "edit the owner: the owner and the search show the change", func(t *testing.T) {
		c.send("PUT", ownerPath, map[string]any{"firstName": "Jean-Luc", "lastName": "Picard",
			"address": "1 Chateau Rd.", "city": "La Barre", "telephone": "6085550002"}, http.StatusNoContent)
		c.read(ownerPath, &owner)
		var found []jsOwner
		c.read("/owners?lastName=Picard", &found)
		if owner.Telephone != "6085550002" || len(found) != 1 || found[0].Telephone != "6085550002" {
			t.Errorf("after the edit: owner %+v, search %+v; want telephone 6085550002", owner, found)
		}
	})

	var types []jsType
	var dog, cat jsType
	var pet jsPet
	step(t, "add a pet with a type: the owner shows it (owner <- pet)", func(t *testing.T) {
		c.read("/pettypes", &types)
		for _, ty := range types {
			switch ty.Name {
			case "dog":
				dog = ty
			case "cat":
				cat = ty
			}
		}
		id := c.send("POST", ownerPath+"/pets", map[string]any{"name": "Number One", "birthDate": "2020-01-02",
			"type": dog}, http.StatusCreated)
		c.read(ownerPath, &owner)
		p := petNamed(owner.Pets, "Number One")
		if p == nil || p.ID != id || p.Type.Name != "dog" {
			t.Fatalf("owner after adding a pet: %+v, want Number One (%d), a dog", owner, id)
		}
		c.read(fmt.Sprintf("/pets/%d", id), &pet)
	})
	petPath := fmt.Sprintf("/pets/%d", pet.ID)

	step(t, "edit the pet's name and type: owner and pet show it (owner <- pet)", func(t *testing.T) {
		c.send("PUT", fmt.Sprintf("%s/pets/%d", ownerPath, pet.ID), map[string]any{"name": "Riker", "birthDate": "2020-01-02",
			"type": cat}, http.StatusNoContent)
		c.read(ownerPath, &owner)
		c.read(petPath, &pet)
		var owned jsPet
		c.read(fmt.Sprintf("%s/pets/%d", ownerPath, pet.ID), &owned)
		for what, p := range map[string]*jsPet{"owner's pet list": petNamed(owner.Pets, "Riker"), "pet": &pet, "owner's pet": &owned} {
			if p == nil || p.Name != "Riker" || p.Type.Name != "cat" {
				t.Errorf("%s after the edit: %+v, want Riker the cat", what, p)
			}
		}
	})

	step(t, "add a visit: owner and pet show it (owner <- pet <- visit)", func(t *testing.T) {
		var visits []jsVisit
		c.read("/visits", &visits)
		c.send("POST", fmt.Sprintf("%s/pets/%d/visits", ownerPath, pet.ID), map[string]any{"date": "2026-11-20",
			"description": "warp core checkup"}, http.StatusCreated)
		c.read(ownerPath, &owner)
		c.read(petPath, &pet)
		var after []jsVisit
		c.read("/visits", &after)
		p := petNamed(owner.Pets, "Riker")
		if p == nil || len(p.Visits) != 1 || p.Visits[0].Description != "warp core checkup" {
			t.Errorf("owner after the visit: %+v, want Riker with the checkup", owner)
		}
		if len(pet.Visits) != 1 || len(after) != len(visits)+1 {
			t.Errorf("pet after the visit: %+v; visits %d, want %d", pet, len(after), len(visits)+1)
		}
	})

	var vets []jsVet
	var spec jsType
	step(t, "list vets, add a specialty and a vet with it: the lists show them", func(t *testing.T) {
		c.read("/vets", &vets)
		if len(vets) != 6 {
			t.Fatalf("got %d vets, want the 6 of the seed", len(vets))
		}
		var specs []jsType
		c.read("/specialties", &specs)
		id := c.send("POST", "/specialties", map[string]any{"id": 0, "name": "xenobiology"}, http.StatusCreated)
		var after []jsType
		c.read("/specialties", &after)
		if len(after) != len(specs)+1 {
			t.Errorf("specialties after adding one: %d, want %d", len(after), len(specs)+1)
		}
		c.read(fmt.Sprintf("/specialties/%d", id), &spec)
		c.send("POST", "/vets", map[string]any{"id": 0, "firstName": "Beverly", "lastName": "Crusher",
			"specialties": []any{spec}}, http.StatusCreated)
		c.read("/vets", &vets)
		v := vetNamed(vets, "Crusher")
		if v == nil || len(v.Specialties) != 1 || v.Specialties[0].Name != "xenobiology" {
			t.Errorf("vets after adding Crusher: %+v, want her with xenobiology", vets)
		}
	})

	step(t, "rename the specialty: the vets show the new name (vet <- specialty)", func(t *testing.T) {
		c.read("/vets", &vets) // the cached list, as the last read left it
		c.send("PUT", fmt.Sprintf("/specialties/%d", spec.ID), map[string]any{"id": spec.ID, "name": "exobiology"}, http.StatusNoContent)
		c.read(fmt.Sprintf("/specialties/%d", spec.ID), &spec)
		c.read("/vets", &vets)
		v := vetNamed(vets, "Crusher")
		var one jsVet
		if v != nil {
			c.read(fmt.Sprintf("/vets/%d", v.ID), &one)
		}
		if spec.Name != "exobiology" || v == nil || len(v.Specialties) != 1 || v.Specialties[0].Name != "exobiology" ||
			len(one.Specialties) != 1 || one.Specialties[0].Name != "exobiology" {
			t.Errorf("after the rename: specialty %+v, vet in list %+v, vet %+v; want exobiology everywhere", spec, v, one)
		}
	})

	step(t, "delete the specialty: it is gone, and from the vet (vet <- specialty)", func(t *testing.T) {
		c.read("/vets", &vets)
		c.send("DELETE", fmt.Sprintf("/specialties/%d", spec.ID), nil, http.StatusNoContent)
		if r := c.call("GET", fmt.Sprintf("/specialties/%d", spec.ID), nil); r.Status != http.StatusNotFound {
			t.Errorf("deleted specialty: got %d, want 404", r.Status)
		}
		c.read("/vets", &vets)
		if v := vetNamed(vets, "Crusher"); v == nil || len(v.Specialties) != 0 {
			t.Errorf("vet after the specialty was deleted: %+v, want no specialty", v)
		}
	})

	var ferret jsType
	step(t, "add a pet type and give it to the pet", func(t *testing.T) {
		id := c.send("POST", "/pettypes", map[string]any{"name": "targ"}, http.StatusCreated)
		var after []jsType
		c.read("/pettypes", &after)
		if len(after) != len(types)+1 {
			t.Errorf("pet types after adding one: %d, want %d", len(after), len(types)+1)
		}
		c.read(fmt.Sprintf("/pettypes/%d", id), &ferret)
		c.send("PUT", petPath, map[string]any{"name": "Riker", "birthDate": "2020-01-02", "type": ferret}, http.StatusNoContent)
		c.read(petPath, &pet)
		c.read(ownerPath, &owner)
		if p := petNamed(owner.Pets, "Riker"); pet.Type.Name != "targ" || p == nil || p.Type.Name != "targ" {
			t.Errorf("after the type change: pet %+v, owner %+v; want a targ", pet, owner)
		}
	})

	step(t, "rename the pet type: pet and owner show it (pet <- pet type)", func(t *testing.T) {
		c.send("PUT", fmt.Sprintf("/pettypes/%d", ferret.ID), map[string]any{"id": ferret.ID, "name": "sehlat"}, http.StatusNoContent)
		c.read(fmt.Sprintf("/pettypes/%d", ferret.ID), &ferret)
		c.read(petPath, &pet)
		c.read(ownerPath, &owner)
		var all []jsPet
		c.read("/pets", &all)
		if p, q := petNamed(owner.Pets, "Riker"), petNamed(all, "Riker"); ferret.Name != "sehlat" || pet.Type.Name != "sehlat" ||
			p == nil || p.Type.Name != "sehlat" || q == nil || q.Type.Name != "sehlat" {
			t.Errorf("after the rename: type %+v, pet %+v, owner's pet %+v, listed pet %+v; want sehlat", ferret, pet, p, q)
		}
	})

	step(t, "delete the pet type: it goes with its pets, as in main", func(t *testing.T) {
		c.send("DELETE", fmt.Sprintf("/pettypes/%d", ferret.ID), nil, http.StatusNoContent)
		for _, path := range []string{fmt.Sprintf("/pettypes/%d", ferret.ID), petPath} {
			if r := c.call("GET", path, nil); r.Status != http.StatusNotFound {
				t.Errorf("GET %s after the delete: got %d, want 404", path, r.Status)
			}
		}
		c.read(ownerPath, &owner)
		if len(owner.Pets) != 0 {
			t.Errorf("owner after the type was deleted: %+v, want no pets", owner)
		}
	})
}

// step runs one step of the story; a failed step stops the story, since the
// next ones build on it.
func step(t *testing.T, name string, f func(t *testing.T)) {
	t.Helper()
	if !t.Run(name, f) {
		t.FailNow()
	}
}

// TestBrowserSPACatchesStaleValidators is the control: the same browser and
// assertions against the API behind the validator this issue removed (a
// tag of the owner's own fields, 304 when it matches). The browser must
// then show the owner without the pet just added, which is what the story
// above would fail on.
func TestBrowserSPACatchesStaleValidators(t *testing.T) {
	ownFields := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, Prefix+"/owners/") {
				next.ServeHTTP(w, r)
				return
			}
			tag := `"` + strings.TrimPrefix(r.URL.Path, Prefix+"/owners/") + `"` // ignores pets, as the old tag did
			w.Header().Set("ETag", tag)
			if r.Header.Get("If-None-Match") == tag {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	srv := newSPAServer(t, openStore(t, true), ownFields)
	c := openSPA(t, srv.URL, "spa-control-stale-etag")
	before := c.read2("/owners/1")
	c.send("POST", "/owners/1/pets", map[string]any{"name": "Stale", "birthDate": "2020-01-02", "type": map[string]any{"id": 2, "name": "dog"}}, http.StatusCreated)
	after := c.read2("/owners/1")
	if srv.notModified.Load() == 0 {
		t.Fatalf("the browser did not revalidate: the control proves nothing")
	}
	if petNamed(after.Pets, "Stale") != nil || len(after.Pets) != len(before.Pets) {
		t.Errorf("with the stale validator the browser showed %+v; want the stale owner %+v", after, before)
	}
}

// read2 reads an owner without the fresh-answer check of call: the control
// expects validators and cached answers.
func (c *spa) read2(path string) jsOwner {
	c.t.Helper()
	r := c.exchange("GET", path, nil)
	if r.Status != http.StatusOK {
		c.t.Fatalf("GET %s: %+v", path, r)
	}
	var o jsOwner
	if err := json.Unmarshal(r.Body, &o); err != nil {
		c.t.Fatal(err)
	}
	return o
}

func counter(t *testing.T, reg *prometheus.Registry, name, result string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if result == "" || labelIs(m, "result", result) {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

func labelIs(m *dto.Metric, name, value string) bool {
	for _, l := range m.GetLabel() {
		if l.GetName() == name && l.GetValue() == value {
			return true
		}
	}
	return false
}
