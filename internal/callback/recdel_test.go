package callback_test

import (
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/redistest"
)

// flakyTwilio deletes recordings after failing the first fails calls.
type flakyTwilio struct {
	mu      sync.Mutex
	fails   int
	deleted []string
}

func (f *flakyTwilio) DeleteRecording(sid string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fails > 0 {
		f.fails--
		return errors.New("twilio: 503")
	}
	f.deleted = append(f.deleted, sid)
	return nil
}

// TestRecordingsAreDeletedWhicheverWayARequestFinishes: completing or
// cancelling (by any client: the queue does it, not the console) and the
// retention purge all queue the recording; upkeep deletes it at Twilio,
// retrying failures until Twilio confirms, and says so in the history.
func TestRecordingsAreDeletedWhicheverWayARequestFinishes(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	c := &clock{t: time.Date(2026, 11, 30, 18, 0, 0, 0, time.UTC)}
	q := newQueue(t, rs.Client(), "rd:", c)
	sp, err := callback.OpenSpool(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	rec, err := callback.NewRecorder(q, sp, 5*time.Second, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	tw := &flakyTwilio{fails: 2}
	on := true
	rec.DeleteRecordingsWith(tw, func() bool { return on })
	ctx := t.Context()
	withMessage := func(sid, rsid string) string {
		id := create(t, q, capture(sid, c.Now()))
		if _, _, err := q.Apply(ctx, q.MessageOp(sid, callback.Message{RecordingSID: rsid, DurationSeconds: 9})); err != nil {
			t.Fatal(err)
		}
		return id
	}
	done := withMessage("CA1", "RE11111111111111111111111111111111")
	cancelled := withMessage("CA2", "RE22222222222222222222222222222222")
	purged := withMessage("CA3", "RE33333333333333333333333333333333")
	requeued := withMessage("CA4", "RE44444444444444444444444444444444")
	for _, id := range []string{done, requeued} {
		if _, err := q.Claim(ctx, id, as("ana")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := q.Complete(ctx, done, as("ana"), callback.Attempt{Outcome: callback.OutcomeReached, Requeue: callback.RequeueNo}); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Complete(ctx, requeued, as("ana"), callback.Attempt{Outcome: callback.OutcomeNoAnswer, Requeue: callback.RequeueYes}); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Cancel(ctx, cancelled, admin("ben"), "duplicate"); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Cancel(ctx, purged, admin("ben"), ""); err != nil {
		t.Fatal(err)
	}
	if n, err := rs.Client().ZCard(ctx, q.Key("recdel")).Result(); err != nil || n != 3 {
		t.Fatalf("%d deletions queued (%v), want 3", n, err)
	}
	// Twilio fails twice, then deletes; a failure is retried a minute
	// later.
	if n, err := rec.DeleteRecordings(ctx); err != nil || n != 1 {
		t.Fatalf("first pass: %d deleted, %v", n, err)
	}
	for try := 0; len(tw.deleted) < 3 && try < 5; try++ {
		c.Advance(time.Minute)
		if _, err := rec.DeleteRecordings(ctx); err != nil {
			t.Fatal(err)
		}
	}
	got := strings.Join(tw.deleted, " ")
	for _, want := range []string{"RE1111", "RE2222", "RE3333"} {
		if !strings.Contains(got, want) {
			t.Errorf("%s not deleted; deleted: %s", want, got)
		}
	}
	if strings.Contains(got, "RE4444") {
		t.Errorf("the recording of a request back in the queue was deleted")
	}
	for _, id := range []string{done, cancelled} {
		r, err := q.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var history []string
		for _, e := range r.History {
			history = append(history, e.What)
		}
		if !strings.Contains(strings.Join(history, "|"), "recording deleted at Twilio") {
			t.Errorf("request %s's history does not say the recording was deleted: %v", id, history)
		}
	}
	// A request finished while deletion was off keeps its recording, and
	// the retention purge deletes it when deletion is on.
	on = false
	late := withMessage("CA5", "RE55555555555555555555555555555555")
	if _, err := q.Cancel(ctx, late, admin("ben"), ""); err != nil {
		t.Fatal(err)
	}
	if _, err := rec.DeleteRecordings(ctx); err != nil {
		t.Fatal(err)
	}
	on = true
	c.Advance(31 * 24 * time.Hour)
	if n, err := q.Purge(ctx); err != nil || n == 0 {
		t.Fatalf("purge: %d, %v", n, err)
	}
	if _, err := rec.DeleteRecordings(ctx); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(tw.deleted, " "), "RE5555") {
		t.Errorf("the purge did not delete the recording: %v", tw.deleted)
	}
	if n, err := rs.Client().ZCard(ctx, q.Key("recdel")).Result(); err != nil || n != 0 {
		t.Errorf("%d deletions still queued (%v)", n, err)
	}
}
