package routing_test

import (
	"testing"
	"time"

	"github.com/switchboard-clinic/switchboard/routing"
)

func pacific(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatalf("load zone: %v", err)
	}
	return loc
}

func weekdays(w ...routing.Window) [7][]routing.Window {
	var week [7][]routing.Window
	for d := time.Monday; d <= time.Friday; d++ {
		week[d] = w
	}
	return week
}

func TestScheduleIsOpen(t *testing.T) {
	t.Parallel()
	loc := pacific(t)
	s := routing.Schedule{
		Location: loc,
		Week:     weekdays(routing.Window{Open: 8 * 60, Close: 12 * 60}, routing.Window{Open: 13 * 60, Close: 18 * 60}),
		Closed:   []routing.Closure{{Date: time.Date(2026, 12, 25, 0, 0, 0, 0, loc), Name: "Christmas Day"}},
	}
	tests := []struct {
		name string
		at   time.Time
		want bool
	}{
		{"monday at opening", time.Date(2026, 11, 30, 8, 0, 0, 0, loc), true},
		{"monday a minute before opening", time.Date(2026, 11, 30, 7, 59, 0, 0, loc), false},
		{"lunch break", time.Date(2026, 11, 30, 12, 30, 0, 0, loc), false},
		{"afternoon", time.Date(2026, 11, 30, 17, 59, 59, 0, loc), true},
		{"closing time is closed", time.Date(2026, 11, 30, 18, 0, 0, 0, loc), false},
		{"saturday", time.Date(2026, 11, 28, 10, 0, 0, 0, loc), false},
		{"holiday on a friday", time.Date(2026, 12, 25, 10, 0, 0, 0, loc), false},
		// 17:30 UTC on a Monday is 09:30 in Seattle (PST, UTC-8).
		{"instant given in UTC", time.Date(2026, 11, 30, 17, 30, 0, 0, time.UTC), true},
		// 16:30 UTC on a Monday in July is 09:30 PDT (UTC-7).
		{"daylight saving time", time.Date(2026, 7, 13, 16, 30, 0, 0, time.UTC), true},
		{"early morning in UTC is the evening before locally", time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := s.IsOpen(tt.at); got != tt.want {
				t.Errorf("IsOpen(%v) = %v, want %v", tt.at, got, tt.want)
			}
		})
	}
}

func TestScheduleNextOpen(t *testing.T) {
	t.Parallel()
	loc := pacific(t)
	s := routing.Schedule{
		Location: loc,
		Week:     weekdays(routing.Window{Open: 9 * 60, Close: 17 * 60}),
		Closed:   []routing.Closure{{Date: time.Date(2026, 11, 30, 0, 0, 0, 0, loc), Name: "Staff training"}},
	}
	tests := []struct {
		name string
		at   time.Time
		want time.Time
	}{
		{"open now", time.Date(2026, 12, 1, 10, 0, 0, 0, loc), time.Date(2026, 12, 1, 10, 0, 0, 0, loc)},
		{"before opening", time.Date(2026, 12, 1, 6, 0, 0, 0, loc), time.Date(2026, 12, 1, 9, 0, 0, 0, loc)},
		{"friday evening skips the weekend and a closure", time.Date(2026, 11, 27, 18, 0, 0, 0, loc), time.Date(2026, 12, 1, 9, 0, 0, 0, loc)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := s.NextOpen(tt.at)
			if !ok || !got.Equal(tt.want) {
				t.Errorf("NextOpen(%v) = %v, %v; want %v", tt.at, got, ok, tt.want)
			}
		})
	}
	if _, ok := (routing.Schedule{Location: loc}).NextOpen(time.Now()); ok {
		t.Error("NextOpen on a schedule without hours found an opening")
	}
}

func TestScheduleDescribe(t *testing.T) {
	t.Parallel()
	week := weekdays(routing.Window{Open: 8 * 60, Close: 18 * 60})
	week[time.Saturday] = []routing.Window{{Open: 9 * 60, Close: 12 * 60}}
	got := routing.Schedule{Week: week}.Describe()
	want := "Monday to Friday 08:00-18:00; Saturday 09:00-12:00"
	if got != want {
		t.Errorf("Describe() = %q, want %q", got, want)
	}
}

func TestBusinessDuration(t *testing.T) {
	t.Parallel()
	loc := pacific(t)
	s := routing.Schedule{
		Location: loc,
		Week:     weekdays(routing.Window{Open: 9 * 60, Close: 17 * 60}),
		Closed:   []routing.Closure{{Date: time.Date(2026, 12, 25, 0, 0, 0, 0, loc), Name: "Christmas Day"}},
	}
	at := func(d, h, m int) time.Time { return time.Date(2026, 12, d, h, m, 0, 0, loc) }
	tests := []struct {
		name     string
		from, to time.Time
		want     time.Duration
	}{
		{"within one day", at(1, 10, 0), at(1, 12, 30), 150 * time.Minute},
		{"before opening counts nothing", at(1, 6, 0), at(1, 9, 0), 0},
		{"evening to next morning", at(1, 16, 0), at(2, 10, 0), 2 * time.Hour},
		{"friday evening to monday 09:05", at(4, 18, 0), at(7, 9, 5), 5 * time.Minute},
		{"over a holiday", at(24, 16, 0), at(28, 10, 0), 2 * time.Hour},
		{"to before from", at(2, 10, 0), at(1, 10, 0), 0},
		{"a whole week", at(7, 0, 0), at(14, 0, 0), 40 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := s.BusinessDuration(tt.from, tt.to); got != tt.want {
				t.Errorf("BusinessDuration = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestScheduleClosesAt(t *testing.T) {
	t.Parallel()
	loc := pacific(t)
	s := routing.Schedule{Location: loc, Week: weekdays(routing.Window{Open: 8 * 60, Close: 12 * 60}, routing.Window{Open: 13 * 60, Close: 18 * 60})}
	tests := []struct {
		name   string
		at     time.Time
		want   time.Time
		isOpen bool
	}{
		{"morning window", time.Date(2026, 11, 30, 9, 0, 0, 0, loc), time.Date(2026, 11, 30, 12, 0, 0, 0, loc), true},
		{"afternoon window", time.Date(2026, 11, 30, 17, 55, 0, 0, loc), time.Date(2026, 11, 30, 18, 0, 0, 0, loc), true},
		{"lunch", time.Date(2026, 11, 30, 12, 30, 0, 0, loc), time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, open := s.ClosesAt(tt.at)
			if open != tt.isOpen || !got.Equal(tt.want) {
				t.Errorf("ClosesAt(%v) = %v, %v; want %v, %v", tt.at, got, open, tt.want, tt.isOpen)
			}
		})
	}
}

func TestSpokenOpening(t *testing.T) {
	t.Parallel()
	loc := pacific(t)
	sat := time.Date(2026, 11, 28, 12, 0, 0, 0, loc)
	tests := []struct {
		name      string
		lang      string
		now, next time.Time
		want      string
	}{
		{"later today", "en", time.Date(2026, 11, 30, 12, 30, 0, 0, loc), time.Date(2026, 11, 30, 13, 0, 0, 0, loc), "today at 1 PM"},
		{"tomorrow", "en", time.Date(2026, 11, 30, 19, 0, 0, 0, loc), time.Date(2026, 12, 1, 8, 0, 0, 0, loc), "tomorrow at 8 AM"},
		{"after the weekend", "en", sat, time.Date(2026, 11, 30, 8, 0, 0, 0, loc), "Monday at 8 AM"},
		{"half past", "en", sat, time.Date(2026, 11, 30, 8, 30, 0, 0, loc), "Monday at 8:30 AM"},
		{"beyond a week", "en", sat, time.Date(2026, 12, 7, 8, 0, 0, 0, loc), "Monday, December 7 at 8 AM"},
		{"hoy, la una", "es", time.Date(2026, 11, 30, 12, 30, 0, 0, loc), time.Date(2026, 11, 30, 13, 0, 0, 0, loc), "hoy a la 1 de la tarde"},
		{"mañana", "es", time.Date(2026, 11, 30, 19, 0, 0, 0, loc), time.Date(2026, 12, 1, 8, 0, 0, 0, loc), "mañana a las 8"},
		{"el lunes", "es", sat, time.Date(2026, 11, 30, 8, 0, 0, 0, loc), "el lunes a las 8 de la mañana"},
		{"y media", "es", sat, time.Date(2026, 11, 30, 8, 30, 0, 0, loc), "el lunes a las 8:30 de la mañana"},
		{"mediodía", "es", sat, time.Date(2026, 11, 30, 12, 0, 0, 0, loc), "el lunes a las 12 del mediodía"},
		{"más de una semana", "es", sat, time.Date(2026, 12, 7, 8, 0, 0, 0, loc), "el lunes 7 de diciembre a las 8 de la mañana"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := routing.SpokenOpening(tt.now, tt.next, loc, tt.lang); got != tt.want {
				t.Errorf("SpokenOpening = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAddBusiness(t *testing.T) {
	t.Parallel()
	loc, _ := time.LoadLocation("America/Los_Angeles")
	var s routing.Schedule
	s.Location = loc
	for d := time.Monday; d <= time.Friday; d++ {
		s.Week[d] = []routing.Window{{Open: 8 * 60, Close: 18 * 60}}
	}
	at := func(v string) time.Time {
		t, err := time.ParseInLocation("2006-01-02 15:04", v, loc)
		if err != nil {
			panic(err)
		}
		return t
	}
	tests := []struct {
		name, from string
		hours      float64
		want       string
	}{
		{"within the day", "2026-11-30 10:00", 4, "2026-11-30 14:00"},
		{"at 16:55 a 4-hour deadline is the next morning", "2026-11-30 16:55", 4, "2026-12-01 10:55"},
		{"friday evening to monday", "2026-12-04 19:00", 4, "2026-12-07 12:00"},
		{"before opening", "2026-11-30 06:00", 1, "2026-11-30 09:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := s.AddBusiness(at(tt.from), time.Duration(tt.hours*float64(time.Hour)))
			if !ok || !got.Equal(at(tt.want)) {
				t.Errorf("AddBusiness(%s, %vh) = %v, %v; want %s", tt.from, tt.hours, got, ok, tt.want)
			}
		})
	}
}
