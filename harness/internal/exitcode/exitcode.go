// Package exitcode defines the exit codes of the gameday CLI. They are an
// API: CI gates branch on them, so a code never changes meaning.
//
//	code  name     meaning
//	0     OK       the steady-state hypothesis held
//	1     Failed   the hypothesis failed or an SLO was breached
//	2     Invalid  invalid input: a bad experiment, suite, flag or argument
//	3     Infra    infrastructure error: the target or Prometheus was
//	               unreachable, so the verdict is inconclusive
//	4     Aborted  aborted by a stop condition, a guard, the kill switch or
//	               SIGINT/SIGTERM; chaos was recovered
//
// Code that knows why it fails returns an *Error built with Failedf,
// Invalidf, Infraf or Abortedf (or Wrap); main calls Of on the error
// returned by the command and exits with that code. An error that carries
// no code is read as Infra: the harness cannot vouch for the system under
// test, so the run is inconclusive rather than a pass or a failure.
package exitcode

import (
	"context"
	"errors"
	"fmt"
)

// The exit codes.
const (
	// OK: the steady-state hypothesis held.
	OK = 0
	// Failed: the hypothesis failed or an SLO was breached.
	Failed = 1
	// Invalid: invalid input (experiment or suite file, flag, argument).
	Invalid = 2
	// Infra: infrastructure error (target or Prometheus unreachable, state
	// directory unusable); the verdict is inconclusive.
	Infra = 3
	// Aborted: a stop condition, guard, kill switch or SIGINT/SIGTERM ended
	// the run early; chaos was recovered.
	Aborted = 4
)

// Doc describes one exit code, for help texts and the README table.
type Doc struct {
	Code    int
	Name    string
	Meaning string
}

// Docs lists every exit code in order.
func Docs() []Doc {
	return []Doc{
		{OK, "ok", "the steady-state hypothesis held"},
		{Failed, "failed", "the hypothesis failed or an SLO was breached"},
		{Invalid, "invalid", "invalid input: experiment, suite, flag or argument"},
		{Infra, "infra", "infrastructure error (target or Prometheus unreachable): verdict inconclusive"},
		{Aborted, "aborted", "aborted by a stop condition, guard, kill switch or SIGINT/SIGTERM"},
	}
}

// Name is the short name of code ("ok", "failed", ...), or "code N" for a
// code outside the API.
func Name(code int) string {
	for _, d := range Docs() {
		if d.Code == code {
			return d.Name
		}
	}
	return fmt.Sprintf("code %d", code)
}

// Error is an error that decides the process's exit code.
type Error struct {
	Code int
	Err  error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return Name(e.Code)
	}
	return e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// ExitCode reports the code; other packages may implement the same method
// on their own error types instead of wrapping them in *Error.
func (e *Error) ExitCode() int { return e.Code }

// Wrap gives err the exit code code; Wrap(code, nil) is nil.
func Wrap(code int, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: code, Err: err}
}

// Failedf is fmt.Errorf (with %w) carrying the code Failed.
func Failedf(format string, a ...any) error { return Wrap(Failed, fmt.Errorf(format, a...)) }

// Invalidf is fmt.Errorf (with %w) carrying the code Invalid.
func Invalidf(format string, a ...any) error { return Wrap(Invalid, fmt.Errorf(format, a...)) }

// Infraf is fmt.Errorf (with %w) carrying the code Infra.
func Infraf(format string, a ...any) error { return Wrap(Infra, fmt.Errorf(format, a...)) }

// Abortedf is fmt.Errorf (with %w) carrying the code Aborted.
func Abortedf(format string, a ...any) error { return Wrap(Aborted, fmt.Errorf(format, a...)) }

// coder is any error that knows its exit code (*Error, spec.ErrorList, ...).
type coder interface{ ExitCode() int }

// Of is the exit code for err:
//   - nil: OK;
//   - the outermost error in the chain with an ExitCode() int method (such
//     as *Error): its code;
//   - context.Canceled anywhere in the chain: Aborted (a signal cancelled
//     the run's context);
//   - anything else: Infra, since an unexplained error leaves the verdict
//     inconclusive.
func Of(err error) int {
	if err == nil {
		return OK
	}
	var c coder
	if errors.As(err, &c) {
		return c.ExitCode()
	}
	if errors.Is(err, context.Canceled) {
		return Aborted
	}
	return Infra
}

// Precedence orders the codes of a suite's runs, which exits with the
// highest: aborted > infra > invalid > failed > ok (a code outside the
// API ranks with infra, as Of reads an unexplained error).
func Precedence(code int) int {
	switch code {
	case OK:
		return 0
	case Failed:
		return 1
	case Invalid:
		return 2
	case Aborted:
		return 4
	}
	return 3
}

// Worse is the error of a and b with the code of higher Precedence (a
// when they tie).
func Worse(a, b error) error {
	if Precedence(Of(b)) > Precedence(Of(a)) {
		return b
	}
	return a
}
