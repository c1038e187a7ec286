package web

import (
	"net/http"
)

// flashCookie carries a flash message across a Post/Redirect/Get. Spring
// PetClinic keeps flash attributes in the HTTP session; a cookie works when
// the redirected GET lands on another replica.
const flashCookie = "petclinic-flash"

// flashMessages are the messages the Java controllers flash, by the code the
// cookie carries. The cookie only names a message, so a forged cookie cannot
// put arbitrary text on the page. Like Java, the texts are not translated.
var flashMessages = map[string]string{
	"owner-created": "New Owner Created",
	"owner-updated": "Owner Values Updated",
	"pet-added":     "New Pet has been Added",
	"pet-edited":    "Pet details has been edited",
	"visit-booked":  "Your visit has been booked",
}

// redirectWithFlash redirects to target (a path) and flashes the message
// with the given code to it. The cookie is scoped to the target path and
// lives a minute, enough to follow the redirect.
func redirectWithFlash(w http.ResponseWriter, r *http.Request, target, code string) {
	// #nosec G124 -- Secure whenever the browser reached us over HTTPS (see secure); HttpOnly and SameSite=Lax are set
	http.SetCookie(w, &http.Cookie{
		Name:     flashCookie,
		Value:    code,
		Path:     target,
		MaxAge:   60,
		HttpOnly: true,
		Secure:   secure(r),
		SameSite: http.SameSiteLaxMode,
	})
	http.Redirect(w, r, target, http.StatusFound)
}

// takeFlash returns the flash message sent to this path, if any, and
// deletes the cookie so the message shows once.
func takeFlash(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	// #nosec G124 -- Secure whenever the browser reached us over HTTPS (see secure); HttpOnly and SameSite=Lax are set
	http.SetCookie(w, &http.Cookie{
		Name:     flashCookie,
		Path:     r.URL.Path,
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   secure(r),
		SameSite: http.SameSiteLaxMode,
	})
	return flashMessages[c.Value]
}

// secure reports that the browser reached PetClinic over HTTPS: directly, or
// through a TLS-terminating balancer (the AWS ALB in front of the pods) that
// says so in X-Forwarded-Proto. Trusting the header can only make a cookie
// stricter.
func secure(r *http.Request) bool {
	return r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https"
}
