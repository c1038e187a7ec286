package promote

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/dora/argocd"
)

// Wait defaults.
const (
	DefaultTimeout  = 20 * time.Minute
	DefaultInterval = 10 * time.Second
)

// ErrNotHealthy: the Application did not run the image, synced and
// healthy, within the timeout.
var ErrNotHealthy = errors.New("not healthy")

// State is what Argo CD says of an Application.
type State struct {
	Sync     string   `json:"sync"`
	Revision string   `json:"revision,omitempty"`
	Health   string   `json:"health"`
	Phase    string   `json:"operation,omitempty"`
	Images   []string `json:"images,omitempty"`
}

func (s State) String() string {
	return fmt.Sprintf("sync %s at %s, health %s, operation %s, images %s", orDash(s.Sync), orDash(shortRev(s.Revision)), orDash(s.Health), orDash(s.Phase), orDash(strings.Join(s.Images, " ")))
}

func orDash(s string) string { return cmp.Or(s, "-") }

func shortRev(r string) string { return r[:min(len(r), 12)] }

// Ready reports whether the Application runs image, synced and healthy,
// with no sync operation running.
func (s State) Ready(image string) bool {
	return s.Sync == "Synced" && s.Health == "Healthy" && s.Phase != "Running" && slices.Contains(s.Images, image)
}

// WaitConfig says what to wait for.
type WaitConfig struct {
	// Apps reads the Applications (the hub cluster's argocd namespace).
	Apps *argocd.Client
	// Application is the environment's (petclinic-staging).
	Application string
	// Image is the reference its live resources must run
	// (ghcr.io/gamedayhq/petclinic@sha256:...): Image.Ref of the promotion.
	Image string
	// Timeout (default 20 min) and Interval between two reads (10 s).
	Timeout, Interval time.Duration
	// Log receives a line when the state changes.
	Log io.Writer
}

// Wait reads the Application every Interval until it is Ready, and
// returns its last state. A failed read is retried until the timeout
// (the API server restarts too); at the timeout the error says what the
// Application was doing.
func Wait(ctx context.Context, c WaitConfig) (State, error) {
	c.Timeout = cmp.Or(c.Timeout, DefaultTimeout)
	c.Interval = cmp.Or(c.Interval, DefaultInterval)
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	start := time.Now()
	var last State
	var lastErr error
	seen := ""
	for {
		a, err := c.Apps.Get(ctx, c.Application)
		if err == nil {
			last, lastErr = stateOf(a), nil
			if s := last.String(); s != seen && c.Log != nil {
				fmt.Fprintf(c.Log, "[%s] %s: %s\n", time.Since(start).Round(time.Second), c.Application, s)
				seen = s
			}
			if last.Ready(c.Image) {
				return last, nil
			}
		} else if !errors.Is(err, context.DeadlineExceeded) {
			lastErr = err
			if errors.Is(err, argocd.ErrNoAccess) {
				return last, err
			}
		}
		t := time.NewTimer(c.Interval)
		select {
		case <-ctx.Done():
			t.Stop()
			if lastErr != nil {
				return last, fmt.Errorf("%s: %w within %s: the last read failed: %v", c.Application, ErrNotHealthy, c.Timeout, lastErr)
			}
			return last, fmt.Errorf("%s: %w within %s: %s; want Synced, Healthy and %s", c.Application, ErrNotHealthy, c.Timeout, last, c.Image)
		case <-t.C:
		}
	}
}

func stateOf(a *argocd.Application) State {
	s := State{Sync: a.Status.Sync.Status, Revision: a.Status.Sync.Revision, Health: a.Status.Health.Status, Images: a.Status.Summary.Images}
	if op := a.Status.OperationState; op != nil {
		s.Phase = op.Phase
	}
	return s
}
