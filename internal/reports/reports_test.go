package reports_test

import (
	"strings"
	"testing"
	"time"

	"github.com/switchboard-clinic/switchboard/internal/redistest"
	"github.com/switchboard-clinic/switchboard/internal/reports"
	"github.com/switchboard-clinic/switchboard/internal/testprog"
)

func TestDaysInThePracticesTimeZone(t *testing.T) {
	t.Parallel()
	seattle, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	rs := redistest.Start(t)
	b, err := reports.New(rs.Client(), "t:", func() *time.Location { return seattle }, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	// 23:30 in Seattle on Monday is Tuesday in UTC: it counts for Monday.
	late := time.Date(2026, 11, 30, 23, 30, 0, 0, seattle)
	tuesday := time.Date(2026, 12, 1, 9, 0, 0, 0, seattle)
	for _, at := range []time.Time{late, late, tuesday} {
		b.Add(reports.Calls, at)
	}
	if err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for _, w := range []time.Duration{30 * time.Minute, 90 * time.Minute, 6 * time.Hour} {
		if err := b.FirstAttempt(ctx, tuesday, w, 4*time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	p, err := b.Read(ctx, 7, tuesday)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Days) != 7 || p.Days[6].Date != "2026-12-01" || p.Days[5].Date != "2026-11-30" {
		t.Fatalf("days: %+v", p.Days)
	}
	if p.Days[5].Counts[reports.Calls] != 2 || p.Days[6].Counts[reports.Calls] != 1 || p.Total(reports.Calls) != 3 {
		t.Errorf("calls per day: %v, %v", p.Days[5].Counts, p.Days[6].Counts)
	}
	if p.Total(reports.FirstOnTime) != 2 || p.Total(reports.FirstLate) != 1 {
		t.Errorf("on time %d, late %d; want 2 and 1", p.Total(reports.FirstOnTime), p.Total(reports.FirstLate))
	}
	if m, ok := p.MedianFirstHours(); !ok || m != 1.5 {
		t.Errorf("median = %v, %v; want 1.5 h", m, ok)
	}
	if _, ok := p.Days[0].MedianHours(); ok {
		t.Error("a day without attempts has a median")
	}
	ttl, err := rs.Client().TTL(ctx, "t:{rep}:d:2026-12-01").Result()
	if err != nil || ttl < 399*24*time.Hour || ttl > reports.Keep {
		t.Errorf("a day is kept %v, want 400 days", ttl)
	}
	keys, _ := rs.Client().Keys(ctx, "*").Result()
	for _, k := range keys {
		for _, v := range []string{"CA", "+1"} {
			if strings.Contains(k, v) {
				t.Errorf("a report key holds client data: %s", k)
			}
		}
	}
}

// TestCountsWaitOutARedisOutage: counts added while Redis is down are
// kept in memory and written by a later flush.
func TestCountsWaitOutARedisOutage(t *testing.T) {
	testprog.Slow(t, "a Redis outage")
	t.Parallel()
	rs := redistest.Start(t)
	b, err := reports.New(rs.Client(), "t:", func() *time.Location { return time.UTC }, nil)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	rs.Kill()
	b.Add(reports.Requests, at)
	b.Add(reports.Requests, at)
	if err := b.Flush(t.Context()); err == nil {
		t.Fatal("a flush with Redis down reported success")
	}
	rs.Restart()
	if err := b.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	p, err := b.Read(t.Context(), 1, at)
	if err != nil || p.Total(reports.Requests) != 2 {
		t.Errorf("after the outage: %v %v, want the 2 counts", p.Days, err)
	}
}
