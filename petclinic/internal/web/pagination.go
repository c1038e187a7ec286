package web

import (
	"net/url"
	"strconv"
)

// pagination is the model of Spring PetClinic's pagination block: the page
// numbers with the current one unlinked, and first/previous/next/last links
// that are empty when disabled. It is shown only when there is more than
// one page.
type pagination struct {
	Current, Total              int
	Pages                       []pageLink
	First, Previous, Next, Last string
}

type pageLink struct {
	Number  int
	Href    string
	Current bool
}

// newPagination paginates total items in pages of pageSize for base, keeping
// query (for example the searched last name) in every link.
func newPagination(base string, query url.Values, current, total int) pagination {
	pages := (total + pageSize - 1) / pageSize
	p := pagination{Current: current, Total: pages}
	href := func(n int) string {
		q := url.Values{}
		for k, v := range query {
			q[k] = v
		}
		q.Set("page", strconv.Itoa(n))
		return base + "?" + q.Encode()
	}
	for n := 1; n <= pages; n++ {
		p.Pages = append(p.Pages, pageLink{Number: n, Href: href(n), Current: n == current})
	}
	if current > 1 {
		p.First, p.Previous = href(1), href(current-1)
	}
	if current < pages {
		p.Next, p.Last = href(current+1), href(pages)
	}
	return p
}
