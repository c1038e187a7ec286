package load

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func at(sec float64) time.Time { return t0.Add(time.Duration(sec * float64(time.Second))) }

func ms(n float64) time.Duration { return time.Duration(n * float64(time.Millisecond)) }

func TestTimelineAggregatesEachSecond(t *testing.T) {
	tl := NewTimeline(TimelineConfig{Start: t0})
	records := []Record{
		{At: at(0.1), Latency: ms(10), Code: 200, Journey: "home"},
		{At: at(0.5), Latency: ms(20), Code: 302, Journey: "home"},
		{At: at(0.9), Latency: ms(30), Code: 503, Class: StatusClass(503), Journey: "api-vets"},
		{At: at(2.2), Latency: ms(1000), Class: ClassTimeout, Journey: "api-vets"},
		{At: at(2.3), Latency: ms(1), Class: ClassConnection, Journey: "home"},
		{At: at(2.4), Latency: ms(2), Class: ClassConnection, Journey: "home"},
		{At: at(2.5), Latency: ms(3), Class: ClassCanceled, Journey: "home"},
	}
	for _, r := range records {
		tl.Add(r)
	}
	got := tl.Seconds()
	want := []Second{
		{Start: at(0), Offset: 0, Requests: 3, Successes: 2, Errors: []ErrorCount{{"http_503", 1}}, P50: ms(20), P95: ms(30), P99: ms(30), Max: ms(30)},
		{Start: at(1), Offset: time.Second},
		{Start: at(2), Offset: 2 * time.Second, Requests: 3, Canceled: 1, Errors: []ErrorCount{{"connection", 2}, {"timeout", 1}}, P50: ms(2), P95: ms(1000), P99: ms(1000), Max: ms(1000)},
	}
	if len(got) != len(want) {
		t.Fatalf("%d seconds, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		g, w := got[i], want[i]
		// quantiles are bucket midpoints: compare within 1 %
		// no intended time: the corrected latencies are the latencies
		w.CorrectedP50, w.CorrectedP95, w.CorrectedP99, w.CorrectedMax = w.P50, w.P95, w.P99, w.Max
		for _, q := range [][2]time.Duration{{g.P50, w.P50}, {g.P95, w.P95}, {g.P99, w.P99}, {g.CorrectedP50, w.P50}, {g.CorrectedP95, w.P95}, {g.CorrectedP99, w.P99}} {
			if math.Abs(float64(q[0]-q[1])) > 0.01*float64(q[1]) {
				t.Errorf("second %d: quantile %s, want %s", i, q[0], q[1])
			}
		}
		g.P50, g.P95, g.P99 = w.P50, w.P95, w.P99
		g.CorrectedP50, g.CorrectedP95, g.CorrectedP99 = w.P50, w.P95, w.P99
		if fmt.Sprint(g) != fmt.Sprint(w) {
			t.Errorf("second %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
	if r := got[0].SuccessRatio(); math.Abs(r-2.0/3) > 1e-12 {
		t.Errorf("success ratio of second 0 = %g, want 2/3", r)
	}
	if r := got[1].SuccessRatio(); r != 0 {
		t.Errorf("success ratio of an empty second = %g, want 0", r)
	}

	total := tl.Total()
	if total.Requests != 6 || total.Successes != 2 || total.Canceled != 1 {
		t.Errorf("total = %+v, want 6 requests, 2 successes, 1 canceled", total)
	}
	var names []string
	for _, j := range tl.Journeys() {
		names = append(names, fmt.Sprintf("%s:%d/%d", j.Name, j.Successes, j.Requests))
	}
	if want := []string{"api-vets:0/2", "home:2/4"}; !slices.Equal(names, want) {
		t.Errorf("journeys = %v, want %v", names, want)
	}
}

func TestCorrectedLatencyCountsFromTheIntendedSendTime(t *testing.T) {
	tl := NewTimeline(TimelineConfig{Start: t0})
	// scheduled at 0.1 s, sent 400 ms late, answered in 10 ms: a user who
	// came on time waited 410 ms; one sent on time waited 10 ms
	tl.Add(Record{At: at(0.5), Intended: at(0.1), Latency: ms(10), Code: 200})
	tl.Add(Record{At: at(0.6), Intended: at(0.6), Latency: ms(10), Code: 200})
	// a record whose send time precedes its intended time is not early
	tl.Add(Record{At: at(0.7), Intended: at(0.8), Latency: ms(10), Code: 200})
	s := tl.Seconds()[0]
	if s.Max != ms(10) || s.P99 > ms(10.1) || s.P99 < ms(9.9) {
		t.Errorf("service latency: p99 %s max %s, want 10ms", s.P99, s.Max)
	}
	if s.CorrectedMax != ms(410) || s.CorrectedP99 < ms(406) || s.CorrectedP99 > ms(410) || s.CorrectedP50 > ms(10.1) {
		t.Errorf("corrected latency: p50 %s p99 %s max %s, want 10ms, 410ms, 410ms", s.CorrectedP50, s.CorrectedP99, s.CorrectedMax)
	}
	total := tl.Total()
	if total.CorrectedMax != ms(410) || total.Max != ms(10) {
		t.Errorf("total: max %s, corrected max %s, want 10ms and 410ms", total.Max, total.CorrectedMax)
	}
	w := tl.Window(at(0), at(1))
	if w.Requests != 3 || w.Successes != 3 || w.P99 < ms(406) || w.Sealed != 0 {
		t.Errorf("window = %+v, want 3 requests with a corrected p99 of 410ms", w)
	}
}

func TestTimelineSealsSecondsOnceNoResultCanArrive(t *testing.T) {
	tl := NewTimeline(TimelineConfig{Start: t0, SealAfter: 10 * time.Second})
	for i := range 100 {
		tl.Add(Record{At: at(0.5), Latency: ms(float64(i + 1)), Code: 200})
	}
	open := tl.Seconds()[0]
	// a result completing 11.5 s later seals second 0 (it ended 10 s before)
	tl.Add(Record{At: at(11.4), Latency: ms(100), Code: 200})
	if tl.sealed != 1 || tl.secs[0].hist != nil {
		t.Fatalf("sealed = %d, hist of second 0 = %v: second 0 is not sealed", tl.sealed, tl.secs[0].hist)
	}
	sealed := tl.Seconds()[0]
	if fmt.Sprint(open) != fmt.Sprint(sealed) {
		t.Errorf("sealing changed the second:\nopen   %+v\nsealed %+v", open, sealed)
	}
	// a straggler for a sealed second counts, raises max, and is flagged late
	tl.Add(Record{At: at(0.7), Latency: 11 * time.Second, Class: ClassTimeout})
	late := tl.Seconds()[0]
	if late.Requests != 101 || late.Late != 1 || late.Max != 11*time.Second || late.P99 != sealed.P99 {
		t.Errorf("after a late result: %+v", late)
	}
}

func TestTimelineKeepsFewHistogramsWhateverTheRunLength(t *testing.T) {
	tl := NewTimeline(TimelineConfig{Start: t0, SealAfter: 10 * time.Second})
	for i := range 600 * 10 {
		tl.Add(Record{At: at(float64(i) / 10), Latency: ms(5), Code: 200})
	}
	live := len(tl.pool)
	for _, s := range tl.secs {
		if s.hist != nil {
			live += 2 // and its corrected twin
		}
	}
	// two per second: 10 s of sealing delay + the current second + one
	// that just sealed
	if live > 2*12 {
		t.Errorf("%d histograms alive after 600 s, want at most 24", live)
	}
}

func TestTimelineErrorRatioCoversTheLastWindow(t *testing.T) {
	tl := NewTimeline(TimelineConfig{Start: t0})
	for sec := range 10 {
		for i := range 10 {
			r := Record{At: at(float64(sec) + float64(i)/10), Latency: ms(1), Code: 200}
			if sec >= 7 && i < 5 { // the last 3 seconds fail half of their requests
				r.Code, r.Class = 500, StatusClass(500)
			}
			tl.Add(r)
		}
	}
	tests := map[string]struct {
		window       time.Duration
		wantRatio    float64
		wantRequests uint64
	}{
		"the last 3 seconds are half errors":         {3 * time.Second, 0.5, 30},
		"the last 6 seconds dilute them":             {6 * time.Second, 0.25, 60},
		"a window longer than the run covers it all": {time.Hour, 0.15, 100},
		"a partial second rounds up to one second":   {100 * time.Millisecond, 0.5, 10},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r, n := tl.ErrorRatio(tc.window)
			if math.Abs(r-tc.wantRatio) > 1e-12 || n != tc.wantRequests {
				t.Errorf("ErrorRatio(%s) = %g over %d, want %g over %d", tc.window, r, n, tc.wantRatio, tc.wantRequests)
			}
		})
	}
	empty := NewTimeline(TimelineConfig{Start: t0})
	if r, n := empty.ErrorRatio(time.Minute); r != 0 || n != 0 {
		t.Errorf("empty ErrorRatio = %g over %d, want 0 over 0", r, n)
	}
}

func TestTimelineSnapshotReportsTheLastCompleteSeconds(t *testing.T) {
	tl := NewTimeline(TimelineConfig{Start: t0})
	for sec := range 8 {
		for i := range 20 {
			r := Record{At: at(float64(sec) + float64(i)/20), Latency: ms(2), Code: 200}
			if sec >= 3 && i == 0 {
				r.Latency, r.Code, r.Class = ms(400), 0, ClassTimeout
			}
			tl.Add(r)
		}
	}
	s := tl.Snapshot()
	// complete seconds 2..6 (7 is current): 5 × 20 sent, 4 timeouts of 400 ms
	if s.Window != 5*time.Second || s.Rate != 20 || math.Abs(s.SuccessRatio-96.0/100) > 1e-12 {
		t.Errorf("snapshot = %+v, want a 5 s window at 20/s with 96%% success", s)
	}
	if s.P99 < ms(396) || s.P99 > ms(404) {
		t.Errorf("snapshot p99 = %s, want 400ms ± 1%%", s.P99)
	}
	if s.Requests != 160 || s.Errors != 5 {
		t.Errorf("snapshot totals = %d requests, %d errors, want 160, 5", s.Requests, s.Errors)
	}
}

func TestTimelineTargetFollowsTheProfile(t *testing.T) {
	p, err := Ramp(0, 10, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	tl := NewTimeline(TimelineConfig{Start: t0, Profile: &p})
	tl.Add(Record{At: at(1.5), Latency: ms(1), Code: 200})
	var got []float64
	for _, s := range tl.Seconds() {
		got = append(got, s.Target)
	}
	if want := []float64{2.5, 7.5}; !slices.Equal(got, want) {
		t.Errorf("targets = %v, want %v", got, want)
	}
}

func TestTimelineIngestsConcurrently(t *testing.T) {
	tl := NewTimeline(TimelineConfig{Start: t0})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				r := Record{At: at(float64(i) / 100), Latency: ms(1), Code: 200, Journey: fmt.Sprint("j", w%2)}
				if i%10 == 0 {
					r.Class = ClassConnection
				}
				tl.Add(r)
				if i%100 == 0 {
					tl.Snapshot()
					tl.ErrorRatio(time.Second)
				}
			}
		})
	}
	wg.Wait()
	tl.Seal()
	var n uint64
	for _, s := range tl.Seconds() {
		n += s.Requests
	}
	if total := tl.Total(); n != 8000 || total.Requests != 8000 || total.Successes != 7200 {
		t.Errorf("seconds hold %d requests, total %+v, want 8000 requests, 7200 successes", n, total)
	}
}

func BenchmarkTimelineAdd(b *testing.B) {
	tl := NewTimeline(TimelineConfig{Start: t0})
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		tl.Add(Record{At: t0.Add(time.Duration(i) * 500 * time.Microsecond), Latency: time.Duration(i%5000) * time.Microsecond, Code: 200, Journey: "home"})
		i++
	}
}

// BenchmarkTimelineMemory simulates 2000 results per second for runs of 60
// and 300 seconds and reports the heap each timeline keeps once sealed,
// and the marginal cost of one more second of run: memory grows with the
// run's seconds, never with its requests.
func BenchmarkTimelineMemory(b *testing.B) {
	heap := func(secs int) float64 {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		tl := NewTimeline(TimelineConfig{Start: t0})
		for i := range secs * 2000 {
			r := Record{At: t0.Add(time.Duration(i) * 500 * time.Microsecond), Latency: time.Duration(200+i%3000) * time.Microsecond, Code: 200, Journey: "home"}
			if i%97 == 0 {
				r.Code, r.Class = 503, StatusClass(503)
			}
			tl.Add(r)
		}
		tl.Seal()
		runtime.GC()
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(tl)
		return float64(after.HeapAlloc) - float64(before.HeapAlloc)
	}
	var at60, at300 float64
	for b.Loop() {
		at60, at300 = heap(60), heap(300)
	}
	b.ReportMetric(at60, "heap-B@60s")
	b.ReportMetric(at300, "heap-B@300s")
	b.ReportMetric((at300-at60)/240, "B/extra-second")
}
