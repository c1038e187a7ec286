package kubetest

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/gamedayhq/gameday/harness/internal/kube"
	"github.com/gamedayhq/gameday/harness/internal/selector"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// Controller is a TEST STAND-IN for the Chaos Mesh controller manager, which
// does not run on envtest. It writes a chaos object's status the way Chaos
// Mesh 2.x does, so that the harness's reading of it is exercised against
// a real API server:
//
//   - a new object gets the finalizer chaos-mesh/records;
//   - the pods its selector matches (namespaces, labels, expressions, node
//     labels, as package selector; mode one picks the first by name, where
//     Chaos Mesh picks at random), or the instance of an AWSChaos (its
//     selector's JSON, as Chaos Mesh's record id), become
//     status.experiment.containerRecords, each
//     with a Succeeded Apply event, phase Injected; conditions Selected and
//     AllInjected True, AllRecovered and Paused False, desiredPhase Run;
//     no matching pod: Selected False, AllInjected False;
//   - the pause annotation, or the duration elapsed since creation: a
//     Succeeded Recover event per record, phase Not Injected, AllInjected
//     False, AllRecovered True (Paused True when paused), desiredPhase Stop;
//   - deletion: recovered as above, then the finalizer removed (the object
//     goes away).
//
// It injects nothing: there are no real pods. Delay holds back each
// injection; Ignore objects are never injected (Chaos Mesh down). Fail
// makes the injection of an object fail with its message, as Chaos Mesh
// records it: a Failed Apply event per record, Selected True, AllInjected
// False.
type Controller struct {
	Client     client.Client
	Namespaces []string
	Delay      time.Duration
	Ignore     func(client.Object) bool
	Fail       func(client.Object) string
	Poll       time.Duration

	mu    sync.Mutex
	log   []string
	first map[types.UID]time.Time // when the controller first saw each object
}

// Log is what the controller did, in order ("inject PodChaos/ns/name 2 pods").
func (c *Controller) Log() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.log)
}

func (c *Controller) logf(format string, a ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.log = append(c.log, fmt.Sprintf(format, a...))
}

// Start runs the controller until ctx ends; the returned channel closes
// when it has stopped.
func (c *Controller) Start(ctx context.Context) <-chan struct{} {
	done := make(chan struct{})
	poll := c.Poll
	if poll <= 0 {
		poll = 50 * time.Millisecond
	}
	go func() {
		defer close(done)
		for {
			for _, ns := range c.Namespaces {
				objs, err := kube.Items(ctx, c.Client, ns, nil)
				if err != nil {
					continue
				}
				for _, o := range objs {
					c.reconcile(ctx, o)
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(poll):
			}
		}
	}()
	return done
}

func setCond(st *v1alpha1.ChaosStatus, t v1alpha1.ChaosConditionType, on bool, reason string) {
	s := corev1.ConditionFalse
	if on {
		s = corev1.ConditionTrue
	}
	for i := range st.Conditions {
		if st.Conditions[i].Type == t {
			st.Conditions[i].Status, st.Conditions[i].Reason = s, reason
			return
		}
	}
	st.Conditions = append(st.Conditions, v1alpha1.ChaosCondition{Type: t, Status: s, Reason: reason})
}

func cond(st *v1alpha1.ChaosStatus, t v1alpha1.ChaosConditionType) bool {
	for _, c := range st.Conditions {
		if c.Type == t {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func (c *Controller) reconcile(ctx context.Context, obj client.Object) {
	st := obj.(v1alpha1.StatefulObject).GetStatus()
	ref := kube.Ref(obj)
	now := metav1.Now()
	switch {
	case obj.GetDeletionTimestamp() != nil:
		if !controllerutil.ContainsFinalizer(obj, kube.FinalizerChaosMesh) {
			return
		}
		if !cond(st, v1alpha1.ConditionAllRecovered) {
			recoverAll(st, now, false)
			if c.Client.Update(ctx, obj) == nil {
				c.logf("recover %s (deleted)", ref)
			}
			return
		}
		controllerutil.RemoveFinalizer(obj, kube.FinalizerChaosMesh)
		if c.Client.Update(ctx, obj) == nil {
			c.logf("release %s", ref)
		}
	case !controllerutil.ContainsFinalizer(obj, kube.FinalizerChaosMesh):
		controllerutil.AddFinalizer(obj, kube.FinalizerChaosMesh)
		st.Experiment.DesiredPhase = v1alpha1.RunningPhase
		_ = c.Client.Update(ctx, obj) // retried at the next poll
	case obj.GetAnnotations()[v1alpha1.PauseAnnotationKey] == "true" || expired(obj, now.Time):
		if cond(st, v1alpha1.ConditionAllRecovered) {
			return
		}
		paused := obj.GetAnnotations()[v1alpha1.PauseAnnotationKey] == "true"
		recoverAll(st, now, paused)
		if c.Client.Update(ctx, obj) == nil {
			why := "duration elapsed"
			if paused {
				why = "paused"
			}
			c.logf("recover %s (%s)", ref, why)
		}
	case len(st.Experiment.Records) == 0 && !cond(st, v1alpha1.ConditionAllInjected):
		if now.Sub(c.firstSeen(obj)) < c.Delay || (c.Ignore != nil && c.Ignore(obj)) {
			return
		}
		ids, what, err := c.targets(ctx, obj)
		if err != nil {
			return
		}
		if len(ids) == 0 {
			if cond(st, v1alpha1.ConditionSelected) || len(st.Conditions) == 0 {
				setCond(st, v1alpha1.ConditionSelected, false, "no pod matches the selector")
				setCond(st, v1alpha1.ConditionAllInjected, false, "")
				_ = c.Client.Update(ctx, obj) // retried at the next poll
			}
			return
		}
		if msg := c.failure(obj); msg != "" {
			for _, id := range ids {
				st.Experiment.Records = append(st.Experiment.Records, &v1alpha1.Record{
					Id: id, SelectorKey: ".", Phase: v1alpha1.NotInjected,
					Events: []v1alpha1.RecordEvent{*v1alpha1.NewRecordEvent(v1alpha1.TypeFailed, v1alpha1.Apply, msg, now)},
				})
			}
			st.Experiment.DesiredPhase = v1alpha1.RunningPhase
			setCond(st, v1alpha1.ConditionSelected, true, "")
			setCond(st, v1alpha1.ConditionAllInjected, false, "")
			if c.Client.Update(ctx, obj) == nil {
				c.logf("fail %s %d %s", ref, len(ids), what)
			}
			return
		}
		for _, id := range ids {
			st.Experiment.Records = append(st.Experiment.Records, &v1alpha1.Record{
				Id: id, SelectorKey: ".", Phase: v1alpha1.Injected, InjectedCount: 1,
				Events: []v1alpha1.RecordEvent{*v1alpha1.NewRecordEvent(v1alpha1.TypeSucceeded, v1alpha1.Apply, "", now)},
			})
		}
		st.Experiment.DesiredPhase = v1alpha1.RunningPhase
		setCond(st, v1alpha1.ConditionSelected, true, "")
		setCond(st, v1alpha1.ConditionAllInjected, true, "")
		setCond(st, v1alpha1.ConditionAllRecovered, false, "")
		setCond(st, v1alpha1.ConditionPaused, false, "")
		if c.Client.Update(ctx, obj) == nil {
			c.logf("inject %s %d %s", ref, len(ids), what)
		}
	}
}

func (c *Controller) failure(obj client.Object) string {
	if c.Fail == nil {
		return ""
	}
	return c.Fail(obj)
}

// firstSeen is when the controller first saw obj (creation timestamps
// are to the second).
func (c *Controller) firstSeen(obj client.Object) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.first == nil {
		c.first = map[types.UID]time.Time{}
	}
	t, ok := c.first[obj.GetUID()]
	if !ok {
		t = time.Now()
		c.first[obj.GetUID()] = t
	}
	return t
}

func recoverAll(st *v1alpha1.ChaosStatus, now metav1.Time, paused bool) {
	for _, r := range st.Experiment.Records {
		if r.Phase == v1alpha1.Injected {
			r.Phase = v1alpha1.NotInjected
			r.RecoveredCount++
			r.Events = append(r.Events, *v1alpha1.NewRecordEvent(v1alpha1.TypeSucceeded, v1alpha1.Recover, "", now))
		}
	}
	st.Experiment.DesiredPhase = v1alpha1.StoppedPhase
	setCond(st, v1alpha1.ConditionAllInjected, false, "")
	setCond(st, v1alpha1.ConditionAllRecovered, true, "")
	setCond(st, v1alpha1.ConditionPaused, paused, "")
}

// expired reports whether obj's duration has elapsed since its creation
// (Chaos Mesh's own DurationExceeded).
func expired(obj client.Object, now time.Time) bool {
	in, ok := obj.(v1alpha1.InnerObject)
	if !ok {
		return false
	}
	over, _, err := in.DurationExceeded(now)
	return err == nil && over
}

// targets are the record ids of what obj selects, as Chaos Mesh writes
// them: namespace/name of each selected pod, or the JSON of a cloud
// selector (an AWSChaos's instance), and what they are.
func (c *Controller) targets(ctx context.Context, obj client.Object) ([]string, string, error) {
	if a, ok := obj.(*v1alpha1.AWSChaos); ok {
		b, err := json.Marshal(a.Spec.AWSSelector)
		return []string{string(b)}, "instances", err
	}
	pods, err := c.selectPods(ctx, obj)
	var ids []string
	for _, p := range pods {
		ids = append(ids, p.Namespace+"/"+p.Name)
	}
	return ids, "pods", err
}

// selectPods lists the ready pods obj selects, by name, in its mode.
func (c *Controller) selectPods(ctx context.Context, obj client.Object) ([]corev1.Pod, error) {
	ps := spec.FaultSpecOf(obj.(spec.Chaos)).PodSelector()
	if ps == nil {
		return nil, fmt.Errorf("%s selects no pod", kube.Ref(obj))
	}
	nss := ps.Selector.Namespaces
	if len(nss) == 0 {
		nss = []string{obj.GetNamespace()}
	}
	var nodes corev1.NodeList
	if err := c.Client.List(ctx, &nodes); err != nil {
		return nil, err
	}
	nodeLabels := map[string]labels.Set{}
	for _, n := range nodes.Items {
		nodeLabels[n.Name] = n.Labels
	}
	var out []corev1.Pod
	for _, ns := range nss {
		var pods corev1.PodList
		if err := c.Client.List(ctx, &pods, client.InNamespace(ns)); err != nil {
			return nil, err
		}
		for _, p := range pods.Items {
			if selector.Matches(ps.Selector, kube.SelectorPod(&p, nodeLabels[p.Spec.NodeName])) {
				out = append(out, p)
			}
		}
	}
	slices.SortFunc(out, func(a, b corev1.Pod) int { return cmp.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name) })
	n, err := selector.Count("spec", ps, len(out))
	if err != nil {
		return nil, err
	}
	return out[:n], nil
}
