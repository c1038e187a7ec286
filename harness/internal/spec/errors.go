package spec

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
)

// Error is one problem in a file: where it is and what is wrong, rendered
// as "file:line:col: field.path: message".
type Error struct {
	File   string // empty for a value built in code
	Line   int    // 1-based; 0 when unknown
	Column int    // 1-based; 0 when unknown
	Field  string // e.g. spec.faults[0].duration; empty for the whole file
	Msg    string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
		}
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ExitCode makes every spec error an invalid-input exit.
func (e *Error) ExitCode() int { return exitcode.Invalid }

// ErrorList is every problem found, sorted by file, line and column. It is
// returned as an error only when it is not empty.
type ErrorList []*Error

func (l ErrorList) Error() string {
	s := make([]string, len(l))
	for i, e := range l {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// Unwrap lets errors.As find each *Error.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// ExitCode makes a list of spec errors an invalid-input exit.
func (l ErrorList) ExitCode() int { return exitcode.Invalid }

// err is the list as an error: nil when empty, sorted and without
// duplicates otherwise.
func (l ErrorList) err() error {
	if len(l) == 0 {
		return nil
	}
	slices.SortStableFunc(l, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	l = slices.CompactFunc(l, func(a, b *Error) bool { return *a == *b })
	return l
}
