package callback

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Recorder is how the call flow records callback requests: each write goes
// to Redis within a short deadline (and, when the queue requires replicas,
// is acknowledged by them), and to the fsynced spool when Redis is down,
// slow, unreplicated or does not know the call yet. A caller is confirmed as
// soon as either holds the request, so a request is never lost, and every
// write is idempotent, so it is never recorded twice.
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
	// downUntil (unix nanoseconds) is set after Redis fails: until then
	// writes go straight to the spool instead of each waiting for a
	// deadline, and the replayer probes Redis.
	downUntil atomic.Int64
	// deleter deletes recordings at Twilio while deleteOn says so.
	deleter  RecordingDeleter
	deleteOn func() bool

	recentMu sync.Mutex
	recent   map[string]keptCreate // CallSid -> this instance's create, for reconciliation
	pruned   time.Time
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

// OnCreate adds a function called (in its own goroutine) each time a new
// request reaches Redis, directly or from the spool, with the request's
// reason (an urgent one is announced as such). Add them before use.
func (r *Recorder) OnCreate(f func(callSID string, reason Reason)) {
	r.onCreate = append(r.onCreate, f)
}

func (r *Recorder) created(op Op) {
	if op.Kind != "create" {
		return
	}
	r.queue.observer.Callback("created", "")
	reason := Reason(op.field("rsn"))
	for _, f := range r.onCreate {
		go f(op.CallSID, reason)
	}
}

// NewRecorder returns a Recorder; timeout bounds each Redis write.
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
	return &Recorder{queue: q, spool: s, timeout: timeout, log: log, orphanTTL: 10 * time.Minute, recent: map[string]keptCreate{}}, nil
}

// Queue is the queue behind the recorder.
func (r *Recorder) Queue() *Queue { return r.queue }

// Record makes op durable. spooled reports that it went to the spool. An
// error means neither Redis nor the spool took it.
func (r *Recorder) Record(ctx context.Context, op Op) (spooled bool, err error) {
	if op.Kind == "create" {
		r.remember(op)
	}
	var rerr error
	if time.Now().UnixNano() < r.downUntil.Load() {
		rerr = errors.New("redis failed moments ago; not waiting for it again")
	} else {
		rctx, cancel := context.WithTimeout(ctx, r.timeout)
		rerr = r.apply(rctx, op)
		cancel()
		if rerr == nil {
			return false, nil
		}
		if !errors.Is(rerr, ErrNotFound) {
			r.queue.observer.RedisError()
			r.downUntil.Store(time.Now().Add(breakerWindow).UnixNano())
		}
	}
	op.Spooled = time.Now()
	if serr := r.spool.Append(op); serr != nil {
		return false, fmt.Errorf("record callback %s: redis: %v; spool: %w", op.Kind, rerr, serr)
	}
	if op.Kind == "create" {
		r.queue.observer.Callback("spooled", "")
	}
	switch {
	case errors.Is(rerr, ErrNotFound):
		r.orphans.Add(1)
		r.log.Info("callback update spooled until its request reaches redis", slog.String("call_sid", op.CallSID))
	case errors.Is(rerr, ErrNotReplicated):
		r.log.Warn("redis replica did not acknowledge a callback write: spooled until one does",
			slog.String("call_sid", op.CallSID), slog.String("kind", op.Kind), slog.String("error", rerr.Error()))
	default:
		r.log.Warn("redis unavailable: callback write spooled; store degraded until the spool drains",
			slog.String("call_sid", op.CallSID), slog.String("kind", op.Kind), slog.String("error", rerr.Error()))
	}
	return true, nil
}

// apply writes op to Redis. A new request is announced even when the
// replicas did not acknowledge it: the master shows it to staff meanwhile,
// and the spool makes it durable. An update whose request is missing is
// reconciled from this instance's copy of the create, when it has one.
func (r *Recorder) apply(ctx context.Context, op Op) error {
	_, created, err := r.queue.Apply(ctx, op)
	if created {
		r.created(op)
	}
	if !errors.Is(err, ErrNotFound) {
		return err
	}
	create, ok := r.copyOf(op.CallSID)
	if !ok {
		return err
	}
	_, created, err = r.queue.Apply(ctx, create)
	if created {
		r.created(create)
		r.queue.observer.Callback("reconciled", "")
		r.log.Warn("callback request was missing in redis (lost in a failover?); recreated from this instance's copy",
			slog.String("call_sid", op.CallSID))
	}
	if err != nil {
		return err
	}
	_, _, err = r.queue.Apply(ctx, op)
	return err
}

// remember keeps this instance's copy of a create for reconciliation, and
// forgets copies older than the orphan time.
func (r *Recorder) remember(op Op) {
	r.recentMu.Lock()
	defer r.recentMu.Unlock()
	now := time.Now()
	if now.Sub(r.pruned) > time.Minute {
		r.pruned = now
		for sid, c := range r.recent {
			if now.Sub(c.kept) > r.orphanTTL {
				delete(r.recent, sid)
			}
		}
	}
	r.recent[op.CallSID] = keptCreate{op: op, kept: now}
}

// keptCreate is a create with when this machine kept it (op.At follows the
// queue's clock, which tests set).
type keptCreate struct {
	op   Op
	kept time.Time
}

func (r *Recorder) copyOf(callSID string) (Op, bool) {
	r.recentMu.Lock()
	defer r.recentMu.Unlock()
	c, ok := r.recent[callSID]
	return c.op, ok && time.Since(c.kept) <= r.orphanTTL
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

// Spooled is the number of writes waiting in the spool.
func (r *Recorder) Spooled() int { return r.spool.Len() }

// Orphans is the number of spooled updates whose request is not in Redis
// (a request still in another instance's spool, or a webhook for a call
// that never made one). They do not hold readiness down, and are dropped
// after KeepOrphansFor.
func (r *Recorder) Orphans() int {
	return int(min(r.orphans.Load(), int64(r.spool.Len())))
}

// Waiting is the number of spooled writes waiting for Redis itself: what
// keeps the store degraded.
func (r *Recorder) Waiting() int { return r.spool.Len() - r.Orphans() }

// KeepOrphansFor sets how long an update whose request is unknown stays in
// the spool (default 10 minutes).
func (r *Recorder) KeepOrphansFor(d time.Duration) {
	if d > 0 {
		r.orphanTTL = d
	}
}

// Replay drains the spool into Redis once.
func (r *Recorder) Replay(ctx context.Context) (int, error) {
	apply := func(op Op) error {
		actx, cancel := context.WithTimeout(ctx, r.timeout)
		defer cancel()
		return r.apply(actx, op)
	}
	orphans, stopped := int64(0), false
	keep := func(op Op, err error) (retain, stop bool) {
		if errors.Is(err, ErrNotFound) {
			since := op.Spooled
			if since.IsZero() {
				since = op.At
			}
			if time.Since(since) > r.orphanTTL {
				r.queue.observer.WriteLost()
				r.log.Error("LOST a callback update: its request never reached redis; the caller was told it was saved",
					slog.String("call_sid", op.CallSID), slog.String("kind", op.Kind), slog.Duration("kept", r.orphanTTL))
				return false, false
			}
			orphans++
			return true, false
		}
		stopped = true
		return true, true // Redis is unreachable or unreplicated: try later
	}
	n, err := r.spool.Drain(apply, keep)
	if err != nil {
		return n, fmt.Errorf("replay spool: %w", err)
	}
	if !stopped {
		r.orphans.Store(orphans)
	}
	if n > 0 || r.spool.Len() == 0 {
		r.downUntil.Store(0) // Redis is taking writes again: stop skipping it
	}
	if n > 0 {
		r.log.Info("replayed spooled callback writes into redis", slog.Int("applied", n), slog.Int("left", r.spool.Len()))
	}
	return n, nil
}

// Run replays the spool every interval and does queue upkeep (expired
// claims, retention) every upkeep interval, until ctx ends.
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
