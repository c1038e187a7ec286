package web

import "html/template"

// icons replace the Font Awesome 4 glyphs Spring PetClinic uses (fa-home,
// fa-search, ...) with inline SVG, so no web font is needed. They are
// constants, hence safe to mark as HTML.
var icons = map[string]template.HTML{
	"home":                 svgIcon(`<path d="M8 1.5 1 7.5h2V14h4V10h2v4h4V7.5h2z"/>`),
	"search":               svgIcon(`<path d="M6.5 1a5.5 5.5 0 0 1 4.4 8.8l3.7 3.7-1.1 1.1-3.7-3.7A5.5 5.5 0 1 1 6.5 1zm0 1.6a3.9 3.9 0 1 0 0 7.8 3.9 3.9 0 0 0 0-7.8z"/>`),
	"th-list":              svgIcon(`<path d="M1 2h4v3H1zm5 0h9v3H6zM1 6.5h4v3H1zm5 0h9v3H6zM1 11h4v3H1zm5 0h9v3H6z"/>`),
	"exclamation-triangle": svgIcon(`<path d="M8 1 15.5 14.5H.5zm-.9 5v4h1.8V6zm0 5.2v1.6h1.8v-1.6z"/>`),
	"fast-backward":        svgIcon(`<path d="M2 2h2v12H2zm2 6 5-6v12zm5 0 5-6v12z"/>`),
	"step-backward":        svgIcon(`<path d="M3 2h2v12H3zm2 6 8-6v12z"/>`),
	"step-forward":         svgIcon(`<path d="M11 2h2v12h-2zm0 6L3 14V2z"/>`),
	"fast-forward":         svgIcon(`<path d="M12 2h2v12h-2zm0 6-5 6V2zM7 8l-5 6V2z"/>`),
	"ok":                   svgIcon(`<path d="m6 11.2-3.5-3.5L1.4 8.8 6 13.4l8.6-8.6-1.1-1.1z"/>`),
	"remove":               svgIcon(`<path d="m4.1 3 3.9 3.9L11.9 3 13 4.1 9.1 8l3.9 3.9-1.1 1.1L8 9.1 4.1 13 3 11.9 6.9 8 3 4.1z"/>`),
}

func svgIcon(paths string) template.HTML {
	// #nosec G203 -- paths are the constant SVG markup above, never input
	return template.HTML(`<svg class="icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false" fill="currentColor">` + paths + `</svg>`)
}

func icon(name string) template.HTML { return icons[name] }

// menuItem is an entry of the navbar (layout.html's menuItem fragment).
type menuItem struct {
	Href, Title, Icon, Key, Menu string
}

var menuItems = []menuItem{
	{"/", "home page", "home", "home", "home"},
	{"/owners/find", "find owners", "search", "findOwners", "owners"},
	{"/vets.html", "veterinarians", "th-list", "vets", "vets"},
	{"/oups", "trigger a RuntimeException to see how it is handled", "exclamation-triangle", "error", "error"},
}

// MenuItems lists the navbar entries for templates.
func (view) MenuItems() []menuItem { return menuItems }
