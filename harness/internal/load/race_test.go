//go:build race

package load

// maxRSS bounds the peak memory of a saturated generator's process. The
// race detector multiplies memory 5 to 10 times (Go's race detector
// documentation): under it, 8 × the 100 MiB of a plain build. A generator
// that piles up goroutines still breaks it: unbounded, it went past 1.2 GB
// without the race detector.
const maxRSS = 800 << 20
