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
func ExampleRenderer_Fault() {
	x, err := spec.ValidateOptions{Journeys: load.JourneyNames()}.LoadFile("../../../experiments/zone-outage.yaml")
	if err != nil {
		log.Fatal(err)
	}
	r := &kube.Renderer{
		Namespace: "petclinic", Allowed: []string{"petclinic"},
		TargetLabels: spec.DefaultSelector(), PodLabels: map[string]string{"app.kubernetes.io/name": "petclinic"},
		Zones: kube.ZoneMapping(nil, spec.DefaultZones(), []string{"eu-west-1c", "eu-west-1a", "eu-west-1b"}),
	}
	objs, err := r.Fault(x, "20261127-213000-zone-outage", 0)
	if err != nil {
		log.Fatal(err)
	}
	b, err := yaml.Marshal(objs[0])
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

// The node-level zone outage of experiments/az-outage.yaml for a cluster
// with two nodes in eu-west-1a: one AWSChaos per node, each aimed at the
// node's EC2 instance (from spec.providerID) in its region.
func ExampleRenderer_Fault_nodes() {
	x, err := spec.ValidateOptions{Journeys: load.JourneyNames()}.LoadFile("../../../experiments/az-outage.yaml")
	if err != nil {
		log.Fatal(err)
	}
	node := func(name, zone, instance string) kube.Node {
		return kube.Node{Name: name, ProviderID: "aws:///" + zone + "/" + instance,
			Labels: map[string]string{spec.ZoneLabel: zone, spec.RegionLabel: "eu-west-1"}}
	}
	r := &kube.Renderer{
		Namespace: "petclinic", Allowed: []string{"petclinic"},
		Zones: kube.ZoneMapping(nil, spec.DefaultZones(), []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"}),
		Nodes: []kube.Node{
			node("ip-10-0-1-17.eu-west-1.compute.internal", "eu-west-1a", "i-0a1b2c3d4e5f60718"),
			node("ip-10-0-2-40.eu-west-1.compute.internal", "eu-west-1b", "i-0b2c3d4e5f6071829"),
			node("ip-10-0-1-88.eu-west-1.compute.internal", "eu-west-1a", "i-0c3d4e5f607182930"),
		},
	}
	objs, err := r.Fault(x, "20261206-120000-az-outage", 0)
	if err != nil {
		log.Fatal(err)
	}
	for _, o := range objs {
		b, err := yaml.Marshal(o)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("---\n%s", b)
	}
	// Output:
	// ---
	// apiVersion: chaos-mesh.org/v1alpha1
	// kind: AWSChaos
	// metadata:
	//   annotations:
	//     gameday.dev/node: ip-10-0-1-17.eu-west-1.compute.internal
	//     gameday.dev/run-id: 20261206-120000-az-outage
	//   labels:
	//     app.kubernetes.io/managed-by: gameday
	//     gameday.dev/experiment: az-outage
	//     gameday.dev/fault: zone-a-instances-stopped
	//     gameday.dev/run-id: 20261206-120000-az-outage
	//   name: zone-a-instances-stopped-f281ad26ac-feb5b0
	//   namespace: petclinic
	// spec:
	//   action: ec2-stop
	//   awsRegion: eu-west-1
	//   duration: 1m30s
	//   ec2Instance: i-0a1b2c3d4e5f60718
	// status:
	//   experiment: {}
	// ---
	// apiVersion: chaos-mesh.org/v1alpha1
	// kind: AWSChaos
	// metadata:
	//   annotations:
	//     gameday.dev/node: ip-10-0-1-88.eu-west-1.compute.internal
	//     gameday.dev/run-id: 20261206-120000-az-outage
	//   labels:
	//     app.kubernetes.io/managed-by: gameday
	//     gameday.dev/experiment: az-outage
	//     gameday.dev/fault: zone-a-instances-stopped
	//     gameday.dev/run-id: 20261206-120000-az-outage
	//   name: zone-a-instances-stopped-f281ad26ac-3de9b7
	//   namespace: petclinic
	// spec:
	//   action: ec2-stop
	//   awsRegion: eu-west-1
	//   duration: 1m30s
	//   ec2Instance: i-0c3d4e5f607182930
	// status:
	//   experiment: {}
}
