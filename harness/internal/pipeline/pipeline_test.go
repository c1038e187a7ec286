package pipeline_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gamedayhq/gameday/harness/internal/cli"
	"github.com/gamedayhq/gameday/harness/internal/pipeline"
	"github.com/gamedayhq/gameday/harness/internal/repotest"
)

func workflows(t *testing.T) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(repotest.Root(t), ".github", "workflows", "*.yml"))
	if err != nil || len(paths) < 5 {
		t.Fatalf("workflows %v, %v: want ci, security, image, delivery and weekly-reports", paths, err)
	}
	out := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(p)] = b
	}
	return out
}

func delivery(t *testing.T) []byte {
	t.Helper()
	b, ok := workflows(t)["delivery.yml"]
	if !ok {
		t.Fatal("no .github/workflows/delivery.yml")
	}
	return b
}

// The delivery workflow's promotion graph: prod needs the gate (and an
// approval), the gate needs staging healthy, and so on back to the images.
func TestDeliveryPromotionGraph(t *testing.T) {
	w, err := pipeline.Parse(delivery(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range pipeline.PromotionGraph(w) {
		t.Error(err)
	}
}

// What a refactor could do to the graph, each caught with its reason.
func TestPromotionGraphCatches(t *testing.T) {
	src := string(delivery(t))
	cases := map[string]struct {
		old, new string
		want     string
	}{
		"prod without the gate": {"  promote-prod:\n    needs: [gate]", "  promote-prod:\n    needs: [staging-healthy]",
			"job promote-prod does not need gate"},
		"prod without the approval": {"    environment:\n      name: production\n", "    environment:\n      name: prod-auto\n",
			`job promote-prod: environment "prod-auto", want "production"`},
		"prod whatever the gate did": {"  promote-prod:\n    needs: [gate]\n", "  promote-prod:\n    needs: [gate]\n    if: always()\n",
			"job promote-prod runs if: always()"},
		"a gate that cannot fail": {"  gate:\n    needs: [staging-healthy]\n", "  gate:\n    needs: [staging-healthy]\n    continue-on-error: true\n",
			"job gate has continue-on-error"},
		"the gate before staging is healthy": {"  gate:\n    needs: [staging-healthy]", "  gate:\n    needs: [promote-staging]",
			"job gate does not need staging-healthy"},
		"a gate on the sandbox": {"bin/gameday gate --target kubernetes", "bin/gameday gate --target sandbox",
			"job gate does not run gameday gate --target kubernetes"},
		"a gate that does not publish": {"            --publish --publish-repo \"$REPORTS_REPO\" \\\n", "",
			"job gate does not run gameday gate --target kubernetes --publish"},
		"staging without dev healthy": {"  promote-staging:\n    needs: [dev-healthy]", "  promote-staging:\n    needs: [promote-dev]",
			"job promote-staging does not need dev-healthy"},
		"no wait for staging": {"--application petclinic-staging", "--application petclinic-dev",
			"job staging-healthy does not run gameday deploy wait --application petclinic-staging"},
		"prod from dev": {"--environment prod --from staging", "--environment prod --from dev",
			"job promote-prod does not run gameday deploy promote --environment prod --from staging"},
		"no failure notified": {"    if: failure()\n", "",
			"no job notifies a failure"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(src, c.old) {
				t.Fatalf("delivery.yml no longer holds %q: update the case", c.old)
			}
			w, err := pipeline.Parse([]byte(strings.Replace(src, c.old, c.new, 1)))
			if err != nil {
				t.Fatal(err)
			}
			errs := pipeline.PromotionGraph(w)
			if !slices.ContainsFunc(errs, func(e error) bool { return strings.Contains(e.Error(), c.want) }) {
				t.Errorf("errors %v, want %q", errs, c.want)
			}
		})
	}
}

// Every action of every workflow is pinned to a full commit SHA, its
// version in a comment.
func TestActionsArePinned(t *testing.T) {
	for name, b := range workflows(t) {
		for _, u := range pipeline.Unpinned(b) {
			t.Errorf("%s: %s: pin it to a full commit SHA with the version in a comment (uses: o/r@<40 hex> # v1.2.3)", name, u)
		}
	}
	if got := pipeline.Unpinned([]byte("    - uses: actions/checkout@v4\n      - uses: a/b@0123456789012345678901234567890123456789\n      - uses: ./.github/workflows/ci.yml\n")); len(got) != 2 {
		t.Errorf("Unpinned caught %v, want the tag and the SHA without its version", got)
	}
}

// Every gameday command line of the workflows is one the CLI accepts: the
// command exists and every flag parses (run with --help after its flags,
// as the gameday chart's are in helm/validate). Shell expansions stand in
// for their values.
func TestWorkflowCommandLinesAreTheCLIs(t *testing.T) {
	n := 0
	for name, b := range workflows(t) {
		w, err := pipeline.Parse(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for jname, j := range w.Jobs {
			for _, cmd := range j.Commands() {
				if err := accepts(cmd); err != nil {
					t.Errorf("%s, job %s: gameday %s: %v", name, jname, strings.Join(cmd, " "), err)
				}
				n++
			}
		}
	}
	if n < 10 {
		t.Errorf("checked %d gameday command lines, want the workflows' (at least 10)", n)
	}
}

// accepts runs cmd's flags through the CLI with --help.
func accepts(cmd []string) error {
	var out, errw bytes.Buffer
	err := cli.Run(context.Background(), append([]string{"gameday"}, withHelp(cmd)...), strings.NewReader(""), &out, &errw)
	if err == nil && !strings.Contains(out.String(), "USAGE:") {
		err = errors.New("no help printed: " + errw.String())
	}
	return err
}

func TestAccepts(t *testing.T) {
	for _, c := range []struct {
		cmd []string
		ok  bool
	}{
		{[]string{"deploy", "wait", "--application", "a", "--image", "$IMAGE", "--timeout", "20m"}, true},
		{[]string{"deploy", "wait", "--application", "a", "--timeout", "soon"}, false},
		{[]string{"deploy", "wait", "--bogus", "1"}, false},
		{[]string{"gate", "--publish", "--publish-repo", "$R", "--target", "kubernetes", "suite.yaml"}, true},
		{[]string{"gates", "--target", "kubernetes"}, false},
	} {
		if err := accepts(c.cmd); (err == nil) != c.ok {
			t.Errorf("gameday %s: %v, want accepted %v", strings.Join(c.cmd, " "), err, c.ok)
		}
	}
}

// withHelp is the command words and flags of cmd with --help after the
// command words; the file arguments and array expansions are left out.
func withHelp(cmd []string) []string {
	i := slices.IndexFunc(cmd, func(a string) bool { return strings.HasPrefix(a, "-") })
	if i < 0 {
		i = len(cmd)
	}
	out := append(slices.Clone(cmd[:i]), "--help")
	for k := i; k < len(cmd); k++ {
		a := cmd[k]
		switch {
		case strings.HasPrefix(a, "${") && strings.HasSuffix(a, "[@]}"):
		case strings.HasPrefix(a, "-"):
			out = append(out, a)
			// A flag's value as the next word (--repo "$X").
			if !strings.Contains(a, "=") && k+1 < len(cmd) && !strings.HasPrefix(cmd[k+1], "-") && !isBool(a) {
				out = append(out, cmd[k+1])
				k++
			}
		}
	}
	return out
}

// isBool: the boolean flags the workflows use (they take no value).
func isBool(flag string) bool {
	return slices.Contains([]string{"--publish", "--no-color", "--allow-prod", "--help"}, flag)
}

func TestCommandsOfAJob(t *testing.T) {
	j := pipeline.Job{Steps: []pipeline.Step{{Run: "chmod +x bin/gameday\nbin/gameday deploy promote --repo \"$R\" \\\n  --environment dev --output json | tee p.json\n# bin/gameday not this\necho \"bin/gameday nor this\"\ngo run ./harness/cmd/gameday notify --notify f.yaml --status failed\n"}}}
	got := j.Commands()
	want := [][]string{{"deploy", "promote", "--repo", "$R", "--environment", "dev", "--output", "json"}, {"notify", "--notify", "f.yaml", "--status", "failed"}}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("commands %q, want %q", got, want)
	}
	if _, err := pipeline.Parse([]byte("jobs: [")); err == nil || errors.Is(err, os.ErrNotExist) {
		t.Errorf("a broken file parses: %v", err)
	}
}
