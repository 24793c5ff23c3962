//go:build race

package server_test

// raceEnabled slows the fault test's pace: the race detector makes each
// request several times more expensive on a 2-core machine.
const raceEnabled = true
