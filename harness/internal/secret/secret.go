// Package secret reads the credentials gameday sends to other systems (a
// git token, a Slack webhook URL, a bearer token) from a file or the
// environment, and keeps them out of what gameday writes: every message
// that could carry one goes through a Redactor first.
//
// A secret is never taken from a command-line flag (flags are visible in
// ps, in a pod's spec and in CI logs): flags name the file or the variable.
package secret

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
)

// ErrEmpty is returned for a file or variable that holds nothing.
var ErrEmpty = errors.New("empty")

// Ref says where a secret is: a file (a mounted Secret, a CI secret
// written to disk) or an environment variable. Exactly one is set.
type Ref struct {
	File string `json:"file,omitempty"`
	Env  string `json:"env,omitempty"`
}

// IsZero reports whether r names nothing.
func (r Ref) IsZero() bool { return r.File == "" && r.Env == "" }

// String names the source, never the value.
func (r Ref) String() string {
	if r.File != "" {
		return "file " + r.File
	}
	return "$" + r.Env
}

// Read returns the secret, trimmed of surrounding white space (a file
// written by echo ends in a newline).
func (r Ref) Read() (string, error) {
	var v string
	switch {
	case r.File != "" && r.Env != "":
		return "", fmt.Errorf("secret: set one of file or env, not both")
	case r.File != "":
		b, err := os.ReadFile(r.File)
		if err != nil {
			return "", fmt.Errorf("secret: %w", err)
		}
		v = string(b)
	case r.Env != "":
		v = os.Getenv(r.Env)
	default:
		return "", fmt.Errorf("secret: set file or env")
	}
	v = strings.TrimSpace(v)
	if v == "" {
		return "", fmt.Errorf("secret: %s: %w", r, ErrEmpty)
	}
	return v, nil
}

// Redactor replaces known secrets by "***" in text. The zero value is
// ready; it is safe for concurrent use.
type Redactor struct {
	mu      sync.RWMutex
	secrets []string
}

// minLen: shorter values are not redacted (a one-letter "secret" would
// mangle every message, and is no secret).
const minLen = 4

// Add registers secrets; values shorter than 4 bytes are ignored.
func (r *Redactor) Add(secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range secrets {
		if len(s) >= minLen && !slices.Contains(r.secrets, s) {
			r.secrets = append(r.secrets, s)
		}
	}
	// Longest first: a secret containing another is replaced whole.
	slices.SortFunc(r.secrets, func(a, b string) int { return len(b) - len(a) })
}

// String is s with every secret replaced by ***.
func (r *Redactor) String(s string) string {
	if r == nil {
		return s
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, sec := range r.secrets {
		s = strings.ReplaceAll(s, sec, "***")
	}
	return s
}

// Error is err with its message redacted (nil stays nil). The result
// still matches the sentinels err wraps (errors.Is), so callers can
// branch on it.
func (r *Redactor) Error(err error) error {
	if err == nil {
		return nil
	}
	msg := r.String(err.Error())
	if msg == err.Error() {
		return err
	}
	return &redacted{msg: msg, err: err}
}

type redacted struct {
	msg string
	err error
}

func (e *redacted) Error() string { return e.msg }

// Is matches what the original error matches, without exposing it
// through Unwrap (whose message would hold the secret).
func (e *redacted) Is(target error) bool { return errors.Is(e.err, target) }

// Writer returns a writer that redacts each Write before passing it to w.
// A secret split across two writes is not caught: write whole lines.
func (r *Redactor) Writer(w io.Writer) io.Writer { return redactWriter{r: r, w: w} }

type redactWriter struct {
	r *Redactor
	w io.Writer
}

func (rw redactWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(rw.w, rw.r.String(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}
