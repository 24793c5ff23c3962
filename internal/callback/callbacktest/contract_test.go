package callbacktest_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/callback/callbacktest"
	"github.com/switchboard-clinic/switchboard/internal/redistest"
	"github.com/switchboard-clinic/switchboard/internal/seal"
)

// clock is a test clock the contract moves on.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// desk is one implementation under the contract, with how to file a
// request in it.
type desk struct {
	callback.Desk
	add   func(t *testing.T, c callback.Capture) string
	clock *clock
}

// implementations are the Redis queue on a real redis-server and the
// in-memory fake, each on its own clock.
func implementations(t *testing.T) map[string]func(t *testing.T) desk {
	rdb := redistest.Start(t).Client()
	n := 0
	var mu sync.Mutex
	return map[string]func(t *testing.T) desk{
		"redis": func(t *testing.T) desk {
			mu.Lock()
			n++
			prefix := fmt.Sprintf("contract%d:", n)
			mu.Unlock()
			c := &clock{t: start}
			q, err := callback.NewQueue(callback.Options{Client: rdb, Sealer: seal.Random(), Prefix: prefix, Now: c.now})
			if err != nil {
				t.Fatal(err)
			}
			return desk{Desk: q, clock: c, add: func(t *testing.T, cp callback.Capture) string {
				t.Helper()
				id, _, err := q.Apply(t.Context(), q.CreateOp(cp))
				if err != nil {
					t.Fatal(err)
				}
				return id
			}}
		},
		"fake": func(*testing.T) desk {
			c := &clock{t: start}
			q := callbacktest.New(c.now)
			return desk{Desk: q, clock: c, add: func(_ *testing.T, cp callback.Capture) string { return q.AddCapture(cp) }}
		},
	}
}

var start = time.Date(2026, 11, 30, 18, 0, 0, 0, time.UTC)

func capture(sid string, at time.Time, reason callback.Reason) callback.Capture {
	return callback.Capture{CallSID: sid, CallerNumber: "+12065550142", CallbackNumber: "+12065550142", Reason: reason, At: at}
}

var (
	ana   = callback.Holder{ID: "id-ana", Name: "ana"}
	ben   = callback.Holder{ID: "id-ben", Name: "ben"}
	boss  = callback.Holder{ID: "id-boss", Name: "boss", Admin: true}
	noID  = callback.Holder{Name: "ana"}
	long  = strings.Repeat("é", callback.MaxNote/2) + "x" // one byte over, in whole characters
	exact = strings.Repeat("a", callback.MaxNote)
)

// step is one call to the desk and what it must give.
type step struct {
	name       string
	do         func(ctx context.Context, d callback.Desk, id string) (*callback.Request, error)
	wantErr    error // nil, or what errors.Is must match
	wantStatus callback.Status
}

func claim(by callback.Holder) step {
	return step{name: "claim by " + by.Name, do: func(ctx context.Context, d callback.Desk, id string) (*callback.Request, error) {
		return d.Claim(ctx, id, by)
	}}
}

func release(by callback.Holder) step {
	return step{name: "release by " + by.Name, do: func(ctx context.Context, d callback.Desk, id string) (*callback.Request, error) {
		return d.Release(ctx, id, by)
	}}
}

func complete(by callback.Holder, a callback.Attempt) step {
	return step{name: "complete by " + by.Name + " " + string(a.Outcome), do: func(ctx context.Context, d callback.Desk, id string) (*callback.Request, error) {
		return d.Complete(ctx, id, by, a)
	}}
}

func cancel(by callback.Holder, note string) step {
	return step{name: "cancel by " + by.Name, do: func(ctx context.Context, d callback.Desk, id string) (*callback.Request, error) {
		return d.Cancel(ctx, id, by, note)
	}}
}

func callPlaced(by callback.Holder) step {
	return step{name: "call placed by " + by.Name, do: func(ctx context.Context, d callback.Desk, id string) (*callback.Request, error) {
		return d.CallPlaced(ctx, id, by, "")
	}}
}

func note(who, text string) step {
	return step{name: "note by " + who, do: func(ctx context.Context, d callback.Desk, id string) (*callback.Request, error) {
		return d.AddNote(ctx, id, who, text)
	}}
}

// then sets what a step must give.
func (s step) then(status callback.Status) step { s.wantStatus = status; return s }
func (s step) fails(err error) step             { s.wantErr = err; return s }

// TestContract runs the same table against the Redis queue and the fake:
// the fake the front ends' tests use behaves as the real queue, rule for
// rule.
func TestContract(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		steps []step
		// What the request shows afterwards.
		wantAttempts int
		wantHistory  []string // the history's What after "created", in order
		wantNotes    []string // its non-empty notes, in order
	}{
		{"claim then reach", []step{
			claim(ana).then(callback.StatusClaimed),
			claim(ana).then(callback.StatusClaimed), // one's own claim again: fine, not written twice
			complete(ana, callback.Attempt{Outcome: callback.OutcomeReached, Note: "  booked intake  "}).then(callback.StatusDone),
			claim(ben).fails(callback.ErrConflict),
			release(ana).fails(callback.ErrConflict),
		}, 1, []string{"claim", "complete: reached"}, []string{"booked intake"}},
		{"one claimer at a time", []step{
			claim(ana).then(callback.StatusClaimed),
			claim(ben).fails(callback.ErrConflict),
			release(ben).fails(callback.ErrConflict),
			complete(ben, callback.Attempt{Outcome: callback.OutcomeReached}).fails(callback.ErrConflict),
			callPlaced(ben).fails(callback.ErrConflict),
			release(boss).fails(callback.ErrConflict), // an admin releases only claims made before ids
			release(ana).then(callback.StatusPending),
			claim(ben).then(callback.StatusClaimed),
		}, 0, []string{"claim", "release", "claim"}, nil},
		{"a claim needs an account id", []step{
			claim(noID).fails(errors.New("")), // any error
		}, 0, nil, nil},
		{"the outcome decides the requeue by default", []step{
			claim(ana),
			complete(ana, callback.Attempt{Outcome: callback.OutcomeNoAnswer}).then(callback.StatusPending),
			claim(ben),
			complete(ben, callback.Attempt{Outcome: callback.OutcomeLeftVoicemail}).then(callback.StatusPending),
			claim(ana),
			complete(ana, callback.Attempt{Outcome: callback.OutcomeWrongNumber}).then(callback.StatusDone),
		}, 3, []string{"claim", "complete: no-answer", "claim", "complete: left-voicemail", "claim", "complete: wrong-number"}, nil},
		{"requeue as asked", []step{
			claim(ana),
			complete(ana, callback.Attempt{Outcome: callback.OutcomeReached, Requeue: callback.RequeueYes}).then(callback.StatusPending),
			claim(ana),
			complete(ana, callback.Attempt{Outcome: callback.OutcomeNoAnswer, Requeue: callback.RequeueNo}).then(callback.StatusDone),
		}, 2, []string{"claim", "complete: reached", "claim", "complete: no-answer"}, nil},
		{"a call placed counts the attempt once", []step{
			claim(ana),
			callPlaced(ana).then(callback.StatusClaimed),
			complete(ana, callback.Attempt{Outcome: callback.OutcomeReached}).then(callback.StatusDone),
		}, 1, []string{"claim", "call placed", "complete: reached"}, nil},
		{"refused inputs change nothing", []step{
			complete(ana, callback.Attempt{Outcome: "maybe"}).fails(callback.ErrBadOutcome),
			claim(ana),
			complete(ana, callback.Attempt{Outcome: "maybe"}).fails(callback.ErrInvalid),
			complete(ana, callback.Attempt{Outcome: callback.OutcomeReached, Note: long}).fails(callback.ErrNoteTooLong),
			note("ana", long).fails(callback.ErrNoteTooLong),
			note("ana", " \n ").fails(callback.ErrNoteRequired),
			cancel(ana, long).fails(callback.ErrNoteTooLong),
			note("ana", exact).then(callback.StatusClaimed), // the limit itself is allowed
		}, 0, []string{"claim", "note"}, []string{exact}},
		{"only an administrator cancels a pending request", []step{
			cancel(ana, "").fails(callback.ErrForbidden),
			cancel(boss, "duplicate").then(callback.StatusCancelled),
			claim(ana).fails(callback.ErrConflict),
			cancel(boss, "").fails(callback.ErrConflict),
		}, 0, []string{"cancel"}, []string{"duplicate"}},
		{"the holder cancels their claim, nobody else's", []step{
			claim(ana),
			cancel(ben, "").fails(callback.ErrForbidden),
			cancel(boss, "").fails(callback.ErrConflict),
			cancel(ana, "wrong person").then(callback.StatusCancelled),
		}, 0, []string{"claim", "cancel"}, []string{"wrong person"}},
		{"notes in every state", []step{
			note("ana", "first").then(callback.StatusPending),
			claim(ben),
			complete(ben, callback.Attempt{Outcome: callback.OutcomeReached}),
			note("ana", "after").then(callback.StatusDone),
		}, 1, []string{"note", "claim", "complete: reached", "note"}, []string{"first", "after"}},
	}
	for name, open := range implementations(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for i, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					d := open(t)
					ctx := t.Context()
					id := d.add(t, capture(fmt.Sprintf("CA%d", i), start, callback.ReasonMenu))
					for j, s := range tt.steps {
						d.clock.advance(time.Second)
						r, err := s.do(ctx, d, id)
						switch {
						case s.wantErr != nil && s.wantErr.Error() == "":
							if err == nil {
								t.Fatalf("step %d (%s): no error, want one", j, s.name)
							}
						case !errors.Is(err, s.wantErr):
							t.Fatalf("step %d (%s): error %v, want %v", j, s.name, err, s.wantErr)
						case err == nil && s.wantStatus != "" && r.Status != s.wantStatus:
							t.Fatalf("step %d (%s): status %s, want %s", j, s.name, r.Status, s.wantStatus)
						}
					}
					r, err := d.Get(ctx, id)
					if err != nil {
						t.Fatal(err)
					}
					var whats, notes []string
					for _, e := range r.History {
						whats = append(whats, e.What)
						if e.Note != "" {
							notes = append(notes, e.Note)
						}
					}
					if r.Attempts != tt.wantAttempts {
						t.Errorf("attempts %d, want %d", r.Attempts, tt.wantAttempts)
					}
					if want := append([]string{"created"}, tt.wantHistory...); !slices.Equal(whats, want) {
						t.Errorf("history %q, want %q", whats, want)
					}
					if !slices.Equal(notes, tt.wantNotes) {
						t.Errorf("notes %q, want %q", notes, tt.wantNotes)
					}
				})
			}
		})
	}
}

// TestContractListing checks both list the queue alike: urgent requests
// first, pages that continue where the last one ended, claimed and
// finished lists, the counts and the search of finished requests.
func TestContractListing(t *testing.T) {
	t.Parallel()
	for name, open := range implementations(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d := open(t)
			ctx := t.Context()
			var ids []string
			for i := range 7 {
				reason := callback.ReasonMenu
				if i == 3 || i == 5 {
					reason = callback.ReasonCrisis
				}
				ids = append(ids, d.add(t, capture(fmt.Sprintf("CA%d", i), start.Add(time.Duration(i)*time.Minute), reason)))
			}
			want := []string{ids[3], ids[5], ids[0], ids[1], ids[2], ids[4], ids[6]}
			for _, limit := range []int{1, 2, 3, 7, 50} {
				var got []string
				cursor := ""
				for range 20 {
					page, next, err := d.List(ctx, callback.StatusPending, limit, cursor)
					if err != nil {
						t.Fatal(err)
					}
					for _, r := range page {
						got = append(got, r.ID)
						if len(r.History) != 0 {
							t.Errorf("a list carries %s's history", r.ID)
						}
					}
					if cursor = next; cursor == "" {
						break
					}
				}
				if !slices.Equal(got, want) {
					t.Errorf("pending in pages of %d: %v, want %v", limit, got, want)
				}
			}
			if _, _, err := d.List(ctx, callback.StatusPending, 2, "not-a-cursor"); !errors.Is(err, callback.ErrBadCursor) {
				t.Errorf("a bad cursor: %v", err)
			}
			if _, _, err := d.List(ctx, callback.StatusDone, 2, "-1"); !errors.Is(err, callback.ErrBadCursor) {
				t.Errorf("a bad offset: %v", err)
			}
			// ana holds two, ben finishes two.
			for _, id := range []string{ids[6], ids[0]} {
				d.clock.advance(time.Second)
				if _, err := d.Claim(ctx, id, ana); err != nil {
					t.Fatal(err)
				}
			}
			for _, id := range []string{ids[1], ids[2]} {
				d.clock.advance(time.Second)
				if _, err := d.Claim(ctx, id, ben); err != nil {
					t.Fatal(err)
				}
				if _, err := d.Complete(ctx, id, ben, callback.Attempt{Outcome: callback.OutcomeReached}); err != nil {
					t.Fatal(err)
				}
			}
			d.clock.advance(time.Second)
			if _, err := d.Cancel(ctx, ids[4], boss, ""); err != nil {
				t.Fatal(err)
			}
			lists := map[callback.Status][]string{
				callback.StatusPending:   {ids[3], ids[5]},
				callback.StatusClaimed:   {ids[6], ids[0]},
				callback.StatusDone:      {ids[4], ids[2], ids[1]},
				callback.StatusCancelled: {ids[4], ids[2], ids[1]},
			}
			for status, want := range lists {
				var got []string
				cursor := ""
				for range 10 {
					page, next, err := d.List(ctx, status, 2, cursor)
					if err != nil {
						t.Fatal(err)
					}
					for _, r := range page {
						got = append(got, r.ID)
					}
					if cursor = next; cursor == "" {
						break
					}
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s: %v, want %v", status, got, want)
				}
			}
			st, err := d.Stats(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if st.Pending != 2 || st.Urgent != 2 || st.Claimed != 2 || !st.OldestPending.Equal(start.Add(3*time.Minute)) {
				t.Errorf("stats %+v", st)
			}
			found, err := d.SearchFinished(ctx, "0142", start, time.UTC, 2)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range found {
				got = append(got, r.ID)
			}
			if !slices.Equal(got, []string{ids[4], ids[2]}) {
				t.Errorf("search: %v, want %v", got, []string{ids[4], ids[2]})
			}
			if found, _ := d.SearchFinished(ctx, "9999", time.Time{}, time.UTC, 10); len(found) != 0 {
				t.Errorf("search for other digits found %d", len(found))
			}
			if _, err := d.Get(ctx, "01KNOTANID"); !errors.Is(err, callback.ErrNotFound) {
				t.Errorf("get of no request: %v", err)
			}
			if _, err := d.Claim(ctx, "01ARZ3NDEKTSV4RRFFQ69G5FAV", ana); !errors.Is(err, callback.ErrNotFound) {
				t.Errorf("claim of no request: %v", err)
			}
		})
	}
}
