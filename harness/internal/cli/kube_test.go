package cli_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
)

// TestKubernetesInvocation: what is wrong with a kubernetes invocation is
// found before any cluster is contacted, exit 2, saying what to do. (The
// runs against a real API server are in internal/kube.)
func TestKubernetesInvocation(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-kubeconfig")
	tests := map[string]struct {
		args     []string
		wantCode int
		wantErr  []string
	}{
		"validate: a fault the Chaos Mesh engine cannot honour": {
			args: []string{"validate", "testdata/kube/zone-expression.yaml"}, wantCode: exitcode.Invalid,
			wantErr: []string{"spec.faults[0] (zone-by-expression): spec.selector.expressionSelectors[0]: not supported by this engine"},
		},
		"an unknown target": {
			args: []string{"run", "--target", "mars", "../../../experiments/pod-kill.yaml"}, wantCode: exitcode.Invalid,
			wantErr: []string{`--target "mars": use sandbox or kubernetes`},
		},
		"no URL for the cluster's PetClinic": {
			args: []string{"run", "--target", "kubernetes", "../../../experiments/pod-kill.yaml"}, wantCode: exitcode.Invalid,
			wantErr: []string{"needs PetClinic's URL: --target-url"},
		},
		"promql probes without a Prometheus": {
			args: []string{"run", "--target", "kubernetes", "--target-url", "http://127.0.0.1:9", "../../../experiments/pod-kill.yaml"}, wantCode: exitcode.Invalid,
			wantErr: []string{"has promql probes: set --prometheus-url"},
		},
		"a malformed zone map": {
			args: []string{"run", "--target", "kubernetes", "--target-url", "http://127.0.0.1:9", "--prometheus-url", "http://127.0.0.1:9",
				"--zone-map", "zone-a", "../../../experiments/pod-kill.yaml"}, wantCode: exitcode.Invalid,
			wantErr: []string{`--zone-map "zone-a": want zone=cluster-zone pairs`},
		},
		"a kubeconfig that does not exist": {
			args: []string{"run", "--target", "kubernetes", "--target-url", "http://127.0.0.1:9", "--prometheus-url", "http://127.0.0.1:9",
				"--kubeconfig", missing, "../../../experiments/pod-kill.yaml"}, wantCode: exitcode.Invalid,
			wantErr: []string{"check --kubeconfig and --context"},
		},
		"load workers without an image": {
			args: []string{"run", "--target", "kubernetes", "--target-url", "http://127.0.0.1:9", "--kubeconfig", missing,
				"--load-workers", "4", "testdata/kube/zone-expression.yaml"}, wantCode: exitcode.Invalid,
			wantErr: []string{"--load-workers 4 needs --load-image"},
		},
		"cleanup of an unknown target": {
			args: []string{"cleanup", "--target", "mars"}, wantCode: exitcode.Invalid,
			wantErr: []string{`--target "mars"`},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Setenv("KUBECONFIG", missing)
			t.Setenv("KUBERNETES_SERVICE_HOST", "")
			stdout, stderr, code := gameday(t, tt.args...)
			stderr = stdout + stderr
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\n%s", code, tt.wantCode, stderr)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr %q\ndoes not say %q", stderr, want)
				}
			}
		})
	}
}
