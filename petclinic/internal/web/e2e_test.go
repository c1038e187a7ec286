package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gamedayhq/gameday/petclinic/internal/browsertest"
)

func newBrowser(t *testing.T, timeout time.Duration) context.Context {
	t.Helper()
	return browsertest.New(t, timeout)
}

// withCSP adds the Content-Security-Policy the service sends (internal/app),
// so the browser tests fail if a page needs anything it forbids.
func withCSP(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'")
		h.ServeHTTP(w, r)
	})
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	browsertest.Screenshot(t, ctx, browsertest.Artifacts(t, filepath.Join("..", "..")), name)
}

// assetsLoaded reports whether every stylesheet and image on the page
// loaded, which fails if a page depends on anything but the server itself.
const assetsLoaded = `(() => {
  const imgs = [...document.images].every(i => i.complete && i.naturalWidth > 0);
  const css = [...document.styleSheets].every(s => s.cssRules.length > 0);
  return imgs && css && document.styleSheets.length > 0;
})()`

const overflowsX = `document.documentElement.scrollWidth > window.innerWidth`

func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

func text(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		t.Fatalf("text of %s: %v", css, err)
	}
	return v
}

// TestBrowserOwnerPetVisitFlow drives the UI in headless Chromium the way a
// receptionist would: find owners, add an owner, a pet and a visit, and see
// the visit on the owner page; then checks the page on a phone.
func TestBrowserOwnerPetVisitFlow(t *testing.T) {
	ctx := newBrowser(t, 90*time.Second)
	srv := httptest.NewServer(withCSP(newHandler(t, newStore(t))))
	defer srv.Close()

	do(t, ctx, "welcome", chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS(`h2`)))
	if !eval[bool](t, ctx, assetsLoaded) {
		t.Errorf("got the welcome page with missing images or styles")
	}
	do(t, ctx, "find owners",
		chromedp.Click(chromedp.CSS(`a.nav-link[href="/owners/find"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#lastName`)),
		chromedp.SendKeys(chromedp.CSS(`#lastName`), "Davis"),
		chromedp.Submit(chromedp.CSS(`#search-owner-form`)),
		chromedp.WaitVisible(chromedp.CSS(`#owners`)),
	)
	listed := text(t, ctx, `#owners`)

	do(t, ctx, "add owner",
		chromedp.Navigate(srv.URL+"/owners/find"),
		chromedp.Click(chromedp.CSS(`a[href="/owners/new"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#add-owner-form`)),
		chromedp.SendKeys(chromedp.CSS(`#firstName`), "Grace"),
		chromedp.SendKeys(chromedp.CSS(`#lastName`), "Hopper"),
		chromedp.SendKeys(chromedp.CSS(`#address`), "1 Compiler Way"),
		chromedp.SendKeys(chromedp.CSS(`#city`), "Arlington"),
		chromedp.SendKeys(chromedp.CSS(`#telephone`), "7035550100"),
		chromedp.Submit(chromedp.CSS(`#add-owner-form`)),
		chromedp.WaitVisible(chromedp.CSS(`#success-message`)),
	)
	ownerMsg := text(t, ctx, `#success-message`)

	do(t, ctx, "add pet",
		chromedp.Click(chromedp.CSS(`a[href$="/pets/new"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#name`)),
		chromedp.SendKeys(chromedp.CSS(`#name`), "Cobol"),
		chromedp.SetValue(chromedp.CSS(`#birthDate`), "2021-06-15"),
		chromedp.SetValue(chromedp.CSS(`#type`), "dog"),
		chromedp.Submit(chromedp.CSS(`#name`)),
		chromedp.WaitVisible(chromedp.CSS(`#success-message`)),
	)
	petMsg := text(t, ctx, `#success-message`)

	do(t, ctx, "add visit",
		chromedp.Click(chromedp.CSS(`a[href$="/visits/new"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#description`)),
		chromedp.SendKeys(chromedp.CSS(`#description`), "first check-up"),
		chromedp.Submit(chromedp.CSS(`#description`)),
		chromedp.WaitVisible(chromedp.CSS(`#success-message`)),
	)
	visitMsg := text(t, ctx, `#success-message`)
	ownerPage := text(t, ctx, `body`)

	checks := []struct{ what, got, want string }{
		{"owners found", listed, "Betty Davis"},
		{"owner flash", ownerMsg, "New Owner Created"},
		{"pet flash", petMsg, "New Pet has been Added"},
		{"visit flash", visitMsg, "Your visit has been booked"},
		{"owner page", ownerPage, "Grace Hopper"},
		{"owner page", ownerPage, "Cobol"},
		{"owner page", ownerPage, "first check-up"},
		{"owner page", ownerPage, today.Format("2006-01-02")},
	}
	for _, c := range checks {
		if !strings.Contains(c.got, c.want) {
			t.Errorf("%s: got %q, want it to contain %q", c.what, c.got, c.want)
		}
	}
	screenshot(t, ctx, "owner-desktop.png")

	// On a phone the owner page must fit the width; the menu opens without JS.
	do(t, ctx, "phone view", chromedp.EmulateViewport(375, 812), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`h2`)))
	if eval[bool](t, ctx, overflowsX) {
		t.Errorf("got the owner page wider than a 375px phone")
	}
	screenshot(t, ctx, "owner-phone.png")
	if eval[bool](t, ctx, `getComputedStyle(document.querySelector('#main-navbar')).display !== 'none'`) {
		t.Errorf("got the phone menu open before tapping the toggler")
	}
	do(t, ctx, "phone menu", chromedp.Click(chromedp.CSS(`.navbar-toggler`)))
	if !eval[bool](t, ctx, `getComputedStyle(document.querySelector('#main-navbar')).display !== 'none'`) {
		t.Errorf("got the phone menu still hidden after tapping the toggler")
	}
	screenshot(t, ctx, "menu-phone.png")
}

// TestBrowserPagesFit checks the other pages on a phone and a desktop: they
// fit the width, load every asset, and leave screenshots behind.
func TestBrowserPagesFit(t *testing.T) {
	ctx := newBrowser(t, 90*time.Second)
	c := newClient(t, newStore(t))
	srv := httptest.NewServer(withCSP(c.h))
	defer srv.Close()
	// An invalid pet form, to see the field errors.
	invalid := srv.URL + "/owners/6/pets/7/edit"
	pages := []struct{ file, path string }{
		{"welcome", "/"},
		{"find-owners", "/owners?lastName=Nobody"},
		{"owners", "/owners?page=2"},
		{"owner-es", "/owners/6?lang=es"},
		{"owner-form", "/owners/new?lang=en"},
		{"pet-form", "/owners/6/pets/7/edit"},
		{"visit-form", "/owners/6/pets/7/visits/new"},
		{"vets", "/vets.html"},
		{"error", "/oups"},
	}
	for _, view := range []struct {
		name          string
		width, height int64
	}{{"phone", 375, 812}, {"desktop", 1280, 900}} {
		do(t, ctx, "viewport", chromedp.EmulateViewport(view.width, view.height))
		for _, p := range pages {
			do(t, ctx, p.path, chromedp.Navigate(srv.URL+p.path), chromedp.WaitVisible(chromedp.CSS(`h2`)))
			if eval[bool](t, ctx, overflowsX) {
				t.Errorf("%s on a %s: got a page wider than the screen", p.path, view.name)
			}
			if !eval[bool](t, ctx, assetsLoaded) {
				t.Errorf("%s on a %s: got missing images or styles", p.path, view.name)
			}
			screenshot(t, ctx, p.file+"-"+view.name+".png")
		}
		do(t, ctx, "invalid pet",
			chromedp.Navigate(invalid),
			chromedp.Clear(chromedp.CSS(`#name`)),
			chromedp.SetValue(chromedp.CSS(`#birthDate`), "2099-01-01"),
			chromedp.Submit(chromedp.CSS(`#name`)),
			chromedp.WaitVisible(chromedp.CSS(`.has-error`)),
		)
		screenshot(t, ctx, "pet-form-errors-"+view.name+".png")
	}
}
