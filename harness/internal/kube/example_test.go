package kube_test

import (
	"fmt"
	"log"

	"sigs.k8s.io/yaml"

	"github.com/gamedayhq/gameday/harness/internal/kube"
	"github.com/gamedayhq/gameday/harness/internal/load"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// The zone outage written for the sandbox, rendered for a cluster whose
// nodes are in eu-west-1a/b/c: the pod label of the zone became a node
// selector, zone-a the first zone in sorted order.
func ExampleRenderer_Object() {
	x, err := spec.ValidateOptions{Journeys: load.JourneyNames()}.LoadFile("../../../experiments/zone-outage.yaml")
	if err != nil {
		log.Fatal(err)
	}
	r := &kube.Renderer{
		Namespace: "petclinic", Allowed: []string{"petclinic"},
		TargetLabels: spec.DefaultSelector(), PodLabels: map[string]string{"app.kubernetes.io/name": "petclinic"},
		Zones: kube.ZoneMapping(nil, spec.DefaultZones(), []string{"eu-west-1c", "eu-west-1a", "eu-west-1b"}),
	}
	obj, err := r.Object(x, "20261127-213000-zone-outage", 0)
	if err != nil {
		log.Fatal(err)
	}
	b, err := yaml.Marshal(obj)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(string(b))
	// Output:
	// apiVersion: chaos-mesh.org/v1alpha1
	// kind: PodChaos
	// metadata:
	//   annotations:
	//     gameday.dev/run-id: 20261127-213000-zone-outage
	//   labels:
	//     app.kubernetes.io/managed-by: gameday
	//     gameday.dev/experiment: zone-outage
	//     gameday.dev/fault: zone-a-down
	//     gameday.dev/run-id: 20261127-213000-zone-outage
	//   name: zone-a-down-dbf5818c4b
	//   namespace: petclinic
	// spec:
	//   action: pod-failure
	//   duration: 45s
	//   mode: all
	//   selector:
	//     labelSelectors:
	//       app.kubernetes.io/name: petclinic
	//     namespaces:
	//     - petclinic
	//     nodeSelectors:
	//       topology.kubernetes.io/zone: eu-west-1a
	// status:
	//   experiment: {}
}
