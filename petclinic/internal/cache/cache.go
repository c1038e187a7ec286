// Package cache is the vets cache of Spring PetClinic (@Cacheable("vets") on
// VetRepository.findAll) as a decorator of petclinic.Store: Vets is read
// cache-aside, every write that can change what Vets returns evicts it, and
// everything else goes straight to the store.
//
// The cache is an optimisation, never a dependency: when the backend (Redis)
// is slow or down, a request pays at most one backend operation bounded by
// Options.Timeout, then the backend is skipped for Options.RetryInterval, and
// the answer comes from the store. Failures are counted in
// cache_errors_total and logged at most once per Options.LogInterval.
//
// # Metrics
//
// As Micrometer's cache binders with Spring Boot's CacheMetricsRegistrar,
// labelled cache="vets", cacheManager="cacheManager", name="vets":
//
//   - cache_gets_total{result="hit"|"miss"}: a backend error counts as a
//     miss, since the store answers.
//   - cache_puts_total: values stored.
//   - cache_evictions_total: invalidations after writes (Spring's
//     @CacheEvict); TTL expiry is not counted.
//   - cache_size: entries held, for the in-process backend only (Redis does
//     not expose it in Micrometer either).
//   - cache_errors_total{operation="get"|"put"|"evict"}: ours, backend
//     operations that failed or timed out, and values that did not decode.
//
// # Where this differs from Spring PetClinic
//
// Spring PetClinic's JCache "vets" cache never expires; here entries live
// Options.TTL (10m), which bounds staleness when an eviction is missed on
// another instance. With Redis the value is JSON under "petclinic:vets"
// (Spring's RedisCache would write JDK-serialised bytes under
// "vets::SimpleKey []"), so other tools can read it.
package cache

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/gamedayhq/gameday/petclinic"
	"github.com/prometheus/client_golang/prometheus"
)

// Backend keeps cached values. Implementations must honour ctx's deadline.
type Backend interface {
	// Get returns the value under key; ok is false when there is none.
	Get(ctx context.Context, key string) (value []byte, ok bool, err error)
	// Set stores value under key for ttl.
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error
	// Delete removes key; a missing key is not an error.
	Delete(ctx context.Context, key string) error
	Close() error
}

// Options configures Wrap. Zero values take the defaults.
type Options struct {
	// TTL bounds how long a cached list lives, and so how stale it can be
	// when another instance wrote while this one could not evict. Default 10m.
	TTL time.Duration
	// Key is the backend key. Default "petclinic:vets".
	Key string
	// Timeout bounds each backend operation. Default 50ms.
	Timeout time.Duration
	// RetryInterval is how long the backend is skipped after it failed.
	// Default 1s; negative retries on the next request.
	RetryInterval time.Duration
	// Registerer receives the cache metrics; nil means none.
	Registerer prometheus.Registerer
	// CacheManager is the cacheManager label. Default "cacheManager", the
	// name of Spring Boot's bean.
	CacheManager string
	// Logger receives backend failures; nil discards them.
	Logger *slog.Logger
	// LogInterval is the least time between two failure logs. Default 1m.
	LogInterval time.Duration
}

// Defaults of Options.
const (
	DefaultKey           = "petclinic:vets"
	DefaultTTL           = 10 * time.Minute
	DefaultTimeout       = 50 * time.Millisecond
	DefaultRetryInterval = time.Second
	DefaultLogInterval   = time.Minute
)

const cacheName = "vets"

func (o *Options) defaults() {
	if o.TTL <= 0 {
		o.TTL = DefaultTTL
	}
	if o.Key == "" {
		o.Key = DefaultKey
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.RetryInterval == 0 {
		o.RetryInterval = DefaultRetryInterval
	}
	if o.CacheManager == "" {
		o.CacheManager = "cacheManager"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.LogInterval <= 0 {
		o.LogInterval = DefaultLogInterval
	}
}

// Store is the caching decorator Wrap returns.
type Store struct {
	petclinic.Store
	backend Backend
	opts    Options
	m       *metrics
	now     func() time.Time

	// generation grows with every eviction, so that a reader that loaded
	// the list before a write does not put it back after the eviction.
	generation atomic.Uint64
	// dirty records an eviction the backend missed; the next read retries it
	// before trusting the backend.
	dirty atomic.Bool
	// skipUntil is when (unix nanoseconds) to try the backend again.
	skipUntil atomic.Int64
	failing   atomic.Bool
	lastLog   atomic.Int64
	muted     atomic.Int64

	// decoded is the last value read from the backend with its decoded
	// vets: a hit whose bytes are the same is copied from it instead of
	// decoded again (JSON decoding was a fifth of /vets.html's CPU).
	decoded atomic.Pointer[decodedVets]
}

type decodedVets struct {
	value []byte
	vets  []*petclinic.Vet
}

var _ petclinic.Store = (*Store)(nil)

// Wrap returns s with its vets cached in b. Close closes both. Metrics go to
// opts.Registerer; wrapping a second store with the same registerer shares
// them, and a conflicting metric already registered there is a programming
// error that panics.
func Wrap(s petclinic.Store, b Backend, opts Options) petclinic.Store {
	opts.defaults()
	c := &Store{Store: s, backend: b, opts: opts, now: time.Now}
	c.m = newMetrics(opts.Registerer, opts.CacheManager, b)
	return c
}

// Vets returns the cached vets, loading and caching them on a miss.
func (c *Store) Vets(ctx context.Context) ([]*petclinic.Vet, error) {
	gen := c.generation.Load()
	useBackend := c.backendUsable()
	if useBackend && c.dirty.Load() {
		if err := c.op(ctx, "evict", func(ctx context.Context) error { return c.backend.Delete(ctx, c.opts.Key) }); err != nil {
			useBackend = false
		} else if c.generation.Load() == gen {
			c.dirty.Store(false)
		}
	}
	if useBackend {
		var (
			value []byte
			ok    bool
		)
		err := c.op(ctx, "get", func(ctx context.Context) error {
			var err error
			value, ok, err = c.backend.Get(ctx, c.opts.Key)
			return err
		})
		switch {
		case err != nil:
			useBackend = false
		case ok:
			vets, err := c.decode(value)
			if err == nil {
				c.m.hits.Inc()
				return vets, nil
			}
			c.m.errors.WithLabelValues("get").Inc()
			c.logFailure("get", err)
		}
	}
	c.m.misses.Inc()
	vets, err := c.Store.Vets(ctx)
	if err != nil {
		return nil, err
	}
	if useBackend && c.generation.Load() == gen {
		value := encodeVets(vets)
		err := c.op(ctx, "put", func(ctx context.Context) error {
			return c.backend.Set(ctx, c.opts.Key, value, c.opts.TTL)
		})
		if err == nil {
			c.m.puts.Inc()
		}
	}
	return vets, nil
}

// decode returns the vets value holds, a fresh copy every call: callers may
// keep or change what they get.
func (c *Store) decode(value []byte) ([]*petclinic.Vet, error) {
	if d := c.decoded.Load(); d != nil && bytes.Equal(d.value, value) {
		return copyVets(d.vets), nil
	}
	vets, err := decodeVets(value)
	if err != nil {
		return nil, err
	}
	c.decoded.Store(&decodedVets{value: bytes.Clone(value), vets: vets})
	return copyVets(vets), nil
}

// copyVets deep-copies vets in three allocations.
func copyVets(vets []*petclinic.Vet) []*petclinic.Vet {
	n := 0
	for _, v := range vets {
		n += len(v.Specialties)
	}
	out := make([]*petclinic.Vet, len(vets))
	backing := make([]petclinic.Vet, len(vets))
	specs := make([]petclinic.Specialty, 0, n)
	for i, v := range vets {
		backing[i] = *v
		start := len(specs)
		specs = append(specs, v.Specialties...)
		backing[i].Specialties = specs[start:len(specs):len(specs)]
		out[i] = &backing[i]
	}
	return out
}

// evict drops the cached list after a write, whether or not the write
// succeeded: a timed-out write may still have committed.
func (c *Store) evict(ctx context.Context) {
	c.generation.Add(1)
	if !c.backendUsable() {
		c.dirty.Store(true)
		return
	}
	// The write is done; a client that hung up must not leave a stale list.
	ctx = context.WithoutCancel(ctx)
	if err := c.op(ctx, "evict", func(ctx context.Context) error { return c.backend.Delete(ctx, c.opts.Key) }); err != nil {
		c.dirty.Store(true)
		return
	}
	c.m.evictions.Inc()
}

// op runs one backend operation under the timeout and books its failure.
func (c *Store) op(ctx context.Context, name string, f func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	err := f(ctx)
	if err != nil {
		c.m.errors.WithLabelValues(name).Inc()
		if c.opts.RetryInterval > 0 {
			c.skipUntil.Store(c.now().Add(c.opts.RetryInterval).UnixNano())
		}
		c.failing.Store(true)
		c.logFailure(name, err)
		return err
	}
	if c.failing.Swap(false) {
		c.opts.Logger.Info("vets cache backend available again", "cache", cacheName)
	}
	return nil
}

func (c *Store) backendUsable() bool {
	return c.now().UnixNano() >= c.skipUntil.Load()
}

// logFailure logs at most once per LogInterval, with the number of failures
// it did not log since the previous line.
func (c *Store) logFailure(op string, err error) {
	now := c.now().UnixNano()
	last := c.lastLog.Load()
	if now-last < int64(c.opts.LogInterval) || !c.lastLog.CompareAndSwap(last, now) {
		c.muted.Add(1)
		return
	}
	c.opts.Logger.Warn("vets cache backend failed, serving vets from the store",
		"cache", cacheName, "operation", op, "error", err.Error(), "unlogged_failures", c.muted.Swap(0))
}

// Close closes the store and the backend.
func (c *Store) Close() error {
	return errors.Join(c.Store.Close(), c.backend.Close())
}

func (c *Store) CreateVet(ctx context.Context, v *petclinic.Vet) error {
	defer c.evict(ctx)
	return c.Store.CreateVet(ctx, v)
}

func (c *Store) UpdateVet(ctx context.Context, v *petclinic.Vet) error {
	defer c.evict(ctx)
	return c.Store.UpdateVet(ctx, v)
}

func (c *Store) DeleteVet(ctx context.Context, id int) error {
	defer c.evict(ctx)
	return c.Store.DeleteVet(ctx, id)
}

func (c *Store) CreateSpecialty(ctx context.Context, s *petclinic.Specialty) error {
	defer c.evict(ctx)
	return c.Store.CreateSpecialty(ctx, s)
}

func (c *Store) UpdateSpecialty(ctx context.Context, s petclinic.Specialty) error {
	defer c.evict(ctx)
	return c.Store.UpdateSpecialty(ctx, s)
}

func (c *Store) DeleteSpecialty(ctx context.Context, id int) error {
	defer c.evict(ctx)
	return c.Store.DeleteSpecialty(ctx, id)
}

// wireVet is the JSON a cached vet is stored as; the tags keep the value
// readable with redis-cli and stable if the domain type grows.
type wireVet struct {
	ID          int             `json:"id"`
	FirstName   string          `json:"firstName"`
	LastName    string          `json:"lastName"`
	Specialties []wireSpecialty `json:"specialties"`
}

type wireSpecialty struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

func encodeVets(vets []*petclinic.Vet) []byte {
	out := make([]wireVet, len(vets))
	for i, v := range vets {
		out[i] = wireVet{ID: v.ID, FirstName: v.FirstName, LastName: v.LastName, Specialties: make([]wireSpecialty, len(v.Specialties))}
		for j, s := range v.Specialties {
			out[i].Specialties[j] = wireSpecialty(s)
		}
	}
	b, _ := json.Marshal(out) // cannot fail: plain strings and ints
	return b
}

func decodeVets(b []byte) ([]*petclinic.Vet, error) {
	var in []wireVet
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, fmt.Errorf("decode cached vets: %w", err)
	}
	if in == nil {
		return nil, errors.New("decode cached vets: not a list")
	}
	out := make([]*petclinic.Vet, len(in))
	for i, v := range in {
		out[i] = &petclinic.Vet{ID: v.ID, FirstName: v.FirstName, LastName: v.LastName, Specialties: make([]petclinic.Specialty, len(v.Specialties))}
		for j, s := range v.Specialties {
			out[i].Specialties[j] = petclinic.Specialty(s)
		}
	}
	return out, nil
}

type metrics struct {
	hits, misses, puts, evictions prometheus.Counter
	errors                        *prometheus.CounterVec
}

// sizer is a backend that knows how many entries it holds.
type sizer interface{ Len() int }

func newMetrics(reg prometheus.Registerer, manager string, b Backend) *metrics {
	labels := prometheus.Labels{"cache": cacheName, "cacheManager": manager, "name": cacheName}
	gets := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cache_gets_total", Help: "The number of times cache lookup methods have returned a cached (hit) or uncached (miss) value.",
		ConstLabels: labels,
	}, []string{"result"})
	puts := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "cache_puts_total", Help: "The number of entries added to the cache", ConstLabels: labels,
	})
	evictions := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "cache_evictions_total", Help: "The number of times the cache was evicted.", ConstLabels: labels,
	})
	errs := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cache_errors_total", Help: "The number of failed or timed-out cache backend operations.", ConstLabels: labels,
	}, []string{"operation"})
	if reg != nil {
		gets = register(reg, gets)
		puts = register(reg, puts)
		evictions = register(reg, evictions)
		errs = register(reg, errs)
		if s, ok := b.(sizer); ok {
			register(reg, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "cache_size", Help: "The number of entries in this cache.", ConstLabels: labels,
			}, func() float64 { return float64(s.Len()) }))
		}
	}
	return &metrics{
		hits: gets.WithLabelValues("hit"), misses: gets.WithLabelValues("miss"),
		puts: puts, evictions: evictions, errors: errs,
	}
}

// register registers c, or returns the collector already registered under
// the same name and labels, so that wrapping a second store shares them.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic(fmt.Sprintf("register cache metrics: %v", err))
	}
	return c
}
