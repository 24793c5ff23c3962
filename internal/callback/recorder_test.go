package callback_test

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/redisconn"
	"github.com/switchboard-clinic/switchboard/internal/redistest"
	"github.com/switchboard-clinic/switchboard/internal/testprog"
)

const redisTimeout = 300 * time.Millisecond

type rig struct {
	redis *redistest.Server
	queue *callback.Queue
	rec   *callback.Recorder
	spool *callback.Spool
	clock *clock
}

func newRig(t *testing.T, redisArgs ...string) *rig {
	t.Helper()
	rs := redistest.Start(t, redisArgs...)
	rdb, err := redisconn.Connect(rs.URL(), redisTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	c := newClock()
	q := newQueue(t, rdb, "test:", c)
	sp, err := callback.OpenSpool(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	rec, err := callback.NewRecorder(q, sp, redisTimeout, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return &rig{redis: rs, queue: q, rec: rec, spool: sp, clock: c}
}

// allPending lists every pending request by CallSid, failing on duplicates.
func (r *rig) allPending(t *testing.T) map[string]*callback.Request {
	t.Helper()
	out := map[string]*callback.Request{}
	cursor := ""
	for {
		page, next, err := r.queue.List(t.Context(), callback.StatusPending, 500, cursor)
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		for _, req := range page {
			if out[req.CallSID] != nil {
				t.Fatalf("call %s recorded twice", req.CallSID)
			}
			out[req.CallSID] = req
		}
		if next == "" {
			return out
		}
		cursor = next
	}
}

// drain replays until the spool is empty or the deadline passes.
func (r *rig) drain(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for r.rec.Spooled() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("spool did not drain: %d left", r.rec.Spooled())
		}
		if _, err := r.rec.Replay(t.Context()); err != nil {
			t.Fatalf("replay: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestSpoolWhileRedisIsDownThenReplay(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx := t.Context()
	r.redis.Kill()
	for i := 0; i < 20; i++ {
		sid := fmt.Sprintf("CA%02d", i)
		spooled, err := r.rec.Record(ctx, r.queue.CreateOp(capture(sid, r.clock.Now())))
		if err != nil || !spooled {
			t.Fatalf("record with redis down: spooled=%v err=%v", spooled, err)
		}
		// The message arrives while Redis is still down: it follows its create.
		if _, err := r.rec.Record(ctx, r.queue.MessageOp(sid, callback.Message{RecordingSID: "RE" + sid, DurationSeconds: 9})); err != nil {
			t.Fatal(err)
		}
	}
	if r.rec.Spooled() != 40 {
		t.Fatalf("spooled %d writes, want 40", r.rec.Spooled())
	}
	if _, err := r.rec.Replay(ctx); err != nil {
		t.Fatalf("replay with redis down: %v", err)
	}
	if r.rec.Spooled() != 40 {
		t.Fatalf("replay with redis down lost writes: %d left", r.rec.Spooled())
	}
	r.redis.Restart()
	r.drain(t)
	got := r.allPending(t)
	if len(got) != 20 {
		t.Fatalf("%d requests after replay, want 20", len(got))
	}
	for sid, req := range got {
		if req.Message == nil || req.Message.RecordingSID != "RE"+sid {
			t.Errorf("%s lost its message: %+v", sid, req.Message)
		}
	}
	if _, err := os.Stat(r.spool.Path()); !os.IsNotExist(err) {
		t.Errorf("drained spool file still exists: %v", err)
	}
}

func TestRedisKilledDuringCaptures(t *testing.T) {
	testprog.Slow(t, "Redis killed and restarted")
	t.Parallel()
	r := newRig(t, "--appendonly", "yes", "--appendfsync", "always")
	ctx := t.Context()
	const calls = 300
	var wg sync.WaitGroup
	confirmed := make(chan string, calls)
	var spooledMu sync.Mutex
	spooledCount := 0
	for w := 0; w < 10; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < calls; i += 10 {
				sid := fmt.Sprintf("CA%04d", i)
				op := r.queue.CreateOp(capture(sid, r.clock.Now().Add(time.Duration(i)*time.Millisecond)))
				spooled, err := r.rec.Record(ctx, op)
				if err != nil {
					t.Errorf("record %s: %v", sid, err)
					continue
				}
				if spooled {
					spooledMu.Lock()
					spooledCount++
					spooledMu.Unlock()
				}
				confirmed <- sid
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	time.Sleep(100 * time.Millisecond)
	r.redis.Kill()
	time.Sleep(time.Second)
	r.redis.Restart()
	wg.Wait()
	close(confirmed)
	if spooledCount == 0 {
		t.Fatal("no capture met the outage: the test did not test the spool")
	}
	r.drain(t)
	got := r.allPending(t)
	n := 0
	for sid := range confirmed {
		n++
		if got[sid] == nil {
			t.Errorf("confirmed request %s is missing", sid)
		}
	}
	if n != calls || len(got) != calls {
		t.Errorf("confirmed %d, stored %d, want %d each", n, len(got), calls)
	}
}

func TestRedisPausedCallersStillConfirmedInTime(t *testing.T) {
	testprog.Slow(t, "Redis paused for seconds")
	t.Parallel()
	r := newRig(t)
	ctx := t.Context()
	r.redis.Pause()
	resumed := false
	defer func() {
		if !resumed {
			r.redis.Resume()
		}
	}()
	start := time.Now()
	for i := 0; time.Since(start) < 5*time.Second; i++ {
		t0 := time.Now()
		spooled, err := r.rec.Record(ctx, r.queue.CreateOp(capture(fmt.Sprintf("CAp%03d", i), r.clock.Now())))
		took := time.Since(t0)
		if err != nil || !spooled {
			t.Fatalf("record while paused: spooled=%v err=%v", spooled, err)
		}
		// The caller must hear the confirmation within a second (Twilio's
		// own limit is 15 s); the Redis deadline is 300 ms.
		if took >= time.Second {
			t.Fatalf("record while Redis is paused took %v", took)
		}
	}
	spooled := r.rec.Spooled()
	r.redis.Resume()
	resumed = true
	r.drain(t)
	if got := r.allPending(t); len(got) != spooled {
		t.Errorf("%d requests after resume, want %d", len(got), spooled)
	}
}

func TestAppendOnlyRedisKeepsConfirmedRequestsAcrossACrash(t *testing.T) {
	t.Parallel()
	r := newRig(t, "--appendonly", "yes", "--appendfsync", "always")
	for i := 0; i < 100; i++ {
		if spooled, err := r.rec.Record(t.Context(), r.queue.CreateOp(capture(fmt.Sprintf("CA%03d", i), r.clock.Now()))); err != nil || spooled {
			t.Fatalf("record: spooled=%v err=%v", spooled, err)
		}
	}
	r.redis.Kill() // SIGKILL: no chance to flush anything more
	r.redis.Restart()
	if got := r.allPending(t); len(got) != 100 {
		t.Errorf("%d requests after a crash and restart, want 100", len(got))
	}
}

func TestSpoolSurvivesARestartAndIgnoresATornLine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sp, err := callback.OpenSpool(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if err := sp.Append(callback.Op{Kind: "create", CallSID: fmt.Sprintf("CA%d", i), At: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	// A crash in the middle of a write leaves half a line.
	f, err := os.OpenFile(filepath.Join(dir, "callbacks.spool"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"kind":"create","callS`)
	f.Close()
	again, err := callback.OpenSpool(dir)
	if err != nil {
		t.Fatal(err)
	}
	if again.Len() != 3 {
		t.Fatalf("reopened spool holds %d writes, want 3", again.Len())
	}
	var order []string
	n, err := again.Drain(func(op callback.Op) error {
		order = append(order, op.CallSID)
		return nil
	}, func(callback.Op, error) (bool, bool) { return true, true })
	if err != nil || n != 3 || fmt.Sprint(order) != "[CA0 CA1 CA2]" {
		t.Errorf("drain = %d, %v, order %v", n, err, order)
	}
	if info, err := os.Stat(filepath.Join(dir, "callbacks.spool")); err == nil {
		t.Errorf("spool file left after draining: %v", info.Size())
	}
}

func TestSpoolKeepsWhatFailsAndWhatArrivesDuringADrain(t *testing.T) {
	t.Parallel()
	sp, err := callback.OpenSpool(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, sid := range []string{"CAa", "CAb", "CAc"} {
		if err := sp.Append(callback.Op{Kind: "update", CallSID: sid, At: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	errOrphan := fmt.Errorf("no request yet")
	n, err := sp.Drain(func(op callback.Op) error {
		if op.CallSID == "CAa" {
			// Arrives while the drain runs.
			if err := sp.Append(callback.Op{Kind: "create", CallSID: "CAd", At: time.Now()}); err != nil {
				t.Error(err)
			}
		}
		if op.CallSID == "CAb" {
			return errOrphan
		}
		return nil
	}, func(op callback.Op, err error) (bool, bool) { return true, false })
	if err != nil || n != 2 {
		t.Fatalf("drain = %d, %v; want 2 applied", n, err)
	}
	var left []string
	if _, err := sp.Drain(func(op callback.Op) error {
		left = append(left, op.CallSID)
		return nil
	}, func(callback.Op, error) (bool, bool) { return true, true }); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(left) != "[CAb CAd]" {
		t.Errorf("left in the spool: %v, want [CAb CAd]", left)
	}
}
