//go:build race

package load

// raceEnabled: the race detector multiplies memory (5 to 10 times), so
// memory bounds are not checked under it.
const raceEnabled = true
