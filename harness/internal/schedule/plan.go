package schedule

import (
	"fmt"
	"hash/fnv"
	"time"

	"github.com/robfig/cron/v3"
)

// Plan is a compiled schedule: its cron in its time zone and its windows
// (blackouts and the file's freezes). Every method is pure: the time is
// always an argument, never read.
type Plan struct {
	*Schedule
	Name    string
	Loc     *time.Location
	cron    cron.Schedule
	windows []window
}

// window is a compiled blackout or freeze.
type window struct {
	name, kind  string
	cron        cron.Schedule // recurring: its starts
	dur         time.Duration
	from, until time.Time // dated
}

// covers reports whether t falls inside the window: a recurring one covers
// [start, start+dur) for each start, a dated one [from, until).
func (w window) covers(t time.Time) bool {
	if w.cron == nil {
		return !t.Before(w.from) && t.Before(w.until)
	}
	// The first start after t-dur covers t when it is not after t.
	s := w.cron.Next(t.Add(-w.dur - time.Second))
	return !s.IsZero() && !s.After(t) && t.Before(s.Add(w.dur))
}

// horizon bounds the search for a fire (robfig/cron gives up after five
// years too).
const horizon = 5 * 366 * 24 * time.Hour

// next is the first fire strictly after t, and whether there is one.
func (p *Plan) next(t time.Time) (time.Time, bool) {
	n := p.cron.Next(t)
	return n, !n.IsZero() && n.Sub(t) < horizon
}

// Next is the first nominal fire strictly after t (the zero time if none).
func (p *Plan) Next(t time.Time) time.Time {
	n, _ := p.next(t)
	return n
}

// Jitter is the delay of the fire at nominal: in [0, Jitter), derived from
// the schedule's name and the fire's time, so a restarted scheduler picks
// the same one.
func (p *Plan) Jitter(nominal time.Time) time.Duration {
	j := p.Schedule.Jitter.D()
	if j <= 0 {
		return 0
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%s@%d", p.Name, nominal.Unix())
	return time.Duration(h.Sum64() % uint64(j))
}

// Interval is the longest gap between two fires over the next ~5 weeks from
// t (a weekday schedule: 3 days over the weekend): the unit of "no run for
// twice the interval" of the scheduler's alert.
func (p *Plan) Interval(t time.Time) time.Duration {
	return maxGap(p.cron, t, 35*24*time.Hour)
}

// Fire is one occurrence of a schedule: its nominal time (the cron's) and
// when it may start (nominal + jitter).
type Fire struct {
	Schedule string    `json:"schedule"`
	Nominal  time.Time `json:"nominal"`
	Start    time.Time `json:"start"`
}

// FireAt is the fire of p at nominal.
func (p *Plan) FireAt(nominal time.Time) Fire {
	return Fire{Schedule: p.Name, Nominal: nominal, Start: nominal.Add(p.Jitter(nominal))}
}

// Reason says why a fire did not run; it is a metric label, so a closed set.
type Reason string

// The reasons a fire is skipped.
const (
	ReasonSuspended  Reason = "suspended"
	ReasonBlackout   Reason = "blackout"
	ReasonFreeze     Reason = "freeze"
	ReasonDailyCap   Reason = "daily-cap"
	ReasonKillSwitch Reason = "kill-switch"
	ReasonBusy       Reason = "concurrency"
	ReasonBudget     Reason = "error-budget"
	ReasonMissed     Reason = "missed"
	ReasonDeadline   Reason = "starting-deadline"
	ReasonNotLeader  Reason = "not-leader"
	// ReasonLeftover: what a crashed run left behind (faults, load Jobs)
	// could not be removed, so a game day would overlap it.
	ReasonLeftover Reason = "leftover-chaos"
)

// Reasons lists every reason (metrics are initialised with all of them).
var Reasons = []Reason{ReasonSuspended, ReasonBlackout, ReasonFreeze, ReasonDailyCap, ReasonKillSwitch, ReasonBusy, ReasonBudget, ReasonMissed, ReasonDeadline, ReasonLeftover}

// Action is what becomes of a fire.
type Action string

// The actions.
const (
	Run   Action = "run"
	Skip  Action = "skip"
	Queue Action = "queue"
)

// Decision is what becomes of a fire, and why.
type Decision struct {
	Action Action
	Reason Reason
	// Detail is the sentence recorded with a skip.
	Detail string
}

// Facts are what the scheduler knows when a fire is due.
type Facts struct {
	// Now is the scheduler's clock.
	Now time.Time
	// Running names the schedule whose game day is running ("" none).
	Running string
	// StartedToday counts this schedule's runs started since midnight in
	// its time zone.
	StartedToday int
	// KillSwitch is engaged; KillSwitchDetail says where.
	KillSwitch       bool
	KillSwitchDetail string
}

// Decide is what becomes of the fire f of p given the facts, before the
// error budget is read (which needs Prometheus: see Plan.BudgetDecision).
// The checks, in order: suspended, starting deadline passed, blackout,
// freeze, daily cap, kill switch, another run in progress (forbid: skip;
// queue: queue).
func (p *Plan) Decide(f Fire, x Facts) Decision {
	skip := func(r Reason, format string, a ...any) Decision {
		return Decision{Action: Skip, Reason: r, Detail: fmt.Sprintf(format, a...)}
	}
	switch late := x.Now.Sub(f.Start); {
	case p.Suspend:
		return skip(ReasonSuspended, "schedule %s is suspended", p.Name)
	case late > p.StartingDeadline.D():
		return skip(ReasonDeadline, "could not start within its starting deadline %s (late by %s)", p.StartingDeadline.D(), late.Round(time.Second))
	}
	for _, w := range p.windows {
		if w.covers(f.Start) {
			r := ReasonBlackout
			if w.kind == "freeze" {
				r = ReasonFreeze
			}
			return skip(r, "inside %s %s", w.kind, w.name)
		}
	}
	if p.DailyCap > 0 && x.StartedToday >= p.DailyCap {
		return skip(ReasonDailyCap, "daily cap of %d runs reached (%s)", p.DailyCap, f.Start.In(p.Loc).Format("2006-01-02 MST"))
	}
	if x.KillSwitch {
		return skip(ReasonKillSwitch, "kill switch engaged (%s)", x.KillSwitchDetail)
	}
	if x.Running != "" {
		if p.Concurrency == ConcurrencyQueue {
			return Decision{Action: Queue, Detail: fmt.Sprintf("queued behind the run of schedule %s", x.Running)}
		}
		return skip(ReasonBusy, "a game day of schedule %s is running (concurrency: forbid)", x.Running)
	}
	return Decision{Action: Run}
}

// BudgetDecision turns the error budget read just before the start into a
// decision: a skip naming the SLOs under the policy, or run. An error
// reading the budget skips too: a schedule that asks for a budget policy
// does not run blind.
func (p *Plan) BudgetDecision(low []string, err error) Decision {
	switch {
	case p.Budget == nil:
		return Decision{Action: Run}
	case err != nil:
		return Decision{Action: Skip, Reason: ReasonBudget, Detail: fmt.Sprintf("error budget unknown: %s", err)}
	case len(low) > 0:
		return Decision{Action: Skip, Reason: ReasonBudget, Detail: fmt.Sprintf("error budget below %.0f%% left: %s", 100*p.Budget.MinRemaining, joinLimit(low, 3))}
	}
	return Decision{Action: Run}
}

// Due lists the nominal fires of p in (after, now], at most limit of them
// (the latest kept): what fell due since the last fire handled.
func (p *Plan) Due(after, now time.Time, limit int) (fires []time.Time, more int) {
	for t := after; ; {
		n, ok := p.next(t)
		if !ok || n.After(now) {
			break
		}
		fires = append(fires, n)
		if len(fires) > limit {
			fires = fires[1:]
			more++
		}
		t = n
	}
	return fires, more
}

// Catchup is what becomes of the fires that fell due in (after, now] while
// nothing handled them (the scheduler was down, or the clock jumped
// forward): every one but the latest is skipped as missed; the latest runs
// when the policy is run-once and it is within its starting deadline, else
// it is skipped too. The boolean is false when nothing fell due.
func (p *Plan) Catchup(after, now time.Time) (latest Fire, d Decision, skipped int, any bool) {
	fires, more := p.Due(after, now, 1)
	if len(fires) == 0 {
		return Fire{}, Decision{}, 0, false
	}
	latest = p.FireAt(fires[len(fires)-1])
	skipped = more
	switch late := now.Sub(latest.Start); {
	case p.Missed == MissedSkip:
		d = Decision{Action: Skip, Reason: ReasonMissed, Detail: fmt.Sprintf("missed at %s while the scheduler was not running (missed: skip)", latest.Nominal.In(p.Loc).Format(time.RFC3339))}
	case late > p.StartingDeadline.D():
		d = Decision{Action: Skip, Reason: ReasonMissed, Detail: fmt.Sprintf("missed at %s, past its starting deadline %s", latest.Nominal.In(p.Loc).Format(time.RFC3339), p.StartingDeadline.D())}
	default:
		d = Decision{Action: Run}
	}
	return latest, d, skipped, true
}

// DayStart is midnight of t's day in p's time zone.
func (p *Plan) DayStart(t time.Time) time.Time {
	l := t.In(p.Loc)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, p.Loc)
}

// minGap is the shortest time between two starts of s over the next year
// (0 when it cannot tell).
func minGap(s cron.Schedule, loc *time.Location) time.Duration {
	t := time.Date(2026, 1, 1, 0, 0, 0, 0, loc)
	end := t.Add(366 * 24 * time.Hour)
	var gap time.Duration
	prev := s.Next(t)
	for i := 0; i < 5000 && !prev.IsZero() && prev.Before(end); i++ {
		n := s.Next(prev)
		if n.IsZero() {
			break
		}
		if d := n.Sub(prev); gap == 0 || d < gap {
			gap = d
		}
		prev = n
	}
	return gap
}

// maxGap is the longest time between two starts of s in [t, t+span]
// (at most 5,000 fires looked at).
func maxGap(s cron.Schedule, t time.Time, span time.Duration) time.Duration {
	end := t.Add(span)
	var gap time.Duration
	prev := s.Next(t)
	for i := 0; i < 5000 && !prev.IsZero() && prev.Before(end); i++ {
		n := s.Next(prev)
		if n.IsZero() {
			break
		}
		gap = max(gap, n.Sub(prev))
		prev = n
	}
	return gap
}

func joinLimit(s []string, n int) string {
	out := ""
	for i, x := range s {
		if i == n {
			return out + fmt.Sprintf(" and %d more", len(s)-n)
		}
		if i > 0 {
			out += "; "
		}
		out += x
	}
	return out
}
