package callback_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/redistest"
	"github.com/switchboard-clinic/switchboard/internal/seal"
	"github.com/switchboard-clinic/switchboard/internal/testprog"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 30, 18, 0, 0, 0, time.UTC)} }

func newQueue(t *testing.T, rdb redis.UniversalClient, prefix string, c *clock) *callback.Queue {
	t.Helper()
	q, err := callback.NewQueue(callback.Options{Client: rdb, Sealer: seal.Random(), Prefix: prefix, Now: c.Now, ClaimTTL: 30 * time.Minute, Retention: 30 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func capture(sid string, at time.Time) callback.Capture {
	return callback.Capture{CallSID: sid, CallerNumber: "+12065550142", CallbackNumber: "+12065550142", Reason: "menu", At: at}
}

// create records a capture and returns the request id.
func create(t *testing.T, q *callback.Queue, c callback.Capture) string {
	t.Helper()
	id, _, err := q.Apply(t.Context(), q.CreateOp(c))
	if err != nil {
		t.Fatalf("create %s: %v", c.CallSID, err)
	}
	return id
}

func suiteCreateIsExactlyOncePerCall(t *testing.T, rdb redis.UniversalClient, prefix string) {
	c := newClock()
	q := newQueue(t, rdb, prefix, c)
	ctx := t.Context()

	first := q.CreateOp(capture("CA1", c.Now()))
	id, created, err := q.Apply(ctx, first)
	if err != nil || !created {
		t.Fatalf("first create: %v created=%v", err, created)
	}
	// A replay of the same op, and a second capture of the same call made
	// by another instance (a new id, a later time), both map to the same request.
	for _, op := range []callback.Op{first, q.CreateOp(capture("CA1", c.Now().Add(time.Second)))} {
		again, created, err := q.Apply(ctx, op)
		if err != nil || created || again != id {
			t.Fatalf("duplicate create = %s, %v, %v; want %s, false, nil", again, created, err, id)
		}
	}
	if _, _, err := q.Apply(ctx, q.ConsentOp("CA1", callback.ConsentYes, callback.ConsentNo)); err != nil {
		t.Fatal(err)
	}
	msg := q.MessageOp("CA1", callback.Message{RecordingSID: "RE1", DurationSeconds: 14})
	for i := 0; i < 2; i++ { // a replayed recording callback adds nothing
		if _, _, err := q.Apply(ctx, msg); err != nil {
			t.Fatal(err)
		}
	}
	r, err := q.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != callback.StatusPending || r.CallbackNumber != "+12065550142" || r.VoicemailOK != callback.ConsentYes ||
		r.NamePracticeOK != callback.ConsentNo || r.Message == nil || r.Message.RecordingSID != "RE1" || r.Message.DurationSeconds != 14 {
		t.Errorf("request = %+v", r)
	}
	if !r.CreatedAt.Equal(c.Now()) {
		t.Errorf("CreatedAt = %v, want %v", r.CreatedAt, c.Now())
	}
	var whats []string
	for _, e := range r.History {
		whats = append(whats, e.What)
	}
	if fmt.Sprint(whats) != "[created consent voice message]" {
		t.Errorf("history = %v", whats)
	}
	pending, _, err := q.List(ctx, callback.StatusPending, 10, "")
	if err != nil || len(pending) != 1 {
		t.Errorf("pending = %d requests (%v), want 1", len(pending), err)
	}
}

func suiteUpdateForUnknownCall(t *testing.T, rdb redis.UniversalClient, prefix string) {
	q := newQueue(t, rdb, prefix, newClock())
	if _, _, err := q.Apply(t.Context(), q.MessageOp("CAnone", callback.Message{RecordingSID: "RE1"})); !errors.Is(err, callback.ErrNotFound) {
		t.Errorf("update for an unknown call: %v, want ErrNotFound", err)
	}
}

func suiteThousandConcurrentCaptures(t *testing.T, rdb redis.UniversalClient, prefix string) {
	c := newClock()
	q := newQueue(t, rdb, prefix, c)
	ctx := t.Context()
	const calls = 1000
	var wg sync.WaitGroup
	errs := make(chan error, 2*calls)
	for i := 0; i < calls; i++ {
		// Each call is captured twice at once, as by a webhook and its replay.
		for dup := 0; dup < 2; dup++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cp := capture(fmt.Sprintf("CA%05d", i), c.Now().Add(time.Duration(i)*time.Millisecond))
				if _, _, err := q.Apply(ctx, q.CreateOp(cp)); err != nil {
					errs <- err
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("capture: %v", err)
	}
	seen := map[string]bool{}
	cursor := ""
	for {
		page, next, err := q.List(ctx, callback.StatusPending, 500, cursor)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page {
			if seen[r.CallSID] {
				t.Fatalf("call %s recorded twice", r.CallSID)
			}
			seen[r.CallSID] = true
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if len(seen) != calls {
		t.Errorf("%d requests, want %d", len(seen), calls)
	}
}

func suiteFiftyClaimersOneWinner(t *testing.T, rdb redis.UniversalClient, prefix string) {
	c := newClock()
	q := newQueue(t, rdb, prefix, c)
	id := create(t, q, capture("CA1", c.Now()))
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, conflicts := 0, 0
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := q.Claim(t.Context(), id, as(fmt.Sprintf("staff%02d", i)))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.Is(err, callback.ErrConflict):
				conflicts++
			default:
				t.Errorf("claim: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 || conflicts != 49 {
		t.Errorf("wins = %d, conflicts = %d; want 1 and 49", wins, conflicts)
	}
}

func suiteTransitions(t *testing.T, rdb redis.UniversalClient, prefix string) {
	c := newClock()
	q := newQueue(t, rdb, prefix, c)
	ctx := t.Context()
	type step struct {
		do         func(id string) (*callback.Request, error)
		wantErr    error
		wantStatus callback.Status
	}
	claim := func(who string) func(string) (*callback.Request, error) {
		return func(id string) (*callback.Request, error) { return q.Claim(ctx, id, as(who)) }
	}
	release := func(who string) func(string) (*callback.Request, error) {
		return func(id string) (*callback.Request, error) { return q.Release(ctx, id, as(who)) }
	}
	complete := func(who string, o callback.Outcome, requeue bool) func(string) (*callback.Request, error) {
		return func(id string) (*callback.Request, error) {
			return q.Complete(ctx, id, as(who), callback.Attempt{Outcome: o, Note: "note", Requeue: callback.RequeueIf(requeue)})
		}
	}
	cancel := func(by callback.Holder) func(string) (*callback.Request, error) {
		return func(id string) (*callback.Request, error) { return q.Cancel(ctx, id, by, "duplicate") }
	}
	tests := []struct {
		name         string
		steps        []step
		wantAttempts int
	}{
		{"claim then reach", []step{
			{claim("ana"), nil, callback.StatusClaimed},
			{claim("ana"), nil, callback.StatusClaimed}, // claiming one's own claim again is fine
			{complete("ana", callback.OutcomeReached, false), nil, callback.StatusDone},
			{claim("ben"), callback.ErrConflict, ""},
			{release("ana"), callback.ErrConflict, ""},
		}, 1},
		{"second claimer conflicts", []step{
			{claim("ana"), nil, callback.StatusClaimed},
			{claim("ben"), callback.ErrConflict, ""},
			{release("ben"), callback.ErrConflict, ""},
			{complete("ben", callback.OutcomeReached, false), callback.ErrConflict, ""},
			{release("ana"), nil, callback.StatusPending},
			{claim("ben"), nil, callback.StatusClaimed},
		}, 0},
		{"no answer goes back to the queue", []step{
			{claim("ana"), nil, callback.StatusClaimed},
			{complete("ana", callback.OutcomeNoAnswer, true), nil, callback.StatusPending},
			{claim("ben"), nil, callback.StatusClaimed},
			{complete("ben", callback.OutcomeLeftVoicemail, true), nil, callback.StatusPending},
			{claim("ana"), nil, callback.StatusClaimed},
			{complete("ana", callback.OutcomeWrongNumber, false), nil, callback.StatusDone},
		}, 3},
		{"complete needs a claim", []step{
			{complete("ana", callback.OutcomeReached, false), callback.ErrConflict, ""},
		}, 0},
		{"bad outcome", []step{
			{claim("ana"), nil, callback.StatusClaimed},
			{complete("ana", callback.Outcome("maybe"), false), callback.ErrBadOutcome, ""},
		}, 0},
		{"an administrator cancels", []step{
			{cancel(as("ana")), callback.ErrForbidden, ""},
			{cancel(admin("boss")), nil, callback.StatusCancelled},
			{claim("ana"), callback.ErrConflict, ""},
		}, 0},
		{"cancel someone else's claim", []step{
			{claim("ana"), nil, callback.StatusClaimed},
			{cancel(as("ben")), callback.ErrForbidden, ""},
			{cancel(admin("boss")), callback.ErrConflict, ""},
			{cancel(as("ana")), nil, callback.StatusCancelled},
		}, 0},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := create(t, q, capture(fmt.Sprintf("CAt%d", i), c.Now()))
			for j, s := range tt.steps {
				r, err := s.do(id)
				if !errors.Is(err, s.wantErr) {
					t.Fatalf("step %d: error %v, want %v", j, err, s.wantErr)
				}
				if err == nil && r.Status != s.wantStatus {
					t.Fatalf("step %d: status %s, want %s", j, r.Status, s.wantStatus)
				}
			}
			r, err := q.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if r.Attempts != tt.wantAttempts {
				t.Errorf("attempts = %d, want %d", r.Attempts, tt.wantAttempts)
			}
		})
	}
	t.Run("unknown id", func(t *testing.T) {
		for _, id := range []string{"01KQZZZZZZZZZZZZZZZZZZZZZZ", "nonsense", ""} {
			if _, err := q.Claim(ctx, id, as("ana")); !errors.Is(err, callback.ErrNotFound) {
				t.Errorf("claim %q: %v, want ErrNotFound", id, err)
			}
		}
	})
	t.Run("conflict names the holder", func(t *testing.T) {
		id := create(t, q, capture("CAholder", c.Now()))
		if _, err := q.Claim(ctx, id, as("ana")); err != nil {
			t.Fatal(err)
		}
		_, err := q.Claim(ctx, id, as("ben"))
		var ce *callback.ConflictError
		if !errors.As(err, &ce) || ce.ClaimedBy != "ana" || ce.Status != callback.StatusClaimed {
			t.Errorf("conflict = %v", err)
		}
	})
	t.Run("notes and history", func(t *testing.T) {
		id := create(t, q, capture("CAnotes", c.Now()))
		if _, err := q.AddNote(ctx, id, "ana", "prefers mornings"); err != nil {
			t.Fatal(err)
		}
		r, _ := q.Get(ctx, id)
		last := r.History[len(r.History)-1]
		if last.Who != "ana" || last.What != "note" || last.Note != "prefers mornings" {
			t.Errorf("last event = %+v", last)
		}
	})
}

func suitePendingOrderAndPaging(t *testing.T, rdb redis.UniversalClient, prefix string) {
	c := newClock()
	q := newQueue(t, rdb, prefix, c)
	ctx := t.Context()
	for i := 0; i < 25; i++ {
		// Created out of order: the queue follows creation time, not arrival.
		at := c.Now().Add(time.Duration((i*7)%25) * time.Minute)
		create(t, q, capture(fmt.Sprintf("CA%02d", i), at))
	}
	list := func() []*callback.Request {
		var all []*callback.Request
		cursor := ""
		for pages := 0; ; pages++ {
			page, next, err := q.List(ctx, callback.StatusPending, 10, cursor)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) > 10 || pages > 5 {
				t.Fatalf("page of %d / %d pages", len(page), pages)
			}
			all = append(all, page...)
			if next == "" {
				return all
			}
			cursor = next
		}
	}
	all := list()
	if len(all) != 25 {
		t.Fatalf("listed %d, want 25", len(all))
	}
	for i := 1; i < len(all); i++ {
		if !all[i-1].CreatedAt.Before(all[i].CreatedAt) {
			t.Fatalf("not oldest first at %d: %v then %v", i, all[i-1].CreatedAt, all[i].CreatedAt)
		}
	}
	// A claimed request leaves the queue and comes back to its place.
	middle := all[12]
	if _, err := q.Claim(ctx, middle.ID, as("ana")); err != nil {
		t.Fatal(err)
	}
	if got := list(); len(got) != 24 {
		t.Errorf("after a claim, %d pending", len(got))
	}
	if _, err := q.Release(ctx, middle.ID, as("ana")); err != nil {
		t.Fatal(err)
	}
	if got := list(); got[12].ID != middle.ID {
		t.Errorf("released request is at another place")
	}
	if _, _, err := q.List(ctx, callback.StatusPending, 10, "garbage"); !errors.Is(err, callback.ErrBadCursor) {
		t.Errorf("bad cursor: %v", err)
	}
	st, err := q.Stats(ctx)
	if err != nil || st.Pending != 25 || !st.OldestPending.Equal(c.Now()) {
		t.Errorf("stats = %+v, %v", st, err)
	}
}

func suiteStaleClaimsReturnToTheQueue(t *testing.T, rdb redis.UniversalClient, prefix string) {
	c := newClock()
	q := newQueue(t, rdb, prefix, c)
	ctx := t.Context()
	stale := create(t, q, capture("CAstale", c.Now()))
	fresh := create(t, q, capture("CAfresh", c.Now()))
	if _, err := q.Claim(ctx, stale, as("ana")); err != nil {
		t.Fatal(err)
	}
	c.Advance(20 * time.Minute)
	if _, err := q.Claim(ctx, fresh, as("ben")); err != nil {
		t.Fatal(err)
	}
	c.Advance(11 * time.Minute)
	n, err := q.ExpireClaims(ctx)
	if err != nil || n != 1 {
		t.Fatalf("ExpireClaims = %d, %v; want 1", n, err)
	}
	for id, want := range map[string]callback.Status{stale: callback.StatusPending, fresh: callback.StatusClaimed} {
		if r, _ := q.Get(ctx, id); r.Status != want {
			t.Errorf("%s: status %s, want %s", r.CallSID, r.Status, want)
		}
	}
}

func suiteRetentionDeletesOnlyFinishedRequests(t *testing.T, rdb redis.UniversalClient, prefix string) {
	c := newClock()
	q := newQueue(t, rdb, prefix, c)
	ctx := t.Context()
	done := create(t, q, capture("CAdone", c.Now()))
	pending := create(t, q, capture("CApending", c.Now()))
	if _, err := q.Claim(ctx, done, as("ana")); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Complete(ctx, done, as("ana"), callback.Attempt{Outcome: callback.OutcomeReached, Requeue: callback.RequeueNo}); err != nil {
		t.Fatal(err)
	}
	c.Advance(29 * 24 * time.Hour)
	if n, err := q.Purge(ctx); err != nil || n != 0 {
		t.Fatalf("purge before retention = %d, %v", n, err)
	}
	c.Advance(2 * 24 * time.Hour)
	if n, err := q.Purge(ctx); err != nil || n != 1 {
		t.Fatalf("purge after retention = %d, %v; want 1", n, err)
	}
	if _, err := q.Get(ctx, done); !errors.Is(err, callback.ErrNotFound) {
		t.Errorf("purged request still readable: %v", err)
	}
	if _, err := q.Get(ctx, pending); err != nil {
		t.Errorf("pending request purged: %v", err)
	}
	for _, gone := range []string{"r:" + done, "h:" + done} {
		if n, err := rdb.Exists(ctx, q.Key(gone)).Result(); err != nil || n != 0 {
			t.Errorf("key %s survived the purge (%v)", q.Key(gone), err)
		}
	}
	if ok, _ := rdb.HExists(ctx, q.Key("calls"), "CAdone").Result(); ok {
		t.Error("the call's exactly-once entry survived the purge")
	}
	if n, _ := rdb.Exists(ctx, q.Key("r:"+pending)).Result(); n != 1 {
		t.Error("the pending request's key is gone")
	}
}

func suiteCallPlacedCountsOneAttempt(t *testing.T, rdb redis.UniversalClient, prefix string) {
	c := newClock()
	q := newQueue(t, rdb, prefix, c)
	ctx := t.Context()
	id := create(t, q, capture("CAcall", c.Now()))
	if _, err := q.CallPlaced(ctx, id, as("ana"), ""); !errors.Is(err, callback.ErrConflict) {
		t.Errorf("call placed without a claim: %v", err)
	}
	if _, err := q.Claim(ctx, id, as("ana")); err != nil {
		t.Fatal(err)
	}
	r, err := q.CallPlaced(ctx, id, as("ana"), "")
	if err != nil || r.Attempts != 1 {
		t.Fatalf("after a placed call: %+v, %v", r, err)
	}
	// The outcome of that call does not count it again; the next one does.
	r, _ = q.Complete(ctx, id, as("ana"), callback.Attempt{Outcome: callback.OutcomeNoAnswer, Requeue: callback.RequeueYes})
	if r.Attempts != 1 {
		t.Errorf("attempts after its outcome = %d, want 1", r.Attempts)
	}
	q.Claim(ctx, id, as("ana"))
	r, _ = q.Complete(ctx, id, as("ana"), callback.Attempt{Outcome: callback.OutcomeReached, Note: "called from desk phone", Requeue: callback.RequeueNo})
	if r.Attempts != 2 {
		t.Errorf("attempts after a second call = %d, want 2", r.Attempts)
	}
	if _, err := q.Log(ctx, id, "ana", "number revealed"); err != nil {
		t.Fatal(err)
	}
	r, _ = q.Get(ctx, id)
	if last := r.History[len(r.History)-1]; last.What != "number revealed" || last.Who != "ana" {
		t.Errorf("last event = %+v", last)
	}
}

func suiteSearchFinished(t *testing.T, rdb redis.UniversalClient, prefix string) {
	c := newClock()
	q := newQueue(t, rdb, prefix, c)
	ctx := t.Context()
	numbers := []string{"+12065550142", "+12065550199", "+14255550142"}
	for i, n := range numbers {
		cp := capture(fmt.Sprintf("CAs%d", i), c.Now().Add(time.Duration(i)*24*time.Hour))
		cp.CallbackNumber = n
		id := create(t, q, cp)
		q.Claim(ctx, id, as("ana"))
		if _, err := q.Complete(ctx, id, as("ana"), callback.Attempt{Outcome: callback.OutcomeReached, Requeue: callback.RequeueNo}); err != nil {
			t.Fatal(err)
		}
	}
	create(t, q, capture("CApending", c.Now())) // pending: never in the done list
	tests := []struct {
		last4 string
		day   time.Time
		want  int
	}{
		{"", time.Time{}, 3},
		{"0142", time.Time{}, 2},
		{"0199", time.Time{}, 1},
		{"9999", time.Time{}, 0},
		{"", c.Now().Add(24 * time.Hour), 1},
		{"0142", c.Now().Add(24 * time.Hour), 0},
	}
	for _, tt := range tests {
		got, err := q.SearchFinished(ctx, tt.last4, tt.day, time.UTC, 50)
		if err != nil || len(got) != tt.want {
			t.Errorf("SearchFinished(%q, %v) = %d results, %v; want %d", tt.last4, tt.day, len(got), err, tt.want)
		}
	}
}

// storeSuite is the callback store's test suite: every test in it must hold
// on a single Redis and on a Redis Cluster alike.
func storeSuite() []struct {
	name string
	run  func(t *testing.T, rdb redis.UniversalClient, prefix string)
} {
	return []struct {
		name string
		run  func(t *testing.T, rdb redis.UniversalClient, prefix string)
	}{
		{"CreateIsExactlyOncePerCall", suiteCreateIsExactlyOncePerCall},
		{"UpdateForUnknownCall", suiteUpdateForUnknownCall},
		{"ThousandConcurrentCaptures", suiteThousandConcurrentCaptures},
		{"FiftyClaimersOneWinner", suiteFiftyClaimersOneWinner},
		{"Transitions", suiteTransitions},
		{"PendingOrderAndPaging", suitePendingOrderAndPaging},
		{"StaleClaimsReturnToTheQueue", suiteStaleClaimsReturnToTheQueue},
		{"RetentionDeletesOnlyFinishedRequests", suiteRetentionDeletesOnlyFinishedRequests},
		{"CallPlacedCountsOneAttempt", suiteCallPlacedCountsOneAttempt},
		{"SearchFinished", suiteSearchFinished},
		{"UrgentFirst", suiteUrgentFirst},
		{"StoredBeforeUrgent", suiteStoredBeforeUrgent},
	}
}

func TestStoreOnOneServer(t *testing.T) {
	t.Parallel()
	for _, tt := range storeSuite() {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rs := redistest.Start(t)
			tt.run(t, rs.Client(), "test:")
		})
	}
}

func TestStoreOnACluster(t *testing.T) {
	testprog.Slow(t, "a Redis Cluster")
	t.Parallel()
	cl := redistest.StartCluster(t, 3)
	rdb := cl.Client()
	for i, tt := range storeSuite() {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, rdb, fmt.Sprintf("t%d:", i))
		})
	}
}

// TestCancelScriptHoldsTheRule: the transition script applies Request.Allows
// itself, so a staff member whose claim expired between Cancel's check and
// the script cannot cancel the now pending request; an administrator can.
func TestCancelScriptHoldsTheRule(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	c := newClock()
	q := newQueue(t, rs.Client(), "t:", c)
	id := create(t, q, capture("CA1", c.Now()))
	ana := callback.Holder{ID: "a1", Name: "ana", Created: c.Now().Add(-time.Hour)}
	var conflict *callback.ConflictError
	if _, err := callback.CancelUnchecked(q, id, ana); !errors.As(err, &conflict) {
		t.Fatalf("a staff member cancelled a pending request they do not hold: %v", err)
	}
	admin := callback.Holder{ID: "b1", Name: "ben", Created: c.Now().Add(-time.Hour), Admin: true}
	r, err := callback.CancelUnchecked(q, id, admin)
	if err != nil || r.Status != callback.StatusCancelled {
		t.Fatalf("an administrator's cancel = %v, %v", r, err)
	}
}
