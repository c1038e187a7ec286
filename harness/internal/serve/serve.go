// Package serve is gameday's read-only web UI: the runs with filters, a
// run's detail (its HTML report), trends per experiment as inline SVG
// charts, the schedules with their next fires and skips, the SLO burn
// report and the kill switch. Every page is server-rendered HTML usable
// without JavaScript, and has a JSON twin at the same path plus ".json".
// It also serves /metrics (the registry the scheduler and other packages
// register on), /healthz and /readyz.
package serve

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gamedayhq/gameday/harness/internal/history"
	"github.com/gamedayhq/gameday/harness/internal/report"
	"github.com/gamedayhq/gameday/harness/internal/schedule"
	"github.com/gamedayhq/gameday/harness/internal/slo"
)

// DefaultAddr binds the loopback only: nothing here is authenticated.
const DefaultAddr = "127.0.0.1:8089"

// PageSize is the number of runs per page.
const PageSize = 50

// Config of a Server.
type Config struct {
	History *history.Store
	// Schedules are the schedules of a running scheduler (nil: none runs
	// here); File, when set without a scheduler, lists the file's
	// schedules with their next fires.
	Schedules func() []schedule.Status
	File      *schedule.File
	// SLO reads the SLO burn report (nil: the page says how to enable it).
	SLO func(ctx context.Context) (*slo.Report, error)
	// KillSwitch reads the kill switch (nil: not configured).
	KillSwitch func(ctx context.Context) (engaged bool, detail string, err error)
	// Registry is exposed at /metrics (nil: a new one with the Go and
	// process collectors). Register your collectors on it.
	Registry *prometheus.Registry
	// Ready reports whether the server may take traffic (nil: always).
	Ready func() error
	// SyncEvery bounds how often a request rescans the reports tree
	// (default 5s).
	SyncEvery time.Duration
	Log       *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Server is the web UI.
type Server struct {
	c        Config
	mux      *http.ServeMux
	mu       sync.Mutex
	lastSync time.Time
}

// NewRegistry is a registry with the Go runtime and process collectors.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// New builds the server.
func New(c Config) (*Server, error) {
	if c.History == nil {
		return nil, errors.New("serve: a history is required")
	}
	if c.Registry == nil {
		c.Registry = NewRegistry()
	}
	c.SyncEvery = cmp.Or(c.SyncEvery, 5*time.Second)
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	s := &Server{c: c, mux: http.NewServeMux()}
	page := func(pattern string, h func(r *http.Request) (view, error)) {
		s.mux.HandleFunc("GET "+pattern, s.render(h))
	}
	s.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/runs", http.StatusFound) })
	page("/runs", s.runs)
	page("/runs.json", s.runs)
	page("/runs/{suite}/{run}", s.run)
	s.mux.HandleFunc("GET /runs/{suite}/{run}/{file}", s.file)
	page("/trends", s.trends)
	page("/trends.json", s.trends)
	page("/trends/{experiment}", s.trend)
	page("/schedules", s.schedules)
	page("/schedules.json", s.schedules)
	page("/slo", s.slo)
	page("/slo.json", s.slo)
	page("/capacity", s.capacities)
	page("/capacity.json", s.capacities)
	page("/capacity/{id}", s.capacity)
	s.mux.HandleFunc("GET /capacity/{id}/{file}", s.capacityFile)
	s.mux.HandleFunc("GET /capacity/{id}/steps/{phase}/{run}", s.capacityStep)
	page("/kill-switch", s.killSwitch)
	page("/kill-switch.json", s.killSwitch)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(c.Registry, promhttp.HandlerOpts{Registry: c.Registry}))
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	s.mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if c.Ready != nil {
			if err := c.Ready(); err != nil {
				http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
				return
			}
		}
		fmt.Fprintln(w, "ok")
	})
	return s, nil
}

// ServeHTTP serves the UI, with security headers on every answer.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "SAMEORIGIN")
	// No script anywhere; the reports' inline styles and SVG are allowed.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-src 'self'; frame-ancestors 'self'; form-action 'self'; base-uri 'none'")
	s.mux.ServeHTTP(w, r)
}

// ListenAndServe serves on addr until ctx ends, then shuts down within 5 s.
// ready, when not nil, receives the address bound (port 0 picks one).
func (s *Server) ListenAndServe(ctx context.Context, addr string, ready func(net.Addr)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	if ready != nil {
		ready(ln.Addr())
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second, IdleTimeout: 2 * time.Minute}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// sync rescans the reports tree at most every SyncEvery.
func (s *Server) sync(ctx context.Context) {
	s.mu.Lock()
	due := s.c.Now().Sub(s.lastSync) >= s.c.SyncEvery
	if due {
		s.lastSync = s.c.Now()
	}
	s.mu.Unlock()
	if !due {
		return
	}
	if _, err := s.c.History.Sync(ctx); err != nil {
		s.c.Log.Error("history sync", "err", err)
	}
}

// view is what a page handler returns: the template and its data, which
// is also the JSON twin.
type view struct {
	tmpl  string
	title string
	data  any
	// status is the HTTP status (default 200).
	status int
	// raw, when set, is served as is (an HTML document of its own).
	raw []byte
}

type httpError struct {
	code int
	msg  string
}

func (e *httpError) Error() string { return e.msg }

func notFound(format string, a ...any) error {
	return &httpError{http.StatusNotFound, fmt.Sprintf(format, a...)}
}

func badRequest(format string, a ...any) error {
	return &httpError{http.StatusBadRequest, fmt.Sprintf(format, a...)}
}

// render runs a page handler and writes HTML, or JSON when the path ends
// in .json.
func (s *Server) render(h func(*http.Request) (view, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		asJSON := strings.HasSuffix(r.URL.Path, ".json")
		v, err := h(r)
		if err != nil {
			code := http.StatusInternalServerError
			var he *httpError
			if errors.As(err, &he) {
				code = he.code
			} else {
				s.c.Log.Error("page", "path", r.URL.Path, "err", err)
			}
			if asJSON {
				writeJSON(w, code, map[string]string{"error": err.Error()})
				return
			}
			v = view{tmpl: "error", title: http.StatusText(code), data: map[string]any{"Code": code, "Message": err.Error()}, status: code}
		}
		if asJSON {
			writeJSON(w, cmp.Or(v.status, http.StatusOK), v.data)
			return
		}
		if v.raw != nil {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write(v.raw)
			return
		}
		body, err := page(v.tmpl, v.title, r.URL.Path, v.data)
		if err != nil {
			s.c.Log.Error("render", "path", r.URL.Path, "err", err)
			http.Error(w, "render: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(cmp.Or(v.status, http.StatusOK))
		w.Write(body)
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// RunsPage is the runs list and its JSON twin.
type RunsPage struct {
	Runs        []history.Run     `json:"runs"`
	Total       int               `json:"total"`
	Page        int               `json:"page"`
	Pages       int               `json:"pages"`
	Filter      map[string]string `json:"filter"`
	Experiments []string          `json:"experiments"`
	Bad         map[string]string `json:"skippedReports,omitempty"`
	// Query is the filter as a query string (for the pager's links).
	Query string `json:"-"`
}

func (s *Server) runs(r *http.Request) (view, error) {
	s.sync(r.Context())
	q := r.URL.Query()
	f := history.Filter{Experiment: q.Get("experiment"), Target: q.Get("target"), Status: q.Get("status"), Schedule: q.Get("schedule"), Suite: q.Get("suite"), Limit: PageSize}
	var err error
	if f.Since, err = parseTime(q.Get("since"), s.c.Now()); err != nil {
		return view{}, badRequest("since: %v", err)
	}
	if f.Until, err = parseTime(q.Get("until"), s.c.Now()); err != nil {
		return view{}, badRequest("until: %v", err)
	}
	pg := 1
	if p := q.Get("page"); p != "" {
		if pg, err = strconv.Atoi(p); err != nil || pg < 1 {
			return view{}, badRequest("page %q: want a positive integer", p)
		}
	}
	f.Offset = (pg - 1) * PageSize
	runs, total, err := s.c.History.List(r.Context(), f)
	if err != nil {
		return view{}, err
	}
	exps, err := s.c.History.Experiments(r.Context())
	if err != nil {
		return view{}, err
	}
	bad, _ := s.c.History.Bad(r.Context())
	filter := map[string]string{}
	kept := url.Values{}
	for _, k := range []string{"experiment", "target", "status", "schedule", "suite", "since", "until"} {
		if v := q.Get(k); v != "" {
			filter[k] = v
			kept.Set(k, v)
		}
	}
	return view{tmpl: "runs", title: "Runs", data: &RunsPage{Runs: orEmpty(runs), Total: total, Page: pg, Pages: max(1, (total+PageSize-1)/PageSize),
		Filter: filter, Experiments: orEmpty(exps), Bad: bad, Query: kept.Encode()}}, nil
}

// parseTime reads RFC 3339, a date, or a duration back from now (24h, 7d).
func parseTime(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if strings.HasSuffix(s, "d") {
		if n, err := strconv.Atoi(strings.TrimSuffix(s, "d")); err == nil && n >= 0 {
			return now.Add(-time.Duration(n) * 24 * time.Hour), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q: want RFC 3339, a date (2026-12-01) or a time back from now (24h, 7d)", s)
}

// ParseTime is the time filter of the UI and the CLI.
func ParseTime(s string, now time.Time) (time.Time, error) { return parseTime(s, now) }

// RunPage is a run's detail.
type RunPage struct {
	Run    history.Run    `json:"run"`
	Report *report.Report `json:"report"`
	Files  []string       `json:"files"`
}

func (s *Server) lookup(r *http.Request) (*history.Run, error) {
	dir := r.PathValue("suite") + "/" + strings.TrimSuffix(r.PathValue("run"), ".json")
	run, err := s.c.History.Get(r.Context(), dir)
	if errors.Is(err, history.ErrNotFound) {
		s.sync(r.Context())
		run, err = s.c.History.Get(r.Context(), dir)
	}
	if errors.Is(err, history.ErrNotFound) {
		return nil, notFound("no run %s in %s", dir, s.c.History.Root())
	}
	return run, err
}

func (s *Server) run(r *http.Request) (view, error) {
	run, err := s.lookup(r)
	if err != nil {
		return view{}, err
	}
	rep, err := s.c.History.Report(run)
	if err != nil {
		return view{}, err
	}
	var files []string
	for _, f := range []string{report.FileHTML, report.FileMD, report.FileJSON, report.FileJUnit} {
		if _, err := os.Stat(s.c.History.Path(run, f)); err == nil {
			files = append(files, f)
		}
	}
	if !strings.HasSuffix(r.URL.Path, ".json") {
		// The page shows the figures and embeds the report; the JSON twin
		// carries the whole report.json.
		rep = &report.Report{RunID: rep.RunID, Experiment: rep.Experiment, Target: rep.Target, Timings: rep.Timings,
			Verdict: rep.Verdict, Faults: rep.Faults, Probes: rep.Probes, Decisions: rep.Decisions, StopReason: rep.StopReason}
	}
	return view{tmpl: "run", title: run.Experiment + " · " + run.RunID, data: &RunPage{Run: *run, Report: rep, Files: files}}, nil
}

// file serves one file of a run's report.
func (s *Server) file(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	types := map[string]string{report.FileHTML: "text/html; charset=utf-8", report.FileMD: "text/markdown; charset=utf-8",
		report.FileJSON: "application/json", report.FileJUnit: "application/xml"}
	ct, ok := types[name]
	if !ok {
		http.Error(w, "no such report file: use report.html, report.md, report.json or junit.xml", http.StatusNotFound)
		return
	}
	run, err := s.lookup(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", ct)
	http.ServeFile(w, r, s.c.History.Path(run, path.Base(name)))
}

// TrendsPage lists the experiments with their latest figures.
type TrendsPage struct {
	Experiments []TrendSummary `json:"experiments"`
}

// TrendSummary is one experiment's runs in brief.
type TrendSummary struct {
	Experiment string      `json:"experiment"`
	Runs       int         `json:"runs"`
	Last       history.Run `json:"last"`
	// Scores are the scores of the last 30 runs, oldest first.
	Scores []float64 `json:"scores"`
}

func (s *Server) trends(r *http.Request) (view, error) {
	s.sync(r.Context())
	exps, err := s.c.History.Experiments(r.Context())
	if err != nil {
		return view{}, err
	}
	out := TrendsPage{Experiments: []TrendSummary{}}
	for _, e := range exps {
		runs, total, err := s.c.History.List(r.Context(), history.Filter{Experiment: e, Limit: 30})
		if err != nil {
			return view{}, err
		}
		ts := TrendSummary{Experiment: e, Runs: total, Last: runs[0]}
		for i := len(runs) - 1; i >= 0; i-- {
			ts.Scores = append(ts.Scores, runs[i].Score)
		}
		out.Experiments = append(out.Experiments, ts)
	}
	return view{tmpl: "trends", title: "Trends", data: &out}, nil
}

// TrendPage is one experiment over time.
type TrendPage struct {
	Experiment string        `json:"experiment"`
	Since      string        `json:"since,omitempty"`
	Runs       []history.Run `json:"runs"`
	Charts     []Chart       `json:"-"`
}

// MaxTrendRuns bounds the runs drawn on one trend page.
const MaxTrendRuns = 500

func (s *Server) trend(r *http.Request) (view, error) {
	s.sync(r.Context())
	exp := strings.TrimSuffix(r.PathValue("experiment"), ".json")
	since, err := parseTime(r.URL.Query().Get("since"), s.c.Now())
	if err != nil {
		return view{}, badRequest("since: %v", err)
	}
	runs, _, err := s.c.History.List(r.Context(), history.Filter{Experiment: exp, Since: since, Limit: MaxTrendRuns})
	if err != nil {
		return view{}, err
	}
	if len(runs) == 0 {
		return view{}, notFound("no run of experiment %q (see /trends)", exp)
	}
	slices.Reverse(runs) // oldest first
	p := &TrendPage{Experiment: exp, Since: r.URL.Query().Get("since"), Runs: runs}
	p.Charts = trendCharts(runs)
	return view{tmpl: "trend", title: "Trend · " + exp, data: p}, nil
}

// SchedulesPage is the schedules and their recent skips.
type SchedulesPage struct {
	Running bool              `json:"schedulerRunning"`
	Leader  *bool             `json:"leader,omitempty"`
	Items   []schedule.Status `json:"schedules"`
	// Skips are the last skipped fires, newest first.
	Skips []history.Event `json:"skips"`
	File  string          `json:"file,omitempty"`
}

// MaxSkips bounds the skips shown.
const MaxSkips = 50

func (s *Server) schedules(r *http.Request) (view, error) {
	p := &SchedulesPage{Items: []schedule.Status{}, Skips: []history.Event{}}
	switch {
	case s.c.Schedules != nil:
		p.Running, p.Items = true, s.c.Schedules()
	case s.c.File != nil:
		now := s.c.Now()
		for _, pl := range s.c.File.Plans {
			runs := cmp.Or(pl.Suite, pl.Experiment)
			p.Items = append(p.Items, schedule.Status{Name: pl.Name, Cron: pl.Cron, TimeZone: pl.Loc.String(), Target: pl.Target, Runs: runs,
				Suspended: pl.Suspend, Next: pl.FireAt(pl.Next(now)).Start})
		}
	}
	if s.c.File != nil {
		p.File = s.c.File.Path
	}
	events, err := s.c.History.Events()
	if err != nil {
		return view{}, err
	}
	last, skip := map[string]history.Event{}, map[string]history.Event{}
	for i := len(events) - 1; i >= 0; i-- {
		e := events[i]
		if e.Kind == history.EventSkipped {
			if len(p.Skips) < MaxSkips {
				p.Skips = append(p.Skips, e)
			}
			if _, ok := skip[e.Schedule]; !ok {
				skip[e.Schedule] = e
			}
		}
		if _, ok := last[e.Schedule]; !ok && e.Kind == history.EventFinished {
			last[e.Schedule] = e
		}
	}
	if s.c.Schedules == nil {
		for i := range p.Items {
			it := &p.Items[i]
			if e, ok := last[it.Name]; ok {
				it.LastStatus, it.LastRunIDs, it.LastStart = e.Status, e.RunIDs, e.At
			}
			if e, ok := skip[it.Name]; ok {
				it.LastSkip = &e
			}
		}
	}
	return view{tmpl: "schedules", title: "Schedules", data: p}, nil
}

func (s *Server) slo(r *http.Request) (view, error) {
	if s.c.SLO == nil {
		return view{tmpl: "message", title: "SLO burn report", data: map[string]any{"Message": "No SLO report here: start gameday serve with --slo-dir and --prometheus-url (or a sandbox running).", "Enabled": false}}, nil
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	rep, err := s.c.SLO(ctx)
	if err != nil {
		return view{}, &httpError{http.StatusBadGateway, "slo report: " + err.Error()}
	}
	if strings.HasSuffix(r.URL.Path, ".json") {
		return view{data: rep}, nil
	}
	b, err := rep.HTML()
	if err != nil {
		return view{}, err
	}
	return view{raw: b}, nil
}

// KillSwitchPage is the kill switch's state.
type KillSwitchPage struct {
	Configured bool   `json:"configured"`
	Engaged    bool   `json:"engaged"`
	Detail     string `json:"detail"`
	Error      string `json:"error,omitempty"`
}

func (s *Server) killSwitch(r *http.Request) (view, error) {
	p := &KillSwitchPage{}
	if s.c.KillSwitch != nil {
		p.Configured = true
		on, detail, err := s.c.KillSwitch(r.Context())
		p.Engaged, p.Detail = on, detail
		if err != nil {
			p.Error = err.Error()
		}
	}
	return view{tmpl: "killswitch", title: "Kill switch", data: p}, nil
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
