package web

import (
	"bytes"
	"fmt"
	"net/url"
	"testing"

	"github.com/gamedayhq/gameday/petclinic"
)

// renderBoth renders the vets page content for vets (page of the list) in
// lang by hand and with templates/vetList.html.
func renderBoth(t testing.TB, s *server, lang string, vets []*petclinic.Vet, page int) (hand, tmpl string) {
	t.Helper()
	start := min((page-1)*pageSize, len(vets))
	end := min(start+pageSize, len(vets))
	data := vetsPage{Vets: vets[start:end], Pagination: newPagination("/vets.html", url.Values{}, page, len(vets))}
	l := localizer{lang: lang, messages: s.msgs[lang]}
	var a, b bytes.Buffer
	appendVetsContent(&a, l, data)
	if err := s.pages["vetList"].ExecuteTemplate(&b, "content", view{L: l, Lang: lang, Menu: "vets", Data: data}); err != nil {
		t.Fatal(err)
	}
	return a.String(), b.String()
}

func vetsNamed(n int, first, last string, specs ...string) []*petclinic.Vet {
	out := make([]*petclinic.Vet, n)
	for i := range out {
		v := &petclinic.Vet{ID: i + 1, FirstName: first, LastName: fmt.Sprintf("%s%d", last, i)}
		for j, sp := range specs {
			v.Specialties = append(v.Specialties, petclinic.Specialty{ID: j + 1, Name: sp})
		}
		out[i] = v
	}
	return out
}

func TestVetsContentEqualsTemplate(t *testing.T) {
	s, err := newServer(Options{Store: newStore(t)})
	if err != nil {
		t.Fatal(err)
	}
	seed, err := s.store.Vets(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		vets []*petclinic.Vet
		page int
	}{
		"the seed's first page":                         {seed, 1},
		"the seed's last page":                          {seed, 2},
		"a page past the end":                           {seed, 9},
		"no vets at all":                                {nil, 1},
		"one page only":                                 {seed[:3], 1},
		"a middle page links both ways":                 {vetsNamed(23, "Ann", "Bones"), 3},
		"markup and quotes are escaped":                 {vetsNamed(2, `<b>"Ann"</b>`, `O'Brien & Co+`, `<script>alert(1)</script>`), 1},
		"NUL and non-ASCII are handled alike":           {vetsNamed(2, "Zoë\x00", "Ærø ", "ünïcödé\x00", "日本"), 1},
		"invalid UTF-8 passes as html/template lets it": {vetsNamed(1, "\xff\xfe", "x\xc3"), 1},
	}
	for name, tt := range tests {
		for _, lang := range languages {
			t.Run(name+" "+lang, func(t *testing.T) {
				if hand, tmpl := renderBoth(t, s, lang, tt.vets, tt.page); hand != tmpl {
					t.Errorf("by hand:\n%s\nhtml/template:\n%s", hand, tmpl)
				}
			})
		}
	}
}

// FuzzVetsContentEqualsTemplate checks the hand-written vets content against
// html/template for any names.
func FuzzVetsContentEqualsTemplate(f *testing.F) {
	for _, seed := range [][3]string{{"James", "Carter", "radiology"}, {`<a href="x">`, "&amp;", "'+'"}, {"\x00", "\xff", ""}} {
		f.Add(seed[0], seed[1], seed[2])
	}
	s, err := newServer(Options{Store: newStore(f)})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, first, last, specialty string) {
		vets := vetsNamed(6, first, last, specialty)
		vets[0].Specialties = nil
		if hand, tmpl := renderBoth(t, s, "en", vets, 1); hand != tmpl {
			t.Errorf("by hand:\n%q\nhtml/template:\n%q", hand, tmpl)
		}
	})
}
