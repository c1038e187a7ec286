package cli

import (
	"fmt"
	"os"
	"path/filepath"

	ucli "github.com/urfave/cli/v2"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/report"
)

// renderer is a report in the three formats of slo report and dora.
type renderer interface {
	JSON() ([]byte, error)
	HTML() ([]byte, error)
	Markdown() []byte
}

// writeReport renders r in format (md, json or html) and writes it to
// --out atomically, or to stdout; what names the command in errors.
func writeReport(c *ucli.Context, what, format string, r renderer) error {
	var out []byte
	var err error
	switch format {
	case "json":
		out, err = r.JSON()
	case "html":
		out, err = r.HTML()
	default:
		out = r.Markdown()
	}
	if err != nil {
		return exitcode.Infraf("%s: render: %w", what, err)
	}
	return writeOut(c, what, "", out)
}

// writeOut writes a rendered report to --out atomically (creating its
// folder), saying so on stderr with note after the path, or to stdout;
// what names the command in errors.
func writeOut(c *ucli.Context, what, note string, out []byte) error {
	if p := c.String(flagOut); p != "" {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return exitcode.Infraf("%s: %w", what, err)
		}
		if err := report.WriteFile(p, out); err != nil {
			return exitcode.Infraf("%s: %w", what, err)
		}
		fmt.Fprintf(c.App.ErrWriter, "%s: wrote %s%s\n", what, p, note)
		return nil
	}
	if _, err := c.App.Writer.Write(out); err != nil {
		return exitcode.Infraf("%s: %w", what, err)
	}
	return nil
}
