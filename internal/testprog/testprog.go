// Package testprog finds the programs tests run (redis-server, nginx,
// chromium, docker-compose). A missing one skips the test on a developer's
// machine, but fails it under CI=true: .ci/run installs them, so a skip there
// would hide work CI must do.
package testprog

import (
	"os"
	"os/exec"
	"testing"
)

// Find returns the path of the first of names on PATH; pkg is the Debian
// package that provides it, for the message.
func Find(tb testing.TB, pkg string, names ...string) string {
	tb.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		tb.Fatalf("%s is required under CI=true (apt-get install %s)", names[0], pkg)
	}
	tb.Skipf("%s not installed (apt-get install %s)", names[0], pkg)
	return ""
}

// Slow leaves a test out of `go test -short`, the inner loop, for one that
// starts more than a redis-server (browsers, proxies, clusters, Sentinel,
// fault runs) or walks a whole line. The full suite, the README's test
// command and CI, runs it: a short run is for speed, never a verdict.
func Slow(tb testing.TB, why string) {
	tb.Helper()
	if testing.Short() {
		tb.Skip("left out of -short (the full suite runs it): " + why)
	}
}
