// Package pipeline reads the GitHub Actions workflows of .github/workflows
// and checks what the delivery must keep doing: the promotion graph (prod
// only after the resilience gate and an approval, the gate only once
// staging is healthy), actions pinned to full commit SHAs, and the gameday
// command lines the workflows run. Its tests run these checks on the
// repository's own files, so that a refactor cannot quietly remove the gate.
package pipeline

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
)

// Workflow is the part of a workflow file read here.
type Workflow struct {
	Name string         `yaml:"name"`
	On   map[string]any `yaml:"on"`
	Jobs map[string]Job `yaml:"jobs"`
}

// Job is one job.
type Job struct {
	Needs           Strings `yaml:"needs"`
	If              string  `yaml:"if"`
	Environment     any     `yaml:"environment"`
	RunsOn          Strings `yaml:"runs-on"`
	Uses            string  `yaml:"uses"`
	ContinueOnError any     `yaml:"continue-on-error"`
	Steps           []Step  `yaml:"steps"`
}

// Step is one step.
type Step struct {
	Name            string            `yaml:"name"`
	Uses            string            `yaml:"uses"`
	Run             string            `yaml:"run"`
	If              string            `yaml:"if"`
	With            map[string]any    `yaml:"with"`
	Env             map[string]string `yaml:"env"`
	ContinueOnError any               `yaml:"continue-on-error"`
}

// Strings is a YAML string or list of strings (needs, runs-on).
type Strings []string

// UnmarshalYAML reads either form.
func (s *Strings) UnmarshalYAML(b []byte) error {
	var one string
	if err := yaml.Unmarshal(b, &one); err == nil {
		*s = Strings{one}
		return nil
	}
	var many []string
	if err := yaml.Unmarshal(b, &many); err != nil {
		return err
	}
	*s = many
	return nil
}

// Parse reads a workflow.
func Parse(data []byte) (*Workflow, error) {
	var w Workflow
	if err := yaml.Unmarshal(data, &w); err != nil {
		return nil, err
	}
	return &w, nil
}

// Load reads the workflow file path.
func Load(path string) (*Workflow, error) {
	b, err := os.ReadFile(path) // #nosec G304 -- the workflow file the caller names
	if err != nil {
		return nil, err
	}
	w, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return w, nil
}

// EnvironmentName is the job's environment (a name, or environment.name).
func (j Job) EnvironmentName() string {
	switch e := j.Environment.(type) {
	case string:
		return e
	case map[string]any:
		n, _ := e["name"].(string)
		return n
	}
	return ""
}

// continues reports whether a continue-on-error is set to anything but
// false (true, or an expression that may be).
func continues(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case bool:
		return v
	case string:
		return v != "false"
	}
	return true
}

// Commands are the gameday command lines of a job's run steps, as words
// (bin/gameday or go run ./harness/cmd/gameday left out), joined across
// backslash-newlines; a word with a shell expansion keeps it as written.
func (j Job) Commands() [][]string {
	var out [][]string
	for _, s := range j.Steps {
		out = append(out, commands(s.Run)...)
	}
	return out
}

var gamedayCmd = regexp.MustCompile(`(?:^|[\s;&|(])(?:\S*/)?(?:bin/gameday|gameday|go run \./harness/cmd/gameday)\s+([a-z].*)$`)

func commands(script string) [][]string {
	script = strings.ReplaceAll(script, "\\\n", " ")
	var out [][]string
	sc := bufio.NewScanner(strings.NewReader(script))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") || strings.HasPrefix(line, "echo ") {
			continue
		}
		m := gamedayCmd.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		rest := m[1]
		// The command ends at a pipe or a list operator.
		for _, sep := range []string{" | ", " && ", " || ", "; "} {
			if i := strings.Index(rest, sep); i >= 0 {
				rest = rest[:i]
			}
		}
		out = append(out, words(rest))
	}
	return out
}

// words splits a shell command into words, removing quotes.
func words(s string) []string {
	var out []string
	var cur strings.Builder
	in := byte(0)
	started := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case in != 0 && c == in:
			in = 0
		case in != 0:
			cur.WriteByte(c)
		case c == '"' || c == '\'':
			in, started = c, true
		case c == ' ' || c == '\t':
			if started {
				out = append(out, cur.String())
				cur.Reset()
				started = false
			}
		default:
			cur.WriteByte(c)
			started = true
		}
	}
	if started {
		out = append(out, cur.String())
	}
	return out
}

// runs reports whether one of the job's gameday command lines starts with
// cmd (the command words) and holds every flag of want (a flag given as
// --name=value or --name value).
func (j Job) runs(cmd []string, want ...string) bool {
	for _, c := range j.Commands() {
		if len(c) < len(cmd) || !slices.Equal(c[:len(cmd)], cmd) {
			continue
		}
		joined := " " + strings.Join(c, " ") + " "
		ok := true
		for _, w := range want {
			ok = ok && (strings.Contains(joined, " "+w+" ") || strings.Contains(joined, " "+strings.Replace(w, " ", "=", 1)+" "))
		}
		if ok {
			return true
		}
	}
	return false
}

// pinned is a reference to an action at a full commit SHA with its version
// in a comment: uses: owner/repo[/path]@<40 hex> # v1.2.3
var pinned = regexp.MustCompile(`^\s*-?\s*uses:\s*[\w.-]+/[\w./-]+@[0-9a-f]{40}\s+#\s*v?\d+(\.\d+)*\s*$`)

var usesLine = regexp.MustCompile(`^\s*-?\s*uses:\s*(\S+)`)

// Unpinned lists the uses: lines of a workflow that do not name an action
// by a full commit SHA with the version in a comment (local reusable
// workflows, ./..., excepted), as "line N: text".
func Unpinned(data []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		m := usesLine.FindStringSubmatch(line)
		if m == nil || strings.HasPrefix(m[1], "./") {
			continue
		}
		if !pinned.MatchString(line) {
			out = append(out, fmt.Sprintf("line %d: %s", n, strings.TrimSpace(line)))
		}
	}
	return out
}
