//go:build race

package callback_test

// raceOn: the race detector makes crypto and pipelines several times slower.
const raceOn = true
