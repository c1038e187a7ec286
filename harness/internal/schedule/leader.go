package schedule

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	coordinationv1 "k8s.io/client-go/kubernetes/typed/coordination/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// Lease defaults (client-go's usual figures: a replica that dies is
// replaced within LeaseDuration; one that stops cleanly releases the
// Lease at once).
const (
	DefaultLeaseName     = "gameday-scheduler"
	DefaultLeaseDuration = 15 * time.Second
	DefaultRenewDeadline = 10 * time.Second
	DefaultRetryPeriod   = 2 * time.Second
)

// LeaderConfig is the Lease two or more scheduler replicas compete for:
// exactly one of them runs game days.
type LeaderConfig struct {
	Config          *rest.Config
	Namespace, Name string
	Identity        string
	LeaseDuration   time.Duration
	RenewDeadline   time.Duration
	RetryPeriod     time.Duration
	Log             *slog.Logger
}

// Elect competes for the Lease until ctx ends. leading is closed when this
// replica holds it, lost when it held it and lost it (the scheduler must
// stop: its run is aborted). On ctx's end a held Lease is released.
func Elect(ctx context.Context, c LeaderConfig) (leading, lost <-chan struct{}, err error) {
	if c.Config == nil || c.Namespace == "" || c.Identity == "" {
		return nil, nil, fmt.Errorf("schedule: leader election needs a cluster, a namespace and an identity")
	}
	c.Name = cmp.Or(c.Name, DefaultLeaseName)
	c.LeaseDuration = cmp.Or(c.LeaseDuration, DefaultLeaseDuration)
	c.RenewDeadline = cmp.Or(c.RenewDeadline, DefaultRenewDeadline)
	c.RetryPeriod = cmp.Or(c.RetryPeriod, DefaultRetryPeriod)
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	cs, err := coordinationv1.NewForConfig(c.Config)
	if err != nil {
		return nil, nil, fmt.Errorf("schedule: lease client: %w", err)
	}
	lock := &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: c.Namespace, Name: c.Name},
		Client:     cs,
		LockConfig: resourcelock.ResourceLockConfig{Identity: c.Identity},
	}
	leadingC, lostC := make(chan struct{}), make(chan struct{})
	var led atomic.Bool
	le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock:            lock,
		LeaseDuration:   c.LeaseDuration,
		RenewDeadline:   c.RenewDeadline,
		RetryPeriod:     c.RetryPeriod,
		ReleaseOnCancel: true,
		Name:            c.Name,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(context.Context) {
				c.Log.Info("leading: this replica runs the game days", "lease", c.Namespace+"/"+c.Name, "identity", c.Identity)
				led.Store(true)
				close(leadingC)
			},
			OnStoppedLeading: func() {
				if led.Load() {
					c.Log.Warn("stopped leading", "lease", c.Namespace+"/"+c.Name, "identity", c.Identity)
					close(lostC)
				}
			},
			OnNewLeader: func(id string) {
				if id != c.Identity {
					c.Log.Info("standing by: another replica leads", "leader", id)
				}
			},
		},
	})
	if err != nil {
		return nil, nil, fmt.Errorf("schedule: leader election: %w", err)
	}
	go le.Run(ctx)
	return leadingC, lostC, nil
}
