package simulate

import (
	"sync/atomic"
	"time"
)

// Clock is the clock of a service in local mode (the try-out): real time,
// moved to the simulator's --at time by each webhook that carries it and
// back to real time by one that does not. Everything the service dates by
// its clock then follows the simulated call: the reports' day, the queue's
// waiting times, the status callback's time. It is safe for concurrent use.
type Clock struct {
	offset atomic.Int64 // nanoseconds from real time
	real   func() time.Time
}

// NewClock returns a Clock on real time (time.Now when nil).
func NewClock(real func() time.Time) *Clock {
	if real == nil {
		real = time.Now
	}
	return &Clock{real: real}
}

// Now is the simulated time.
func (c *Clock) Now() time.Time { return c.real().Add(time.Duration(c.offset.Load())) }

// Set moves the clock to t; a zero t puts it back on real time.
func (c *Clock) Set(t time.Time) {
	if t.IsZero() {
		c.offset.Store(0)
		return
	}
	c.offset.Store(int64(t.Sub(c.real())))
}
