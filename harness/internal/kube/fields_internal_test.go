package kube

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"

	"github.com/gamedayhq/gameday/harness/internal/spec"
	"github.com/gamedayhq/gameday/harness/internal/spec/spectest"
)

// TestEveryFieldReachesTheChaosMeshObject sets every field of every spec
// type the Kubernetes engine injects, one at a time, by reflection, and
// renders the fault: the field arrives in the Chaos Mesh object with the
// value set, or the render refuses it naming the field. (The engine
// copies the spec whole, so a field Chaos Mesh adds arrives too; what it
// translates — selectors, the duration — must not lose anything.)
func TestEveryFieldReachesTheChaosMeshObject(t *testing.T) {
	const duration = 30 * time.Second
	for _, k := range spec.Kinds() {
		if !k.Supports(spec.TargetKubernetes) {
			continue
		}
		for _, fld := range spectest.Fields(k.SpecType()) {
			t.Run(string(k.Name)+"/"+fld.Path, func(t *testing.T) {
				s := reflect.New(k.SpecType()).Interface()
				// Selectors that select (a mode, a label), for the fields
				// beside them.
				for _, base := range spectest.Fields(k.SpecType()) {
					switch base.Path {
					case "mode", "target.mode":
						base.Set(s, v1alpha1.AllMode)
					case "selector.labelSelectors", "target.selector.labelSelectors":
						base.Set(s, map[string]string{"app": "petclinic"})
					}
				}
				want := spectest.Example(fld.Type(k.SpecType()), "x").Interface()
				if fld.Path == "duration" {
					want = duration.String() // the fault's: validation keeps them equal
				}
				fld.Set(s, want)
				fs := spec.NewFaultSpec(s)
				f := spec.Fault{Name: "f", Kind: k.Name, Duration: spec.Duration(duration), Spec: fs}
				x := &spec.Experiment{Metadata: spec.Metadata{Name: "fields"}, Spec: spec.ExperimentSpec{Faults: []spec.Fault{f}}}
				objs, err := offline("petclinic").Fault(x, "run", 0)
				if err != nil {
					if !strings.Contains(err.Error(), "spec."+fld.Path) {
						t.Errorf("got %v; want the field arrived or refused naming spec.%s", err, fld.Path)
					}
					return
				}
				got := fld.Get(spec.FaultSpecOf(objs[0].(spec.Chaos)).Spec())
				if got == nil || !reflect.DeepEqual(reflect.Indirect(reflect.ValueOf(got)).Interface(), want) {
					t.Errorf("got %v in the Chaos Mesh object, want %v", got, want)
				}
			})
		}
	}
}
