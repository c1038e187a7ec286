package exitcode_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"testing"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
)

type selfCoded struct{}

func (selfCoded) Error() string { return "self coded" }
func (selfCoded) ExitCode() int { return exitcode.Invalid }

func TestOf(t *testing.T) {
	tests := map[string]struct {
		err  error
		want int
	}{
		"no error is ok":                           {nil, exitcode.OK},
		"a failed hypothesis is 1":                 {exitcode.Failedf("probe %q breached", "p99"), exitcode.Failed},
		"invalid input is 2":                       {exitcode.Invalidf("bad file"), exitcode.Invalid},
		"an unreachable Prometheus is 3":           {exitcode.Infraf("query: %w", fs.ErrNotExist), exitcode.Infra},
		"a stop condition is 4":                    {exitcode.Abortedf("stop condition"), exitcode.Aborted},
		"a code survives wrapping with %w":         {fmt.Errorf("run: %w", exitcode.Invalidf("x")), exitcode.Invalid},
		"the outermost code wins":                  {exitcode.Abortedf("abort: %w", exitcode.Infraf("x")), exitcode.Aborted},
		"an error with its own ExitCode method":    {fmt.Errorf("load: %w", selfCoded{}), exitcode.Invalid},
		"a cancelled context is aborted":           {fmt.Errorf("attack: %w", context.Canceled), exitcode.Aborted},
		"an unexplained error is inconclusive":     {errors.New("boom"), exitcode.Infra},
		"a deadline is inconclusive, not an abort": {context.DeadlineExceeded, exitcode.Infra},
		"a coded error beats a cancelled context":  {exitcode.Failedf("verdict: %w", context.Canceled), exitcode.Failed},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := exitcode.Of(tt.err); got != tt.want {
				t.Errorf("Of(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}

func TestErrorKeepsMessageAndChain(t *testing.T) {
	err := exitcode.Infraf("prometheus: %w", fs.ErrNotExist)
	if got, want := err.Error(), "prometheus: file does not exist"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errors.Is(%v, fs.ErrNotExist) = false, want true", err)
	}
	var e *exitcode.Error
	if !errors.As(err, &e) || e.Code != exitcode.Infra {
		t.Errorf("errors.As(*Error) = %v (%+v), want code %d", errors.As(err, &e), e, exitcode.Infra)
	}
	if got := exitcode.Wrap(exitcode.Failed, nil); got != nil {
		t.Errorf("Wrap(Failed, nil) = %v, want nil", got)
	}
}

func TestDocsAreTheAPI(t *testing.T) {
	want := []string{"ok", "failed", "invalid", "infra", "aborted"}
	docs := exitcode.Docs()
	if len(docs) != len(want) {
		t.Fatalf("len(Docs()) = %d, want %d", len(docs), len(want))
	}
	for i, d := range docs {
		if d.Code != i || d.Name != want[i] || d.Meaning == "" {
			t.Errorf("Docs()[%d] = %+v, want code %d named %q with a meaning", i, d, i, want[i])
		}
		if got := exitcode.Name(i); got != want[i] {
			t.Errorf("Name(%d) = %q, want %q", i, got, want[i])
		}
	}
	if got := exitcode.Name(99); got != "code 99" {
		t.Errorf("Name(99) = %q, want %q", got, "code 99")
	}
}
