package callback_test

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/redistest"
	"github.com/switchboard-clinic/switchboard/internal/seal"
)

func TestResealSpool(t *testing.T) {
	t.Parallel()
	rdb := redistest.Start(t).Client()
	ctx := t.Context()
	dir := t.TempDir()
	oldKey, lostKey, newKey := newKey(t), newKey(t), newKey(t)
	spool, err := callback.OpenSpool(dir)
	if err != nil {
		t.Fatal(err)
	}
	old := sealedQueue(t, rdb, "sp:", oldKey)
	lost := sealedQueue(t, rdb, "sp:", lostKey)
	c := callback.Capture{CallSID: "CAspool1", CallerNumber: "+12065550100", CallbackNumber: "+14255550142", Reason: "menu"}
	for _, op := range []callback.Op{old.CreateOp(c), old.TranscriptionOp(c.CallSID, "please call after lunch", "completed"),
		lost.CreateOp(callback.Capture{CallSID: "CAspool2", CallbackNumber: "+14255550143", Reason: "menu"})} {
		if err := spool.Append(op); err != nil {
			t.Fatal(err)
		}
	}
	// The first run lacks one old key: it re-seals what it can, keeps the
	// rest as it was, and says so.
	first := sealedQueue(t, rdb, "sp:", newKey, oldKey)
	st, err := first.ResealSpool(spool)
	if err == nil || !errors.Is(err, seal.ErrUnknownKey) || st.Values != 3 {
		t.Fatalf("first run: %+v, %v; want 3 values and an unknown key", st, err)
	}
	// Run again with every key: it finishes, and only what was left changes.
	again := sealedQueue(t, rdb, "sp:", newKey, oldKey, lostKey)
	if st, err := again.ResealSpool(spool); err != nil || st.Values != 1 || st.Requests != 3 {
		t.Fatalf("second run: %+v, %v; want the 1 value left", st, err)
	}
	if st, _ := again.ResealSpool(spool); st.Values != 0 {
		t.Errorf("third run re-sealed %d values", st.Values)
	}
	// The new key alone replays the spool into Redis and opens it.
	fresh := sealedQueue(t, rdb, "sp:", newKey)
	if n, err := spool.Drain(func(op callback.Op) error { _, _, err := fresh.Apply(ctx, op); return err },
		func(callback.Op, error) (bool, bool) { return true, true }); err != nil || n != 3 {
		t.Fatalf("drain with the new key: %d, %v", n, err)
	}
	reqs, _, err := fresh.List(ctx, callback.StatusPending, 10, "")
	if err != nil || len(reqs) != 2 {
		t.Fatalf("pending after the drain: %d, %v", len(reqs), err)
	}
	id := reqs[0].ID
	if reqs[0].CallSID != c.CallSID {
		id = reqs[1].ID
	}
	r, err := fresh.Get(ctx, id)
	if err != nil || r.CallbackNumber != "+14255550142" || r.Message == nil || r.Message.Transcription != "please call after lunch" {
		t.Errorf("replayed request: %+v, %v", r, err)
	}
}

// Another process on the same spool (keys rotate beside serve) reworks it
// only after the first is done, and no append made meanwhile is lost.
func TestSpoolReworkIsExclusiveAcrossOpeners(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, err := callback.OpenSpool(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := callback.OpenSpool(dir) // as another process would open it
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Append(callback.Op{Kind: "create", CallSID: "CA1"}); err != nil {
		t.Fatal(err)
	}
	var inA atomic.Bool
	started, overlap := make(chan struct{}), make(chan bool, 1)
	done := make(chan error, 1)
	go func() {
		done <- a.Rework(func(ops []callback.Op) []callback.Op {
			inA.Store(true)
			close(started)
			time.Sleep(200 * time.Millisecond) // room for b to barge in, were it able to
			inA.Store(false)
			return ops
		})
	}()
	<-started
	if err := b.Append(callback.Op{Kind: "create", CallSID: "CA2"}); err != nil {
		t.Fatal(err)
	}
	if err := b.Rework(func(ops []callback.Op) []callback.Op {
		overlap <- inA.Load()
		return append(ops, callback.Op{Kind: "create", CallSID: "CA3"})
	}); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if <-overlap {
		t.Error("two openers reworked the spool at once")
	}
	var sids []string
	c, _ := callback.OpenSpool(dir)
	_ = c.Rework(func(ops []callback.Op) []callback.Op {
		for _, op := range ops {
			sids = append(sids, op.CallSID)
		}
		return ops
	})
	if got := strings.Join(sids, " "); got != "CA1 CA2 CA3" {
		t.Errorf("spool holds %q, want CA1 CA2 CA3", got)
	}
}
