// Package actuator serves Spring Boot Actuator's operational endpoints with
// the same paths, JSON layouts, status codes and content types, so that
// Kubernetes probes, ServiceMonitors and scripts written for the Java
// PetClinic work unchanged:
//
//	/actuator                    links to the endpoints
//	/actuator/health             composite health, details always shown
//	/actuator/health/liveness    livenessState group (also /livez)
//	/actuator/health/readiness   readinessState + checks group (also /readyz)
//	/actuator/health/{component} one component, e.g. /actuator/health/db
//	/actuator/info               build and git information
//	/actuator/prometheus         metrics, text or OpenMetrics
//
// It is Spring Boot 3 configured with management.endpoint.health.show-details=always,
// management.endpoint.health.probes.enabled=true,
// management.endpoint.health.group.readiness.include=readinessState,<checks>
// and the liveness/readiness additional paths /livez and /readyz.
//
// Where it differs: there is no diskSpace component; checks run
// concurrently, each bounded by Options.Timeout (Spring runs them one after
// the other, unbounded); readiness does not run the checks while draining;
// answers carry Cache-Control: no-store. /actuator/prometheus honours
// includedNames as Spring's scrape endpoint does.
package actuator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
)

// Health statuses, as Spring Boot's Status.
const (
	StatusUp           = "UP"
	StatusDown         = "DOWN"
	StatusOutOfService = "OUT_OF_SERVICE"
	StatusUnknown      = "UNKNOWN"
)

// Check is a readiness check: a health component named Name ("db") that is
// UP with details when Check returns nil, DOWN with the error otherwise.
type Check struct {
	Name  string
	Check func(ctx context.Context) (details map[string]any, err error)
}

// Info is what /actuator/info shows, in Spring Boot's build and git layout.
// Empty fields are left out.
type Info struct {
	Version   string // build.version
	Artifact  string // build.artifact
	Name      string // build.name
	Group     string // build.group
	BuildTime string // build.time, RFC 3339
	Commit    string // git.commit.id, abbreviated to 7 characters as Spring's simple mode
	// CommitTime is git.commit.time, RFC 3339.
	CommitTime string
	Branch     string // git.branch
}

// Options configures the endpoints.
type Options struct {
	// Gatherer is exposed on /actuator/prometheus; nil leaves the endpoint out.
	Gatherer prometheus.Gatherer
	// Checks make up readiness and the main health; each runs with Timeout,
	// all concurrently.
	Checks []Check
	// Draining reports that the server is shutting down (SIGTERM arrived):
	// readinessState is then OUT_OF_SERVICE and readiness answers 503.
	Draining func() bool
	// Broken reports that the process cannot recover and must be restarted:
	// livenessState is then DOWN (Spring's LivenessState.BROKEN). Nil means
	// never.
	Broken func() bool
	Info   Info
	// Timeout bounds each check; 0 means 1s.
	Timeout time.Duration
}

// Register adds the actuator endpoints to mux.
func Register(mux *http.ServeMux, opts Options) {
	if opts.Timeout <= 0 {
		opts.Timeout = time.Second
	}
	a := &actuator{opts: opts}
	mux.HandleFunc("GET /actuator", a.links)
	mux.HandleFunc("GET /actuator/health", a.health)
	mux.HandleFunc("GET /actuator/health/", a.healthPath)
	mux.HandleFunc("GET /livez", a.liveness)
	mux.HandleFunc("GET /readyz", a.readiness)
	mux.HandleFunc("GET /actuator/info", a.info)
	if opts.Gatherer != nil {
		mux.HandleFunc("GET /actuator/prometheus", a.prometheus)
	}
}

type actuator struct {
	opts Options
}

// Component is one entry of a health answer. A composite has Components, a
// leaf may have Details.
type Component struct {
	Status     string               `json:"status"`
	Details    map[string]any       `json:"details,omitempty"`
	Components map[string]Component `json:"components,omitempty"`
	Groups     []string             `json:"groups,omitempty"`
}

func (a *actuator) livenessState() Component {
	if a.opts.Broken != nil && a.opts.Broken() {
		return Component{Status: StatusDown}
	}
	return Component{Status: StatusUp}
}

func (a *actuator) readinessState() Component {
	if a.opts.Draining != nil && a.opts.Draining() {
		return Component{Status: StatusOutOfService}
	}
	return Component{Status: StatusUp}
}

// runChecks runs every check concurrently, each under the timeout.
func (a *actuator) runChecks(ctx context.Context) map[string]Component {
	out := make(map[string]Component, len(a.opts.Checks))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, c := range a.opts.Checks {
		wg.Go(func() {
			comp := a.runCheck(ctx, c)
			mu.Lock()
			out[c.Name] = comp
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}

func (a *actuator) runCheck(ctx context.Context, c Check) Component {
	ctx, cancel := context.WithTimeout(ctx, a.opts.Timeout)
	defer cancel()
	type result struct {
		details map[string]any
		err     error
	}
	done := make(chan result, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- result{err: fmt.Errorf("panic: %v", p)}
			}
		}()
		d, err := c.Check(ctx)
		done <- result{d, err}
	}()
	// A check that ignores its context must not hold the probe past the
	// timeout: the kubelet would count it as failed anyway.
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		r.err = ctx.Err()
	}
	if r.err != nil {
		if errors.Is(r.err, context.DeadlineExceeded) {
			r.err = fmt.Errorf("timed out after %s: %w", a.opts.Timeout, r.err)
		}
		details := map[string]any{}
		for k, v := range r.details {
			details[k] = v
		}
		details["error"] = r.err.Error()
		return Component{Status: StatusDown, Details: details}
	}
	return Component{Status: StatusUp, Details: r.details}
}

// aggregate is Spring's SimpleStatusAggregator: the first of DOWN,
// OUT_OF_SERVICE, UP, UNKNOWN found among the components.
func aggregate(components map[string]Component) string {
	order := []string{StatusDown, StatusOutOfService, StatusUp, StatusUnknown}
	best := len(order)
	for _, c := range components {
		for i, s := range order {
			if c.Status == s && i < best {
				best = i
			}
		}
	}
	if best == len(order) {
		return StatusUnknown
	}
	return order[best]
}

func (a *actuator) all(ctx context.Context) Component {
	comps := a.runChecks(ctx)
	comps["ping"] = Component{Status: StatusUp}
	comps["livenessState"] = a.livenessState()
	comps["readinessState"] = a.readinessState()
	return Component{Status: aggregate(comps), Components: comps, Groups: []string{"liveness", "readiness"}}
}

func (a *actuator) livenessGroup() Component {
	comps := map[string]Component{"livenessState": a.livenessState()}
	return Component{Status: aggregate(comps), Components: comps}
}

func (a *actuator) readinessGroup(ctx context.Context) Component {
	comps := map[string]Component{"readinessState": a.readinessState()}
	// A draining server is out of service whatever the database says, and
	// checking it would only add load while connections drain.
	if comps["readinessState"].Status == StatusUp {
		for name, c := range a.runChecks(ctx) {
			comps[name] = c
		}
	}
	return Component{Status: aggregate(comps), Components: comps}
}

func (a *actuator) health(w http.ResponseWriter, r *http.Request) {
	a.writeHealth(w, r, a.all(r.Context()))
}

func (a *actuator) liveness(w http.ResponseWriter, r *http.Request) {
	a.writeHealth(w, r, a.livenessGroup())
}

func (a *actuator) readiness(w http.ResponseWriter, r *http.Request) {
	a.writeHealth(w, r, a.readinessGroup(r.Context()))
}

// healthPath serves /actuator/health/{*path}: a group or a component.
func (a *actuator) healthPath(w http.ResponseWriter, r *http.Request) {
	path := strings.Trim(strings.TrimPrefix(r.URL.Path, "/actuator/health/"), "/")
	switch path {
	case "":
		a.health(w, r)
		return
	case "liveness":
		a.liveness(w, r)
		return
	case "readiness":
		a.readiness(w, r)
		return
	case "ping":
		a.writeHealth(w, r, Component{Status: StatusUp})
		return
	case "livenessState":
		a.writeHealth(w, r, a.livenessState())
		return
	case "readinessState":
		a.writeHealth(w, r, a.readinessState())
		return
	}
	for _, c := range a.opts.Checks {
		if c.Name == path {
			a.writeHealth(w, r, a.runCheck(r.Context(), c))
			return
		}
	}
	http.NotFound(w, r)
}

func (a *actuator) writeHealth(w http.ResponseWriter, r *http.Request, c Component) {
	status := http.StatusOK
	if c.Status == StatusDown || c.Status == StatusOutOfService {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, r, status, c)
}

type link struct {
	Href      string `json:"href"`
	Templated bool   `json:"templated"`
}

func (a *actuator) links(w http.ResponseWriter, r *http.Request) {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	base := scheme + "://" + r.Host + "/actuator"
	links := map[string]link{
		"self":        {Href: base},
		"health":      {Href: base + "/health"},
		"health-path": {Href: base + "/health/{*path}", Templated: true},
		"info":        {Href: base + "/info"},
	}
	if a.opts.Gatherer != nil {
		links["prometheus"] = link{Href: base + "/prometheus"}
	}
	writeJSON(w, r, http.StatusOK, map[string]any{"_links": links})
}

func (a *actuator) info(w http.ResponseWriter, r *http.Request) {
	in := a.opts.Info
	out := map[string]any{}
	build := map[string]any{}
	for k, v := range map[string]string{
		"version": in.Version, "artifact": in.Artifact, "name": in.Name, "group": in.Group, "time": in.BuildTime,
	} {
		if v != "" {
			build[k] = v
		}
	}
	if len(build) > 0 {
		out["build"] = build
	}
	git := map[string]any{}
	commit := map[string]any{}
	if in.Commit != "" {
		id := in.Commit
		if len(id) > 7 {
			id = id[:7]
		}
		commit["id"] = id
	}
	if in.CommitTime != "" {
		commit["time"] = in.CommitTime
	}
	if len(commit) > 0 {
		git["commit"] = commit
	}
	if in.Branch != "" {
		git["branch"] = in.Branch
	}
	if len(git) > 0 {
		out["git"] = git
	}
	writeJSON(w, r, http.StatusOK, out)
}

// prometheus serves the registry as Spring Boot's PrometheusScrapeEndpoint:
// the text format, OpenMetrics when the scraper asks for it, and only the
// families listed in includedNames when given.
func (a *actuator) prometheus(w http.ResponseWriter, r *http.Request) {
	g := a.opts.Gatherer
	if names := r.URL.Query()["includedNames"]; len(names) > 0 {
		g = includedNames(g, names)
	}
	promhttp.HandlerFor(g, promhttp.HandlerOpts{EnableOpenMetrics: true}).ServeHTTP(w, r)
}

// includedNames keeps the families whose name, or name without the
// _total/_count/_sum/_bucket/_max suffix Prometheus adds, is listed.
func includedNames(g prometheus.Gatherer, lists []string) prometheus.Gatherer {
	want := map[string]bool{}
	for _, l := range lists {
		for _, n := range strings.Split(l, ",") {
			if n = strings.TrimSpace(n); n != "" {
				want[n] = true
			}
		}
	}
	return prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		mfs, err := g.Gather()
		kept := mfs[:0]
		for _, mf := range mfs {
			if want[mf.GetName()] {
				kept = append(kept, mf)
			}
		}
		return kept, err
	})
}

// Media types of the actuator's JSON, in Spring's order of preference.
const (
	mediaV3   = "application/vnd.spring-boot.actuator.v3+json"
	mediaV2   = "application/vnd.spring-boot.actuator.v2+json"
	mediaJSON = "application/json"
)

var produced = []string{mediaV3, mediaV2, mediaJSON}

func writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	ct, ok := Negotiate(r.Header.Values("Accept"))
	if !ok {
		http.Error(w, "not acceptable: the actuator produces "+strings.Join(produced, ", "), http.StatusNotAcceptable)
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encode: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b) // the client went away: nothing left to tell it
}

// Negotiate picks the content type of an actuator answer from the Accept
// header values: the produced type with the highest quality, ties going to
// v3, then v2, then application/json. No Accept header means v3; false means
// nothing acceptable (406).
func Negotiate(accept []string) (string, bool) {
	var ranges []string
	for _, v := range accept {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				ranges = append(ranges, part)
			}
		}
	}
	if len(ranges) == 0 {
		return mediaV3, true
	}
	best, bestQ := "", 0.0
	for _, media := range produced {
		q, specificity := -1.0, -1
		for _, rg := range ranges {
			typ, params, _ := strings.Cut(rg, ";")
			typ = strings.ToLower(strings.TrimSpace(typ))
			s := matches(typ, media)
			if s < 0 || s < specificity {
				continue
			}
			rq := quality(params)
			if s > specificity || rq > q {
				q, specificity = rq, s
			}
		}
		// Strictly greater: on a tie the earlier, preferred type stays.
		if q > bestQ {
			best, bestQ = media, q
		}
	}
	return best, best != ""
}

// matches returns how specifically the media range typ covers media: 2 for
// the type itself, 1 for type/*, 0 for */*, -1 for no match.
func matches(typ, media string) int {
	switch {
	case typ == media:
		return 2
	case typ == "application/*":
		return 1
	case typ == "*/*" || typ == "*":
		return 0
	}
	return -1
}

// quality reads the q parameter of a media range; 1 when absent or invalid.
func quality(params string) float64 {
	for _, p := range strings.Split(params, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok || strings.TrimSpace(strings.ToLower(k)) != "q" {
			continue
		}
		var q float64
		if _, err := fmt.Sscanf(strings.TrimSpace(v), "%g", &q); err != nil || q < 0 || q > 1 {
			return 1
		}
		return q
	}
	return 1
}
