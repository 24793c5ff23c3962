package duty_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-clinic/switchboard/config"
	"github.com/switchboard-clinic/switchboard/internal/duty"
	"github.com/switchboard-clinic/switchboard/internal/faketwilio"
	"github.com/switchboard-clinic/switchboard/internal/redistest"
	"github.com/switchboard-clinic/switchboard/internal/twilioapi"
	"github.com/switchboard-clinic/switchboard/routing"
)

type adminPhones []string

func (a adminPhones) AdminPhones(context.Context) ([]string, error) { return a, nil }

const (
	sid   = "AC0123456789abcdef0123456789abcdef"
	token = "5ecre7a0be5ecre7a0be5ecre7a0be99"
	boss  = "+14255550190"
)

// watchRig is two instances' watches on one Redis, one fake Twilio and a
// clock the test moves.
type watchRig struct {
	fake  *faketwilio.Server
	clock atomic.Value // time.Time
	a, b  *duty.Watch
	ra    *duty.Roster
	line  *routing.Line
}

func newWatchRig(t *testing.T) *watchRig {
	t.Helper()
	rs := redistest.Start(t)
	line, err := config.Load("test", []byte(dutyLine))
	if err != nil {
		t.Fatal(err)
	}
	r := &watchRig{fake: faketwilio.Start(t, sid, token), line: line}
	r.clock.Store(time.Date(2026, 11, 30, 18, 0, 0, 0, time.UTC)) // Monday 10:00 in Seattle
	now := func() time.Time { return r.clock.Load().(time.Time) }
	tw, err := twilioapi.New(sid, token, r.fake.HTTPClient(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	watch := func() (*duty.Watch, *duty.Roster) {
		ro, err := duty.New(rs.Client(), "t:", now)
		if err != nil {
			t.Fatal(err)
		}
		w, err := duty.NewWatch(duty.WatchOptions{Roster: ro, Line: func() *routing.Line { return line }, Now: now,
			Admins: adminPhones{boss}, Texter: tw, Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		return w, ro
	}
	r.a, r.ra = watch()
	r.b, _ = watch()
	return r
}

func (r *watchRig) texts() []string {
	var out []string
	for _, q := range r.fake.Requests() {
		if strings.HasSuffix(q.Path, "/Messages.json") {
			out = append(out, q.Form.Get("To")+" "+q.Form.Get("Body"))
		}
	}
	return out
}

// TestAdminsAreTextedOnceWhenAGapStarts: a gap (nobody taking a group's
// calls while the office is open) is texted about once, by one of two
// instances, whether it starts by a switch or by the clock; it is texted
// about again after it ended; a gap while closed texts nobody.
func TestAdminsAreTextedOnceWhenAGapStarts(t *testing.T) {
	t.Parallel()
	r := newWatchRig(t)
	ctx := t.Context()
	at := func(hhmm string) {
		d, _ := time.Parse("15:04", hhmm)
		r.clock.Store(time.Date(2026, 11, 30, 8+d.Hour(), d.Minute(), 0, 0, time.UTC)) // Seattle is UTC-8
	}
	check := func(w *duty.Watch, want int, step string) {
		t.Helper()
		got, err := w.Check(ctx)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if len(got) != want {
			t.Fatalf("%s: texted about %v, want %d group(s)", step, got, want)
		}
	}
	check(r.a, 0, "everyone taking calls")
	if err := r.ra.Set(ctx, duty.Switch{Member: ben, On: false, By: "ben", How: "console"}); err != nil {
		t.Fatal(err)
	}
	check(r.a, 0, "ben away, ana on her duty hours")
	cover, err := r.a.Cover(ctx)
	if err != nil || !cover.Open || len(cover.Uncovered) != 0 {
		t.Fatalf("cover with ana on duty: %+v %v", cover, err)
	}

	at("12:00") // ana's duty hours end: nobody takes scheduling calls
	var wg sync.WaitGroup
	var texted atomic.Int32
	for _, w := range []*duty.Watch{r.a, r.b, r.a, r.b} {
		wg.Go(func() {
			if got, err := w.Check(ctx); err == nil {
				texted.Add(int32(len(got)))
			}
		})
	}
	wg.Wait()
	if texted.Load() != 1 || len(r.texts()) != 1 {
		t.Fatalf("four checks on two instances texted %d time(s): %q", texted.Load(), r.texts())
	}
	if got := r.texts()[0]; !strings.HasPrefix(got, boss+" Test Practice: nobody is taking calls for Scheduling now") || strings.Contains(got, "+1206") {
		t.Errorf("the text = %q", got)
	}
	check(r.b, 0, "the same gap a minute later")
	cover, _ = r.a.Cover(ctx)
	if !cover.Open || strings.Join(cover.Uncovered, ",") != "scheduling" {
		t.Errorf("cover = %+v, want scheduling uncovered", cover)
	}

	if err := r.ra.Set(ctx, duty.Switch{Member: ben, On: true, By: "ben", How: "sms"}); err != nil {
		t.Fatal(err)
	}
	check(r.b, 0, "ben back: the gap ends")
	if err := r.ra.Set(ctx, duty.Switch{Member: ben, On: false, By: "ben", How: "sms"}); err != nil {
		t.Fatal(err)
	}
	check(r.b, 1, "ben away again: a new gap")

	at("19:00") // closed: the gap ends with the day
	check(r.a, 0, "closed")
	cover, _ = r.a.Cover(ctx)
	if cover.Open {
		t.Error("open at 19:00")
	}
	r.clock.Store(time.Date(2026, 12, 7, 21, 0, 0, 0, time.UTC)) // next Monday 13:00: the first check of the day
	check(r.a, 1, "the office opens with nobody taking calls")
	if n := len(r.texts()); n != 3 {
		t.Errorf("%d texts in all, want 3", n)
	}
}

// TestAGapWithoutTwilioIsOnlyLogged: with no texter the gap is still
// remembered (and logged), and nothing fails.
func TestAGapWithoutTwilioIsOnlyLogged(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	line, err := config.Load("test", []byte(dutyLine))
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 11, 30, 21, 0, 0, 0, time.UTC) } // Monday 13:00
	ro, _ := duty.New(rs.Client(), "t:", now)
	var logs strings.Builder
	w, err := duty.NewWatch(duty.WatchOptions{Roster: ro, Line: func() *routing.Line { return line }, Now: now, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := ro.Set(t.Context(), duty.Switch{Member: ben, On: false, By: "ben", How: "console"}); err != nil {
		t.Fatal(err)
	}
	got, err := w.Check(t.Context())
	if err != nil || len(got) != 1 {
		t.Fatalf("check: %v %v", got, err)
	}
	if !strings.Contains(logs.String(), "TWILIO_ACCOUNT_SID") {
		t.Errorf("the log does not say why nobody was texted:\n%s", logs.String())
	}
	if _, err := duty.NewWatch(duty.WatchOptions{Roster: ro}); err == nil {
		t.Error("a watch without a clock, line and logger")
	}
}
