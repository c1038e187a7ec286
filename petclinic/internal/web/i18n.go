package web

import (
	"bufio"
	"embed"
	"fmt"
	"net/http"
	"strings"
)

//go:embed messages/*.properties
var messageFiles embed.FS

// localeCookie is the cookie Spring's CookieLocaleResolver uses by default;
// a cookie rather than Spring PetClinic's session keeps replicas stateless.
const localeCookie = "org.springframework.web.servlet.i18n.CookieLocaleResolver.LOCALE"

// defaultLang is Spring PetClinic's SessionLocaleResolver default (English):
// Accept-Language is not consulted.
const defaultLang = "en"

// languages lists the supported locales in the order the UI offers them.
var languages = []string{"en", "es", "de"}

// catalog maps a language to its messages. Every language has every key of
// the default language (checked at startup), so lookups never fall through.
type catalog map[string]map[string]string

func loadCatalog() (catalog, error) {
	c := catalog{}
	for _, lang := range languages {
		name := "messages/messages.properties"
		if lang != defaultLang {
			name = "messages/messages_" + lang + ".properties"
		}
		b, err := messageFiles.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		m, err := parseProperties(string(b))
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", name, err)
		}
		c[lang] = m
	}
	for key := range c[defaultLang] {
		for _, lang := range languages {
			if _, ok := c[lang][key]; !ok {
				return nil, fmt.Errorf("messages %s: missing key %q", lang, key)
			}
		}
	}
	return c, nil
}

// parseProperties reads the subset of the Java properties format the message
// files use: UTF-8 "key=value" lines, '#' or '!' comments, blank lines.
func parseProperties(s string) (map[string]string, error) {
	m := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(s))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(key) == "" {
			return nil, fmt.Errorf("line %d: want key=value", n)
		}
		m[strings.TrimSpace(key)] = strings.TrimSpace(value)
	}
	return m, sc.Err()
}

// localizer translates message keys into one language.
type localizer struct {
	lang     string
	messages map[string]string
}

// T returns the message for key, or the key itself so a missing translation
// shows up on the page instead of silently rendering nothing.
func (l localizer) T(key string) string {
	if m, ok := l.messages[key]; ok {
		return m
	}
	return key
}

// resolveLang works like Spring's LocaleChangeInterceptor in front of a
// CookieLocaleResolver: a supported ?lang= switches the language and is
// remembered in a cookie; otherwise the cookie, otherwise English.
func resolveLang(w http.ResponseWriter, r *http.Request) string {
	if lang, ok := supportedLang(r.URL.Query().Get("lang")); ok {
		// #nosec G124 -- Secure whenever the browser reached us over HTTPS (see secure); HttpOnly and SameSite=Lax are set
		http.SetCookie(w, &http.Cookie{
			Name:     localeCookie,
			Value:    lang,
			Path:     "/",
			MaxAge:   365 * 24 * 3600,
			HttpOnly: true,
			Secure:   secure(r),
			SameSite: http.SameSiteLaxMode,
		})
		return lang
	}
	if c, err := r.Cookie(localeCookie); err == nil {
		if lang, ok := supportedLang(c.Value); ok {
			return lang
		}
	}
	return defaultLang
}

// supportedLang accepts a language tag such as "es", "es_ES" or "de-AT" and
// returns its supported language.
func supportedLang(tag string) (string, bool) {
	if tag == "" {
		return "", false
	}
	base, _, _ := strings.Cut(strings.ReplaceAll(tag, "-", "_"), "_")
	base = strings.ToLower(base)
	for _, l := range languages {
		if l == base {
			return l, true
		}
	}
	return "", false
}
