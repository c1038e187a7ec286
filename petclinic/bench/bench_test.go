package bench

import (
	"context"
	"net"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestMedianPicksTheMiddleSample(t *testing.T) {
	tests := map[string]struct {
		in   []time.Duration
		want time.Duration
	}{
		"one sample is its own median":         {[]time.Duration{7}, 7},
		"unsorted odd samples give the middle": {[]time.Duration{9, 1, 5}, 5},
		"even samples give the upper middle":   {[]time.Duration{4, 1, 3, 2}, 3},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := median(tt.in); got != tt.want {
				t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestWrkMeasuresARealServer(t *testing.T) {
	gen := wrkConfig{Threads: 2, Connections: 8}
	if _, err := gen.bin(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	port := freePortT(t)
	done := make(chan error, 1)
	go func() { done <- ServeHello(ctx, port) }()
	waitListening(t, "127.0.0.1:"+port)

	// This process serves hello: its CPU is the server's.
	got, err := gen.run(ctx, "http://127.0.0.1:"+port+"/", time.Second, os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if got.Bad != 0 || got.Throughput <= 0 || got.Requests == 0 || got.P50 <= 0 || got.P99 < got.P50 {
		t.Errorf("wrk run = %+v, want every request ok, a positive rate and latencies", got)
	}
	if got.GenCPU <= 0 || got.ServerCPU <= 0 || got.GenCores() > 2.5 || got.ServerCores() > float64(runtime.NumCPU())+0.5 {
		t.Errorf("CPU: wrk %s (%.2f cores), server %s (%.2f cores); want both measured and sane",
			got.GenCPU, got.GenCores(), got.ServerCPU, got.ServerCores())
	}
	if _, err := gen.run(ctx, "http://127.0.0.1:"+port+"/", time.Second, -1); err == nil {
		t.Error("a server pid that does not exist: no error")
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("ServeHello: %v", err)
	}
}

func TestParseWrk(t *testing.T) {
	tests := map[string]struct {
		out     string
		want    wrkRun
		wantErr string
	}{
		"a clean run": {out: `Running 8s test @ http://127.0.0.1:40123/
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   512.31us  301.22us   9.87ms   90.12%
    Req/Sec    31.20k     1.10k   33.90k    71.25%
  Latency Distribution
     50%  462.00us
     75%  601.00us
     90%  780.00us
     99%    1.52ms
  496753 requests in 8.00s, 60.64MB read
Requests/sec:  62093.41
Transfer/sec:      7.58MB
`, want: wrkRun{Throughput: 62093.41, Requests: 496753, P50: 462 * time.Microsecond, P99: 1520 * time.Microsecond}},
		"errors and non-2xx are counted": {out: `  Latency Distribution
     50%    2.00ms
     99%    1.10s
  1000 requests in 1.00s, 1.00MB read
  Socket errors: connect 0, read 3, write 0, timeout 2
  Non-2xx or 3xx responses: 7
Requests/sec:   1000.00
`, want: wrkRun{Throughput: 1000, Requests: 1000, Bad: 12, P50: 2 * time.Millisecond, P99: 1100 * time.Millisecond}},
		"no summary is an error":   {out: "unable to connect to 127.0.0.1:1 Connection refused\n", wantErr: "no request count or Requests/sec line"},
		"an unknown unit is named": {out: "     50%    2.00h\n", wantErr: `latency "2.00h": unknown unit`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := parseWrk([]byte(tt.out))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("got error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestConstantLoadKeepsItsRate(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	port := freePortT(t)
	go func() { _ = ServeHello(ctx, port) }()
	waitListening(t, "127.0.0.1:"+port)

	got, err := constantLoad(ctx, []string{"http://127.0.0.1:" + port + "/a", "http://127.0.0.1:" + port + "/b"},
		200, 4, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	// Never more than the rate asked; fewer only when the machine is too
	// busy for 4 workers to keep up (182 on a 2-core machine at load 20):
	// a generous floor, the figure logged.
	t.Logf("constantLoad at 200/s for 1s: %d requests, %.2f ok", got.Requests, got.Success)
	if got.Requests < 100 || got.Requests > 210 || got.Success != 1 {
		t.Errorf("constantLoad at 200/s for 1s = %d requests, %.2f ok; want 100-210 (200 on an idle machine), all ok", got.Requests, got.Success)
	}
}

func TestRSSIsReadFromProc(t *testing.T) {
	cmd := exec.Command("sleep", "5")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	time.Sleep(50 * time.Millisecond)
	s := &server{cmd: cmd}
	rss, peak, err := s.rssBytes()
	if err != nil {
		t.Fatal(err)
	}
	if rss <= 0 || peak < rss || rss > 1<<30 {
		t.Errorf("rssBytes() = %d, %d; want 0 < rss <= peak and a sane size", rss, peak)
	}
}

func TestConfigRequiresTheBinaries(t *testing.T) {
	if err := (&Config{Hello: []string{"x"}}).defaults(); err == nil {
		t.Error("defaults() without --petclinic: no error")
	}
	c := Config{Petclinic: os.Args[0], Hello: []string{"x"}}
	if err := c.defaults(); err != nil || c.Workers == 0 || c.RSSDuration != time.Minute {
		t.Errorf("defaults() = %v, %+v; want the documented defaults", err, c)
	}
}

func freePortT(t *testing.T) string {
	t.Helper()
	p, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	return strconv.Itoa(p)
}

func waitListening(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", addr); err == nil {
			_ = c.Close()
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s not listening after 5s", addr)
}

func TestVerdictFollowsTheTargets(t *testing.T) {
	good := Result{
		Config:     Config{RSSRate: 500, RSSDuration: time.Minute},
		APIRatios:  []float64{0.5, 0.45, 0.6},
		VetsRatios: []float64{0.35, 0.31, 0.4},
		StartFresh: []time.Duration{100 * time.Millisecond},
		RSS:        40_000_000,
		RSSLoad:    loadResult{Success: 1},
	}
	tests := map[string]struct {
		change func(*Result)
		want   bool
	}{
		"every target met passes":                    {func(*Result) {}, true},
		"a median ratio under 0.40 fails":            {func(r *Result) { r.APIRatios = []float64{0.5, 0.3, 0.2} }, false},
		"a median vets.html ratio under 0.30 fails":  {func(r *Result) { r.VetsRatios = []float64{0.5, 0.29, 0.2} }, false},
		"one bad round does not fail the median":     {func(r *Result) { r.APIRatios = []float64{0.1, 0.5, 0.6} }, true},
		"a start at 300 ms fails":                    {func(r *Result) { r.StartFresh = []time.Duration{300 * time.Millisecond} }, false},
		"60 MB of RSS fails":                         {func(r *Result) { r.RSS = 60_000_000 }, false},
		"failed requests during the memory run fail": {func(r *Result) { r.RSSLoad.Success = 0.99 }, false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			r := good
			r.APIRatios = slices.Clone(good.APIRatios)
			r.VetsRatios = slices.Clone(good.VetsRatios)
			tt.change(&r)
			if got := r.Passed(); got != tt.want {
				var b strings.Builder
				r.Report(&b)
				t.Errorf("Passed() = %v, want %v; report:\n%s", got, tt.want, b.String())
			}
		})
	}
}

func TestSlicesAddUp(t *testing.T) {
	ms := time.Millisecond
	got := sumRuns([]wrkRun{
		{Requests: 1000, Wall: time.Second, GenCPU: 200 * ms, ServerCPU: 500 * ms, P50: 2 * ms, P99: 9 * ms},
		{Requests: 3000, Wall: time.Second, GenCPU: 400 * ms, ServerCPU: 900 * ms, P50: 1 * ms, P99: 4 * ms, Bad: 1},
		{Requests: 2000, Wall: 2 * time.Second, GenCPU: 600 * ms, ServerCPU: 1000 * ms, P50: 3 * ms, P99: 5 * ms},
	})
	want := wrkRun{Requests: 6000, Bad: 1, Wall: 4 * time.Second, GenCPU: 1200 * ms, ServerCPU: 2400 * ms,
		P50: 2 * ms, P99: 9 * ms, Throughput: 1500}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if got.ServerMicrosPerRequest() != 400 || got.GenCores() != 0.3 {
		t.Errorf("server %.1f µs/req, wrk %.2f cores; want 400 and 0.30", got.ServerMicrosPerRequest(), got.GenCores())
	}
}
