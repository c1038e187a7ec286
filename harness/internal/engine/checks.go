package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
)

// ErrRefused is wrapped by every preflight refusal.
var ErrRefused = errors.New("refused")

// ErrSkip, returned by a check, leaves it out of the report: what it
// checks could not be read, and an earlier check said why.
var ErrSkip = errors.New("check skipped")

// PreflightCheck is one named preflight check.
type PreflightCheck struct {
	Name string
	// Run returns what it found, or why the target cannot take the
	// experiment: an error carrying its exit code (exitcode.Wrap; without
	// one the code is 3, the target could not be read), or ErrSkip.
	Run func(ctx context.Context) (detail string, err error)
	// Gate: this check and the ones after it run only when every check
	// before passed (a refused namespace is not read further).
	Gate bool
}

// Refuse is the error of a check that refuses with exit code code.
func Refuse(code int, format string, a ...any) error {
	return exitcode.Wrap(code, fmt.Errorf(format, a...))
}

// rank orders the exit codes of refusals, the most telling first: an
// invalid invocation, then a guard's refusal, then the infrastructure.
var rank = map[int]int{exitcode.Invalid: 3, exitcode.Aborted: 2, exitcode.Infra: 1}

// RunChecks runs checks in order and reports each. The error, when a check
// failed, wraps ErrRefused, joins one line per failed check ("name:
// detail") and carries the exit code of the most telling refusal.
func RunChecks(ctx context.Context, checks []PreflightCheck) (Preflight, error) {
	var pf Preflight
	var errs []error
	code := 0
	for _, c := range checks {
		if c.Gate && len(errs) > 0 {
			break
		}
		detail, err := c.Run(ctx)
		switch {
		case errors.Is(err, ErrSkip):
			continue
		case err == nil:
			pf.Checks = append(pf.Checks, Check{Name: c.Name, OK: true, Detail: detail})
			continue
		}
		pf.Checks = append(pf.Checks, Check{Name: c.Name, OK: false, Detail: err.Error()})
		errs = append(errs, fmt.Errorf("%s: %w", c.Name, err))
		if c := codeOf(err); code == 0 || rank[c] > rank[code] {
			code = c
		}
	}
	if len(errs) == 0 {
		return pf, nil
	}
	return pf, exitcode.Wrap(code, fmt.Errorf("%w by preflight:\n%w", ErrRefused, errors.Join(errs...)))
}

// codeOf is err's own exit code, else Infra.
func codeOf(err error) int {
	var c interface{ ExitCode() int }
	if errors.As(err, &c) {
		return c.ExitCode()
	}
	return exitcode.Infra
}
