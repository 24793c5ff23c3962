package calls

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// EndFunc is told the record of a call Twilio reported completed. first is
// false when the call was finished before (a repeated status callback); err
// is set when the record could not be read (Redis is away).
type EndFunc func(ctx context.Context, callSID string, rec Record, first bool, err error)

// Writer writes calls' marks and handles their ends in the background, in
// the order they came, so that no webhook waits for Redis. It holds at
// most a fixed number of jobs: when Redis is so slow that they pile up,
// new ones are dropped (and counted) rather than held in memory. Run,
// started and stopped by the server's owner, does the work.
type Writer struct {
	store *Store
	log   *slog.Logger
	grace time.Duration
	jobs  chan job
	wg    sync.WaitGroup // jobs queued and not yet done

	dropped  atomic.Int64
	lastWarn atomic.Int64
}

type job struct {
	sid  string
	mark Mark
	end  EndFunc   // nil for a mark
	due  time.Time // an end waits until due
}

// NewWriter returns a Writer of store's records holding up to capacity
// jobs. An end waits grace after its status callback arrived, so that a
// mark of the call's last webhook made on another instance lands first.
func NewWriter(store *Store, capacity int, grace time.Duration, log *slog.Logger) (*Writer, error) {
	switch {
	case store == nil, log == nil:
		return nil, errors.New("calls writer: a store and a logger are required")
	case capacity <= 0:
		return nil, errors.New("calls writer: the capacity must be positive")
	}
	return &Writer{store: store, log: log, grace: grace, jobs: make(chan job, capacity)}, nil
}

// Mark queues a mark of the call callSID; it never waits.
func (w *Writer) Mark(callSID string, m Mark) { w.put(job{sid: callSID, mark: m}) }

// End queues the end of the call callSID: after the grace, its record is
// finished and given to f. It never waits.
func (w *Writer) End(callSID string, f EndFunc) {
	w.put(job{sid: callSID, end: f, due: time.Now().Add(w.grace)})
}

// Dropped is how many jobs were dropped because the writer was full.
func (w *Writer) Dropped() int64 { return w.dropped.Load() }

func (w *Writer) put(j job) {
	w.wg.Add(1)
	select {
	case w.jobs <- j:
	default:
		w.wg.Done()
		w.dropped.Add(1)
		w.warn("call records dropped: the background writer is full (redis slow or away); their outcomes will be unknown", j.sid, nil)
	}
}

// warn logs at most once a minute, with the count of records dropped.
func (w *Writer) warn(msg, callSID string, err error) {
	now, last := time.Now().UnixNano(), w.lastWarn.Load()
	if now-last < int64(time.Minute) || !w.lastWarn.CompareAndSwap(last, now) {
		return
	}
	attrs := []any{slog.String("call_sid", callSID), slog.Int64("dropped_total", w.dropped.Load())}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	w.log.Warn(msg, attrs...)
}

// Run does the queued jobs until ctx ends, then those still queued.
func (w *Writer) Run(ctx context.Context) {
	for {
		select {
		case j := <-w.jobs:
			if j.end == nil {
				var ok bool
				if j, ok = w.marks(ctx, j); !ok {
					continue
				}
			}
			w.do(ctx, j)
		case <-ctx.Done():
			w.drain()
			return
		}
	}
}

// maxBatch is the most marks written in one round trip.
const maxBatch = 256

// marks writes first and the marks queued right behind it in one round
// trip, and returns the end that stopped the batch, if one did, which is
// done next: the order of the jobs holds.
func (w *Writer) marks(ctx context.Context, first job) (end job, ok bool) {
	batch := []CallMark{{CallSID: first.sid, Mark: first.mark}}
more:
	for len(batch) < maxBatch {
		select {
		case j := <-w.jobs:
			if j.end != nil {
				end, ok = j, true
				break more
			}
			batch = append(batch, CallMark{CallSID: j.sid, Mark: j.mark})
		default:
			break more
		}
	}
	if err := w.store.MarkAll(context.WithoutCancel(ctx), batch); err != nil {
		w.warn("call steps not recorded (redis slow or away); those calls' outcomes may be wrong", first.sid, err)
	}
	w.wg.Add(-len(batch))
	return end, ok
}

// drain does what is queued without waiting for any grace: the server is
// stopping.
func (w *Writer) drain() {
	for {
		select {
		case j := <-w.jobs:
			j.due = time.Time{}
			w.do(context.Background(), j)
		default:
			return
		}
	}
}

// Wait returns once every job queued so far is done, or ctx ends.
func (w *Writer) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { w.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (w *Writer) do(ctx context.Context, j job) {
	defer w.wg.Done()
	if j.end == nil {
		if err := w.store.Mark(context.WithoutCancel(ctx), j.sid, j.mark); err != nil {
			w.warn("call steps not recorded (redis slow or away); those calls' outcomes may be wrong", j.sid, err)
		}
		return
	}
	if d := time.Until(j.due); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	ctx = context.WithoutCancel(ctx)
	rec, first, err := w.store.Finish(ctx, j.sid)
	j.end(ctx, j.sid, rec, first, err)
}
