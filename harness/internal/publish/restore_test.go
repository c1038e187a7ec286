package publish_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/gitops"
	"github.com/gamedayhq/gameday/harness/internal/historytest"
	"github.com/gamedayhq/gameday/harness/internal/publish"
)

// treeFiles lists the files under root, relative, with their contents.
func treeFiles(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		out[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A reports tree that starts empty gets back every published run, byte
// for byte, and only the runs; a run it has is left as it is, and a
// second restore writes nothing.
func TestRestorePublishedRunsIntoAnEmptyTree(t *testing.T) {
	w := newWorld(t)
	a := historytest.Write(t, w.reports, historytest.Run{Suite: "weekly", Experiment: "pod-kill", Target: "sandbox", Start: t0, Score: 100, WithFault: true})
	b := historytest.Write(t, w.reports, historytest.Run{Suite: "weekly", Experiment: "zone-outage", Target: "sandbox", Start: t0.Add(time.Hour), Status: "failed", Score: 40})
	slo := filepath.Join(w.reports, "slo", "staging")
	if err := os.MkdirAll(slo, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(slo, "slo.md"), []byte("# SLO\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := w.publish(t, a, b, slo); err != nil {
		t.Fatal(err)
	}
	restore := func(dir string) publish.Restored {
		t.Helper()
		res, err := publish.Restore(context.Background(), publish.RestoreOptions{Remote: gitops.Remote{URL: w.url}, ReportsDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	empty := t.TempDir()
	res := restore(empty)
	want := []string{"weekly/20261207-070000-pod-kill", "weekly/20261207-080000-zone-outage"}
	if !slices.Equal(res.Runs, want) || res.Present != 0 || len(res.Commit) != 40 {
		t.Fatalf("restored %+v, want the runs %v", res, want)
	}
	orig := treeFiles(t, w.reports)
	delete(orig, "slo/staging/slo.md") // not a run: the history has no use for it
	got := treeFiles(t, empty)
	for name, data := range orig {
		if got[name] != data {
			t.Errorf("%s: restored %d bytes, published %d", name, len(got[name]), len(data))
		}
	}
	for name := range got {
		if _, ok := orig[name]; !ok {
			t.Errorf("%s restored, not in the original tree", name)
		}
	}
	if fi, err := os.Stat(filepath.Join(empty, "weekly", "20261207-070000-pod-kill")); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("run folder: %v %v", fi, err)
	}

	if res := restore(empty); len(res.Runs) != 0 || res.Present != 2 {
		t.Errorf("second restore %+v, want nothing written, 2 present", res)
	}

	// A tree that has one of the runs keeps its copy.
	partial := t.TempDir()
	mine := filepath.Join(partial, "weekly", "20261207-070000-pod-kill")
	if err := os.MkdirAll(mine, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mine, "report.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if res := restore(partial); !slices.Equal(res.Runs, want[1:]) || res.Present != 1 {
		t.Errorf("restore into a tree with one run: %+v", res)
	}
	if b, _ := os.ReadFile(filepath.Join(mine, "report.json")); string(b) != "{}" {
		t.Errorf("the local report.json was replaced: %.40s", b)
	}
	for name := range treeFiles(t, partial) {
		if strings.Contains(name, ".restore-") {
			t.Errorf("left behind: %s", name)
		}
	}
}

// A new repository is an empty history, not an error; a remote out of
// reach is an error naming it, and writes nothing.
func TestRestoreFromANewOrUnreachableRepository(t *testing.T) {
	w := newWorld(t)
	dir := t.TempDir()
	res, err := publish.Restore(context.Background(), publish.RestoreOptions{Remote: gitops.Remote{URL: w.url}, ReportsDir: dir})
	if err != nil || len(res.Runs) != 0 || res.Commit != "" {
		t.Errorf("new repository: %+v, %v", res, err)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String() + "/reports.git"
	l.Close()
	began := time.Now()
	_, err = publish.Restore(context.Background(), publish.RestoreOptions{Remote: gitops.Remote{URL: dead, Timeout: 10 * time.Second}, ReportsDir: dir})
	if err == nil || !strings.Contains(err.Error(), dead) {
		t.Errorf("unreachable: %v", err)
	}
	t.Logf("unreachable remote: %v after %s", err, time.Since(began).Round(time.Millisecond))
	if got := treeFiles(t, dir); len(got) != 0 {
		t.Errorf("wrote %v", got)
	}

	// A remote that accepts the connection and never answers: cut at
	// the bound, not left to hang the scheduler's start.
	mute, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer mute.Close()
	go func() {
		var conns []net.Conn // held open, unanswered, until the listener closes
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := mute.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	began = time.Now()
	_, err = publish.Restore(context.Background(), publish.RestoreOptions{
		Remote: gitops.Remote{URL: "http://" + mute.Addr().String() + "/reports.git", Timeout: time.Second}, ReportsDir: dir})
	if took := time.Since(began); err == nil || took > 20*time.Second {
		t.Errorf("mute remote: %v after %s, want an error after about 1 s", err, took)
	}
	t.Logf("mute remote: %v after %s", err, time.Since(began).Round(time.Millisecond))
}
