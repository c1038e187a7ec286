package validate

import (
	"path/filepath"
	"testing"
)

// root is the repository root, from this module's directory.
const root = "../.."

// chartReleases is every chart with every ci/*-values.yaml, released as
// Argo CD does: in a namespace named after the chart.
func chartReleases(t *testing.T) []Release {
	t.Helper()
	rs, err := CIReleases(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) < 3 {
		t.Fatalf("found %d chart scenarios under helm/*/ci/, want at least 3", len(rs))
	}
	return rs
}

func chartPath(name string) string { return filepath.Join(root, "helm", name) }
