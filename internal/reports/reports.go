// Package reports counts how the line is doing, per day in the practice's
// time zone: calls answered, calls that reached a ring group, answered by a
// member, offered a callback after nobody answered, callback requests and
// how soon their first call-back attempt came; and, per language, calls by
// outcome, callers who got no help by the stage where they gave up, the
// seconds from asking for a person to one answering, and missed calls
// called back within the deadline. It keeps counts only: no numbers, no
// CallSids, nothing a caller said; each day is kept 400 days.
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
// addition in memory; Run, started by the service's owner, writes the sums
// to Redis once a second and once more when it stops, keeping them while
// Redis is unreachable. A crash loses at most the last second's counts.
type Book struct {
	rdb     redis.UniversalClient
	prefix  string
	loc     func() *time.Location
	onError func(error)
	every   time.Duration

	mu      sync.Mutex
	pending map[cell]int64
}

// cell is one field of one Redis hash of a day: "d:<day>" holds the
// counters, "tp:<day>" the waits to a person ("<lang>:<seconds>" → count).
type cell struct{ hash, field string }

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
	return &Book{rdb: rdb, prefix: prefix + "{rep}:", loc: loc, onError: onError, every: time.Second, pending: map[cell]int64{}}, nil
}

// Add counts one for counter on the day of at, in memory: it never waits
// for Redis.
func (b *Book) Add(counter string, at time.Time) {
	b.add(cell{"d:" + b.day(at), counter})
}

// CallEnded counts a completed call, in memory like Add: its outcome by
// language, where a caller who got no help gave up, and how long a caller
// who reached a person waited for one.
func (b *Book) CallEnded(e calls.End) {
	b.add(cell{"d:" + b.day(e.At), OutcomeCounter(e.Outcome, e.Lang)})
	if e.Outcome.GaveUp() {
		b.add(cell{"d:" + b.day(e.At), GaveUpCounter(e.Stage, e.Lang)})
	}
	if e.Reached {
		secs := min(int64(e.ToPerson/time.Second), MaxWaitSeconds)
		b.add(cell{waitsKey + b.day(e.At), e.Lang + ":" + strconv.FormatInt(secs, 10)})
	}
}

// MaxWaitSeconds caps a wait to a person: longer waits are counted as this
// many seconds, so that a day's histogram stays small.
const MaxWaitSeconds = 3600

const waitsKey = "tp:"

func (b *Book) add(k cell) {
	b.mu.Lock()
	b.pending[k]++
	b.mu.Unlock()
}

// Run writes the counts to Redis every second until ctx ends, then once
// more (for up to two seconds), so a clean stop loses none.
func (b *Book) Run(ctx context.Context) {
	t := time.NewTicker(b.every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			b.flush(context.WithoutCancel(ctx))
		case <-ctx.Done():
			b.flush(context.WithoutCancel(ctx))
			return
		}
	}
}

// flush is Flush within two seconds, its failure told to onError (the
// counts stay for the next).
func (b *Book) flush(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := b.Flush(ctx); err != nil {
		b.onError(err)
	}
}

// Flush writes the counts added so far to Redis; on failure they stay to
// be written by the next flush.
func (b *Book) Flush(ctx context.Context) error {
	b.mu.Lock()
	batch := b.pending
	b.pending = map[cell]int64{}
	b.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	pipe := b.rdb.Pipeline()
	for k, n := range batch {
		pipe.HIncrBy(ctx, b.prefix+k.hash, k.field, n)
		pipe.Expire(ctx, b.prefix+k.hash, Keep)
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

// Attempt is a request's first call-back attempt.
type Attempt struct {
	At     time.Time
	Waited time.Duration // office hours from the request to the attempt
	Late   bool          // after the callback deadline (routing.Line.Overdue)
	// Missed is set for a missed-call request (callback.ReasonMissedCall),
	// in the caller's language Lang: counted again as a missed call
	// called back on time or late.
	Missed bool
	Lang   string
}

// FirstAttempt counts a request's first call-back attempt, on the day it
// was made: on time or late, its office hours, and for a missed call, on
// time or late by language.
func (b *Book) FirstAttempt(ctx context.Context, a Attempt) error {
	counter, missed := FirstOnTime, MissedOnTimeCounter(a.Lang)
	if a.Late {
		counter, missed = FirstLate, MissedLateCounter(a.Lang)
	}
	day := b.day(a.At)
	pipe := b.rdb.Pipeline()
	pipe.HIncrBy(ctx, b.prefix+"d:"+day, counter, 1)
	if a.Missed {
		pipe.HIncrBy(ctx, b.prefix+"d:"+day, missed, 1)
	}
	pipe.Expire(ctx, b.prefix+"d:"+day, Keep)
	pipe.RPush(ctx, b.prefix+firstMinutes+day, int64(a.Waited/time.Minute))
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
	// ToPerson are the waits from asking for a person to one answering, of
	// the calls that ended that day, by language.
	ToPerson map[string]Waits
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
		waits  *redis.MapStringStringCmd
	}
	var ps []pending
	for i := n - 1; i >= 0; i-- {
		d := time.Date(today.Year(), today.Month(), today.Day()-i, 12, 0, 0, 0, loc).Format("2006-01-02")
		ps = append(ps, pending{d, pipe.HGetAll(ctx, b.prefix+"d:"+d), pipe.LRange(ctx, b.prefix+firstMinutes+d, 0, -1),
			pipe.HGetAll(ctx, b.prefix+waitsKey+d)})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return Period{}, fmt.Errorf("read reports: %w", err)
	}
	var p Period
	for _, x := range ps {
		day := Day{Date: x.date, Counts: map[string]int64{}, ToPerson: map[string]Waits{}}
		for k, v := range x.waits.Val() {
			lang, secs, ok := strings.Cut(k, ":")
			sec, err1 := strconv.ParseInt(secs, 10, 64)
			n, err2 := strconv.ParseInt(v, 10, 64)
			if !ok || err1 != nil || err2 != nil {
				continue
			}
			if day.ToPerson[lang] == nil {
				day.ToPerson[lang] = Waits{}
			}
			day.ToPerson[lang][sec] += n
		}
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

// MissedOnTimeCounter is the daily counter of missed calls in language
// lang whose first call-back attempt came within the deadline, by the
// attempt's day: "missed_ontime_<lang>".
func MissedOnTimeCounter(lang string) string { return missedOnTimePrefix + lang }

// MissedLateCounter is MissedOnTimeCounter's late twin: "missed_late_<lang>".
func MissedLateCounter(lang string) string { return missedLatePrefix + lang }

const (
	outcomePrefix      = "outcome_"
	gaveUpPrefix       = "gaveup_"
	missedOnTimePrefix = "missed_ontime_"
	missedLatePrefix   = "missed_late_"
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

// langOf is the language at the end of a per-language counter
// ("outcome_person_es": "es").
func langOf(counter string) string {
	if i := strings.LastIndexByte(counter, '_'); i >= 0 {
		return counter[i+1:]
	}
	return ""
}

// Outcome is the number of calls of the day in language lang ("" for
// every language) that ended with o.
func (d Day) Outcome(o calls.Outcome, lang string) int64 {
	return d.sum(outcomePrefix+string(o)+"_", lang)
}

// GaveUp is the number of callers of the day in language lang ("" for
// every language) who got no help and gave up at stage s.
func (d Day) GaveUp(s calls.Stage, lang string) int64 {
	return d.sum(gaveUpPrefix+string(s)+"_", lang)
}

// MissedCalledBack is how many missed calls in language lang ("" for
// every language) had their first call-back attempt that day, within the
// deadline and after it.
func (d Day) MissedCalledBack(lang string) (onTime, late int64) {
	return d.sum(missedOnTimePrefix, lang), d.sum(missedLatePrefix, lang)
}

// Calls is the number of calls of the day in language lang ("" for every
// language) that ended with a known or unknown outcome: every completed
// call the status callback reported.
func (d Day) Calls(lang string) int64 {
	var n int64
	for _, o := range calls.Outcomes() {
		n += d.Outcome(o, lang)
	}
	return n
}

// Helped is the number of those calls whose caller got help: a person, a
// request, information, an extension or the crisis response.
func (d Day) Helped(lang string) int64 {
	var n int64
	for _, o := range calls.Outcomes() {
		if o != calls.OutcomeUnknown && !o.GaveUp() {
			n += d.Outcome(o, lang)
		}
	}
	return n
}

// Abandoned is the number of callers of the day who got no help.
func (d Day) Abandoned(lang string) int64 {
	var n int64
	for _, o := range calls.Outcomes() {
		if o.GaveUp() {
			n += d.Outcome(o, lang)
		}
	}
	return n
}

// Waits is the day's waits to a person in language lang ("" for every
// language).
func (d Day) Waits(lang string) Waits {
	w := Waits{}
	for l, ws := range d.ToPerson {
		if lang == "" || l == lang {
			w.Add(ws)
		}
	}
	return w
}

func (d Day) sum(prefix, lang string) int64 {
	if lang != "" {
		return d.Counts[prefix+lang]
	}
	var n int64
	for k, v := range d.Counts {
		if rest, ok := strings.CutPrefix(k, prefix); ok && !strings.Contains(rest, "_") {
			n += v
		}
	}
	return n
}

// Sum is f summed over the period's days.
func (p Period) Sum(f func(Day) int64) int64 {
	var n int64
	for _, d := range p.Days {
		n += f(d)
	}
	return n
}

// Waits are the period's waits to a person in language lang ("" for
// every language).
func (p Period) Waits(lang string) Waits {
	w := Waits{}
	for _, d := range p.Days {
		w.Add(d.Waits(lang))
	}
	return w
}

// Languages lists, sorted, the languages the period has per-language
// counts or waits for.
func (p Period) Languages() []string {
	seen := map[string]bool{}
	for _, d := range p.Days {
		for k := range d.Counts {
			for _, prefix := range []string{outcomePrefix, gaveUpPrefix, missedOnTimePrefix, missedLatePrefix} {
				if strings.HasPrefix(k, prefix) {
					seen[langOf(k)] = true
				}
			}
		}
		for l := range d.ToPerson {
			seen[l] = true
		}
	}
	delete(seen, "")
	out := make([]string, 0, len(seen))
	for l := range seen {
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

// Waits are samples of whole seconds kept as a histogram: how many
// samples had each value. A day's waits stay small however many calls
// it had, and its median and 90th percentile are exact.
type Waits map[int64]int64

// Add adds o's samples to w.
func (w Waits) Add(o Waits) {
	for v, n := range o {
		w[v] += n
	}
}

// Count is the number of samples.
func (w Waits) Count() int64 {
	var n int64
	for _, c := range w {
		n += c
	}
	return n
}

// Median is the middle sample, or the mean of the two middle ones for an
// even count; false when there is none.
func (w Waits) Median() (float64, bool) {
	n := w.Count()
	if n == 0 {
		return 0, false
	}
	if n%2 == 1 {
		return float64(w.rank(n/2 + 1)), true
	}
	return float64(w.rank(n/2)+w.rank(n/2+1)) / 2, true
}

// P90 is the 90th percentile by the nearest-rank method: the smallest
// sample that at least 90% of the samples do not exceed ("90% of callers
// waited at most this"); false when there is none.
func (w Waits) P90() (int64, bool) {
	n := w.Count()
	if n == 0 {
		return 0, false
	}
	return w.rank((9*n + 9) / 10), true // ceil(0.9 n)
}

// rank is the k-th smallest sample, from 1.
func (w Waits) rank(k int64) int64 {
	values := make([]int64, 0, len(w))
	for v, c := range w {
		if c > 0 {
			values = append(values, v)
		}
	}
	sort.Slice(values, func(i, j int) bool { return values[i] < values[j] })
	var seen int64
	for _, v := range values {
		seen += w[v]
		if seen >= k {
			return v
		}
	}
	return 0
}
