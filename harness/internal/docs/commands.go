// Package docs holds the repository's Markdown to the code: every gameday
// command line a document shows (in a code block, or in an inline code
// span) is read back into its arguments, so that a test can resolve each one
// against the real command line (package cli) and name the file and line of
// a removed command or a misspelt flag.
package docs

import (
	"regexp"
	"strings"
	"unicode"
)

// A Command is one gameday command line found in a Markdown file.
type Command struct {
	// File and Line locate it (Line is 1-based: the line where the command
	// starts, before any continuation).
	File string
	Line int
	// Text is the command as written, continuations joined.
	Text string
	// Args are its words after the program (gameday, bin/gameday, go run
	// ./cmd/gameday), quotes removed, with the notation of the docs
	// undone: [optional] brackets dropped, a lone "..." dropped unless it
	// stands for a flag's value.
	Args []string
}

// languages whose fenced blocks hold shell sessions, commands or their
// output; the blocks of any other language (yaml, json, go, mermaid ...) are
// data, never read for commands.
var shellish = map[string]bool{
	"": true, "sh": true, "bash": true, "shell": true, "console": true, "text": true,
	"sh-session": true, "shell-session": true, "plaintext": true, "txt": true,
}

var fence = regexp.MustCompile("^\\s*(`{3,}|~{3,})\\s*([A-Za-z0-9_+-]*)")

// Commands finds the gameday command lines of one Markdown document: lines
// of fenced shell blocks and of indented code blocks (a leading "$ " prompt,
// environment assignments and "cd dir &&" chains are skipped; "\" joins
// lines; "#" starts a comment), and inline code spans of prose that begin
// with the program.
func Commands(file string, md []byte) []Command {
	lines := strings.Split(strings.ReplaceAll(string(md), "\r\n", "\n"), "\n")
	var out []Command
	var para []string // prose lines of the current paragraph
	paraStart := 0
	flush := func() {
		out = append(out, spans(file, paraStart, para)...)
		para = nil
	}
	blank := true // the previous line was blank (or code): an indented line may start a code block
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if m := fence.FindStringSubmatch(line); m != nil {
			flush()
			end := closing(lines, i+1, m[1])
			if shellish[strings.ToLower(m[2])] {
				out = append(out, block(file, lines, i+1, end)...)
			}
			i, blank = end, true
			continue
		}
		if blank && isIndented(line) { // a line of an indented code block
			flush()
			if startsWithProgram(strings.TrimSpace(line)) {
				i = codeLine(file, lines, i, &out)
			}
			continue
		}
		if strings.TrimSpace(line) == "" {
			flush()
			blank = true
			continue
		}
		blank = false
		if len(para) == 0 {
			paraStart = i + 1
		}
		para = append(para, line)
	}
	flush()
	return out
}

// closes reports whether the fence m (a match of fence) closes the block
// opened with open: the same character, at least as many, no info string.
func closes(m []string, open string) bool {
	return m[1][0] == open[0] && len(m[1]) >= len(open) && m[2] == ""
}

// codeFences follows the fenced code blocks of a document line by line.
type codeFences struct{ open string }

// skip reports whether line is a fence or inside a fenced block.
func (c *codeFences) skip(line string) bool {
	if m := fence.FindStringSubmatch(line); m != nil {
		switch {
		case c.open == "":
			c.open = m[1]
		case closes(m, c.open):
			c.open = ""
		}
		return true
	}
	return c.open != ""
}

// closing is the index of the line that closes the fence opened with open
// (len(lines) when it is never closed: the block runs to the end).
func closing(lines []string, from int, open string) int {
	for j := from; j < len(lines); j++ {
		if m := fence.FindStringSubmatch(lines[j]); m != nil && closes(m, open) {
			return j
		}
	}
	return len(lines)
}

// block reads the command lines of the shell block lines[from:to]: when some
// lines have a "$ " prompt, only those (the others are output).
func block(file string, lines []string, from, to int) []Command {
	prompted := false
	for _, l := range lines[from:to] {
		prompted = prompted || strings.HasPrefix(strings.TrimSpace(l), "$ ")
	}
	var out []Command
	for i := from; i < to; i++ {
		if prompted && !strings.HasPrefix(strings.TrimSpace(lines[i]), "$ ") {
			continue
		}
		i = codeLine(file, lines[:to], i, &out)
	}
	return out
}

// isIndented reports whether line is indented by four spaces or a tab.
func isIndented(line string) bool {
	return strings.TrimSpace(line) != "" && (strings.HasPrefix(line, "    ") || strings.HasPrefix(line, "\t"))
}

// startsWithProgram is a cheap look at the first word (after a prompt).
func startsWithProgram(s string) bool {
	s = strings.TrimPrefix(s, "$ ")
	first, _, _ := strings.Cut(s, " ")
	return isProgram(first)
}

// codeLine reads the command line that starts at lines[i] (a line of a code
// block) with its "\" continuations, adds its gameday commands to out, and
// returns the index of its last line.
func codeLine(file string, lines []string, i int, out *[]Command) int {
	start := i
	text := strings.TrimSpace(lines[i])
	for strings.HasSuffix(text, `\`) && i+1 < len(lines) {
		i++
		text = strings.TrimSuffix(text, `\`) + " " + strings.TrimSpace(lines[i])
	}
	*out = append(*out, parseLine(file, start+1, text, true)...)
	return i
}

// spans finds the inline code spans of a paragraph (lines from line first,
// 1-based) that hold a gameday command; a span may run over a line break.
func spans(file string, first int, para []string) []Command {
	if len(para) == 0 {
		return nil
	}
	text := strings.Join(para, "\n")
	var out []Command
	for i := 0; i < len(text); {
		if text[i] != '`' {
			i++
			continue
		}
		n := run(text[i:], '`')
		end := strings.Index(text[i+n:], strings.Repeat("`", n))
		if end < 0 {
			break
		}
		body := text[i+n : i+n+end]
		line := first + strings.Count(text[:i], "\n")
		if c := strings.TrimSpace(strings.ReplaceAll(body, "\n", " ")); startsWithProgram(c) {
			out = append(out, parseLine(file, line, c, false)...)
		}
		i += 2*n + end
	}
	return out
}

// run counts the leading bytes of s equal to b.
func run(s string, b byte) int {
	n := 0
	for n < len(s) && s[n] == b {
		n++
	}
	return n
}

// parseLine splits a shell line into its commands and keeps the gameday
// ones. comments: "#" at the start of a word ends the line (code blocks).
func parseLine(file string, line int, text string, comments bool) []Command {
	words := shellWords(text, comments)
	var out []Command
	for _, seg := range segments(words) {
		args, ok := gamedayArgs(seg)
		if !ok {
			continue
		}
		out = append(out, Command{File: file, Line: line, Text: strings.TrimSpace(text), Args: notation(args)})
	}
	return out
}

// A word of a shell line: its text, and whether it is an operator
// (&&, ||, ;, |, or a redirection) rather than a word.
type word struct {
	s  string
	op bool
}

// shellWords splits a line as a POSIX shell would, well enough for
// documentation: single and double quotes, backslash escapes, operators
// (&&, ||, ;, a | standing alone) and redirections; "|" inside a word (the
// docs' "engage|release") stays in the word.
func shellWords(s string, comments bool) []word {
	var out []word
	var cur strings.Builder
	inWord := false
	emit := func() {
		if inWord {
			out = append(out, word{s: cur.String()})
		}
		cur.Reset()
		inWord = false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'':
			inWord = true
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				cur.WriteString(s[i+1:])
				i = len(s)
				continue
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
		case c == '"':
			inWord = true
			for i++; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				cur.WriteByte(s[i])
			}
		case c == '\\' && i+1 < len(s):
			inWord = true
			i++
			cur.WriteByte(s[i])
		case c == ' ' || c == '\t':
			emit()
		case c == '#' && !inWord && comments:
			emit()
			return out
		case c == ';' || c == '&' && strings.HasPrefix(s[i:], "&&"):
			emit()
			if c == '&' {
				i++
			}
			out = append(out, word{s: ";", op: true})
		case c == '|' && strings.HasPrefix(s[i:], "||"):
			emit()
			i++
			out = append(out, word{s: ";", op: true})
		case c == '|' && !inWord:
			// a pipe: what follows reads gameday's output
			emit()
			out = append(out, word{s: "|", op: true})
		case c == '<' && !inWord && isPlaceholder(s[i:]):
			inWord = true
			cur.WriteByte(c)
		case (c == '>' || c == '<') && !inWord:
			emit()
			out = append(out, word{s: string(c), op: true})
		case c == '>' && inWord && isFD(cur.String()):
			cur.Reset()
			inWord = false
			out = append(out, word{s: ">", op: true})
		default:
			inWord = true
			cur.WriteByte(c)
		}
	}
	emit()
	return out
}

func isFD(s string) bool { return s == "1" || s == "2" || s == "&" }

// isPlaceholder reports whether s starts with a word such as <env> or
// <publish.path>/x: the docs' placeholder, not a redirection.
func isPlaceholder(s string) bool {
	w, _, _ := strings.Cut(s, " ")
	return len(w) > 2 && w[1] != '<' && strings.Contains(w[1:], ">")
}

// segments cuts words at the command separators; a redirection and its
// target are dropped.
func segments(words []word) [][]string {
	var out [][]string
	var cur []string
	if len(words) > 0 && words[0].op { // "| a | b |": a table row, not a command
		return nil
	}
	for i := 0; i < len(words); i++ {
		w := words[i]
		switch {
		case w.op && w.s == "|":
			// the right side of a pipe reads the left side's output
			for i+1 < len(words) && !(words[i+1].op && words[i+1].s == ";") {
				i++
			}
		case w.op && w.s == ";":
			out = append(out, cur)
			cur = nil
		case w.op: // > or <: skip the target, unless written >&2
			if i+1 < len(words) && !words[i+1].op {
				i++
			}
		default:
			cur = append(cur, w.s)
		}
	}
	return append(out, cur)
}

var assignment = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)

// gamedayArgs returns the arguments of seg when seg runs gameday: after a
// prompt, environment assignments and wrappers (sudo, env, time, exec).
func gamedayArgs(seg []string) ([]string, bool) {
	i := 0
	for i < len(seg) {
		switch w := seg[i]; {
		case w == "$" || w == "sudo" || w == "env" || w == "time" || w == "exec" || assignment.MatchString(w):
			i++
			continue
		case isProgram(w):
			return seg[i+1:], true
		case w == "go" && i+2 < len(seg) && seg[i+1] == "run" && isGoPackage(seg[i+2]):
			return seg[i+3:], true
		}
		return nil, false
	}
	return nil, false
}

// isProgram reports whether w names the gameday binary: gameday,
// bin/gameday, ./bin/gameday, ../bin/gameday, /usr/local/bin/gameday.
func isProgram(w string) bool {
	w = strings.TrimPrefix(w, "$ ")
	return w == "gameday" || strings.HasSuffix(w, "bin/gameday") && !strings.ContainsFunc(w, unicode.IsSpace)
}

// isGoPackage reports whether w is the gameday main package (go run).
func isGoPackage(w string) bool {
	return strings.HasSuffix(strings.TrimSuffix(w, "/"), "cmd/gameday")
}

// notation undoes the docs' shorthand: [--flag VALUE] brackets around
// optional words are dropped, and so is a lone "..." (more of the same),
// except right after a flag, where it stands for the flag's value; whether
// that flag takes a value is for the resolver to say, so it is kept there.
func notation(args []string) []string {
	var out []string
	for _, a := range args {
		a = strings.TrimSuffix(strings.TrimPrefix(a, "["), "]")
		if a == "" {
			continue
		}
		if a == "..." || a == "…" {
			if n := len(out); n > 0 && strings.HasPrefix(out[n-1], "-") && !strings.Contains(out[n-1], "=") {
				out = append(out, Elided)
			}
			continue
		}
		out = append(out, a)
	}
	return out
}

// Elided stands for a value the docs left out ("--context ...").
const Elided = "..."
