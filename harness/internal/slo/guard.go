package slo

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
)

// The error-budget policy (docs/slo.md): a game day may start only while
// every SLO keeps at least MinRemaining of its budget, and is aborted when
// an SLO burns faster than BurnRateCap over the run so far (at most the
// last 5 minutes).
type Policy struct {
	// MinRemaining is the least share of the budget left to start (default
	// DefaultMinRemaining).
	MinRemaining float64
	// BurnRateCap aborts the run (0: no cap).
	BurnRateCap float64
	// Strict refuses a run when an SLO has no data or its source cannot be
	// read; by default such an SLO admits the run with a "no-data"
	// decision.
	Strict bool
	// CheckEvery is the watch's period (default 5s); MinEvents the least
	// number of events in the watched window before it may trip (default
	// 100), so that the first requests of a run do not decide alone.
	CheckEvery time.Duration
	MinEvents  float64
}

// Check refuses a share of budget outside [0, 1) or a negative burn-rate
// cap (exit code Invalid).
func (p Policy) Check() error {
	if p.MinRemaining < 0 || p.MinRemaining >= 1 || p.BurnRateCap < 0 || math.IsNaN(p.MinRemaining) || math.IsNaN(p.BurnRateCap) {
		return exitcode.Invalidf("--budget-policy-min %g and --burn-rate-cap %g: want a share in [0, 1) and a cap of at least 0", p.MinRemaining, p.BurnRateCap)
	}
	return nil
}

// Defaults of a Policy.
const (
	DefaultMinRemaining = 0.25
	DefaultBurnRateCap  = PageFactor
	DefaultCheckEvery   = 5 * time.Second
	DefaultMinEvents    = 100
	// MaxWatchWindow is the longest window the watch measures the burn
	// over; the run so far when it is shorter (at least MinWatchWindow).
	MaxWatchWindow = 5 * time.Minute
	MinWatchWindow = time.Minute
)

// Outcomes of an admission.
const (
	Admitted = "admitted"
	Refused  = "refused"
	NoData   = "no-data"
)

// An Admission is the guard's decision about one SLO.
type Admission struct {
	SLO     string
	Outcome string
	Detail  string
}

// Refuses reports whether the admission refuses the run.
func (a Admission) Refuses() bool { return a.Outcome == Refused }

// Admit decides about one SLO from its status (err: it could not be read).
func (p Policy) Admit(st *Status, err error) Admission {
	s := st.SLO
	a := Admission{SLO: s.ID()}
	if err != nil || st.Remaining == nil {
		why := "has no data over its " + s.Window.Text + " window (no traffic yet?)"
		if err != nil {
			why = "cannot be read: " + err.Error()
		}
		a.Outcome, a.Detail = NoData, fmt.Sprintf("SLO %s %s: admitted by the default policy (--budget-guard-strict refuses instead)", s.ID(), why)
		if p.Strict {
			a.Outcome, a.Detail = Refused, fmt.Sprintf("SLO %s %s: refused without budget data (--budget-guard-strict, the default of gate; =false admits)", s.ID(), why)
		}
		return a
	}
	figures := fmt.Sprintf("%s of its %s error budget left, policy at least %s; %s over %s (objective %s, budget %s)",
		Pct(*st.Remaining), s.Window, Pct(p.MinRemaining), s.RatioText(*st.Period.ErrorRatio), st.spanText(), Pct(s.Objective), Pct(s.Budget()))
	if *st.Remaining < p.MinRemaining {
		a.Outcome, a.Detail = Refused, fmt.Sprintf("SLO %s has %s", s.ID(), figures)
		return a
	}
	a.Outcome, a.Detail = Admitted, fmt.Sprintf("SLO %s has %s", s.ID(), figures)
	return a
}

// A Trip is why the watch stops a run.
type Trip struct {
	SLO      string
	Burn     float64
	Ratio    float64
	Events   float64
	Window   time.Duration
	Reason   string
	Observed time.Time
}

// Watch checks every CheckEvery, from start, each SLO (a PromQL one over
// Prometheus, a LogQL one over Loki when there is a Loki), and returns
// when one burns above the cap on two checks in a row (nil when ctx ends
// first). It measures the service's burn during the run, not the share of
// it the experiment caused: on a shared environment that is what the
// budget pays (docs/slo.md). Errors reading a source are not a trip: the
// run's own probes judge an unreachable Prometheus or Loki.
func (p Policy) Watch(ctx context.Context, c Clients, slos []*SLO, start time.Time) *Trip {
	if p.BurnRateCap <= 0 || (c.Prom == nil && c.Loki == nil) {
		<-ctx.Done()
		return nil
	}
	every := p.CheckEvery
	if every <= 0 {
		every = DefaultCheckEvery
	}
	minEvents := p.MinEvents
	if minEvents <= 0 {
		minEvents = DefaultMinEvents
	}
	over := map[string]int{}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case now := <-t.C:
			w := min(max(now.Sub(start), MinWatchWindow), MaxWatchWindow).Round(time.Second)
			ws := strconv.Itoa(int(w.Seconds())) + "s"
			for _, s := range slos {
				ratio, events, ok := c.burnOver(ctx, s, ws, w, now)
				burn := ratio / s.Budget()
				if !ok || events < minEvents || burn <= p.BurnRateCap {
					over[s.ID()] = 0
					continue
				}
				if over[s.ID()]++; over[s.ID()] >= 2 {
					return &Trip{SLO: s.ID(), Burn: burn, Ratio: ratio, Events: events, Window: w, Observed: now,
						Reason: fmt.Sprintf("error-budget guard: SLO %s burns its %s budget at %.1f× over the last %s of the run (cap %g×): %s, %.0f events, vs a budget of %s",
							s.ID(), s.Window, burn, Human(w), p.BurnRateCap, s.RatioText(ratio), events, Pct(s.Budget()))}
				}
			}
		}
	}
}

// burnOver is s's error ratio and number of events over the last w (ws in
// the query language) at now; ok false when its source is missing, cannot
// be read or has no data.
func (c Clients) burnOver(ctx context.Context, s *SLO, ws string, w time.Duration, now time.Time) (ratio, events float64, ok bool) {
	var err error
	switch {
	case s.Threshold != nil && c.Loki != nil:
		// The slices ending in the window; the events are the lines of
		// the indicator's log query.
		pts, err := readSlices(ctx, c.Loki, s, now.Add(-w), now)
		r := sliceRatio(pts, s.Threshold, now, w)
		if err != nil || r == nil {
			return 0, 0, false
		}
		lines, err := c.Loki.Query(ctx, countOver(s.Total, ws), now)
		if err != nil {
			return 0, 0, false
		}
		events, err = lines.Number()
		return *r, events, err == nil
	case s.Source == SourceLoki && c.Loki != nil:
		num := func(q string) (float64, error) {
			r, err := c.Loki.Query(ctx, q, now)
			if err != nil {
				return 0, err
			}
			return r.Number()
		}
		if ratio, err = num(s.ErrorRatio(ws)); err != nil {
			return 0, 0, false
		}
		events, err = num(countOver(s.Total, ws)) // lines: already a count
	case s.Source == SourcePrometheus && c.Prom != nil:
		if ratio, err = c.Prom.Query(ctx, s.ErrorRatio(ws), now); err != nil {
			return 0, 0, false
		}
		var perSec float64
		perSec, err = c.Prom.Query(ctx, rateOver(s.Total, ws), now)
		events = perSec * w.Seconds()
	default:
		return 0, 0, false
	}
	return ratio, events, err == nil && !math.IsNaN(ratio)
}

// RatioText says what an error ratio of s counts: "error ratio 0.5%", or
// for a Timeslices SLO "2% of its 1m slices bad (good: value <= 1000)".
func (s *SLO) RatioText(r float64) string {
	if t := s.Threshold; t != nil {
		return fmt.Sprintf("%s of its %s slices bad (good: value %s %g)", Pct(r), t.Slice, t.Symbol(), t.Value)
	}
	return "error ratio " + Pct(r)
}

// Pct writes a ratio in percent with the digits it needs (99.9%, 0.013%).
func Pct(x float64) string {
	v := 100 * x
	switch a := math.Abs(v); {
	case a == 0:
		return "0%"
	case a >= 0.1:
		return strconv.FormatFloat(round12(math.Round(v*100)/100), 'f', -1, 64) + "%"
	default:
		return strconv.FormatFloat(v, 'g', 2, 64) + "%"
	}
}

// Names of the guard's decisions and of the stop condition of its watch,
// as the reports show them.
const (
	DecisionBudget  = "error-budget"
	DecisionBurnCap = "error-budget-burn-cap"
	StopBurnRate    = "error-budget-burn-rate"
	// DefaultDir is where the guard looks for SLO specs by default.
	DefaultDir = "slo"
)

// GuardConfig configures the error-budget guard of game days (docs/slo.md).
type GuardConfig struct {
	// Dir holds the OpenSLO specs (default DefaultDir). A Dir that does
	// not exist skips the guard, unless Required (the user named it): then
	// it is invalid input.
	Dir      string
	Required bool
	Policy   Policy
	// Off turns the guard off (--no-budget-guard); the report says so.
	Off bool
}

// A Guard decides, before each run, whether the error budgets allow it,
// and watches the burn while it goes: the error-budget policy of
// docs/slo.md as a type, for every caller of the runner.
type Guard struct {
	policy Policy
	dir    string
	slos   []*SLO
	skip   string // why the guard does not look ("": it does)
}

// A Decision is one decision of the guard, with its figures.
type Decision struct {
	Name    string
	Outcome string
	Detail  string
	At      time.Time
}

// A Ruling is what the guard decided about one run.
type Ruling struct {
	// Decisions are for the report, in order: skipped, or one per SLO and
	// then the burn-rate cap armed or off.
	Decisions []Decision
	// Watch returns when an SLO burns above the cap during the run (nil
	// when ctx ends first); nil: no cap.
	Watch func(ctx context.Context) *Trip
}

// NewGuard loads the specs of c.Dir and checks the policy. Its errors are
// invalid input (exit 2): a bad flag, a malformed or missing spec.
func NewGuard(c GuardConfig) (*Guard, error) {
	g := &Guard{policy: c.Policy, dir: cmp.Or(c.Dir, DefaultDir)}
	if c.Off {
		g.skip = "error-budget guard off (--no-budget-guard)"
		return g, nil
	}
	if err := c.Policy.Check(); err != nil {
		return nil, err
	}
	if _, err := os.Stat(g.dir); err != nil && !c.Required {
		g.skip = fmt.Sprintf("no SLO specs in %s/ (run from the repository root, or set --slo-dir)", g.dir)
		return g, nil
	}
	set, err := Load(g.dir)
	if err != nil {
		return nil, exitcode.Wrap(exitcode.Invalid, fmt.Errorf("SLO specs in %s:\n%w", g.dir, err))
	}
	g.slos = set.SLOs
	return g, nil
}

// LogQL names the SLOs over Loki the guard reads (none when it is off or
// skipped): without a Loki they cannot be judged.
func (g *Guard) LogQL() []string {
	var out []string
	for _, s := range g.slos {
		if s.Source == SourceLoki {
			out = append(out, s.ID())
		}
	}
	return out
}

// Admit reads the budget of every SLO from c at now and decides whether
// experiment may start. A refusal is an exitcode.Aborted error naming the
// SLO and its figures, returned with the ruling (its decisions go into
// the refused run's report); SLOs but no Prometheus to read them is
// exitcode.Invalid: a guard that cannot look does not admit.
func (g *Guard) Admit(ctx context.Context, c Clients, experiment string, now time.Time) (Ruling, error) {
	at := now.UTC()
	if g.skip != "" {
		return Ruling{Decisions: []Decision{{Name: DecisionBudget, Outcome: "skipped", Detail: g.skip, At: at}}}, nil
	}
	if c.Prom == nil && slices.ContainsFunc(g.slos, func(s *SLO) bool { return s.Source == SourcePrometheus }) {
		return Ruling{}, exitcode.Invalidf("error-budget guard: %s/ holds %d SLOs but no Prometheus URL is configured to read their budgets: set --prometheus-url (or spec.target.prometheusURL), or pass --no-budget-guard to run without the guard (the report records it off)",
			g.dir, len(g.slos))
	}
	var r Ruling
	var refused []string
	for _, s := range g.slos {
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		st, err := ReadStatus(rctx, c, s, now)
		cancel()
		a := g.policy.Admit(st, err)
		r.Decisions = append(r.Decisions, Decision{Name: DecisionBudget + "/" + s.ID(), Outcome: a.Outcome, Detail: a.Detail, At: at})
		if a.Refuses() {
			refused = append(refused, a.Detail)
		}
	}
	if len(refused) > 0 {
		return r, exitcode.Abortedf("error-budget guard refused to start %s: %s; wait for the budget to recover, or lower --budget-policy-min (policy: docs/slo.md)",
			experiment, strings.Join(refused, "; "))
	}
	if g.policy.BurnRateCap == 0 || (c.Prom == nil && c.Loki == nil) {
		r.Decisions = append(r.Decisions, Decision{Name: DecisionBurnCap, Outcome: "off", Detail: "no burn-rate cap (--burn-rate-cap 0, or no Prometheus nor Loki)", At: at})
		return r, nil
	}
	detail := fmt.Sprintf("the run is aborted when an SLO burns its budget faster than %g× over the run so far (at most the last 5m, at least %d events), on two checks %s apart; the service's burn, whatever causes it",
		g.policy.BurnRateCap, DefaultMinEvents, DefaultCheckEvery)
	var unwatched []string // LogQL SLOs without a Loki
	for _, s := range g.slos {
		if s.Source == SourceLoki && c.Loki == nil {
			unwatched = append(unwatched, s.ID())
		}
	}
	if len(unwatched) > 0 {
		detail += "; not watched (LogQL, no Loki: --loki-url): " + strings.Join(unwatched, ", ")
	}
	r.Decisions = append(r.Decisions, Decision{Name: DecisionBurnCap, Outcome: "armed", Detail: detail, At: at})
	r.Watch = func(ctx context.Context) *Trip { return g.policy.Watch(ctx, c, g.slos, time.Now()) }
	return r, nil
}
