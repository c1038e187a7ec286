package doratest

import (
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/gamedayhq/gameday/harness/internal/dora"
)

// OpenMetrics is a backfill for promtest.Config.Backfill: one family per
// metric name, each series' samples in time order.
type OpenMetrics struct {
	order  []string
	series map[string][]string
}

// Add writes v(t) of series name{labels} at every step in [from, to].
func (o *OpenMetrics) Add(name, labels string, from, to time.Time, step time.Duration, v func(time.Time) float64) {
	if o.series == nil {
		o.series = map[string][]string{}
	}
	if _, ok := o.series[name]; !ok {
		o.order = append(o.order, name)
	}
	for t := from; !t.After(to); t = t.Add(step) {
		o.series[name] = append(o.series[name], fmt.Sprintf("%s{%s} %g %d", name, labels, v(t), t.Unix()))
	}
}

// Firing adds an ALERTS series firing from start to end, sampled every 30 s.
func (o *OpenMetrics) Firing(labels string, start, end time.Time) {
	o.Add("ALERTS", `alertstate="firing",`+labels, start, end, 30*time.Second, func(time.Time) float64 { return 1 })
}

func (o *OpenMetrics) String() string {
	var b strings.Builder
	for _, n := range o.order {
		fmt.Fprintf(&b, "# TYPE %s gauge\n%s\n", n, strings.Join(o.series[n], "\n"))
	}
	b.WriteString("# EOF\n")
	return b.String()
}

// Application is an Argo CD Application (argoproj.io/v1alpha1) of service
// in env as our ApplicationSets make them, with status.history from
// entries (ids from 0), health and sync, for a real API server.
func Application(namespace, name, env string, entries []dora.HistoryEntry, health string) *unstructured.Unstructured {
	var hist []any
	for i, e := range entries {
		h := map[string]any{"id": int64(i), "revision": e.Revision, "deployedAt": e.DeployedAt.UTC().Format(time.RFC3339),
			"source": map[string]any{"repoURL": "https://github.com/gamedayhq/gameday.git", "path": "helm/petclinic", "targetRevision": "main"}}
		if e.InitiatedBy == "automated" {
			h["initiatedBy"] = map[string]any{"automated": true}
		} else if e.InitiatedBy != "" {
			h["initiatedBy"] = map[string]any{"username": e.InitiatedBy}
		}
		if !e.StartedAt.IsZero() {
			h["deployStartedAt"] = e.StartedAt.UTC().Format(time.RFC3339)
		}
		hist = append(hist, h)
	}
	last := ""
	if len(entries) > 0 {
		last = entries[len(entries)-1].Revision
	}
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
		"metadata": map[string]any{"name": name, "namespace": namespace, "labels": map[string]any{"gameday.dev/environment": env, "app.kubernetes.io/part-of": "gameday"}},
		"spec": map[string]any{
			"project":              "petclinic",
			"source":               map[string]any{"repoURL": "https://github.com/gamedayhq/gameday.git", "path": "helm/petclinic", "targetRevision": "main"},
			"destination":          map[string]any{"name": env, "namespace": "petclinic"},
			"revisionHistoryLimit": int64(50),
		},
		"status": map[string]any{
			"history": hist,
			"sync":    map[string]any{"status": "Synced", "revision": last},
			"health":  map[string]any{"status": health},
		},
	}}
	return u
}
