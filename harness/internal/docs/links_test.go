package docs_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/gamedayhq/gameday/harness/internal/docs"
)

func TestLinks(t *testing.T) {
	md := "See [the guide](docs/x.md#a-b) and ![shot](demo/01.png \"t\"), [web](https://e.org/x), [here](#top).\n" +
		"`[not](a link)` in code\n```\n[nor](in/a/block.md)\n```\n[mail](mailto:a@b)\n"
	got := docs.Links("r.md", []byte(md))
	want := []docs.Link{
		{File: "r.md", Line: 1, Target: "docs/x.md", Anchor: "a-b"},
		{File: "r.md", Line: 1, Target: "demo/01.png"},
		{File: "r.md", Line: 1, Target: "", Anchor: "top"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func TestAnchors(t *testing.T) {
	md := "# Exit codes of `gameday`\n## How a run is judged (`internal/verdict`, pure)\n## Usage\n## Usage\n" +
		"```\n# not a heading\n```\n### [Linked](x.md) — *and* dashes\n<a name=\"custom\"></a>\n"
	got := docs.Anchors([]byte(md))
	want := map[string]bool{"exit-codes-of-gameday": true, "how-a-run-is-judged-internalverdict-pure": true,
		"usage": true, "usage-1": true, "linked--and-dashes": true, "custom": true}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
}

func TestFenceProblems(t *testing.T) {
	tests := map[string]struct {
		md   string
		want []int
	}{
		"closed blocks": {"```sh\nx\n```\n~~~\ny\n~~~\n", nil},
		"a fence with text after it closes nothing":   {"```\nx\n``` The\ntext\n```\n", []int{3}},
		"a block never closed":                        {"a\n```yaml\nx: 1\n", []int{2}},
		"a longer fence closes a shorter one's block": {"```\n````\n", nil},
		"another fence character is content":          {"```\n~~~\n```\n", nil},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := docs.FenceProblems([]byte(tt.md)); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func FuzzLinks(f *testing.F) {
	f.Add("[a](b.md#c) `[x](y)` ![i](j.png \"t\")\n# H `x`\n```\n[n](m)\n``` t\n")
	f.Add("<a name=\"q\"></a>\n~~~~\n~~~\n")
	f.Fuzz(func(t *testing.T, md string) {
		lines := len(splitLines(md))
		for _, l := range docs.Links("f.md", []byte(md)) {
			if l.Line < 1 || l.Line > lines {
				t.Fatalf("link at line %d of %d", l.Line, lines)
			}
		}
		for _, n := range docs.FenceProblems([]byte(md)) {
			if n < 1 || n > lines {
				t.Fatalf("fence problem at line %d of %d", n, lines)
			}
		}
		for a := range docs.Anchors([]byte(md)) {
			if docs.Slug(a) != a && a != "" && !isExplicit(md, a) {
				t.Fatalf("anchor %q is not a slug", a)
			}
		}
	})
}

func splitLines(s string) []string {
	n := []string{""}
	for _, r := range s {
		if r == '\n' {
			n = append(n, "")
		}
	}
	return n
}

// isExplicit: an <a name> anchor is taken as written.
func isExplicit(md, a string) bool {
	return strings.Contains(md, `name="`+a+`"`) || strings.Contains(md, `id="`+a+`"`)
}
