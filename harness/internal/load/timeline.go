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
	At      time.Time     // when the request was sent
	Latency time.Duration // until the response was read or the error occurred
	Code    int           // HTTP status, 0 when no response arrived
	Class   ErrorClass    // "" for a success
	Journey string
}

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
	P50       time.Duration `json:"p50"`
	P95       time.Duration `json:"p95"`
	P99       time.Duration `json:"p99"`
	Max       time.Duration `json:"max"`
	// Late counts results that completed after the second was sealed:
	// they are in the counts and Max but not in the quantiles.
	Late uint64 `json:"late,omitempty"`
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
	P99          time.Duration // over Window
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
	hist histogram
}

func (a *aggregate) summary(name string) Summary {
	return Summary{
		Name: name, Requests: a.requests, Successes: a.successes, Canceled: a.canceled,
		Errors: slices.Clone(a.errors), Mean: a.hist.mean(),
		P50: a.hist.quantile(0.50), P95: a.hist.quantile(0.95), P99: a.hist.quantile(0.99), Max: a.hist.max,
	}
}

type second struct {
	counts
	hist *histogram // nil once sealed (or before the first latency)
	late uint64
	max  time.Duration
	p    [3]time.Duration // p50, p95, p99 once sealed
}

// A Timeline aggregates request outcomes per second of an attack in bounded
// memory: no per-request data is kept. Each second keeps a fixed-size
// latency histogram (8 KiB) while results may still land in it; once no
// result can arrive any more (SealAfter past its end, measured on the
// latest completion seen), its quantiles are computed and the histogram is
// recycled, leaving about 200 bytes per second of run. Totals and
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
}

// TimelineConfig configures a Timeline.
type TimelineConfig struct {
	// Start is the origin of the per-second buckets.
	Start time.Time
	// SealAfter is how long after its end a second can still receive
	// results: the attack's timeout plus slack. Default and minimum 8 s.
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
		lat := max(r.Latency, 0)
		switch {
		case i < t.sealed:
			s.late++
		case s.hist == nil:
			s.hist = t.newHistogram()
			fallthrough
		default:
			s.hist.record(lat)
		}
		s.max = max(s.max, lat)
		t.total.hist.record(lat)
		j.hist.record(lat)
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
			s.p = [3]time.Duration{s.hist.quantile(0.50), s.hist.quantile(0.95), s.hist.quantile(0.99)}
			s.hist.reset()
			t.pool = append(t.pool, s.hist)
			s.hist = nil
		}
		t.sealed++
	}
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
	out := Second{
		Start: t.start.Add(off), Offset: off, Requests: s.requests, Successes: s.successes,
		Canceled: s.canceled, Errors: slices.Clone(s.errors), Max: s.max, Late: s.late,
		P50: s.p[0], P95: s.p[1], P99: s.p[2],
	}
	if s.hist != nil {
		out.P50, out.P95, out.P99 = s.hist.quantile(0.50), s.hist.quantile(0.95), s.hist.quantile(0.99)
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
	var h histogram
	secs := t.window(last-n, last)
	for _, s := range secs {
		sent += s.requests + s.canceled
		done += s.requests
		ok += s.successes
		if s.hist != nil {
			h.merge(s.hist)
		}
	}
	if len(secs) > 0 {
		snap.Window = time.Duration(len(secs)) * time.Second
		snap.Rate = float64(sent) / float64(len(secs))
		snap.SuccessRatio = ratio(ok, done)
		snap.P99 = h.quantile(0.99)
	}
	return snap
}
