package reports_test

import (
	"strings"
	"testing"
	"time"

	"github.com/switchboard-clinic/switchboard/internal/calls"
	"github.com/switchboard-clinic/switchboard/internal/redistest"
	"github.com/switchboard-clinic/switchboard/internal/reports"
	"github.com/switchboard-clinic/switchboard/internal/testprog"
)

// newBook is a Book on a redis-server of the test's own, its days in loc.
func newBook(t *testing.T, loc *time.Location) (*reports.Book, *redistest.Server) {
	t.Helper()
	rs := redistest.Start(t)
	b, err := reports.New(rs.Client(), "t:", func() *time.Location { return loc }, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b, rs
}

// flushAndRead writes what b counted and reads back the days up to at.
func flushAndRead(t *testing.T, b *reports.Book, days int, at time.Time) reports.Period {
	t.Helper()
	if err := b.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	p, err := b.Read(t.Context(), days, at)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDaysInThePracticesTimeZone(t *testing.T) {
	t.Parallel()
	seattle, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	b, rs := newBook(t, seattle)
	ctx := t.Context()
	// 23:30 in Seattle on Monday is Tuesday in UTC: it counts for Monday.
	late := time.Date(2026, 11, 30, 23, 30, 0, 0, seattle)
	tuesday := time.Date(2026, 12, 1, 9, 0, 0, 0, seattle)
	for _, at := range []time.Time{late, late, tuesday} {
		b.Add(reports.Calls, at)
	}
	for _, w := range []time.Duration{30 * time.Minute, 90 * time.Minute, 6 * time.Hour} {
		if err := b.FirstAttempt(ctx, reports.Attempt{At: tuesday, Waited: w, Late: w > 4*time.Hour}); err != nil {
			t.Fatal(err)
		}
	}
	p := flushAndRead(t, b, 7, tuesday)
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
	b, rs := newBook(t, time.UTC)
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

// waits makes a histogram of the given seconds.
func waits(secs ...int64) reports.Waits {
	w := reports.Waits{}
	for _, s := range secs {
		w[s]++
	}
	return w
}

func TestMedianAndP90(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		w       reports.Waits
		median  float64
		p90     int64
		samples bool
	}{
		{"none", waits(), 0, 0, false},
		{"one sample", waits(42), 42, 42, true},
		{"two samples: the mean of both", waits(10, 21), 15.5, 21, true},
		{"odd count, unsorted", waits(30, 5, 12), 12, 30, true},
		{"even count", waits(4, 8, 1, 9), 6, 9, true},
		// Ten samples: the 9th is the 90th percentile (ceil(0.9×10) = 9).
		{"ten samples", waits(1, 2, 3, 4, 5, 6, 7, 8, 9, 100), 5.5, 9, true},
		// Eleven: ceil(9.9) = 10th.
		{"eleven samples", waits(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100), 6, 10, true},
		{"repeated values", waits(7, 7, 7, 7, 20), 7, 20, true},
		{"twenty samples, long tail", waits(3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 60, 90), 3, 3, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, ok := tt.w.Median()
			if ok != tt.samples || m != tt.median {
				t.Errorf("median: got %v %v, want %v %v", m, ok, tt.median, tt.samples)
			}
			p, ok := tt.w.P90()
			if ok != tt.samples || p != tt.p90 {
				t.Errorf("p90: got %v %v, want %v %v", p, ok, tt.p90, tt.samples)
			}
		})
	}
}

// TestCallEndedCounts counts ended calls in memory, flushes them and reads
// them back per day and language: outcomes, where callers gave up, and the
// waits to a person with their median and 90th percentile.
func TestCallEndedCounts(t *testing.T) {
	t.Parallel()
	b, rs := newBook(t, time.UTC)
	at := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for _, e := range []calls.End{
		{Outcome: calls.OutcomePerson, Lang: "en", At: at, Reached: true, ToPerson: 12 * time.Second},
		{Outcome: calls.OutcomePerson, Lang: "en", At: at, Reached: true, ToPerson: 20900 * time.Millisecond},
		{Outcome: calls.OutcomePerson, Lang: "es", At: at, Reached: true, ToPerson: 41 * time.Second},
		{Outcome: calls.OutcomePerson, Lang: "es", At: at, Reached: true, ToPerson: 9 * time.Hour}, // capped
		{Outcome: calls.OutcomeHungUpRing, Stage: calls.StageRing, Lang: "es", At: at},
		{Outcome: calls.OutcomeHungUpMenu, Stage: calls.StageMenu, Lang: "en", At: at},
		{Outcome: calls.OutcomeRequest, Stage: calls.StageCallback, Lang: "en", At: at},
		{Outcome: calls.OutcomeUnknown, Stage: calls.StageGreeting, Lang: "en", At: at},
	} {
		b.CallEnded(e)
	}
	p := flushAndRead(t, b, 2, at)
	d := p.Days[1]
	for _, c := range []struct {
		name      string
		got, want int64
	}{
		{"calls", d.Calls(""), 8},
		{"calls in Spanish", d.Calls("es"), 3},
		{"helped", d.Helped(""), 5},
		{"helped in English", d.Helped("en"), 3},
		{"abandoned", d.Abandoned(""), 2},
		{"reached a person in Spanish", d.Outcome(calls.OutcomePerson, "es"), 2},
		{"gave up ringing", d.GaveUp(calls.StageRing, ""), 1},
		{"gave up ringing in English", d.GaveUp(calls.StageRing, "en"), 0},
		{"gave up in the menu", d.GaveUp(calls.StageMenu, "en"), 1},
		{"waits", p.Waits("").Count(), 4},
		{"a day without calls", p.Days[0].Calls(""), 0},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %d, want %d", c.name, c.got, c.want)
		}
	}
	if m, _ := p.Waits("en").Median(); m != 16 {
		t.Errorf("English median: got %v, want 16 (12 s and 20 s)", m)
	}
	if p90, _ := p.Waits("es").P90(); p90 != reports.MaxWaitSeconds {
		t.Errorf("Spanish p90: got %d, want the cap %d", p90, reports.MaxWaitSeconds)
	}
	if got := strings.Join(p.Languages(), ","); got != "en,es" {
		t.Errorf("languages: %s", got)
	}
	keys, _ := rs.Client().Keys(t.Context(), "*").Result()
	if len(keys) != 2 {
		t.Errorf("keys: %v, want the day's counts and its waits", keys)
	}
}

// TestMissedCallsCalledBack: a missed call's first attempt within the
// deadline counts as called back on time in its language, a late one as
// late, and neither counts for another request.
func TestMissedCallsCalledBack(t *testing.T) {
	t.Parallel()
	b, _ := newBook(t, time.UTC)
	at := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for _, a := range []reports.Attempt{
		{At: at, Waited: time.Hour, Missed: true, Lang: "es"},
		{At: at, Waited: 5 * time.Hour, Late: true, Missed: true, Lang: "es"},
		{At: at, Waited: 2 * time.Hour, Missed: true, Lang: "en"},
		{At: at, Waited: 2 * time.Hour, Lang: "en"}, // an ordinary request
	} {
		if err := b.FirstAttempt(t.Context(), a); err != nil {
			t.Fatal(err)
		}
	}
	p := flushAndRead(t, b, 1, at)
	d := p.Days[0]
	for _, c := range []struct {
		lang         string
		onTime, late int64
	}{{"", 2, 1}, {"es", 1, 1}, {"en", 1, 0}, {"fr", 0, 0}} {
		on, late := d.MissedCalledBack(c.lang)
		if on != c.onTime || late != c.late {
			t.Errorf("%q: on time %d, late %d; want %d and %d", c.lang, on, late, c.onTime, c.late)
		}
	}
	if p.Total(reports.FirstOnTime) != 3 || p.Total(reports.FirstLate) != 1 {
		t.Errorf("first attempts: on time %d, late %d", p.Total(reports.FirstOnTime), p.Total(reports.FirstLate))
	}
}
