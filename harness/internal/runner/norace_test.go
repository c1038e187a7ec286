//go:build !race

package runner_test

// maxRSS bounds the peak memory of a saturated generator's process: issue
// 17's target, whatever the rate asked.
const maxRSS = 100 << 20
