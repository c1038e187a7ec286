package load

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestBucketsTileTheRangeWithoutGaps(t *testing.T) {
	var next uint64
	for i := range histBuckets {
		low, width := bucketBounds(i)
		if low != next {
			t.Fatalf("bucket %d starts at %d, want %d", i, low, next)
		}
		if got := bucketOf(low); got != i {
			t.Fatalf("bucketOf(%d) = %d, want %d", low, got, i)
		}
		if got := bucketOf(low + width - 1); got != i {
			t.Fatalf("bucketOf(%d) = %d, want %d", low+width-1, got, i)
		}
		if low >= histSub && float64(width)/float64(low) > 1.0/64 {
			t.Fatalf("bucket %d is %d wide at %d: more than 1/64", i, width, low)
		}
		next = low + width
	}
	if next != 1<<histMaxBits {
		t.Errorf("buckets end at %d, want 2^%d", next, histMaxBits)
	}
	if got := bucketOf(math.MaxUint64); got != histLastBucket {
		t.Errorf("bucketOf(max) = %d, want the last bucket %d", got, histLastBucket)
	}
}

// exactQuantile is the nearest-rank quantile of sorted values.
func exactQuantile(sorted []time.Duration, q float64) time.Duration {
	rank := int(math.Ceil(q * float64(len(sorted))))
	return sorted[max(rank, 1)-1]
}

func TestHistogramQuantilesAreWithinOnePercent(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tests := map[string]func() time.Duration{
		"log-normal latencies around 2 ms": func() time.Duration {
			return time.Duration(math.Exp(rng.NormFloat64()*0.8) * 2e6)
		},
		"uniform latencies from 50 µs to 5 s": func() time.Duration {
			return 50*time.Microsecond + time.Duration(rng.Int64N(int64(5*time.Second)))
		},
		"a bimodal mix of fast hits and 1 s timeouts": func() time.Duration {
			if rng.IntN(100) < 3 {
				return time.Second + time.Duration(rng.Int64N(1e6))
			}
			return 300*time.Microsecond + time.Duration(rng.Int64N(2e5))
		},
		"sub-microsecond values are exact": func() time.Duration {
			return time.Duration(rng.Int64N(120))
		},
	}
	var worst float64
	for name, draw := range tests {
		t.Run(name, func(t *testing.T) {
			var h histogram
			values := make([]time.Duration, 20000)
			for i := range values {
				values[i] = draw()
				h.record(values[i])
			}
			slices.Sort(values)
			for _, q := range []float64{0.5, 0.9, 0.95, 0.99, 0.999, 1} {
				got, want := h.quantile(q), exactQuantile(values, q)
				relErr := math.Abs(float64(got-want)) / float64(want)
				worst = max(worst, relErr)
				if relErr > 0.01 {
					t.Errorf("p%g = %s, want %s (error %.3f%% > 1%%)", q*100, got, want, relErr*100)
				}
			}
			if h.max != values[len(values)-1] || h.min != values[0] {
				t.Errorf("min, max = %s, %s, want %s, %s", h.min, h.max, values[0], values[len(values)-1])
			}
		})
	}
	t.Logf("worst quantile error: %.3f%%", worst*100)
}

func TestHistogramMergeEqualsRecordingEverything(t *testing.T) {
	var a, b, all histogram
	for i := range 1000 {
		d := time.Duration(i*i) * time.Microsecond
		all.record(d)
		if i%3 == 0 {
			a.record(d)
		} else {
			b.record(d)
		}
	}
	a.merge(&b)
	if a != all {
		t.Errorf("merged histogram differs from the one that recorded everything: n %d vs %d, p99 %s vs %s", a.n, all.n, a.quantile(0.99), all.quantile(0.99))
	}
	var empty histogram
	if got := empty.quantile(0.99); got != 0 {
		t.Errorf("empty p99 = %s, want 0", got)
	}
}
