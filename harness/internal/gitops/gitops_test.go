package gitops_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/gitops"
	"github.com/gamedayhq/gameday/harness/internal/gitops/gittest"
)

// write is a change that writes files (path → content).
func write(files map[string]string) gitops.Change {
	return func(t *gitops.Tree) (string, error) {
		for p, c := range files {
			if err := t.Write(p, []byte(c)); err != nil {
				return "", err
			}
		}
		return "test: write", nil
	}
}

func TestCommitCreatesTheBranchThenChangesNothingTheSecondTime(t *testing.T) {
	srv := gittest.Start(t, gittest.Options{})
	url := srv.NewRepo("r")
	r := gitops.Remote{URL: url}
	change := write(map[string]string{"reports/a/1/report.json": "{}", "reports/README.md": "# reports\n", "top.txt": "x"})

	res, err := r.Commit(context.Background(), change)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Changed || res.Attempts != 1 {
		t.Errorf("first commit: %+v, want changed in one attempt", res)
	}
	if got, want := srv.Files("r", ""), []string{"reports/README.md", "reports/a/1/report.json", "top.txt"}; !slices.Equal(got, want) {
		t.Errorf("files %v, want %v", got, want)
	}
	again, err := r.Commit(context.Background(), change)
	if err != nil {
		t.Fatal(err)
	}
	if again.Changed || again.Commit != res.Commit {
		t.Errorf("second commit: %+v, want unchanged at %s", again, res.Commit)
	}
	if n := srv.Commits("r", ""); n != 1 {
		t.Errorf("%d commits, want 1", n)
	}
}

func TestTreeEdits(t *testing.T) {
	srv := gittest.Start(t, gittest.Options{})
	r := gitops.Remote{URL: srv.NewRepo("r")}
	ctx := context.Background()
	if _, err := r.Commit(ctx, write(map[string]string{"a/x/1": "1", "a/x/2": "2", "a/y": "y", "b": "b", "c/d/e": "e"})); err != nil {
		t.Fatal(err)
	}
	_, err := r.Commit(ctx, func(tr *gitops.Tree) (string, error) {
		if b, err := tr.Read("a/y"); err != nil || string(b) != "y" {
			return "", fmt.Errorf("read a/y = %q, %v", b, err)
		}
		if _, err := tr.Read("nope"); !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("read nope: %v, want fs.ErrNotExist", err)
		}
		// A folder replaced: its old files go, the new ones stay.
		if err := tr.RemoveAll("a/x"); err != nil {
			return "", err
		}
		if err := tr.Write("a/x/3", []byte("3")); err != nil {
			return "", err
		}
		if _, err := tr.Read("a/x/1"); !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("a/x/1 after RemoveAll: %v", err)
		}
		// A folder emptied disappears; a file becomes a folder.
		if err := tr.RemoveAll("c/d/e"); err != nil {
			return "", err
		}
		if err := tr.Write("b/inside", []byte("i")); err != nil {
			return "", err
		}
		for _, bad := range []string{"", "/abs", "../up", ".git/config", "a/../../x"} {
			if err := tr.Write(bad, nil); err == nil {
				return "", fmt.Errorf("Write(%q) accepted", bad)
			}
		}
		return "edit", nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := srv.Files("r", ""), []string{"a/x/3", "a/y", "b/inside"}; !slices.Equal(got, want) {
		t.Errorf("files %v, want %v", got, want)
	}
	// git itself agrees the objects are well formed (sorted entries ...).
	srv.Run(srv.Path("r"), "fsck", "--strict")
}

// Publishers racing on the same branch: every one's file is there in the
// end, one commit each, however the pushes interleave.
func TestConcurrentCommitsLoseNothing(t *testing.T) {
	srv := gittest.Start(t, gittest.Options{})
	url := srv.NewRepo("r")
	if _, err := (gitops.Remote{URL: url}).Commit(context.Background(), write(map[string]string{"seed": "s"})); err != nil {
		t.Fatal(err)
	}
	const n = 4
	var wg sync.WaitGroup
	var mu sync.Mutex
	var logs bytes.Buffer
	retried := 0
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			var log bytes.Buffer
			r := gitops.Remote{URL: url, Attempts: 10, Backoff: 50 * time.Millisecond, Log: &log}
			res, err := r.Commit(context.Background(), func(tr *gitops.Tree) (string, error) {
				// A shared file every writer edits too (an index).
				old, _ := tr.Read("index")
				if err := tr.Write("index", append(old, fmt.Sprintf("w%d\n", i)...)); err != nil {
					return "", err
				}
				return "w", tr.Write(fmt.Sprintf("runs/w%d", i), []byte{byte('0' + i)})
			})
			errs[i] = err
			mu.Lock()
			logs.Write(log.Bytes())
			if res.Attempts > 1 {
				retried++
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	files := srv.Files("r", "")
	for i := range n {
		if !slices.Contains(files, fmt.Sprintf("runs/w%d", i)) {
			t.Errorf("runs/w%d lost: files %v", i, files)
		}
	}
	index := strings.Fields(srv.Show("r", "main", "index"))
	slices.Sort(index)
	if want := []string{"w0", "w1", "w2", "w3"}; !slices.Equal(index, want) {
		t.Errorf("index %v, want %v", index, want)
	}
	if c := srv.Commits("r", ""); c != n+1 {
		t.Errorf("%d commits, want %d", c, n+1)
	}
	t.Logf("%d of %d writers had to retry; %d pushes reached git\n%s", retried, n, srv.Pushes(), logs.String())
}

func TestUnreachableRemoteFailsWithinItsAttempts(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	r := gitops.Remote{URL: "http://" + addr + "/r.git", Attempts: 3, Backoff: 10 * time.Millisecond}
	start := time.Now()
	res, err := r.Commit(context.Background(), write(map[string]string{"f": "x"}))
	if err == nil || !errors.Is(err, gitops.ErrNotCommitted) || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("err = %v, want not committed after 3 attempts naming the refused connection", err)
	}
	if res.Attempts != 3 || res.Changed {
		t.Errorf("result %+v, want 3 attempts, nothing changed", res)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("took %s", d)
	}
}

func TestCredentials(t *testing.T) {
	const token = "ghp_s3cr3tTOKENvalue"
	srv := gittest.Start(t, gittest.Options{Username: "bot", Token: token})
	url := srv.NewRepo("r")
	ctx := context.Background()

	res, err := gitops.Remote{URL: url, Auth: gitops.Credentials{Username: "bot", Token: token}}.Commit(ctx, write(map[string]string{"f": "x"}))
	if err != nil || !res.Changed {
		t.Fatalf("with the token: %+v, %v", res, err)
	}
	// A wrong token is refused at once (no retry: it would fail again),
	// and neither token is in the error.
	const wrong = "ghp_wrongTOKENvalue"
	res, err = gitops.Remote{URL: url, Auth: gitops.Credentials{Username: "bot", Token: wrong}, Attempts: 5}.Commit(ctx, write(map[string]string{"g": "y"}))
	if err == nil || res.Attempts != 1 {
		t.Fatalf("wrong token: %+v, %v: want a refusal in one attempt", res, err)
	}
	if strings.Contains(err.Error(), wrong) || strings.Contains(err.Error(), token) {
		t.Errorf("error shows a token: %v", err)
	}
	if !strings.Contains(err.Error(), "authentication") || strings.ContainsAny(err.Error(), "\n\r") {
		t.Errorf("error %q: want it to say authentication, on one line", err)
	}
	// A token in the URL is refused before anything is sent.
	_, err = gitops.Remote{URL: strings.Replace(url, "http://", "http://bot:"+token+"@", 1)}.Commit(ctx, write(map[string]string{"h": "z"}))
	if err == nil || strings.Contains(err.Error(), token) || !strings.Contains(err.Error(), "holds a password") {
		t.Errorf("URL with a token: %v", err)
	}
	if strings.Contains(srv.AllObjects("r"), token) {
		t.Error("the token is in the repository")
	}
}
