package callback_test

import (
	"crypto/rand"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
	"github.com/redis/go-redis/v9"
	"github.com/switchboard-clinic/switchboard/internal/callback"
)

// listAll pages through the pending queue with pages of limit and returns
// the ids in the order listed; it fails on a page over the limit or a
// listing that does not end.
func listAll(t *testing.T, q *callback.Queue, limit int) []string {
	t.Helper()
	var ids []string
	cursor := ""
	for pages := 0; ; pages++ {
		page, next, err := q.List(t.Context(), callback.StatusPending, limit, cursor)
		if err != nil {
			t.Fatalf("list after %q: %v", cursor, err)
		}
		if len(page) > limit || pages > 100 {
			t.Fatalf("page of %d (limit %d), %d pages", len(page), limit, pages)
		}
		for _, r := range page {
			ids = append(ids, r.ID)
		}
		if next == "" {
			return ids
		}
		cursor = next
	}
}

// suiteUrgentFirst: crisis requests list before every other, oldest first
// among them, then the rest oldest first, whatever the page size and
// wherever a page ends; a claim released returns to its own part.
func suiteUrgentFirst(t *testing.T, rdb redis.UniversalClient, prefix string) {
	c := newClock()
	q := newQueue(t, rdb, prefix, c)
	ctx := t.Context()
	// Minute i: crisis at 1, 4, 6; therapist (not urgent) at 2; the rest menu.
	// Created out of order, so the order is by creation time, not arrival.
	reasons := map[int]callback.Reason{1: callback.ReasonCrisis, 4: callback.ReasonCrisis, 6: callback.ReasonCrisis, 2: callback.ReasonTherapist}
	byMinute := map[int]string{}
	for _, i := range []int{5, 1, 0, 6, 3, 7, 2, 4} {
		cp := capture(fmt.Sprintf("CA%02d", i), c.Now().Add(time.Duration(i)*time.Minute))
		if r, ok := reasons[i]; ok {
			cp.Reason = r
		}
		byMinute[i] = create(t, q, cp)
	}
	var want []string
	for _, i := range []int{1, 4, 6, 0, 2, 3, 5, 7} {
		want = append(want, byMinute[i])
	}
	// Page sizes that end a page inside the urgent part, exactly at its
	// end (3), and after it.
	for _, limit := range []int{1, 2, 3, 4, 5, 8, 50} {
		if got := listAll(t, q, limit); !slices.Equal(got, want) {
			t.Errorf("limit %d: listed %v, want %v", limit, got, want)
		}
	}

	first, _, err := q.List(ctx, callback.StatusPending, 1, "")
	if err != nil || len(first) != 1 || first[0].Reason != callback.ReasonCrisis {
		t.Fatalf("first pending = %v, %v; want the oldest crisis request", first, err)
	}
	// Claimed, an urgent request leaves the queue; released or
	// requeued it returns to the urgent part, in its place.
	for _, back := range []func(id string) error{
		func(id string) error { _, err := q.Release(ctx, id, as("ana")); return err },
		func(id string) error {
			_, err := q.Complete(ctx, id, as("ana"), callback.Attempt{Outcome: callback.OutcomeNoAnswer, Requeue: callback.RequeueYes})
			return err
		},
	} {
		if _, err := q.Claim(ctx, byMinute[4], as("ana")); err != nil {
			t.Fatal(err)
		}
		if got := listAll(t, q, 2); slices.Contains(got, byMinute[4]) || len(got) != len(want)-1 {
			t.Errorf("claimed request still listed: %v", got)
		}
		if err := back(byMinute[4]); err != nil {
			t.Fatal(err)
		}
		if got := listAll(t, q, 2); !slices.Equal(got, want) {
			t.Errorf("after the claim ended: %v, want %v", got, want)
		}
	}
	if _, err := q.Cancel(ctx, byMinute[6], admin("ana"), "duplicate"); err != nil {
		t.Fatal(err)
	}
	want = slices.DeleteFunc(want, func(id string) bool { return id == byMinute[6] })
	if got := listAll(t, q, 3); !slices.Equal(got, want) {
		t.Errorf("after a cancel: %v, want %v", got, want)
	}

	// The oldest-waiting figure is the oldest of all (minute 0, not urgent):
	// urgent ones listed first must not hide it.
	st, err := q.Stats(ctx)
	if err != nil || st.Pending != 7 || st.Urgent != 2 || !st.OldestPending.Equal(c.Now()) {
		t.Errorf("stats = %+v, %v; want 7 pending, 2 urgent, oldest %v", st, err, c.Now())
	}
}

// suiteStoredBeforeUrgent: requests written by the code before the urgent
// set (no reason field, or a reason, all in pending with score 0) still
// list, after the urgent ones, and a cursor of that code (a bare id) still
// continues the queue.
func suiteStoredBeforeUrgent(t *testing.T, rdb redis.UniversalClient, prefix string) {
	c := newClock()
	q := newQueue(t, rdb, prefix, c)
	ctx := t.Context()
	old := func(i int, fields ...string) string {
		t.Helper()
		id := ulid.MustNew(ulid.Timestamp(c.Now().Add(time.Duration(i)*time.Minute)), rand.Reader).String()
		fields = append([]string{"id", id, "sid", fmt.Sprintf("CAold%d", i), "from", "=", "num", "+12065550142", "st", "pending"}, fields...)
		if err := rdb.HSet(ctx, q.Key("r:"+id), fields).Err(); err != nil {
			t.Fatal(err)
		}
		if err := rdb.HSet(ctx, q.Key("calls"), fmt.Sprintf("CAold%d", i), id).Err(); err != nil {
			t.Fatal(err)
		}
		if err := rdb.ZAdd(ctx, q.Key("pending"), redis.Z{Score: 0, Member: id}).Err(); err != nil {
			t.Fatal(err)
		}
		return id
	}
	noReason := old(0)
	menu := old(2, "rsn", "menu")
	crisis := create(t, q, callback.Capture{CallSID: "CAnew", CallbackNumber: "+12065550142", Reason: callback.ReasonCrisis, At: c.Now().Add(3 * time.Minute)})
	normal := create(t, q, capture("CAnew2", c.Now().Add(time.Minute)))

	want := []string{crisis, noReason, normal, menu}
	for _, limit := range []int{1, 2, 10} {
		if got := listAll(t, q, limit); !slices.Equal(got, want) {
			t.Errorf("limit %d: %v, want %v", limit, got, want)
		}
	}
	page, next, err := q.List(ctx, callback.StatusPending, 10, noReason) // an old cursor
	if err != nil || next != "" || len(page) != 2 || page[0].ID != normal || page[1].ID != menu {
		t.Errorf("after an old cursor: %d requests, next %q, %v", len(page), next, err)
	}
	// An old request works as before: claimed, released, back in its place.
	if _, err := q.Claim(ctx, noReason, as("ana")); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Release(ctx, noReason, as("ana")); err != nil {
		t.Fatal(err)
	}
	if got := listAll(t, q, 2); !slices.Equal(got, want) {
		t.Errorf("after claim and release: %v, want %v", got, want)
	}
	if st, err := q.Stats(ctx); err != nil || st.Pending != 4 || st.Urgent != 1 {
		t.Errorf("stats = %+v, %v", st, err)
	}
}
