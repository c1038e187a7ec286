package kube

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// Node-level faults (the table's NodeLevel kinds: AWSChaos) act on the
// cloud instances under nodes. A fault names its nodes with nodeSelector;
// preflight reads the nodes, and the fault renders as one Chaos Mesh object
// per node, each aimed at that node's instance (from spec.providerID), all
// injected and recovered together (one Injection whose Ref lists them).

// AnnotationNode names the node an object of a node-level fault acts on.
const AnnotationNode = "gameday.dev/node"

// Node is a node of the cluster as a node-level fault sees it.
type Node struct {
	Name       string
	Labels     map[string]string
	ProviderID string
}

// onNode aims the object of a node-level kind at node n; one translation
// per kind, and a kind of the table without one is a test failure
// (TestEveryNodeLevelKindHasATranslation).
var onNode = map[spec.FaultKind]func(obj client.Object, n Node) error{
	spec.AWSChaos: func(obj client.Object, n Node) error {
		a := &obj.(*v1alpha1.AWSChaos).Spec
		zone, instance, err := AWSInstance(n.ProviderID)
		if err != nil {
			return fmt.Errorf("node %s: %w", n.Name, err)
		}
		a.Ec2Instance = instance
		if a.AWSRegion == "" {
			a.AWSRegion = n.Labels[spec.RegionLabel]
		}
		if a.AWSRegion == "" {
			return fmt.Errorf("node %s (zone %s) has no %s label: set spec.awsRegion", n.Name, zone, spec.RegionLabel)
		}
		return nil
	},
}

// awsProviderID is a node's spec.providerID on EKS: aws:///<zone>/<instance>.
var awsProviderID = regexp.MustCompile(`^aws:///([a-z0-9-]+)/(i-[0-9a-f]+)$`)

// AWSInstance reads the zone and EC2 instance id of an EKS node's
// spec.providerID.
func AWSInstance(providerID string) (zone, instance string, err error) {
	m := awsProviderID.FindStringSubmatch(providerID)
	if m == nil {
		return "", "", fmt.Errorf("spec.providerID %q is not an EC2 instance (aws:///<zone>/i-...)", providerID)
	}
	return m[1], m[2], nil
}

// perNode renders the object of a fault with a nodeSelector once per
// matching node.
func (r *Renderer) perNode(obj client.Object, f spec.Fault) ([]client.Object, error) {
	aim, ok := onNode[f.Kind]
	if !ok {
		return nil, unsupported("nodeSelector", fmt.Sprintf("%s does not act on nodes", f.Kind))
	}
	if r.Nodes == nil { // offline: the nodes are unknown
		return []client.Object{obj}, nil
	}
	nodes, err := r.nodesOf(f.NodeSelector)
	if err != nil {
		return nil, err
	}
	var out []client.Object
	for _, n := range nodes {
		o := obj.DeepCopyObject().(client.Object)
		if err := aim(o, n); err != nil {
			return nil, err
		}
		o.SetName(nodeObjectName(obj.GetName(), n.Name))
		o.GetAnnotations()[AnnotationNode] = n.Name
		out = append(out, o)
	}
	return out, nil
}

// nodesOf are the nodes sel matches, its zone mapped onto the cluster's,
// sorted by name; none is an error naming the field.
func (r *Renderer) nodesOf(sel map[string]string) ([]Node, error) {
	want := maps.Clone(sel)
	if z, ok := want[spec.ZoneLabel]; ok && r.Zones != nil {
		m, ok := r.Zones[z]
		if !ok {
			return nil, fmt.Errorf("nodeSelector[%s]: zone %q is not a zone of the cluster (%s): map it with --zone-map %s=<cluster zone>",
				spec.ZoneLabel, z, strings.Join(slices.Compact(slices.Sorted(maps.Values(r.Zones))), ", "), z)
		}
		want[spec.ZoneLabel] = m
	}
	var out []Node
	for _, n := range r.Nodes {
		if labels.SelectorFromSet(want).Matches(labels.Set(n.Labels)) {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("nodeSelector %v selects no node of the cluster", labels.Set(want))
	}
	slices.SortFunc(out, func(a, b Node) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// nodeObjectName is the name of the object of a node-level fault on node:
// the fault's object name and a short hash of the node.
func nodeObjectName(base, node string) string {
	h := sha256.Sum256([]byte(node))
	return base + "-" + hex.EncodeToString(h[:])[:6]
}

// targetOf names what a record of Chaos Mesh's status is: a pod
// (namespace/name) as it is, an AWS selector (JSON) as ec2/<instance>.
func targetOf(id string) string {
	if !strings.HasPrefix(id, "{") {
		return id
	}
	var a v1alpha1.AWSSelector
	if err := json.Unmarshal([]byte(id), &a); err == nil && a.Ec2Instance != "" {
		return "ec2/" + a.Ec2Instance
	}
	return id
}
