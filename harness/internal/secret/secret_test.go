package secret_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gamedayhq/gameday/harness/internal/secret"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	token := write("token", "ghp_fileTOKEN\n")
	blank := write("blank", " \n\t\n")
	t.Setenv("SECRET_TEST_SET", "  envTOKEN42 ")
	t.Setenv("SECRET_TEST_BLANK", "")
	tests := map[string]struct {
		ref     secret.Ref
		want    string
		wantErr string
	}{
		"a file, trimmed of its newline": {ref: secret.Ref{File: token}, want: "ghp_fileTOKEN"},
		"a variable, trimmed":            {ref: secret.Ref{Env: "SECRET_TEST_SET"}, want: "envTOKEN42"},
		"a file of white space is empty": {ref: secret.Ref{File: blank}, wantErr: "secret: file " + blank + ": empty"},
		"an empty variable":              {ref: secret.Ref{Env: "SECRET_TEST_BLANK"}, wantErr: "secret: $SECRET_TEST_BLANK: empty"},
		"a missing file":                 {ref: secret.Ref{File: filepath.Join(dir, "nope")}, wantErr: "no such file or directory"},
		"both file and env":              {ref: secret.Ref{File: token, Env: "SECRET_TEST_SET"}, wantErr: "set one of file or env, not both"},
		"neither":                        {ref: secret.Ref{}, wantErr: "secret: set file or env"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := tt.ref.Read()
			if tt.wantErr == "" {
				if err != nil || got != tt.want {
					t.Errorf("got %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || got != "" {
				t.Errorf("got %q, %v; want the error %q", got, err, tt.wantErr)
			}
		})
	}
	// The source is named, never the value.
	if s := (secret.Ref{Env: "SECRET_TEST_SET"}).String(); s != "$SECRET_TEST_SET" {
		t.Errorf("String() = %q", s)
	}
	if _, err := (secret.Ref{File: blank}).Read(); !errors.Is(err, secret.ErrEmpty) {
		t.Errorf("an empty secret's error %v is not ErrEmpty", err)
	}
}

func TestRedactor(t *testing.T) {
	var r secret.Redactor
	r.Add("abc", "tokenVALUE", "tokenVALUE-and-more", "tokenVALUE") // too short, duplicate
	tests := map[string]struct{ in, want string }{
		"a secret":                            {"push: token tokenVALUE refused", "push: token *** refused"},
		"the longer secret is replaced whole": {"x tokenVALUE-and-more y", "x *** y"},
		"a short value is no secret":          {"abc abc", "abc abc"},
		"every occurrence":                    {"tokenVALUE/tokenVALUE", "***/***"},
		"nothing to hide":                     {"fetch main: connection refused", "fetch main: connection refused"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := r.String(tt.in); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	var none *secret.Redactor
	if got := none.String("tokenVALUE"); got != "tokenVALUE" {
		t.Errorf("a nil Redactor changed the text: %q", got)
	}
}

func TestRedactedErrorsKeepTheirSentinels(t *testing.T) {
	var r secret.Redactor
	r.Add("hunter22")
	err := r.Error(fmt.Errorf("open https://bot:hunter22@example.com: %w", fs.ErrPermission))
	if strings.Contains(err.Error(), "hunter22") || !strings.Contains(err.Error(), "bot:***@") {
		t.Errorf("error %q", err)
	}
	if !errors.Is(err, fs.ErrPermission) {
		t.Errorf("the redacted error no longer is fs.ErrPermission")
	}
	if errors.Unwrap(err) != nil {
		t.Errorf("the redacted error unwraps to its original, secret and all")
	}
	plain := errors.New("nothing secret")
	if r.Error(plain) != plain || r.Error(nil) != nil {
		t.Error("an error without a secret is not returned as it is")
	}
}

func TestWriter(t *testing.T) {
	var r secret.Redactor
	r.Add("s3cretTOKEN")
	var b strings.Builder
	w := r.Writer(&b)
	n, err := w.Write([]byte("token=s3cretTOKEN\n"))
	if err != nil || n != len("token=s3cretTOKEN\n") {
		t.Fatalf("Write = %d, %v: want the length given", n, err)
	}
	if b.String() != "token=***\n" {
		t.Errorf("wrote %q", b.String())
	}
}
