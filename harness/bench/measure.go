package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/load"
	"github.com/gamedayhq/gameday/harness/internal/runner"
	"github.com/gamedayhq/gameday/harness/internal/sandbox/chaos"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// AttackFigures is what one attack measured, in the process that ran it:
// the harness's load generator.
type AttackFigures struct {
	Rate     float64       `json:"rate"`     // requested, per second
	Duration time.Duration `json:"duration"` // requested
	Sent     uint64        `json:"sent"`     // requests sent (completed + canceled)
	OK       uint64        `json:"ok"`
	Requests uint64        `json:"requests"` // completed
	// Achieved is sent / (rate × duration); Worst the least sent / target
	// of any full second of the profile, WorstAt its offset.
	Achieved float64       `json:"achieved"`
	Worst    float64       `json:"worst"`
	WorstAt  time.Duration `json:"worstAt"`
	Success  float64       `json:"success"` // ok / completed
	P99      time.Duration `json:"p99"`
	Errors   []string      `json:"errors,omitempty"`
	Process  ProcFigures   `json:"process"`
	// Generator is how the generator kept up (cap, workers, lag, saturation).
	Generator load.Generator `json:"generator"`
}

// ProcFigures is the harness process's own cost.
type ProcFigures struct {
	CPU       time.Duration `json:"cpu"`  // user + system over the measured span
	Wall      time.Duration `json:"wall"` // the measured span
	PeakRSS   int64         `json:"peakRSS"`
	RSS       int64         `json:"rss"`       // at the end
	PeakHeap  uint64        `json:"peakHeap"`  // most heap object bytes seen (sampled every 250 ms)
	HeapAfter uint64        `json:"heapAfter"` // heap in use after a GC at the end, results still referenced
}

// Cores is CPU time over wall time.
func (p ProcFigures) Cores() float64 {
	if p.Wall <= 0 {
		return 0
	}
	return p.CPU.Seconds() / p.Wall.Seconds()
}

// Figures turns a sealed timeline into AttackFigures. Pure.
func Figures(rate float64, d time.Duration, secs []load.Second, total load.Summary) AttackFigures {
	f := AttackFigures{Rate: rate, Duration: d, Sent: total.Requests + total.Canceled, OK: total.Successes,
		Requests: total.Requests, Success: total.SuccessRatio(), P99: total.P99, Worst: 1}
	if want := rate * d.Seconds(); want > 0 {
		f.Achieved = float64(f.Sent) / want
	}
	for _, e := range total.Errors {
		f.Errors = append(f.Errors, fmt.Sprintf("%s=%d", e.Class, e.Count))
	}
	seen := false
	for _, s := range secs {
		// Only full seconds of the profile: a late hit may open one more
		// bucket past the end, with no target.
		if s.Target < rate*0.999 {
			continue
		}
		seen = true
		if r := s.Rate() / s.Target; r < f.Worst {
			f.Worst, f.WorstAt = r, s.Offset
		}
	}
	if !seen {
		f.Worst = 0
	}
	return f
}

// ReadOnlyMix is the default journey mix without its writes: a 2,000 req/s
// minute of writes would grow the shared SQLite file by the run, and the
// figure would measure the database instead of the harness.
func ReadOnlyMix() []load.Weighted {
	var mix []load.Weighted
	for _, w := range load.DefaultMix() {
		for _, j := range load.Journeys() {
			if j.Name == w.Journey && !j.Writes {
				mix = append(mix, w)
			}
		}
	}
	return mix
}

// MeasureAttack attacks target at rate for d with the read-only mix
// through the load package, exactly as a game day does, and measures this
// process. Run it in a fresh process (harnessbench attack).
func MeasureAttack(ctx context.Context, target string, rate float64, d time.Duration) (AttackFigures, error) {
	p, err := load.Constant(rate, d)
	if err != nil {
		return AttackFigures{}, err
	}
	m := startMeter()
	tl, err := load.Attack(ctx, load.Plan{Target: target, Profile: p, Mix: ReadOnlyMix(), RunID: "harnessbench"})
	if err != nil {
		return AttackFigures{}, fmt.Errorf("attack %s: %w", target, err)
	}
	f := Figures(rate, d, tl.Seconds(), tl.Total())
	f.Generator = tl.Generator()
	if f.Process, err = m.stop(tl); err != nil {
		return f, err
	}
	return f, nil
}

// GameDayFigures is what one steady-state game day measured.
type GameDayFigures struct {
	Duration time.Duration `json:"duration"`
	Rate     float64       `json:"rate"`
	Verdict  string        `json:"verdict"`
	Reasons  []string      `json:"reasons,omitempty"`
	Requests uint64        `json:"requests"`
	Samples  int           `json:"samples"` // probe samples taken
	Process  ProcFigures   `json:"process"`
}

// gameDayYAML is a steady-state game day on the sandbox: the probes of
// experiments/pod-kill.yaml (three PromQL, one HTTP), its stop conditions,
// the read-only mix, no fault (two runs of different length must do the
// same work per second).
const gameDayYAML = `apiVersion: gameday.dev/v1alpha1
kind: Experiment
metadata:
  name: harnessbench-steady
  description: harnessbench memory run, steady state only
spec:
  target:
    kind: sandbox
  load:
    duration: %s
    profile:
      constant: {rate: %g}
    journeys:
%s
  hypothesis:
    probes:
      - name: server-error-ratio
        type: promql
        promql:
          query: >-
            (sum(rate(http_server_requests_seconds_count{outcome="SERVER_ERROR"}[30s])) or vector(0))
            / (sum(rate(http_server_requests_seconds_count[30s])) > 0 or vector(1))
        tolerance:
          threshold: {op: "<", value: 0.01}
      - name: p99-latency
        type: promql
        promql:
          query: histogram_quantile(0.99, sum by (le) (rate(http_server_requests_seconds_bucket[30s])))
        tolerance:
          threshold: {op: "<", value: 0.5}
      - name: request-rate
        type: promql
        promql:
          query: sum(rate(http_server_requests_seconds_count[30s]))
        tolerance:
          threshold: {op: ">", value: 0}
      - name: front-door
        type: http
        interval: 2s
        http:
          path: /
          expectStatus: 200
          timeout: 1s
        tolerance:
          threshold: {op: "<", value: 0.5}
  stopConditions:
    - name: client-errors
      errorRatioAbove: 0.05
      window: 10s
`

// MeasureGameDay runs one steady-state game day through the runner (load,
// timeline, probes, stop conditions, verdict, the four reports) on the
// sandbox in dir, and measures this process. Run it in a fresh process
// (harnessbench gameday).
func MeasureGameDay(ctx context.Context, dir, targetURL, promURL, reportsDir string, rate float64, d time.Duration) (GameDayFigures, error) {
	var journeys strings.Builder
	for _, w := range ReadOnlyMix() {
		fmt.Fprintf(&journeys, "      - {name: %s, weight: %g}\n", w.Journey, w.Weight)
	}
	path := filepath.Join(reportsDir, "experiment.yaml")
	if err := os.MkdirAll(reportsDir, 0o750); err != nil {
		return GameDayFigures{}, err
	}
	y := fmt.Sprintf(gameDayYAML, d, rate, strings.TrimRight(journeys.String(), "\n"))
	if err := os.WriteFile(path, []byte(y), 0o600); err != nil {
		return GameDayFigures{}, err
	}
	e, err := spec.LoadFile(path)
	if err != nil {
		return GameDayFigures{}, err
	}
	m := startMeter()
	res, err := runner.Run(ctx, runner.Config{
		Experiment: e, Engine: chaos.New(dir, 0), ReportsDir: reportsDir, Suite: "harnessbench",
		TargetURL: targetURL, PrometheusURL: promURL,
	})
	if res == nil || res.Report == nil {
		return GameDayFigures{}, fmt.Errorf("game day: %w", err)
	}
	g := GameDayFigures{Duration: d, Rate: rate, Verdict: string(res.Report.Verdict.Status),
		Reasons: res.Report.Verdict.Reasons, Requests: res.Report.Load.Total.Requests}
	for _, p := range res.Report.Probes {
		g.Samples += len(p.SampleList)
	}
	g.Process, err = m.stop(res)
	return g, err
}

// meter measures this process from its start to stop.
type meter struct {
	cpu0  time.Duration
	wall0 time.Time
	done  chan struct{}
	peak  chan uint64
}

func startMeter() *meter {
	m := &meter{cpu0: cpuTime(), wall0: time.Now(), done: make(chan struct{}), peak: make(chan uint64, 1)}
	go func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		var peak uint64
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			peak = max(peak, s[0].Value.Uint64())
			select {
			case <-m.done:
				m.peak <- peak
				return
			case <-t.C:
			}
		}
	}()
	return m
}

// stop ends the measurement; keep is what the run produced, kept alive
// through the after-GC heap figure (a harness holds its results until it
// has written them).
func (m *meter) stop(keep any) (ProcFigures, error) {
	p := ProcFigures{CPU: cpuTime() - m.cpu0, Wall: time.Since(m.wall0)}
	close(m.done)
	p.PeakHeap = <-m.peak
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	p.HeapAfter = ms.HeapInuse
	runtime.KeepAlive(keep)
	var err error
	p.RSS, p.PeakRSS, err = procStatus("self")
	return p, err
}

// cpuTime is the user + system CPU time of this process (getrusage).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procStatus reads VmRSS and VmHWM (peak) of /proc/PID/status, in bytes.
func procStatus(pid string) (rss, peak int64, err error) {
	path := "/proc/" + pid + "/status"
	b, err := os.ReadFile(path) // #nosec G304 -- a /proc path
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		f := strings.Fields(v)
		if len(f) != 2 || f[1] != "kB" {
			return 0, 0, fmt.Errorf("%s: unexpected line %q", path, line)
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("%s: %w", path, err)
		}
		if k == "VmRSS" {
			rss = n * 1024
		} else {
			peak = n * 1024
		}
	}
	if rss == 0 || peak == 0 {
		return 0, 0, errors.New(path + ": no VmRSS or VmHWM")
	}
	return rss, peak, nil
}
