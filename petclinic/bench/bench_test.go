package bench

import (
	"context"
	"net"
	"os"
	"os/exec"
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

func TestMaxThroughputMeasuresARealServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	port := freePortT(t)
	done := make(chan error, 1)
	go func() { done <- ServeHello(ctx, port) }()
	waitListening(t, "127.0.0.1:"+port)

	got, err := maxThroughput(ctx, "http://127.0.0.1:"+port+"/", 4, 0, 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if got.Success != 1 || got.Throughput <= 0 || got.Requests == 0 {
		t.Errorf("maxThroughput = %+v, want every request ok and a positive rate", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("ServeHello: %v", err)
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
	if got.Requests < 190 || got.Requests > 210 || got.Success != 1 {
		t.Errorf("constantLoad at 200/s for 1s = %d requests, %.2f ok; want ~200, all ok", got.Requests, got.Success)
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
		"one bad round does not fail the median":     {func(r *Result) { r.APIRatios = []float64{0.1, 0.5, 0.6} }, true},
		"a start at 300 ms fails":                    {func(r *Result) { r.StartFresh = []time.Duration{300 * time.Millisecond} }, false},
		"60 MB of RSS fails":                         {func(r *Result) { r.RSS = 60_000_000 }, false},
		"failed requests during the memory run fail": {func(r *Result) { r.RSSLoad.Success = 0.99 }, false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			r := good
			r.APIRatios = slices.Clone(good.APIRatios)
			tt.change(&r)
			if got := r.Passed(); got != tt.want {
				var b strings.Builder
				r.Report(&b)
				t.Errorf("Passed() = %v, want %v; report:\n%s", got, tt.want, b.String())
			}
		})
	}
}
