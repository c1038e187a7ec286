// Package gittest serves bare git repositories over HTTP on loopback with
// the real git server, Debian's git-http-backend (the CGI program behind
// git's smart HTTP protocol), for tests of code that clones and pushes.
package gittest

import (
	"bytes"
	"crypto/subtle"
	"io"
	"net/http"
	// #nosec G504 -- httpoxy (CVE-2016-5386) was fixed in Go 1.6.3; the CGI
	// program is git's own, serving a test's repositories on loopback.
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Server is a git smart-HTTP server over a folder of bare repositories.
type Server struct {
	// URL is the server's base: a repository is URL + "/" + name + ".git".
	URL  string
	Root string
	t    testing.TB
	mu   sync.Mutex
	// Pushes counts the receive-pack requests that reached git.
	pushes int
}

// Options of Start.
type Options struct {
	// Username and Token, when Token is set, are the only credentials
	// accepted (HTTP basic auth); anything else is answered 401.
	Username, Token string
}

// Git is the path of the git binary, or skips t (fails it under $CI).
func Git(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("git")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("git: %v (apt-get install git)", err)
		}
		t.Skipf("git not installed: %v", err)
	}
	return bin
}

// Start serves t.TempDir() on 127.0.0.1 until t ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	git := Git(t)
	out, err := exec.Command(git, "--exec-path").Output() // #nosec G204 -- the git binary on PATH, in a test
	if err != nil {
		t.Fatalf("git --exec-path: %v", err)
	}
	backend := filepath.Join(strings.TrimSpace(string(out)), "git-http-backend")
	if _, err := os.Stat(backend); err != nil {
		t.Fatalf("git-http-backend: %v", err)
	}
	s := &Server{Root: t.TempDir(), t: t}
	h := &cgi.Handler{
		Path: backend,
		Env: []string{"GIT_PROJECT_ROOT=" + s.Root, "GIT_HTTP_EXPORT_ALL=1",
			"HOME=" + s.Root, "GIT_CONFIG_NOSYSTEM=1"},
		// git's own messages (a lost race: "cannot lock ref") are the
		// client's to report.
		Stderr: io.Discard,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o.Token != "" {
			u, p, ok := r.BasicAuth()
			if !ok || subtle.ConstantTimeCompare([]byte(u), []byte(o.Username)) != 1 || subtle.ConstantTimeCompare([]byte(p), []byte(o.Token)) != 1 {
				w.Header().Set("WWW-Authenticate", `Basic realm="gittest"`)
				http.Error(w, "authentication required", http.StatusUnauthorized)
				return
			}
		}
		if strings.HasSuffix(r.URL.Path, "/git-receive-pack") {
			s.mu.Lock()
			s.pushes++
			s.mu.Unlock()
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// Pushes is how many pushes reached git (accepted or not).
func (s *Server) Pushes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pushes
}

// NewRepo creates the empty bare repository name.git, pushable over HTTP,
// and returns its URL.
func (s *Server) NewRepo(name string) string {
	s.t.Helper()
	dir := s.Path(name)
	s.Run("", "init", "--quiet", "--bare", "--initial-branch=main", dir)
	s.Run(dir, "config", "http.receivepack", "true")
	return s.URL + "/" + name + ".git"
}

// Path is the folder of the bare repository name.git.
func (s *Server) Path(name string) string { return filepath.Join(s.Root, name+".git") }

// Run runs git with args in dir and returns its stdout; it fails t on error.
func (s *Server) Run(dir string, args ...string) string {
	s.t.Helper()
	cmd := exec.Command(Git(s.t), args...) // #nosec G204 -- git with a test's own arguments
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+s.Root,
		"GIT_AUTHOR_NAME=test", "GIT_AUTHOR_EMAIL=test@example.com", "GIT_COMMITTER_NAME=test", "GIT_COMMITTER_EMAIL=test@example.com")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		s.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// Show is the file at path in rev of the repository name ("" when absent).
func (s *Server) Show(name, rev, path string) string {
	s.t.Helper()
	cmd := exec.Command(Git(s.t), "show", rev+":"+path) // #nosec G204 -- git with a test's own arguments
	cmd.Dir = s.Path(name)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+s.Root)
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return string(out)
}

// Files lists the files of rev, sorted ("" rev: main).
func (s *Server) Files(name, rev string) []string {
	s.t.Helper()
	if rev == "" {
		rev = "main"
	}
	out := strings.TrimSpace(s.Run(s.Path(name), "ls-tree", "-r", "--name-only", rev))
	if out == "" {
		return nil
	}
	return strings.Split(out, "\n")
}

// Commits is the number of commits on rev ("" rev: main).
func (s *Server) Commits(name, rev string) int {
	s.t.Helper()
	if rev == "" {
		rev = "main"
	}
	n := 0
	for _, l := range strings.Split(strings.TrimSpace(s.Run(s.Path(name), "rev-list", rev)), "\n") {
		if l != "" {
			n++
		}
	}
	return n
}

// AllObjects is the content of every object of the repository name
// (blobs, trees, commits, reachable or not): what a search for a leaked
// secret must cover.
func (s *Server) AllObjects(name string) string {
	s.t.Helper()
	return s.Run(s.Path(name), "cat-file", "--batch-all-objects", "--batch")
}
