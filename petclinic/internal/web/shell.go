package web

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"
	"sync"
	"sync/atomic"
)

// A page is the layout (head, navbar, language links, footer) around the
// page's "content" template. The layout depends only on the language, the
// active menu entry and the language links, never on the page's data, yet
// html/template re-rendered it on every request, with its escapers and the
// localizer called through reflection: half the CPU of /vets.html. So the
// layout is rendered once per (language, menu, links) into the bytes before
// and after the content, and each request renders only its content. The
// bytes are those html/template writes for the whole page: the content is
// escaped in the same HTML text context either way, and the golden pages
// pin the result.

// contentMarker stands for the content while the layout is rendered; it is
// template text, so html/template passes it through untouched.
const contentMarker = "@@petclinic-content@@"

// maxShells bounds the cache: the language links carry the request's query,
// so the keys are not a closed set. Past the bound a shell is rendered for
// each request, as before.
const maxShells = 512

type shell struct{ head, tail []byte }

type shells struct {
	layout *template.Template // layout.html with "content" = contentMarker
	cache  sync.Map           // key → shell
	n      atomic.Int64
}

func newShells(funcs template.FuncMap) (*shells, error) {
	t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/fragments.html")
	if err != nil {
		return nil, fmt.Errorf("parse layout: %w", err)
	}
	if _, err := t.New("content").Parse(contentMarker); err != nil {
		return nil, fmt.Errorf("parse layout: %w", err)
	}
	return &shells{layout: t}, nil
}

// get returns the layout around v's content.
func (s *shells) get(v view) (shell, error) {
	var k strings.Builder
	k.WriteString(v.Lang)
	k.WriteByte(0)
	k.WriteString(v.Menu)
	for _, l := range v.LangLinks {
		k.WriteByte(0)
		k.WriteString(l.Href)
	}
	key := k.String()
	if sh, ok := s.cache.Load(key); ok {
		return sh.(shell), nil
	}
	var buf bytes.Buffer
	if err := s.layout.Execute(&buf, v); err != nil {
		return shell{}, err
	}
	head, tail, ok := bytes.Cut(buf.Bytes(), []byte(contentMarker))
	if !ok {
		return shell{}, fmt.Errorf("layout: no %s in the rendered layout", contentMarker)
	}
	sh := shell{head: head, tail: tail}
	if s.n.Load() < maxShells {
		if _, loaded := s.cache.LoadOrStore(key, sh); !loaded {
			s.n.Add(1)
		}
	}
	return sh, nil
}
