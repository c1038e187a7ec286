package spec

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"

	"github.com/invopop/jsonschema"
)

// SchemaBaseURL is the base of the schemas' $id.
const SchemaBaseURL = "https://gameday.dev/schemas/v1alpha1/"

const chaosMeshPkg = "github.com/chaos-mesh/chaos-mesh/api/v1alpha1"

// JSONSchema describes FaultSpec; the schema of each kind is added by
// ExperimentSchema with if/then on the fault's kind.
func (FaultSpec) JSONSchema() *jsonschema.Schema {
	specs := make([]string, 0, len(kinds))
	for _, k := range kinds {
		specs = append(specs, k.SpecType().Name())
	}
	return &jsonschema.Schema{
		Type:        "object",
		Description: "The Chaos Mesh spec of the fault's kind (" + strings.Join(specs, ", ") + "), in Chaos Mesh's own field names.",
	}
}

// reflector reflects our types and Chaos Mesh's with the same rules the
// decoder applies: json names, no additional properties, a field without
// omitempty is required. comments are descriptions keyed as
// jsonschema.Reflector.CommentMap wants them.
func reflector(comments map[string]string) *jsonschema.Reflector {
	return &jsonschema.Reflector{
		CommentMap: comments,
		Namer: func(t reflect.Type) string {
			if t.PkgPath() == chaosMeshPkg {
				return "ChaosMesh" + t.Name()
			}
			return t.Name()
		},
	}
}

// ExperimentSchema is the JSON Schema of an experiment file.
func ExperimentSchema(comments map[string]string) *jsonschema.Schema {
	r := reflector(comments)
	s := r.Reflect(&Experiment{})
	s.ID = SchemaBaseURL + "experiment.schema.json"
	s.Comments = "Generated from the Go types of harness/internal/spec: DO NOT EDIT (go generate ./internal/spec)."
	fault := s.Definitions["Fault"]
	if kp, ok := fault.Properties.Get("kind"); ok {
		for _, k := range FaultKinds() {
			kp.Enum = append(kp.Enum, string(k))
		}
	}
	for _, k := range kinds {
		kind := k.Name
		sub := r.ReflectFromType(k.SpecType())
		for name, def := range sub.Definitions {
			s.Definitions[name] = def
		}
		ifKind, thenSpec := jsonschema.NewProperties(), jsonschema.NewProperties()
		ifKind.Set("kind", &jsonschema.Schema{Const: string(kind)})
		thenSpec.Set("spec", &jsonschema.Schema{Ref: sub.Ref})
		fault.AllOf = append(fault.AllOf, &jsonschema.Schema{
			If:   &jsonschema.Schema{Properties: ifKind, Required: []string{"kind"}},
			Then: &jsonschema.Schema{Properties: thenSpec},
		})
	}
	return s
}

// SuiteSchema is the JSON Schema of a suite file.
func SuiteSchema(comments map[string]string) *jsonschema.Schema {
	s := reflector(comments).Reflect(&Suite{})
	s.ID = SchemaBaseURL + "suite.schema.json"
	s.Comments = "Generated from the Go types of harness/internal/spec: DO NOT EDIT (go generate ./internal/spec)."
	return s
}

// MarshalSchema renders a schema as indented JSON with a final newline.
func MarshalSchema(s *jsonschema.Schema) ([]byte, error) {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// CleanComments drops Kubernetes code-generation markers ("+optional",
// "+kubebuilder:...") from Go doc comments collected for the schema.
func CleanComments(m map[string]string) {
	for k, v := range m {
		lines := strings.Split(v, "\n")
		lines = slices.DeleteFunc(lines, func(l string) bool { return strings.HasPrefix(strings.TrimSpace(l), "+") })
		m[k] = strings.TrimSpace(strings.Join(lines, "\n"))
	}
}
