// Package promote moves PetClinic's image between environments, the GitOps
// way: each environment's image (a tag, and the digest that pins it) is an
// element of the list generator of the ApplicationSet that deploys it
// (argocd/platform/apps/petclinic.yaml), Argo CD passes it to the chart
// as the Helm parameters image.tag and image.digest, and a promotion is a
// commit that changes that element (package gitops: fetch, apply, push,
// retry on a lost race). Wait then watches the environment's Argo CD
// Application until the image runs, synced and healthy.
package promote

import (
	"bytes"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/parser"

	"github.com/gamedayhq/gameday/harness/internal/gitops"
)

// DefaultFile is the ApplicationSet of PetClinic's environments.
const DefaultFile = "argocd/platform/apps/petclinic.yaml"

// The keys of an environment's element holding its image.
const (
	KeyEnv    = "env"
	KeyTag    = "imageTag"
	KeyDigest = "imageDigest"
)

var (
	tagRe    = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	digestRe = regexp.MustCompile(`^sha256:[a-f0-9]{64}$`)
)

// Image is an environment's image.
type Image struct {
	Tag    string `json:"tag"`
	Digest string `json:"digest,omitempty"`
}

// Check refuses a tag or digest the registry would not take.
func (i Image) Check() error {
	if !tagRe.MatchString(i.Tag) {
		return fmt.Errorf("image tag %q: want 1 to 128 of [A-Za-z0-9_.-], not starting with . or -", i.Tag)
	}
	if i.Digest != "" && !digestRe.MatchString(i.Digest) {
		return fmt.Errorf("image digest %q: want sha256: and 64 hex digits", i.Digest)
	}
	return nil
}

// Ref is the image reference Kubernetes runs: repository@digest when the
// digest is known (the chart prefers it), else repository:tag.
func (i Image) Ref(repository string) string {
	if i.Digest != "" {
		return repository + "@" + i.Digest
	}
	return repository + ":" + i.Tag
}

func (i Image) String() string {
	if i.Digest == "" {
		return i.Tag
	}
	return i.Tag + " (" + i.Digest[:min(len(i.Digest), 19)] + "…)"
}

// Env is an environment and its image.
type Env struct {
	Name string `json:"environment"`
	Image
}

// appSet is the part of an ApplicationSet read here.
type appSet struct {
	Kind string `yaml:"kind"`
	Spec struct {
		Generators []struct {
			List *struct {
				Elements []map[string]any `yaml:"elements"`
			} `yaml:"list"`
		} `yaml:"generators"`
	} `yaml:"spec"`
}

// elements finds the list generator of doc: its index and elements.
func elements(doc []byte) (int, []map[string]any, error) {
	var a appSet
	if err := yaml.Unmarshal(doc, &a); err != nil {
		return 0, nil, err
	}
	if a.Kind != "ApplicationSet" {
		return 0, nil, fmt.Errorf("kind %q: want an ApplicationSet", a.Kind)
	}
	for i, g := range a.Spec.Generators {
		if g.List != nil {
			return i, g.List.Elements, nil
		}
	}
	return 0, nil, fmt.Errorf("no list generator: the environments are its elements")
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

// Environments are the environments of the ApplicationSet doc with their
// images, in file order.
func Environments(doc []byte) ([]Env, error) {
	_, els, err := elements(doc)
	if err != nil {
		return nil, err
	}
	var out []Env
	for i, e := range els {
		name := str(e, KeyEnv)
		if name == "" {
			return nil, fmt.Errorf("element %d has no %s", i, KeyEnv)
		}
		out = append(out, Env{Name: name, Image: Image{Tag: str(e, KeyTag), Digest: str(e, KeyDigest)}})
	}
	return out, nil
}

// Find is env's image in envs.
func Find(envs []Env, env string) (Image, error) {
	var names []string
	for _, e := range envs {
		if e.Name == env {
			return e.Image, nil
		}
		names = append(names, e.Name)
	}
	return Image{}, fmt.Errorf("no environment %q: the environments are %s", env, strings.Join(names, ", "))
}

// Set returns doc with env's imageTag and imageDigest replaced and
// nothing else changed: comments and layout stay, and the result is
// checked to read back as doc with those two values only.
func Set(doc []byte, env string, img Image) ([]byte, error) {
	if err := img.Check(); err != nil {
		return nil, err
	}
	gi, els, err := elements(doc)
	if err != nil {
		return nil, err
	}
	ei := -1
	for i, e := range els {
		if str(e, KeyEnv) == env {
			ei = i
		}
	}
	if ei < 0 {
		envs, _ := Environments(doc)
		_, err := Find(envs, env)
		return nil, err
	}
	for _, k := range []string{KeyTag, KeyDigest} {
		if _, ok := els[ei][k]; !ok {
			return nil, fmt.Errorf("environment %s has no %s: add %s: \"\" to its element", env, k, k)
		}
	}
	f, err := parser.ParseBytes(doc, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	for k, v := range map[string]string{KeyTag: img.Tag, KeyDigest: img.Digest} {
		p, err := yaml.PathString(fmt.Sprintf("$.spec.generators[%d].list.elements[%d].%s", gi, ei, k))
		if err != nil {
			return nil, err
		}
		if err := p.ReplaceWithReader(f, strings.NewReader(strconv.Quote(v))); err != nil {
			return nil, fmt.Errorf("set %s of %s: %w", k, env, err)
		}
	}
	out := []byte(f.String())
	if !bytes.HasSuffix(out, []byte("\n")) {
		out = append(out, '\n')
	}
	// Read back: the same document but for the two values.
	var before, after map[string]any
	if err := yaml.Unmarshal(doc, &before); err != nil {
		return nil, err
	}
	if err := yaml.Unmarshal(out, &after); err != nil {
		return nil, fmt.Errorf("the edited file does not parse: %w", err)
	}
	el := before["spec"].(map[string]any)["generators"].([]any)[gi].(map[string]any)["list"].(map[string]any)["elements"].([]any)[ei].(map[string]any)
	el[KeyTag], el[KeyDigest] = img.Tag, img.Digest
	if !reflect.DeepEqual(before, after) {
		return nil, fmt.Errorf("editing %s of %s changed more than its image: not committed", KeyTag, env)
	}
	return out, nil
}

// Promotion sets Env's image in File: Image, or the image From runs.
type Promotion struct {
	// File is the ApplicationSet in the repository (default DefaultFile).
	File string
	Env  string
	// From is the environment whose image is promoted (the one the
	// previous stage tested); Image when it is empty.
	From  string
	Image Image
	// App names the service in the commit message (default petclinic).
	App string
}

// Change is the promotion as a change of the repository's tree: the file
// at the tip, with From's image read there (so a concurrent change of
// From is seen on a retry).
func (p Promotion) Change(result *Image) gitops.Change {
	return func(t *gitops.Tree) (string, error) {
		file := p.File
		if file == "" {
			file = DefaultFile
		}
		doc, err := t.Read(file)
		if err != nil {
			return "", err
		}
		envs, err := Environments(doc)
		if err != nil {
			return "", fmt.Errorf("%s: %w", file, err)
		}
		img := p.Image
		if p.From != "" {
			if img, err = Find(envs, p.From); err != nil {
				return "", fmt.Errorf("%s: --from: %w", file, err)
			}
			if img.Tag == "" {
				return "", fmt.Errorf("%s: %s has no image to promote", file, p.From)
			}
		}
		old, err := Find(envs, p.Env)
		if err != nil {
			return "", fmt.Errorf("%s: %w", file, err)
		}
		out, err := Set(doc, p.Env, img)
		if err != nil {
			return "", fmt.Errorf("%s: %w", file, err)
		}
		if err := t.Write(file, out); err != nil {
			return "", err
		}
		*result = img
		app := p.App
		if app == "" {
			app = "petclinic"
		}
		from := ""
		if p.From != "" {
			from = " from " + p.From
		}
		return fmt.Sprintf("deploy(%s): %s %s%s\n\n%s: %s -> %s\n%s: %s -> %s\n", p.Env, app, img.Tag, from,
			KeyTag, orNone(old.Tag), orNone(img.Tag), KeyDigest, orNone(old.Digest), orNone(img.Digest)), nil
	}
}

func orNone(s string) string {
	if s == "" {
		return `""`
	}
	return s
}
