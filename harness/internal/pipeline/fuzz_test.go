package pipeline

import (
	"strings"
	"testing"
)

// FuzzCommands reads gameday command lines out of any run: script. It
// never panics, and a command line found is never empty (the command is
// its first word) and holds no line break (backslash-newlines are joined).
func FuzzCommands(f *testing.F) {
	f.Add("chmod +x bin/gameday\nbin/gameday deploy promote --repo \"$R\" \\\n  --environment dev --output json | tee p.json\n")
	f.Add("go run ./harness/cmd/gameday notify --notify f.yaml --status failed --reason 'a job failed'\n")
	f.Add("# bin/gameday not this\necho \"bin/gameday nor this\"\nx && gameday gate --target kubernetes s.yaml; y\n")
	f.Add("bin/gameday run \"unterminated")
	f.Fuzz(func(t *testing.T, script string) {
		for _, c := range commands(script) {
			if len(c) == 0 {
				t.Fatalf("an empty command line from %q", script)
			}
			for _, w := range c {
				if strings.ContainsAny(w, "\n") {
					t.Fatalf("word %q holds a line break (script %q)", w, script)
				}
			}
		}
	})
}
