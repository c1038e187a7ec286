package validate

import (
	"os"
	"path/filepath"
	"sort"
)

// CIReleases lists every chart in root/helm with its own values.yaml (what
// `helm install` and `helm lint` use without -f) and each of its
// ci/*-values.yaml scenarios, released under the chart's name into a
// namespace of the same name.
func CIReleases(root string) ([]Release, error) {
	charts, err := filepath.Glob(filepath.Join(root, "helm", "*", "Chart.yaml"))
	if err != nil {
		return nil, err
	}
	sort.Strings(charts)
	var rs []Release
	for _, c := range charts {
		dir := filepath.Dir(c)
		name := filepath.Base(dir)
		scenarios, err := filepath.Glob(filepath.Join(dir, "ci", "*-values.yaml"))
		if err != nil {
			return nil, err
		}
		sort.Strings(scenarios)
		rs = append(rs, Release{Chart: dir, Name: name, Namespace: name, Values: []string{filepath.Join(dir, "values.yaml")}})
		for _, v := range scenarios {
			rs = append(rs, Release{Chart: dir, Name: name, Namespace: name, Values: []string{v}})
		}
	}
	return rs, nil
}

// exists reports whether a path exists.
func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
