// Package memo remembers the results of costly pure functions, within a
// bound: the webhooks of a call repeat the same work (render the same menu,
// parse the same caller's number), and a memo makes the second time free.
package memo

import "sync"

// Memo remembers up to max results by key and forgets them all when full:
// old keys (a previous configuration's documents, past callers' numbers)
// never pile up, and a full memo costs one refill, not an eviction policy.
// It is safe for concurrent use; two callers may both compute a missing
// result, which is harmless for pure functions.
type Memo[K comparable, V any] struct {
	mu   sync.RWMutex
	max  int
	vals map[K]V
}

// New returns an empty memo for up to size results (at least 1).
func New[K comparable, V any](size int) *Memo[K, V] {
	return &Memo[K, V]{max: max(size, 1), vals: map[K]V{}}
}

// Get returns the result for key, computing it with compute the first time.
func (m *Memo[K, V]) Get(key K, compute func() V) V {
	m.mu.RLock()
	v, ok := m.vals[key]
	m.mu.RUnlock()
	if ok {
		return v
	}
	v = compute()
	m.mu.Lock()
	if len(m.vals) >= m.max {
		clear(m.vals)
	}
	m.vals[key] = v
	m.mu.Unlock()
	return v
}

// Len is how many results the memo holds.
func (m *Memo[K, V]) Len() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.vals)
}
