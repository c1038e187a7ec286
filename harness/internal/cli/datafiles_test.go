package cli_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
)

// A malformed price catalog or DORA levels file stops its command before
// any source is read, with exit 2 and every error at file:line:col and
// field. Each case edits the repository's file; POS(x) in want is the
// line and column of the first x in the edited file, FILE its path.
func TestDataFilesAreRefusedAtTheirLineAndColumn(t *testing.T) {
	const ids = "aws-amp, aws-data-transfer, aws-ebs-xcheck, aws-ec2, aws-ec2-derived, aws-ec2-xcheck, aws-eks, aws-elasticache, aws-elb, aws-privatelink, aws-rds-mysql, aws-rds-storage, aws-s3, aws-vpc, spot-estimate"
	catalogEdits := []string{"eksClusterHourly: 0.10 # src aws-eks", "eksClusterHourly: -0.10 # src aws-eks", "onDemand: 0.0912 # src aws-ec2", "onDemand: 0.0912 # src my-guess"}
	catalogWant := `FILE:POS(0.0912 # src my-guess): regions.eu-west-1.instances["t3.large"].onDemand: source "my-guess" is not declared under sources (` + ids + ")\n" +
		"FILE:POS(-0.10): regions.eu-west-1.services.eksClusterHourly: -0.1 is not a price\n"
	tests := map[string]struct {
		file  string   // of the repository
		edits []string // old, new, ...
		args  []string // FILE is the edited file
		want  string   // stderr after "gameday: "
	}{
		"gameday cost --catalog": {
			file: "harness/internal/cost/catalog/aws.yaml", edits: catalogEdits,
			args: []string{"cost", "--no-prometheus", "--inventory", repo + "/terraform/inventory.json", "--catalog", "FILE"},
			want: catalogWant,
		},
		"gameday cost check --catalog": {
			file: "harness/internal/cost/catalog/aws.yaml", edits: catalogEdits,
			args: []string{"cost", "check", "--root", repo, "--catalog", "FILE"},
			want: catalogWant,
		},
		"gameday dora --levels": {
			file: "harness/internal/dora/levels/dora-2024.yaml", edits: []string{"year: 2024", "year: 1999", "atLeast: 1/7d", "atLeast: weekly"},
			args: []string{"dora", "--levels", "FILE"},
			want: "FILE:POS(1999): year: 1999: the year of the report (DORA's first was 2014)\n" +
				`FILE:POS(weekly): metrics.deploymentFrequency.high.atLeast: "weekly": want deployments per period, like 1/7d` + "\n",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(repo, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			src := string(b)
			for i := 0; i < len(tt.edits); i += 2 {
				src = strings.Replace(src, tt.edits[i], tt.edits[i+1], 1)
			}
			bad := filepath.Join(t.TempDir(), filepath.Base(tt.file))
			if err := os.WriteFile(bad, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			args := make([]string, len(tt.args))
			for i, a := range tt.args {
				args[i] = strings.ReplaceAll(a, "FILE", bad)
			}
			out, errOut, code := gameday(t, args...)
			if code != exitcode.Invalid {
				t.Errorf("exit %d, want %d\nstdout: %.2000s\nstderr: %s", code, exitcode.Invalid, out, errOut)
			}
			if want := "gameday: " + positions(t, src, strings.ReplaceAll(tt.want, "FILE", bad)); errOut != want {
				t.Errorf("stderr:\n%s\nwant:\n%s", errOut, want)
			}
		})
	}
}

// positions replaces each POS(x) of want by the line:col of the first x in
// src.
func positions(t *testing.T, src, want string) string {
	t.Helper()
	for {
		i := strings.Index(want, "POS(")
		if i < 0 {
			return want
		}
		j := strings.Index(want[i:], ")")
		sub := want[i+4 : i+j]
		k := strings.Index(src, sub)
		if k < 0 {
			t.Fatalf("%q is not in the edited file", sub)
		}
		pos := fmt.Sprintf("%d:%d", strings.Count(src[:k], "\n")+1, k-strings.LastIndex(src[:k], "\n"))
		want = want[:i] + pos + want[i+j+1:]
	}
}
