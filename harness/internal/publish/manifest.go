package publish

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"strings"

	"sigs.k8s.io/yaml"
)

// The labels and annotations of a run's ConfigMap.
const (
	LabelReport     = "gameday.dev/report"
	LabelSuite      = "gameday.dev/suite"
	LabelExperiment = "gameday.dev/experiment"
	LabelStatus     = "gameday.dev/status"
	AnnotationRunID = "gameday.dev/run-id"
	AnnotationSuite = "gameday.dev/suite"
	AnnotationExp   = "gameday.dev/experiment"
)

// maxManifestMD bounds the Markdown report kept in the ConfigMap (a
// ConfigMap holds 1 MiB; report.md is a few kilobytes): a larger one is
// cut, the whole stays in git beside it.
const maxManifestMD = 256 << 10

// configMap is the part of a ConfigMap the manifest has (no status, no
// creationTimestamp: null).
type configMap struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   objectMeta        `json:"metadata"`
	Data       map[string]string `json:"data"`
}

type objectMeta struct {
	Name        string            `json:"name"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

// runManifest is the run.yaml of a run: a ConfigMap labelled for listing
// (kubectl get cm -l gameday.dev/status=failed), holding the run's summary
// (its index entry) and report.md.
func runManifest(e Entry, md []byte) ([]byte, error) {
	summary, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return nil, err
	}
	data := map[string]string{"summary.json": string(summary) + "\n"}
	if len(md) > 0 {
		if len(md) > maxManifestMD {
			md = append(md[:maxManifestMD:maxManifestMD], "\n\n(cut: the whole report.md is in git beside this file)\n"...)
		}
		data["report.md"] = string(md)
	}
	cm := configMap{
		APIVersion: "v1", Kind: "ConfigMap",
		Metadata: objectMeta{
			Name: configMapName(e.Suite, e.RunID),
			Labels: map[string]string{
				"app.kubernetes.io/part-of": "gameday",
				LabelReport:                 "true",
				LabelSuite:                  labelValue(e.Suite),
				LabelExperiment:             labelValue(e.Experiment),
				LabelStatus:                 labelValue(e.Status),
			},
			Annotations: map[string]string{AnnotationRunID: e.RunID, AnnotationSuite: e.Suite, AnnotationExp: e.Experiment},
		},
		Data: data,
	}
	b, err := yaml.Marshal(cm)
	if err != nil {
		return nil, err
	}
	return append([]byte("# The summary of a published game day, applied by the Argo CD reports Application.\n# Written by gameday publish: do not edit.\n"), b...), nil
}

var notName = regexp.MustCompile(`[^a-z0-9-]+`)

// configMapName is gameday-<suite>-<run-id> as a DNS label: lower case,
// other characters as '-', at most 63 characters; a name cut short ends
// in a hash of the whole so two runs never share one.
func configMapName(suite, runID string) string {
	n := strings.Trim(notName.ReplaceAllString(strings.ToLower("gameday-"+suite+"-"+runID), "-"), "-")
	if len(n) <= 63 {
		return n
	}
	sum := sha256.Sum256([]byte(suite + "/" + runID))
	return strings.TrimRight(n[:54], "-") + "-" + hex.EncodeToString(sum[:])[:8]
}

var notLabel = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// labelValue is s as a label value: at most 63 characters of [A-Za-z0-9._-],
// starting and ending with an alphanumeric.
func labelValue(s string) string {
	v := notLabel.ReplaceAllString(s, "-")
	if len(v) > 63 {
		v = v[:63]
	}
	return strings.Trim(v, "-._")
}
