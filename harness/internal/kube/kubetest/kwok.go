package kubetest

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// The Stage documents kwok plays, from its module (kustomize/stage, copied
// by scripts/controlplane.sh): nodes become Ready and renew their leases;
// a pod bound to a node becomes Running and Ready at once; a pod being
// deleted is deleted. kwok's pod-complete stage is left out: the pods of a
// Job end when the worker process run for them ends (see Workers).
var kwokStages = []string{
	"node/fast/node-initialize.yaml",
	"node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
	"pod/fast/pod-ready.yaml",
	"pod/fast/pod-delete.yaml",
}

// podFailureStages are ours, not kwok's: what a kubelet does when Chaos
// Mesh's pod-failure swaps a container's image for the pause image (the
// application is gone, its readiness probe fails: the pod turns unready),
// and when Chaos Mesh puts the image back (ready again).
//
//go:embed stages/pod-failure.yaml
var podFailureStages []byte

// PauseImage is the image Chaos Mesh's pod-failure swaps in (the
// chaos-controller-manager's POD_FAILURE_PAUSE_IMAGE, the chart's default).
const PauseImage = "gcr.io/google-containers/pause:latest"

// KwokNodeAnnotation marks the nodes kwok manages.
const KwokNodeAnnotation = "kwok.x-k8s.io/node"

func (cp *ControlPlane) startKwok(ctx context.Context, cfg ControlPlaneConfig, p controlPlanePorts) error {
	// The nodes' kubelet port is the processes' kubelet (see kubelet), not
	// kwok's own server.
	if err := cp.startKubelet(ctx); err != nil {
		return err
	}
	var conf bytes.Buffer
	for _, s := range kwokStages {
		b, err := os.ReadFile(filepath.Join(bin("kwok-stages"), s)) // #nosec G304 -- the tool cache
		if err != nil {
			return err
		}
		conf.Write(b)
		conf.WriteString("\n---\n")
	}
	conf.Write(bytes.ReplaceAll(podFailureStages, []byte("PAUSE_IMAGE"), []byte(PauseImage)))
	confFile := cp.path("kwok.yaml")
	if err := os.WriteFile(confFile, conf.Bytes(), 0o600); err != nil {
		return err
	}
	kc, err := cp.kubeconfig("kwok", "kwok", "system:masters")
	if err != nil {
		return err
	}
	pr, err := cp.run("kwok", []string{
		"--kubeconfig=" + kc, "--config=" + confFile,
		"--manage-all-nodes=false", "--manage-nodes-with-annotation-selector=" + KwokNodeAnnotation + "=fake",
		"--node-ip=127.0.0.1", "--cidr=10.244.0.0/16", "--node-lease-duration-seconds=40",
		"--node-port=" + strconv.Itoa(p.kubelet), "--server-address=127.0.0.1:" + strconv.Itoa(p.kwok),
	})
	if err != nil {
		return err
	}
	for zi, z := range cfg.Zones {
		for n := range cfg.NodesPerZone {
			node := kwokNode(z, zi, n)
			if err := cp.Client.Create(ctx, node); err != nil {
				return fmt.Errorf("node %s: %w", node.Name, err)
			}
		}
	}
	// Ready nodes, as kwok reports them, and not tainted by the node
	// lifecycle controller any more.
	return await(ctx, pr, 2*time.Minute, func(ctx context.Context) error {
		var nodes corev1.NodeList
		if err := cp.Client.List(ctx, &nodes); err != nil {
			return err
		}
		if len(nodes.Items) != len(cfg.Zones)*cfg.NodesPerZone {
			return fmt.Errorf("%d nodes", len(nodes.Items))
		}
		for _, n := range nodes.Items {
			if !nodeReady(&n) {
				return fmt.Errorf("node %s not ready", n.Name)
			}
			for _, t := range n.Spec.Taints {
				return fmt.Errorf("node %s tainted %s", n.Name, t.Key)
			}
		}
		cp.Nodes = nodes.Items
		return nil
	})
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// kwokNode is node n of zone z (the zi-th zone) as EKS names and labels
// its nodes: ip-10-0-<zone>-<n>.<region>.compute.internal, the zone and
// region labels, and the provider id aws:///<zone>/i-<17 hex digits>.
func kwokNode(z string, zi, n int) *corev1.Node {
	region := Region(z)
	name := fmt.Sprintf("ip-10-0-%d-%d.%s.compute.internal", zi+1, 10+n, region)
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Annotations: map[string]string{KwokNodeAnnotation: "fake", "node.alpha.kubernetes.io/ttl": "0"},
			Labels: map[string]string{
				spec.ZoneLabel:                     z,
				spec.RegionLabel:                   region,
				"kubernetes.io/hostname":           name,
				"kubernetes.io/os":                 "linux",
				"kubernetes.io/arch":               "amd64",
				"node.kubernetes.io/instance-type": "m6i.large",
				"type":                             "kwok",
			},
		},
		Spec: corev1.NodeSpec{ProviderID: fmt.Sprintf("aws:///%s/%s", z, Instance(name))},
	}
}

// NodesOf are the names of the nodes in zone z.
func (cp *ControlPlane) NodesOf(z string) []string {
	var out []string
	for _, n := range cp.Nodes {
		if n.Labels[spec.ZoneLabel] == z {
			out = append(out, n.Name)
		}
	}
	return out
}
