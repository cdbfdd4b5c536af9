//go:build race

package index

// raceEnabled is true in builds with the race detector, which slows the
// long recall tests too much to run them.
const raceEnabled = true
