package callback_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchboard-clinic/switchboard/internal/callback"
	"github.com/switchboard-clinic/switchboard/internal/redisconn"
	"github.com/switchboard-clinic/switchboard/internal/redistest"
	"github.com/switchboard-clinic/switchboard/internal/seal"
	"github.com/switchboard-clinic/switchboard/internal/testprog"
)

// events counts what the queue reports to its observer.
type events struct {
	mu        sync.Mutex
	callbacks map[string]int
	lost      int
}

func (e *events) Callback(event, _ string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.callbacks == nil {
		e.callbacks = map[string]int{}
	}
	e.callbacks[event]++
}
func (e *events) RedisError() {}
func (e *events) WriteLost() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.lost++
}

func (e *events) count(event string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.callbacks[event]
}

// replicated is a recorder whose queue needs one replica to acknowledge
// every write.
type replicated struct {
	queue *callback.Queue
	rec   *callback.Recorder
	log   *bytes.Buffer
	seen  *events
}

func newReplicated(t *testing.T, rdb redis.UniversalClient, replicas int) replicated {
	t.Helper()
	seen := &events{}
	q, err := callback.NewQueue(callback.Options{Client: rdb, Sealer: seal.Random(), Prefix: "rep:", Replicas: replicas, ReplicaWait: 100 * time.Millisecond, Observer: seen})
	if err != nil {
		t.Fatal(err)
	}
	sp, err := callback.OpenSpool(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	// A generous deadline: the replica tests tell "not acknowledged" from
	// "timed out", and must on a busy machine too.
	rec, err := callback.NewRecorder(q, sp, slowTimeout, slog.New(slog.NewTextHandler(&syncWriter{w: &buf}, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return replicated{queue: q, rec: rec, log: &buf, seen: seen}
}

type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// slowTimeout is the Redis deadline of these tests.
const slowTimeout = 3 * time.Second

func connect(t *testing.T, url string) redis.UniversalClient {
	t.Helper()
	rdb, err := redisconn.Connect(url, slowTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// TestWritesWaitForAReplica: with Replicas set, a write counts as durable
// only once a replica has it. A master alone, or one whose replica is
// frozen, answers ErrNotReplicated; the recorder applies such writes to the
// master at once (staff see them) and keeps them in the spool until a
// replica acknowledges them.
func TestWritesWaitForAReplica(t *testing.T) {
	testprog.Slow(t, "a replica paused")
	t.Parallel()
	ctx := t.Context()

	alone := newReplicated(t, connect(t, redistest.Start(t).URL()), 1)
	if _, _, err := alone.queue.Apply(ctx, alone.queue.CreateOp(capture("CAalone", time.Now()))); !errors.Is(err, callback.ErrNotReplicated) {
		t.Fatalf("create on a master without replicas: %v, want ErrNotReplicated", err)
	}

	master := redistest.Start(t)
	replica := redistest.StartReplica(t, master.Addr())
	r := newReplicated(t, connect(t, master.URL()), 1)
	waitReplicaOnline(t, master)
	if spooled, err := r.rec.Record(ctx, r.queue.CreateOp(capture("CAone", time.Now()))); err != nil || spooled {
		t.Fatalf("create with a live replica: spooled=%v err=%v, want it acknowledged; log %s", spooled, err, r.log)
	}

	replica.Pause()
	_, created, err := r.queue.Apply(ctx, r.queue.CreateOp(capture("CAtwo", time.Now())))
	if !errors.Is(err, callback.ErrNotReplicated) || !created {
		t.Fatalf("create with the replica frozen: created=%v err=%v, want created on the master and ErrNotReplicated", created, err)
	}
	if spooled, err := r.rec.Record(ctx, r.queue.ConsentOp("CAone", callback.ConsentYes, callback.ConsentNo)); err != nil || !spooled {
		t.Fatalf("update with the replica frozen: spooled=%v err=%v, want it kept in the spool", spooled, err)
	}
	if got := pending(t, r.queue)["CAone"]; got == nil || got.VoicemailOK != callback.ConsentYes {
		t.Fatalf("staff do not see the unacknowledged consent on the master: %+v", got)
	}
	if _, err := r.rec.Replay(ctx); err != nil {
		t.Fatal(err)
	}
	if n, oldest := r.rec.Unreplicated(); r.rec.Spooled() != 1 || n != 1 || oldest.IsZero() || r.rec.Waiting() != 0 {
		t.Fatalf("replay with the replica frozen: spooled %d, unreplicated %d (oldest %v), waiting %d; want the 1 kept as unreplicated",
			r.rec.Spooled(), n, oldest, r.rec.Waiting())
	}

	replica.Resume()
	deadline := time.Now().Add(30 * time.Second)
	for r.rec.Spooled() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("spool did not drain once the replica was back: %d left", r.rec.Spooled())
		}
		if _, err := r.rec.Replay(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// What the replica holds is what survives a failover to it.
	rc := connect(t, replica.URL())
	id, err := rc.HGet(ctx, "rep:{cb}:calls", "CAone").Result()
	if err != nil {
		t.Fatalf("the replica lacks CAone: %v", err)
	}
	if v, _ := rc.HGet(ctx, "rep:{cb}:r:"+id, "cvm").Result(); v != "yes" {
		fields, _ := rc.HGetAll(ctx, "rep:{cb}:r:"+id).Result()
		t.Errorf("the replica lacks CAone's consent answer: %v", fields)
	}
	if strings.Contains(r.log.String(), "level=WARN") {
		t.Errorf("an unacknowledged write was logged one by one: %s", r.log)
	}
}

// TestAMasterAloneShowsEveryWriteAtOnce: a master whose replica is gone
// takes every write at once, so staff see them all; the spool keeps them
// until a replica returns, and a master that lost them gets them back.
// Under the rule before issue 21 (held until replicated) the same check
// fails: it is the check that caught the invisible requests.
func TestAMasterAloneShowsEveryWriteAtOnce(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		hold     bool
		wantSeen bool
	}{
		{"visible first", false, true},
		{"held until replicated (before issue 21)", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			master := redistest.Start(t)
			r := newReplicated(t, connect(t, master.URL()), 1)
			if tc.hold {
				callback.HoldUnreplicated(r.rec)
			}
			const calls = 40
			var wg sync.WaitGroup
			for i := range calls {
				wg.Add(1)
				go func() {
					defer wg.Done()
					sid := fmt.Sprintf("CAalone%02d", i)
					if _, err := r.rec.Record(ctx, r.queue.CreateOp(capture(sid, time.Now()))); err != nil {
						t.Error(err)
					}
					if _, err := r.rec.Record(ctx, r.queue.ConsentOp(sid, callback.ConsentYes, callback.ConsentNo)); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			if _, err := r.rec.Replay(ctx); err != nil {
				t.Fatal(err)
			}
			seen := 0
			for _, req := range pending(t, r.queue) {
				if req.VoicemailOK == callback.ConsentYes {
					seen++
				}
			}
			if got := seen == calls; got != tc.wantSeen {
				t.Fatalf("staff see %d of %d requests with their consent; want all seen: %v", seen, calls, tc.wantSeen)
			}
			if tc.hold {
				return
			}
			if n, _ := r.rec.Unreplicated(); n != 2*calls || r.rec.Waiting() != 0 {
				t.Fatalf("unreplicated %d, waiting %d; want %d and 0", n, r.rec.Waiting(), 2*calls)
			}
			// The master restarts empty (no persistence): it is another
			// server now, and the spool puts back what it lost.
			master.Restart()
			deadline := time.Now().Add(20 * time.Second)
			for len(pending(t, r.queue)) < calls {
				if time.Now().After(deadline) {
					t.Fatalf("the restarted master got %d of %d requests back", len(pending(t, r.queue)), calls)
				}
				if _, err := r.rec.Replay(ctx); err != nil {
					t.Fatal(err)
				}
				time.Sleep(100 * time.Millisecond)
			}
			for sid, req := range pending(t, r.queue) {
				if req.VoicemailOK != callback.ConsentYes {
					t.Errorf("%s came back without its consent", sid)
				}
			}
			if n, _ := r.rec.Unreplicated(); n != 2*calls {
				t.Errorf("unreplicated %d after the restart, want all %d kept until a replica has them", n, 2*calls)
			}
		})
	}
}

// pending lists the pending requests by CallSid, failing on a duplicate or
// an error.
func pending(t *testing.T, q *callback.Queue) map[string]*callback.Request {
	t.Helper()
	out := map[string]*callback.Request{}
	page, _, err := q.List(t.Context(), callback.StatusPending, 500, "")
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	for _, req := range page {
		if out[req.CallSID] != nil {
			t.Fatalf("call %s listed twice", req.CallSID)
		}
		out[req.CallSID] = req
	}
	return out
}

// waitReplicaOnline waits until a write on master is acknowledged by a
// replica (a replica reported online after a full sync only starts
// acknowledging after its first ACK, up to a second later).
func waitReplicaOnline(t *testing.T, master *redistest.Server) {
	t.Helper()
	c := master.Client()
	deadline := time.Now().Add(30 * time.Second)
	for {
		pipe := c.Pipeline()
		pipe.Incr(t.Context(), "probe")
		acked := pipe.Do(t.Context(), "WAIT", 1, 100)
		_, _ = pipe.Exec(t.Context())
		if n, _ := acked.Int64(); n >= 1 {
			return
		}
		if time.Now().After(deadline) {
			info, _ := c.Info(t.Context(), "replication").Result()
			t.Fatalf("replica not acknowledging writes:\n%s", info)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestUpdateRecreatesALostRequestFromItsCopy: when an update finds its
// request gone (a master that lost it), the instance that created it
// re-applies the creation from its own copy, then the update, and says so;
// an instance without a copy keeps the update until the request arrives.
func TestUpdateRecreatesALostRequestFromItsCopy(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	rs := redistest.Start(t)
	r := newReplicated(t, connect(t, rs.URL()), 0)
	other := newReplicated(t, connect(t, rs.URL()), 0)
	if _, err := r.rec.Record(ctx, r.queue.CreateOp(capture("CAlost", time.Now()))); err != nil {
		t.Fatal(err)
	}
	rs.Client().FlushAll(ctx) // the failover that lost it

	if spooled, err := other.rec.Record(ctx, other.queue.ConsentOp("CAlost", callback.ConsentYes, callback.ConsentNo)); err != nil || !spooled {
		t.Fatalf("update on an instance with no copy: spooled=%v err=%v, want it kept in the spool", spooled, err)
	}
	if spooled, err := r.rec.Record(ctx, r.queue.MessageOp("CAlost", callback.Message{RecordingSID: "RE0123456789abcdef0123456789abcdef", DurationSeconds: 5})); err != nil || spooled {
		t.Fatalf("update on the creating instance: spooled=%v err=%v, want it applied", spooled, err)
	}
	if r.seen.count("reconciled") != 1 || !strings.Contains(r.log.String(), "recreated from this instance's copy") {
		t.Errorf("reconciliation not reported: %v, log %s", r.seen.callbacks, r.log)
	}
	if _, err := other.rec.Replay(ctx); err != nil {
		t.Fatal(err)
	}
	if other.rec.Spooled() != 0 {
		t.Fatalf("the other instance's update is still waiting")
	}
	list, _, err := r.queue.List(ctx, callback.StatusPending, 10, "")
	if err != nil || len(list) != 1 {
		t.Fatalf("list: %v %v", list, err)
	}
	got := list[0]
	if got.CallSID != "CAlost" || got.Message == nil || got.VoicemailOK != callback.ConsentYes || got.CallbackNumber == "" {
		t.Errorf("recreated request lacks something: %+v", got)
	}
}

// TestAGivenUpUpdateIsAnErrorAndCounted: an update whose request never
// arrives is dropped after the orphan time, logged at ERROR and counted.
func TestAGivenUpUpdateIsAnErrorAndCounted(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	r := newReplicated(t, connect(t, redistest.Start(t).URL()), 0)
	r.rec.KeepOrphansFor(time.Millisecond)
	if spooled, err := r.rec.Record(ctx, r.queue.ConsentOp("CAnever", callback.ConsentYes, callback.ConsentNo)); err != nil || !spooled {
		t.Fatalf("orphan update: spooled=%v err=%v", spooled, err)
	}
	time.Sleep(5 * time.Millisecond)
	if _, err := r.rec.Replay(ctx); err != nil {
		t.Fatal(err)
	}
	if r.rec.Spooled() != 0 || r.seen.lost != 1 {
		t.Fatalf("spooled %d, lost %d; want the update dropped and counted", r.rec.Spooled(), r.seen.lost)
	}
	if !strings.Contains(r.log.String(), "level=ERROR") || !strings.Contains(r.log.String(), "LOST") {
		t.Errorf("the loss is not an ERROR: %s", r.log)
	}
}
