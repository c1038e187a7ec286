package validate

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// Object is one Kubernetes object and where it came from.
type Object struct {
	// Source names the file (a template of a chart, or a file of the
	// repository) and the document in it: "templates/deployment.yaml" or
	// "argocd/apps/loki.yaml#2".
	Source string
	*unstructured.Unstructured
}

// Ref is "Kind/namespace/name" (no namespace for cluster-scoped objects).
func (o Object) Ref() string {
	if ns := o.GetNamespace(); ns != "" {
		return o.GetKind() + "/" + ns + "/" + o.GetName()
	}
	return o.GetKind() + "/" + o.GetName()
}

// Decode splits a YAML stream into objects; empty documents are skipped.
// source names the stream in errors and in Object.Source.
func Decode(source string, data []byte) ([]Object, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var objs []Object
	for doc := 1; ; doc++ {
		var m map[string]any
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", source, doc, err)
		}
		if len(m) == 0 {
			continue
		}
		u := &unstructured.Unstructured{Object: m}
		if u.GetAPIVersion() == "" || u.GetKind() == "" {
			return nil, fmt.Errorf("%s: document %d: apiVersion and kind are required", source, doc)
		}
		src := source
		if doc > 1 || len(objs) > 0 {
			src = fmt.Sprintf("%s#%d", source, doc)
		}
		objs = append(objs, Object{Source: src, Unstructured: u})
	}
}

// DecodeFiles decodes every *.yaml and *.yml file under dir (recursively), in name
// order, skipping kustomization.yaml and paths for which skip returns true.
// Sources are relative to root.
func DecodeFiles(root, dir string, skip func(rel string) bool) ([]Object, error) {
	var files []string
	err := filepath.WalkDir(filepath.Join(root, dir), func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() || !(strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) || d.Name() == "kustomization.yaml" || (skip != nil && skip(rel)) {
			return nil
		}
		files = append(files, rel)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var objs []Object
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			return nil, err
		}
		o, err := Decode(filepath.ToSlash(f), data)
		if err != nil {
			return nil, err
		}
		objs = append(objs, o...)
	}
	return objs, nil
}

// Find returns the objects of a kind, in order.
func Find(objs []Object, kind string) []Object {
	var out []Object
	for _, o := range objs {
		if o.GetKind() == kind {
			out = append(out, o)
		}
	}
	return out
}
