// Package reports counts how the line is doing, per day in the practice's
// time zone: calls answered, calls that reached a ring group, answered by a
// member, offered a callback after nobody answered, callback requests and
// how soon their first call-back attempt came. It keeps counts only: no
// numbers, no CallSids, nothing a caller said; each day is kept 400 days.
package reports

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
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

// Book writes and reads the daily counts. Counting never fails a call: a
// Redis error is returned for the caller to log, and the count is lost.
type Book struct {
	rdb    redis.UniversalClient
	prefix string
	loc    func() *time.Location
}

// New returns a Book on rdb; keys start with prefix; loc gives the
// practice's time zone (read live, so a reload applies).
func New(rdb redis.UniversalClient, prefix string, loc func() *time.Location) (*Book, error) {
	if rdb == nil || loc == nil {
		return nil, errors.New("reports: a Redis client and a time zone are required")
	}
	return &Book{rdb: rdb, prefix: prefix + "{rep}:", loc: loc}, nil
}

func (b *Book) day(t time.Time) string { return t.In(b.loc()).Format("2006-01-02") }

// Count adds one to counter for the day of at.
func (b *Book) Count(ctx context.Context, counter string, at time.Time) error {
	key := b.prefix + "d:" + b.day(at)
	pipe := b.rdb.Pipeline()
	pipe.HIncrBy(ctx, key, counter, 1)
	pipe.Expire(ctx, key, Keep)
	_, err := pipe.Exec(ctx)
	if err != nil {
		return fmt.Errorf("count %s: %w", counter, err)
	}
	return nil
}

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
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
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
