package app

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
)

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	want := http.Header{}
	want.Set("Content-Security-Policy", contentSecurityPolicy)
	want.Set("X-Content-Type-Options", "nosniff")
	want.Set("X-Frame-Options", "DENY")
	want.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	want.Set("Cross-Origin-Opener-Policy", "same-origin")
	want.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
	h := securityHeaders(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		// A handler adding to a security header changes its own response only.
		w.Header().Add("X-Frame-Options", "SAMEORIGIN")
		w.Header().Add("Referrer-Policy", "no-referrer")
	}))
	for range 2 {
		rec := httptest.NewRecorder()
		rec.Header().Set("X-Frame-Options", "replaced")
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		got := rec.Result().Header
		wantHere := want.Clone()
		wantHere.Add("X-Frame-Options", "SAMEORIGIN")
		wantHere.Add("Referrer-Policy", "no-referrer")
		if !reflect.DeepEqual(got, wantHere) {
			t.Errorf("got headers %v, want %v", got, wantHere)
		}
	}
}
