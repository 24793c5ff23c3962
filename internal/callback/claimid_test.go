package callback_test

import (
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/redistest"
)

// as is a staff member named name whose account id is "id-"+name.
func as(name string) callback.Holder {
	return callback.Holder{ID: "id-" + name, Name: name}
}

// admin is an administrator's account, as a claim holder.
func admin(name string) callback.Holder {
	h := as(name)
	h.Admin = true
	return h
}

func TestClaimsAreBoundToTheAccountID(t *testing.T) {
	t.Parallel()
	rdb := redistest.Start(t).Client()
	c := newClock()
	start := c.Now()
	q := newQueue(t, rdb, "claimid:", c)
	ctx := t.Context()
	id := create(t, q, capture("CA1", start))
	first := callback.Holder{ID: "0000000000000001", Name: "ana", Created: start.Add(-time.Hour)}
	readded := callback.Holder{ID: "0000000000000002", Name: "ana", Created: start.Add(time.Hour)}
	if _, err := q.Claim(ctx, id, first); err != nil {
		t.Fatal(err)
	}
	r, _ := q.Get(ctx, id)
	if !r.HeldBy(first) || r.HeldBy(readded) || r.ClaimedByID != first.ID {
		t.Errorf("held by the first ana %v, by the re-added one %v (id %q)", r.HeldBy(first), r.HeldBy(readded), r.ClaimedByID)
	}
	for name, op := range map[string]func() error{
		"claim":   func() error { _, err := q.Claim(ctx, id, readded); return err },
		"release": func() error { _, err := q.Release(ctx, id, readded); return err },
		"complete": func() error {
			_, err := q.Complete(ctx, id, readded, callback.Attempt{Outcome: callback.OutcomeReached, Requeue: callback.RequeueNo})
			return err
		},
		"cancel":     func() error { _, err := q.Cancel(ctx, id, readded, ""); return err },
		"callplaced": func() error { _, err := q.CallPlaced(ctx, id, readded, ""); return err },
	} {
		// Cancelling is refused before the state is looked at: the
		// re-added ana is neither an administrator nor the holder.
		want := callback.ErrConflict
		if name == "cancel" {
			want = callback.ErrForbidden
		}
		if err := op(); !errors.Is(err, want) {
			t.Errorf("%s by the re-added ana: %v, want %v", name, err, want)
		}
	}
	if _, err := q.Claim(ctx, id, callback.Holder{Name: "ana"}); err == nil {
		t.Error("a claim without an account id was taken")
	}
	if _, err := q.Release(ctx, id, first); err != nil {
		t.Errorf("release by the holder: %v", err)
	}
	r, _ = q.Get(ctx, id)
	if r.ClaimedByID != "" || r.ClaimedBy != "" {
		t.Errorf("released request still names %q (%q)", r.ClaimedBy, r.ClaimedByID)
	}

	// A claim stored by name only, as before ids: held by the same name
	// from an account made before the claim, released by an administrator,
	// and by nobody else.
	legacy := create(t, q, capture("CA2", start))
	claimedAt := start.Add(10 * time.Minute)
	rk := q.Key("r:" + legacy)
	if err := rdb.HSet(ctx, rk, "st", "claimed", "cby", "ana", "cat", claimedAt.UnixMilli()).Err(); err != nil {
		t.Fatal(err)
	}
	rdb.ZRem(ctx, q.Key("pending"), legacy)
	rdb.ZAdd(ctx, q.Key("claimed"), redis.Z{Score: float64(claimedAt.UnixMilli()), Member: legacy})
	r, _ = q.Get(ctx, legacy)
	if !r.HeldBy(first) || r.HeldBy(readded) || r.HeldBy(as("ben")) {
		t.Errorf("legacy claim held by: the older ana %v, the newer ana %v, ben %v", r.HeldBy(first), r.HeldBy(readded), r.HeldBy(as("ben")))
	}
	if _, err := q.Complete(ctx, legacy, readded, callback.Attempt{Outcome: callback.OutcomeReached, Requeue: callback.RequeueNo}); !errors.Is(err, callback.ErrConflict) {
		t.Errorf("complete of a legacy claim by an account made after it: %v", err)
	}
	if _, err := q.Release(ctx, legacy, as("ben")); !errors.Is(err, callback.ErrConflict) {
		t.Errorf("release of a legacy claim by another staff member: %v", err)
	}
	admin := callback.Holder{ID: "0000000000000003", Name: "root", Created: start.Add(time.Hour), Admin: true}
	if r, err := q.Release(ctx, legacy, admin); err != nil || r.Status != callback.StatusPending {
		t.Errorf("an administrator's release of a legacy claim: %v", err)
	}
	// An administrator cannot take another's id-bound claim.
	if _, err := q.Claim(ctx, legacy, first); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Release(ctx, legacy, admin); !errors.Is(err, callback.ErrConflict) {
		t.Errorf("an administrator released an id-bound claim: %v", err)
	}
}
