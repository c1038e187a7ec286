package load

import (
	"fmt"
	"math"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"syscall"
	"time"
)

// Saturation thresholds. The generator is behind "through its own fault"
// when it has hits due that it has not sent although a worker was free
// (or could be started): its CPU, or the machine's, is the limit, not the
// target. A second in which that lag exceeds SaturationLag is saturated;
// SaturationSeconds saturated seconds in a row make the run saturated.
const (
	SaturationLag     = 250 * time.Millisecond
	SaturationSeconds = 2
	// DefaultMaxInFlight bounds the cap derived from the rate and the
	// latency budget: each request in flight holds a worker goroutine and a
	// connection (36 KB with their buffers, measured), so 512 of them add
	// about 18 MB to the harness (44 MB idle): under 100 MB at any
	// requested rate. An explicit MaxWorkers may go higher.
	DefaultMaxInFlight = 512
	// CPUBoundWait: when 90 % of the goroutines that became runnable
	// waited longer than this to run, the generator is CPU-bound (its own
	// CPU, or the machine's, is the limit) and starts no more workers.
	// On this machine, loaded by other processes (load average 25) but not
	// by the generator, the 90th percentile stays under 0.05 ms; a
	// generator asked for more than the machine can send sees 3 to 270 ms.
	CPUBoundWait = time.Millisecond
	// sampleEvery is how often the generator samples its own lag, gateEvery
	// how often it reads the goroutines' waits.
	sampleEvery = 250 * time.Millisecond
	gateEvery   = 50 * time.Millisecond
)

// GeneratorSecond is what the load generator measured of itself during one
// second of the attack.
type GeneratorSecond struct {
	// Lag is the most the generator was behind the profile through its own
	// fault (due hits not sent while a worker was free); lateness caused by
	// the target holding every worker is not in it.
	Lag time.Duration `json:"lag"`
	// Behind is the most it was behind the profile for any reason.
	Behind time.Duration `json:"behind"`
	// InFlight is the most requests in flight (busy workers) sampled.
	InFlight uint64 `json:"inFlight"`
	// CPU is the cores this process used (user + system).
	CPU float64 `json:"cpu"`
	// SchedWait is the most, over the second's samples, that 90 % of the
	// runnable goroutines waited to run.
	SchedWait time.Duration `json:"schedWait"`
	// HeldBack: every worker was busy with requests slower than the latency
	// budget, so hits were sent late because of the target.
	HeldBack bool `json:"heldBack,omitempty"`
	// Saturated: Lag above SaturationLag.
	Saturated bool `json:"saturated,omitempty"`
}

// Generator describes the load generator of one attack and how it kept up.
type Generator struct {
	// MaxInFlight is the cap on requests in flight (= workers); Workers
	// how many the attack started.
	MaxInFlight uint64 `json:"maxInFlight"`
	Workers     uint64 `json:"workers"`
	// LatencyBudget is the latency up to which the cap holds the peak rate.
	LatencyBudget time.Duration `json:"latencyBudget"`
	// Clipped: peak rate × latency budget was above DefaultMaxInFlight, so
	// the cap is the generator's own bound, not the budget's.
	Clipped bool `json:"clipped,omitempty"`
	// Cores is GOMAXPROCS, the cores the generator may use.
	Cores int `json:"cores"`
	// Unsent counts hits the profile scheduled that were never sent: the
	// profile ended (plus a second of grace) while the generator was
	// behind.
	Unsent uint64 `json:"unsent,omitempty"`
	// MaxLag is the generator's largest own lag, MaxBehind its largest
	// lateness for any reason, PeakCPU its busiest second.
	MaxLag    time.Duration `json:"maxLag"`
	MaxBehind time.Duration `json:"maxBehind"`
	PeakCPU   float64       `json:"peakCPU"`
	// HeldBackSeconds counts seconds in which the target held every worker.
	HeldBackSeconds int `json:"heldBackSeconds,omitempty"`
	// Saturation is set when the generator could not hold the rate.
	Saturation *Saturation `json:"saturation,omitempty"`
}

// Saturation says when and how the generator failed to hold the rate.
type Saturation struct {
	// From is the offset of the first of SaturationSeconds saturated
	// seconds in a row; Seconds counts every saturated second.
	From    time.Duration `json:"from"`
	Seconds int           `json:"seconds"`
	// Requested and Achieved are the mean requested and sent rates over
	// the saturated seconds of the profile (not its grace after the end).
	Requested float64 `json:"requested"`
	Achieved  float64 `json:"achieved"`
	// MaxLag is the generator's largest own lag; CPU the mean cores the
	// process used over the saturated seconds, of Cores.
	MaxLag time.Duration `json:"maxLag"`
	CPU    float64       `json:"cpu"`
	Cores  int           `json:"cores"`
	// SchedWait is the most the runnable goroutines waited to run (90th
	// percentile of a sample): high when the CPU is the limit.
	SchedWait time.Duration `json:"schedWait"`
	// Cap is set when every worker of the cap was busy in a saturated
	// second with requests inside the latency budget of Budget: the cap,
	// not the CPU, was the limit.
	Cap    uint64        `json:"cap,omitempty"`
	Budget time.Duration `json:"budget,omitempty"`
}

// Message is the run's one-line account: "load generator saturated at
// 11850/s (requested 20000/s) from +3s: ...".
func (s *Saturation) Message() string {
	cpu := fmt.Sprintf("harness CPU %.2f of %d cores", s.CPU, s.Cores)
	if s.Cores == 0 { // merged from Kubernetes load workers: their CPU, summed
		cpu = fmt.Sprintf("load workers' CPU %.2f cores", s.CPU)
	}
	if s.Cap > 0 {
		cpu = fmt.Sprintf("all %d workers busy with requests within the latency budget of %s: raise load.maxWorkers, or lower load.latencyBudget to what the target must meet; %s", s.Cap, s.Budget, cpu)
	}
	return fmt.Sprintf("load generator saturated at %s/s (requested %s/s) from +%s: it sent up to %s late through its own fault (%s, goroutines waited up to %s to run); the target is not to blame for what followed",
		rate(s.Achieved), rate(s.Requested), s.From, s.MaxLag.Round(time.Millisecond), cpu, s.SchedWait.Round(100*time.Microsecond))
}

func rate(r float64) string { return strconv.FormatFloat(math.Round(r), 'f', -1, 64) }

// SaturationOf reads the generator's seconds: nil when it held the rate,
// else when and how it did not. Pure.
func SaturationOf(secs []Second, cores int) *Saturation {
	from, run, inProfile := -1, 0, 0
	var s Saturation
	var cpu float64
	for i, sec := range secs {
		if !sec.Saturated {
			run = 0
			continue
		}
		run++
		if run == SaturationSeconds && from < 0 {
			from = i - SaturationSeconds + 1
		}
		s.Seconds++
		cpu += sec.CPU
		s.MaxLag = max(s.MaxLag, sec.Lag)
		s.SchedWait = max(s.SchedWait, sec.SchedWait)
		if sec.Target > 0 {
			inProfile++
			s.Requested += sec.Target
			s.Achieved += sec.Rate()
		}
	}
	if from < 0 {
		return nil
	}
	s.From, s.CPU, s.Cores = secs[from].Offset, cpu/float64(s.Seconds), cores
	if inProfile > 0 {
		s.Requested, s.Achieved = s.Requested/float64(inProfile), s.Achieved/float64(inProfile)
	}
	return &s
}

// Generator describes the generator that fed the timeline: its cap, and
// how it kept up (Saturation from the seconds written so far).
func (t *Timeline) Generator() Generator {
	secs := t.Seconds()
	t.mu.Lock()
	g := t.gen
	t.mu.Unlock()
	for _, s := range secs {
		g.MaxLag = max(g.MaxLag, s.Lag)
		g.MaxBehind = max(g.MaxBehind, s.Behind)
		g.PeakCPU = max(g.PeakCPU, s.CPU)
		if s.HeldBack {
			g.HeldBackSeconds++
		}
	}
	g.Saturation = SaturationOf(secs, g.Cores)
	if s := g.Saturation; s != nil && g.MaxInFlight > 0 && slices.ContainsFunc(secs, func(x Second) bool { return x.Saturated && x.InFlight >= g.MaxInFlight }) {
		s.Cap, s.Budget = g.MaxInFlight, g.LatencyBudget
	}
	return g
}

// describe records the generator's description (an attack does it once).
func (t *Timeline) describe(g Generator) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.gen = g
}

// setWorkers records how many workers the attack started.
func (t *Timeline) setWorkers(n uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.gen.Workers = n
}

// setUnsent records the hits the attack never sent.
func (t *Timeline) setUnsent(n uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.gen.Unsent = n
}

// AddGenerator records the generator's own figures for second i (a
// Kubernetes load worker's, merged: the worst of the workers counts).
func (t *Timeline) AddGenerator(i int, g GeneratorSecond) {
	if i < 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for len(t.secs) <= i {
		t.secs = append(t.secs, second{})
	}
	s := &t.secs[i].gen
	s.Lag, s.Behind = max(s.Lag, g.Lag), max(s.Behind, g.Behind)
	s.InFlight += g.InFlight
	s.CPU += g.CPU
	s.SchedWait = max(s.SchedWait, g.SchedWait)
	s.HeldBack = s.HeldBack || g.HeldBack
	s.Saturated = s.Saturated || g.Saturated
	t.genSecs = max(t.genSecs, i+1)
}

// schedWaits reads the runtime's histogram of how long goroutines waited
// to run, as deltas between reads.
type schedWaits struct {
	prev []uint64
	s    [1]metrics.Sample
}

// p90 is the 90th percentile of the waits since the last call; ok is
// false when too few goroutines ran to tell.
func (w *schedWaits) p90() (time.Duration, bool) {
	w.s[0].Name = "/sched/latencies:seconds"
	metrics.Read(w.s[:])
	if w.s[0].Value.Kind() != metrics.KindFloat64Histogram {
		return 0, false
	}
	h := w.s[0].Value.Float64Histogram()
	prev := w.prev
	w.prev = slices.Clone(h.Counts)
	if len(prev) != len(h.Counts) {
		return 0, false
	}
	var n uint64
	for i, c := range h.Counts {
		n += c - prev[i]
	}
	if n < 20 {
		return 0, false
	}
	rank, seen := n-n/10, uint64(0)
	for i, c := range h.Counts {
		if seen += c - prev[i]; seen >= rank {
			upper := h.Buckets[i+1]
			if math.IsInf(upper, 1) {
				upper = h.Buckets[i]
			}
			return time.Duration(upper * float64(time.Second)), true
		}
	}
	return 0, false
}

// cpuTime is the user + system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cores is the number of cores the Go runtime may use.
func cores() int { return runtime.GOMAXPROCS(0) }
