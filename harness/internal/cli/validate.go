package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	ucli "github.com/urfave/cli/v2"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/load"
	"github.com/gamedayhq/gameday/harness/internal/notify"
	"github.com/gamedayhq/gameday/harness/internal/schedule"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

func validateCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "validate",
		Usage:     "check experiment, suite, schedules and notifications files offline",
		ArgsUsage: "PATH...",
		Description: `Checks every experiment and suite in PATH (files, or directories walked for *.yaml
and *.yml) without touching any target: strict decoding, defaults, cross-field rules,
journey names, PromQL syntax with Prometheus' own parser, and whether the engine of
each experiment's target can honour every field of its faults; schedules files and the
files they name; notifications files and whether the secrets they name can be read here
(set the variables, or mount the files, as where they will run). Every problem is printed
as file:line:col: field: message. Exit 0 when all are valid, 2 otherwise.

EXAMPLES:
   gameday validate experiments/
   gameday validate experiments/pod-kill.yaml experiments/suites/preprod-gate.yaml
   gameday validate --output json experiments/ | jq '.files[] | select(.ok | not)'`,
		Flags: []ucli.Flag{outputFlag()},
		Action: func(c *ucli.Context) error {
			o, err := output(c)
			if err != nil {
				return err
			}
			if c.NArg() == 0 {
				return exitcode.Invalidf("validate: no PATH given: try gameday validate experiments/")
			}
			return validate(c.App.Writer, o, c.Args().Slice())
		},
	}
}

// fileResult is the outcome of one file, for --output json.
type fileResult struct {
	File   string   `json:"file"`
	Kind   string   `json:"kind,omitempty"`
	Name   string   `json:"name,omitempty"`
	OK     bool     `json:"ok"`
	Errors []string `json:"errors,omitempty"`
}

func validate(w io.Writer, out string, paths []string) error {
	cat, err := spec.ValidateOptions{Journeys: load.JourneyNames(), TargetKinds: true}.LoadPath(paths...)
	var list spec.ErrorList
	if err != nil && !errors.As(err, &list) {
		return exitcode.Wrap(exitcode.Invalid, err)
	}
	// Schedules files: their own strict decoding, and the files they name;
	// notifications files: theirs, and their secrets readable here.
	var schedules []*schedule.File
	var notifications []*notify.File
	for _, p := range paths {
		files, _ := spec.YAMLFiles(p) // a bad path is reported by LoadPath
		for _, f := range files {
			if notify.IsNotifications(f) {
				if nf, err := notify.Load(f); !addTo(&list, f, err) {
					notifications = append(notifications, nf)
				}
				continue
			}
			if !schedule.IsSchedules(f) {
				continue
			}
			if sf, err := loadSchedules(f); !addTo(&list, f, err) {
				schedules = append(schedules, sf)
			}
		}
	}
	// Engine checks: the sandbox engine's offline Validate.
	for _, e := range cat.Experiments {
		list = append(list, engineErrors(e)...)
	}
	for _, s := range cat.Suites {
		for _, e := range s.Experiments {
			list = append(list, engineErrors(e)...)
		}
	}
	var files []fileResult
	index := map[string]int{}
	add := func(file, kind, name string) *fileResult {
		if i, ok := index[file]; ok {
			if kind != "" && files[i].Kind == "" {
				files[i].Kind, files[i].Name = kind, name
			}
			return &files[i]
		}
		index[file] = len(files)
		files = append(files, fileResult{File: file, Kind: kind, Name: name, OK: true})
		return &files[len(files)-1]
	}
	for _, s := range cat.Suites {
		add(s.File, spec.KindSuite, s.Metadata.Name)
		for _, e := range s.Experiments {
			add(e.File, spec.KindExperiment, e.Metadata.Name)
		}
	}
	for _, e := range cat.Experiments {
		add(e.File, spec.KindExperiment, e.Metadata.Name)
	}
	for _, sf := range schedules {
		add(sf.Path, schedule.Kind, sf.Metadata.Name)
	}
	for _, nf := range notifications {
		add(nf.Path, notify.Kind, nf.Metadata.Name)
	}
	var loose []string // errors that name no file
	for _, e := range list {
		if e.File == "" {
			loose = append(loose, e.Error())
			continue
		}
		f := add(e.File, "", "")
		f.OK = false
		if !slices.Contains(f.Errors, e.Error()) { // an experiment of two suites
			f.Errors = append(f.Errors, e.Error())
		}
	}
	slices.SortStableFunc(files, func(a, b fileResult) int {
		switch {
		case a.File < b.File:
			return -1
		case a.File > b.File:
			return 1
		}
		return 0
	})
	bad := len(loose)
	for _, f := range files {
		if !f.OK {
			bad++
		}
	}
	if out == "json" {
		if err := writeJSON(w, map[string]any{"ok": bad == 0, "files": files, "errors": loose}); err != nil {
			return err
		}
	} else {
		for _, f := range files {
			if f.OK {
				fmt.Fprintf(w, "ok       %s (%s %s)\n", f.File, f.Kind, f.Name)
				continue
			}
			fmt.Fprintf(w, "invalid  %s\n", f.File)
			for _, e := range f.Errors {
				fmt.Fprintf(w, "  %s\n", e)
			}
		}
		for _, e := range loose {
			fmt.Fprintf(w, "invalid  %s\n", e)
		}
	}
	if bad > 0 {
		return exitcode.Invalidf("validate: %d of %d files invalid: fix the errors above (file:line:col: field: message)", bad, max(len(files), bad))
	}
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// engineErrors are the engine's offline complaints about e, as spec errors
// naming its file.
func engineErrors(e *spec.Experiment) spec.ErrorList {
	en, err := offlineEngine(e)
	if err != nil || en == nil {
		return nil
	}
	if err := en.Validate(e); err != nil {
		var l spec.ErrorList
		if errors.As(err, &l) {
			return l
		}
		var out spec.ErrorList
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, one := range j.Unwrap() {
				out = append(out, &spec.Error{File: e.File, Msg: one.Error()})
			}
			return out
		}
		return spec.ErrorList{{File: e.File, Msg: err.Error()}}
	}
	return nil
}

// addTo appends err, the error of loading file f, to list: its own
// positioned errors when it is a spec.ErrorList, else one error naming f.
// It reports whether there was an error.
func addTo(list *spec.ErrorList, f string, err error) bool {
	var l spec.ErrorList
	switch {
	case errors.As(err, &l):
		*list = append(*list, l...)
	case err != nil:
		*list = append(*list, &spec.Error{File: f, Msg: err.Error()})
	default:
		return false
	}
	return true
}
