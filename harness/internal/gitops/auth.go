package gitops

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"

	"github.com/gamedayhq/gameday/harness/internal/secret"
)

// The environment variables of the git credentials: the keys of the gameday
// chart's Secret (External Secrets writes them from Secrets Manager), and
// what gameday dora reads too.
const (
	EnvUsername = "GIT_USERNAME"
	EnvToken    = "GIT_TOKEN"
)

// DefaultUsername is sent with a token that comes without a user name
// (GitHub ignores it for a personal access token; a GitHub App's
// installation token wants x-access-token).
const DefaultUsername = "gameday"

// Credentials authenticate to an https remote (HTTP basic auth with a
// token as the password). The zero value is anonymous.
type Credentials struct {
	Username string
	Token    string
}

// LoadCredentials reads the credentials from file, when set: a JSON object
// {"username": ..., "token": ...} (the Secrets Manager entry's shape) or a
// file holding the token alone; else from $GIT_USERNAME and $GIT_TOKEN.
// Neither set: anonymous (a file:// remote, a public repository).
func LoadCredentials(file string) (Credentials, error) {
	if file == "" {
		return Credentials{Username: os.Getenv(EnvUsername), Token: os.Getenv(EnvToken)}, nil
	}
	raw, err := secret.Ref{File: file}.Read()
	if err != nil {
		return Credentials{}, fmt.Errorf("git credentials: %w", err)
	}
	if !strings.HasPrefix(raw, "{") {
		return Credentials{Username: os.Getenv(EnvUsername), Token: raw}, nil
	}
	var c struct {
		Username string `json:"username"`
		Token    string `json:"token"`
	}
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		// The JSON error quotes the bytes around the fault: never show them.
		return Credentials{}, fmt.Errorf("git credentials %s: not a JSON object {\"username\": ..., \"token\": ...} nor a bare token", file)
	}
	if c.Token == "" {
		return Credentials{}, fmt.Errorf("git credentials %s: no \"token\"", file)
	}
	return Credentials{Username: c.Username, Token: c.Token}, nil
}

// auth is the go-git authentication of c (nil when anonymous).
func (c Credentials) auth() transport.AuthMethod {
	if c.Token == "" {
		return nil
	}
	return &githttp.BasicAuth{Username: cmp.Or(c.Username, DefaultUsername), Password: c.Token}
}

// CheckURL refuses a remote URL that carries a password or token
// (https://user:token@host/...): it would be printed with every error
// and kept in every log. The credentials go in a file or the environment.
func CheckURL(raw string) error {
	if raw == "" {
		return fmt.Errorf("no repository URL")
	}
	u, err := url.Parse(raw)
	if err != nil {
		// Not a URL: a local path or scp-like ssh (git@host:path), which
		// carries no password.
		if strings.Contains(raw, "://") {
			return fmt.Errorf("repository URL: cannot parse it")
		}
		return nil
	}
	if _, hasPassword := u.User.Password(); hasPassword {
		return fmt.Errorf("repository URL %s://%s%s holds a password: put the token in a file (--git-credentials) or $%s", u.Scheme, u.Host, u.Path, EnvToken)
	}
	return nil
}
