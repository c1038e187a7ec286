package cli_test

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/gitops/gittest"
)

// gameday deploy promote against a real git server: a new image for dev,
// dev's for staging (the JSON says the image to wait for), exit 2 for a
// promotion that cannot be made, 3 for a repository out of reach.
func TestDeployPromote(t *testing.T) {
	srv := gittest.Start(t, gittest.Options{})
	url := srv.NewRepo("gameday")
	work := t.TempDir()
	srv.Run("", "clone", "--quiet", url, work)
	b, err := os.ReadFile("../../../argocd/platform/apps/petclinic.yaml")
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(work, "argocd/platform/apps"), 0o755)
	os.WriteFile(filepath.Join(work, "argocd/platform/apps/petclinic.yaml"), b, 0o644)
	srv.Run(work, "add", ".")
	srv.Run(work, "commit", "--quiet", "-m", "seed")
	srv.Run(work, "push", "--quiet", "origin", "HEAD:main")

	digest := "sha256:" + strings.Repeat("c", 64)
	out, errOut, code := gameday(t, "deploy", "promote", "--repo", url, "--environment", "dev", "--image-tag", "sha-abc", "--image-digest", digest)
	if code != exitcode.OK || !strings.Contains(out, "dev: sha-abc (sha256:cccccccccccc…), committed ") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	out, errOut, code = gameday(t, "deploy", "promote", "--repo", url, "--environment", "staging", "--from", "dev", "--output", "json")
	var res struct {
		Image   string `json:"image"`
		Changed bool   `json:"changed"`
	}
	if code != exitcode.OK || json.Unmarshal([]byte(out), &res) != nil || res.Image != "ghcr.io/gamedayhq/petclinic@"+digest || !res.Changed {
		t.Fatalf("exit %d, %+v\n%s%s", code, res, out, errOut)
	}
	srv.Run(work, "pull", "--quiet", "origin", "main")
	out, _, code = gameday(t, "deploy", "show", "--file", filepath.Join(work, "argocd/platform/apps/petclinic.yaml"))
	if code != exitcode.OK || !strings.Contains(out, "staging      sha-abc                      "+digest) || !strings.Contains(out, "prod         0.1.0                        -") {
		t.Errorf("show:\n%s", out)
	}

	l, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + l.Addr().String() + "/gameday.git"
	l.Close()
	for name, c := range map[string]struct {
		args []string
		code int
		want string
	}{
		"an unknown environment":    {[]string{"--repo", url, "--environment", "qa", "--from", "dev"}, exitcode.Invalid, `no environment "qa"`},
		"no image":                  {[]string{"--repo", url, "--environment", "prod"}, exitcode.Invalid, "give --from ENV or --image-tag"},
		"a bad tag":                 {[]string{"--repo", url, "--environment", "prod", "--image-tag", "a b"}, exitcode.Invalid, `image tag "a b"`},
		"a repository out of reach": {[]string{"--repo", dead, "--environment", "prod", "--from", "staging"}, exitcode.Infra, "not committed after 5 attempts"},
		"a token in the URL":        {[]string{"--repo", strings.Replace(url, "http://", "http://u:tok@", 1), "--environment", "prod", "--from", "staging"}, exitcode.Invalid, "holds a password"},
	} {
		t.Run(name, func(t *testing.T) {
			_, errOut, code := gameday(t, append([]string{"deploy", "promote"}, c.args...)...)
			if code != c.code || !strings.Contains(errOut, c.want) {
				t.Errorf("exit %d, want %d; stderr %q, want %q", code, c.code, errOut, c.want)
			}
		})
	}
}
