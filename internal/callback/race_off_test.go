//go:build !race

package callback_test

const raceOn = false
