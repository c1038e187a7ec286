package kube

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	"github.com/gamedayhq/gameday/harness/internal/engine"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

var _ engine.Engine = (*Engine)(nil)

// ErrNotConfirmed is returned by Inject when Chaos Mesh did not confirm
// the injection (condition AllInjected) in time; the object was deleted.
var ErrNotConfirmed = errors.New("injection not confirmed by Chaos Mesh")

// ErrInjectFailed is returned by Inject when Chaos Mesh reported that it
// cannot inject (no pod selected, a Failed event) for longer than the
// grace; the object was deleted.
var ErrInjectFailed = errors.New("Chaos Mesh failed to inject")

// Engine is the Chaos Mesh engine of one Kubernetes target. It keeps no
// state of a run: Prepare returns the run's Session.
type Engine struct {
	c Config
}

// New checks c and returns its engine. Nothing is read from the cluster
// until Prepare.
func New(c Config) (*Engine, error) {
	if err := c.defaults(); err != nil {
		return nil, err
	}
	return &Engine{c: c}, nil
}

// Name is "kubernetes".
func (e *Engine) Name() string { return "kubernetes" }

// Config is the engine's configuration, defaults filled.
func (e *Engine) Config() Config { return e.c }

// offline is the renderer of an offline validation: zones pass through
// unmapped and every namespace is allowed.
func offline(namespace string) *Renderer {
	return &Renderer{Namespace: namespace, Allowed: []string{"*"}}
}

// Offline is an engine without a cluster, for `gameday validate`: only its
// Validate may be called.
func Offline(namespace string) *Engine {
	c := Config{Namespace: namespace}
	_ = c.defaults() // only the missing client fails
	return &Engine{c: c}
}

// Validate renders every fault of x offline: what Chaos Mesh or this
// engine cannot honour is an error naming the experiment, fault and field.
func (e *Engine) Validate(x *spec.Experiment) error {
	_, err := offline(e.c.Namespace).Objects(x, "validate")
	return err
}

// Session is one run on the cluster: the experiment, the renderer Prepare
// resolved against the cluster (zones, ready replicas), and the objects
// the run created and has not yet removed.
type Session struct {
	e     *Engine
	x     *spec.Experiment
	r     *Renderer
	runID string

	active engine.Active
}

var _ engine.Session = (*Session)(nil)

// Renderer is the renderer Prepare resolved against the cluster.
func (s *Session) Renderer() *Renderer { return s.r }

// Inject creates fault f's Chaos Mesh objects (one, or one per node of a
// node-level fault, all at once) and waits until Chaos Mesh confirms every
// injection. Without a confirmation of each within InjectTimeout (or when
// ctx ends) every object is removed again and the error wraps
// ErrNotConfirmed. The injection's Ref lists the objects, comma-separated.
func (s *Session) Inject(ctx context.Context, f spec.Fault) (*engine.Injection, error) {
	x, e := s.x, s.e
	i := slices.IndexFunc(x.Spec.Faults, func(g spec.Fault) bool { return g.Name == f.Name })
	if i < 0 {
		return nil, fmt.Errorf("inject %s: no such fault in experiment %s", f.Name, x.Metadata.Name)
	}
	objs, err := s.r.Fault(x, s.runID, i)
	if err != nil {
		return nil, fmt.Errorf("inject %s: %w", f.Name, err)
	}
	refs := make([]string, len(objs))
	for j, o := range objs {
		refs[j] = Ref(o)
	}
	in := &engine.Injection{RunID: s.runID, Fault: f.Name, Kind: string(f.Kind), Ref: strings.Join(refs, ",")}
	created := time.Now()
	sts := make([]status, len(objs))
	errs := make([]error, len(objs))
	var wg sync.WaitGroup
	for j, o := range objs {
		wg.Go(func() {
			if err := e.c.Client.Create(ctx, o); err != nil && !apierrors.IsAlreadyExists(err) {
				errs[j] = fmt.Errorf("create %s: %w", refs[j], err)
				return
			}
			st, err := e.awaitInjected(ctx, o, created)
			if err != nil {
				err = fmt.Errorf("%s: %w", refs[j], err)
			}
			sts[j], errs[j] = st, err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		_, rerr := e.removeAll(ctx, objs, true)
		if rerr != nil {
			rerr = fmt.Errorf("abort %s: %w", f.Name, rerr)
		}
		return nil, errors.Join(fmt.Errorf("inject %s: %w", f.Name, err), rerr)
	}
	in.Injected = created
	for _, st := range sts {
		in.Injected = latest(in.Injected, confirmed(st.applied, st.seen))
		in.Targets = append(in.Targets, st.targets...)
	}
	slices.Sort(in.Targets)
	s.active.Add(in)
	return in, nil
}

// Recover deletes the injection's objects and waits until Chaos Mesh has
// recovered their targets and released them (their finalizers removed).
// Recovering twice is not an error.
func (s *Session) Recover(ctx context.Context, in *engine.Injection) error {
	return s.end(ctx, in, false)
}

// Abort pauses the injection's objects (Chaos Mesh recovers a paused chaos
// at once), then deletes them and waits until they are gone.
func (s *Session) Abort(ctx context.Context, in *engine.Injection) error {
	return s.end(ctx, in, true)
}

func (s *Session) end(ctx context.Context, in *engine.Injection, abort bool) error {
	verb := "recover"
	if abort {
		verb = "abort"
	}
	objs, err := FromRefs(in.Ref)
	if err != nil {
		return fmt.Errorf("%s %s: %w", verb, in.Fault, err)
	}
	at, err := s.e.removeAll(ctx, objs, abort)
	if err != nil {
		return fmt.Errorf("%s %s: %w", verb, in.Fault, err)
	}
	in.Recovered = at
	s.active.Done(in)
	return nil
}

// removeAll removes objs at once (see remove); it returns when the last
// one's targets were recovered.
func (e *Engine) removeAll(ctx context.Context, objs []client.Object, pause bool) (time.Time, error) {
	ats := make([]time.Time, len(objs))
	errs := make([]error, len(objs))
	var wg sync.WaitGroup
	for j, o := range objs {
		wg.Go(func() { ats[j], errs[j] = e.remove(ctx, o, pause) })
	}
	wg.Wait()
	var last time.Time
	for _, at := range ats {
		last = latest(last, at)
	}
	return last, errors.Join(errs...)
}

// Observe counts the Deployment's ready pods per zone of their node.
func (s *Session) Observe(ctx context.Context) (engine.Observation, error) {
	return s.e.observe(ctx)
}

// Close aborts every injection of the session still active (the runner
// ends them before; a leftover is a bug the error names).
func (s *Session) Close(ctx context.Context) error { return s.active.AbortAll(ctx, s.Abort) }

// status is what a chaos object's status says.
type status struct {
	selected, injected, recovered, paused bool
	unselected                            bool      // condition Selected present and False
	applied, recoveredAt                  time.Time // earliest Apply, latest Recover
	seen                                  time.Time // when gameday read this status
	targets                               []string
	failures                              []string
	applyFailed                           bool // a Failed Apply event
	reasons                               []string
}

// failed says why Chaos Mesh cannot inject ("" while it may still): no pod
// selected, or an Apply that failed (Chaos Mesh retries those, but
// something that fails past the grace will not succeed within the timeout
// either).
func (s status) failed() string {
	switch {
	case s.injected:
		return ""
	case s.unselected:
		return "no target selected (condition Selected=False): " + s.String()
	case s.applyFailed:
		return "the injection failed: " + s.String()
	}
	return ""
}

func readStatus(cs *v1alpha1.ChaosStatus) status {
	var s status
	for _, c := range cs.Conditions {
		on := c.Status == corev1.ConditionTrue
		switch c.Type {
		case v1alpha1.ConditionSelected:
			s.selected = on
			s.unselected = c.Status == corev1.ConditionFalse
		case v1alpha1.ConditionAllInjected:
			s.injected = on
		case v1alpha1.ConditionAllRecovered:
			s.recovered = on
		case v1alpha1.ConditionPaused:
			s.paused = on
		}
		if c.Reason != "" {
			s.reasons = append(s.reasons, fmt.Sprintf("%s=%s (%s)", c.Type, c.Status, c.Reason))
		}
	}
	for _, rec := range cs.Experiment.Records {
		if rec == nil {
			continue
		}
		s.targets = append(s.targets, targetOf(rec.Id))
		for _, ev := range rec.Events {
			if ev.Timestamp == nil {
				continue
			}
			at := ev.Timestamp.Time
			switch {
			case ev.Type == v1alpha1.TypeFailed:
				s.failures = append(s.failures, fmt.Sprintf("%s %s: %s", ev.Operation, rec.Id, ev.Message))
				if ev.Operation == v1alpha1.Apply {
					s.applyFailed = true
				}
			case ev.Operation == v1alpha1.Apply && (s.applied.IsZero() || at.Before(s.applied)):
				s.applied = at
			case ev.Operation == v1alpha1.Recover && at.After(s.recoveredAt):
				s.recoveredAt = at
			}
		}
	}
	slices.Sort(s.targets)
	return s
}

// conditions renders the status for an error message.
func (s status) String() string {
	parts := []string{fmt.Sprintf("Selected=%t AllInjected=%t AllRecovered=%t Paused=%t", s.selected, s.injected, s.recovered, s.paused)}
	parts = append(parts, s.reasons...)
	if n := len(s.failures); n > 0 {
		parts = append(parts, fmt.Sprintf("%d failed events, last: %s", n, s.failures[n-1]))
	}
	return strings.Join(parts, "; ")
}

func (e *Engine) awaitInjected(ctx context.Context, obj client.Object, created time.Time) (status, error) {
	ctx, cancel := context.WithTimeout(ctx, e.c.InjectTimeout)
	defer cancel()
	key := client.ObjectKeyFromObject(obj)
	var last status
	for {
		o, err := newLike(obj)
		if err != nil {
			return last, err
		}
		if err := e.c.Client.Get(ctx, key, o); err != nil {
			// Near the deadline the client's rate limiter refuses to wait
			// ("would exceed context deadline"): that is the timeout too.
			if dl, ok := ctx.Deadline(); ctx.Err() != nil || ok && time.Until(dl) < time.Second {
				return last, timeoutErr(ctx, e.c.InjectTimeout, last)
			}
			return last, fmt.Errorf("read status: %w", err)
		}
		last = readStatus(o.(v1alpha1.StatefulObject).GetStatus())
		if last.injected {
			last.seen = time.Now()
			return last, nil
		}
		if why := last.failed(); why != "" && time.Since(created) >= e.c.FailGrace {
			return last, fmt.Errorf("%w: %s", ErrInjectFailed, why)
		}
		select {
		case <-ctx.Done():
			return last, timeoutErr(ctx, e.c.InjectTimeout, last)
		case <-time.After(e.c.Poll):
		}
	}
}

func timeoutErr(ctx context.Context, d time.Duration, last status) error {
	if err := ctx.Err(); err == nil || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w within %s (is the Chaos Mesh controller running? status: %s)", ErrNotConfirmed, d, last)
	}
	return fmt.Errorf("%w: %w (status: %s)", ErrNotConfirmed, context.Cause(ctx), last)
}

// remove (pauses, then) deletes obj and waits until it is gone; it returns
// when the targets were recovered: the latest Recover event, else the time
// the object was gone.
func (e *Engine) remove(ctx context.Context, obj client.Object, pause bool) (time.Time, error) {
	ctx, cancel := waitCtx(ctx, e.c.RecoverTimeout)
	defer cancel()
	if pause {
		patch := []byte(fmt.Sprintf(`{"metadata":{"annotations":{%q:"true"}}}`, v1alpha1.PauseAnnotationKey))
		err := e.c.Client.Patch(ctx, obj, client.RawPatch(types.MergePatchType, patch))
		if apierrors.IsNotFound(err) {
			return time.Now(), nil
		}
		if err != nil {
			return time.Time{}, fmt.Errorf("pause %s: %w", Ref(obj), err)
		}
		e.awaitPaused(ctx, obj)
	}
	// Recovered already (its duration elapsed, or paused)? Then that is
	// when; else the recovery follows the delete.
	var before status
	if o, err := newLike(obj); err == nil && e.c.Client.Get(ctx, client.ObjectKeyFromObject(obj), o) == nil {
		before = readStatus(o.(v1alpha1.StatefulObject).GetStatus())
		before.seen = time.Now()
	}
	deleted := time.Now()
	err := e.c.Client.Delete(ctx, obj, client.PropagationPolicy("Background"))
	if apierrors.IsNotFound(err) {
		return time.Now(), nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("delete %s: %w", Ref(obj), err)
	}
	var last status
	for {
		o, err := newLike(obj)
		if err != nil {
			return time.Time{}, err
		}
		err = e.c.Client.Get(ctx, client.ObjectKeyFromObject(obj), o)
		switch {
		case apierrors.IsNotFound(err):
			if before.recovered {
				return confirmed(before.recoveredAt, before.seen), nil
			}
			return latest(confirmed(last.recoveredAt, time.Now()), deleted), nil
		case err != nil && ctx.Err() == nil:
			return time.Time{}, fmt.Errorf("read %s: %w", Ref(obj), err)
		case err == nil:
			last = readStatus(o.(v1alpha1.StatefulObject).GetStatus())
		}
		select {
		case <-ctx.Done():
			return time.Time{}, fmt.Errorf("%s still there after %s, held by its finalizers (status: %s): is the Chaos Mesh controller running? then gameday cleanup", Ref(obj), e.c.RecoverTimeout, last)
		case <-time.After(e.c.Poll):
		}
	}
}

// PauseWait bounds the wait for Chaos Mesh to recover a paused object
// before it is deleted anyway.
const PauseWait = 5 * time.Second

// awaitPaused waits (at most PauseWait) until Chaos Mesh reports obj
// paused or recovered.
func (e *Engine) awaitPaused(ctx context.Context, obj client.Object) {
	ctx, cancel := context.WithTimeout(ctx, PauseWait)
	defer cancel()
	for {
		o, err := newLike(obj)
		if err != nil {
			return
		}
		if err := e.c.Client.Get(ctx, client.ObjectKeyFromObject(obj), o); err != nil {
			return
		}
		if st := readStatus(o.(v1alpha1.StatefulObject).GetStatus()); st.paused || st.recovered || len(st.targets) == 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(e.c.Poll):
		}
	}
}

// Cleanup pauses and deletes every chaos object of runID (of every run
// when runID is empty) that carries our labels in the target namespace,
// deletes its load Jobs, and reports what it deleted.
func (e *Engine) Cleanup(ctx context.Context, runID string) ([]string, error) {
	return e.CleanupIn(ctx, runID, e.c.Namespace)
}

// CleanupNamespaces are the namespaces the allowlist names: its plain
// names as they are, its patterns matched against the cluster's
// namespaces (that needs list on namespaces, which the shipped RBAC does
// not grant: name the namespaces then).
func (e *Engine) CleanupNamespaces(ctx context.Context) ([]string, error) {
	var out, patterns []string
	for _, p := range e.c.Allowed {
		if strings.ContainsAny(p, `*?[\`) {
			patterns = append(patterns, p)
		} else if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	if len(patterns) > 0 {
		var nss corev1.NamespaceList
		if err := e.c.Client.List(ctx, &nss); err != nil {
			return out, fmt.Errorf("list namespaces to match %s: %w (name the namespaces in --allow-namespace instead of patterns)", strings.Join(patterns, ","), err)
		}
		for _, ns := range nss.Items {
			if allowed(patterns, ns.Name) && !slices.Contains(out, ns.Name) {
				out = append(out, ns.Name)
			}
		}
	}
	slices.Sort(out)
	if len(out) == 0 {
		return nil, errors.New("no namespace to clean up: --all-namespaces cleans the namespaces of --allow-namespace (or " + EnvAllowedNamespaces + ")")
	}
	return out, nil
}

// CleanupIn is Cleanup in namespace ns.
func (e *Engine) CleanupIn(ctx context.Context, runID, ns string) ([]string, error) {
	sel := client.MatchingLabels{LabelManagedBy: ManagedBy}
	if runID != "" {
		sel[LabelRunID] = RunLabel(runID)
	}
	var did []string
	var errs []error
	for _, k := range spec.FaultKinds() {
		list, err := newList(k)
		if err != nil {
			return did, err
		}
		if err := e.c.Client.List(ctx, list, client.InNamespace(ns), sel); err != nil {
			errs = append(errs, fmt.Errorf("list %s in %s: %w", k, ns, err))
			continue
		}
		for _, obj := range items(list) {
			if _, err := e.remove(ctx, obj, true); err != nil {
				errs = append(errs, err)
				continue
			}
			l := obj.GetLabels()
			did = append(did, fmt.Sprintf("deleted %s (run %s, experiment %s, fault %s)", Ref(obj),
				cmp.Or(obj.GetAnnotations()[AnnotationRunID], l[LabelRunID]), l[LabelExperiment], l[LabelFault]))
		}
	}
	var jobs batchv1.JobList
	if err := e.c.Client.List(ctx, &jobs, client.InNamespace(ns), sel); err != nil {
		errs = append(errs, fmt.Errorf("list load Jobs in %s: %w", ns, err))
	}
	for i := range jobs.Items {
		j := &jobs.Items[i]
		if err := e.c.Client.Delete(ctx, j, client.PropagationPolicy(metav1.DeletePropagationBackground)); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("delete load Job %s/%s: %w", j.Namespace, j.Name, err))
			continue
		}
		did = append(did, fmt.Sprintf("deleted Job/%s/%s (load workers of run %s)", j.Namespace, j.Name, cmp.Or(j.Annotations[AnnotationRunID], j.Labels[LabelRunID])))
	}
	return did, errors.Join(errs...)
}

// confirmed is when an event stamped at (to the second: Chaos Mesh's
// metav1.Time) and seen by gameday at seen surely happened: the earlier of
// the end of its second and the time it was seen. Judging from then on
// never counts a fault before it was in place.
func confirmed(at, seen time.Time) time.Time {
	if at.IsZero() {
		return seen
	}
	if end := at.Add(time.Second); end.Before(seen) {
		return end
	}
	return seen
}

// latest is the later of a and b.
func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Ref names obj as Kind/namespace/name.
func Ref(obj client.Object) string {
	return fmt.Sprintf("%s/%s/%s", kindOf(obj), obj.GetNamespace(), obj.GetName())
}

// FromRefs are the objects of an injection's Ref (refs separated by
// commas).
func FromRefs(refs string) ([]client.Object, error) {
	var out []client.Object
	for _, ref := range strings.Split(refs, ",") {
		o, err := FromRef(ref)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// FromRef is an empty object of the kind, namespace and name of ref.
func FromRef(ref string) (client.Object, error) {
	parts := strings.Split(ref, "/")
	if len(parts) != 3 {
		return nil, fmt.Errorf("reference %q is not Kind/namespace/name", ref)
	}
	obj, err := newObject(spec.FaultKind(parts[0]))
	if err != nil {
		return nil, err
	}
	obj.SetNamespace(parts[1])
	obj.SetName(parts[2])
	return obj, nil
}

// kindOf is the Chaos Mesh kind of obj, from the scheme.
func kindOf(obj client.Object) spec.FaultKind {
	gvk, err := apiutil.GVKForObject(obj, scheme())
	if err != nil {
		return spec.FaultKind(fmt.Sprintf("%T", obj))
	}
	return spec.FaultKind(gvk.Kind)
}

// chaosKind is kind k in Chaos Mesh's registry, if it is a fault kind of
// ours.
func chaosKind(k spec.FaultKind) (*v1alpha1.ChaosKind, error) {
	ck, ok := v1alpha1.AllKinds()[string(k)]
	if _, ours := spec.KindOf(k); !ok || !ours {
		return nil, fmt.Errorf("unknown chaos kind %q (one of %v)", k, spec.FaultKinds())
	}
	return ck, nil
}

func newObject(k spec.FaultKind) (client.Object, error) {
	ck, err := chaosKind(k)
	if err != nil {
		return nil, err
	}
	return ck.SpawnObject(), nil
}

func newLike(obj client.Object) (client.Object, error) { return newObject(kindOf(obj)) }

func newList(k spec.FaultKind) (v1alpha1.GenericChaosList, error) {
	ck, err := chaosKind(k)
	if err != nil {
		return nil, err
	}
	return ck.SpawnList(), nil
}

// items are the objects of a chaos list.
func items(l v1alpha1.GenericChaosList) []client.Object {
	var out []client.Object
	for _, o := range l.GetItems() {
		out = append(out, o)
	}
	return out
}

// selectorsOf are the pod selectors of a chaos object, as Chaos Mesh's
// GetSelectorSpecs reports them.
func selectorsOf(obj client.Object) []spec.Selector {
	c, ok := obj.(spec.Chaos)
	if !ok {
		return nil
	}
	return spec.FaultSpecOf(c).Selectors()
}

// Items lists the chaos objects of every kind in namespace with labels,
// for tests and status.
func Items(ctx context.Context, c client.Client, namespace string, labels map[string]string) ([]client.Object, error) {
	var out []client.Object
	for _, k := range spec.FaultKinds() {
		list, err := newList(k)
		if err != nil {
			return nil, err
		}
		if err := c.List(ctx, list, client.InNamespace(namespace), client.MatchingLabels(labels)); err != nil {
			return nil, fmt.Errorf("list %s: %w", k, err)
		}
		out = append(out, items(list)...)
	}
	return out, nil
}
