package promote_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/gitops"
	"github.com/gamedayhq/gameday/harness/internal/gitops/gittest"
	"github.com/gamedayhq/gameday/harness/internal/promote"
	"github.com/gamedayhq/gameday/harness/internal/repotest"
)

const (
	digestA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	digestB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

// appSet is the repository's own ApplicationSet of PetClinic.
func appSet(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repotest.Root(t), promote.DefaultFile))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// changedLines are the lines of b that differ from a (same line count).
func changedLines(t *testing.T, a, b []byte) []string {
	t.Helper()
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	if len(la) != len(lb) {
		t.Fatalf("%d lines became %d", len(la), len(lb))
	}
	var out []string
	for i := range la {
		if la[i] != lb[i] {
			out = append(out, strings.TrimSpace(lb[i]))
		}
	}
	return out
}

// Set edits the element of one environment of the real file, in place:
// one line changes, comments and the rest stay byte for byte.
func TestSetEditsOneEnvironmentOfTheRealFile(t *testing.T) {
	doc := appSet(t)
	envs, err := promote.Environments(doc)
	if err != nil {
		t.Fatal(err)
	}
	if len(envs) != 3 || envs[0].Name != "dev" || envs[1].Name != "staging" || envs[2].Name != "prod" {
		t.Fatalf("environments %+v: want dev, staging, prod", envs)
	}
	out, err := promote.Set(doc, "staging", promote.Image{Tag: "sha-0123456789ab", Digest: digestA})
	if err != nil {
		t.Fatal(err)
	}
	want := `- {env: staging, cluster: staging, revision: main, autoSync: true, imageTag: "sha-0123456789ab", imageDigest: "` + digestA + `"}`
	if got := changedLines(t, doc, out); len(got) != 1 || got[0] != want {
		t.Errorf("changed lines %q, want %q", got, want)
	}
	envs, _ = promote.Environments(out)
	if img, _ := promote.Find(envs, "staging"); img.Tag != "sha-0123456789ab" || img.Digest != digestA {
		t.Errorf("read back %+v", img)
	}
}

func TestSetRefuses(t *testing.T) {
	doc := appSet(t)
	cases := map[string]struct {
		doc  string
		env  string
		img  promote.Image
		want string
	}{
		"an unknown environment":  {string(doc), "qa", promote.Image{Tag: "x"}, `no environment "qa": the environments are dev, staging, prod`},
		"a tag with a slash":      {string(doc), "dev", promote.Image{Tag: "a/b"}, `image tag "a/b"`},
		"an empty tag":            {string(doc), "dev", promote.Image{}, `image tag ""`},
		"a short digest":          {string(doc), "dev", promote.Image{Tag: "x", Digest: "sha256:abc"}, `image digest "sha256:abc"`},
		"an element without keys": {strings.Replace(string(doc), `, imageTag: "0.1.0", imageDigest: ""}`, "}", 1), "dev", promote.Image{Tag: "x"}, "environment dev has no imageTag"},
		"not an ApplicationSet":   {"kind: Application\n", "dev", promote.Image{Tag: "x"}, `kind "Application": want an ApplicationSet`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := promote.Set([]byte(c.doc), c.env, c.img)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err %v, want %q", err, c.want)
			}
		})
	}
}

// A promotion chain on a real git server: dev gets a new image, staging
// gets dev's, the same promotion again makes no commit, and two promotions
// racing both land.
func TestPromotionCommits(t *testing.T) {
	srv := gittest.Start(t, gittest.Options{})
	url := srv.NewRepo("gameday")
	seed := appSet(t)
	remote := gitops.Remote{URL: url, Backoff: 20 * time.Millisecond, Attempts: 8}
	ctx := context.Background()
	if _, err := remote.Commit(ctx, func(tr *gitops.Tree) (string, error) {
		return "seed", tr.Write(promote.DefaultFile, seed)
	}); err != nil {
		t.Fatal(err)
	}
	promoteTo := func(p promote.Promotion) (gitops.Result, promote.Image, error) {
		var img promote.Image
		res, err := remote.Commit(ctx, p.Change(&img))
		return res, img, err
	}
	image := func(env string) promote.Image {
		envs, err := promote.Environments([]byte(srv.Show("gameday", "main", promote.DefaultFile)))
		if err != nil {
			t.Fatal(err)
		}
		img, err := promote.Find(envs, env)
		if err != nil {
			t.Fatal(err)
		}
		return img
	}

	built := promote.Image{Tag: "sha-1111111111aa", Digest: digestA}
	res, _, err := promoteTo(promote.Promotion{Env: "dev", Image: built})
	if err != nil || !res.Changed {
		t.Fatalf("dev: %+v, %v", res, err)
	}
	msg := srv.Run(srv.Path("gameday"), "log", "-1", "--format=%B", "main")
	if !strings.HasPrefix(msg, "deploy(dev): petclinic sha-1111111111aa\n\nimageTag: 0.1.0 -> sha-1111111111aa\nimageDigest: \"\" -> "+digestA) {
		t.Errorf("commit message:\n%s", msg)
	}
	res, img, err := promoteTo(promote.Promotion{Env: "staging", From: "dev"})
	if err != nil || !res.Changed || img != built || image("staging") != built || image("prod").Tag != "0.1.0" {
		t.Fatalf("staging from dev: %+v %+v, %v; staging %+v prod %+v", res, img, err, image("staging"), image("prod"))
	}
	commits := srv.Commits("gameday", "")
	again, _, err := promoteTo(promote.Promotion{Env: "staging", From: "dev"})
	if err != nil || again.Changed || srv.Commits("gameday", "") != commits {
		t.Errorf("the same promotion again: %+v, %v, %d commits (was %d)", again, err, srv.Commits("gameday", ""), commits)
	}

	// dev moves on while prod takes staging's: both land.
	next := promote.Image{Tag: "sha-2222222222bb", Digest: digestB}
	var wg sync.WaitGroup
	var errDev, errProd error
	wg.Go(func() { _, _, errDev = promoteTo(promote.Promotion{Env: "dev", Image: next}) })
	wg.Go(func() { _, _, errProd = promoteTo(promote.Promotion{Env: "prod", From: "staging"}) })
	wg.Wait()
	if errDev != nil || errProd != nil {
		t.Fatalf("racing promotions: %v, %v", errDev, errProd)
	}
	if image("dev") != next || image("prod") != built || image("staging") != built {
		t.Errorf("after the race: dev %+v, staging %+v, prod %+v", image("dev"), image("staging"), image("prod"))
	}

	if _, _, err := promoteTo(promote.Promotion{Env: "prod", From: "qa"}); err == nil || !strings.Contains(err.Error(), `--from: no environment "qa"`) {
		t.Errorf("from an unknown environment: %v", err)
	}
}
