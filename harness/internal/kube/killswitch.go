package kube

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/gamedayhq/gameday/harness/internal/verdict"
)

// The kill switch is a ConfigMap (Config.KillSwitch, default
// gameday/gameday-kill-switch) that every harness watches: when its data
// has engaged: "true", every run aborts (exit 4) after recovering its
// faults, and no run starts. Engage it with
//
//	kubectl -n gameday create configmap gameday-kill-switch --from-literal=engaged=true
//
// or `gameday kill-switch engage`; release it by deleting it or setting
// engaged to anything else.
const (
	KillSwitchKey = "engaged"
	// KillSwitchEvery is how often a run reads the kill switch.
	KillSwitchEvery = 2 * time.Second
	// KillSwitchFailures is how many reads in a row may fail before the
	// run stops: a kill switch that cannot be read is no kill switch.
	KillSwitchFailures = 5
)

func (e *Engine) killSwitchKey() (client.ObjectKey, error) {
	ns, name, ok := strings.Cut(e.c.KillSwitch, "/")
	if !ok || ns == "" || name == "" {
		return client.ObjectKey{}, fmt.Errorf("kill switch %q is not namespace/name", e.c.KillSwitch)
	}
	return client.ObjectKey{Namespace: ns, Name: name}, nil
}

// killSwitch reads the kill switch: engaged, and a description.
func (e *Engine) killSwitch(ctx context.Context) (bool, string, error) {
	return ReadKillSwitch(ctx, e.c.Client, e.c.KillSwitch)
}

// ReadKillSwitch reads the kill switch ConfigMap ref (namespace/name):
// engaged, and a description. The scheduler reads it before every fire.
func ReadKillSwitch(ctx context.Context, c client.Client, ref string) (bool, string, error) {
	ns, name, ok := strings.Cut(ref, "/")
	if !ok || ns == "" || name == "" {
		return false, "", fmt.Errorf("kill switch %q is not namespace/name", ref)
	}
	key := client.ObjectKey{Namespace: ns, Name: name}
	var cm corev1.ConfigMap
	err := c.Get(ctx, key, &cm)
	switch {
	case apierrors.IsNotFound(err):
		return false, fmt.Sprintf("ConfigMap %s absent", key), nil
	case err != nil:
		return false, "", fmt.Errorf("read kill switch ConfigMap %s: %w", key, err)
	case cm.Data[KillSwitchKey] == "true":
		return true, fmt.Sprintf("kill switch ConfigMap %s engaged (%s=true)", key, KillSwitchKey), nil
	}
	return false, fmt.Sprintf("ConfigMap %s present, %s=%q", key, KillSwitchKey, cm.Data[KillSwitchKey]), nil
}

// KillSwitchWatch is a runner watch (runner.Watch): it reads the kill
// switch every `every` (KillSwitchEvery when 0) and stops the run once it
// is engaged, or once KillSwitchFailures reads in a row failed (each
// failure is written to Config.Log).
func (e *Engine) KillSwitchWatch(every time.Duration) func(ctx context.Context) *verdict.Stop {
	if every <= 0 {
		every = KillSwitchEvery
	}
	return func(ctx context.Context) *verdict.Stop {
		t := time.NewTicker(every)
		defer t.Stop()
		failures := 0
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			}
			rctx, cancel := context.WithTimeout(ctx, every)
			engaged, detail, err := e.killSwitch(rctx)
			cancel()
			switch {
			case err != nil && ctx.Err() != nil:
				return nil
			case err != nil:
				failures++
				if e.c.Log != nil {
					fmt.Fprintf(e.c.Log, "gameday: kill switch: %v (%d of %d failures in a row before the run stops)\n", err, failures, KillSwitchFailures)
				}
				if failures >= KillSwitchFailures {
					return &verdict.Stop{Kind: verdict.StopCondition, Condition: "kill-switch", At: time.Now(),
						Reason: fmt.Sprintf("kill switch %s unreadable %d times in a row (last: %v): a kill switch that cannot be read is no kill switch", e.c.KillSwitch, failures, err)}
				}
			case engaged:
				return &verdict.Stop{Kind: verdict.StopCondition, Condition: "kill-switch", At: time.Now(),
					Reason: "kill switch: " + detail + ": every run aborts"}
			default:
				failures = 0
			}
		}
	}
}

// SetKillSwitch engages (or releases) the kill switch.
func (e *Engine) SetKillSwitch(ctx context.Context, engage bool) error {
	key, err := e.killSwitchKey()
	if err != nil {
		return err
	}
	cm := &corev1.ConfigMap{}
	cm.Namespace, cm.Name = key.Namespace, key.Name
	cm.Labels = map[string]string{LabelManagedBy: ManagedBy}
	cm.Data = map[string]string{KillSwitchKey: fmt.Sprint(engage)}
	err = e.c.Client.Create(ctx, cm)
	if apierrors.IsAlreadyExists(err) {
		var cur corev1.ConfigMap
		if err := e.c.Client.Get(ctx, key, &cur); err != nil {
			return err
		}
		patch := client.MergeFrom(cur.DeepCopy())
		if cur.Data == nil {
			cur.Data = map[string]string{}
		}
		cur.Data[KillSwitchKey] = fmt.Sprint(engage)
		return e.c.Client.Patch(ctx, &cur, patch)
	}
	return err
}
