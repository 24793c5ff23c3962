//go:build !unix

package callback

// lockFile locks nothing where flock is missing: one process per spool.
func lockFile(string) (func(), error) { return func() {}, nil }
