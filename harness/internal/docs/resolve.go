package docs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/gamedayhq/gameday/harness/internal/cli"
)

// ErrNoCommand: the words name a command that only groups subcommands.
var ErrNoCommand = errors.New("names no command that runs")

// Resolve parses args (the words after "gameday") with the real command
// line of package cli, without running anything: every action is replaced
// by one that records what it was given. It fails when a command or
// subcommand does not exist, a flag is not a flag of its command (or lacks
// its value, or has a value its type refuses), or a flag follows the
// positional arguments (urfave/cli stops parsing flags at the first
// argument, so gameday would take it for an argument). Alternatives in the
// command path ("engage|release") must each resolve. A placeholder value
// (ID, <env>, ..., N) stands for a valid value of its flag's type.
func Resolve(args []string) error {
	if alts, ok := alternatives(args); ok {
		var errs []error
		for _, a := range alts {
			errs = append(errs, Resolve(a))
		}
		return errors.Join(errs...)
	}
	app := cli.New(strings.NewReader(""), io.Discard, io.Discard)
	path := commandPath(app, args)
	if len(path) == len(args) {
		return nil // a mention of a command ("gameday history"), not a command line
	}
	if anyCommand.MatchString(args[len(path)]) {
		return nil // "gameday <command> --help": any command, nothing to check
	}
	args = placeholders(app, path, args)

	var ran *ucli.Context
	record := func(c *ucli.Context) error {
		ran = c
		return nil
	}
	var unknown string
	app.CommandNotFound = func(_ *ucli.Context, name string) { unknown = name }
	app.Before, app.After = nil, nil
	disarm(app.Commands, record)

	err := app.RunContext(context.Background(), append([]string{"gameday"}, args...))
	switch {
	case unknown != "":
		return fmt.Errorf("unknown command %q (gameday --help lists them)", unknown)
	case err != nil:
		return err
	case ran == nil && (slices.Contains(args, "--help") || slices.Contains(args, "-h")):
		return nil
	case ran == nil:
		return fmt.Errorf("gameday %s: %w: it needs one of its subcommands", strings.Join(path, " "), ErrNoCommand)
	}
	for _, a := range ran.Args().Slice() {
		if len(a) > 1 && a[0] == '-' && a != Elided {
			return fmt.Errorf("gameday %s: %s comes after the arguments %q, where it is not parsed as a flag (urfave/cli stops at the first argument): put the flags first",
				strings.Join(path, " "), a, ran.Args().First())
		}
	}
	return nil
}

// disarm replaces the action of every command (and subcommand) by record,
// and removes their hooks: nothing runs but the parsing.
func disarm(cmds []*ucli.Command, record ucli.ActionFunc) {
	for _, c := range cmds {
		c.Before, c.After = nil, nil
		if c.Action != nil {
			c.Action = record
		}
		disarm(c.Subcommands, record)
	}
}

var pathWord = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)

// anyCommand is a placeholder where a command's name goes: <command>.
var anyCommand = regexp.MustCompile(`^<(sub)?command>$`)

// alternatives expands the first word of the command path written as
// alternatives ("engage|release") into one argument list per alternative.
func alternatives(args []string) ([][]string, bool) {
	for i, a := range args {
		if strings.HasPrefix(a, "-") {
			return nil, false
		}
		alts := strings.Split(a, "|")
		if len(alts) < 2 || !allPathWords(alts) {
			continue
		}
		out := make([][]string, 0, len(alts))
		for _, alt := range alts {
			out = append(out, slices.Concat(args[:i], []string{alt}, args[i+1:]))
		}
		return out, true
	}
	return nil, false
}

func allPathWords(ws []string) bool {
	for _, w := range ws {
		if !pathWord.MatchString(w) {
			return false
		}
	}
	return true
}

// commandPath follows the leading words of args through the commands and
// subcommands they name.
func commandPath(app *ucli.App, args []string) []string {
	var path []string
	cmds := app.Commands
	for _, a := range args {
		c := find(cmds, a)
		if c == nil {
			break
		}
		path = append(path, c.Name)
		cmds = c.Subcommands
	}
	return path
}

func find(cmds []*ucli.Command, name string) *ucli.Command {
	for _, c := range cmds {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}

// placeholder is a value the docs write for "any value": ID, RUN-ID, N,
// <env>, ..., ENV=URL.
var placeholder = regexp.MustCompile(`^(\.\.\.|<[^>]*>.*|[A-Z][A-Z0-9_-]*(\[?=.*)?)$`)

// placeholders replaces the placeholder values of typed flags by a valid
// value of the type (a string flag keeps its placeholder), and drops an
// elided value written after a flag that takes none.
func placeholders(app *ucli.App, path []string, args []string) []string {
	flags := slices.Clone(app.Flags)
	cmds := app.Commands
	for _, name := range path {
		c := find(cmds, name)
		flags = append(flags, c.Flags...)
		cmds = c.Subcommands
	}
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" || a == "--" {
			out = append(out, a)
			continue
		}
		name, value, inline := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f := flagNamed(flags, name)
		if f == nil {
			out = append(out, a)
			continue
		}
		takes := takesValue(f)
		if inline {
			if placeholder.MatchString(value) {
				a = a[:len(a)-len(value)] + sample(f, value)
			}
			out = append(out, a)
			continue
		}
		out = append(out, a)
		if !takes {
			if i+1 < len(args) && args[i+1] == Elided {
				i++
			}
			continue
		}
		if i+1 < len(args) && placeholder.MatchString(args[i+1]) {
			out = append(out, sample(f, args[i+1]))
			i++
		}
	}
	return out
}

func flagNamed(flags []ucli.Flag, name string) ucli.Flag {
	for _, f := range flags {
		if slices.Contains(f.Names(), name) {
			return f
		}
	}
	return nil
}

func takesValue(f ucli.Flag) bool {
	if d, ok := f.(ucli.DocGenerationFlag); ok {
		return d.TakesValue()
	}
	return true
}

// sample is a valid value of f's type standing for placeholder p.
func sample(f ucli.Flag, p string) string {
	switch f.(type) {
	case *ucli.IntFlag, *ucli.Int64Flag, *ucli.UintFlag, *ucli.Uint64Flag, *ucli.Float64Flag:
		return "1"
	case *ucli.DurationFlag:
		return "1s"
	case *ucli.TimestampFlag:
		return "2026-01-01T00:00:00Z"
	}
	return p
}
