//go:build unix

package callback

import (
	"fmt"
	"os"
	"syscall"
)

// lockFile takes an exclusive flock on path (created 0600 if missing) and
// returns its release. Spools are shared between processes on one machine
// (serve, and `keys rotate` re-sealing them), so the in-process mutexes are
// not enough on their own.
func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("spool: lock: %w", err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("spool: lock: %w", err)
	}
	return func() { f.Close() }, nil // closing the file releases the lock
}
