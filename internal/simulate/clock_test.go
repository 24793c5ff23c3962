package simulate_test

import (
	"testing"
	"time"

	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/simulate"
)

func TestClockFollowsTheSimulatedTime(t *testing.T) {
	t.Parallel()
	real := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	c := simulate.NewClock(func() time.Time { return real })
	if got := c.Now(); !got.Equal(real) {
		t.Errorf("before --at: %v, want the real time %v", got, real)
	}
	at := time.Date(2027, 1, 9, 20, 0, 0, 0, time.UTC)
	c.Set(at)
	real = real.Add(time.Minute)
	if got, want := c.Now(), at.Add(time.Minute); !got.Equal(want) {
		t.Errorf("after Set: %v, want %v (the simulated time runs on)", got, want)
	}
	c.Set(time.Time{})
	if got := c.Now(); !got.Equal(real) {
		t.Errorf("after a webhook without --at: %v, want the real time %v", got, real)
	}
}

func TestRecordingSIDHasTwiliosForm(t *testing.T) {
	t.Parallel()
	a, b := simulate.RecordingSID("CA1"), simulate.RecordingSID("CA2")
	if !callback.ValidRecordingSID(a) || !callback.ValidRecordingSID(b) || a == b {
		t.Errorf("RecordingSID: %q, %q; want two different RE + 32 hex", a, b)
	}
	if callback.ValidRecordingSID("REsimulator") {
		t.Error("the check accepts the simulator's old SID")
	}
}
