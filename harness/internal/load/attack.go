package load

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
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

	Workers    uint64        // initial vegeta workers, default 10
	MaxWorkers uint64        // cap on workers, default max(1000, peak rate × timeout + Workers)
	Timeout    time.Duration // per request, default 5 s
	// DisableKeepAlive opens a connection per request (keep-alive is on by
	// default, as browsers and load balancers do).
	DisableKeepAlive bool

	// Timeline, when set, receives the results (for live Snapshots);
	// otherwise Start makes one.
	Timeline *Timeline
	// OnRecord, when set, also receives each result as the timeline
	// ingests it (the Kubernetes load workers stream them to the harness).
	OnRecord func(Record)
}

// ErrAborted is returned by Wait when the attack's context ended before the
// profile did. The timeline still holds everything measured until then.
var ErrAborted = errors.New("load: attack aborted")

// Defaults of a Plan.
const (
	DefaultWorkers    = 10
	DefaultMaxWorkers = 1000 // the least MaxWorkers defaults to
	DefaultTimeout    = 5 * time.Second
	// abortGrace bounds how long Wait waits for vegeta's workers to return
	// after an abort has canceled every request in flight.
	abortGrace = time.Second
)

// A Run is an attack in progress.
type Run struct {
	timeline  *Timeline
	attacker  *vegeta.Attacker
	transport *transport
	done      chan struct{} // closed when every result has been ingested
	aborted   chan struct{} // closed when the context ended first
	cause     error
	// detached is set when Wait returns: stragglers of an abort are then
	// drained but no longer recorded.
	detached atomic.Bool
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
	if plan.MaxWorkers == 0 {
		plan.MaxWorkers = openModelWorkers(profile.MaxRate(), plan.Timeout, plan.Workers)
	}
	plan.MaxWorkers = max(plan.MaxWorkers, plan.Workers)

	targeter, err := NewTargeter(TargeterConfig{Base: plan.Target, Mix: plan.Mix, RunID: plan.RunID, Header: plan.Header, Seed: plan.Seed})
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}

	tr := newTransport(ctx, plan.DisableKeepAlive)
	attacker := vegeta.NewAttacker(
		vegeta.Client(&http.Client{Transport: tr}),
		vegeta.Redirects(vegeta.NoFollow),
		vegeta.Timeout(plan.Timeout),
		vegeta.Workers(plan.Workers),
		vegeta.MaxWorkers(plan.MaxWorkers),
		vegeta.MaxBody(0), // read and discard bodies: only status and latency matter
	)

	tl := plan.Timeline
	if tl == nil {
		tl = NewTimeline(TimelineConfig{Start: time.Now(), SealAfter: plan.Timeout + 2*time.Second, Profile: &profile})
	}
	run := &Run{timeline: tl, attacker: attacker, transport: tr, done: make(chan struct{}), aborted: make(chan struct{})}
	// No duration for vegeta: the profile stops after its last hit, even a
	// late one (vegeta's own cut-off would drop hits delayed by the
	// scheduler).
	results := attacker.Attack(targeter.Targeter(), profile, 0, "gameday")

	var abortOnce sync.Once
	stopWatch := context.AfterFunc(ctx, func() {
		abortOnce.Do(func() {
			run.cause = context.Cause(ctx)
			close(run.aborted)
		})
		attacker.Stop()
	})
	go func() {
		defer close(run.done)
		defer stopWatch()
		for res := range results {
			rec := tr.record(res)
			if !run.detached.Load() {
				tl.Add(rec)
				if plan.OnRecord != nil {
					plan.OnRecord(rec)
				}
			}
		}
	}()
	return run, nil
}

// openModelWorkers is enough workers to hold rate while every request
// takes the whole timeout: the load stays an open model, so a slow or
// failing target does not slow the load down (and hide the outage).
func openModelWorkers(rate float64, timeout time.Duration, workers uint64) uint64 {
	return max(uint64(math.Ceil(rate*timeout.Seconds()))+workers, DefaultMaxWorkers)
}

// Timeline is the live timeline of the attack.
func (r *Run) Timeline() *Timeline { return r.timeline }

// Stop stops sending requests; Wait then returns once those in flight are
// done, without error. To abort (cancel in-flight requests, ErrAborted),
// cancel the context given to Start.
func (r *Run) Stop() { r.attacker.Stop() }

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
	r.detached.Store(true)
	r.transport.base.CloseIdleConnections()
	r.timeline.Seal()
	select {
	case <-r.aborted:
		return r.timeline, fmt.Errorf("%w: %w", ErrAborted, r.cause)
	default:
		return r.timeline, nil
	}
}

// transport wraps an http.Transport to learn, for each request vegeta
// sends, its journey and how it failed: vegeta's Result only carries an
// error string. It also cancels requests in flight when the attack's
// context ends, so an abort does not wait for slow responses.
type transport struct {
	base     *http.Transport
	ctx      context.Context
	inflight sync.Map // vegeta sequence number → *requestMeta
}

type requestMeta struct {
	journey string
	expect  int        // the step's expected status, 0: any success
	class   ErrorClass // set when the round trip failed
}

func newTransport(ctx context.Context, disableKeepAlive bool) *transport {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return &transport{
		ctx: ctx,
		base: &http.Transport{
			Proxy:               nil, // load goes to the target, never through a proxy
			DialContext:         dialer.DialContext,
			MaxIdleConnsPerHost: vegeta.DefaultConnections,
			DisableKeepAlives:   disableKeepAlive,
			IdleConnTimeout:     90 * time.Second,
		},
	}
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	meta := &requestMeta{journey: req.Header.Get(HeaderJourney)}
	if seq, err := strconv.ParseUint(req.Header.Get("X-Vegeta-Seq"), 10, 64); err == nil {
		t.inflight.Store(seq, meta)
	}
	ctx, cancel := context.WithCancel(req.Context())
	stop := context.AfterFunc(t.ctx, cancel)
	out := req.WithContext(ctx)
	if e := req.Header.Get(headerExpect); e != "" {
		meta.expect, _ = strconv.Atoi(e)
		out.Header = req.Header.Clone() // a RoundTripper must not modify the request
		out.Header.Del(headerExpect)
	}
	resp, err := t.base.RoundTrip(out)
	if err != nil {
		stop()
		cancel()
		meta.class = t.classify(err, req.Context())
		return nil, err
	}
	resp.Body = &releasingBody{ReadCloser: resp.Body, release: func() { stop(); cancel() }}
	return resp, nil
}

// releasingBody releases the request's context once vegeta closed it.
type releasingBody struct {
	io.ReadCloser
	once    sync.Once
	release func()
}

func (b *releasingBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.release)
	return err
}

// classify names a transport error of a request sent with reqCtx.
func (t *transport) classify(err error, reqCtx context.Context) ErrorClass {
	if t.ctx.Err() != nil {
		return ClassCanceled
	}
	var netErr net.Error
	switch {
	// Only the client's timeout cancels a request when the attack was not
	// aborted; its timer may fire a hair before the context's deadline,
	// and the transport then says "request canceled".
	case reqCtx.Err() != nil, pastDeadline(reqCtx), errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return ClassTimeout
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		return ClassConnection
	default:
		return ClassOther
	}
}

func pastDeadline(ctx context.Context) bool {
	dl, ok := ctx.Deadline()
	return ok && time.Until(dl) < time.Millisecond
}

// record turns a vegeta result into a Record, with the journey and error
// class the transport saw.
func (t *transport) record(res *vegeta.Result) Record {
	var m requestMeta
	if v, ok := t.inflight.LoadAndDelete(res.Seq); ok {
		m = *v.(*requestMeta)
	}
	r := Record{At: res.Timestamp, Latency: res.Latency, Code: int(res.Code), Journey: m.journey, Class: m.class}
	if r.Class == "" {
		r.Class = classifyResult(res, t.ctx.Err() != nil)
	}
	if r.Class == "" && m.expect != 0 && r.Code != m.expect {
		r.Class = StatusClass(r.Code) // e.g. a form POST re-rendered with its errors
	}
	return r
}

// classifyResult classifies a result whose round trip succeeded (or never
// ran): by status, or by vegeta's error text for errors while reading the
// body.
func classifyResult(res *vegeta.Result, aborted bool) ErrorClass {
	switch {
	case res.Code != 0 && Succeeded(int(res.Code)) && res.Error == "":
		return ""
	case res.Code != 0:
		return StatusClass(int(res.Code))
	case aborted && strings.Contains(res.Error, "context canceled"):
		return ClassCanceled
	case strings.Contains(res.Error, "Client.Timeout"), strings.Contains(res.Error, "deadline exceeded"), strings.Contains(res.Error, "timeout"):
		return ClassTimeout
	case strings.Contains(res.Error, "connection"), strings.Contains(res.Error, "EOF"), strings.Contains(res.Error, "broken pipe"):
		return ClassConnection
	default:
		return ClassOther
	}
}
