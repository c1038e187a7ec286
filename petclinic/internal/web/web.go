// Package web is PetClinic's server-rendered HTML UI, a port of Spring
// PetClinic's Thymeleaf UI: the same URLs, form fields, messages and flows,
// rendered with html/template from embedded templates and assets. It keeps
// no server-side session: flash messages and the chosen language travel in
// cookies, so any replica can serve any request.
package web

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gamedayhq/gameday/petclinic"
)

// Options configures the UI.
type Options struct {
	// Store holds the data. Required.
	Store petclinic.Store
	// Logger receives server errors. Defaults to slog.Default().
	Logger *slog.Logger
	// Now is the clock that decides "today" (default visit date, birth dates
	// in the future). Defaults to time.Now.
	Now func() time.Time
}

// Register adds the UI's routes to mux, one pattern per route. It panics if
// an embedded template or message file is broken, which tests catch.
//
// Besides the pages it registers "GET /resources/{path...}" for the assets
// and the catch-all "/" that renders the 404 page in the UI's layout, so the
// other packages must not register "/".
func Register(mux *http.ServeMux, opts Options) {
	s, err := newServer(opts)
	if err != nil {
		panic(fmt.Sprintf("web: %v", err))
	}
	s.routes(mux)
}

type server struct {
	store  petclinic.Store
	log    *slog.Logger
	now    func() time.Time
	pages  map[string]*template.Template
	shells *shells
	msgs   catalog
	assets map[string]asset
}

func newServer(opts Options) (*server, error) {
	if opts.Store == nil {
		return nil, errors.New("options: store is required")
	}
	s := &server{store: opts.Store, log: opts.Logger, now: opts.Now}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	var err error
	if s.pages, s.shells, err = parsePages(); err != nil {
		return nil, err
	}
	if s.msgs, err = loadCatalog(); err != nil {
		return nil, err
	}
	if s.assets, err = loadAssets(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *server) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", s.welcome)
	mux.HandleFunc("GET /owners/find", s.findOwnersForm)
	mux.HandleFunc("GET /owners", s.findOwners)
	mux.HandleFunc("GET /owners/new", s.newOwnerForm)
	mux.HandleFunc("POST /owners/new", s.createOwner)
	mux.HandleFunc("GET /owners/{ownerId}", s.showOwner)
	mux.HandleFunc("GET /owners/{ownerId}/edit", s.editOwnerForm)
	mux.HandleFunc("POST /owners/{ownerId}/edit", s.updateOwner)
	mux.HandleFunc("GET /owners/{ownerId}/pets/new", s.newPetForm)
	mux.HandleFunc("POST /owners/{ownerId}/pets/new", s.createPet)
	mux.HandleFunc("GET /owners/{ownerId}/pets/{petId}/edit", s.editPetForm)
	mux.HandleFunc("POST /owners/{ownerId}/pets/{petId}/edit", s.updatePet)
	mux.HandleFunc("GET /owners/{ownerId}/pets/{petId}/visits/new", s.newVisitForm)
	mux.HandleFunc("POST /owners/{ownerId}/pets/{petId}/visits/new", s.createVisit)
	mux.HandleFunc("GET /vets.html", s.vetsPage)
	mux.HandleFunc("GET /vets", s.vetsJSON)
	mux.HandleFunc("GET /oups", s.oups)
	mux.HandleFunc("GET /resources/{path...}", s.asset)
	mux.HandleFunc("/", s.notFound)
}

//go:embed templates/*.html
var templateFiles embed.FS

// parsePages parses every page once, each with the layout and fragments,
// and the layout alone for the shells.
func parsePages() (map[string]*template.Template, *shells, error) {
	funcs := template.FuncMap{
		"date":  formatDate,
		"field": newField,
		"add":   func(a, b int) int { return a + b },
		"icon":  icon,
		"pager": func(p pagination, l localizer) any {
			return struct {
				P pagination
				L localizer
			}{p, l}
		},
		"selectField": func(label, name, value string, options []string, errs []string) field {
			return field{Label: label, Name: name, Value: value, Options: options, Errors: errs}
		},
	}
	base, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/fragments.html")
	if err != nil {
		return nil, nil, fmt.Errorf("parse layout: %w", err)
	}
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, nil, err
	}
	pages := map[string]*template.Template{}
	for _, name := range names {
		page := name[len("templates/") : len(name)-len(".html")]
		if page == "layout" || page == "fragments" {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(templateFiles, name)
		if err != nil {
			return nil, nil, fmt.Errorf("parse %s: %w", name, err)
		}
		pages[page] = t
	}
	sh, err := newShells(funcs)
	if err != nil {
		return nil, nil, err
	}
	return pages, sh, nil
}

// view is what every page template receives.
type view struct {
	L    localizer
	Lang string
	// Menu is the active navbar entry: home, owners, vets or error.
	Menu string
	// LangLinks switch the language of the current page.
	LangLinks []langLink
	Data      any
}

type langLink struct {
	Lang, Href string
	Active     bool
}

// render writes page with status: the layout (shell.go) around the page's
// content template.
func (s *server) render(w http.ResponseWriter, r *http.Request, status int, page, menu string, data any) {
	v := s.view(w, r, menu, data)
	s.write(w, r, status, page, v, func(buf *bytes.Buffer) error {
		return s.pages[page].ExecuteTemplate(buf, "content", v)
	})
}

// view is what the templates of a page receive for r.
func (s *server) view(w http.ResponseWriter, r *http.Request, menu string, data any) view {
	lang := resolveLang(w, r)
	v := view{L: localizer{lang: lang, messages: s.msgs[lang]}, Lang: lang, Menu: menu, Data: data,
		LangLinks: make([]langLink, 0, len(languages))}
	for _, l := range languages {
		href := r.URL.Path + "?lang=" + l
		if r.Method == http.MethodGet && r.URL.RawQuery != "" {
			q := r.URL.Query()
			q.Set("lang", l)
			href = r.URL.Path + "?" + q.Encode()
		}
		v.LangLinks = append(v.LangLinks, langLink{Lang: l, Href: href, Active: l == lang})
	}
	return v
}

// write sends the layout around what content writes, with status. It
// renders into a buffer first so a template error becomes a clean 500
// instead of half a page.
func (s *server) write(w http.ResponseWriter, r *http.Request, status int, page string, v view, content func(*bytes.Buffer) error) {
	sh, err := s.shells.get(v)
	var buf bytes.Buffer
	if err == nil {
		buf.Grow(len(sh.head) + len(sh.tail) + 4096)
		buf.Write(sh.head)
		err = content(&buf)
		buf.Write(sh.tail)
	}
	if err != nil {
		s.log.ErrorContext(r.Context(), "render page", "page", page, "err", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// Known length: net/http would send a page over its 4 KB buffer chunked.
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes()) // the client went away: nothing left to tell it
}

// localizer returns the request's localizer without touching cookies, for
// handlers that localize form errors before rendering.
func (s *server) localizer(r *http.Request) localizer {
	lang := defaultLang
	if l, ok := supportedLang(r.URL.Query().Get("lang")); ok {
		lang = l
	} else if c, err := r.Cookie(localeCookie); err == nil {
		if l, ok := supportedLang(c.Value); ok {
			lang = l
		}
	}
	return localizer{lang: lang, messages: s.msgs[lang]}
}

// errorPage is the data of Spring Boot's error view (templates/error.html).
type errorPage struct {
	Status  int
	Message string
}

// fail renders the error page for err: 404 for a missing entity, 500 (and a
// log line) for anything else. The page never shows internal details.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, petclinic.ErrNotFound) {
		s.renderError(w, r, http.StatusNotFound, s.localizer(r).T("notFoundPage"))
		return
	}
	level := slog.LevelError
	if errors.Is(err, context.Canceled) {
		level = slog.LevelWarn // the client went away
	}
	s.log.Log(r.Context(), level, "web request", "method", r.Method, "path", r.URL.Path, "err", err)
	s.renderError(w, r, http.StatusInternalServerError, s.localizer(r).T("serverError"))
}

func (s *server) renderError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	s.render(w, r, status, "error", "error", errorPage{Status: status, Message: msg})
}

func (s *server) badRequest(w http.ResponseWriter, r *http.Request) {
	s.renderError(w, r, http.StatusBadRequest, s.localizer(r).T("badRequest"))
}

func (s *server) notFound(w http.ResponseWriter, r *http.Request) {
	s.renderError(w, r, http.StatusNotFound, s.localizer(r).T("notFoundPage"))
}

// oups is Spring PetClinic's CrashController: it fails on purpose.
func (s *server) oups(w http.ResponseWriter, r *http.Request) {
	s.renderError(w, r, http.StatusInternalServerError,
		"Expected: controller used to showcase what happens when an exception is thrown")
}

func (s *server) welcome(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "welcome", "home", nil)
}

// pathID reads a numeric path value such as {ownerId}. Java answers a
// non-numeric id with 400 (type mismatch), and so does the port.
func pathID(r *http.Request, name string) (int, bool) {
	id, err := strconv.Atoi(r.PathValue(name))
	return id, err == nil
}

// pageParam reads ?page= (default 1). A page below 1 or not a number is a bad
// request.
func pageParam(r *http.Request) (int, bool) {
	p := r.URL.Query().Get("page")
	if p == "" {
		return 1, true
	}
	n, err := strconv.Atoi(p)
	return n, err == nil && n >= 1
}

func itoa(n int) string { return strconv.Itoa(n) }

// field is the data of the input and select fragments.
type field struct {
	Label, Name, Type, Value string
	Errors                   []string
	Options                  []string
}

func newField(label, name, typ, value string, errs []string) field {
	return field{Label: label, Name: name, Type: typ, Value: value, Errors: errs}
}
