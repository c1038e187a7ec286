package idle

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"reflect"
	"regexp"
	"testing"
	"text/template"
)

func TestParseSmaps(t *testing.T) {
	smaps := `00400000-02282000 r-xp 00000000 fe:00 42                           /usr/bin/gameday
Size:              31240 kB
Rss:               25096 kB
VmFlags: rd ex mr mw me dw sd
02282000-0435a000 r--p 01e82000 fe:00 42                           /usr/bin/gameday (deleted)
Rss:               17632 kB
0435a000-04445000 rw-p 03f5a000 fe:00 42                           /usr/bin/gameday
Rss:                 748 kB
04445000-04500000 r--s 00000000 fe:00 42                           /usr/bin/gameday
Rss:                   4 kB
04500000-04501000 r--p 04100000 fe:00 42                           /usr/bin/gameday
Rss:                   4 kB
Anonymous:             4 kB
3865fe400000-3865ff000000 rw-p 00000000 00:00 0
Rss:                5016 kB
7fc026dc6000-7fc026f1c000 r-xp 00026000 fe:00 7                    /usr/lib/x86_64-linux-gnu/libc.so.6
Rss:                 808 kB
`
	got := parseSmaps([]byte(smaps), 42)
	want := []mapping{{lo: 0x400000, hi: 0x2282000, perms: "r-xp", rss: 25096 << 10}, {lo: 0x2282000, hi: 0x435a000, perms: "r--p", rss: 17632 << 10},
		{lo: 0x435a000, hi: 0x4445000, perms: "rw-p", rss: 748 << 10}, {lo: 0x4445000, hi: 0x4500000, perms: "r--s", rss: 4 << 10},
		{lo: 0x4500000, hi: 0x4501000, perms: "r--p", rss: 4 << 10, anon: 4 << 10}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v (the mappings of inode 42, not libc's, not anonymous memory)", got, want)
	}
	var ro []string
	for _, m := range got {
		if m.readOnly() {
			ro = append(ro, m.perms)
		}
	}
	if !reflect.DeepEqual(ro, []string{"r-xp", "r--p"}) {
		t.Errorf("released %v, want text and rodata only (never a writable or shared mapping, nor a read-only one with pages copied on write)", ro)
	}
}

// Release drops most of the test binary's resident read-only pages, and
// the process goes on running: what it uses comes back (a regexp compiled
// and matched after, its code faulted in again).
func TestRelease(t *testing.T) {
	// Warm up: code that runs once, as a process's start-up does.
	regexp.MustCompile(`^warm (up)+$`).MatchString("warm upup")
	var b bytes.Buffer
	_ = template.Must(template.New("t").Parse(`{{range .}}{{.}}{{end}}`)).Execute(&b, []int{1, 2})
	_ = json.NewEncoder(&b).Encode(map[string][]float64{"a": {1.5}})
	st, err := Release()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("binary's read-only pages resident: %d kB before, %d kB after", st.Before>>10, st.After>>10)
	if st.Before <= 0 || st.After >= st.Before/2 {
		t.Errorf("resident %d bytes before and %d after; want more than half given back", st.Before, st.After)
	}
	if !regexp.MustCompile(`^after (release)+$`).MatchString("after releaserelease") {
		t.Error("the process does not work after Release")
	}
}

// A -buildmode=pie build (what some distributions' Go packages default
// to) has a RELRO the loader wrote: Release must leave it, or the process
// crashes on its next use of a relocated pointer (it did).
func TestReleasePIE(t *testing.T) {
	if testing.Short() {
		t.Skip("builds this package's tests with -buildmode=pie")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH")
	}
	cmd := exec.Command(goTool, "test", "-buildmode=pie", "-count=1", "-run", "^TestRelease$", ".")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go test -buildmode=pie -run TestRelease: %v\n%s", err, out)
	}
}
