package load

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

func newTestTargeter(t *testing.T, mix []Weighted, seed uint64) *Targeter {
	t.Helper()
	tr, err := NewTargeter(TargeterConfig{
		Base: "http://127.0.0.1:9", Mix: mix, RunID: "run-1", Seed: seed,
		Now: func() time.Time { return t0 },
	})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func draw(t *testing.T, tr *Targeter, n int) []vegeta.Target {
	t.Helper()
	out := make([]vegeta.Target, n)
	for i := range out {
		if err := tr.Next(&out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func describe(tg vegeta.Target) string {
	return fmt.Sprintf("%s %s %s %s", tg.Method, tg.URL, tg.Header.Get(HeaderJourney), tg.Body)
}

func TestJourneyNamesListTheCatalogue(t *testing.T) {
	want := []string{"home", "find-owners", "owner-details", "vets", "book-visit", "api-owner", "api-vets", "api-add-owner", "api-add-visit"}
	if got := JourneyNames(); !slices.Equal(got, want) {
		t.Errorf("JourneyNames() = %v, want %v", got, want)
	}
	for _, w := range DefaultMix() {
		if _, ok := journeyNamed(w.Journey); !ok {
			t.Errorf("DefaultMix names unknown journey %q", w.Journey)
		}
	}
}

func TestTargeterIsDeterministicForASeed(t *testing.T) {
	a := draw(t, newTestTargeter(t, nil, 42), 200)
	b := draw(t, newTestTargeter(t, nil, 42), 200)
	c := draw(t, newTestTargeter(t, nil, 43), 200)
	same, differ := true, false
	for i := range a {
		same = same && describe(a[i]) == describe(b[i])
		differ = differ || describe(a[i]) != describe(c[i])
	}
	if !same {
		t.Error("two targeters with seed 42 drew different requests")
	}
	if !differ {
		t.Error("seeds 42 and 43 drew the same 200 requests")
	}
}

func TestTargeterSharesRequestsByWeight(t *testing.T) {
	mix := []Weighted{{"home", 6}, {"api-vets", 3}, {"vets", 1}}
	const n = 20000
	got := map[string]int{}
	for _, tg := range draw(t, newTestTargeter(t, mix, 7), n) {
		got[tg.Header.Get(HeaderJourney)]++
	}
	for _, w := range mix {
		share := float64(got[w.Journey]) / n
		if want := w.Weight / 10; math.Abs(share-want) > 0.015 {
			t.Errorf("journey %s took %.3f of the requests, want %.3f ± 0.015", w.Journey, share, want)
		}
	}
}

func TestJourneysWalkTheirStepsWithOneSession(t *testing.T) {
	ownerOfPet := regexp.MustCompile(`^http://127\.0\.0\.1:9/owners/(\d+)/pets/(\d+)/visits/new$`)
	targets := draw(t, newTestTargeter(t, []Weighted{{"book-visit", 1}}, 3), 30)
	for i := 0; i < len(targets); i += 3 {
		form, post, back := targets[i], targets[i+1], targets[i+2]
		m := ownerOfPet.FindStringSubmatch(form.URL)
		if form.Method != http.MethodGet || m == nil {
			t.Fatalf("step 1 = %s, want GET of the visit form", describe(form))
		}
		owner, _ := strconv.Atoi(m[1])
		pet, _ := strconv.Atoi(m[2])
		if petOwner[pet] != owner {
			t.Errorf("pet %d is not owner %d's in the seed data", pet, owner)
		}
		if post.Method != http.MethodPost || post.URL != form.URL || post.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || post.Header.Get(headerExpect) != "302" {
			t.Errorf("step 2 = %s (%v), want a form POST to %s", describe(post), post.Header, form.URL)
		}
		v, err := url.ParseQuery(string(post.Body))
		if err != nil || v.Get("date") != "2026-11-27" || v.Get("description") == "" {
			t.Errorf("visit form %q (%v): want today's date and a description", post.Body, err)
		}
		if want := fmt.Sprintf("http://127.0.0.1:9/owners/%d", owner); back.Method != http.MethodGet || back.URL != want {
			t.Errorf("step 3 = %s, want GET %s", describe(back), want)
		}
	}
}

// The constraints of spring-petclinic-rest's OwnerFields and VisitFields
// (contracts/petclinic-rest-openapi.yml).
var (
	firstNamePattern = regexp.MustCompile(`^\p{L}+([ '-]\p{L}+){0,2}$`)
	lastNamePattern  = regexp.MustCompile(`^\p{L}+([ '-]\p{L}+){0,2}\.?$`)
	telephonePattern = regexp.MustCompile(`^[0-9]{1,20}$`)
)

func TestWritesSendBodiesPetClinicAccepts(t *testing.T) {
	mix := []Weighted{{"api-add-owner", 1}, {"api-add-visit", 1}}
	addVisit := regexp.MustCompile(`/petclinic/api/owners/(\d+)/pets/(\d+)/visits$`)
	lastNames := map[string]bool{}
	for _, tg := range draw(t, newTestTargeter(t, mix, 11), 500) {
		if tg.Method != http.MethodPost || tg.Header.Get("Content-Type") != "application/json" || tg.Header.Get(HeaderRun) != "run-1" || tg.Header.Get(headerExpect) != "201" {
			t.Fatalf("write %s with headers %v, want a JSON POST of run-1", describe(tg), tg.Header)
		}
		var body map[string]string
		if err := json.Unmarshal(tg.Body, &body); err != nil {
			t.Fatalf("body %q: %v", tg.Body, err)
		}
		switch tg.Header.Get(HeaderJourney) {
		case "api-add-owner":
			if !strings.HasSuffix(tg.URL, "/petclinic/api/owners") ||
				!firstNamePattern.MatchString(body["firstName"]) || len(body["firstName"]) > 30 ||
				!lastNamePattern.MatchString(body["lastName"]) || len(body["lastName"]) > 30 ||
				body["address"] == "" || len(body["address"]) > 255 || body["city"] == "" || len(body["city"]) > 80 ||
				!telephonePattern.MatchString(body["telephone"]) {
				t.Errorf("invalid owner %s %q", tg.URL, tg.Body)
			}
			lastNames[body["lastName"]] = true
		case "api-add-visit":
			m := addVisit.FindStringSubmatch(tg.URL)
			if m == nil {
				t.Fatalf("visit posted to %s", tg.URL)
			}
			owner, _ := strconv.Atoi(m[1])
			pet, _ := strconv.Atoi(m[2])
			if petOwner[pet] != owner || body["description"] == "" || len(body["description"]) > 255 {
				t.Errorf("invalid visit %s %q", tg.URL, tg.Body)
			}
			if _, err := time.Parse(time.DateOnly, body["date"]); err != nil {
				t.Errorf("visit date %q: %v", body["date"], err)
			}
		}
	}
	if len(lastNames) < 200 {
		t.Errorf("%d distinct last names in ~250 new owners, want them mostly unique", len(lastNames))
	}
}

func TestNewTargeterRejectsBadMixes(t *testing.T) {
	tests := map[string][]Weighted{
		"an empty mix":       {},
		"an unknown journey": {{"checkout", 1}},
		"a zero weight":      {{"home", 0}},
		"a negative weight":  {{"home", -1}},
		"a NaN weight":       {{"home", math.NaN()}},
	}
	for name, mix := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := NewTargeter(TargeterConfig{Base: "http://127.0.0.1:9", Mix: mix})
			if !errors.Is(err, ErrInvalidMix) {
				t.Errorf("error = %v, want ErrInvalidMix", err)
			}
		})
	}
	if _, err := NewTargeter(TargeterConfig{Base: "127.0.0.1:9"}); err == nil {
		t.Error("a base URL without scheme was accepted")
	}
}

func TestLettersSpellsNumbersInBase26(t *testing.T) {
	for n, want := range map[uint64]string{0: "a", 25: "z", 26: "ba", 26*26 + 1: "bab"} {
		if got := letters(n); got != want {
			t.Errorf("letters(%d) = %q, want %q", n, got, want)
		}
	}
}
