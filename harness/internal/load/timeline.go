package load

import (
	"cmp"
	"slices"
	"strconv"
	"sync"
	"time"
)

// An ErrorClass names why a request did not succeed: an HTTP status
// ("http_503"), a timeout, a connection failure, or another error.
type ErrorClass string

const (
	// ClassTimeout: the request outlived the attack's timeout.
	ClassTimeout ErrorClass = "timeout"
	// ClassConnection: the connection was refused, reset or closed early.
	ClassConnection ErrorClass = "connection"
	// ClassOther: any other transport error (bad URL, TLS, DNS...).
	ClassOther ErrorClass = "other"
	// ClassCanceled: the attack was aborted while the request was in
	// flight. Canceled requests are counted apart, never as errors.
	ClassCanceled ErrorClass = "canceled"
)

// StatusClass is the class of a response whose status is not a success.
func StatusClass(code int) ErrorClass { return ErrorClass("http_" + strconv.Itoa(code)) }

// Succeeded reports whether a response with this status counts as a
// success: 2xx and 3xx (redirects are not followed: PetClinic answers a
// successful form POST with 303/302), as vegeta counts them.
func Succeeded(code int) bool { return code >= 200 && code < 400 }

// A Record is the outcome of one request, as the timeline ingests it.
type Record struct {
	At time.Time // when the request was sent
	// Intended is when the rate profile scheduled it (zero: At). A request
	// sent late, because every worker was busy or the generator was
	// starved, keeps its intended time (coordinated omission).
	Intended time.Time
	Latency  time.Duration // from At until the response was read or the error occurred
	Code     int           // HTTP status, 0 when no response arrived
	Class    ErrorClass    // "" for a success
	Journey  string
}

// Late is how long after its intended time the request was sent.
func (r Record) Late() time.Duration {
	if r.Intended.IsZero() {
		return 0
	}
	return max(r.At.Sub(r.Intended), 0)
}

// Corrected is the latency from the intended send time: what a user who
// arrived on schedule waited (Late + Latency), corrected for coordinated
// omission as wrk2 and HdrHistogram do.
func (r Record) Corrected() time.Duration { return r.Late() + max(r.Latency, 0) }

// An ErrorCount is how many requests failed with one class.
type ErrorCount struct {
	Class ErrorClass `json:"class"`
	Count uint64     `json:"count"`
}

// A Second aggregates the requests sent during one second of the attack.
type Second struct {
	Start     time.Time     `json:"start"`
	Offset    time.Duration `json:"offset"`   // from the start of the timeline
	Target    float64       `json:"target"`   // hits the profile requested in this second
	Requests  uint64        `json:"requests"` // sent and completed, canceled ones excluded
	Successes uint64        `json:"successes"`
	Canceled  uint64        `json:"canceled,omitempty"`
	Errors    []ErrorCount  `json:"errors,omitempty"` // sorted by class
	// Latency from the actual send time (service time).
	P50 time.Duration `json:"p50"`
	P95 time.Duration `json:"p95"`
	P99 time.Duration `json:"p99"`
	Max time.Duration `json:"max"`
	// Latency from the intended send time (Record.Corrected).
	CorrectedP50 time.Duration `json:"correctedP50"`
	CorrectedP95 time.Duration `json:"correctedP95"`
	CorrectedP99 time.Duration `json:"correctedP99"`
	CorrectedMax time.Duration `json:"correctedMax"`
	// Late counts results that completed after the second was sealed:
	// they are in the counts and Max but not in the quantiles.
	Late uint64 `json:"late,omitempty"`
	// GeneratorSecond is what the generator measured of itself.
	GeneratorSecond
}

// SuccessRatio is Successes/Requests, 0 when nothing completed.
func (s Second) SuccessRatio() float64 { return ratio(s.Successes, s.Requests) }

// Rate is the achieved rate: requests sent in this second.
func (s Second) Rate() float64 { return float64(s.Requests + s.Canceled) }

// A Summary aggregates a whole run or one journey.
type Summary struct {
	Name      string        `json:"name,omitempty"`
	Requests  uint64        `json:"requests"`
	Successes uint64        `json:"successes"`
	Canceled  uint64        `json:"canceled,omitempty"`
	Errors    []ErrorCount  `json:"errors,omitempty"`
	Mean      time.Duration `json:"mean"`
	P50       time.Duration `json:"p50"`
	P95       time.Duration `json:"p95"`
	P99       time.Duration `json:"p99"`
	Max       time.Duration `json:"max"`
	// Latency from the intended send time (Record.Corrected).
	CorrectedMean time.Duration `json:"correctedMean"`
	CorrectedP50  time.Duration `json:"correctedP50"`
	CorrectedP95  time.Duration `json:"correctedP95"`
	CorrectedP99  time.Duration `json:"correctedP99"`
	CorrectedMax  time.Duration `json:"correctedMax"`
}

// SuccessRatio is Successes/Requests, 0 when nothing completed.
func (s Summary) SuccessRatio() float64 { return ratio(s.Successes, s.Requests) }

// A Snapshot is the live state of an attack, for progress display.
type Snapshot struct {
	Elapsed      time.Duration // latest completion seen, from the start
	Requests     uint64        // completed since the start
	Errors       uint64
	Window       time.Duration // span of Rate, SuccessRatio and P99
	Rate         float64       // achieved requests per second over Window
	SuccessRatio float64       // over Window
	P99          time.Duration // over Window, from the actual send time
	CorrectedP99 time.Duration // over Window, from the intended send time
	// Generator is the generator's own state in the last complete second
	// (its lag, requests in flight, CPU, saturation).
	Generator GeneratorSecond
}

func ratio(a, b uint64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// counts is what every aggregate keeps beside its histogram.
type counts struct {
	requests, successes, canceled uint64
	errors                        []ErrorCount
}

func (c *counts) add(class ErrorClass) {
	switch class {
	case "":
		c.requests++
		c.successes++
	case ClassCanceled:
		c.canceled++
	default:
		c.requests++
		i, found := slices.BinarySearchFunc(c.errors, class, func(e ErrorCount, k ErrorClass) int { return cmp.Compare(e.Class, k) })
		if !found {
			c.errors = slices.Insert(c.errors, i, ErrorCount{Class: class})
		}
		c.errors[i].Count++
	}
}

func (c *counts) failed() uint64 { return c.requests - c.successes }

type aggregate struct {
	counts
	hist, corr histogram
}

func (a *aggregate) summary(name string) Summary {
	return Summary{
		Name: name, Requests: a.requests, Successes: a.successes, Canceled: a.canceled,
		Errors: slices.Clone(a.errors), Mean: a.hist.mean(),
		P50: a.hist.quantile(0.50), P95: a.hist.quantile(0.95), P99: a.hist.quantile(0.99), Max: a.hist.max,
		CorrectedMean: a.corr.mean(), CorrectedP50: a.corr.quantile(0.50), CorrectedP95: a.corr.quantile(0.95),
		CorrectedP99: a.corr.quantile(0.99), CorrectedMax: a.corr.max,
	}
}

type second struct {
	counts
	hist, corr   *histogram // nil once sealed (or before the first latency)
	late         uint64
	max, corrMax time.Duration
	p, pc        [3]time.Duration // p50, p95, p99 (service, corrected) once sealed
	gen          GeneratorSecond
}

// A Timeline aggregates request outcomes per second of an attack in bounded
// memory: no per-request data is kept. Each second keeps two fixed-size
// latency histograms (8 KiB each: from the actual and from the intended
// send time) while results may still land in it; once no result can
// arrive any more (SealAfter past its end, measured on the latest
// completion seen), its quantiles are computed and the histograms are
// recycled, leaving about 300 bytes per second of run. Totals and
// per-journey aggregates keep full histograms. Safe for concurrent use.
type Timeline struct {
	mu        sync.Mutex
	start     time.Time
	sealAfter time.Duration
	target    func(from, to time.Duration) float64

	secs     []second
	sealed   int // secs[:sealed] are sealed
	latest   time.Duration
	total    aggregate
	journeys map[string]*aggregate
	pool     []*histogram
	genSecs  int       // seconds whose generator figures were written
	gen      Generator // the generator's description, set by the attack
}

// TimelineConfig configures a Timeline.
type TimelineConfig struct {
	// Start is the origin of the per-second buckets.
	Start time.Time
	// SealAfter is how long after its end a second can still receive
	// results: the attack's timeout plus slack, and at least the longest
	// trailing window a live reader asks of Window. Default and minimum 8 s.
	SealAfter time.Duration
	// Profile, when set, fills each Second's Target.
	Profile *Profile
}

// minSealAfter keeps the last 5 s open for Snapshot, with slack.
const minSealAfter = 8 * time.Second

// snapshotWindow is the span of a Snapshot's rates and quantiles.
const snapshotWindow = 5 * time.Second

// NewTimeline returns an empty timeline.
func NewTimeline(c TimelineConfig) *Timeline {
	t := &Timeline{start: c.Start, sealAfter: max(c.SealAfter, minSealAfter), journeys: map[string]*aggregate{}}
	if p := c.Profile; p != nil {
		t.target = func(from, to time.Duration) float64 { return p.Hits(to) - p.Hits(from) }
	}
	return t
}

// Start is the origin of the timeline.
func (t *Timeline) Start() time.Time { return t.start }

// Add ingests one request outcome.
func (t *Timeline) Add(r Record) {
	off := max(r.At.Sub(t.start), 0)
	i := int(off / time.Second)

	t.mu.Lock()
	defer t.mu.Unlock()
	for len(t.secs) <= i {
		t.secs = append(t.secs, second{})
	}
	s := &t.secs[i]
	s.add(r.Class)
	t.total.add(r.Class)
	j := t.journeys[r.Journey]
	if j == nil {
		j = &aggregate{}
		t.journeys[r.Journey] = j
	}
	j.add(r.Class)
	if r.Class != ClassCanceled {
		lat, corr := max(r.Latency, 0), r.Corrected()
		switch {
		case i < t.sealed:
			s.late++
		case s.hist == nil:
			s.hist, s.corr = t.newHistogram(), t.newHistogram()
			fallthrough
		default:
			s.hist.record(lat)
			s.corr.record(corr)
		}
		s.max, s.corrMax = max(s.max, lat), max(s.corrMax, corr)
		t.total.hist.record(lat)
		t.total.corr.record(corr)
		j.hist.record(lat)
		j.corr.record(corr)
	}
	t.latest = max(t.latest, off+max(r.Latency, 0))
	t.sealUntil(t.latest - t.sealAfter)
}

func (t *Timeline) newHistogram() *histogram {
	if n := len(t.pool); n > 0 {
		h := t.pool[n-1]
		t.pool = t.pool[:n-1]
		return h
	}
	return new(histogram)
}

// sealUntil seals every second that ends at or before off.
func (t *Timeline) sealUntil(off time.Duration) {
	for t.sealed < len(t.secs) && time.Duration(t.sealed+1)*time.Second <= off {
		s := &t.secs[t.sealed]
		if s.hist != nil {
			s.p, s.pc = quantiles(s.hist), quantiles(s.corr)
			s.hist.reset()
			s.corr.reset()
			t.pool = append(t.pool, s.hist, s.corr)
			s.hist, s.corr = nil, nil
		}
		t.sealed++
	}
}

func quantiles(h *histogram) [3]time.Duration {
	return [3]time.Duration{h.quantile(0.50), h.quantile(0.95), h.quantile(0.99)}
}

// Seal seals every second: call it once no result can arrive any more.
func (t *Timeline) Seal() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sealUntil(time.Duration(len(t.secs)+1) * time.Second)
	t.pool = nil
}

func (t *Timeline) view(i int) Second {
	s := &t.secs[i]
	off := time.Duration(i) * time.Second
	p, pc := s.p, s.pc
	if s.hist != nil {
		p, pc = quantiles(s.hist), quantiles(s.corr)
	}
	out := Second{
		Start: t.start.Add(off), Offset: off, Requests: s.requests, Successes: s.successes,
		Canceled: s.canceled, Errors: slices.Clone(s.errors), Max: s.max, Late: s.late,
		P50: p[0], P95: p[1], P99: p[2],
		CorrectedP50: pc[0], CorrectedP95: pc[1], CorrectedP99: pc[2], CorrectedMax: s.corrMax,
		GeneratorSecond: s.gen,
	}
	if t.target != nil {
		out.Target = t.target(off, off+time.Second)
	}
	return out
}

// Seconds returns every second from the start to the last one that
// received a result, including empty ones.
func (t *Timeline) Seconds() []Second {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]Second, len(t.secs))
	for i := range t.secs {
		out[i] = t.view(i)
	}
	return out
}

// Total aggregates the whole run.
func (t *Timeline) Total() Summary {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.total.summary("")
}

// Journeys aggregates each journey, sorted by name.
func (t *Timeline) Journeys() []Summary {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]Summary, 0, len(t.journeys))
	for name, a := range t.journeys {
		out = append(out, a.summary(name))
	}
	slices.SortFunc(out, func(a, b Summary) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// window returns the seconds [from, to) clamped to the timeline.
func (t *Timeline) window(from, to int) []second {
	from, to = max(from, 0), min(to, len(t.secs))
	if from >= to {
		return nil
	}
	return t.secs[from:to]
}

// ErrorRatio is the share of failed requests among those sent during the
// last window (the seconds ending at the latest completion seen), and how
// many requests that is. Stop conditions compare it to a cap; they should
// ignore it while requests is too small to mean anything.
func (t *Timeline) ErrorRatio(window time.Duration) (ratioOfErrors float64, requests uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	last := int(t.latest / time.Second)
	var failed uint64
	for _, s := range t.window(last-int((window+time.Second-1)/time.Second)+1, last+1) {
		requests += s.requests
		failed += s.failed()
	}
	return ratio(failed, requests), requests
}

// Snapshot is the live state over the last complete seconds.
func (t *Timeline) Snapshot() Snapshot {
	t.mu.Lock()
	defer t.mu.Unlock()
	last := int(t.latest / time.Second) // the current, incomplete second
	n := int(snapshotWindow / time.Second)
	snap := Snapshot{Elapsed: t.latest, Requests: t.total.requests, Errors: t.total.failed()}
	var sent, done, ok uint64
	var h, c histogram
	secs := t.window(last-n, last)
	for _, s := range secs {
		sent += s.requests + s.canceled
		done += s.requests
		ok += s.successes
		if s.hist != nil {
			h.merge(s.hist)
			c.merge(s.corr)
		}
	}
	if len(secs) > 0 {
		snap.Window = time.Duration(len(secs)) * time.Second
		snap.Rate = float64(sent) / float64(len(secs))
		snap.SuccessRatio = ratio(ok, done)
		snap.P99, snap.CorrectedP99 = h.quantile(0.99), c.quantile(0.99)
	}
	// The generator writes a second's figures when it ends: the last
	// complete second is the one before the newest it wrote.
	if g := t.genSecs; g > 0 {
		snap.Generator = t.secs[g-1].gen
	}
	return snap
}

// A WindowSummary is what the requests sent during a trailing window
// measured; latencies are from the intended send time.
type WindowSummary struct {
	// Due is what the profile requested in the window (0 without a
	// profile); Requests and Successes what completed.
	Due                 float64
	Requests, Successes uint64
	P50, P95, P99       time.Duration // corrected (Record.Corrected)
	// Sealed counts seconds of the window whose histograms were already
	// recycled (SealAfter shorter than the window): their requests are
	// counted but not in the quantiles.
	Sealed int
}

// ErrorRatio is the share of failed requests, 0 when none completed.
func (w WindowSummary) ErrorRatio() float64 { return ratio(w.Requests-w.Successes, w.Requests) }

// Window summarises the requests sent in [from, to) (whole seconds of the
// timeline, clamped to it): the load probes read it.
func (t *Timeline) Window(from, to time.Time) WindowSummary {
	t.mu.Lock()
	defer t.mu.Unlock()
	lo := int(max(from.Sub(t.start), 0) / time.Second)
	hi := int(max(to.Sub(t.start), 0) / time.Second)
	var w WindowSummary
	var c histogram
	for _, s := range t.window(lo, hi) {
		w.Requests += s.requests
		w.Successes += s.successes
		switch {
		case s.corr != nil:
			c.merge(s.corr)
		case s.requests > 0:
			w.Sealed++
		}
	}
	w.P50, w.P95, w.P99 = c.quantile(0.50), c.quantile(0.95), c.quantile(0.99)
	if t.target != nil && hi > lo {
		w.Due = t.target(time.Duration(lo)*time.Second, time.Duration(hi)*time.Second)
	}
	return w
}
