// Package reports counts how the line is doing, per day in the practice's
// time zone: calls answered, calls that reached a ring group, answered by a
// member, offered a callback after nobody answered, callback requests and
// how soon their first call-back attempt came, and, per language, calls by
// outcome and callers who got no help by the stage where they gave up. It keeps counts only: no
// numbers, no CallSids, nothing a caller said; each day is kept 400 days.
package reports

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/switchboard-clinic/switchboard/internal/calls"
)

// Keep is how long a day's counts are kept.
const Keep = 400 * 24 * time.Hour

// The counters of a day.
const (
	Calls        = "calls"        // calls the line answered
	Rang         = "rang"         // calls that reached a ring group
	Answered     = "answered"     // calls a member accepted
	Unanswered   = "unanswered"   // nobody answered (or nobody was on duty): offered a callback
	Requests     = "requests"     // callback requests created
	FirstOnTime  = "first_ontime" // first call-back attempts within the deadline (by attempt day)
	FirstLate    = "first_late"   // first call-back attempts after it
	firstMinutes = "fm:"          // key part: the business minutes to each first attempt, by day
)

// Counters lists the daily counters in report order.
var Counters = []string{Calls, Rang, Answered, Unanswered, Requests, FirstOnTime, FirstLate}

// Book writes and reads the daily counts. A webhook's count (Add) is an
// addition in memory; a background flush writes the sums to Redis once a
// second (and stops when there is nothing to write), keeping them while
// Redis is unreachable. A crash loses at most the last second's counts.
type Book struct {
	rdb     redis.UniversalClient
	prefix  string
	loc     func() *time.Location
	onError func(error)
	every   time.Duration

	mu       sync.Mutex
	pending  map[dayCounter]int64
	flushing bool
}

type dayCounter struct{ day, counter string }

// New returns a Book on rdb; keys start with prefix; loc gives the
// practice's time zone (read live, so a reload applies); onError is told
// of a flush that failed (it is retried), and may be nil.
func New(rdb redis.UniversalClient, prefix string, loc func() *time.Location, onError func(error)) (*Book, error) {
	if rdb == nil || loc == nil {
		return nil, errors.New("reports: a Redis client and a time zone are required")
	}
	if onError == nil {
		onError = func(error) {}
	}
	return &Book{rdb: rdb, prefix: prefix + "{rep}:", loc: loc, onError: onError, every: time.Second, pending: map[dayCounter]int64{}}, nil
}

// Add counts one for counter on the day of at, in memory: it never waits
// for Redis.
func (b *Book) Add(counter string, at time.Time) {
	k := dayCounter{b.day(at), counter}
	b.mu.Lock()
	b.pending[k]++
	start := !b.flushing
	b.flushing = true
	b.mu.Unlock()
	if start {
		go b.flushLoop()
	}
}

func (b *Book) flushLoop() {
	for {
		time.Sleep(b.every)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := b.Flush(ctx)
		cancel()
		if err != nil {
			b.onError(err)
		}
		b.mu.Lock()
		if len(b.pending) == 0 {
			b.flushing = false
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
	}
}

// Flush writes the counts added so far to Redis; on failure they stay to
// be written by the next flush.
func (b *Book) Flush(ctx context.Context) error {
	b.mu.Lock()
	batch := b.pending
	b.pending = map[dayCounter]int64{}
	b.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	pipe := b.rdb.Pipeline()
	for k, n := range batch {
		pipe.HIncrBy(ctx, b.prefix+"d:"+k.day, k.counter, n)
		pipe.Expire(ctx, b.prefix+"d:"+k.day, Keep)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		b.mu.Lock()
		for k, n := range batch {
			b.pending[k] += n
		}
		b.mu.Unlock()
		return fmt.Errorf("write report counts: %w", err)
	}
	return nil
}

func (b *Book) day(t time.Time) string { return t.In(b.loc()).Format("2006-01-02") }

// FirstAttempt counts a request's first call-back attempt at at, waited
// business time, on time or late against the deadline.
func (b *Book) FirstAttempt(ctx context.Context, at time.Time, waited, deadline time.Duration) error {
	counter := FirstOnTime
	if waited > deadline {
		counter = FirstLate
	}
	day := b.day(at)
	pipe := b.rdb.Pipeline()
	pipe.HIncrBy(ctx, b.prefix+"d:"+day, counter, 1)
	pipe.Expire(ctx, b.prefix+"d:"+day, Keep)
	pipe.RPush(ctx, b.prefix+firstMinutes+day, int64(waited/time.Minute))
	pipe.Expire(ctx, b.prefix+firstMinutes+day, Keep)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("count a first attempt: %w", err)
	}
	return nil
}

// Day is one day's counts.
type Day struct {
	Date   string // YYYY-MM-DD in the practice's time zone
	Counts map[string]int64
	// FirstMinutes are the business minutes to each first attempt made
	// that day.
	FirstMinutes []int64
}

// Period is the days up to and including today.
type Period struct {
	Days []Day
}

// Read returns the last n days up to now, oldest first.
func (b *Book) Read(ctx context.Context, n int, now time.Time) (Period, error) {
	loc := b.loc()
	today := now.In(loc)
	pipe := b.rdb.Pipeline()
	type pending struct {
		date   string
		counts *redis.MapStringStringCmd
		mins   *redis.StringSliceCmd
	}
	var ps []pending
	for i := n - 1; i >= 0; i-- {
		d := time.Date(today.Year(), today.Month(), today.Day()-i, 12, 0, 0, 0, loc).Format("2006-01-02")
		ps = append(ps, pending{d, pipe.HGetAll(ctx, b.prefix+"d:"+d), pipe.LRange(ctx, b.prefix+firstMinutes+d, 0, -1)})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return Period{}, fmt.Errorf("read reports: %w", err)
	}
	var p Period
	for _, x := range ps {
		day := Day{Date: x.date, Counts: map[string]int64{}}
		for k, v := range x.counts.Val() {
			day.Counts[k], _ = strconv.ParseInt(v, 10, 64)
		}
		for _, v := range x.mins.Val() {
			m, _ := strconv.ParseInt(v, 10, 64)
			day.FirstMinutes = append(day.FirstMinutes, m)
		}
		p.Days = append(p.Days, day)
	}
	return p, nil
}

// Total is a counter summed over the period.
func (p Period) Total(counter string) int64 {
	var t int64
	for _, d := range p.Days {
		t += d.Counts[counter]
	}
	return t
}

// MedianFirstHours is the median business time to a first attempt over
// the period, in hours, and false when there was none.
func (p Period) MedianFirstHours() (float64, bool) {
	var all []int64
	for _, d := range p.Days {
		all = append(all, d.FirstMinutes...)
	}
	return medianHours(all)
}

// MedianHours is one day's median, as MedianFirstHours.
func (d Day) MedianHours() (float64, bool) { return medianHours(d.FirstMinutes) }

func medianHours(mins []int64) (float64, bool) {
	if len(mins) == 0 {
		return 0, false
	}
	s := append([]int64(nil), mins...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	mid := len(s) / 2
	m := float64(s[mid])
	if len(s)%2 == 0 {
		m = float64(s[mid-1]+s[mid]) / 2
	}
	return m / 60, true
}

// OutcomeCounter is the daily counter of calls in language lang that
// ended with outcome: "outcome_<outcome>_<lang>", the column name of the
// page's table and of the CSV.
func OutcomeCounter(outcome calls.Outcome, lang string) string {
	return outcomePrefix + string(outcome) + "_" + lang
}

// GaveUpCounter is the daily counter of callers in language lang who got
// no help and gave up at stage: "gaveup_<stage>_<lang>".
func GaveUpCounter(stage calls.Stage, lang string) string {
	return gaveUpPrefix + string(stage) + "_" + lang
}

const (
	outcomePrefix = "outcome_"
	gaveUpPrefix  = "gaveup_"
)

// Breakdown lists the outcome and gave-up counters that have counts in
// the period: outcomes in calls.Outcomes order, then gave-up stages in
// calls.Stages order, each by language.
func (p Period) Breakdown() []string {
	seen := map[string]bool{}
	langs := map[string]bool{}
	for _, d := range p.Days {
		for k := range d.Counts {
			if rest, ok := strings.CutPrefix(k, outcomePrefix); ok {
				seen[k] = true
				if i := strings.LastIndexByte(rest, '_'); i >= 0 {
					langs[rest[i+1:]] = true
				}
			} else if strings.HasPrefix(k, gaveUpPrefix) {
				seen[k] = true
			}
		}
	}
	var ls []string
	for l := range langs {
		ls = append(ls, l)
	}
	sort.Strings(ls)
	var out []string
	for _, o := range calls.Outcomes() {
		for _, l := range ls {
			if k := OutcomeCounter(o, l); seen[k] {
				out = append(out, k)
			}
		}
	}
	for _, s := range calls.Stages() {
		for _, l := range ls {
			if k := GaveUpCounter(s, l); seen[k] {
				out = append(out, k)
			}
		}
	}
	return out
}
