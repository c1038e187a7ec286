// Package cli is the gameday command line (urfave/cli/v2): run, gate,
// validate, sandbox up|down|status, cleanup and version. Actions parse flags
// into options and call into the domain packages; every error they return
// carries its exit code (package exitcode), which main turns into the
// process's status.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
)

// Version is set at build time (-ldflags "-X .../internal/cli.Version=v1.2.3").
var Version = "dev"

// Flag names shared by commands.
const (
	flagSandboxDir    = "sandbox-dir"
	flagReportsDir    = "reports-dir"
	flagRunID         = "run-id"
	flagPrometheusURL = "prometheus-url"
	flagLokiURL       = "loki-url"
	flagNoColor       = "no-color"
	flagOutput        = "output"
	flagTargetURL     = "target-url"
	flagSuite         = "suite"
)

// Run runs the gameday command line with args (args[0] is the program).
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	app := New(stdin, stdout, stderr)
	var unknown string
	app.CommandNotFound = func(_ *ucli.Context, name string) { unknown = name }
	err := app.RunContext(ctx, args)
	if unknown != "" && err == nil {
		return exitcode.Invalidf("unknown command %q: see gameday --help", unknown)
	}
	var ec ucli.ExitCoder
	if errors.As(err, &ec) && !hasCode(err) {
		return exitcode.Wrap(exitcode.Invalid, err)
	}
	return err
}

func hasCode(err error) bool {
	var e *exitcode.Error
	return errors.As(err, &e)
}

// New builds the application.
func New(stdin io.Reader, stdout, stderr io.Writer) *ucli.App {
	app := &ucli.App{
		Name:  "gameday",
		Usage: "run chaos game days against PetClinic and judge them",
		Description: `gameday runs an experiment (load + faults + steady-state hypothesis) against the
local sandbox or a cluster, watches the SLIs, recovers every fault, writes reports
(json, markdown, html, junit) and exits with a code CI can branch on:

` + exitCodeTable() + `
EXAMPLES:
   gameday sandbox up
   gameday run experiments/pod-kill.yaml
   gameday gate experiments/suites/preprod-gate.yaml
   gameday validate experiments/`,
		Version:              Version,
		Reader:               stdin,
		Writer:               stdout,
		ErrWriter:            stderr,
		EnableBashCompletion: true,
		HideHelpCommand:      true,
		// Errors are printed once, by main; never os.Exit from here.
		ExitErrHandler: func(*ucli.Context, error) {},
		OnUsageError: func(c *ucli.Context, err error, _ bool) error {
			return exitcode.Invalidf("%w (see gameday %s --help)", err, c.Command.Name)
		},
		Commands: []*ucli.Command{
			runCommand(false), runCommand(true), validateCommand(), sandboxCommand(), cleanupCommand(), versionCommand(),
			killSwitchCommand(), loadWorkerCommand(),
			sloCommand(),
			doraCommand(),
			scheduleCommand(), historyCommand(), serveCommand(),
			costCommand(),
			publishCommand(), notifyCommand(), deployCommand(),
			capacityCommand(),
		},
	}
	setUsageErrors("gameday", app.Commands)
	return app
}

// setUsageErrors makes a bad flag of any command an invalid-input error
// that points at the command's help.
func setUsageErrors(prefix string, cmds []*ucli.Command) {
	for _, c := range cmds {
		full := prefix + " " + c.Name
		c.OnUsageError = func(_ *ucli.Context, err error, _ bool) error {
			return exitcode.Invalidf("%w (see %s --help)", err, full)
		}
		setUsageErrors(full, c.Subcommands)
	}
}

func exitCodeTable() string {
	var b strings.Builder
	b.WriteString("EXIT CODES:\n")
	for _, d := range exitcode.Docs() {
		fmt.Fprintf(&b, "   %d  %-8s %s\n", d.Code, d.Name, d.Meaning)
	}
	return b.String()
}

func sandboxDirFlag() ucli.Flag {
	return &ucli.StringFlag{Name: flagSandboxDir, Usage: "directory of the local sandbox (default ${GAMEDAY_HOME:-$HOME/.gameday}/sandbox)", EnvVars: []string{"GAMEDAY_SANDBOX_DIR"}}
}

func outputFlag() ucli.Flag {
	return &ucli.StringFlag{Name: flagOutput, Aliases: []string{"o"}, Value: "text", Usage: "output format: text or json"}
}

// output reads --output.
func output(c *ucli.Context) (string, error) {
	switch o := c.String(flagOutput); o {
	case "text", "json":
		return o, nil
	default:
		return "", exitcode.Invalidf("--output %q: use text or json", o)
	}
}

// isTTY reports whether w is a terminal.
func isTTY(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func versionCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "version",
		Usage: "print the version of gameday",
		Description: `Prints the version, the Go toolchain and the VCS revision it was built from.

EXAMPLES:
   gameday version
   gameday version --output json`,
		Flags: []ucli.Flag{outputFlag()},
		Action: func(c *ucli.Context) error {
			o, err := output(c)
			if err != nil {
				return err
			}
			rev := "unknown"
			if bi, ok := debug.ReadBuildInfo(); ok {
				for _, s := range bi.Settings {
					if s.Key == "vcs.revision" {
						rev = s.Value
					}
				}
			}
			if o == "json" {
				return writeJSON(c.App.Writer, map[string]string{"version": Version, "go": runtime.Version(), "revision": rev})
			}
			fmt.Fprintf(c.App.Writer, "gameday %s (%s, revision %s)\n", Version, runtime.Version(), rev)
			return nil
		},
	}
}
