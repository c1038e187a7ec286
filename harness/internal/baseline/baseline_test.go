package baseline_test

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/baseline"
)

func TestMedianAndMAD(t *testing.T) {
	for name, tc := range map[string]struct {
		xs          []float64
		median, mad float64
	}{
		"an odd count":                 {[]float64{3, 1, 2}, 2, baseline.MADScale * 1},
		"an even count takes the mean": {[]float64{4, 1, 3, 2}, 2.5, baseline.MADScale * 1},
		"one value has no spread":      {[]float64{7}, 7, 0},
		"one outlier of five moves neither": {[]float64{10, 11, 12, 13, 1e9}, 12,
			baseline.MADScale * 1},
	} {
		t.Run(name, func(t *testing.T) {
			if got := baseline.Median(tc.xs); got != tc.median {
				t.Errorf("Median = %g, want %g", got, tc.median)
			}
			if got := baseline.MAD(tc.xs); math.Abs(got-tc.mad) > 1e-9 {
				t.Errorf("MAD = %g, want %g", got, tc.mad)
			}
		})
	}
	if !math.IsNaN(baseline.Median(nil)) {
		t.Error("the median of nothing is not NaN")
	}
}

func TestWeightedMedianOfEqualWeightsIsTheMedian(t *testing.T) {
	xs := []float64{5, 1, 9, 3, 7, 2}
	ws := []float64{1, 1, 1, 1, 1, 1}
	if got, want := baseline.WeightedMedian(xs, ws), baseline.Median(xs); got != want {
		t.Errorf("WeightedMedian = %g, want the median %g", got, want)
	}
	if got := baseline.WeightedMedian([]float64{1, 2, 3}, []float64{1, 1, 5}); got != 3 {
		t.Errorf("a heavy value: WeightedMedian = %g, want 3", got)
	}
}

// noisy are n values spread evenly over [m-d, m+d]: their median is m.
func noisy(m, d float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = m - d + 2*d*float64(i)/float64(n-1)
	}
	return out
}

// TestLearnFromSyntheticHistories learns baselines from histories whose
// median is known, with outlier runs and outlier seconds among them.
func TestLearnFromSyntheticHistories(t *testing.T) {
	runs := func(good, bad int, goodVals, badVals func(i int) []float64) []baseline.Source {
		var out []baseline.Source
		for i := range good {
			out = append(out, baseline.Source{Run: fmt.Sprintf("good-%d", i), Values: goodVals(i)})
		}
		for i := range bad {
			out = append(out, baseline.Source{Run: fmt.Sprintf("bad-%d", i), Values: badVals(i)})
		}
		return out
	}
	steady := func(int) []float64 { return noisy(100, 10, 21) } // median 100, every value in [90, 110]
	for name, tc := range map[string]struct {
		sources []baseline.Source
		// the median must land in [lo, hi] and the MAD below maxMAD
		lo, hi, maxMAD float64
		samples        int
	}{
		"ten steady runs: the median is theirs": {
			sources: runs(10, 0, steady, nil), lo: 100, hi: 100, maxMAD: 10, samples: 210,
		},
		"three of ten runs on a machine 100 times slower move the median within the steady range only": {
			sources: runs(7, 3, steady, func(int) []float64 { return noisy(10000, 1000, 21) }),
			lo:      90, hi: 110, maxMAD: 20, samples: 210,
		},
		"a spike of one second in every run is ignored": {
			sources: runs(10, 0, func(int) []float64 { return append(noisy(100, 10, 20), 1e6) }, nil),
			lo:      99, hi: 101, maxMAD: 10, samples: 210,
		},
		"an empty run and NaN values are left out": {
			sources: append(runs(4, 0, steady, nil), baseline.Source{Run: "empty"},
				baseline.Source{Run: "nan", Values: []float64{math.NaN(), math.Inf(1)}}),
			lo: 100, hi: 100, maxMAD: 10, samples: 84,
		},
	} {
		t.Run(name, func(t *testing.T) {
			st := baseline.Learn(tc.sources)
			if st.Median < tc.lo || st.Median > tc.hi {
				t.Errorf("median %g, want in [%g, %g]", st.Median, tc.lo, tc.hi)
			}
			if st.MAD <= 0 || st.MAD > tc.maxMAD {
				t.Errorf("MAD %g, want in (0, %g]", st.MAD, tc.maxMAD)
			}
			if st.Samples != tc.samples {
				t.Errorf("%d samples, want %d", st.Samples, tc.samples)
			}
			var mean float64
			for _, s := range st.Sources {
				for _, v := range s.Values {
					mean += v / float64(st.Samples)
				}
			}
			t.Logf("median %.2f, MAD %.2f over %d sources (the mean would be %.1f)", st.Median, st.MAD, len(st.Sources), mean)
		})
	}
}

// TestEverySourceWeighsTheSame: one run of a thousand values does not
// outvote two runs of five.
func TestEverySourceWeighsTheSame(t *testing.T) {
	long := make([]float64, 1000)
	for i := range long {
		long[i] = 10
	}
	st := baseline.Learn([]baseline.Source{
		{Run: "long", Values: long},
		{Run: "short-1", Values: []float64{20, 20, 20, 20, 20}},
		{Run: "short-2", Values: []float64{20, 20, 20, 20, 20}},
	})
	if st.Median != 20 {
		t.Errorf("median %g, want 20 (two runs of three)", st.Median)
	}
	if len(st.Sources) != 3 || st.Sources[0].Samples != 1000 || st.Sources[0].Median != 10 {
		t.Errorf("sources %+v", st.Sources)
	}
}

func TestRuleBound(t *testing.T) {
	st := baseline.Stats{Median: 100, MAD: 5}
	flat := baseline.Stats{Median: 0, MAD: 0}
	for name, tc := range map[string]struct {
		rule  baseline.Rule
		st    baseline.Stats
		bound float64
		str   string
	}{
		"1.2 × baseline":                        {baseline.Rule{Op: "<=", Factor: 1.2}, st, 120, "<= 1.2 × baseline"},
		"3 MADs above":                          {baseline.Rule{Op: "<", MADs: 3}, st, 115, "< baseline + 3 MAD"},
		"3 MADs below for throughput":           {baseline.Rule{Op: ">=", MADs: 3}, st, 85, ">= baseline − 3 MAD"},
		"0.8 × baseline below":                  {baseline.Rule{Op: ">", Factor: 0.8}, st, 80, "> 0.8 × baseline"},
		"the margin widens a tight bound":       {baseline.Rule{Op: "<=", MADs: 1, MinMargin: 12}, st, 112, "<= baseline + 1 MAD (margin at least 12)"},
		"no spread: the margin is the bound":    {baseline.Rule{Op: "<=", MADs: 3, MinMargin: 0.001}, flat, 0.001, "<= baseline + 3 MAD (margin at least 0.001)"},
		"no spread and no margin: the median":   {baseline.Rule{Op: "<=", MADs: 3}, flat, 0, "<= baseline + 3 MAD"},
		"a factor on the wrong side stands":     {baseline.Rule{Op: "<=", Factor: 0.5, MinMargin: 100}, st, 50, "<= 0.5 × baseline (margin at least 100)"},
		"a factor of a zero baseline, margined": {baseline.Rule{Op: "<=", Factor: 2, MinMargin: 0.01}, flat, 0.01, "<= 2 × baseline (margin at least 0.01)"},
	} {
		t.Run(name, func(t *testing.T) {
			if got := tc.rule.Bound(tc.st); math.Abs(got-tc.bound) > 1e-9 {
				t.Errorf("Bound = %g, want %g", got, tc.bound)
			}
			if got := tc.rule.String(); got != tc.str {
				t.Errorf("String = %q, want %q", got, tc.str)
			}
		})
	}
	holds := map[string][3]bool{ // value below, at and above the bound 10
		"<": {true, false, false}, "<=": {true, true, false}, ">": {false, false, true}, ">=": {false, true, true},
	}
	for op, want := range holds {
		r := baseline.Rule{Op: op}
		for i, v := range []float64{9, 10, 11} {
			if got := r.Holds(v, 10); got != want[i] {
				t.Errorf("%g %s 10: %v, want %v", v, op, got, want[i])
			}
		}
		if r.Holds(math.NaN(), 10) {
			t.Errorf("NaN %s 10 holds", op)
		}
	}
}

// TestLearner: before this run's pre-fault window ends, the baseline is
// the history's; after, this run's values join it; it is ready once the
// history holds MinRuns runs.
func TestLearner(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	hist := []baseline.Source{{Run: "a/1", Values: []float64{10, 10}}, {Run: "a/2", Values: []float64{10}}, {Run: "a/3", Values: []float64{12}}}
	l := baseline.NewLearner("p99", 2, 2)
	if v := l.At(t0); v.Ready || v.Reason() != "0 comparable runs in the history, 2 needed" {
		t.Errorf("without history: ready %v, %q", v.Ready, v.Reason())
	}
	l.SetHistory(hist)
	if n := l.HistoryRuns(); n != 2 {
		t.Errorf("kept %d runs of the history, want Runs = 2", n)
	}
	l.SetWindow(t0, t0.Add(30*time.Second))
	l.Observe(t0.Add(-time.Second), 1000) // the warm-up: not learnt
	for i := range 5 {
		l.Observe(t0.Add(time.Duration(i)*time.Second), 20)
	}
	l.Observe(t0.Add(40*time.Second), 5000) // during the faults: not learnt
	before := l.At(t0.Add(10 * time.Second))
	if !before.Ready || before.Final || before.Median != 10 || len(before.Sources) != 2 {
		t.Errorf("before the faults: %+v, want the history's median 10, ready", before)
	}
	after := l.At(t0.Add(31 * time.Second))
	if !after.Ready || !after.Final || len(after.Sources) != 3 || after.Sources[0].Run != baseline.ThisRun || after.Sources[0].Samples != 5 {
		t.Fatalf("after the pre-fault window: %+v", after)
	}
	if after.Median != 10 { // two runs at 10, this run at 20
		t.Errorf("median %g, want 10", after.Median)
	}
	if f := l.Final(); f.Median != after.Median || !f.Final {
		t.Errorf("Final %+v, want %+v", f, after)
	}
}
