package load

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Headers every generated request carries.
const (
	// HeaderRun names the game-day run, so the target's logs and traces can
	// be told apart from real traffic.
	HeaderRun = "X-Gameday-Run"
	// HeaderJourney names the journey the request belongs to.
	HeaderJourney = "X-Gameday-Journey"
	// headerExpect carries a step's expected status in the targets Next
	// hands to vegeta's own attacker (never sent by ours).
	headerExpect = "X-Gameday-Expect"
)

// A Journey is a named PetClinic user flow: steps a user takes one after
// the other over the real routes of Spring PetClinic (the server-side UI)
// and spring-petclinic-rest (under /petclinic/api).
type Journey struct {
	Name        string
	Description string
	Writes      bool // the journey creates data
	steps       []stepFunc
}

// A stepFunc builds one request of a journey for a session.
type stepFunc func(s *session) request

// A request is one step's HTTP request and the status that proves it did
// its job (0: any 2xx or 3xx). A form POST that fails PetClinic's
// validation answers 200 with the form again: only a 302 means the visit
// was booked, so a 200 there counts as an error.
type request struct {
	method, path string
	body         []byte
	contentType  string
	expect       int
}

// A session is one pass of a user through a journey: the ids its steps
// share, drawn from PetClinic's seed data.
type session struct {
	owner, pet int
	rng        *rand.Rand
	now        time.Time
}

// petOwner maps PetClinic's seeded pets (1..13) to their owners (1..10),
// as in petclinic-seed-data.sql.
var petOwner = [...]int{0, 1, 2, 3, 3, 4, 5, 6, 6, 7, 8, 9, 10, 10}

// seededLastNames are the last names of the seeded owners.
var seededLastNames = []string{"Franklin", "Davis", "Rodriquez", "McTavish", "Coleman", "Black", "Escobito", "Schroeder", "Estaban"}

var (
	firstNames = []string{"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Margaret", "Niklaus"}
	cities     = []string{"Madison", "Monona", "Windsor", "Waunakee", "McFarland"}
	visitWhys  = []string{"rabies shot", "annual checkup", "dental cleaning", "vaccination booster", "limping front leg"}
)

// letters spells n in base 26 with the letters a..z, so generated names
// stay unique and pass PetClinic's letters-only validation.
func letters(n uint64) string {
	var b []byte
	for {
		b = append(b, byte('a'+n%26))
		n /= 26
		if n == 0 {
			break
		}
	}
	slices.Reverse(b)
	return string(b)
}

func get(path string) stepFunc {
	return func(*session) request { return request{method: http.MethodGet, path: path} }
}

func getf(format func(*session) string) stepFunc {
	return func(s *session) request { return request{method: http.MethodGet, path: format(s)} }
}

func postJSON(path func(*session) string, body func(*session) any) stepFunc {
	return func(s *session) request {
		b, err := json.Marshal(body(s))
		if err != nil {
			panic(err) // bodies are plain structs of strings
		}
		return request{method: http.MethodPost, path: path(s), body: b, contentType: "application/json", expect: http.StatusCreated}
	}
}

func ownerPath(s *session) string { return "/owners/" + strconv.Itoa(s.owner) }

// journeys is the catalogue, in the order JourneyNames lists it.
var journeys = []Journey{
	{Name: "home", Description: "open the welcome page", steps: []stepFunc{get("/")}},
	{
		Name: "find-owners", Description: "search owners by last name, as the Find Owners form does",
		steps: []stepFunc{
			get("/owners/find"),
			getf(func(s *session) string {
				return "/owners?lastName=" + url.QueryEscape(seededLastNames[s.rng.IntN(len(seededLastNames))])
			}),
		},
	},
	{Name: "owner-details", Description: "open an owner's page with pets and visits", steps: []stepFunc{getf(ownerPath)}},
	{Name: "vets", Description: "list veterinarians as HTML and JSON", steps: []stepFunc{get("/vets.html"), get("/vets")}},
	{
		Name: "book-visit", Description: "book a visit through the UI form (write)", Writes: true,
		steps: []stepFunc{
			getf(func(s *session) string { return fmt.Sprintf("/owners/%d/pets/%d/visits/new", s.owner, s.pet) }),
			func(s *session) request {
				form := url.Values{"date": {s.now.Format(time.DateOnly)}, "description": {visitWhys[s.rng.IntN(len(visitWhys))]}}
				return request{
					method: http.MethodPost, path: fmt.Sprintf("/owners/%d/pets/%d/visits/new", s.owner, s.pet),
					body: []byte(form.Encode()), contentType: "application/x-www-form-urlencoded", expect: http.StatusFound,
				}
			},
			getf(ownerPath),
		},
	},
	{
		Name: "api-owner", Description: "read an owner through the REST API",
		steps: []stepFunc{getf(func(s *session) string { return "/petclinic/api/owners/" + strconv.Itoa(s.owner) })},
	},
	{Name: "api-vets", Description: "list veterinarians through the REST API", steps: []stepFunc{get("/petclinic/api/vets")}},
	{
		Name: "api-add-owner", Description: "register an owner through the REST API (write)", Writes: true,
		steps: []stepFunc{postJSON(
			func(*session) string { return "/petclinic/api/owners" },
			func(s *session) any {
				return map[string]string{
					"firstName": firstNames[s.rng.IntN(len(firstNames))],
					"lastName":  "Gameday" + letters(s.rng.Uint64N(26*26*26*26)),
					"address":   strconv.Itoa(1+s.rng.IntN(9999)) + " Chaos Lane",
					"city":      cities[s.rng.IntN(len(cities))],
					"telephone": fmt.Sprintf("608555%04d", s.rng.IntN(10000)),
				}
			},
		)},
	},
	{
		Name: "api-add-visit", Description: "add a visit to a pet through the REST API (write)", Writes: true,
		steps: []stepFunc{postJSON(
			func(s *session) string { return fmt.Sprintf("/petclinic/api/owners/%d/pets/%d/visits", s.owner, s.pet) },
			func(s *session) any {
				return map[string]string{"date": s.now.Format(time.DateOnly), "description": visitWhys[s.rng.IntN(len(visitWhys))]}
			},
		)},
	},
}

// JourneyNames lists every journey a load mix may name.
func JourneyNames() []string {
	names := make([]string, len(journeys))
	for i, j := range journeys {
		names[i] = j.Name
	}
	return names
}

// Journeys returns the catalogue.
func Journeys() []Journey { return slices.Clone(journeys) }

func journeyNamed(name string) (Journey, bool) {
	i := slices.IndexFunc(journeys, func(j Journey) bool { return j.Name == name })
	if i < 0 {
		return Journey{}, false
	}
	return journeys[i], true
}

// A Weighted journey takes Weight/(sum of weights) of the requests.
type Weighted struct {
	Journey string  `json:"journey" yaml:"journey"`
	Weight  float64 `json:"weight" yaml:"weight"`
}

// DefaultMix is a browse-heavy mix with about 10 % writes.
func DefaultMix() []Weighted {
	return []Weighted{
		{"home", 10}, {"find-owners", 15}, {"owner-details", 20}, {"vets", 10},
		{"api-owner", 20}, {"api-vets", 15}, {"book-visit", 4}, {"api-add-owner", 3}, {"api-add-visit", 3},
	}
}

// ErrInvalidMix is returned for an empty mix, an unknown journey or a
// weight that is not positive.
var ErrInvalidMix = errors.New("invalid journey mix")

// TargeterConfig configures a Targeter.
type TargeterConfig struct {
	Base   string     // the target's base URL, e.g. http://127.0.0.1:8080
	Mix    []Weighted // default DefaultMix()
	RunID  string     // sent in X-Gameday-Run
	Header http.Header
	Seed   uint64 // the same seed draws the same sequence of requests
	// Now dates the visits; default time.Now.
	Now func() time.Time
}

// A Targeter hands out PetClinic requests: each call picks a journey by
// weight and returns that journey's next step, so weights are shares of
// requests and each journey's steps run in order with the ids of one
// session. It is safe for concurrent use by vegeta's workers.
type Targeter struct {
	mu       sync.Mutex
	rng      *rand.Rand
	base     string
	cum      []float64 // cumulative weights
	picks    []*pick
	now      func() time.Time
	headers  [][]http.Header // per pick, per step: prebuilt, shared read-only (vegeta copies them)
	sessions []session
}

type pick struct {
	journey Journey
	next    int // the next step of the current session
}

// NewTargeter checks the mix and returns a targeter.
func NewTargeter(c TargeterConfig) (*Targeter, error) {
	if c.Mix == nil {
		c.Mix = DefaultMix()
	}
	if len(c.Mix) == 0 {
		return nil, fmt.Errorf("%w: no journey", ErrInvalidMix)
	}
	base, err := url.Parse(c.Base)
	if err != nil || base.Scheme == "" || base.Host == "" {
		return nil, fmt.Errorf("load: target %q is not an absolute URL", c.Base)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	t := &Targeter{rng: rand.New(rand.NewPCG(c.Seed, 0x9a3eda7)), base: strings.TrimRight(c.Base, "/"), now: c.Now}
	var sum float64
	for _, w := range c.Mix {
		j, ok := journeyNamed(w.Journey)
		if !ok {
			return nil, fmt.Errorf("%w: unknown journey %q (known: %s)", ErrInvalidMix, w.Journey, strings.Join(JourneyNames(), ", "))
		}
		if !(w.Weight > 0) || w.Weight > 1e9 {
			return nil, fmt.Errorf("%w: journey %q: weight %g must be positive", ErrInvalidMix, w.Journey, w.Weight)
		}
		sum += w.Weight
		t.cum = append(t.cum, sum)
		t.picks = append(t.picks, &pick{journey: j})
		hs := make([]http.Header, len(j.steps))
		for i := range hs {
			h := c.Header.Clone()
			if h == nil {
				h = http.Header{}
			}
			h.Set(HeaderJourney, j.Name)
			if c.RunID != "" {
				h.Set(HeaderRun, c.RunID)
			}
			hs[i] = h
		}
		t.headers = append(t.headers, hs)
	}
	t.sessions = make([]session, len(t.picks))
	return t, nil
}

// A hit is one request as the attacker sends it: its header is shared
// read-only between requests (a RoundTripper never modifies a request).
type hit struct {
	method, url string
	body        []byte
	header      http.Header
	expect      int // the step's expected status, 0: any success
	journey     string
}

// next draws the next request.
func (t *Targeter) next() hit {
	t.mu.Lock()
	defer t.mu.Unlock()
	x := t.rng.Float64() * t.cum[len(t.cum)-1]
	i, _ := slices.BinarySearch(t.cum, x)
	i = min(i, len(t.picks)-1)
	p, s := t.picks[i], &t.sessions[i]
	if p.next == 0 {
		pet := 1 + t.rng.IntN(len(petOwner)-1)
		*s = session{pet: pet, owner: petOwner[pet], rng: t.rng, now: t.now()}
	}
	req := p.journey.steps[p.next](s)
	h := t.headers[i][p.next]
	if req.contentType != "" && h.Get("Content-Type") != req.contentType {
		h = h.Clone() // built once per step: a step's content type never changes
		h.Set("Content-Type", req.contentType)
		t.headers[i][p.next] = h
	}
	p.next = (p.next + 1) % len(p.journey.steps)
	return hit{method: req.method, url: t.base + req.path, body: req.body, header: h, expect: req.expect, journey: p.journey.Name}
}

// Next fills tgt with the next request, for vegeta's own attacker; a
// step's expected status travels in the X-Gameday-Expect header.
func (t *Targeter) Next(tgt *vegeta.Target) error {
	h := t.next()
	header := h.header
	if h.expect != 0 {
		header = header.Clone()
		header.Set(headerExpect, strconv.Itoa(h.expect))
	}
	*tgt = vegeta.Target{Method: h.method, URL: h.url, Body: h.body, Header: header}
	return nil
}

// Targeter adapts Next to vegeta.
func (t *Targeter) Targeter() vegeta.Targeter { return t.Next }
