// Package callbacktest is an in-memory callback.Desk for the staff front
// ends' tests: the queue's behaviour without a redis-server. It applies the
// rules of package callback (notes, outcomes, requeue, who may do what) by
// calling the same functions as the Redis queue, and a contract test runs
// the same table against both, so it cannot drift from the real queue.
package callbacktest

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
	"github.com/switchboard-clinic/switchboard/internal/callback"
)

// Queue is an in-memory callback queue. It is safe for concurrent use.
type Queue struct {
	now func() time.Time

	mu      sync.Mutex
	reqs    map[string]*entry
	entropy *ulid.MonotonicEntropy
}

var _ callback.Desk = (*Queue)(nil)

// entry is a request as the fake keeps it.
type entry struct {
	r callback.Request
	// placed marks an attempt already counted by CallPlaced, which
	// Complete does not count again.
	placed bool
}

// New returns an empty queue on the clock now (time.Now when nil).
func New(now func() time.Time) *Queue {
	if now == nil {
		now = time.Now
	}
	return &Queue{now: now, reqs: map[string]*entry{}, entropy: ulid.Monotonic(rand.Reader, 0)}
}

// Add files a pending request made from r (its id, when empty, a ULID of
// its CreatedAt, or of now; its status pending unless set) and returns its
// id.
func (q *Queue) Add(r callback.Request) string {
	q.mu.Lock()
	defer q.mu.Unlock()
	if r.CreatedAt.IsZero() {
		r.CreatedAt = q.now()
	}
	r.CreatedAt = r.CreatedAt.UTC().Truncate(time.Millisecond)
	if r.ID == "" {
		r.ID = ulid.MustNew(ulid.Timestamp(r.CreatedAt), q.entropy).String()
	}
	if r.Status == "" {
		r.Status = callback.StatusPending
	}
	if r.Language == "" {
		r.Language = callback.DefaultLanguage
	}
	if r.CallbackLast4 == "" && len(r.CallbackNumber) >= 4 {
		r.CallbackLast4 = r.CallbackNumber[len(r.CallbackNumber)-4:]
	}
	// As the call flow's create does, the history starts with the caller.
	r.History = []callback.Event{{At: r.CreatedAt, Who: "caller", What: "created"}}
	q.reqs[r.ID] = &entry{r: r}
	return r.ID
}

// AddCapture files a request as the call flow records one: a shortcut for
// Add.
func (q *Queue) AddCapture(c callback.Capture) string {
	return q.Add(callback.Request{CallSID: c.CallSID, CallerNumber: c.CallerNumber, CallbackNumber: c.CallbackNumber,
		Reason: c.Reason, Language: c.Language, CreatedAt: c.At})
}

// view is what a read returns: a copy, with its history (Get) or without
// (lists, as Redis lists carry none).
func (e *entry) view(history bool) *callback.Request {
	r := e.r
	r.History = nil
	if history {
		r.History = slices.Clone(e.r.History)
	}
	r.UpdatedAt = r.LastChange()
	return &r
}

// Get returns a request with its history.
func (q *Queue) Get(_ context.Context, id string) (*callback.Request, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	e, ok := q.reqs[id]
	if !ok {
		return nil, callback.ErrNotFound
	}
	return e.view(true), nil
}

// sorted returns the requests that pass keep, ordered by less.
func (q *Queue) sorted(keep func(*entry) bool, less func(a, b *entry) int) []*entry {
	var out []*entry
	for _, e := range q.reqs {
		if keep(e) {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, less)
	return out
}

// pendingOrder is the queue's order: urgent requests first, each part
// oldest (lowest id) first.
func pendingOrder(a, b *entry) int {
	if ua, ub := a.r.Reason.Urgent(), b.r.Reason.Urgent(); ua != ub {
		if ua {
			return -1
		}
		return 1
	}
	return strings.Compare(a.r.ID, b.r.ID)
}

const urgentCursor = "u:"

// List returns a page of requests with the given status, in the Redis
// queue's order and with its cursors: pending ones urgent first, claimed
// ones by claim time, done and cancelled ones (either lists both) newest
// first.
func (q *Queue) List(_ context.Context, status callback.Status, limit int, cursor string) ([]*callback.Request, string, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	var page []*entry
	next := ""
	switch status {
	case callback.StatusPending:
		keep := func(e *entry) bool { return e.r.Status == callback.StatusPending }
		if cursor != "" {
			// "u:ID" continues the urgent part after ID, then the rest; a
			// bare ID continues the rest after it.
			after, inUrgent := strings.CutPrefix(cursor, urgentCursor)
			if _, err := ulid.ParseStrict(after); err != nil {
				return nil, "", callback.ErrBadCursor
			}
			keep = func(e *entry) bool {
				if e.r.Status != callback.StatusPending {
					return false
				}
				if e.r.Reason.Urgent() {
					return inUrgent && e.r.ID > after
				}
				return inUrgent || e.r.ID > after
			}
		}
		rest := q.sorted(keep, pendingOrder)
		if len(rest) > limit {
			page = rest[:limit]
			last := page[limit-1]
			next = last.r.ID
			if last.r.Reason.Urgent() {
				next = urgentCursor + next
			}
		} else {
			page = rest
		}
	case callback.StatusClaimed, callback.StatusDone, callback.StatusCancelled:
		offset := 0
		if cursor != "" {
			n, err := strconv.Atoi(cursor)
			if err != nil || n < 0 {
				return nil, "", callback.ErrBadCursor
			}
			offset = n
		}
		var all []*entry
		if status == callback.StatusClaimed {
			all = q.sorted(func(e *entry) bool { return e.r.Status == callback.StatusClaimed }, func(a, b *entry) int {
				return cmpTimeThenID(a.r.ClaimedAt, b.r.ClaimedAt, a.r.ID, b.r.ID)
			})
		} else {
			all = q.sorted(func(e *entry) bool { return e.r.Finished() }, func(a, b *entry) int {
				return -cmpTimeThenID(a.r.FinishedAt, b.r.FinishedAt, a.r.ID, b.r.ID)
			})
		}
		if offset < len(all) {
			page = all[offset:]
		}
		if len(page) > limit {
			page = page[:limit]
			next = strconv.Itoa(offset + limit)
		}
	default:
		return nil, "", fmt.Errorf("list: unknown status %q", status)
	}
	out := make([]*callback.Request, 0, len(page))
	for _, e := range page {
		out = append(out, e.view(false))
	}
	return out, next, nil
}

// cmpTimeThenID orders as a Redis sorted set does: by score (milliseconds),
// then by member.
func cmpTimeThenID(a, b time.Time, ida, idb string) int {
	if c := a.Compare(b); c != 0 {
		return c
	}
	return strings.Compare(ida, idb)
}

// SearchFinished returns up to limit finished requests, newest first, whose
// callback number ends in last4 (when given) and that were created on day
// in loc (when day is not zero).
func (q *Queue) SearchFinished(_ context.Context, last4 string, day time.Time, loc *time.Location, limit int) ([]*callback.Request, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	all := q.sorted(func(e *entry) bool { return e.r.Finished() }, func(a, b *entry) int {
		return -cmpTimeThenID(a.r.FinishedAt, b.r.FinishedAt, a.r.ID, b.r.ID)
	})
	out := []*callback.Request{}
	for _, e := range all {
		if last4 != "" && e.r.CallbackLast4 != last4 {
			continue
		}
		if !day.IsZero() {
			y, m, d := e.r.CreatedAt.In(loc).Date()
			dy, dm, dd := day.Date()
			if y != dy || m != dm || d != dd {
				continue
			}
		}
		out = append(out, e.view(false))
		if len(out) == limit {
			break
		}
	}
	return out, nil
}

// Stats counts pending and claimed requests and finds the oldest pending one.
func (q *Queue) Stats(context.Context) (callback.Stats, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var s callback.Stats
	for _, e := range q.reqs {
		switch e.r.Status {
		case callback.StatusPending:
			s.Pending++
			if e.r.Reason.Urgent() {
				s.Urgent++
			}
			if s.OldestPending.IsZero() || e.r.CreatedAt.Before(s.OldestPending) {
				s.OldestPending = e.r.CreatedAt
			}
		case callback.StatusClaimed:
			s.Claimed++
		}
	}
	return s, nil
}

// change applies one state change under the lock, after callback's rules
// allow it, and writes its history entry.
// apply returns false for a change that writes no history (claiming one's
// own claim again).
func (q *Queue) change(id string, action callback.Action, by callback.Holder, what, note string, apply func(e *entry, now time.Time) bool) (*callback.Request, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	e, ok := q.reqs[id]
	if !ok {
		return nil, callback.ErrNotFound
	}
	if action != "" {
		if by.ID == "" {
			return nil, fmt.Errorf("%s callback request: the staff account %q has no id", action, by.Name)
		}
		if err := e.r.Allows(action, by); err != nil {
			return nil, err
		}
	}
	now := q.now().UTC().Truncate(time.Millisecond)
	if apply != nil && !apply(e, now) {
		return e.view(true), nil
	}
	e.r.History = append(e.r.History, callback.Event{At: now, Who: by.Name, What: what, Note: note})
	return e.view(true), nil
}

func toPending(e *entry) {
	e.r.Status, e.r.ClaimedBy, e.r.ClaimedByID, e.r.ClaimedAt, e.placed = callback.StatusPending, "", "", time.Time{}, false
}

// toFinished ends the request; like the Redis queue it keeps who claimed it.
func toFinished(e *entry, status callback.Status, now time.Time) {
	e.r.Status, e.r.FinishedAt = status, now
}

// attempt counts a call-back attempt.
func attempt(e *entry) { e.r.Attempts++ }

// Claim gives the request to by.
func (q *Queue) Claim(_ context.Context, id string, by callback.Holder) (*callback.Request, error) {
	return q.change(id, callback.ActionClaim, by, callback.ActionClaim.What(""), "", func(e *entry, now time.Time) bool {
		if e.r.HeldBy(by) {
			return false
		}
		e.r.Status, e.r.ClaimedBy, e.r.ClaimedByID, e.r.ClaimedAt, e.placed = callback.StatusClaimed, by.Name, by.ID, now, false
		return true
	})
}

// Release returns a claimed request to the queue.
func (q *Queue) Release(_ context.Context, id string, by callback.Holder) (*callback.Request, error) {
	return q.change(id, callback.ActionRelease, by, callback.ActionRelease.What(""), "", func(e *entry, _ time.Time) bool { toPending(e); return true })
}

// Complete records an attempt by the claim's holder.
func (q *Queue) Complete(_ context.Context, id string, by callback.Holder, a callback.Attempt) (*callback.Request, error) {
	a, err := a.Check()
	if err != nil {
		return nil, err
	}
	return q.change(id, callback.ActionComplete, by, callback.ActionComplete.What(a.Outcome), a.Note, func(e *entry, now time.Time) bool {
		if !e.placed {
			attempt(e)
		}
		e.placed = false
		e.r.Outcome = a.Outcome
		if a.Requeues() {
			toPending(e)
		} else {
			toFinished(e, callback.StatusDone, now)
		}
		return true
	})
}

// Cancel withdraws a request, for an administrator or the claim's holder.
func (q *Queue) Cancel(_ context.Context, id string, by callback.Holder, note string) (*callback.Request, error) {
	note, err := callback.CleanNote(note)
	if err != nil {
		return nil, err
	}
	return q.change(id, callback.ActionCancel, by, callback.ActionCancel.What(""), note, func(e *entry, now time.Time) bool {
		toFinished(e, callback.StatusCancelled, now)
		return true
	})
}

// CallPlaced records that the claim's holder rang the client: an attempt.
func (q *Queue) CallPlaced(_ context.Context, id string, by callback.Holder, note string) (*callback.Request, error) {
	note, err := callback.CleanNote(note)
	if err != nil {
		return nil, err
	}
	return q.change(id, callback.ActionCallPlaced, by, callback.ActionCallPlaced.What(""), note, func(e *entry, _ time.Time) bool {
		attempt(e)
		e.placed = true
		return true
	})
}

// AddNote adds a note to the request's history.
func (q *Queue) AddNote(_ context.Context, id, who, note string) (*callback.Request, error) {
	note, err := callback.CleanRequiredNote(note)
	if err != nil {
		return nil, err
	}
	return q.change(id, "", callback.Holder{Name: who}, "note", note, nil)
}

// Log writes an event to the request's history, whatever its status.
func (q *Queue) Log(_ context.Context, id, who, what string) (*callback.Request, error) {
	return q.change(id, "", callback.Holder{Name: who}, what, "", nil)
}
