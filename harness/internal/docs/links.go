package docs

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// A Link is a Markdown link to a file of the repository (or a heading),
// not to the web.
type Link struct {
	File string
	Line int
	// Target is the path as written, relative to File's folder ("" for a
	// link within File); Anchor the part after '#' ("" for none).
	Target, Anchor string
}

// inline links [text](target) and images ![alt](target); the target ends at
// the first space (a title may follow) or ')'.
var linkRE = regexp.MustCompile(`!?\[[^\]]*\]\(<?([^)\s>]*)>?(?:\s+"[^"]*")?\)`)

// Links lists the local links of a Markdown document, outside code blocks
// and code spans: web links (scheme://, mailto:) are left out.
func Links(file string, md []byte) []Link {
	var out []Link
	var code codeFences
	for i, line := range strings.Split(string(md), "\n") {
		if code.skip(line) {
			continue
		}
		for _, m := range linkRE.FindAllStringSubmatchIndex(withoutCode(line), -1) {
			target := line[m[2]:m[3]]
			if target == "" || strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			path, anchor, _ := strings.Cut(target, "#")
			out = append(out, Link{File: file, Line: i + 1, Target: path, Anchor: anchor})
		}
	}
	return out
}

// withoutCode blanks the code spans of a line (same length, so that
// offsets stay).
func withoutCode(line string) string {
	b := []byte(line)
	for i := 0; i < len(b); {
		if b[i] != '`' {
			i++
			continue
		}
		n := run(line[i:], '`')
		end := strings.Index(line[i+n:], strings.Repeat("`", n))
		if end < 0 {
			break
		}
		for j := i; j < i+2*n+end; j++ {
			b[j] = ' '
		}
		i += 2*n + end
	}
	return string(b)
}

var headingRE = regexp.MustCompile(`^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$`)

// Anchors are the anchors GitHub gives the headings of a Markdown document
// (and the explicit <a name="..."> or id="..." anchors).
func Anchors(md []byte) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	var code codeFences
	for _, line := range strings.Split(string(md), "\n") {
		if code.skip(line) {
			continue
		}
		for _, m := range explicitAnchor.FindAllStringSubmatch(line, -1) {
			out[m[1]] = true
		}
		m := headingRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		slug := Slug(m[2])
		if n := seen[slug]; n > 0 {
			out[slug+"-"+strconv.Itoa(n)] = true
		} else {
			out[slug] = true
		}
		seen[slug]++
	}
	return out
}

var explicitAnchor = regexp.MustCompile(`<a\s+(?:name|id)="([^"]+)"`)

var mdLink = regexp.MustCompile(`!?\[([^\]]*)\]\([^)]*\)`)

// Slug is GitHub's anchor of a heading: its text without Markdown (links
// keep their text), lower case, every character but letters, digits, '_',
// '-' and spaces dropped, spaces made '-'.
func Slug(heading string) string {
	heading = mdLink.ReplaceAllString(heading, "$1")
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Mn, r) || r == '_' || r == '-':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('-')
		}
	}
	return b.String()
}

// FenceProblems lists the lines where a fenced code block goes wrong: a
// fence with text after it inside an open block ("``` The": it does not
// close the block, so the rest of the page renders as code), and a block
// still open at the end of the file (its opening line).
func FenceProblems(md []byte) []int {
	var out []int
	open, openLine := "", 0
	for i, line := range strings.Split(string(md), "\n") {
		m := fence.FindStringSubmatch(line)
		switch {
		case m == nil:
		case open == "":
			open, openLine = m[1], i+1
		case m[1][0] != open[0] || len(m[1]) < len(open):
		case m[2] == "" && strings.TrimSpace(line[strings.Index(line, m[1])+len(m[1]):]) == "":
			open = ""
		default:
			out = append(out, i+1)
		}
	}
	if open != "" {
		out = append(out, openLine)
	}
	return out
}
