package capacity

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/report"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// SchemaVersion is the version of capacity.json.
const SchemaVersion = "gameday.dev/capacity/v1"

// The files of a search, in <reports-dir>/<Suite>/<id>/; the steps'
// game days are in its steps/ folder.
const (
	Suite    = "capacity"
	FileJSON = "capacity.json"
	FileMD   = "capacity.md"
	StepsDir = "steps"
)

// ZoneLabel is the label a zone fault selects replicas by.
const ZoneLabel = "topology.kubernetes.io/zone"

// Stopped is a phase's outcome when the search was stopped: an
// inconclusive step, the time budget, a signal.
const Stopped = "stopped"

// Result is one capacity search; capacity.json is its JSON.
type Result struct {
	SchemaVersion string `json:"schemaVersion"`
	ID            string `json:"id"`
	Experiment    string `json:"experiment"`
	// Target is sandbox or kubernetes; TargetURL where the load went.
	Target    string    `json:"target"`
	TargetURL string    `json:"targetURL"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Criteria  Criteria  `json:"criteria"`
	Search    Params    `json:"search"`
	// Zone is the zone lost in the second phase ("" when not measured;
	// ZoneNote says why).
	Zone     string `json:"zone,omitempty"`
	ZoneNote string `json:"zoneNote,omitempty"`
	// AllZones and ZoneDown are the two phases (ZoneDown nil when not
	// measured).
	AllZones *Phase `json:"allZones"`
	ZoneDown *Phase `json:"zoneDown,omitempty"`
	// Replicas were ready when the search started, ReadyByZone by zone;
	// LostReplicas the zone fault failed.
	Replicas     int            `json:"replicas"`
	ReadyByZone  map[string]int `json:"readyByZone,omitempty"`
	LostReplicas int            `json:"lostReplicas,omitempty"`
	// Peak is the production peak (nil: none given nor read).
	Peak   *Peak  `json:"peak,omitempty"`
	Answer Answer `json:"answer"`
	Cost   Cost   `json:"cost"`
	// Stopped says why the search ended early ("" when it did not).
	Stopped  string `json:"stopped,omitempty"`
	ExitCode int    `json:"exitCode"`
}

// Params bound the search.
type Params struct {
	From       float64 `json:"from"`
	MaxRate    float64 `json:"maxRate"`
	Resolution float64 `json:"resolution"`
	// MaxSteps per phase; MaxSeconds of the whole search.
	MaxSteps   int     `json:"maxSteps"`
	MaxSeconds float64 `json:"maxSeconds"`
	// StepSeconds is a step's load; a zone step adds SettleSeconds (the
	// zone is lost WarmupSeconds into it and measured SettleSeconds
	// after). CooldownSeconds pass between steps.
	StepSeconds     float64 `json:"stepSeconds"`
	WarmupSeconds   float64 `json:"warmupSeconds"`
	SettleSeconds   float64 `json:"settleSeconds"`
	CooldownSeconds float64 `json:"cooldownSeconds"`
}

// Phase is one search: with every zone, or with one lost.
type Phase struct {
	Name string `json:"name"`
	// Capacity is the highest rate that held (0: none), Broke the lowest
	// that broke (0: none).
	Capacity float64 `json:"capacity"`
	Broke    float64 `json:"broke,omitempty"`
	// Outcome is Found, AtLeastMax, LowestBroke, OutOfSteps or Stopped.
	Outcome string `json:"outcome"`
	Steps   []Step `json:"steps"`
}

// Peak is the production peak the answer compares with.
type Peak struct {
	Rate float64 `json:"rate"`
	// Range is the span it was read over ("7d"; "" when given), Source
	// where (the query and the Prometheus, or "--peak").
	Range  string `json:"range"`
	Source string `json:"source"`
}

// Cost is what the search cost.
type Cost struct {
	Steps    int     `json:"steps"`
	Seconds  float64 `json:"seconds"`
	Requests uint64  `json:"requests"`
	// MaxSteps and MaxSeconds are its bounds.
	MaxSteps   int     `json:"maxSteps"`
	MaxSeconds float64 `json:"maxSeconds"`
}

// Line is the cost in words: "11 steps, 3m40s, 9,870 requests (bounds 16
// steps, 15m)".
func (c Cost) Line() string {
	return fmt.Sprintf("%d steps, %s, %s requests (bounds: %d steps, %s)", c.Steps, secs(c.Seconds), thousands(c.Requests),
		c.MaxSteps, secs(c.MaxSeconds))
}

func secs(s float64) string {
	return time.Duration(s * float64(time.Second)).Round(time.Second).String()
}

func thousands(n uint64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// A StepRun runs one step's game day: e as the search edited it, with its
// run id and suite, its reports under dir. It returns the report (nil
// when none was written), its report.json, and the run's error (its exit
// code).
type StepRun func(ctx context.Context, e *spec.Experiment, dir, suite, runID string) (*report.Report, string, error)

// Config is one capacity search.
type Config struct {
	// Experiment loads the base experiment afresh: its journeys, target,
	// probes and stop conditions; its constant rate is the first step
	// unless From is set, its load.duration the length of a step.
	Experiment func() (*spec.Experiment, error)
	Run        StepRun
	// ID names the search (default: UTC time and "capacity");
	// ReportsDir is the reports root.
	ID, ReportsDir string
	// Target is the engine's name (sandbox, kubernetes), TargetURL where
	// the load goes: for the record.
	Target, TargetURL string
	Params
	// Zone is the zone lost in the second phase ("": no second phase);
	// FirstZone: the first (in name order) of the zones the target's
	// ready replicas were in when the search started.
	Zone      string
	FirstZone bool
	ZoneNote  string
	Criteria  Criteria
	// Peak reads the production peak (nil: none).
	Peak func(ctx context.Context) (*Peak, error)
	// Progress receives a line per step.
	Progress io.Writer
	Now      func() time.Time
}

// Defaults of a search.
const (
	DefaultResolution = 0.1
	DefaultMaxSteps   = 8
	DefaultMaxTime    = 15 * time.Minute
	DefaultWarmup     = 2 * time.Second
	DefaultSettle     = 8 * time.Second
	DefaultCooldown   = 2 * time.Second
)

func (c *Config) defaults(base *spec.Experiment) error {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Progress == nil {
		c.Progress = io.Discard
	}
	c.ID = cmp.Or(c.ID, c.Now().UTC().Format("20060102-150405")+"-capacity")
	prof := base.Spec.Load.Profile
	if prof.Constant == nil {
		return exitcode.Invalidf("capacity: %s: load.profile must be constant (its rate is the first step's)", base.File)
	}
	p := &c.Params
	p.From = cmp.Or(p.From, prof.Constant.Rate)
	p.MaxRate = cmp.Or(p.MaxRate, 100*p.From)
	p.Resolution = cmp.Or(p.Resolution, DefaultResolution)
	p.MaxSteps = cmp.Or(p.MaxSteps, DefaultMaxSteps)
	p.MaxSeconds = cmp.Or(p.MaxSeconds, DefaultMaxTime.Seconds())
	p.StepSeconds = base.Spec.Load.Duration.D().Seconds()
	p.WarmupSeconds = cmp.Or(p.WarmupSeconds, DefaultWarmup.Seconds())
	p.SettleSeconds = cmp.Or(p.SettleSeconds, DefaultSettle.Seconds())
	switch {
	case p.CooldownSeconds == 0:
		p.CooldownSeconds = DefaultCooldown.Seconds()
	case p.CooldownSeconds < 0: // asked for none
		p.CooldownSeconds = 0
	}
	switch {
	case p.From <= 0 || p.MaxRate < p.From:
		return exitcode.Invalidf("capacity: --from %g and --max-rate %g: want 0 < from <= max-rate", p.From, p.MaxRate)
	case p.Resolution <= 0 || p.Resolution > 1:
		return exitcode.Invalidf("capacity: --resolution %g: want above 0 and at most 1 (0.1: the capacity to within 10 %%)", p.Resolution)
	case p.MaxSteps < 1 || p.MaxSteps > 50:
		return exitcode.Invalidf("capacity: --max-steps %d: want 1 to 50", p.MaxSteps)
	case p.StepSeconds <= p.WarmupSeconds+2:
		return exitcode.Invalidf("capacity: a step of %s leaves nothing to measure after the warm-up of %s: lengthen load.duration of %s", secs(p.StepSeconds), secs(p.WarmupSeconds), base.File)
	case len(base.Spec.Faults) > 0:
		return exitcode.Invalidf("capacity: %s has faults: the search adds the zone's own; remove them", base.File)
	}
	return nil
}

// Check validates c's bounds against the base experiment as Run would,
// without running anything: bad input is said before the target is
// looked for.
func Check(c Config, base *spec.Experiment) error { return c.defaults(base) }

// Run searches the capacity with every zone, then with c.Zone lost,
// writes capacity.json and capacity.md into <ReportsDir>/capacity/<ID>/
// and returns the result. Its error carries the exit code: nil when the
// search answered and the service survives (or no peak was asked about),
// failed (1) when it does not survive the zone loss at the peak or the
// lowest step broke, infra (3) when the search stopped (an inconclusive
// step, the time budget) before it could answer, aborted (4) on a signal.
func Run(ctx context.Context, c Config) (*Result, error) {
	base, err := c.Experiment()
	if err != nil {
		return nil, err
	}
	if err := c.defaults(base); err != nil {
		return nil, err
	}
	dir := filepath.Join(c.ReportsDir, Suite, c.ID)
	if _, err := report.Dir(c.ReportsDir, Suite, c.ID); err != nil {
		return nil, exitcode.Wrap(exitcode.Invalid, err)
	}
	r := &Result{SchemaVersion: SchemaVersion, ID: c.ID, Experiment: base.Metadata.Name, Target: cmp.Or(c.Target, string(base.Spec.Target.Kind)), TargetURL: c.TargetURL,
		Start: c.Now().UTC(), Criteria: c.Criteria, Search: c.Params, Zone: c.Zone, ZoneNote: c.ZoneNote}
	r.Cost.MaxSteps, r.Cost.MaxSeconds = c.MaxSteps, c.MaxSeconds
	zoneAsked := c.Zone != "" || c.FirstZone
	if zoneAsked {
		r.Cost.MaxSteps *= 2
	}
	zoneStep := c.StepSeconds + c.SettleSeconds
	steps := "steps of " + secs(c.StepSeconds)
	if zoneAsked {
		steps += fmt.Sprintf(" (with %s down: %s)", cmp.Or(c.Zone, "the first zone"), secs(zoneStep))
	}
	fmt.Fprintf(c.Progress, "capacity %s: %s on %s; %s, at most %d steps within %s\n", c.ID, base.Metadata.Name,
		r.Target, steps, r.Cost.MaxSteps, secs(c.MaxSeconds))
	if c.Peak != nil {
		// Read first: a peak that cannot be read is said before minutes of
		// load, not after.
		pk, err := c.Peak(ctx)
		if err != nil {
			return nil, err
		}
		r.Peak = pk
		fmt.Fprintf(c.Progress, "production peak: %s (%s)\n", pk.text(), pk.Source)
	}
	s := &searcher{c: c, r: r, dir: dir, started: c.Now()}
	s.phase(ctx, &r.AllZones, "all-zones", &Search{From: c.From, Max: c.MaxRate, Resolution: c.Resolution, MaxSteps: c.MaxSteps}, false)
	if c.FirstZone && c.Zone == "" {
		switch zones := sortedKeys(r.ReadyByZone); {
		case len(zones) >= 2:
			c.Zone, r.Zone = zones[0], zones[0]
			s.c.Zone = c.Zone
		case r.ZoneNote == "":
			r.ZoneNote = fmt.Sprintf("the target's ready replicas were in %d zone(s) (%s): no zone to lose and keep serving", len(zones), zonesText(r.ReadyByZone))
		}
	}
	if all := r.AllZones; c.Zone != "" && r.Stopped == "" && all.Capacity > 0 {
		// A zone lost cannot carry more than every zone did: start where
		// the survivors would be if the load spread evenly, below what
		// broke with every zone.
		start := all.Capacity
		if n := len(r.ReadyByZone); n >= 2 {
			start = all.Capacity * float64(n-1) / float64(n)
		}
		zs := &Search{From: c.From, Max: c.MaxRate, Resolution: c.Resolution, MaxSteps: c.MaxSteps, Start: start, Broke: all.Broke}
		s.phase(ctx, &r.ZoneDown, c.Zone+"-down", zs, true)
	} else if zoneAsked && r.ZoneNote == "" {
		r.Zone, r.ZoneNote = "", "the search with every zone found no capacity to start from"
		if r.Stopped != "" {
			r.ZoneNote = "the search stopped before it"
		}
	}
	r.End = c.Now().UTC()
	r.Cost.Seconds = r.End.Sub(r.Start).Seconds()
	r.Answer = answer(r)
	rerr := outcome(ctx, r)
	r.ExitCode = exitcode.Of(rerr)
	if err := write(dir, r); err != nil {
		return r, exitcode.Infraf("capacity: write %s: %w", dir, err)
	}
	return r, rerr
}

// outcome is the error of a finished search (its exit code).
func outcome(ctx context.Context, r *Result) error {
	a := r.Answer
	switch {
	case ctx.Err() != nil:
		return exitcode.Abortedf("capacity: interrupted: %s", a.Line)
	case r.AllZones != nil && r.AllZones.Outcome == LowestBroke, r.ZoneDown != nil && r.ZoneDown.Outcome == LowestBroke:
		return exitcode.Failedf("capacity: %s", a.Line)
	case a.Survives != nil && !*a.Survives:
		return exitcode.Failedf("capacity: %s", a.Line)
	case r.Stopped != "" && a.Survives == nil:
		// Stopped before it could answer (a lower bound at or above the
		// peak answers yes all the same).
		return exitcode.Infraf("capacity: %s: %s", r.Stopped, a.Line)
	}
	return nil
}

// searcher runs the steps of a search.
type searcher struct {
	c       Config
	r       *Result
	dir     string
	started time.Time
	n       int
}

// phase runs one search into *out; zone loses c.Zone in every step.
func (s *searcher) phase(ctx context.Context, out **Phase, name string, sr *Search, zone bool) {
	p := &Phase{Name: name}
	*out = p
	c := s.c
	stepLen := c.StepSeconds
	if zone {
		stepLen += c.SettleSeconds
	}
	for {
		rate, done := sr.Next()
		if done != "" {
			p.Outcome = done
			break
		}
		if ctx.Err() != nil {
			p.Outcome, s.r.Stopped = Stopped, "interrupted"
			break
		}
		if el := c.Now().Sub(s.started).Seconds(); el+stepLen+c.CooldownSeconds > c.MaxSeconds {
			p.Outcome, s.r.Stopped = Stopped, fmt.Sprintf("time budget: %s spent, a step of %s would pass the %s allowed", secs(el), secs(stepLen), secs(c.MaxSeconds))
			break
		}
		if s.n > 0 && c.CooldownSeconds > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(time.Duration(c.CooldownSeconds * float64(time.Second))):
			}
		}
		st := s.step(ctx, name, rate, zone)
		p.Steps = append(p.Steps, st)
		if st.Outcome == StepInconclusive {
			p.Outcome = Stopped
			if s.r.Stopped == "" {
				s.r.Stopped = fmt.Sprintf("step %d (%s at %s) was inconclusive: %s", st.N, name, rateText(st.Rate), strings.Join(st.Reasons, "; "))
			}
			break
		}
		sr.Record(rate, st.Held())
	}
	p.Capacity, p.Broke = sr.Held, sr.Broke
}

func rateText(r float64) string { return rate(r) }

// step runs one step at rate: the base experiment at a constant rate,
// with every replica of the zone failed from the warm-up on when zone is
// set.
func (s *searcher) step(ctx context.Context, phase string, rate float64, zone bool) (st Step) {
	c := s.c
	s.n++
	st = Step{N: s.n, Phase: phase, Rate: rate, Start: c.Now().UTC()}
	defer func() { // on the named result: what the step returns
		st.Seconds = c.Now().Sub(st.Start).Seconds()
		s.r.Cost.Steps++
		s.r.Cost.Requests += st.Requests
		fmt.Fprintf(c.Progress, "[step %d %s] %s: %s\n", st.N, phase, rateText(rate), st.summary())
	}()
	e, err := c.Experiment()
	if err != nil {
		st.Outcome, st.Reasons = StepInconclusive, []string{err.Error()}
		return st
	}
	warmup := time.Duration(c.WarmupSeconds * float64(time.Second))
	length := time.Duration(c.StepSeconds * float64(time.Second))
	e.Spec.Load.Profile = spec.RateProfile{Constant: &spec.ConstantRate{Rate: rate}}
	if zone {
		length += time.Duration(c.SettleSeconds * float64(time.Second))
		f, err := zoneFault(c.Zone, warmup, length-warmup)
		if err != nil {
			st.Outcome, st.Reasons = StepInconclusive, []string{"the zone fault: " + err.Error()}
			return st
		}
		e.Spec.Faults = []spec.Fault{f}
		e.Spec.Recovery = nil
	}
	e.Spec.Load.Duration = spec.Duration(length)
	if err := e.Validate(spec.ValidateOptions{}); err != nil {
		st.Outcome, st.Reasons = StepInconclusive, []string{"the step's experiment is invalid: " + err.Error()}
		return st
	}
	runID := fmt.Sprintf("%s-%02d-%grps", c.ID, s.n, rate)
	rep, path, runErr := c.Run(ctx, e, filepath.Join(s.dir, StepsDir), phase, runID)
	if path != "" {
		if rel, err := filepath.Rel(c.ReportsDir, path); err == nil {
			st.Report = filepath.ToSlash(rel)
		}
	}
	from, to := time.Time{}, time.Time{}
	if rep != nil {
		from, to = rep.Timings.Start.Add(warmup), rep.Timings.End
		s.observe(rep, &st)
		if zone {
			from = from.Add(time.Duration(c.SettleSeconds * float64(time.Second)))
			if f := rep.Faults; len(f) == 1 && f[0].Result != nil {
				from = f[0].Result.Injected.Add(time.Duration(c.SettleSeconds * float64(time.Second)))
				st.Targets = f[0].Result.Targets
				s.r.LostReplicas = max(s.r.LostReplicas, len(st.Targets))
			}
		}
	}
	judge(&st, rep, runErr, from, to, c.Criteria)
	if st.Outcome == StepInconclusive && errors.Is(ctx.Err(), context.Canceled) {
		st.Reasons = append([]string{"interrupted"}, st.Reasons...)
	}
	return st
}

// observe keeps the replicas ready per zone when the step started (the
// first step's are the search's).
func (s *searcher) observe(rep *report.Report, st *Step) {
	if len(rep.Observations) == 0 {
		return
	}
	st.Ready = maps.Clone(rep.Observations[0].ReadyByZone)
	if s.r.ReadyByZone == nil && len(st.Ready) > 0 {
		s.r.ReadyByZone = st.Ready
		for _, n := range st.Ready {
			s.r.Replicas += n
		}
	}
}

// zoneFault fails every PetClinic replica of zone, as the zone-outage
// experiment does: Chaos Mesh's PodChaos pod-failure, mode all, on the
// zone's label (on Kubernetes, the nodes of the zone the label maps to).
func zoneFault(zone string, after, d time.Duration) (spec.Fault, error) {
	doc, err := json.Marshal(map[string]any{
		"name": "zone-down", "kind": "PodChaos", "startAfter": after.String(), "duration": d.String(),
		"spec": map[string]any{"action": "pod-failure", "mode": "all",
			"selector": map[string]any{"labelSelectors": map[string]string{"app": "petclinic", ZoneLabel: zone}}},
	})
	if err != nil {
		return spec.Fault{}, err
	}
	var f spec.Fault
	err = json.Unmarshal(doc, &f)
	return f, err
}

// summary says a step's outcome in a line.
func (s Step) summary() string {
	fig := fmt.Sprintf("errors %.2f%%, p95 %.0f ms, p99 %.0f ms, sent %.0f%% (%d requests in %s)", 100*s.ErrorRatio, s.P95Ms, s.P99Ms,
		100*s.Sent, s.Requests, secs(s.WindowSeconds))
	switch s.Outcome {
	case StepHeld:
		return "held: " + fig
	case StepBroke:
		return "broke: " + strings.Join(s.Reasons, "; ") + " — " + fig
	}
	return "inconclusive: " + strings.Join(s.Reasons, "; ")
}

// write writes capacity.json and capacity.md into dir, atomically.
func write(dir string, r *Result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := report.WriteFile(filepath.Join(dir, FileJSON), append(b, '\n')); err != nil {
		return err
	}
	return report.WriteFile(filepath.Join(dir, FileMD), []byte(Markdown(r)))
}

// Read reads a capacity.json.
func Read(path string) (*Result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Result
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if r.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("schemaVersion %q: want %q", r.SchemaVersion, SchemaVersion)
	}
	return &r, nil
}

// Steps lists the steps of both phases in order.
func (r *Result) Steps() []Step {
	var out []Step
	for _, p := range []*Phase{r.AllZones, r.ZoneDown} {
		if p != nil {
			out = append(out, p.Steps...)
		}
	}
	slices.SortFunc(out, func(a, b Step) int { return a.N - b.N })
	return out
}
