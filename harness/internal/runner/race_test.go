//go:build race

package runner_test

// raceEnabled: the race detector multiplies memory (5 to 10 times), so
// memory bounds are not checked under it.
const raceEnabled = true
