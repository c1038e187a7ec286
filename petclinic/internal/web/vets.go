package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gamedayhq/gameday/petclinic"
)

type vetsPage struct {
	Vets       []*petclinic.Vet
	Pagination pagination
}

// vetsPage is VetController.showVetList: the vets, 5 per page.
func (s *server) vetsPage(w http.ResponseWriter, r *http.Request) {
	page, ok := pageParam(r)
	if !ok {
		s.badRequest(w, r)
		return
	}
	vets, err := s.store.Vets(r.Context())
	if err != nil {
		s.fail(w, r, fmt.Errorf("vets: %w", err))
		return
	}
	start := min((page-1)*pageSize, len(vets))
	end := min(start+pageSize, len(vets))
	data := vetsPage{
		Vets:       vets[start:end],
		Pagination: newPagination("/vets.html", url.Values{}, page, len(vets)),
	}
	v := s.view(w, r, "vets", data)
	s.write(w, r, http.StatusOK, "vetList", v, func(buf *bytes.Buffer) error {
		appendVetsContent(buf, v.L, data)
		return nil
	})
}

// appendVetsContent writes what templates/vetList.html's "content" writes
// for p, byte for byte (TestVetsContentEqualsTemplate and
// FuzzVetsContentEqualsTemplate compare them), without html/template's
// reflection: the vets page is the UI's busiest. Every value goes through
// htmlEscape, the escaper html/template applies in these contexts (text,
// and quoted attributes whose values hold no URL-special characters).
func appendVetsContent(buf *bytes.Buffer, l localizer, p vetsPage) {
	buf.WriteString("\n<h2>")
	htmlEscape(buf, l.T("vets"))
	buf.WriteString("</h2>\n<div class=\"table-responsive\">\n<table id=\"vets\" class=\"table table-striped\">\n  <thead>\n    <tr>\n      <th>")
	htmlEscape(buf, l.T("name"))
	buf.WriteString("</th>\n      <th>")
	htmlEscape(buf, l.T("specialties"))
	buf.WriteString("</th>\n    </tr>\n  </thead>\n  <tbody>")
	for _, v := range p.Vets {
		buf.WriteString("\n    <tr>\n      <td>")
		htmlEscape(buf, v.FirstName)
		buf.WriteByte(' ')
		htmlEscape(buf, v.LastName)
		buf.WriteString("</td>\n      <td>")
		for _, sp := range v.Specialties {
			buf.WriteString("<span>")
			htmlEscape(buf, sp.Name)
			buf.WriteString(" </span>")
		}
		if len(v.Specialties) == 0 {
			buf.WriteString("<span>")
			htmlEscape(buf, l.T("none"))
			buf.WriteString("</span>")
		}
		buf.WriteString("</td>\n    </tr>")
	}
	buf.WriteString("\n  </tbody>\n</table>\n</div>\n")
	appendPagination(buf, l, p.Pagination)
	buf.WriteString("\n")
}

// appendPagination writes what the "pagination" fragment writes for p. Its
// hrefs come from newPagination over a fixed base and the page number only,
// which html/template's URL normaliser leaves as they are.
func appendPagination(buf *bytes.Buffer, l localizer, p pagination) {
	if p.Total <= 1 {
		buf.WriteString("\n")
		return
	}
	buf.WriteString("\n<div class=\"pagination\">\n  <span>")
	htmlEscape(buf, l.T("pages"))
	buf.WriteString("</span>\n  <span>[</span>")
	for _, pl := range p.Pages {
		buf.WriteString("\n  <span>")
		if pl.Current {
			buf.WriteString(`<span class="current">`)
			buf.WriteString(strconv.Itoa(pl.Number))
			buf.WriteString("</span>")
		} else {
			buf.WriteString(`<a href="`)
			htmlEscape(buf, pl.Href)
			buf.WriteString(`">`)
			buf.WriteString(strconv.Itoa(pl.Number))
			buf.WriteString("</a>")
		}
		buf.WriteString("</span>")
	}
	buf.WriteString("\n  <span>]&nbsp;</span>")
	for _, e := range []struct{ href, key, icon string }{
		{p.First, "first", "fast-backward"}, {p.Previous, "previous", "step-backward"},
		{p.Next, "next", "step-forward"}, {p.Last, "last", "fast-forward"},
	} {
		buf.WriteString("\n  <span>")
		if e.href != "" {
			buf.WriteString(`<a href="`)
			htmlEscape(buf, e.href)
			buf.WriteString(`" title="`)
			htmlEscape(buf, l.T(e.key))
			buf.WriteString(`">`)
			buf.WriteString(string(icon(e.icon)))
			buf.WriteString("</a>")
		} else {
			buf.WriteString(`<span title="`)
			htmlEscape(buf, l.T(e.key))
			buf.WriteString(`" class="disabled">`)
			buf.WriteString(string(icon(e.icon)))
			buf.WriteString("</span>")
		}
		buf.WriteString("</span>")
	}
	buf.WriteString("\n</div>\n")
}

// htmlEscape writes s as html/template's HTML escaper does in text and in
// quoted attribute values: NUL becomes U+FFFD, and " & ' + < > their
// numeric or named references.
func htmlEscape(buf *bytes.Buffer, s string) {
	last := 0
	for i := 0; i < len(s); i++ {
		var repl string
		switch s[i] {
		case 0:
			repl = "\uFFFD"
		case '"':
			repl = "&#34;"
		case '&':
			repl = "&amp;"
		case '\'':
			repl = "&#39;"
		case '+':
			repl = "&#43;"
		case '<':
			repl = "&lt;"
		case '>':
			repl = "&gt;"
		default:
			continue
		}
		buf.WriteString(s[last:i])
		buf.WriteString(repl)
		last = i + 1
	}
	buf.WriteString(s[last:])
}

// vetsJSON is the JSON Jackson writes for Spring PetClinic's Vets: every
// getter of Vet and Specialty, including BaseEntity.isNew() as "new".
type vetsJSON struct {
	VetList []vetJSON `json:"vetList"`
}

type vetJSON struct {
	ID              int             `json:"id"`
	FirstName       string          `json:"firstName"`
	LastName        string          `json:"lastName"`
	Specialties     []specialtyJSON `json:"specialties"`
	NrOfSpecialties int             `json:"nrOfSpecialties"`
	New             bool            `json:"new"`
}

type specialtyJSON struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
	New  bool   `json:"new"`
}

// vetsJSON is VetController.showResourcesVetList.
func (s *server) vetsJSON(w http.ResponseWriter, r *http.Request) {
	vets, err := s.store.Vets(r.Context())
	if err != nil {
		s.fail(w, r, fmt.Errorf("vets: %w", err))
		return
	}
	out := vetsJSON{VetList: make([]vetJSON, len(vets))}
	for i, v := range vets {
		specs := make([]specialtyJSON, len(v.Specialties))
		for j, sp := range v.Specialties {
			specs[j] = specialtyJSON{ID: sp.ID, Name: sp.Name}
		}
		out.VetList[i] = vetJSON{ID: v.ID, FirstName: v.FirstName, LastName: v.LastName, Specialties: specs, NrOfSpecialties: len(specs)}
	}
	b, err := json.Marshal(out)
	if err != nil {
		s.fail(w, r, fmt.Errorf("encode vets: %w", err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b) // the client went away: nothing left to tell it
}
