package load

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// envChild makes the test binary run one attack (childAttack) instead of
// the tests, so that its memory is measured alone.
const envChild = "GAMEDAY_LOAD_TEST_ATTACK"

func TestMain(m *testing.M) {
	if spec := os.Getenv(envChild); spec != "" {
		if err := childAttack(spec); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// childResult is what the child process measured.
type childResult struct {
	Generator Generator
	Total     Summary
}

// childAttack attacks "URL RATE SECONDS" with the home journey and writes
// a childResult as JSON to stdout.
func childAttack(spec string) error {
	f := strings.Fields(spec)
	rate, _ := strconv.ParseFloat(f[1], 64)
	secs, _ := strconv.Atoi(f[2])
	p, err := Constant(rate, time.Duration(secs)*time.Second)
	if err != nil {
		return err
	}
	tl, err := Attack(context.Background(), Plan{Target: f[0], Profile: p, Mix: []Weighted{{"home", 1}}})
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(childResult{Generator: tl.Generator(), Total: tl.Total()})
}

// peakRSS is the peak resident memory of an exited child, in bytes.
func peakRSS(cmd *exec.Cmd) int64 { return cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10 }

func TestSaturationOf(t *testing.T) {
	sec := func(target float64, sent uint64, lag time.Duration, cpu float64) Second {
		return Second{Target: target, Requests: sent, GeneratorSecond: GeneratorSecond{Lag: lag, Saturated: lag > SaturationLag, CPU: cpu, SchedWait: lag / 100}}
	}
	offsets := func(ss ...Second) []Second {
		for i := range ss {
			ss[i].Offset = time.Duration(i) * time.Second
		}
		return ss
	}
	tests := map[string]struct {
		secs []Second
		want *Saturation
	}{
		"a generator on time never saturates": {
			secs: offsets(sec(100, 100, 0, 0.1), sec(100, 100, time.Millisecond, 0.1)),
		},
		"one late second is a hiccup (a pause of the machine), not saturation": {
			secs: offsets(sec(100, 100, 0, 0.1), sec(100, 60, 600*time.Millisecond, 0.1), sec(100, 140, 0, 0.1)),
		},
		"late seconds apart never saturate the run": {
			secs: offsets(sec(100, 60, 600*time.Millisecond, 0.1), sec(100, 140, 0, 0.1), sec(100, 60, 600*time.Millisecond, 0.1)),
		},
		"two late seconds in a row: saturated from the first, rates over the profile's saturated seconds": {
			secs: offsets(sec(20000, 20000, 0, 1), sec(20000, 12000, 400*time.Millisecond, 1.5), sec(20000, 11000, 900*time.Millisecond, 2),
				sec(0, 9000, 2*time.Second, 2.5)), // the grace after the profile: no target
			want: &Saturation{From: time.Second, Seconds: 3, Requested: 20000, Achieved: 11500, MaxLag: 2 * time.Second, CPU: 2, Cores: 2, SchedWait: 20 * time.Millisecond},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := SaturationOf(tc.secs, 2)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("SaturationOf = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestTheSaturationMessageSaysWhoIsToBlame(t *testing.T) {
	s := &Saturation{From: 3 * time.Second, Seconds: 5, Requested: 20000, Achieved: 11849.6, MaxLag: 2123456789, CPU: 1.956, Cores: 2, SchedWait: 25 * time.Millisecond}
	want := "load generator saturated at 11850/s (requested 20000/s) from +3s: it sent up to 2.123s late through its own fault " +
		"(harness CPU 1.96 of 2 cores, goroutines waited up to 25ms to run); the target is not to blame for what followed"
	if got := s.Message(); got != want {
		t.Errorf("message:\n got %s\nwant %s", got, want)
	}
	s.Cores, s.CPU = 0, 3.5 // merged from Kubernetes load workers
	if got := s.Message(); !strings.Contains(got, "(load workers' CPU 3.50 cores, goroutines") {
		t.Errorf("message of merged workers: %s", got)
	}
}

// concurrency counts the requests a server is handling, and the most at
// once.
type concurrency struct {
	mu       sync.Mutex
	now, max int
}

func (c *concurrency) enter() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now++
	c.max = max(c.max, c.now)
}

func (c *concurrency) leave() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now--
}

func TestATargetSlowerThanTheBudgetHoldsTheGeneratorBackInsteadOfPilingUp(t *testing.T) {
	t.Parallel() // measures counts and attributions, not speed
	var conc concurrency
	srv := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		conc.enter()
		defer conc.leave()
		time.Sleep(300 * time.Millisecond) // every request takes 3× the budget
	})
	const rate, budget = 200, 100 * time.Millisecond
	p, err := Constant(rate, 4*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	limit, clipped := Cap(rate, budget, DefaultWorkers)
	if limit != 30 || clipped {
		t.Fatalf("cap %d (clipped %t), want 200/s × 100ms + 10 = 30", limit, clipped)
	}
	tl := mustAttack(t, t.Context(), Plan{Target: srv.URL, Profile: p, Mix: []Weighted{{"home", 1}}, LatencyBudget: budget})

	conc.mu.Lock()
	most := conc.max
	conc.mu.Unlock()
	if most > int(limit) {
		t.Errorf("the target saw %d requests at once, want at most the cap %d", most, limit)
	}
	g, total := tl.Generator(), tl.Total()
	// 30 workers × (1 / 300 ms) = 100/s at best for the 4 s of the profile
	// and its second of grace: about 530 sent (the first 30 at once), late,
	// and the rest of the 800 unsent
	if total.Requests+g.Unsent != rate*4 || g.Unsent < 200 || total.Requests > 560 {
		t.Errorf("sent %d, unsent %d: want about 530 sent and the rest of %d unsent", total.Requests, g.Unsent, rate*4)
	}
	if total.Successes != total.Requests {
		t.Errorf("%d of %d succeeded: slow is not failed", total.Successes, total.Requests)
	}
	if g.Saturation != nil || g.HeldBackSeconds < 2 {
		t.Errorf("generator %+v: the target held it back (%d seconds), it is not saturated: %v", g, g.HeldBackSeconds, g.Saturation)
	}
	// A user who came on schedule waited for a worker too: the corrected
	// latency grows with the backlog, the service time does not.
	if total.P99 > time.Second || total.CorrectedP99 < 2*time.Second {
		t.Errorf("p99 %s from the send, %s from the intended time: want ~300ms and seconds", total.P99, total.CorrectedP99)
	}
}

func TestAGeneratorAskedForMoreThanTheMachineCanSendSaysSoInBoundedMemory(t *testing.T) {
	srv := newCountingServer(t, nil)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// A million requests per second: well past what any machine running
	// this test sends (the 2-core development machine tops out near 15,000).
	cmd := exec.CommandContext(t.Context(), exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), envChild+"="+srv.URL+" 1000000 4")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child attack: %v\n%s", err, stderr.String())
	}
	var res childResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("child output %q: %v", out, err)
	}
	g, s := res.Generator, res.Generator.Saturation
	rss := peakRSS(cmd)
	t.Logf("sent %d, unsent %d, peak RSS %.1f MB, %d workers of at most %d", res.Total.Requests, g.Unsent, float64(rss)/1e6, g.Workers, g.MaxInFlight)
	if s == nil {
		t.Fatalf("generator %+v: not saturated", g)
	}
	t.Log(s.Message())
	if !strings.HasPrefix(s.Message(), "load generator saturated at ") || s.Achieved > s.Requested/2 || s.From > 2*time.Second {
		t.Errorf("saturation %+v: want it from the first seconds, achieving far less than requested", s)
	}
	if g.Unsent == 0 || res.Total.Requests+g.Unsent != 4_000_000 {
		t.Errorf("sent %d + unsent %d, want 4,000,000 scheduled", res.Total.Requests, g.Unsent)
	}
	if res.Total.Successes != res.Total.Requests {
		t.Errorf("%d of %d succeeded: the hello server never fails", res.Total.Successes, res.Total.Requests)
	}
	if rss <= 0 || rss > maxRSS {
		t.Errorf("peak RSS %d bytes, want under %d MiB whatever the rate asked", rss, maxRSS>>20)
	}
}

func TestACapTooLowForTheRateIsTheGeneratorsLimitAndSaysSo(t *testing.T) {
	t.Parallel() // measures attributions, not speed
	srv := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(50 * time.Millisecond) // well within the 5 s budget
	})
	p, err := Constant(400, 4*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	// 5 workers × (1 / 50 ms) = 100/s of the 400 asked
	tl := mustAttack(t, t.Context(), Plan{Target: srv.URL, Profile: p, Mix: []Weighted{{"home", 1}}, MaxWorkers: 5})
	g := tl.Generator()
	if !g.Clipped || g.Saturation == nil {
		t.Fatalf("generator %+v: want the cap of 5 workers clipped and the run saturated", g)
	}
	if msg := g.Saturation.Message(); !strings.Contains(msg, "all 5 workers busy with requests within the latency budget of 5s: raise load.maxWorkers") {
		t.Errorf("message %q does not name the cap as the limit", msg)
	}
}
