package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/gamedayhq/gameday/harness/internal/history"
	"github.com/gamedayhq/gameday/harness/internal/kube"
	"github.com/gamedayhq/gameday/harness/internal/schedule"
)

const flagLeaderLabelPod = "leader-label-pod"

// LabelLeader marks the pod of the replica that holds the Lease (with
// --leader-label-pod), so a Service can route to the leader alone.
const LabelLeader = "gameday.dev/scheduler-leader"

// schedulerReady is the scheduler's /readyz: ready once the history index
// has been synced with the reports tree and answers, and the schedules are
// loaded. Leadership is not part of it: a standby is ready (it serves
// /metrics, and a rollout or a drain needs both replicas ready); the UI
// Service routes to the leader by its pod label instead.
type schedulerReady struct {
	synced atomic.Bool
	store  *history.Store
	sched  *schedule.Scheduler
}

func (r *schedulerReady) check() error {
	if !r.synced.Load() {
		return fmt.Errorf("history: the first index of %s is not done", r.store.Root())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := r.store.Experiments(ctx); err != nil {
		return fmt.Errorf("history index: %w", err)
	}
	if len(r.sched.Statuses()) == 0 {
		return errors.New("no schedule loaded")
	}
	return nil
}

// labelLeaderPod labels pod ns/name LabelLeader=true while this replica
// leads (from leading until lost or ctx ends) and removes the label
// otherwise, first of all at start: a restarted container of a former
// leader stands by until it wins the Lease again. Errors are logged: the
// UI Service has no endpoint until the label is set. The returned wait
// returns once the label is off, after ctx ends.
func labelLeaderPod(ctx context.Context, rc *rest.Config, ns, name string, leading, lost <-chan struct{}, log *slog.Logger) (wait func(), err error) {
	cl, err := kube.NewClient(rc)
	if err != nil {
		return nil, err
	}
	set := func(lead bool) {
		// Its own context: the label comes off after ctx has ended.
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		v := "null"
		if lead {
			v = `"true"`
		}
		patch := client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"labels":{"`+LabelLeader+`":`+v+`}}}`))
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
		if err := cl.Patch(pctx, pod, patch); err != nil {
			log.Error("label the scheduler's pod (the UI Service routes to the leader by it)", "pod", ns+"/"+name, "leader", lead, "err", err)
			return
		}
		log.Info("labelled the scheduler's pod", "pod", ns+"/"+name, LabelLeader, lead)
	}
	set(false)
	done := make(chan struct{})
	go func() {
		defer close(done)
		select {
		case <-ctx.Done():
			return
		case <-leading:
		}
		set(true)
		select {
		case <-ctx.Done():
		case <-lost:
		}
		set(false)
	}()
	return func() { <-done }, nil
}
