package docs_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gamedayhq/gameday/harness/internal/repotest"
)

// manifest is docs/demo/manifest.json, written by scripts/demo-record.sh.
type manifest struct {
	GeneratedBy string `json:"generatedBy"`
	Commit      string `json:"commit"`
	Run         string `json:"run"`
	Files       map[string]struct {
		SHA256 string `json:"sha256"`
		Bytes  int    `json:"bytes"`
		Width  int    `json:"width"`
		Height int    `json:"height"`
		Cols   int    `json:"cols"`
		Rows   int    `json:"rows"`
	} `json:"files"`
}

// TestDemoRecording checks what make demo-record wrote into docs/demo/: every
// file is the one recorded (sha256, so a hand edit fails: regenerate), the
// screenshots are the script's pages as PNGs of its size with something on
// them, and the cast is asciicast v2 showing the game day and its verdict.
func TestDemoRecording(t *testing.T) {
	root := repotest.Root(t)
	dir := filepath.Join(root, "docs", "demo")
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatalf("%v: record the demo with make demo-record", err)
	}
	var m manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("docs/demo/manifest.json: %v", err)
	}
	script, err := os.ReadFile(filepath.Join(root, "scripts", "demo-record.sh"))
	if err != nil {
		t.Fatal(err)
	}
	width, height, shots := shotSpec(t, script)

	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var onDisk []string
	for _, e := range entries {
		if n := e.Name(); n != "manifest.json" && n != "README.md" {
			onDisk = append(onDisk, n)
		}
	}
	var recorded []string
	for n := range m.Files {
		recorded = append(recorded, n)
	}
	slices.Sort(recorded)
	if !slices.Equal(onDisk, recorded) {
		t.Errorf("docs/demo/ holds %q, the manifest %q: regenerate with make demo-record", onDisk, recorded)
	}
	var pngs []string
	for _, n := range recorded {
		if strings.HasSuffix(n, ".png") {
			pngs = append(pngs, n)
		}
	}
	if !slices.Equal(pngs, shots) {
		t.Errorf("screenshots %q, scripts/demo-record.sh takes %q: regenerate with make demo-record", pngs, shots)
	}

	for _, n := range recorded {
		f := m.Files[n]
		data, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Error(err)
			continue
		}
		sum := sha256.Sum256(data)
		if got := hex.EncodeToString(sum[:]); got != f.SHA256 || len(data) != f.Bytes {
			t.Errorf("docs/demo/%s: sha256 %s, %d bytes; recorded %s, %d bytes: it was edited, regenerate it with make demo-record", n, got, len(data), f.SHA256, f.Bytes)
		}
		switch filepath.Ext(n) {
		case ".png":
			checkScreenshot(t, n, data, width, height)
		case ".cast":
			checkCast(t, n, data, f.Cols, f.Rows, m.Run)
		default:
			t.Errorf("docs/demo/%s: not a file the recording makes", n)
		}
	}
}

// shotSpec reads the screenshots' size and names from the script.
func shotSpec(t *testing.T, script []byte) (width, height int, names []string) {
	t.Helper()
	num := func(name string) int {
		m := regexp.MustCompile(`(?m)^` + name + `=(\d+)$`).FindSubmatch(script)
		if m == nil {
			t.Fatalf("scripts/demo-record.sh: no %s=", name)
		}
		n, _ := strconv.Atoi(string(m[1]))
		return n
	}
	for _, m := range regexp.MustCompile(`(?m)^\t"(\S+\.png) `).FindAllSubmatch(script, -1) {
		names = append(names, string(m[1]))
	}
	if len(names) == 0 {
		t.Fatal("scripts/demo-record.sh: no screenshot in SHOTS")
	}
	slices.Sort(names)
	return num("SHOT_WIDTH"), num("SHOT_HEIGHT"), names
}

func checkScreenshot(t *testing.T, name string, data []byte, width, height int) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Errorf("docs/demo/%s: not a PNG: %v", name, err)
		return
	}
	if b := img.Bounds(); b.Dx() != width || b.Dy() != height {
		t.Errorf("docs/demo/%s: %dx%d, want %dx%d", name, b.Dx(), b.Dy(), width, height)
	}
	if n := colours(img, 64); n < 16 {
		t.Errorf("docs/demo/%s: %d colours: a blank page, not a screenshot of one", name, n)
	}
}

// colours counts the distinct colours of img, up to limit.
func colours(img image.Image, limit int) int {
	seen := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, g, bl, a}] = true
			if len(seen) >= limit {
				return len(seen)
			}
		}
	}
	return len(seen)
}

// ansi matches the terminal's escape sequences.
var ansi = regexp.MustCompile(`\x1b(\[[0-9;?]*[ -/]*[@-~]|\][^\x07]*\x07|[()][A-Z0-9]|[=>78])`)

// checkCast checks the asciicast v2 format (a header line, then one event
// per line: [time, code, data], times never going back) and what it shows.
func checkCast(t *testing.T, name string, data []byte, cols, rows int, run string) {
	t.Helper()
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	if !sc.Scan() {
		t.Errorf("docs/demo/%s: empty", name)
		return
	}
	var header struct {
		Version   int     `json:"version"`
		Width     int     `json:"width"`
		Height    int     `json:"height"`
		Timestamp float64 `json:"timestamp"`
	}
	if err := json.Unmarshal(sc.Bytes(), &header); err != nil {
		t.Errorf("docs/demo/%s:1: header: %v", name, err)
		return
	}
	if header.Version != 2 || header.Width != cols || header.Height != rows || header.Timestamp <= 0 {
		t.Errorf("docs/demo/%s:1: header %+v, want version 2, %dx%d and a timestamp", name, header, cols, rows)
	}
	var out strings.Builder
	last, events := 0.0, 0
	for line := 2; sc.Scan(); line++ {
		var ev []json.RawMessage
		var at float64
		var code, text string
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil || len(ev) != 3 ||
			json.Unmarshal(ev[0], &at) != nil || json.Unmarshal(ev[1], &code) != nil || json.Unmarshal(ev[2], &text) != nil {
			t.Errorf("docs/demo/%s:%d: not an event [time, code, data]: %.80s", name, line, sc.Text())
			return
		}
		if at < last {
			t.Errorf("docs/demo/%s:%d: time %g before the previous event's %g", name, line, at, last)
		}
		if !slices.Contains([]string{"o", "i", "m", "r"}, code) {
			t.Errorf("docs/demo/%s:%d: event code %q", name, line, code)
		}
		last = at
		events++
		if code == "o" {
			out.WriteString(text)
		}
	}
	if err := sc.Err(); err != nil {
		t.Errorf("docs/demo/%s: %v", name, err)
	}
	screen := ansi.ReplaceAllString(out.String(), "")
	for _, want := range []string{"$ make demo", "sandbox up", "kill-one-replica", "pod-kill: HELD (exit 0)",
		"$ bin/gameday history list", "$ bin/gameday serve", run} {
		if !strings.Contains(screen, want) {
			t.Errorf("docs/demo/%s: the cast never shows %q", name, want)
		}
	}
	if events < 50 || last < 30 {
		t.Errorf("docs/demo/%s: %d events over %.0fs: too short for a game day", name, events, last)
	}
}
