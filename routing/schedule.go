package routing

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Window is one opening period within a day, in minutes after local midnight.
// Close is exclusive: a window 09:00-17:00 is open at 16:59 and closed at 17:00.
type Window struct {
	Open  int
	Close int
}

// String renders the window as "09:00-17:00".
func (w Window) String() string {
	return fmt.Sprintf("%s-%s", clock(w.Open), clock(w.Close))
}

func clock(min int) string {
	return fmt.Sprintf("%02d:%02d", min/60, min%60)
}

// Closure is a whole day on which the practice is closed, whatever the weekly
// hours say (a public holiday or the practice's own closure).
type Closure struct {
	Date time.Time // local midnight of the day
	Name string
	// Key names the closure in configuration: a holidays.us key
	// ("thanksgiving") or the date of one of holidays.dates ("2026-12-24").
	Key string
}

// Schedule answers whether the practice is open, in its own time zone.
type Schedule struct {
	Location *time.Location
	// Week holds the opening windows for each weekday, indexed by time.Weekday.
	Week [7][]Window
	// Closed lists whole-day closures. Use ClosureOn to consult it.
	Closed []Closure
}

// ClosureOn reports the closure that covers the local day of t, if any.
func (s Schedule) ClosureOn(t time.Time) (Closure, bool) {
	loc := s.loc()
	y, m, d := t.In(loc).Date()
	// Closures are local midnights: one comparison of instants each, not a
	// time-zone lookup per closure (this runs on every webhook).
	midnight := time.Date(y, m, d, 0, 0, 0, 0, loc)
	for _, c := range s.Closed {
		if c.Date.Equal(midnight) {
			return c, true
		}
	}
	return Closure{}, false
}

// IsOpen reports whether t falls inside an opening window on a day that is
// not a closure.
func (s Schedule) IsOpen(t time.Time) bool {
	if _, closed := s.ClosureOn(t); closed {
		return false
	}
	lt := t.In(s.loc())
	minute := lt.Hour()*60 + lt.Minute()
	for _, w := range s.Week[lt.Weekday()] {
		if minute >= w.Open && minute < w.Close {
			return true
		}
	}
	return false
}

// NextOpen returns the next instant at or after t when the practice opens, and
// false when no opening exists in the next 60 days (a schedule with no hours).
func (s Schedule) NextOpen(t time.Time) (time.Time, bool) {
	if s.IsOpen(t) {
		return t, true
	}
	loc := s.loc()
	lt := t.In(loc)
	day := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, loc)
	for i := 0; i < 60; i++ {
		d := day.AddDate(0, 0, i)
		if _, closed := s.ClosureOn(d); closed {
			continue
		}
		windows := append([]Window(nil), s.Week[d.Weekday()]...)
		sort.Slice(windows, func(a, b int) bool { return windows[a].Open < windows[b].Open })
		for _, w := range windows {
			open := time.Date(d.Year(), d.Month(), d.Day(), w.Open/60, w.Open%60, 0, 0, loc)
			if !open.Before(t) {
				return open, true
			}
		}
	}
	return time.Time{}, false
}

// ClosesAt returns when the opening window that holds t ends, and false
// when the practice is closed at t.
func (s Schedule) ClosesAt(t time.Time) (time.Time, bool) {
	if !s.IsOpen(t) {
		return time.Time{}, false
	}
	lt := t.In(s.loc())
	minute := lt.Hour()*60 + lt.Minute()
	for _, w := range s.Week[lt.Weekday()] {
		if minute >= w.Open && minute < w.Close {
			return time.Date(lt.Year(), lt.Month(), lt.Day(), w.Close/60, w.Close%60, 0, 0, s.loc()), true
		}
	}
	return time.Time{}, false
}

// SpokenOpening says when next opens, as heard by a caller at now in the
// language lang: "today at 1 PM", "tomorrow at 8 AM", "Monday at 8 AM"
// within the week, and "Monday, January 5 at 8 AM" beyond it (each
// language's Builtin says it its own way).
func SpokenOpening(now, next time.Time, loc *time.Location, lang string) string {
	ln, lnext := now.In(loc), next.In(loc)
	day := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc) }
	days := int(day(lnext).Sub(day(ln)).Hours()/24 + 0.5)
	b, _ := BuiltinIn(lang)
	return b.opening(lnext, days)
}

// Describe renders the weekly hours for people, e.g.
// "Monday to Friday 08:00-18:00; Saturday 09:00-12:00".
func (s Schedule) Describe() string {
	var parts []string
	days := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}
	for i := 0; i < len(days); {
		j := i
		for j+1 < len(days) && sameWindows(s.Week[days[i]], s.Week[days[j+1]]) {
			j++
		}
		if len(s.Week[days[i]]) > 0 {
			name := days[i].String()
			if j > i {
				name += " to " + days[j].String()
			}
			var ws []string
			for _, w := range s.Week[days[i]] {
				ws = append(ws, w.String())
			}
			parts = append(parts, name+" "+strings.Join(ws, ", "))
		}
		i = j + 1
	}
	if len(parts) == 0 {
		return "no regular hours"
	}
	return strings.Join(parts, "; ")
}

func sameWindows(a, b []Window) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (s Schedule) loc() *time.Location {
	if s.Location == nil {
		return time.UTC
	}
	return s.Location
}

// BusinessDuration is how much opening time lies between from and to: the
// age of a request counted in business hours, so that a request left on a
// Friday evening is not overdue at 09:05 on Monday.
func (s Schedule) BusinessDuration(from, to time.Time) time.Duration {
	if !to.After(from) {
		return 0
	}
	loc := s.loc()
	lf := from.In(loc)
	day := time.Date(lf.Year(), lf.Month(), lf.Day(), 0, 0, 0, 0, loc)
	var total time.Duration
	for ; day.Before(to); day = day.AddDate(0, 0, 1) {
		if _, closed := s.ClosureOn(day); closed {
			continue
		}
		for _, w := range s.Week[day.Weekday()] {
			open := time.Date(day.Year(), day.Month(), day.Day(), w.Open/60, w.Open%60, 0, 0, loc)
			closeAt := time.Date(day.Year(), day.Month(), day.Day(), w.Close/60, w.Close%60, 0, 0, loc)
			if open.Before(from) {
				open = from
			}
			if closeAt.After(to) {
				closeAt = to
			}
			if closeAt.After(open) {
				total += closeAt.Sub(open)
			}
		}
	}
	return total
}

// AddBusiness returns the instant at which d of opening time has passed
// since from: the deadline of a request made at from. It is false when the
// schedule has no such opening in the next 60 days.
func (s Schedule) AddBusiness(from time.Time, d time.Duration) (time.Time, bool) {
	loc := s.loc()
	lf := from.In(loc)
	day := time.Date(lf.Year(), lf.Month(), lf.Day(), 0, 0, 0, 0, loc)
	left := d
	for i := 0; i < 60; i, day = i+1, day.AddDate(0, 0, 1) {
		if _, closed := s.ClosureOn(day); closed {
			continue
		}
		windows := append([]Window(nil), s.Week[day.Weekday()]...)
		sort.Slice(windows, func(a, b int) bool { return windows[a].Open < windows[b].Open })
		for _, w := range windows {
			open := time.Date(day.Year(), day.Month(), day.Day(), w.Open/60, w.Open%60, 0, 0, loc)
			closeAt := time.Date(day.Year(), day.Month(), day.Day(), w.Close/60, w.Close%60, 0, 0, loc)
			if open.Before(from) {
				open = from
			}
			if !closeAt.After(open) {
				continue
			}
			span := closeAt.Sub(open)
			if span >= left {
				return open.Add(left), true
			}
			left -= span
		}
	}
	return time.Time{}, false
}
