package validate

import (
	"strings"
	"testing"
)

// Decode never panics, and what it returns has an apiVersion and a kind.
func FuzzDecode(f *testing.F) {
	f.Add("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n---\napiVersion: v1\nkind: Secret\n")
	f.Add("{\"apiVersion\": \"v1\", \"kind\": \"List\"}")
	f.Add("- a\n- b\n")
	f.Add("apiVersion: v1\nkind: [1\n")
	f.Fuzz(func(t *testing.T, data string) {
		objs, err := Decode("fuzz.yaml", []byte(data))
		if err != nil {
			return
		}
		for _, o := range objs {
			if o.GetAPIVersion() == "" || o.GetKind() == "" {
				t.Errorf("decoded %v without apiVersion or kind", o.Object)
			}
		}
	})
}

// ExpandApplicationSet never panics on any list element value, and renders
// one Application per element.
func FuzzExpandApplicationSet(f *testing.F) {
	f.Add("dev", "{{.env}}-x", "")
	f.Add("prod", "{{ .missing }}", "spec: {a: 1}")
	f.Add("{{", "name-{{.env | upper}}", "{{- if .env }}\nspec:\n  syncPolicy: {automated: {}}\n{{- end }}")
	f.Fuzz(func(t *testing.T, env, name, patch string) {
		set := "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata: {name: s, namespace: argocd}\nspec:\n" +
			"  goTemplate: true\n  generators:\n    - list:\n        elements:\n          - env: " + quote(env) + "\n" +
			"  template:\n    metadata:\n      name: " + quote(name) + "\n    spec: {project: p}\n" +
			"  templatePatch: " + quote(patch) + "\n"
		objs, err := Decode("fuzz.yaml", []byte(set))
		if err != nil || len(objs) != 1 {
			return
		}
		apps, err := ExpandApplicationSet(objs[0])
		if err == nil && len(apps) != 1 {
			t.Errorf("one element gave %d Applications", len(apps))
		}
	})
}

// quote makes a YAML double-quoted scalar of s.
func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`, "\t", `\t`)
	return `"` + r.Replace(s) + `"`
}
