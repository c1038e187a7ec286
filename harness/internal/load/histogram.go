package load

import (
	"math"
	"math/bits"
	"time"
)

// A histogram counts latencies in fixed log-linear buckets, like
// HdrHistogram: exact nanoseconds below 128 ns, then 64 buckets per power
// of two up to 2^37 ns (about 137 s; longer latencies land in the last
// bucket and still raise the exact max). A bucket is at most 1/64 of its
// lower bound wide and quantiles report its midpoint, so a quantile is off
// by at most 1/128 (0.79 %) of the true value. It takes histBuckets*4 bytes
// whatever the number of samples.
type histogram struct {
	counts   [histBuckets]uint32
	n        uint64
	min, max time.Duration
	sum      time.Duration
}

const (
	histSubBits    = 7                // 128 linear buckets, then 64 per octave
	histSub        = 1 << histSubBits // 128
	histHalf       = histSub / 2      // 64
	histMaxBits    = 37               // values below 2^37 ns are bucketed exactly
	histOctaves    = histMaxBits - histSubBits
	histBuckets    = histSub + histOctaves*histHalf
	histLastBucket = histBuckets - 1
)

// bucketOf is the index of the bucket holding v nanoseconds.
func bucketOf(v uint64) int {
	if v < histSub {
		return int(v)
	}
	e := bits.Len64(v) - histSubBits // ≥ 1: the shift that leaves 7 significant bits
	sub := v >> uint(e)              // in [64, 128)
	i := histSub + (e-1)*histHalf + int(sub-histHalf)
	if i > histLastBucket {
		return histLastBucket
	}
	return i
}

// bucketBounds returns the lowest value of bucket i and its width.
func bucketBounds(i int) (low, width uint64) {
	if i < histSub {
		return uint64(i), 1
	}
	e := (i-histSub)/histHalf + 1
	sub := uint64((i-histSub)%histHalf + histHalf)
	return sub << uint(e), 1 << uint(e)
}

func (h *histogram) record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[bucketOf(uint64(d))]++
	if h.n == 0 || d < h.min {
		h.min = d
	}
	if d > h.max {
		h.max = d
	}
	h.n++
	h.sum += d
}

func (h *histogram) merge(o *histogram) {
	if o.n == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	if o.max > h.max {
		h.max = o.max
	}
	h.n += o.n
	h.sum += o.sum
}

func (h *histogram) reset() { *h = histogram{} }

// quantile returns the q-quantile (0 < q ≤ 1) by nearest rank: the midpoint
// of the bucket holding the ceil(q·n)-th smallest value, kept within the
// exact min and max.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for i, c := range h.counts {
		seen += uint64(c)
		if seen < rank {
			continue
		}
		low, width := bucketBounds(i)
		v := time.Duration(low + width/2)
		if width == 1 {
			v = time.Duration(low)
		}
		return min(max(v, h.min), h.max)
	}
	return h.max
}

func (h *histogram) mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return h.sum / time.Duration(h.n)
}
