package callback

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Recorder is the one door of every callback write from the call flow:
// the rule that makes a write visible and durable lives here, and nowhere
// else.
//
//   - Visible first: while a master takes writes, each write is applied to
//     it at once (within a short deadline), so staff see it.
//   - Durable always: a write no replica has acknowledged (when the queue
//     requires replicas), and a write Redis could not take (down, slow, or
//     not knowing the call yet), is kept in the fsynced spool, a journal,
//     before the caller is confirmed. Writes that never reached a master
//     are replayed in order; writes a master took stay only until a replica
//     acknowledges them, and are re-applied if a master turns out to have
//     lost them (after a failover: the scripts compare and apply only what
//     is missing).
//   - Order per request: a write whose request still has writes waiting
//     for Redis joins them in the journal instead of overtaking them;
//     other requests' writes are not held back.
//
// Every write is idempotent by CallSid (create fills only what is missing;
// an update sets fields that only the caller's own steps write, and adds
// history only when something changed), so a write re-applied any number
// of times is recorded once.
//
// The recorder also keeps, in memory and for the orphan time, the creates it
// made: an update that finds its request missing (a master that lost it in
// a failover) re-applies the creation from that copy instead of waiting.
type Recorder struct {
	queue   *Queue
	spool   *Spool
	timeout time.Duration
	log     *slog.Logger
	// orphanTTL is how long an update whose request is unknown stays in the
	// spool: its create may still sit in another instance's spool.
	orphanTTL time.Duration
	orphans   atomic.Int64 // spooled updates whose request was not found
	onCreate  []func(callSID string, reason Reason)
	// notices are new requests waiting for RunNotices; noticesDone is set
	// once it has stopped.
	notices     chan notice
	noticesDone atomic.Bool
	// downUntil (unix nanoseconds) is set after Redis fails: until then
	// writes go straight to the spool instead of each waiting for a
	// deadline, and the replayer probes Redis.
	downUntil atomic.Int64
	// deleter deletes recordings at Twilio while deleteOn says so.
	deleter  RecordingDeleter
	deleteOn func() bool

	// recent is this instance's copy of its creates, for reconciliation.
	recent *keptCreates

	// locks orders the writes of one request (one CallSid at a time).
	locks keyLocks
	// behind counts, per CallSid, journal entries no master has taken yet.
	behindMu sync.Mutex
	behind   map[string]int

	// verified is the run_id of the master the journal's applied entries
	// were last checked against, and when; Replay's own.
	verified   string
	verifiedAt time.Time
	// lastWarn (unix nanoseconds) rate-limits the WARN about writes held
	// for a replica; lastDown the one about writes held for Redis.
	lastWarn, lastDown atomic.Int64
	downSince          atomic.Int64 // writes spooled for Redis since that WARN
	// alone is set while the master has fewer replicas than required:
	// writes then skip WAIT instead of each waiting for nothing.
	alone atomic.Bool

	// holdUnreplicated is the rule before issue 21 (an unacknowledged write
	// waits in the spool, unseen, until a replica takes it): only tests set
	// it, to show what it costs.
	holdUnreplicated bool
}

// RecordingDeleter deletes a recording at Twilio; twilioapi.Client
// implements it (a recording already gone counts as deleted).
type RecordingDeleter interface {
	DeleteRecording(recordingSID string) error
}

// DeleteRecordingsWith makes upkeep delete, while on() reports true
// (callback.deleteRecordings, read live), the recordings of requests that
// were done, cancelled or purged, retrying a failure every minute until
// Twilio confirms. While off, queued deletions are forgotten.
func (r *Recorder) DeleteRecordingsWith(d RecordingDeleter, on func() bool) {
	r.deleter, r.deleteOn = d, on
}

// DeleteRecordings works the queue of recordings to delete once, and
// returns how many Twilio confirmed.
func (r *Recorder) DeleteRecordings(ctx context.Context) (int, error) {
	due, err := r.queue.DueRecordingDeletions(ctx, 100)
	if err != nil || len(due) == 0 {
		return 0, err
	}
	deleted := 0
	for _, d := range due {
		res := RecordingKept
		if r.deleter != nil && r.deleteOn != nil && r.deleteOn() {
			res = RecordingDeleted
			if err := r.deleter.DeleteRecording(d.RecordingSID); err != nil {
				res = RecordingRetry
				r.log.Warn("recording not deleted at Twilio; will retry", slog.String("request", d.RequestID), slog.String("error", err.Error()))
			} else {
				deleted++
			}
		}
		if err := r.queue.FinishRecordingDeletion(ctx, d, res, r.queue.now().Add(time.Minute)); err != nil {
			return deleted, err
		}
	}
	return deleted, nil
}

// breakerWindow is how long writes skip Redis after it failed.
const breakerWindow = time.Second

// verifyEvery is how often the journal's applied entries are re-applied
// even when nothing suggests that the master changed.
const verifyEvery = 30 * time.Second

// OnCreate adds a function called each time a new request reaches Redis,
// directly or from the spool, with the request's reason (an urgent one is
// announced as such). RunNotices calls them, off the webhook that made the
// request. Add them before use.
func (r *Recorder) OnCreate(f func(callSID string, reason Reason)) {
	r.onCreate = append(r.onCreate, f)
}

// notice is a new request for the OnCreate functions.
type notice struct {
	callSID string
	reason  Reason
}

// noticeBacklog is how many new requests may wait for RunNotices; past it
// (the functions are stuck, say on Twilio) the webhook that made the
// request calls them itself: slower, but nothing is lost and no goroutine
// is started per request.
const noticeBacklog = 1024

func (r *Recorder) created(op Op) {
	r.queue.observer.Callback("created", "")
	if len(r.onCreate) == 0 {
		return
	}
	n := notice{callSID: op.CallSID, reason: Reason(op.field("rsn"))}
	if !r.noticesDone.Load() {
		select {
		case r.notices <- n:
			return
		default:
		}
	}
	r.notify(n)
}

func (r *Recorder) notify(n notice) {
	for _, f := range r.onCreate {
		f(n.callSID, n.reason)
	}
}

// RunNotices calls the OnCreate functions for each new request, with
// workers goroutines, until ctx ends; then it calls them for what is still
// queued, and from then on the writer of a new request calls them itself.
func (r *Recorder) RunNotices(ctx context.Context, workers int) {
	var wg sync.WaitGroup
	for range max(1, workers) {
		wg.Go(func() {
			for {
				select {
				case n := <-r.notices:
					r.notify(n)
				case <-ctx.Done():
					return
				}
			}
		})
	}
	wg.Wait()
	r.noticesDone.Store(true)
	for {
		select {
		case n := <-r.notices:
			r.notify(n)
		default:
			return
		}
	}
}

// NewRecorder returns a Recorder; timeout bounds each Redis write. What an
// earlier run left in the spool is taken up again.
func NewRecorder(q *Queue, s *Spool, timeout time.Duration, log *slog.Logger) (*Recorder, error) {
	switch {
	case q == nil:
		return nil, errors.New("callback recorder: queue is required")
	case s == nil:
		return nil, errors.New("callback recorder: spool is required")
	case timeout <= 0:
		return nil, errors.New("callback recorder: timeout must be positive")
	case log == nil:
		return nil, errors.New("callback recorder: logger is required")
	}
	r := &Recorder{queue: q, spool: s, timeout: timeout, log: log, orphanTTL: 10 * time.Minute,
		recent: newKeptCreates(), behind: map[string]int{}, notices: make(chan notice, noticeBacklog), locks: keyLocks{held: map[string]*keyLock{}}}
	ops, err := s.read(0)
	if err != nil {
		return nil, fmt.Errorf("callback recorder: %w", err)
	}
	for _, op := range ops {
		if op.Kind == "create" {
			r.remember(op)
		}
		if op.Applied.IsZero() {
			r.behind[op.CallSID]++
		}
	}
	return r, nil
}

// Queue is the queue behind the recorder.
func (r *Recorder) Queue() *Queue { return r.queue }

// Record applies op to Redis and makes it durable. spooled reports that it
// is (also) in the spool: waiting for Redis, or, when the queue requires
// replicas and none acknowledged it, visible on the master and kept until
// one does. An error means neither Redis nor the spool took it.
func (r *Recorder) Record(ctx context.Context, op Op) (spooled bool, err error) {
	if op.Kind == "create" {
		r.remember(op)
	}
	unlock := r.locks.lock(op.CallSID)
	defer unlock()
	var rerr error
	switch {
	case op.Kind == "update" && r.isBehind(op.CallSID):
		rerr = errBehind
	case time.Now().UnixNano() < r.downUntil.Load():
		rerr = errors.New("redis failed moments ago; not waiting for it again")
	default:
		rctx, cancel := context.WithTimeout(ctx, r.timeout)
		acked, err := r.send(rctx, op)
		cancel()
		switch {
		case err == nil && acked:
			return false, nil
		case err == nil && !r.holdUnreplicated:
			op.Applied = time.Now() // visible; durable once a replica has it
		case err == nil:
			rerr = ErrNotReplicated
			r.trip()
		default:
			rerr = err
			if !errors.Is(err, ErrNotFound) {
				r.trip()
			}
		}
	}
	op.Spooled = time.Now()
	if serr := r.spool.Append(op); serr != nil {
		return false, fmt.Errorf("record callback %s: redis: %v; spool: %w", op.Kind, rerr, serr)
	}
	if !op.Applied.IsZero() {
		return true, nil
	}
	r.behindAdd(op.CallSID, 1)
	if op.Kind == "create" {
		r.queue.observer.Callback("spooled", "")
	}
	switch {
	case errors.Is(rerr, ErrNotFound):
		r.orphans.Add(1)
		r.log.Info("callback update spooled until its request reaches redis", slog.String("call_sid", op.CallSID))
	case errors.Is(rerr, errBehind):
	default:
		r.downSince.Add(1)
		if r.due(&r.lastDown, time.Minute) {
			r.log.Warn("redis unavailable: callback writes spooled until it takes them; staff do not see them yet",
				slog.Int64("spooled_since_last_warning", r.downSince.Swap(0)), slog.String("call_sid", op.CallSID),
				slog.String("kind", op.Kind), slog.String("error", rerr.Error()))
		}
	}
	return true, nil
}

// errBehind: the request has earlier writes waiting for Redis, which this
// one must not overtake.
var errBehind = errors.New("earlier writes of the request are waiting for redis")

// trip makes writes skip Redis for a moment after it failed.
func (r *Recorder) trip() {
	r.queue.observer.RedisError()
	r.downUntil.Store(time.Now().Add(breakerWindow).UnixNano())
}

// due reports whether at least every has passed since *last, and if so
// sets it to now.
func (r *Recorder) due(last *atomic.Int64, every time.Duration) bool {
	now, prev := time.Now().UnixNano(), last.Load()
	return now-prev >= int64(every) && last.CompareAndSwap(prev, now)
}

// send applies op in one round trip. An update whose request is unknown
// is sent once more, preceded by this instance's copy of its create when
// it has one (the request's recreation when a master lost it): a second
// round trip only then, so that the update a caller's answer makes is one
// script, like the create. It reports whether the replicas the queue
// requires acknowledged it, and ErrNotFound when an update's request is
// unknown.
func (r *Recorder) send(ctx context.Context, op Op) (acked bool, err error) {
	acked, err = r.sendBatch(ctx, []Op{op})
	if op.Kind == "update" && errors.Is(err, ErrNotFound) {
		if c, ok := r.copyOf(op.CallSID); ok {
			return r.sendBatch(ctx, []Op{c, op})
		}
	}
	return acked, err
}

// sendBatch applies batch (an op, or a create and its update) in one round
// trip.
func (r *Recorder) sendBatch(ctx context.Context, batch []Op) (acked bool, err error) {
	op := batch[len(batch)-1]
	// While the master is known to have no replica, a write does not wait
	// for one: it is journaled, and Replay confirms it once one is back.
	wait := r.queue.replicas > 0 && (r.holdUnreplicated || !r.alone.Load())
	res, acked, err := r.queue.write(ctx, batch, wait)
	if err != nil {
		return false, err
	}
	if r.queue.replicas > 0 && !wait {
		acked = false
	} else if !acked {
		r.alone.Store(true)
	}
	if res[0].created {
		r.created(batch[0])
		if len(batch) == 2 {
			r.queue.observer.Callback("reconciled", "")
			r.log.Warn("callback request was missing in redis (lost in a failover?); recreated from this instance's copy",
				slog.String("call_sid", op.CallSID))
		}
	}
	if err := res[len(res)-1].err; err != nil {
		return false, err
	}
	return acked, nil
}

func (r *Recorder) isBehind(callSID string) bool {
	r.behindMu.Lock()
	defer r.behindMu.Unlock()
	return r.behind[callSID] > 0
}

func (r *Recorder) behindAdd(callSID string, n int) {
	r.behindMu.Lock()
	defer r.behindMu.Unlock()
	if r.behind[callSID] += n; r.behind[callSID] <= 0 {
		delete(r.behind, callSID)
	}
}

// remember keeps this instance's copy of a create for reconciliation, and
// forgets copies older than the orphan time.
func (r *Recorder) remember(op Op) { r.recent.keep(op, time.Now(), r.orphanTTL) }

// copyOf is this instance's copy of callSID's create, if it kept one
// within the orphan time.
func (r *Recorder) copyOf(callSID string) (Op, bool) {
	return r.recent.get(callSID, time.Now(), r.orphanTTL)
}

// Capture records a new request for a call (once per CallSid).
func (r *Recorder) Capture(ctx context.Context, c Capture) error {
	_, err := r.Record(ctx, r.queue.CreateOp(c))
	return err
}

// SetConsent records the caller's consent answers.
func (r *Recorder) SetConsent(ctx context.Context, callSID string, voicemail, namePractice Consent) error {
	_, err := r.Record(ctx, r.queue.ConsentOp(callSID, voicemail, namePractice))
	return err
}

// AttachMessage attaches the caller's voice message.
func (r *Recorder) AttachMessage(ctx context.Context, callSID string, m Message) error {
	_, err := r.Record(ctx, r.queue.MessageOp(callSID, m))
	return err
}

// AttachTranscription attaches the transcription of the voice message.
func (r *Recorder) AttachTranscription(ctx context.Context, callSID, text, status string) error {
	_, err := r.Record(ctx, r.queue.TranscriptionOp(callSID, text, status))
	return err
}

// Spooled is the number of writes in the spool: waiting for Redis, or
// for a replica.
func (r *Recorder) Spooled() int { return r.spool.Len() }

// Unreplicated is the number of writes a master took that no replica has
// acknowledged yet (kept in the spool meanwhile), and when the oldest was
// taken. Staff see them; a failover could lose them from Redis, and the
// spool would then put them back.
func (r *Recorder) Unreplicated() (int, time.Time) { return r.spool.Unreplicated() }

// Orphans is the number of spooled updates whose request is not in Redis
// (a request still in another instance's spool, or a webhook for a call
// that never made one). They do not hold readiness down, and are dropped
// after KeepOrphansFor.
func (r *Recorder) Orphans() int {
	n, _ := r.spool.Unreplicated()
	return int(min(r.orphans.Load(), int64(r.spool.Len()-n)))
}

// Waiting is the number of spooled writes waiting for Redis itself: what
// staff cannot see yet.
func (r *Recorder) Waiting() int {
	n, _ := r.spool.Unreplicated()
	return r.spool.Len() - n - r.Orphans()
}

// KeepOrphansFor sets how long an update whose request is unknown stays in
// the spool (default 10 minutes).
func (r *Recorder) KeepOrphansFor(d time.Duration) {
	if d > 0 {
		r.orphanTTL = d
	}
}

// Replay works the spool once: writes no master has taken are applied in
// order (a request's later writes wait behind one that fails), and writes
// a master took are re-applied, with a wait for the replicas, when one is
// online, when the master is another server than at the last check, or
// every verifyEvery; they leave the spool once a replica acknowledges
// them. It returns how many writes reached a master for the first time.
func (r *Recorder) Replay(ctx context.Context) (int, error) {
	applied := 0
	err := r.spool.Rework(func(ops []Op) []Op {
		rest, stopped := r.replayWaiting(ctx, ops, &applied)
		if !stopped {
			rest = r.confirm(ctx, rest)
		}
		return rest
	})
	if err != nil {
		return applied, fmt.Errorf("replay spool: %w", err)
	}
	if applied > 0 || r.Waiting() == 0 {
		r.downUntil.Store(0) // Redis is taking writes again: stop skipping it
	}
	if applied > 0 {
		r.log.Info("replayed spooled callback writes into redis", slog.Int("applied", applied), slog.Int("left", r.spool.Len()))
	}
	return applied, nil
}

// replayWaiting applies, in order, the entries no master has taken. It
// stops at an error other than a missing request (Redis is away).
func (r *Recorder) replayWaiting(ctx context.Context, ops []Op, applied *int) (rest []Op, stopped bool) {
	rest = make([]Op, 0, len(ops))
	// held are requests with an update kept: their later updates wait too
	// (a create never waits: it only fills what is missing).
	held := map[string]bool{}
	orphans := int64(0)
	for _, op := range ops {
		if !op.Applied.IsZero() || stopped || held[op.CallSID] && op.Kind == "update" {
			rest = append(rest, op)
			continue
		}
		unlock := r.locks.lock(op.CallSID)
		actx, cancel := context.WithTimeout(ctx, r.timeout)
		acked, err := r.send(actx, op)
		cancel()
		unlock()
		switch {
		case err == nil && (acked || !r.holdUnreplicated):
			*applied++
			r.behindAdd(op.CallSID, -1)
			if !acked {
				op.Applied = time.Now()
				rest = append(rest, op)
			}
		case errors.Is(err, ErrNotFound):
			since := cmp.Or(op.Spooled, op.At)
			if time.Since(since) > r.orphanTTL {
				r.queue.observer.WriteLost()
				r.log.Error("LOST a callback update: its request never reached redis; the caller was told it was saved",
					slog.String("call_sid", op.CallSID), slog.String("kind", op.Kind), slog.Duration("kept", r.orphanTTL))
				r.behindAdd(op.CallSID, -1)
				continue
			}
			orphans++
			held[op.CallSID] = true
			rest = append(rest, op)
		default:
			if err != nil {
				r.trip()
			}
			stopped = true // Redis is unreachable (or, held, unreplicated): try later
			rest = append(rest, op)
		}
	}
	if !stopped {
		r.orphans.Store(orphans)
	}
	return rest, stopped
}

// confirm re-applies the entries a master took, in order, in batches with
// a wait for the replicas, and drops those the replicas acknowledge. A
// master that lost some of them (a failover) gets them back; one that has
// them changes nothing. An update whose request the master lacks goes
// back to waiting, in order, with the writes no master has taken.
func (r *Recorder) confirm(ctx context.Context, ops []Op) []Op {
	var taken []int // positions of the entries a master took
	for i, op := range ops {
		if !op.Applied.IsZero() {
			taken = append(taken, i)
		}
	}
	if len(taken) == 0 {
		return ops
	}
	sctx, cancel := context.WithTimeout(ctx, r.timeout)
	run, online, err := r.queue.masterState(sctx)
	cancel()
	if err != nil {
		return ops
	}
	replicated := online >= r.queue.replicas
	r.alone.Store(!replicated)
	if !replicated && run == r.verified && time.Since(r.verifiedAt) < verifyEvery {
		return ops
	}
	drop := make([]bool, len(ops))
	const batchSize = 200
	for start := 0; start < len(taken); start += batchSize {
		at := taken[start:min(start+batchSize, len(taken))]
		batch := make([]Op, len(at))
		for j, i := range at {
			batch[j] = ops[i]
		}
		res, acked, err := r.reapply(ctx, run, batch, replicated)
		if err != nil {
			break
		}
		for j, i := range at {
			switch {
			case res[j].err != nil:
				ops[i].Applied = time.Time{}
				r.behindAdd(ops[i].CallSID, 1)
			case acked:
				drop[i] = true
			}
		}
	}
	rest := make([]Op, 0, len(ops))
	for i, op := range ops {
		if !drop[i] {
			rest = append(rest, op)
		}
	}
	return rest
}

// reapply sends one batch of applied entries to the master whose run_id is
// run, holding their requests' locks so no newer write of theirs
// interleaves; with replicated it also waits for the replicas.
func (r *Recorder) reapply(ctx context.Context, run string, batch []Op, replicated bool) ([]opResult, bool, error) {
	sids := make([]string, 0, len(batch))
	for _, op := range batch {
		sids = append(sids, op.CallSID)
	}
	unlock := r.locks.lockAll(sids)
	defer unlock()
	bctx, cancel := context.WithTimeout(ctx, r.timeout+r.queue.replicaWait+time.Duration(len(batch))*time.Millisecond)
	defer cancel()
	res, acked, err := r.queue.write(bctx, batch, replicated)
	if err != nil {
		return nil, false, err
	}
	r.verified, r.verifiedAt = run, time.Now()
	lost := 0
	for i, got := range res {
		if got.created {
			lost++
			r.created(batch[i])
		}
	}
	if lost > 0 {
		r.queue.observer.Callback("reconciled", "")
		r.log.Warn("the redis master lacked callback requests this instance had written (lost in a failover); re-applied from the spool",
			slog.Int("recreated", lost))
	}
	return res, replicated && acked, nil
}

// Run replays the spool every interval, warns once a minute while writes
// wait for a replica, and does queue upkeep (expired claims, retention)
// every upkeep interval, until ctx ends.
func (r *Recorder) Run(ctx context.Context, interval, upkeep time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	lastUpkeep := time.Time{}
	for {
		if r.spool.Len() > 0 {
			if _, err := r.Replay(ctx); err != nil {
				r.log.Error("spool replay failed", slog.String("error", err.Error()))
			}
		}
		if n, oldest := r.Unreplicated(); n > 0 && r.due(&r.lastWarn, time.Minute) {
			r.log.Warn("callback writes not yet acknowledged by a redis replica: staff see them; this instance's spool keeps them until a replica does",
				slog.Int("unreplicated", n), slog.Duration("oldest", time.Since(oldest).Round(time.Second)))
		}
		if time.Since(lastUpkeep) >= upkeep {
			lastUpkeep = time.Now()
			r.upkeep(ctx)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (r *Recorder) upkeep(ctx context.Context) {
	uctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if n, err := r.queue.ExpireClaims(uctx); err != nil {
		r.log.Warn("expiring stale claims failed", slog.String("error", err.Error()))
	} else if n > 0 {
		r.log.Info("stale claims returned to the queue", slog.Int("count", n))
	}
	if n, err := r.queue.Purge(uctx); err != nil {
		r.log.Warn("retention purge failed", slog.String("error", err.Error()))
	} else if n > 0 {
		r.log.Info("finished callback requests deleted after retention", slog.Int("count", n))
	}
	if n, err := r.DeleteRecordings(uctx); err != nil {
		r.log.Warn("deleting recordings at Twilio failed", slog.String("error", err.Error()))
	} else if n > 0 {
		r.log.Info("recordings deleted at Twilio", slog.Int("count", n))
	}
}

// keyLocks are mutexes by key, made on demand and freed when unused.
type keyLocks struct {
	mu   sync.Mutex
	held map[string]*keyLock
}

type keyLock struct {
	mu   sync.Mutex
	refs int
}

// lock takes key's mutex and returns its release.
func (k *keyLocks) lock(key string) (unlock func()) {
	k.mu.Lock()
	l := k.held[key]
	if l == nil {
		l = &keyLock{}
		k.held[key] = l
	}
	l.refs++
	k.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		k.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(k.held, key)
		}
		k.mu.Unlock()
	}
}

// lockAll takes the mutexes of keys in sorted order (no deadlock with
// another lockAll; lock holders take one key at a time).
func (k *keyLocks) lockAll(keys []string) (unlock func()) {
	keys = slices.Compact(slices.Sorted(slices.Values(keys)))
	unlocks := make([]func(), 0, len(keys))
	for _, key := range keys {
		unlocks = append(unlocks, k.lock(key))
	}
	return func() {
		for _, u := range slices.Backward(unlocks) {
			u()
		}
	}
}
