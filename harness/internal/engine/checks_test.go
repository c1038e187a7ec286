package engine_test

import (
	"context"
	"errors"
	"testing"

	"github.com/gamedayhq/gameday/harness/internal/engine"
	"github.com/gamedayhq/gameday/harness/internal/exitcode"
)

func pass(detail string) func(context.Context) (string, error) {
	return func(context.Context) (string, error) { return detail, nil }
}

func fail(err error) func(context.Context) (string, error) {
	return func(context.Context) (string, error) { return "", err }
}

func TestRunChecks(t *testing.T) {
	tests := map[string]struct {
		checks   []engine.PreflightCheck
		wantRun  []string // names reported, in order
		wantOK   []bool
		wantCode int
		wantErr  string
	}{
		"every check passes: no error, every detail reported": {
			checks:  []engine.PreflightCheck{{Name: "a", Run: pass("fine")}, {Name: "b", Run: pass("also"), Gate: true}},
			wantRun: []string{"a", "b"}, wantOK: []bool{true, true},
		},
		"a refusal without a code is the infrastructure's (exit 3)": {
			checks:  []engine.PreflightCheck{{Name: "a", Run: fail(errors.New("cannot read"))}, {Name: "b", Run: pass("ok")}},
			wantRun: []string{"a", "b"}, wantOK: []bool{false, true},
			wantCode: exitcode.Infra, wantErr: "refused by preflight:\na: cannot read",
		},
		"the most telling code wins: invalid over aborted over infra": {
			checks: []engine.PreflightCheck{
				{Name: "infra", Run: fail(errors.New("down"))},
				{Name: "guard", Run: fail(engine.Refuse(exitcode.Aborted, "kill switch engaged"))},
				{Name: "invalid", Run: fail(engine.Refuse(exitcode.Invalid, "namespace %s not allowed", "payments"))},
				{Name: "guard2", Run: fail(engine.Refuse(exitcode.Aborted, "one zone"))},
			},
			wantRun: []string{"infra", "guard", "invalid", "guard2"}, wantOK: []bool{false, false, false, false},
			wantCode: exitcode.Invalid,
			wantErr:  "refused by preflight:\ninfra: down\nguard: kill switch engaged\ninvalid: namespace payments not allowed\nguard2: one zone",
		},
		"a gate stops the checks after a refusal": {
			checks: []engine.PreflightCheck{
				{Name: "allowed", Run: fail(engine.Refuse(exitcode.Invalid, "no"))},
				{Name: "read", Run: pass("never"), Gate: true},
				{Name: "after", Run: pass("never")},
			},
			wantRun: []string{"allowed"}, wantOK: []bool{false}, wantCode: exitcode.Invalid, wantErr: "refused by preflight:\nallowed: no",
		},
		"a skipped check is not reported": {
			checks:  []engine.PreflightCheck{{Name: "a", Run: pass("ok")}, {Name: "b", Run: fail(engine.ErrSkip)}, {Name: "c", Run: pass("ok")}},
			wantRun: []string{"a", "c"}, wantOK: []bool{true, true},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			pf, err := engine.RunChecks(t.Context(), tt.checks)
			var names []string
			var oks []bool
			for _, c := range pf.Checks {
				names = append(names, c.Name)
				oks = append(oks, c.OK)
			}
			if len(names) != len(tt.wantRun) {
				t.Fatalf("got checks %v, want %v", names, tt.wantRun)
			}
			for i := range names {
				if names[i] != tt.wantRun[i] || oks[i] != tt.wantOK[i] {
					t.Errorf("got check %d %s ok=%t, want %s ok=%t", i, names[i], oks[i], tt.wantRun[i], tt.wantOK[i])
				}
			}
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if gotErr != tt.wantErr {
				t.Errorf("got error %q, want %q", gotErr, tt.wantErr)
			}
			if err != nil && (!errors.Is(err, engine.ErrRefused) || exitcode.Of(err) != tt.wantCode) {
				t.Errorf("got exit %d (refused %t), want %d wrapping ErrRefused", exitcode.Of(err), errors.Is(err, engine.ErrRefused), tt.wantCode)
			}
		})
	}
}
