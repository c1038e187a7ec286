package load

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// A Plan describes one load attack.
type Plan struct {
	Target   string        // base URL of PetClinic, e.g. http://127.0.0.1:8080
	Profile  Profile       // the request rate over time
	Duration time.Duration // cuts the profile short when shorter; 0: the profile's
	Mix      []Weighted    // default DefaultMix()
	RunID    string        // sent in X-Gameday-Run
	Header   http.Header   // added to every request (e.g. Authorization)
	Seed     uint64        // seeds the journey picks

	// Workers are started at once (default 10); more are started when every
	// one is busy, up to MaxWorkers.
	Workers uint64
	// LatencyBudget is the latency up to which the generator holds the
	// peak rate (default Timeout): it keeps up to peak × LatencyBudget
	// requests in flight. A target slower than that holds every worker,
	// and the generator sends late (the corrected latencies show it)
	// instead of piling requests up.
	LatencyBudget time.Duration
	// MaxWorkers caps the workers, and so the requests in flight; default
	// ceil(peak × LatencyBudget) + Workers, at most DefaultMaxInFlight.
	MaxWorkers uint64
	Timeout    time.Duration // per request, default 5 s
	// DisableKeepAlive opens a connection per request (keep-alive is on by
	// default, as browsers and load balancers do).
	DisableKeepAlive bool
	// LiveWindow is the longest trailing window read live from the
	// timeline (Timeline.Window, by the load probes): its seconds keep
	// their histograms that long.
	LiveWindow time.Duration

	// Timeline, when set, receives the results (for live Snapshots);
	// otherwise Start makes one. The attack starts at its Start.
	Timeline *Timeline
	// OnRecord, when set, also receives each result as the timeline
	// ingests it (the Kubernetes load workers stream them to the harness).
	OnRecord func(Record)
	// OnGenerator, when set, also receives the generator's figures of each
	// second as the timeline does.
	OnGenerator func(second int, g GeneratorSecond)
}

// ErrAborted is returned by Wait when the attack's context ended before the
// profile did. The timeline still holds everything measured until then.
var ErrAborted = errors.New("load: attack aborted")

// Defaults of a Plan.
const (
	DefaultWorkers = 10
	DefaultTimeout = 5 * time.Second
	// abortGrace bounds how long Wait waits for the workers to return
	// after an abort has canceled every request in flight.
	abortGrace = time.Second
	// endGrace is how long after the profile's end a generator that is
	// behind keeps sending; what it has not sent by then is Unsent.
	endGrace = time.Second
)

// A Run is an attack in progress.
type Run struct {
	a       *attacker
	done    chan struct{} // closed when every worker has returned
	aborted chan struct{} // closed when the context ended first
	cause   error
}

// Attack runs plan until its profile ends or ctx is done, and returns the
// timeline. On abort it returns within about a second with ErrAborted and
// what was measured.
func Attack(ctx context.Context, plan Plan) (*Timeline, error) {
	run, err := Start(ctx, plan)
	if err != nil {
		return nil, err
	}
	return run.Wait()
}

// Cap is the cap on workers (requests in flight) for a peak rate: enough to
// hold the rate while every request takes the latency budget, at most
// DefaultMaxInFlight; clipped says the bound cut it.
func Cap(peak float64, budget time.Duration, workers uint64) (limit uint64, clipped bool) {
	want := uint64(math.Ceil(peak*budget.Seconds())) + workers
	if want > DefaultMaxInFlight {
		return DefaultMaxInFlight, true
	}
	return want, false
}

// Start checks plan and starts the attack in the background.
func Start(ctx context.Context, plan Plan) (*Run, error) {
	if plan.Profile.Duration() == 0 {
		return nil, fmt.Errorf("load: plan has no rate profile")
	}
	profile := plan.Profile
	if plan.Duration > 0 && plan.Duration < profile.Duration() {
		profile = profile.truncate(plan.Duration)
	}
	plan.Workers = cmp.Or(plan.Workers, DefaultWorkers)
	plan.Timeout = cmp.Or(plan.Timeout, DefaultTimeout)
	plan.LatencyBudget = cmp.Or(plan.LatencyBudget, plan.Timeout)
	limit, clipped := Cap(profile.MaxRate(), plan.LatencyBudget, plan.Workers)
	if plan.MaxWorkers != 0 {
		limit, clipped = plan.MaxWorkers, plan.MaxWorkers < limit
	}
	plan.Workers = min(plan.Workers, limit)

	targeter, err := NewTargeter(TargeterConfig{Base: plan.Target, Mix: plan.Mix, RunID: plan.RunID, Header: plan.Header, Seed: plan.Seed})
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	tl := plan.Timeline
	if tl == nil {
		tl = NewTimeline(TimelineConfig{Start: time.Now(), SealAfter: max(plan.Timeout+2*time.Second, plan.LiveWindow+time.Second), Profile: &profile})
	}
	tl.describe(Generator{MaxInFlight: limit, LatencyBudget: plan.LatencyBudget, Clipped: clipped, Cores: cores()})

	actx, cancel := context.WithCancelCause(ctx)
	a := &attacker{
		plan: plan, profile: profile, tl: tl, targeter: targeter, ctx: actx,
		start: tl.Start(), limit: limit, clipped: clipped,
		ticks: make(chan time.Time), stop: make(chan struct{}),
		transport: newTransport(plan.DisableKeepAlive, int(limit)),
	}
	run := &Run{a: a, done: make(chan struct{}), aborted: make(chan struct{})}
	for range plan.Workers {
		a.spawn()
	}
	paced := make(chan struct{})
	go func() {
		defer close(paced)
		a.pace()
	}()
	monitored := make(chan struct{})
	go func() {
		defer close(monitored)
		a.monitor(paced)
	}()
	stopWatch := context.AfterFunc(ctx, func() {
		run.cause = context.Cause(ctx)
		close(run.aborted)
		a.halt()
	})
	go func() {
		<-paced
		close(a.ticks)
		a.workers.Wait()
		<-monitored
		stopWatch()
		cancel(nil)
		close(run.done)
	}()
	return run, nil
}

// Timeline is the live timeline of the attack.
func (r *Run) Timeline() *Timeline { return r.a.tl }

// Stop stops sending requests; Wait then returns once those in flight are
// done, without error. To abort (cancel in-flight requests, ErrAborted),
// cancel the context given to Start.
func (r *Run) Stop() { r.a.halt() }

// Wait blocks until the attack ends and every result is in, then seals
// and returns the timeline. After an abort it waits at most abortGrace for
// the requests in flight (which the abort canceled) and returns ErrAborted.
func (r *Run) Wait() (*Timeline, error) {
	select {
	case <-r.done:
	case <-r.aborted:
		select {
		case <-r.done:
		case <-time.After(abortGrace):
		}
	}
	r.a.detached.Store(true)
	r.a.transport.CloseIdleConnections()
	r.a.tl.Seal()
	select {
	case <-r.aborted:
		return r.a.tl, fmt.Errorf("%w: %w", ErrAborted, r.cause)
	default:
		return r.a.tl, nil
	}
}

// attacker is one attack: a pacer that hands each hit, at its intended
// time, to an idle worker (starting one while fewer than limit run), and
// a monitor that measures how far behind the pacer is and why.
//
// The pacer never queues: when every worker is busy it waits, and the
// hits due meanwhile are sent late, as soon as a worker frees up, each
// with its intended time (so its corrected latency counts the wait).
// Memory is the workers and their connections, at most limit of each.
type attacker struct {
	plan      Plan
	profile   Profile
	tl        *Timeline
	targeter  *Targeter
	transport *http.Transport
	ctx       context.Context // canceled when the attack is aborted
	start     time.Time
	limit     uint64
	clipped   bool

	ticks    chan time.Time // intended send times, to idle workers
	stop     chan struct{}  // closed by halt
	stopOnce sync.Once
	workers  sync.WaitGroup
	// The pacer's alone: workers started, and the gate on starting more.
	nworkers         uint64
	gate             schedWaits
	gateAt, windowAt time.Duration // last read of the gate, start of the spawn window
	boundUntil       time.Duration
	spawnedInWindow  uint64
	detached         atomic.Bool

	// Published by the pacer for the monitor (nanoseconds from start).
	due        atomic.Int64 // intended time of the hit being dispatched
	idle       atomic.Bool  // waiting for a hit that is not yet due, or done
	debt       atomic.Int64 // lateness owed to the target (it held every worker)
	blockedAt  atomic.Int64 // when the pacer began to wait for a worker, 0: not waiting
	targetHeld atomic.Bool  // that wait is the target's doing
	// Kept by the workers: requests in flight, and the sum of their send
	// times (nanoseconds from start), for their mean age.
	inflight     atomic.Int64
	inflightSent atomic.Int64
}

func (a *attacker) halt() { a.stopOnce.Do(func() { close(a.stop) }) }

func (a *attacker) since() time.Duration { return time.Since(a.start) }

func (a *attacker) spawn() {
	a.nworkers++
	a.workers.Add(1)
	go func() {
		defer a.workers.Done()
		for intended := range a.ticks {
			a.hit(intended)
		}
	}()
}

// pace dispatches every hit of the profile.
func (a *attacker) pace() {
	defer func() {
		a.idle.Store(true)
		a.tl.setWorkers(a.nworkers)
	}()
	total := uint64(math.Ceil(a.profile.Hits(a.profile.Duration()) - 1e-9))
	end := a.profile.Duration() + endGrace
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for n := uint64(0); ; n++ {
		due, ok := a.profile.at(float64(n))
		if !ok {
			return
		}
		a.due.Store(int64(due))
		now := a.since()
		if now > end {
			a.tl.setUnsent(total - n)
			return
		}
		if late := now - due; late < time.Duration(a.debt.Load()) {
			a.debt.Store(int64(max(late, 0))) // caught up: what the target owed is paid
		}
		if wait := due - now; wait > 0 {
			a.idle.Store(true)
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-a.stop:
				return
			case <-a.ctx.Done():
				return
			}
			a.idle.Store(false)
		}
		intended := a.start.Add(due)
		select {
		case a.ticks <- intended:
			continue
		case <-a.stop:
			return
		case <-a.ctx.Done():
			return
		default: // every worker is busy
		}
		if a.nworkers < a.limit && a.maySpawn() {
			a.spawn()
		} else {
			a.targetHeld.Store(a.heldByTarget())
			a.blockedAt.Store(int64(max(a.since(), 1)))
		}
		select {
		case a.ticks <- intended:
		case <-a.stop:
			return
		case <-a.ctx.Done():
			return
		}
		if b := a.blockedAt.Swap(0); b != 0 && a.targetHeld.Load() {
			a.debt.Add(int64(a.since()) - b)
		}
	}
}

// maySpawn reports whether the pacer may start one more worker now: not
// when the goroutines it has already wait to run (the CPU, not the
// target, is the limit: another worker would add contention, not
// throughput; once seen, for sampleEvery), and at most twice the workers
// every gateEvery, so that the gate is read during a burst of starts.
func (a *attacker) maySpawn() bool {
	now := a.since()
	if now-a.gateAt >= 10*time.Millisecond {
		a.gateAt = now
		if w, ok := a.gate.p90(); ok && w > CPUBoundWait {
			a.boundUntil = now + sampleEvery // a busy CPU stays busy a while
		}
	}
	if now < a.boundUntil {
		return false
	}
	if now-a.windowAt >= gateEvery {
		a.windowAt, a.spawnedInWindow = now, 0
	}
	if a.spawnedInWindow >= max(a.nworkers, DefaultWorkers) {
		return false
	}
	a.spawnedInWindow++
	return true
}

// heldByTarget says whose doing it is that no worker is free. The
// generator's when it could start another (the CPU gate or the growth
// limit said no) or the CPU is busy; the target's when every worker of
// the budget's cap waits on it; with a cap the generator's bound cut
// (Clipped), the target's only when its requests take the latency budget
// (their mean age in flight is about half their latency), else the bound
// is too low for the rate.
func (a *attacker) heldByTarget() bool {
	now := a.since()
	switch {
	case a.nworkers < a.limit, now < a.boundUntil:
		return false
	case !a.clipped:
		return true
	}
	n := a.inflight.Load()
	if n <= 0 {
		return false
	}
	age := now - time.Duration(a.inflightSent.Load()/n)
	return 2*age >= a.plan.LatencyBudget
}

// lag is how far behind the pacer is now, and how much of it is its own
// fault (not the target's holding every worker).
func (a *attacker) lag() (behind, own time.Duration, held bool) {
	if a.idle.Load() {
		return 0, 0, false
	}
	now := a.since()
	behind = max(now-time.Duration(a.due.Load()), 0)
	owed := time.Duration(a.debt.Load())
	if b := a.blockedAt.Load(); b != 0 && a.targetHeld.Load() {
		owed += now - time.Duration(b)
		held = true
	}
	return behind, max(behind-owed, 0), held
}

// monitor samples the generator every sampleEvery and writes its figures
// for each second into the timeline, until the pacer is done. More often,
// it reads how long runnable goroutines waited to run: when most waited
// long, the CPU (the process's or the machine's) is the limit.
func (a *attacker) monitor(paced <-chan struct{}) {
	tick := time.NewTicker(gateEvery)
	defer tick.Stop()
	var g GeneratorSecond
	var sched schedWaits
	sec, ticks := 0, 0
	cpu0, wall0 := cpuTime(), time.Now()
	flush := func(now time.Time) {
		cpu := cpuTime()
		if wall := now.Sub(wall0); wall > 0 {
			g.CPU = (cpu - cpu0).Seconds() / wall.Seconds()
		}
		cpu0, wall0 = cpu, now
		g.Saturated = g.Lag > SaturationLag
		a.tl.AddGenerator(sec, g)
		if a.plan.OnGenerator != nil {
			a.plan.OnGenerator(sec, g)
		}
		g = GeneratorSecond{}
	}
	for {
		select {
		case <-paced:
			flush(time.Now())
			return
		case now := <-tick.C:
			if w, ok := sched.p90(); ok {
				g.SchedWait = max(g.SchedWait, w)
			}
			if ticks++; ticks%int(sampleEvery/gateEvery) != 0 {
				continue
			}
			behind, own, held := a.lag()
			if s := int(now.Sub(a.start) / time.Second); s > sec {
				flush(now)
				sec = s
			}
			g.Behind, g.Lag = max(g.Behind, behind), max(g.Lag, own)
			g.InFlight = max(g.InFlight, uint64(max(a.inflight.Load(), 0)))
			g.HeldBack = g.HeldBack || held
		}
	}
}

// hit sends one request and records it.
func (a *attacker) hit(intended time.Time) {
	h := a.targeter.next()
	sent := time.Now()
	at := int64(sent.Sub(a.start))
	a.inflightSent.Add(at)
	a.inflight.Add(1)
	code, class := a.do(h)
	lat := time.Since(sent)
	a.inflight.Add(-1)
	a.inflightSent.Add(-at)
	if a.detached.Load() {
		return
	}
	rec := Record{At: sent, Intended: intended, Latency: lat, Code: code, Class: class, Journey: h.journey}
	a.tl.Add(rec)
	if a.plan.OnRecord != nil {
		a.plan.OnRecord(rec)
	}
}

// do makes the request and reads the response to its end.
func (a *attacker) do(h hit) (int, ErrorClass) {
	ctx, cancel := context.WithTimeout(a.ctx, a.plan.Timeout)
	defer cancel()
	var body io.Reader
	if h.body != nil {
		body = bytes.NewReader(h.body)
	}
	req, err := http.NewRequestWithContext(ctx, h.method, h.url, body)
	if err != nil {
		return 0, ClassOther
	}
	req.Header = h.header
	resp, err := a.transport.RoundTrip(req)
	if err != nil {
		return 0, a.classify(err, ctx)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	switch {
	case err != nil:
		return resp.StatusCode, a.classify(err, ctx)
	case !Succeeded(resp.StatusCode):
		return resp.StatusCode, StatusClass(resp.StatusCode)
	case h.expect != 0 && resp.StatusCode != h.expect:
		return resp.StatusCode, StatusClass(resp.StatusCode) // e.g. a form POST re-rendered with its errors
	}
	return resp.StatusCode, ""
}

func newTransport(disableKeepAlive bool, conns int) *http.Transport {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:               nil, // load goes to the target, never through a proxy
		DialContext:         dialer.DialContext,
		MaxIdleConnsPerHost: conns, // at most one per worker
		MaxIdleConns:        conns,
		DisableKeepAlives:   disableKeepAlive,
		IdleConnTimeout:     90 * time.Second,
	}
}

// classify names the transport error of a request made with reqCtx.
func (a *attacker) classify(err error, reqCtx context.Context) ErrorClass {
	if a.ctx.Err() != nil {
		return ClassCanceled
	}
	var netErr net.Error
	switch {
	case reqCtx.Err() != nil, errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return ClassTimeout
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed),
		strings.Contains(err.Error(), "connection"):
		return ClassConnection
	default:
		return ClassOther
	}
}
