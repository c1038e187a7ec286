package kube

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/gamedayhq/gameday/harness/internal/engine"
	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/selector"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// Preflight check names, in the order they run.
const (
	CheckNamespaceAllowed = "namespace allowed"
	CheckNotProduction    = "namespace not production"
	CheckChaosInject      = "namespace enabled for chaos mesh"
	CheckKillSwitch       = "kill switch released"
	CheckChaosMesh        = "chaos mesh CRDs installed"
	CheckDeployment       = "deployment available"
	CheckZones            = "zones spread"
	CheckPDB              = "pod disruption budget"
	CheckRender           = "faults accepted by the API server"
	CheckSelect           = "faults select pods"
	CheckCloud            = "cloud credentials for Chaos Mesh"
)

// Prepare runs the preflight checks of run runID (in the order of the
// Check constants) and reports each. When every check passed it returns
// the run's Session, holding the faults rendered for this cluster. A
// refusal's error carries its exit code: 2 (invalid invocation: the
// namespace is not allowed, or is production without prod-safe and
// --allow-prod, or a fault does not fit the cluster), 4 (refused by a
// guard: kill switch engaged, Deployment not available, ready replicas in
// too few zones, no PodDisruptionBudget allowing the planned disruption)
// or 3 (the cluster could not be read, Chaos Mesh is not installed).
func (e *Engine) Prepare(ctx context.Context, runID string, x *spec.Experiment) (engine.Session, engine.Preflight, error) {
	p := &preflight{e: e, x: x}
	pf, err := engine.RunChecks(ctx, p.checks())
	if err != nil {
		return nil, pf, err
	}
	return &Session{e: e, x: x, r: p.r, runID: runID}, pf, nil
}

// preflight is what the checks of one Prepare read from the cluster; each
// check fills what the later ones need, and skips (engine.ErrSkip) when
// what it needs could not be read (an earlier check said why).
type preflight struct {
	e       *Engine
	x       *spec.Experiment
	ns      *corev1.Namespace
	dep     *appsv1.Deployment
	desired int32
	cl      *clusterView
	r       *Renderer
	objs    []client.Object
}

func (p *preflight) checks() []engine.PreflightCheck {
	return []engine.PreflightCheck{
		{Name: CheckNamespaceAllowed, Run: p.namespaceAllowed},
		{Name: CheckNotProduction, Run: p.notProduction, Gate: true},
		{Name: CheckChaosInject, Run: p.chaosInject},
		{Name: CheckKillSwitch, Run: p.killSwitch, Gate: true},
		{Name: CheckChaosMesh, Run: p.chaosMesh},
		{Name: CheckDeployment, Run: p.deployment},
		{Name: CheckZones, Run: p.zones},
		{Name: CheckRender, Run: p.render},
		{Name: CheckSelect, Run: p.selects},
		{Name: CheckCloud, Run: p.cloud},
		{Name: CheckPDB, Run: p.pdb},
	}
}

// namespaceAllowed: who may be touched, the allowlist.
func (p *preflight) namespaceAllowed(context.Context) (string, error) {
	ns, allow := p.e.c.Namespace, p.e.c.Allowed
	if !allowed(allow, ns) {
		return "", engine.Refuse(exitcode.Invalid, "namespace %s is not in the allowlist (%s): add --allow-namespace %s (or %s)", ns, allowList(allow), ns, EnvAllowedNamespaces)
	}
	return fmt.Sprintf("%s (%s)", ns, allowList(allow)), nil
}

// notProduction: the production label, unless the experiment is prod-safe
// and --allow-prod was given.
func (p *preflight) notProduction(ctx context.Context) (string, error) {
	ns, prodLabel, x := p.e.c.Namespace, p.e.c.ProdLabel, p.x
	var nsObj corev1.Namespace
	if err := p.e.c.Client.Get(ctx, client.ObjectKey{Name: ns}, &nsObj); err != nil {
		return "", engine.Refuse(exitcode.Infra, "read namespace %s: %v", ns, err)
	}
	p.ns = &nsObj
	key, val, _ := strings.Cut(prodLabel, "=")
	switch prod := nsObj.Labels[key] == val; {
	case !prod:
		return fmt.Sprintf("namespace %s is not labelled %s", ns, prodLabel), nil
	case !x.Metadata.ProdSafe:
		return "", engine.Refuse(exitcode.Invalid, "namespace %s is labelled %s and experiment %s is not marked prod-safe: run it elsewhere, or review it and set metadata.prodSafe: true (then also pass --allow-prod)", ns, prodLabel, x.Metadata.Name)
	case !p.e.c.AllowProd:
		return "", engine.Refuse(exitcode.Invalid, "namespace %s is labelled %s: experiment %s is prod-safe, but production needs --allow-prod", ns, prodLabel, x.Metadata.Name)
	}
	return fmt.Sprintf("namespace %s is production: experiment %s is prod-safe and --allow-prod was given", ns, x.Metadata.Name), nil
}

// chaosInject: a Chaos Mesh that filters namespaces ignores this one
// without the annotation: every injection would wait for the timeout, then
// fail.
func (p *preflight) chaosInject(context.Context) (string, error) {
	if p.ns == nil {
		return "", engine.ErrSkip
	}
	ns := p.e.c.Namespace
	switch v := p.ns.Annotations[AnnotationChaosInject]; {
	case p.e.c.NoFilterNamespace:
		return fmt.Sprintf("not checked (--chaos-mesh-filter-namespace=false): annotation %s=%q", AnnotationChaosInject, v), nil
	case v == "enabled":
		return fmt.Sprintf("namespace %s is annotated %s=enabled", ns, AnnotationChaosInject), nil
	default:
		return "", engine.Refuse(exitcode.Invalid, "namespace %s is not annotated %s=enabled (it is %q): Chaos Mesh, installed with enableFilterNamespace, ignores it and no fault would be injected; run kubectl annotate ns %s %s=enabled, or pass --chaos-mesh-filter-namespace=false if your Chaos Mesh does not filter namespaces", ns, AnnotationChaosInject, v, ns, AnnotationChaosInject)
	}
}

func (p *preflight) killSwitch(ctx context.Context) (string, error) {
	engaged, detail, err := p.e.killSwitch(ctx)
	switch {
	case err != nil:
		return "", engine.Refuse(exitcode.Infra, "%v", err)
	case engaged:
		return "", engine.Refuse(exitcode.Aborted, "%s: nothing runs until it is released", detail)
	}
	return detail, nil
}

// chaosMesh: its CRDs, through discovery (no CRD read rights needed).
func (p *preflight) chaosMesh(context.Context) (string, error) {
	var missing []string
	for _, k := range usedKinds(p.x) {
		gvk := v1alpha1.SchemeGroupVersion.WithKind(string(k))
		if _, err := p.e.c.Client.RESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version); err != nil {
			missing = append(missing, string(k))
		}
	}
	if len(missing) > 0 {
		return "", engine.Refuse(exitcode.Infra, "%s of chaos-mesh.org/v1alpha1 not served: install Chaos Mesh (helm install chaos-mesh chaos-mesh/chaos-mesh -n chaos-mesh)", strings.Join(missing, ", "))
	}
	return fmt.Sprintf("%s served", kindsList(usedKinds(p.x))), nil
}

// deployment: the Deployment, available.
func (p *preflight) deployment(ctx context.Context) (string, error) {
	ns, name := p.e.c.Namespace, p.e.c.Deployment
	var dep appsv1.Deployment
	if err := p.e.c.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &dep); err != nil {
		code := exitcode.Infra
		if apierrors.IsNotFound(err) {
			code = exitcode.Invalid
		}
		return "", engine.Refuse(code, "Deployment %s/%s: %v: check --namespace and --deployment", ns, name, err)
	}
	if _, err := metav1.LabelSelectorAsSelector(dep.Spec.Selector); err != nil {
		return "", engine.Refuse(exitcode.Infra, "Deployment %s/%s: selector: %v", ns, dep.Name, err)
	}
	p.dep, p.desired = &dep, 1
	if dep.Spec.Replicas != nil {
		p.desired = *dep.Spec.Replicas
	}
	if !available(&dep) {
		return "", engine.Refuse(exitcode.Aborted, "%s/%s is not available (%d of %d replicas ready): a game day starts from a steady state; fix the Deployment first", ns, dep.Name, dep.Status.ReadyReplicas, p.desired)
	}
	return fmt.Sprintf("%s/%s available, %d of %d replicas ready", ns, dep.Name, dep.Status.ReadyReplicas, p.desired), nil
}

// zones: where the Deployment's ready replicas run; it resolves the
// renderer (zones, replicas) against the cluster.
func (p *preflight) zones(ctx context.Context) (string, error) {
	if p.dep == nil {
		return "", engine.ErrSkip
	}
	sel, _ := metav1.LabelSelectorAsSelector(p.dep.Spec.Selector) // checked by deployment
	cl, err := p.e.cluster(ctx, sel)
	if err != nil {
		return "", engine.Refuse(exitcode.Infra, "%v", err)
	}
	p.cl = cl
	x, dep := p.x, p.dep
	p.r = &Renderer{
		Namespace: p.e.c.Namespace, Allowed: p.e.c.Allowed, TargetLabels: targetLabels(x, p.e.c.Selector),
		PodLabels: dep.Spec.Selector.MatchLabels, PodExpressions: dep.Spec.Selector.MatchExpressions,
		Zones: ZoneMapping(p.e.c.ZoneMap, namedZones(x), cl.zones), Replicas: cl.readyNames(),
		Nodes: cl.nodeList,
	}
	needZones := 2
	if selectsZone(x) {
		needZones = 3
	}
	// A node without a zone label is no zone: its pods do not count.
	byZone, unzoned := cl.readyInZones()
	noZone := ""
	if len(unzoned) > 0 {
		noZone = fmt.Sprintf("; %d ready pod(s) on nodes without the label %s, not counted: %s", len(unzoned), spec.ZoneLabel, strings.Join(unzoned, ", "))
	}
	if zs := len(byZone); zs < needZones {
		why := "the service must survive the loss of one zone"
		if needZones == 3 {
			why = "a zone outage needs two zones left"
		}
		return "", engine.Refuse(exitcode.Aborted, "ready replicas in %d zone(s) (%s), %d needed: %s; spread the Deployment (topologySpreadConstraints on %s) and scale it%s", zs, zoneCounts(byZone), needZones, why, spec.ZoneLabel, noZone)
	}
	return fmt.Sprintf("ready replicas in %d zones (%s), %d needed%s", len(byZone), zoneCounts(byZone), needZones, noZone), nil
}

// render: every fault rendered, and accepted by the API server (dry run).
func (p *preflight) render(ctx context.Context) (string, error) {
	if p.r == nil {
		return "", engine.ErrSkip
	}
	x := p.x
	objs, err := p.r.Objects(x, "preflight")
	if err != nil {
		return "", exitcode.Wrap(exitcode.Invalid, err)
	}
	var errs []error
	for i, o := range objs { // one per fault, in order
		err := p.e.c.Client.Create(ctx, o, client.DryRunAll)
		if webhookDown(err) {
			return "", engine.Refuse(exitcode.Infra, "experiment %s: spec.faults[%d] (%s): %s: Chaos Mesh's admission webhook does not answer: check its controller (kubectl -n chaos-mesh get pods -l app.kubernetes.io/component=controller-manager): %v",
				x.Metadata.Name, i, x.Spec.Faults[i].Name, Ref(o), err)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("spec.faults[%d] (%s): %s: %w", i, x.Spec.Faults[i].Name, Ref(o), err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return "", exitcode.Wrap(exitcode.Invalid, fmt.Errorf("experiment %s: %w", x.Metadata.Name, err))
	}
	p.objs = objs
	return fmt.Sprintf("%d objects accepted (server-side dry run)", len(objs)), nil
}

// selects: every selector selects a pod (a managed database is no pod).
func (p *preflight) selects(ctx context.Context) (string, error) {
	if p.objs == nil {
		return "", engine.ErrSkip
	}
	if err := p.e.selectsPods(ctx, p.x, p.objs, p.cl); err != nil {
		return "", exitcode.Wrap(exitcode.Invalid, err)
	}
	return "every fault's selectors match ready pods", nil
}

// cloud: the credentials the cloud faults (AWSChaos) need. With
// spec.secretName, Chaos Mesh reads that Secret (keys aws_access_key_id and
// aws_secret_access_key) in the target namespace: it must exist (only its
// metadata is read; without the right to read Secrets, which the shipped
// RBAC does not grant, it is reported as not checked). Without, Chaos
// Mesh's controller uses its own AWS identity (IRSA or EKS pod identity),
// which cannot be seen from here.
func (p *preflight) cloud(ctx context.Context) (string, error) {
	ns := p.e.c.Namespace
	var parts []string
	for i, f := range p.x.Spec.Faults {
		a, ok := f.Spec.Object().(*v1alpha1.AWSChaos)
		if !ok {
			continue
		}
		if a.Spec.SecretName == nil {
			parts = append(parts, fmt.Sprintf("%s: no secretName: Chaos Mesh's controller uses its own AWS identity (IRSA or pod identity; not visible from here)", f.Name))
			continue
		}
		name := *a.Spec.SecretName
		var sec metav1.PartialObjectMetadata
		sec.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
		err := p.e.c.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &sec)
		switch {
		case apierrors.IsNotFound(err):
			return "", engine.Refuse(exitcode.Invalid, "experiment %s: spec.faults[%d].spec.secretName: Secret %s/%s not found: create it with the keys aws_access_key_id and aws_secret_access_key (docs/kubernetes.md), or leave secretName out to use the Chaos Mesh controller's own AWS identity",
				p.x.Metadata.Name, i, ns, name)
		case apierrors.IsForbidden(err):
			parts = append(parts, fmt.Sprintf("%s: Secret %s/%s not checked (this identity may not read Secrets; Chaos Mesh reads it when it injects)", f.Name, ns, name))
		case err != nil:
			return "", engine.Refuse(exitcode.Infra, "read Secret %s/%s: %v", ns, name, err)
		default:
			parts = append(parts, fmt.Sprintf("%s: Secret %s/%s present (its keys are not read)", f.Name, ns, name))
		}
	}
	if len(parts) == 0 {
		return "", engine.ErrSkip
	}
	return strings.Join(parts, "; "), nil
}

// pdb: the PodDisruptionBudget and the planned disruption.
func (p *preflight) pdb(ctx context.Context) (string, error) {
	if p.r == nil {
		return "", engine.ErrSkip
	}
	planned, plan, err := disruption(p.x, p.r, p.cl)
	if err != nil {
		return "", exitcode.Wrap(exitcode.Invalid, err)
	}
	ok, detail, code := p.e.checkPDB(ctx, p.dep, p.desired, p.cl, planned, plan)
	if !ok {
		return "", engine.Refuse(code, "%s", detail)
	}
	return detail, nil
}

// selectsPods checks that the selector (and a NetworkChaos's target) of
// every object matches at least one ready pod.
func (e *Engine) selectsPods(ctx context.Context, x *spec.Experiment, objs []client.Object, v *clusterView) error {
	pods := map[string][]corev1.Pod{}
	count := func(s v1alpha1.PodSelectorSpec) (int, error) {
		n := 0
		for _, ns := range s.Namespaces {
			if _, ok := pods[ns]; !ok {
				var l corev1.PodList
				if err := e.c.Client.List(ctx, &l, client.InNamespace(ns)); err != nil {
					return 0, fmt.Errorf("list pods in %s: %w", ns, err)
				}
				pods[ns] = l.Items
			}
			for i := range pods[ns] {
				p := &pods[ns][i]
				if podReady(p) && selector.Matches(s, SelectorPod(p, v.nodes[p.Spec.NodeName])) {
					n++
				}
			}
		}
		return n, nil
	}
	var errs []error
	for i, o := range objs {
		for _, sel := range selectorsOf(o) {
			field, s := sel.Path(), sel.Selector
			n, err := count(s)
			if err != nil {
				return err
			}
			if n == 0 {
				errs = append(errs, fmt.Errorf("experiment %s: spec.faults[%d] (%s): %s.selector selects no ready pod (labels %v, node labels %v, namespaces %v): on a cluster where this is a managed service (RDS, ElastiCache), give the fault externalTargets instead",
					x.Metadata.Name, i, x.Spec.Faults[i].Name, field, labels.Set(s.LabelSelectors), labels.Set(s.NodeSelectors), s.Namespaces))
			}
		}
	}
	return errors.Join(errs...)
}

// webhookDown says whether err is the API server's failure to call an
// admission webhook (Chaos Mesh's, for its kinds): the controller serving
// it is down or unreachable, the object itself was not judged.
func webhookDown(err error) bool {
	return apierrors.IsInternalError(err) && strings.Contains(err.Error(), "failed calling webhook")
}

func available(d *appsv1.Deployment) bool {
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentAvailable {
			return c.Status == corev1.ConditionTrue && d.Status.ReadyReplicas > 0
		}
	}
	return false
}

// clusterView is the Deployment's pods and the zones of their nodes.
type clusterView struct {
	pods  []corev1.Pod      // the Deployment's pods
	zone  map[string]string // node name → zone
	nodes map[string]labels.Set
	zones []string // every zone of the cluster's nodes, sorted
	// nodeList is every node, for node-level faults.
	nodeList []Node
}

func (e *Engine) cluster(ctx context.Context, sel labels.Selector) (*clusterView, error) {
	var pods corev1.PodList
	if err := e.c.Client.List(ctx, &pods, client.InNamespace(e.c.Namespace), client.MatchingLabelsSelector{Selector: sel}); err != nil {
		return nil, fmt.Errorf("list pods of %s/%s: %w", e.c.Namespace, e.c.Deployment, err)
	}
	var nodes corev1.NodeList
	if err := e.c.Client.List(ctx, &nodes); err != nil {
		return nil, fmt.Errorf("list nodes (their %s label is the zone): %w", spec.ZoneLabel, err)
	}
	v := &clusterView{pods: pods.Items, zone: map[string]string{}, nodes: map[string]labels.Set{}}
	for _, n := range nodes.Items {
		v.nodes[n.Name] = n.Labels
		v.nodeList = append(v.nodeList, Node{Name: n.Name, Labels: n.Labels, ProviderID: n.Spec.ProviderID})
		if z := n.Labels[spec.ZoneLabel]; z != "" {
			v.zone[n.Name] = z
			if !slices.Contains(v.zones, z) {
				v.zones = append(v.zones, z)
			}
		}
	}
	slices.Sort(v.zones)
	return v, nil
}

func podReady(p *corev1.Pod) bool {
	if p.DeletionTimestamp != nil {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// readyByZone counts ready pods by their node's zone ("unknown" without),
// for the observations: every ready pod counts there.
func (v *clusterView) readyByZone() map[string]int {
	m := map[string]int{}
	for i := range v.pods {
		p := &v.pods[i]
		if !podReady(p) {
			continue
		}
		z := v.zone[p.Spec.NodeName]
		if z == "" {
			z = "unknown"
		}
		m[z]++
	}
	return m
}

// readyInZones counts ready pods by their node's zone, leaving out those
// on a node without a zone label: their names (pod on node) are returned
// apart, sorted.
func (v *clusterView) readyInZones() (map[string]int, []string) {
	m := map[string]int{}
	var unzoned []string
	for i := range v.pods {
		p := &v.pods[i]
		if !podReady(p) {
			continue
		}
		if z := v.zone[p.Spec.NodeName]; z != "" {
			m[z]++
		} else {
			unzoned = append(unzoned, fmt.Sprintf("%s (node %s)", p.Name, cmp.Or(p.Spec.NodeName, "none")))
		}
	}
	slices.Sort(unzoned)
	return m, unzoned
}

// readyNames are the names of the ready pods, sorted.
func (v *clusterView) readyNames() []string {
	names := []string{}
	for i := range v.pods {
		if podReady(&v.pods[i]) {
			names = append(names, v.pods[i].Name)
		}
	}
	slices.Sort(names)
	return names
}

func (v *clusterView) ready() int {
	n := 0
	for _, c := range v.readyByZone() {
		n += c
	}
	return n
}

func zoneCounts(m map[string]int) string {
	var parts []string
	for _, z := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s=%d", z, m[z]))
	}
	if len(parts) == 0 {
		return "none ready"
	}
	return strings.Join(parts, " ")
}

// observe counts the Deployment's ready pods per zone of their node.
func (e *Engine) observe(ctx context.Context) (engine.Observation, error) {
	var dep appsv1.Deployment
	if err := e.c.Client.Get(ctx, client.ObjectKey{Namespace: e.c.Namespace, Name: e.c.Deployment}, &dep); err != nil {
		return engine.Observation{}, err
	}
	sel, err := metav1.LabelSelectorAsSelector(dep.Spec.Selector)
	if err != nil {
		return engine.Observation{}, err
	}
	v, err := e.cluster(ctx, sel)
	if err != nil {
		return engine.Observation{}, err
	}
	o := engine.Observation{At: time.Now(), ReadyByZone: v.readyByZone(), Desired: 1}
	if dep.Spec.Replicas != nil {
		o.Desired = int(*dep.Spec.Replicas)
	}
	return o, nil
}

// disruption is how many of the Deployment's ready pods the experiment's
// faults that take pods out (table: TakesPodsOut) may take, summed over the
// faults as if they overlapped, and how it was counted. Network, stress
// and HTTP faults degrade pods without taking them out of service. A
// selector that cannot select is an error naming the fault and field.
func disruption(x *spec.Experiment, r *Renderer, v *clusterView) (int, string, error) {
	total := 0
	var parts []string
	for i, f := range x.Spec.Faults {
		if k := f.Spec.Kind(); k == nil || !k.TakesPodsOut {
			continue
		}
		objs, err := r.Fault(x, "preflight", i)
		if err != nil {
			continue // reported by the render check
		}
		if f.NodeSelector != nil {
			k := v.onNodes(objs)
			total += k
			parts = append(parts, fmt.Sprintf("%s: the %d ready pods on its %d node(s)", f.Name, k, len(objs)))
			continue
		}
		ps := spec.FaultSpecOf(objs[0].(spec.Chaos)).PodSelector()
		if ps == nil {
			continue
		}
		n, k, err := v.taken("spec", ps)
		if err != nil {
			return 0, "", fmt.Errorf("experiment %s: spec.faults[%d] (%s): %w", x.Metadata.Name, i, f.Name, err)
		}
		total += k
		parts = append(parts, fmt.Sprintf("%s: %d of %d matching ready pods (mode %s)", f.Name, k, n, ps.Mode))
	}
	if len(parts) == 0 {
		return 0, "no fault takes pods out", nil
	}
	return total, strings.Join(parts, ", "), nil
}

// onNodes is how many of the Deployment's ready pods run on the nodes the
// objects of a node-level fault act on.
func (v *clusterView) onNodes(objs []client.Object) int {
	nodes := map[string]bool{}
	for _, o := range objs {
		nodes[o.GetAnnotations()[AnnotationNode]] = true
	}
	n := 0
	for i := range v.pods {
		if p := &v.pods[i]; podReady(p) && nodes[p.Spec.NodeName] {
			n++
		}
	}
	return n
}

// taken is how many of the Deployment's ready pods ps (at field) matches,
// and how many of them Chaos Mesh will take.
func (v *clusterView) taken(field string, ps *v1alpha1.PodSelector) (matching, taken int, err error) {
	for i := range v.pods {
		p := &v.pods[i]
		if podReady(p) && selector.Matches(ps.Selector, SelectorPod(p, v.nodes[p.Spec.NodeName])) {
			matching++
		}
	}
	taken, err = selector.Count(field, ps, matching)
	return matching, taken, err
}

// SelectorPod is pod p, on a node labelled node, as a Chaos Mesh selector
// sees it.
func SelectorPod(p *corev1.Pod, node labels.Set) selector.Pod {
	return selector.Pod{Namespace: p.Namespace, Name: p.Name, Labels: p.Labels, Annotations: p.Annotations,
		Node: p.Spec.NodeName, NodeLabels: node, Phase: string(p.Status.Phase)}
}

// checkPDB finds a PodDisruptionBudget covering the Deployment's pods and
// checks that it allows the planned disruption: from its status when the
// disruption controller has computed it, else from its spec against the
// ready pods.
func (e *Engine) checkPDB(ctx context.Context, dep *appsv1.Deployment, desired int32, v *clusterView, planned int, plan string) (bool, string, int) {
	var pdbs policyv1.PodDisruptionBudgetList
	if err := e.c.Client.List(ctx, &pdbs, client.InNamespace(e.c.Namespace)); err != nil {
		return false, fmt.Sprintf("list PodDisruptionBudgets: %v", err), exitcode.Infra
	}
	podLabels := labels.Set(dep.Spec.Template.Labels)
	for i := range pdbs.Items {
		p := &pdbs.Items[i]
		sel, err := metav1.LabelSelectorAsSelector(p.Spec.Selector)
		if err != nil || sel.Empty() || !sel.Matches(podLabels) {
			continue
		}
		allowed, how := pdbAllows(p, int(desired), v.ready())
		if planned > allowed {
			return false, fmt.Sprintf("PodDisruptionBudget %s allows %d disruption(s) (%s), the experiment plans %d (%s): reduce the fault's selection or relax the budget", p.Name, allowed, how, planned, plan), exitcode.Aborted
		}
		return true, fmt.Sprintf("PodDisruptionBudget %s allows %d disruption(s) (%s), the experiment plans %d (%s)", p.Name, allowed, how, planned, plan), 0
	}
	return false, fmt.Sprintf("no PodDisruptionBudget selects the pods of %s/%s (labels %s): create one (e.g. minAvailable: %d) so that voluntary disruptions cannot take the service down during the game day", e.c.Namespace, dep.Name, podLabels, max(desired-1, 1)), exitcode.Aborted
}

// pdbAllows is how many more pods may go, and how that was computed.
func pdbAllows(p *policyv1.PodDisruptionBudget, desired, ready int) (int, string) {
	if p.Status.ObservedGeneration >= p.Generation && p.Generation > 0 && p.Status.ExpectedPods > 0 {
		return int(p.Status.DisruptionsAllowed), fmt.Sprintf("status: %d healthy, %d desired healthy", p.Status.CurrentHealthy, p.Status.DesiredHealthy)
	}
	scaled := func(v *intstr.IntOrString, roundUp bool) int {
		n, err := intstr.GetScaledValueFromIntOrPercent(v, desired, roundUp)
		if err != nil {
			return 0
		}
		return n
	}
	switch {
	case p.Spec.MinAvailable != nil:
		return max(ready-scaled(p.Spec.MinAvailable, true), 0), fmt.Sprintf("spec: minAvailable %s of %d ready", p.Spec.MinAvailable.String(), ready)
	case p.Spec.MaxUnavailable != nil:
		return max(scaled(p.Spec.MaxUnavailable, true)-(desired-ready), 0), fmt.Sprintf("spec: maxUnavailable %s, %d of %d ready", p.Spec.MaxUnavailable.String(), ready, desired)
	}
	return 0, "spec: neither minAvailable nor maxUnavailable"
}

func usedKinds(x *spec.Experiment) []spec.FaultKind {
	var ks []spec.FaultKind
	for _, f := range x.Spec.Faults {
		if !slices.Contains(ks, f.Kind) {
			ks = append(ks, f.Kind)
		}
	}
	if len(ks) == 0 {
		return spec.FaultKinds()
	}
	return ks
}

func kindsList(ks []spec.FaultKind) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// targetLabels are the pod labels experiments use for PetClinic.
func targetLabels(x *spec.Experiment, def map[string]string) map[string]string {
	if t := x.Spec.Target; t != nil && t.Kubernetes != nil && len(t.Kubernetes.Selector) > 0 {
		return t.Kubernetes.Selector
	}
	return def
}

// namedZones are the zones the experiment was written for, in order.
func namedZones(x *spec.Experiment) []string {
	if t := x.Spec.Target; t != nil && t.Sandbox != nil && len(t.Sandbox.Zones) > 0 {
		return t.Sandbox.Zones
	}
	return spec.DefaultZones()
}

// selectsZone reports whether a fault selects pods by zone.
func selectsZone(x *spec.Experiment) bool {
	for _, f := range x.Spec.Faults {
		if _, ok := f.NodeSelector[spec.ZoneLabel]; ok {
			return true
		}
		ps := f.Spec.PodSelector()
		if ps == nil {
			continue
		}
		if _, ok := ps.Selector.LabelSelectors[spec.ZoneLabel]; ok {
			return true
		}
		if _, ok := ps.Selector.NodeSelectors[spec.ZoneLabel]; ok {
			return true
		}
	}
	return false
}
